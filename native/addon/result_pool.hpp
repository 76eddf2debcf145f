// Memory for large result arrays, recycled between calls.
//
// A result the engine hands to JavaScript is an external ArrayBuffer over a
// block taken here, and the block comes back only from that ArrayBuffer's
// finalizer, which Node runs once the buffer's memory can no longer be
// reached from any JavaScript (a transferred buffer keeps its memory, and
// the finalizer waits for it). A kept block is therefore never visible to
// anyone when it is handed out again.
//
// Why: memory the C library gets anew from the kernel costs a page fault per
// 4 KiB on first touch, and glibc gives large freed blocks back to the
// kernel, so every fresh megabyte-sized result paid those faults again: more
// than the work that fills it. Changing the process's allocator (mallopt)
// would change it for the whole application; this pool only holds the
// engine's own results.
//
// Bounds: at most kKeepBytes are kept, blocks past kKeepLargest are freed at
// once, and a kept block unused for kIdleSeconds is freed by the next pool
// operation or by a timer on the event loop, whichever comes first (trim()
// frees them all). Node runs the finalizers on a turn of
// the event loop, so a synchronous loop of calls gets no block back until it
// yields; take_limited() refuses past kMaxOutstanding bytes it handed out,
// so such a loop falls back to memory the garbage collector frees itself
// rather than holding every result until it yields.
//
// Process-wide (worker threads share it) and thread-safe.
#pragma once

#include <napi.h>

#include <cstddef>
#include <cstdint>

namespace dilemma::addon::result_pool {

inline constexpr size_t kMinBytes = size_t{64} << 10;
inline constexpr size_t kKeepBytes = size_t{256} << 20;
inline constexpr size_t kKeepLargest = size_t{128} << 20;
inline constexpr size_t kMaxOutstanding = size_t{64} << 20;
inline constexpr double kIdleSeconds = 10.0;

// The size of the block that serves a request of `bytes`: rounded up to an
// eighth of its power of two (at most 12.5% more), so that requests of
// nearby sizes share blocks. Requests under kMinBytes are not pooled: take()
// and give() pass them to malloc and free.
size_t block_size(size_t bytes);

// A block of block_size(bytes) bytes, recycled when one is kept, else new
// (zero-filled when zero; a recycled one is cleared then too). nullptr when
// the system has no memory left (after freeing every kept block).
void* take(size_t bytes, bool zero);
// As take(), or nullptr when the blocks it handed out and that have not
// come back yet already reach kMaxOutstanding bytes.
void* take_limited(size_t bytes, bool zero);
// Returns a block of `bytes` (as asked for) from take(), or from
// take_limited() when limited: kept for a later take(), or freed.
void give(void* block, size_t bytes, bool limited = false);
// Frees every kept block; returns the bytes freed.
size_t trim();

struct Stats {
  size_t kept_bytes = 0, kept_blocks = 0, outstanding_bytes = 0;
  uint64_t reused = 0, fresh = 0, refused = 0;
};
Stats stats();

// A Float32Array of `length` elements over a pooled block whose finalizer
// gives the block back, for a function that writes every element before
// JavaScript sees it (uninitialised). Undefined when the array is small
// (V8's own memory is as cheap) or take_limited() refuses.
Napi::Value pooled_float32(Napi::Env env, int64_t length);

// exports.resultPool: { float32(length), trim(), stats() }; starts the
// environment's idle-trim timer.
void init(Napi::Env env, Napi::Object exports);

}  // namespace dilemma::addon::result_pool

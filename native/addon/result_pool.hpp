// Memory for large result arrays, recycled between calls.
//
// A result the engine hands to JavaScript is an external ArrayBuffer over a
// block taken here. The block comes back by whichever of two signals comes
// first:
//  - the ArrayBuffer's finalizer, which Node runs on a turn of the event
//    loop once the buffer's memory is unreachable (a transferred buffer
//    keeps its memory, and the finalizer waits for it);
//  - a weak reference to the ArrayBuffer, which V8 clears during the very
//    garbage collection that finds the buffer dead, so that a synchronous
//    loop of calls gets blocks back without yielding (hand_out() also makes
//    V8 collect its young generation as often as it would for buffers it
//    allocated itself: see there). This signal is sound
//    only where no JavaScript can move the memory to another ArrayBuffer:
//    Node makes these buffers untransferable for postMessage and
//    structuredClone (they are copied), and init() checks that
//    ArrayBuffer.prototype.transfer is absent or refuses them. Where it is
//    not refused, only the finalizer gives blocks back.
// A kept block is therefore never visible to anyone when it is handed out
// again.
//
// Why: memory new from the kernel costs a page fault per 4 KiB on first
// touch (on a loaded virtual machine, 5 ms for a 1.6 MB result, ten times
// the work that fills it), and glibc gives large freed blocks back to the
// kernel. Blocks of at least kMinBytes are therefore mapped here, prefaulted
// in one call (MAP_POPULATE), and stay mapped while kept, without changing
// the allocator of the rest of the process.
//
// Bounds: at most kKeepBytes are kept, blocks past kKeepLargest are freed at
// once, and a kept block unused for kIdleSeconds is freed by the next pool
// operation or by a timer on the event loop, whichever comes first (trim()
// frees them all). take_limited() refuses past kMaxOutstanding bytes it
// handed out and that have not come back, so a loop that holds every result
// falls back to memory the garbage collector frees itself. V8 collects when
// the ArrayBuffers made since its last collection reach 64 MiB; blocks are
// up to 12.5% larger than their buffers, so kMaxOutstanding leaves room for
// a loop to reach that collection before it is refused.
//
// Process-wide (worker threads share the kept blocks) and thread-safe; the
// weak references belong to the environment that made the buffer.
#pragma once

#include <napi.h>

#include <cstddef>
#include <cstdint>

namespace dilemma::addon::result_pool {

inline constexpr size_t kMinBytes = size_t{64} << 10;
inline constexpr size_t kKeepBytes = size_t{256} << 20;
inline constexpr size_t kKeepLargest = size_t{128} << 20;
inline constexpr size_t kMaxOutstanding = size_t{128} << 20;
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
  // Blocks given back by a cleared weak reference, before their finalizer.
  uint64_t reclaimed_early = 0;
};
Stats stats();

// take() or take_limited() on the JavaScript thread of `env`, after taking
// back the blocks of this environment's results that V8 has found dead.
void* take_for(Napi::Env env, size_t bytes, bool zero, bool limited);

// An ArrayBuffer of `bytes` over `block` from take_for(env, bytes, ..,
// limited): the block goes back to the pool once no JavaScript can view it
// (or at once, with a coded error, when the ArrayBuffer cannot be made).
Napi::ArrayBuffer hand_out(Napi::Env env, void* block, size_t bytes, bool limited);

// As hand_out(), for a block whose owner decides when it goes back (memory
// that native jobs may still hold after JavaScript drops the buffer):
// release(context) runs exactly once, on env's JavaScript thread, at the
// first signal that no JavaScript can view the buffer, instead of give().
// `block` need not come from the pool.
Napi::ArrayBuffer hand_out(Napi::Env env, void* block, size_t bytes, void (*release)(void* context), void* context);

// A Float32Array of `length` elements over a pooled block, for a function
// that writes every element before JavaScript sees it (uninitialised).
// Undefined when the array is small (V8's own memory is as cheap) or
// take_limited() refuses.
Napi::Value pooled_float32(Napi::Env env, int64_t length);

// exports.resultPool: { float32(length), trim(), stats() }; starts the
// environment's idle-trim timer and decides whether its results may come
// back by weak reference (stats().earlyReclaim).
void init(Napi::Env env, Napi::Object exports);

}  // namespace dilemma::addon::result_pool

// Fresh typed arrays for results; the core writes straight into their memory.
#pragma once

#include <napi.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>
#include <vector>

#include "addon_data.hpp"
#include "args.hpp"
#include "errors.hpp"
#include "limits.hpp"
#include "result_pool.hpp"

namespace dilemma::addon {

// Arrays of at least this many bytes are allocated here rather than by V8:
// V8 treats a failed ArrayBuffer allocation as a fatal error and aborts the
// process, while a failed calloc becomes ERR_OUT_OF_MEMORY. Smaller arrays
// keep V8's own allocator.
//
// Such a block comes back once the ArrayBuffer is unreachable: at the
// garbage collection that finds it dead where the runtime allows it (a weak
// reference), else when Node runs its finalizer on a turn of the event loop
// (result_pool.hpp). Functions called in tight synchronous loops (credit,
// loss) take their result array from TypeScript (src/result-array.ts),
// which asks the pool with a bound on what is handed out
// (result_pool::pooled_float32) and falls back to memory V8 owns.
inline constexpr size_t kOwnAllocationBytes = size_t{1} << 20;

// The most bytes one result array may have (LIMITS.maxResultBytes): Node
// refuses larger external buffers, and its refusal frees the memory it was
// handed before reporting failure, so a larger request must never reach it.
inline constexpr int64_t kMaxResultBytes = limits::kMaxResultBytes;

// Refuses, before anything is allocated, a result array of `elements`
// elements of `element_size` bytes past kMaxResultBytes. what names the
// array and the parameter that sized it; advice says what to change.
inline void check_result_bytes(const std::string& what, int64_t elements, size_t element_size,
                               const std::string& advice = "") {
  if (elements > kMaxResultBytes / static_cast<int64_t>(element_size)) {
    const double bytes = static_cast<double>(elements) * static_cast<double>(element_size);
    throw Error(codes::kTooLarge, what + " would take " + format_number(bytes) + " bytes, over the limit of " +
                                      std::to_string(kMaxResultBytes) +
                                      " bytes for one result array (LIMITS.maxResultBytes)" +
                                      (advice.empty() ? "" : "; " + advice));
  }
}

// An ArrayBuffer over `memory` (bytes long), which `release(env, hint)`
// frees once the buffer is collected. On failure `release` has run exactly
// once (by Node, which calls it before reporting some failures, or here) and
// a coded error is thrown: neither a leak nor a second free. When `counted`,
// the bytes are reported to V8 as external memory and release() must take
// them back; V8 already counts every ArrayBuffer's length towards its next
// collection, so counting them again only makes it collect twice as often.
struct ExternalRelease {
  void (*release)(napi_env env, void* hint);
  void* hint;
  bool released = false;
  bool owned_by_finalizer = false;
};

inline void release_external(napi_env e, void*, void* h) {
  auto* x = static_cast<ExternalRelease*>(h);
  if (!x->released) x->release(e, x->hint);
  x->released = true;
  if (x->owned_by_finalizer) delete x;
}

inline Napi::ArrayBuffer external_buffer(Napi::Env env, void* memory, size_t bytes, void (*release)(napi_env, void*),
                                         void* hint, bool counted = true) {
  auto* r = new ExternalRelease{release, hint};
  // Counted first: release() takes it back, whoever runs it.
  if (counted) adjust_external_memory(env, static_cast<int64_t>(bytes));
  napi_value value = nullptr;
  if (napi_create_external_arraybuffer(env, memory, bytes, release_external, r, &value) != napi_ok) {
    bool pending = false;
    if (napi_is_exception_pending(env, &pending) == napi_ok && pending) {
      napi_value ignored;
      napi_get_and_clear_last_exception(env, &ignored);
    }
    if (!r->released) release(env, hint);
    delete r;
    throw Error(codes::kOutOfMemory, "cannot make an ArrayBuffer of " + std::to_string(bytes) + " bytes");
  }
  r->owned_by_finalizer = true;
  return Napi::ArrayBuffer(env, value);
}

template <typename T>
Napi::TypedArrayOf<T> new_array(Napi::Env env, int64_t length, const char* what = "a result array") {
  const size_t n = static_cast<size_t>(length);
  check_result_bytes(what, length, sizeof(T));
  if (n < kOwnAllocationBytes / sizeof(T)) return Napi::TypedArrayOf<T>::New(env, n);
  // A recycled block (result_pool.hpp) when one is kept: no fresh pages.
  void* memory = result_pool::take_for(env, n * sizeof(T), true, false);
  if (memory == nullptr)
    throw_error(env, codes::kOutOfMemory,
                "out of memory: cannot allocate " + std::to_string(n * sizeof(T)) + " bytes for a result array of " +
                    std::to_string(n) + " elements");
  Napi::ArrayBuffer buffer = result_pool::hand_out(env, memory, n * sizeof(T), false);
  return Napi::TypedArrayOf<T>::New(env, n, buffer, 0);
}

}  // namespace dilemma::addon

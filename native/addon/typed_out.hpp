// Fresh typed arrays for results; the core writes straight into their memory.
#pragma once

#include <napi.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>
#include <vector>

#include "args.hpp"
#include "errors.hpp"

namespace dilemma::addon {

// Arrays of at least this many bytes are allocated here rather than by V8:
// V8 treats a failed ArrayBuffer allocation as a fatal error and aborts the
// process, while a failed calloc becomes ERR_OUT_OF_MEMORY. Smaller arrays
// keep V8's own allocator.
//
// Node runs the finalizer of such an external ArrayBuffer only when the event
// loop turns, so a synchronous loop that keeps asking for big results holds
// every one of them until it yields (2.4 MB results: 1 GB after 400 calls).
// Functions called in tight synchronous loops (credit, loss) therefore take
// their result array from TypeScript (src/result-array.ts) instead.
inline constexpr size_t kOwnAllocationBytes = size_t{1} << 20;

template <typename T>
Napi::TypedArrayOf<T> new_array(Napi::Env env, int64_t length) {
  const size_t n = static_cast<size_t>(length);
  if (n < kOwnAllocationBytes / sizeof(T)) return Napi::TypedArrayOf<T>::New(env, n);
  void* memory = std::calloc(n, sizeof(T));
  if (memory == nullptr)
    throw_error(env, codes::kOutOfMemory,
                "out of memory: cannot allocate " + std::to_string(n * sizeof(T)) + " bytes for a result array of " +
                    std::to_string(n) + " elements");
  Napi::ArrayBuffer buffer;
  try {
    buffer = Napi::ArrayBuffer::New(env, memory, n * sizeof(T), [](Napi::Env, void* p) { std::free(p); });
  } catch (...) {
    std::free(memory);
    throw;
  }
  return Napi::TypedArrayOf<T>::New(env, n, buffer, 0);
}

// Whether a typed array's memory is a SharedArrayBuffer's, which another
// thread may write while native code reads it.
inline bool is_shared(Napi::Env env, const Napi::Value& v) {
  napi_value buffer = nullptr;
  if (napi_get_typedarray_info(env, v, nullptr, nullptr, nullptr, &buffer, nullptr) != napi_ok) return false;
  bool plain = false;
  return napi_is_arraybuffer(env, buffer, &plain) == napi_ok && !plain;
}

// An input (already checked by typed_array) that native code may read more
// than once. A SharedArrayBuffer's contents can change between two reads,
// so that a value checked in one pass (an action index, a finite logit) is
// no longer what the next pass uses; such arrays are copied into `copy`
// first. Other arrays are used in place.
template <typename T>
const T* read_stable(Napi::Env env, const Napi::Value& v, ArrayView<T> view, std::vector<T>& copy) {
  if (view.data == nullptr || !is_shared(env, v)) return view.data;
  try {
    copy.resize(view.length);
  } catch (const std::bad_alloc&) {
    throw_error(env, codes::kOutOfMemory,
                "out of memory: cannot copy a SharedArrayBuffer-backed input of " + std::to_string(view.length) +
                    " elements");
  }
  std::memcpy(copy.data(), view.data, view.length * sizeof(T));
  return copy.data();
}

}  // namespace dilemma::addon

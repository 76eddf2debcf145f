// Fresh typed arrays for results; the core writes straight into their memory.
#pragma once

#include <napi.h>

#include <cstdint>
#include <cstdlib>
#include <string>

#include "args.hpp"
#include "errors.hpp"

namespace dilemma::addon {

// Arrays of at least this many bytes are allocated here rather than by V8:
// V8 treats a failed ArrayBuffer allocation as a fatal error and aborts the
// process, while a failed calloc becomes ERR_OUT_OF_MEMORY. Smaller arrays
// keep V8's own allocator.
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

}  // namespace dilemma::addon

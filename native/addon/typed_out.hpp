// Fresh typed arrays allocated by V8 for results; the core writes straight
// into their memory.
#pragma once

#include <napi.h>

#include <cstdint>

#include "args.hpp"

namespace dilemma::addon {

template <typename T>
Napi::TypedArrayOf<T> new_array(Napi::Env env, int64_t length) {
  return Napi::TypedArrayOf<T>::New(env, static_cast<size_t>(length));
}

}  // namespace dilemma::addon

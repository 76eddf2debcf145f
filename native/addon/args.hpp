// Argument checks for values crossing from JavaScript. Everything is treated
// as hostile: wrong types, detached buffers, wrong lengths, non-finite or
// out-of-range numbers all become errors naming the parameter.
#pragma once

#include <napi.h>

#include <cstdint>
#include <string>
#include <vector>

#include "params.hpp"

namespace dilemma::addon {

template <typename T>
struct TypedArrayTraits;
template <>
struct TypedArrayTraits<float> {
  static constexpr napi_typedarray_type type = napi_float32_array;
  static constexpr const char* name = "Float32Array";
};
template <>
struct TypedArrayTraits<int32_t> {
  static constexpr napi_typedarray_type type = napi_int32_array;
  static constexpr const char* name = "Int32Array";
};
template <>
struct TypedArrayTraits<uint32_t> {
  static constexpr napi_typedarray_type type = napi_uint32_array;
  static constexpr const char* name = "Uint32Array";
};
template <>
struct TypedArrayTraits<uint8_t> {
  static constexpr napi_typedarray_type type = napi_uint8_array;
  static constexpr const char* name = "Uint8Array";
};
template <>
struct TypedArrayTraits<double> {
  static constexpr napi_typedarray_type type = napi_float64_array;
  static constexpr const char* name = "Float64Array";
};

template <typename T>
struct ArrayView {
  T* data = nullptr;
  size_t length = 0;
};

// A view of a typed array's memory, no copy. Valid only during the current
// synchronous call; copy before going off-thread.
// expected_length < 0 accepts any length.
template <typename T>
ArrayView<T> typed_array(Napi::Env env, const Napi::Value& v, const std::string& name, int64_t expected_length);

Napi::Object object_arg(Napi::Env env, const Napi::Value& v, const std::string& name);
bool has(const Napi::Object& o, const char* key);
double number(Napi::Env env, const Napi::Value& v, const std::string& name, double lo, double hi);
int64_t integer(Napi::Env env, const Napi::Value& v, const std::string& name, int64_t lo, int64_t hi);
bool boolean(Napi::Env env, const Napi::Value& v, const std::string& name);
std::string string(Napi::Env env, const Napi::Value& v, const std::string& name);
// A seed: a non-negative safe integer, or a BigInt below 2^64.
uint64_t seed(Napi::Env env, const Napi::Value& v, const std::string& name);
// Optional members: the fallback when absent or undefined.
double number_or(Napi::Env env, const Napi::Object& o, const char* key, const std::string& owner, double fallback,
                 double lo, double hi);
int64_t integer_or(Napi::Env env, const Napi::Object& o, const char* key, const std::string& owner, int64_t fallback,
                   int64_t lo, int64_t hi);
// A plain object of numbers, number arrays and strings, as game or strategy parameters.
Params params(Napi::Env env, const Napi::Value& v, const std::string& name);

}  // namespace dilemma::addon

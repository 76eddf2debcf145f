// Argument reading for the reference loops: typed arrays of an exact element
// type and at least a given length, and bounded integers. A wrong argument is
// a JavaScript error that names it, never a write outside a buffer.
#pragma once

#include <napi.h>

#include <cmath>
#include <cstdint>
#include <string>

namespace dilemma::reference {

inline Napi::Error argument_error(Napi::Env env, const std::string& message) {
  Napi::Error e = Napi::RangeError::New(env, message);
  e.Set("code", Napi::String::New(env, "ERR_INVALID_ARGUMENT"));
  return e;
}

inline int64_t integer_arg(const Napi::Value& v, const char* name, int64_t lo, int64_t hi) {
  const double x = v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : NAN;
  if (!(x >= static_cast<double>(lo) && x <= static_cast<double>(hi)) || x != std::floor(x))
    throw argument_error(v.Env(), std::string(name) + " must be an integer in [" + std::to_string(lo) + ", " +
                                      std::to_string(hi) + "]");
  return static_cast<int64_t>(x);
}

inline double number_arg(const Napi::Value& v, const char* name, double lo, double hi) {
  const double x = v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : NAN;
  if (!(x >= lo && x <= hi)) throw argument_error(v.Env(), std::string(name) + " must be a number in [" +
                                                                std::to_string(lo) + ", " + std::to_string(hi) + "]");
  return x;
}

template <typename T>
constexpr napi_typedarray_type typed_array_type();
template <> constexpr napi_typedarray_type typed_array_type<float>() { return napi_float32_array; }
template <> constexpr napi_typedarray_type typed_array_type<double>() { return napi_float64_array; }
template <> constexpr napi_typedarray_type typed_array_type<int32_t>() { return napi_int32_array; }
template <> constexpr napi_typedarray_type typed_array_type<uint8_t>() { return napi_uint8_array; }

// The data of a typed array of element type T holding at least `length` elements.
template <typename T>
T* array_arg(const Napi::Value& v, const char* name, int64_t length) {
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != typed_array_type<T>())
    throw argument_error(v.Env(), std::string(name) + " must be a typed array of the documented element type");
  auto a = v.As<Napi::TypedArrayOf<T>>();
  if (static_cast<int64_t>(a.ElementLength()) < length)
    throw argument_error(v.Env(), std::string(name) + " must hold at least " + std::to_string(length) + " elements");
  return a.Data();
}

}  // namespace dilemma::reference

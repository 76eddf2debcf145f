#include "args.hpp"

#include <cmath>
#include <sstream>

#include "errors.hpp"

namespace dilemma::addon {

namespace {
std::string fmt(double v) { return format_number(v); }
}  // namespace

template <typename T>
ArrayView<T> typed_array(Napi::Env env, const Napi::Value& v, const std::string& name, int64_t expected_length) {
  using Tr = TypedArrayTraits<T>;
  if (!v.IsTypedArray()) throw_error(env, codes::kInvalidArgument, name + " must be a " + Tr::name);
  Napi::TypedArray ta = v.As<Napi::TypedArray>();
  if (ta.TypedArrayType() != Tr::type) throw_error(env, codes::kInvalidArgument, name + " must be a " + Tr::name);
  // napi_get_typedarray_info also reads views of a SharedArrayBuffer, which
  // napi_get_arraybuffer_info (Napi::ArrayBuffer) refuses without a code.
  napi_typedarray_type type;
  size_t length = 0, offset = 0;
  void* data = nullptr;
  napi_value buffer = nullptr;
  if (napi_get_typedarray_info(env, ta, &type, &length, &data, &buffer, &offset) != napi_ok)
    throw_error(env, codes::kInvalidArgument, name + " cannot be read");
  const Napi::Value buf(env, buffer);
  if (buf.IsArrayBuffer()) {
    Napi::ArrayBuffer ab = buf.As<Napi::ArrayBuffer>();
    if (ab.IsDetached()) throw_error(env, codes::kInvalidArgument, name + " is backed by a detached ArrayBuffer");
    if (offset + length * sizeof(T) > ab.ByteLength())
      throw_error(env, codes::kInvalidArgument, name + " does not fit its ArrayBuffer");
  }
  if (expected_length >= 0 && length != static_cast<size_t>(expected_length))
    throw_error(env, codes::kInvalidArgument,
                name + " must have " + std::to_string(expected_length) + " elements, got " + std::to_string(length));
  if (reinterpret_cast<uintptr_t>(data) % alignof(T) != 0)
    throw_error(env, codes::kInvalidArgument, name + " is not aligned to its element size");
  if (length > 0 && data == nullptr) throw_error(env, codes::kInvalidArgument, name + " has no memory");
  return ArrayView<T>{static_cast<T*>(data), length};
}

template ArrayView<float> typed_array<float>(Napi::Env, const Napi::Value&, const std::string&, int64_t);
template ArrayView<int32_t> typed_array<int32_t>(Napi::Env, const Napi::Value&, const std::string&, int64_t);
template ArrayView<uint32_t> typed_array<uint32_t>(Napi::Env, const Napi::Value&, const std::string&, int64_t);
template ArrayView<uint8_t> typed_array<uint8_t>(Napi::Env, const Napi::Value&, const std::string&, int64_t);
template ArrayView<double> typed_array<double>(Napi::Env, const Napi::Value&, const std::string&, int64_t);

Napi::Object object_arg(Napi::Env env, const Napi::Value& v, const std::string& name) {
  if (!v.IsObject() || v.IsArray() || v.IsFunction())
    throw_error(env, codes::kInvalidArgument, name + " must be an object");
  return v.As<Napi::Object>();
}

bool has(const Napi::Object& o, const char* key) {
  return o.Has(key) && !o.Get(key).IsUndefined();
}

double number(Napi::Env env, const Napi::Value& v, const std::string& name, double lo, double hi) {
  if (!v.IsNumber()) throw_error(env, codes::kInvalidArgument, name + " must be a number");
  const double d = v.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(d) || d < lo || d > hi)
    throw_error(env, codes::kInvalidArgument,
                name + " must be a finite number in [" + fmt(lo) + ", " + fmt(hi) + "], got " + fmt(d));
  return d;
}

int64_t integer(Napi::Env env, const Napi::Value& v, const std::string& name, int64_t lo, int64_t hi) {
  const double d = number(env, v, name, static_cast<double>(lo), static_cast<double>(hi));
  if (std::floor(d) != d) throw_error(env, codes::kInvalidArgument, name + " must be an integer, got " + fmt(d));
  return static_cast<int64_t>(d);
}

bool boolean(Napi::Env env, const Napi::Value& v, const std::string& name) {
  if (!v.IsBoolean()) throw_error(env, codes::kInvalidArgument, name + " must be a boolean");
  return v.As<Napi::Boolean>().Value();
}

std::string string(Napi::Env env, const Napi::Value& v, const std::string& name) {
  if (!v.IsString()) throw_error(env, codes::kInvalidArgument, name + " must be a string");
  std::string s = v.As<Napi::String>().Utf8Value();
  if (s.size() > 4096) throw_error(env, codes::kInvalidArgument, name + " is too long");
  return s;
}

uint64_t seed(Napi::Env env, const Napi::Value& v, const std::string& name) {
  if (v.IsBigInt()) {
    bool lossless = false;
    const uint64_t s = v.As<Napi::BigInt>().Uint64Value(&lossless);
    if (!lossless) throw_error(env, codes::kInvalidArgument, name + " must be a BigInt in [0, 2^64)");
    return s;
  }
  return static_cast<uint64_t>(integer(env, v, name, 0, 9007199254740991LL));
}

double number_or(Napi::Env env, const Napi::Object& o, const char* key, const std::string& owner, double fallback,
                 double lo, double hi) {
  if (!has(o, key)) return fallback;
  return number(env, o.Get(key), owner + "." + key, lo, hi);
}

int64_t integer_or(Napi::Env env, const Napi::Object& o, const char* key, const std::string& owner, int64_t fallback,
                   int64_t lo, int64_t hi) {
  if (!has(o, key)) return fallback;
  return integer(env, o.Get(key), owner + "." + key, lo, hi);
}

Params params(Napi::Env env, const Napi::Value& v, const std::string& name) {
  std::map<std::string, ParamValue> values;
  if (v.IsUndefined() || v.IsNull()) return Params(name, values);
  Napi::Object o = object_arg(env, v, name);
  Napi::Array keys = o.GetPropertyNames();
  if (keys.Length() > 256) throw_error(env, codes::kInvalidParam, name + " has too many keys");
  for (uint32_t i = 0; i < keys.Length(); ++i) {
    const std::string key = keys.Get(i).ToString().Utf8Value();
    const std::string full = name + "." + key;
    Napi::Value x = o.Get(key);
    if (x.IsUndefined()) continue;
    if (x.IsNumber()) {
      values[key] = x.As<Napi::Number>().DoubleValue();
    } else if (x.IsString()) {
      values[key] = string(env, x, full);
    } else if (x.IsArray()) {
      Napi::Array arr = x.As<Napi::Array>();
      if (arr.Length() > 4096) throw_error(env, codes::kInvalidParam, full + " is too long");
      std::vector<double> nums(arr.Length());
      for (uint32_t j = 0; j < arr.Length(); ++j) {
        Napi::Value e = arr.Get(j);
        if (!e.IsNumber()) throw_error(env, codes::kInvalidParam, full + "[" + std::to_string(j) + "] must be a number");
        nums[j] = e.As<Napi::Number>().DoubleValue();
      }
      values[key] = std::move(nums);
    } else {
      throw_error(env, codes::kInvalidParam, full + " must be a number, an array of numbers or a string");
    }
  }
  return Params(name, std::move(values));
}

}  // namespace dilemma::addon

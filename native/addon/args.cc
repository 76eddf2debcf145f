#include "args.hpp"

#include <cmath>
#include <cstring>
#include <new>
#include <sstream>

#include "addon_data.hpp"
#include "errors.hpp"

namespace dilemma::addon {

namespace {
std::string fmt(double v) { return format_number(v); }
}  // namespace

namespace {

// Marks an ArrayBuffer already found fixed-length (which it stays for life),
// so that the getter runs once per buffer rather than once per call.
constexpr napi_type_tag kFixedLength{0x64696c656d6d612eULL, 0x66697865642d6c6eULL};

// Whether buf (an ArrayBuffer) is resizable, by the getter captured at load;
// a getter that fails is taken as a yes.
bool resizable(Napi::Env env, const Napi::Value& buf) {
  const Napi::FunctionReference& getter = data(env).resizable;
  if (getter.IsEmpty()) return false;
  bool fixed = false;
  if (napi_check_object_type_tag(env, buf, &kFixedLength, &fixed) == napi_ok && fixed) return false;
  napi_value result = nullptr;
  bool yes = true;
  if (napi_call_function(env, buf, getter.Value(), 0, nullptr, &result) != napi_ok ||
      napi_get_value_bool(env, result, &yes) != napi_ok) {
    Napi::Error::New(env);  // clears what the failed call left pending
    return true;
  }
  // Tagging fails only for a buffer another addon tagged first: it is then asked again next time.
  if (!yes) napi_type_tag_object(env, buf, &kFixedLength);
  return yes;
}

struct Raw {
  void* data;
  size_t length;
  bool shared;
};

template <typename T>
Raw raw_array(Napi::Env env, const Napi::Value& v, const std::string& name, int64_t expected_length) {
  using Tr = TypedArrayTraits<T>;
  // A Proxy around a typed array is not one (IsTypedArray is false for it).
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
  const bool plain = buf.IsArrayBuffer();
  if (plain) {
    Napi::ArrayBuffer ab = buf.As<Napi::ArrayBuffer>();
    if (ab.IsDetached()) throw_error(env, codes::kInvalidArgument, name + " is backed by a detached ArrayBuffer");
    // A resizable ArrayBuffer can shrink, and its memory be unmapped, while
    // native code still holds a view of it.
    if (resizable(env, buf))
      throw_error(env, codes::kInvalidArgument,
                  name + " is backed by a resizable ArrayBuffer; pass an array over a fixed-length one (e.g. a copy: .slice())");
    if (offset + length * sizeof(T) > ab.ByteLength())
      throw_error(env, codes::kInvalidArgument, name + " does not fit its ArrayBuffer");
  }
  if (expected_length >= 0 && length != static_cast<size_t>(expected_length))
    throw_error(env, codes::kInvalidArgument,
                name + " must have " + std::to_string(expected_length) + " elements, got " + std::to_string(length));
  if (reinterpret_cast<uintptr_t>(data) % alignof(T) != 0)
    throw_error(env, codes::kInvalidArgument, name + " is not aligned to its element size");
  if (length > 0 && data == nullptr) throw_error(env, codes::kInvalidArgument, name + " has no memory");
  return Raw{data, length, !plain};
}

}  // namespace

template <typename T>
ArrayView<T> typed_array(Napi::Env env, const Napi::Value& v, const std::string& name, int64_t expected_length) {
  const Raw r = raw_array<T>(env, v, name, expected_length);
  return ArrayView<T>{static_cast<T*>(r.data), r.length};
}

template <typename T>
ArrayView<T> typed_array(Napi::Env env, const Napi::Value& v, const std::string& name, int64_t expected_length,
                         bool* shared) {
  const Raw r = raw_array<T>(env, v, name, expected_length);
  *shared = r.shared;
  return ArrayView<T>{static_cast<T*>(r.data), r.length};
}

template <typename T>
Input<T> input_array(Napi::Env env, const Napi::Value& v, const std::string& name, int64_t expected_length) {
  const Raw r = raw_array<T>(env, v, name, expected_length);
  Input<T> in;
  in.length_ = r.length;
  in.data_ = static_cast<const T*>(r.data);
  if (r.shared && r.length > 0) {
    try {
      in.copy_.resize(r.length);
    } catch (const std::bad_alloc&) {
      throw_error(env, codes::kOutOfMemory,
                  "out of memory: cannot copy " + name + " (" + std::to_string(r.length) +
                      " elements on a SharedArrayBuffer)");
    }
    // Another thread may be writing: copy with relaxed per-byte semantics is
    // all the memory model offers, and exactly what a snapshot needs.
    std::memcpy(in.copy_.data(), r.data, r.length * sizeof(T));
    in.data_ = in.copy_.data();
  }
  return in;
}

Input<float> finite_input(Napi::Env env, const Napi::Value& v, const std::string& name, int64_t expected_length) {
  Input<float> in = input_array<float>(env, v, name, expected_length);
  const float* x = in.data();
  for (size_t i = 0; i < in.size(); ++i)
    if (!std::isfinite(x[i]))
      throw_error(env, codes::kInvalidArgument,
                  name + "[" + std::to_string(i) + "] is " + fmt(x[i]) + ", not a finite number");
  return in;
}

#define DILEMMA_ARRAYS(T)                                                                          \
  template ArrayView<T> typed_array<T>(Napi::Env, const Napi::Value&, const std::string&, int64_t); \
  template ArrayView<T> typed_array<T>(Napi::Env, const Napi::Value&, const std::string&, int64_t, bool*); \
  template Input<T> input_array<T>(Napi::Env, const Napi::Value&, const std::string&, int64_t);
DILEMMA_ARRAYS(float)
DILEMMA_ARRAYS(int32_t)
DILEMMA_ARRAYS(uint32_t)
DILEMMA_ARRAYS(uint8_t)
DILEMMA_ARRAYS(double)
#undef DILEMMA_ARRAYS

Options::Options(Napi::Env env, const Napi::Value& v, std::string name, std::initializer_list<const char*> keys)
    : env_(env), name_(std::move(name)) {
  Napi::Object o = object_arg(env, v, name_);
  values_.reserve(keys.size());
  for (const char* key : keys) values_.emplace_back(key, o.Get(key));
}

Napi::Value Options::get(const char* key) const {
  for (const auto& [k, value] : values_)
    if (std::strcmp(k, key) == 0) return value;
  throw Error(codes::kInternal, "option " + member(key) + " was not read");
}

double Options::number_or(const char* key, double fallback, double lo, double hi) const {
  const Napi::Value v = get(key);
  return v.IsUndefined() ? fallback : number(env_, v, member(key), lo, hi);
}

int64_t Options::integer_or(const char* key, int64_t fallback, int64_t lo, int64_t hi) const {
  const Napi::Value v = get(key);
  return v.IsUndefined() ? fallback : integer(env_, v, member(key), lo, hi);
}

std::vector<Napi::Value> array_elements(Napi::Env env, const Napi::Value& v, const std::string& name,
                                        uint32_t max_length, const char* what, const std::string& code) {
  if (!v.IsArray()) throw_error(env, code, name + " must be " + what);
  // napi_get_array_length refuses a Proxy of an array (which IsArray accepts).
  uint32_t n = 0;
  if (napi_get_array_length(env, v, &n) != napi_ok) {
    Napi::Error::New(env);  // clears what the failed call left pending
    throw_error(env, code, name + " must be a plain array (not a Proxy)");
  }
  if (n > max_length) throw_error(env, code, name + " has too many entries (at most " + std::to_string(max_length) + ")");
  Napi::Array a = v.As<Napi::Array>();
  std::vector<Napi::Value> out;
  out.reserve(n);
  for (uint32_t i = 0; i < n; ++i) out.push_back(a.Get(i));
  return out;
}

void put(Napi::Object o, const char* key, Napi::Value value) {
  o.DefineProperty(Napi::PropertyDescriptor::Value(key, value, napi_default_jsproperty));
}

void put(Napi::Array a, uint32_t index, Napi::Value value) {
  a.DefineProperty(Napi::PropertyDescriptor::Value(std::to_string(index), value, napi_default_jsproperty));
}

Napi::Array string_array(Napi::Env env, const std::vector<std::string>& items) {
  Napi::Array a = Napi::Array::New(env, items.size());
  for (uint32_t i = 0; i < items.size(); ++i) put(a, i, Napi::String::New(env, items[i]));
  return a;
}

namespace {

void capture_resizable(Napi::Env env, AddonData& d) {
  Napi::Value ctor = env.Global().Get("ArrayBuffer");
  Napi::Value object = env.Global().Get("Object");
  if (!ctor.IsFunction() || !object.IsFunction()) return;
  Napi::Value proto = ctor.As<Napi::Object>().Get("prototype");
  Napi::Value describe = object.As<Napi::Object>().Get("getOwnPropertyDescriptor");
  if (!proto.IsObject() || !describe.IsFunction()) return;
  Napi::Value desc = describe.As<Napi::Function>().Call(object, {proto, Napi::String::New(env, "resizable")});
  if (!desc.IsObject()) return;
  Napi::Value get = desc.As<Napi::Object>().Get("get");
  if (get.IsFunction()) d.resizable = Napi::Persistent(get.As<Napi::Function>());
}

}  // namespace

void capture_intrinsics(Napi::Env env, AddonData& d) {
  // Object.getOwnPropertyDescriptor(ArrayBuffer.prototype, 'resizable').get;
  // where anything is missing (an older runtime), no ArrayBuffer is resizable.
  try {
    capture_resizable(env, d);
  } catch (const Napi::Error&) {
  }
}


Napi::Object object_arg(Napi::Env env, const Napi::Value& v, const std::string& name) {
  if (!v.IsObject() || v.IsArray() || v.IsFunction())
    throw_error(env, codes::kInvalidArgument, name + " must be an object");
  return v.As<Napi::Object>();
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
  if (s.size() > static_cast<size_t>(limits::kMaxStringLength)) throw_error(env, codes::kInvalidArgument, name + " is too long");
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
  const Napi::Value v = o.Get(key);
  return v.IsUndefined() ? fallback : number(env, v, owner + "." + key, lo, hi);
}

int64_t integer_or(Napi::Env env, const Napi::Object& o, const char* key, const std::string& owner, int64_t fallback,
                   int64_t lo, int64_t hi) {
  const Napi::Value v = o.Get(key);
  return v.IsUndefined() ? fallback : integer(env, v, owner + "." + key, lo, hi);
}

Params params(Napi::Env env, const Napi::Value& v, const std::string& name) {
  std::map<std::string, ParamValue> values;
  if (v.IsUndefined() || v.IsNull()) return Params(name, values);
  Napi::Object o = object_arg(env, v, name);
  Napi::Array keys = o.GetPropertyNames();
  if (keys.Length() > static_cast<uint32_t>(limits::kMaxParamKeys)) throw_error(env, codes::kInvalidParam, name + " has too many keys");
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
      const std::vector<Napi::Value> arr = array_elements(env, x, full, limits::kMaxParamArrayLength, "an array of numbers", codes::kInvalidParam);
      std::vector<double> nums(arr.size());
      for (size_t j = 0; j < arr.size(); ++j) {
        const Napi::Value& e = arr[j];
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

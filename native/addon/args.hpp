// Argument checks for values crossing from JavaScript. Everything is treated
// as hostile: wrong types, detached buffers, wrong lengths, non-finite or
// out-of-range numbers all become errors naming the parameter.
#pragma once

#include <napi.h>

#include <cstdint>
#include <string>
#include <vector>

#include "error.hpp"
#include "limits.hpp"
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

// A view of a typed array's memory, no copy, for results the engine writes
// (a SharedArrayBuffer is accepted: writes cannot break the engine). Valid
// until JavaScript runs again: take views only after every member of the
// call's options was read (Options), and copy before going off-thread.
// expected_length < 0 accepts any length.
template <typename T>
ArrayView<T> typed_array(Napi::Env env, const Napi::Value& v, const std::string& name, int64_t expected_length);
// The same, also saying whether the memory belongs to a SharedArrayBuffer.
template <typename T>
ArrayView<T> typed_array(Napi::Env env, const Napi::Value& v, const std::string& name, int64_t expected_length,
                         bool* shared);

// An input array as native code reads it: the caller's memory when only this
// thread can write it, else (a SharedArrayBuffer, which another thread may
// change at any moment) a copy taken before anything looks at the values.
// Either way the values checked are the values used, however often the core
// reads them. Same rules as typed_array otherwise.
template <typename T>
class Input {
 public:
  Input() = default;
  Input(const Input&) = delete;
  Input& operator=(const Input&) = delete;
  Input(Input&& o) noexcept : data_(o.data_), length_(o.length_), copy_(std::move(o.copy_)) {
    if (!copy_.empty()) data_ = copy_.data();
  }
  Input& operator=(Input&& o) noexcept {
    data_ = o.data_;
    length_ = o.length_;
    copy_ = std::move(o.copy_);
    if (!copy_.empty()) data_ = copy_.data();
    return *this;
  }
  const T* data() const { return data_; }
  size_t size() const { return length_; }
  bool copied() const { return !copy_.empty(); }
  // Becomes a copy when its memory overlaps [begin, begin + bytes), memory
  // the call writes: a kernel that writes there while it reads this input
  // would read values it had already overwritten (an `out` one element
  // past its input gives wrong numbers silently). The same memory exactly
  // is copied too, so that no kernel depends on an in-place order.
  void separate_from(const void* begin, size_t bytes) {
    const auto lo = reinterpret_cast<uintptr_t>(data_), other = reinterpret_cast<uintptr_t>(begin);
    if (copied() || length_ == 0 || bytes == 0 || lo >= other + bytes || other >= lo + length_ * sizeof(T)) return;
    copy_.assign(data_, data_ + length_);  // bad_alloc: guard() makes it ERR_OUT_OF_MEMORY
    data_ = copy_.data();
  }

 private:
  template <typename U>
  friend Input<U> input_array(Napi::Env, const Napi::Value&, const std::string&, int64_t);
  const T* data_ = nullptr;
  size_t length_ = 0;
  std::vector<T> copy_;
};

template <typename T>
Input<T> input_array(Napi::Env env, const Napi::Value& v, const std::string& name, int64_t expected_length);

// An input_array<float> whose every value is finite, else an error naming
// the first one that is not (name[i]): for values no computation may start
// from (weights, observations), refused before any work begins.
Input<float> finite_input(Napi::Env env, const Napi::Value& v, const std::string& name, int64_t expected_length);

// The members of an options object, each read exactly once and before
// anything is checked: a getter or a Proxy trap runs once per key, here, so
// it cannot change a value after its check, nor detach or shrink an array
// whose memory native code already points into (every typed_array/
// input_array view is taken after this snapshot). Only the listed keys are
// read; an absent one reads as undefined.
class Options {
 public:
  Options(Napi::Env env, const Napi::Value& v, std::string name, std::initializer_list<const char*> keys);
  Napi::Value get(const char* key) const;
  // Present and not undefined.
  bool has(const char* key) const { return !get(key).IsUndefined(); }
  std::string member(const char* key) const { return name_ + "." + key; }
  const std::string& name() const { return name_; }
  double number_or(const char* key, double fallback, double lo, double hi) const;
  int64_t integer_or(const char* key, int64_t fallback, int64_t lo, int64_t hi) const;

 private:
  Napi::Env env_;
  std::string name_;
  std::vector<std::pair<const char*, Napi::Value>> values_;
};

// The elements of a JavaScript array, each read once (an array's Proxy runs
// its traps here). Refuses anything but an array of at most max_length.
std::vector<Napi::Value> array_elements(Napi::Env env, const Napi::Value& v, const std::string& name,
                                        uint32_t max_length, const char* what,
                                        const std::string& code = codes::kInvalidArgument);

// Sets key on a result object as an own data property: a setter defined on
// Object.prototype would otherwise run the caller's code in the middle of a
// call, with views of arrays already taken.
void put(Napi::Object o, const char* key, Napi::Value value);
// The same for element `index` of an array (Napi::Array::Set would run an
// index setter defined on Array.prototype).
void put(Napi::Array a, uint32_t index, Napi::Value value);
// A new array of these strings, built with put: safe to make after views
// of the call's arrays were taken.
Napi::Array string_array(Napi::Env env, const std::vector<std::string>& items);

struct AddonData;
// Keeps what the argument checks need from the runtime's own objects, read
// once when the addon loads, before a caller could replace them.
void capture_intrinsics(Napi::Env env, AddonData& d);

Napi::Object object_arg(Napi::Env env, const Napi::Value& v, const std::string& name);
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

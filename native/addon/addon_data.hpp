// Per-environment data of the addon (constructors of the wrapped classes), so
// the addon works in worker threads, and helpers to unwrap arguments safely.
#pragma once

#include <napi.h>

#include <string>
#include <type_traits>

#include "errors.hpp"

namespace dilemma::addon {

struct AddonData {
  Napi::FunctionReference game;
  Napi::FunctionReference policy;
  Napi::FunctionReference env;
  // ArrayBuffer.prototype.resizable's getter as it was when the addon
  // loaded (empty where the runtime has none): args.cc asks it about every
  // array, and a caller's later replacement of the property cannot answer.
  Napi::FunctionReference resizable;
};

inline AddonData& data(Napi::Env env) { return *env.GetInstanceData<AddonData>(); }

// Tells V8 about native memory an object holds (bytes > 0) or gave back, so
// that its garbage collector weighs undisposed objects by what they really
// cost. Never throws: it also runs in finalizers and while an environment
// is torn down, where a throw would abort the process.
inline void adjust_external_memory(napi_env env, int64_t bytes) {
  int64_t total = 0;
  if (bytes != 0) napi_adjust_external_memory(env, bytes, &total);
}

// Every wrapped class tags the objects it constructs (Wrap::kTypeTag), and
// an object is taken for an instance only with its class's tag: an object
// that merely has the class's prototype, or another class's instance, would
// otherwise pass InstanceOf or napi_unwrap and be read as the wrong C++ type.
template <typename Wrap>
void tag_instance(const Napi::CallbackInfo& info) {
  info.This().As<Napi::Object>().TypeTag(&Wrap::kTypeTag);
}

template <typename Wrap>
bool is_instance(const Napi::Value& v) {
  return v.IsObject() && v.As<Napi::Object>().CheckTypeTag(&Wrap::kTypeTag);
}

// Unwraps v as an instance of Wrap, or throws naming the argument.
template <typename Wrap>
Wrap* unwrap(Napi::Env env, const Napi::Value& v, const std::string& name, const char* what) {
  if (!is_instance<Wrap>(v)) throw_error(env, codes::kInvalidArgument, name + " must be a " + what);
  return Wrap::Unwrap(v.As<Napi::Object>());
}

// A prototype method or getter that checks its receiver itself, defined on
// the prototype after DefineClass instead of with InstanceMethod: V8's
// receiver check for InstanceMethod throws an uncoded TypeError, and
// accessors get no check at all.
template <typename Wrap, auto Method>
Napi::Value checked_method(const Napi::CallbackInfo& info) {
  if (!is_instance<Wrap>(info.This()))
    throw_error(info.Env(), codes::kInvalidArgument,
                std::string("this must be an instance of ") + Wrap::kClassName + " (the method was called on another object)");
  Wrap* self = Wrap::Unwrap(info.This().As<Napi::Object>());
  if constexpr (std::is_void_v<std::invoke_result_t<decltype(Method), Wrap*, const Napi::CallbackInfo&>>) {
    (self->*Method)(info);
    return info.Env().Undefined();
  } else {
    return (self->*Method)(info);
  }
}

template <typename Wrap, auto Method>
Napi::PropertyDescriptor method(Napi::Env env, const char* name) {
  return Napi::PropertyDescriptor::Value(name, Napi::Function::New<checked_method<Wrap, Method>>(env, name));
}

template <typename Wrap, auto Getter>
Napi::PropertyDescriptor getter(const char* name) {
  return Napi::PropertyDescriptor::Accessor<checked_method<Wrap, Getter>>(name);
}

// Defines such methods on the prototype of a class made by DefineClass.
inline Napi::Function with_methods(Napi::Function ctor, const std::initializer_list<Napi::PropertyDescriptor>& methods) {
  ctor.Get("prototype").As<Napi::Object>().DefineProperties(methods);
  return ctor;
}

// Calling a class without `new`.
[[noreturn]] inline void called_as_function(const Napi::CallbackInfo& info, const char* cls) {
  throw_error(info.Env(), codes::kInvalidArgument, std::string(cls) + " is a class: call it with new");
}

}  // namespace dilemma::addon

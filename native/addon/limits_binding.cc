// limits(): the core's size limits (native/core/limits.hpp) as a plain object,
// the one table TypeScript's LIMITS is generated from.
#include <napi.h>

#include "args.hpp"
#include "errors.hpp"
#include "exports.hpp"
#include "limits.hpp"

namespace dilemma::addon {

Napi::Value Limits(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guard(env, [&]() -> Napi::Value {
    Napi::Object o = Napi::Object::New(env);
    for (const limits::Limit& l : limits::kTable) put(o, l.name, Napi::Number::New(env, l.value));
    return o;
  });
}

Napi::Value LimitDocs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guard(env, [&]() -> Napi::Value {
    Napi::Object o = Napi::Object::New(env);
    for (const limits::Limit& l : limits::kTable) put(o, l.name, Napi::String::New(env, l.doc));
    return o;
  });
}

}  // namespace dilemma::addon

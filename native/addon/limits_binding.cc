// limits(): the core's size limits (native/core/limits.hpp) as rows of name,
// value and doc, the one table TypeScript's LIMITS is generated from.
#include <napi.h>

#include <iterator>

#include "args.hpp"
#include "errors.hpp"
#include "exports.hpp"
#include "limits.hpp"

namespace dilemma::addon {

Napi::Value Limits(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guard(env, [&]() -> Napi::Value {
    Napi::Array rows = Napi::Array::New(env, std::size(limits::kTable));
    uint32_t i = 0;
    for (const limits::Limit& l : limits::kTable) {
      Napi::Object row = Napi::Object::New(env);
      put(row, "name", Napi::String::New(env, l.name));
      put(row, "value", Napi::Number::New(env, l.value));
      put(row, "doc", Napi::String::New(env, l.doc));
      rows.Set(i++, row);
    }
    return rows;
  });
}

}  // namespace dilemma::addon

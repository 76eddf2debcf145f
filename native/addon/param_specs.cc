// gameSpecs() and strategySpecs(): the parameter specs of every registered
// game and strategy as plain objects, the one source TypeScript builds its
// schemas, types and help text from.
#include <napi.h>

#include "param_specs.hpp"

#include "errors.hpp"
#include "exports.hpp"
#include "game.hpp"
#include "policy.hpp"

namespace dilemma::addon {

namespace {

Napi::Object spec_object(Napi::Env env, const ParamSpec& s) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("name", s.name);
  o.Set("type", param_type_name(s.type));
  switch (s.type) {
    case ParamType::kInteger:
    case ParamType::kNumber:
      o.Set("default", s.fallback);
      o.Set("min", s.lo);
      o.Set("max", s.hi);
      break;
    case ParamType::kFlag: o.Set("default", s.fallback != 0); break;
    case ParamType::kChoice:
    case ParamType::kTokens: o.Set("default", s.text_fallback); break;
    case ParamType::kNumbers: break;
    case ParamType::kIntegers: {
      Napi::Array fallback = Napi::Array::New(env, s.list_fallback.size());
      for (uint32_t i = 0; i < s.list_fallback.size(); ++i) fallback.Set(i, s.list_fallback[i]);
      o.Set("default", fallback);
      o.Set("min", s.lo);
      o.Set("max", s.hi);
      break;
    }
  }
  if (!s.has_default) o.Delete("default");
  if (s.type == ParamType::kNumbers || s.type == ParamType::kTokens || s.type == ParamType::kIntegers)
    o.Set("length", static_cast<double>(s.length));
  if (!s.choices.empty()) {
    Napi::Array choices = Napi::Array::New(env, s.choices.size());
    for (uint32_t i = 0; i < s.choices.size(); ++i) choices.Set(i, s.choices[i]);
    o.Set("choices", choices);
  }
  o.Set("doc", s.doc);
  return o;
}

template <typename Lookup, typename Doc>
Napi::Array entries(Napi::Env env, const std::vector<std::string>& ids, const char* key, Lookup lookup, Doc doc) {
  Napi::Array a = Napi::Array::New(env, ids.size());
  for (uint32_t i = 0; i < ids.size(); ++i) {
    Napi::Object o = Napi::Object::New(env);
    o.Set(key, ids[i]);
    if (const std::string d = doc(ids[i]); !d.empty()) o.Set("doc", d);
    o.Set("params", spec_list(env, lookup(ids[i])));
    a.Set(i, o);
  }
  return a;
}

}  // namespace

Napi::Array spec_list(Napi::Env env, const ParamSpecs& specs) {
  Napi::Array a = Napi::Array::New(env, specs.size());
  for (uint32_t i = 0; i < specs.size(); ++i) a.Set(i, spec_object(env, specs[i]));
  return a;
}

Napi::Value GameSpecs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guard(env, [&] { return entries(env, game_ids(), "id", game_params, game_doc); });
}

Napi::Value StrategySpecs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guard(env, [&] { return entries(env, strategy_names(), "name", strategy_params, [](const std::string&) { return std::string(); }); });
}

}  // namespace dilemma::addon

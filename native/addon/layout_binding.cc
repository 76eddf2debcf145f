// gameLayout(game): what a game's observations and actions mean by name, and
// the public facts of its rules, so that JavaScript reads them from the game
// instead of restating offsets or rules.
#include <napi.h>

#include "addon_data.hpp"
#include "args.hpp"
#include "errors.hpp"
#include "game_wrap.hpp"

namespace dilemma::addon {

namespace {

Napi::Array strings(Napi::Env env, const std::vector<std::string>& values) {
  Napi::Array out = Napi::Array::New(env, values.size());
  for (uint32_t i = 0; i < values.size(); ++i) out.Set(i, values[i]);
  return out;
}

Napi::Array fields(Napi::Env env, const std::vector<LayoutField>& list) {
  Napi::Array out = Napi::Array::New(env, list.size());
  for (uint32_t i = 0; i < list.size(); ++i) {
    Napi::Object f = Napi::Object::New(env);
    put(f, "name", Napi::String::New(env, list[i].name));
    put(f, "offset", Napi::Number::New(env, list[i].offset));
    put(f, "size", Napi::Number::New(env, list[i].size));
    put(f, "doc", Napi::String::New(env, list[i].doc));
    out.Set(i, f);
  }
  return out;
}

}  // namespace

Napi::Value GameLayoutOf(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guard(env, [&]() -> Napi::Value {
    const auto game = unwrap<GameWrap>(env, info[0], "game", "Game")->game(env);
    const GameLayout layout = game->layout();
    Napi::Object out = Napi::Object::New(env);
    put(out, "observation", fields(env, layout.observation));
    put(out, "actions", fields(env, layout.actions));
    Napi::Array facts = Napi::Array::New(env, layout.facts.size());
    for (uint32_t i = 0; i < layout.facts.size(); ++i) {
      const GameFact& fact = layout.facts[i];
      Napi::Object f = Napi::Object::New(env);
      put(f, "name", Napi::String::New(env, fact.name));
      Napi::Array numbers = Napi::Array::New(env, fact.numbers.size());
      for (uint32_t k = 0; k < fact.numbers.size(); ++k) numbers.Set(k, fact.numbers[k]);
      put(f, "numbers", numbers);
      put(f, "labels", strings(env, fact.labels));
      put(f, "doc", Napi::String::New(env, fact.doc));
      facts.Set(i, f);
    }
    put(out, "facts", facts);
    return out;
  });
}

}  // namespace dilemma::addon

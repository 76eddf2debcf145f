// engineInfo() and thread settings.
#include <napi.h>

#include "args.hpp"
#include "cuda_loader.hpp"
#include "errors.hpp"
#include "exports.hpp"
#include "game.hpp"
#include "parallel.hpp"
#include "policy.hpp"

namespace dilemma::addon {

namespace {
Napi::Array strings(Napi::Env env, const std::vector<std::string>& v) {
  Napi::Array a = Napi::Array::New(env, v.size());
  for (uint32_t i = 0; i < v.size(); ++i) a.Set(i, v[i]);
  return a;
}
}  // namespace

Napi::Value EngineInfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guard(env, [&] {
    Napi::Object o = Napi::Object::New(env);
    o.Set("threads", default_threads());
    o.Set("hardwareThreads", hardware_threads());
    o.Set("games", strings(env, game_ids()));
    o.Set("strategies", strings(env, strategy_names()));
    o.Set("napiVersion", NAPI_VERSION);
    o.Set("cuda", cuda::status_object(env, cuda::status()));
    return o;
  });
}

Napi::Value SetThreads(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guard(env, [&] {
    set_default_threads(static_cast<int>(integer(env, info[0], "threads", 0, limits::kMaxThreads)));
    return Napi::Number::New(env, default_threads());
  });
}

}  // namespace dilemma::addon

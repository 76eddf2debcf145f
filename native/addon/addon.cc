// Module registration: wrapped classes and free functions.
#include <napi.h>

#include "addon_data.hpp"
#include "args.hpp"
#include "env_wrap.hpp"
#include "exports.hpp"
#include "game_wrap.hpp"
#include "policy_wrap.hpp"
#include "result_pool.hpp"

namespace dilemma::addon {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  auto* d = new AddonData();
  env.SetInstanceData<AddonData>(d);
  capture_intrinsics(env, *d);
  Napi::Function game = GameWrap::Define(env);
  Napi::Function policy = PolicyWrap::Define(env);
  Napi::Function envs = EnvWrap::Define(env);
  d->game = Napi::Persistent(game);
  d->policy = Napi::Persistent(policy);
  d->env = Napi::Persistent(envs);
  exports.Set("Game", game);
  exports.Set("Policy", policy);
  exports.Set("Env", envs);
  exports.Set("strategy", Napi::Function::New<Strategy>(env, "strategy"));
  exports.Set("rollout", Napi::Function::New<Rollout>(env, "rollout"));
  exports.Set("allocateTrajectory", Napi::Function::New<AllocateTrajectory>(env, "allocateTrajectory"));
  exports.Set("RolloutPlan", DefineRolloutPlan(env));
  exports.Set("tournament", Napi::Function::New<Tournament>(env, "tournament"));
  exports.Set("engineInfo", Napi::Function::New<EngineInfo>(env, "engineInfo"));
  exports.Set("gameSpecs", Napi::Function::New<GameSpecs>(env, "gameSpecs"));
  exports.Set("strategySpecs", Napi::Function::New<StrategySpecs>(env, "strategySpecs"));
  exports.Set("setThreads", Napi::Function::New<SetThreads>(env, "setThreads"));
  exports.Set("cudaLoad", Napi::Function::New<CudaLoad>(env, "cudaLoad"));
  exports.Set("ortLoad", Napi::Function::New<OrtLoad>(env, "ortLoad"));
  exports.Set("ortStatus", Napi::Function::New<OrtStatus>(env, "ortStatus"));
  exports.Set("onnxInspect", Napi::Function::New<OnnxInspect>(env, "onnxInspect"));
  exports.Set("onnxPolicy", Napi::Function::New<OnnxPolicy>(env, "onnxPolicy"));
  exports.Set("Trainer", DefineTrainer(env));
  exports.Set("modelPolicy", Napi::Function::New<ModelPolicy>(env, "modelPolicy"));
  exports.Set("gameLayout", Napi::Function::New<GameLayoutOf>(env, "gameLayout"));
  exports.Set("limits", Napi::Function::New<Limits>(env, "limits"));
  InitCredit(env, exports);
  InitLoss(env, exports);
  result_pool::init(env, exports);
  return exports;
}

}  // namespace dilemma::addon

static Napi::Object InitModule(Napi::Env env, Napi::Object exports) { return dilemma::addon::Init(env, exports); }

NODE_API_MODULE(dilemma, InitModule)

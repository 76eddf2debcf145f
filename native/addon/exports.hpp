// The addon's free functions, one concern per file; addon.cc registers them.
#pragma once

#include <napi.h>

namespace dilemma::addon {

Napi::Value Rollout(const Napi::CallbackInfo& info);     // rollout_worker.cc
Napi::Value AllocateTrajectory(const Napi::CallbackInfo& info);  // rollout_worker.cc
Napi::Function DefineRolloutPlan(Napi::Env env);         // rollout_plan.cc
Napi::Value Tournament(const Napi::CallbackInfo& info);  // tournament_worker.cc
Napi::Value Strategy(const Napi::CallbackInfo& info);    // policy_wrap.cc
Napi::Value EngineInfo(const Napi::CallbackInfo& info);  // info.cc
Napi::Value SetThreads(const Napi::CallbackInfo& info);  // info.cc
Napi::Value GameSpecs(const Napi::CallbackInfo& info);      // param_specs.cc
Napi::Value StrategySpecs(const Napi::CallbackInfo& info);  // param_specs.cc
Napi::Value CudaLoad(const Napi::CallbackInfo& info);    // cuda_loader.cc
Napi::Value OrtLoad(const Napi::CallbackInfo& info);      // onnx_binding.cc
Napi::Value OrtStatus(const Napi::CallbackInfo& info);    // onnx_binding.cc
Napi::Value OnnxInspect(const Napi::CallbackInfo& info);  // onnx_binding.cc
Napi::Value OnnxPolicy(const Napi::CallbackInfo& info);   // onnx_binding.cc
Napi::Function DefineTrainer(Napi::Env env);             // trainer_wrap.cc
Napi::Value ModelPolicy(const Napi::CallbackInfo& info);  // trainer_wrap.cc
Napi::Object InitCredit(Napi::Env env, Napi::Object exports);  // credit_binding.cc
Napi::Object InitLoss(Napi::Env env, Napi::Object exports);    // loss_binding.cc
Napi::Value GameLayoutOf(const Napi::CallbackInfo& info);       // layout_binding.cc
Napi::Value Limits(const Napi::CallbackInfo& info);             // limits_binding.cc

}  // namespace dilemma::addon

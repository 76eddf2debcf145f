#pragma once

#include <napi.h>

#include <memory>

#include "env.hpp"

namespace dilemma::addon {

// new Env(game, { batch, seed, streams? }): a batch of environments driven
// step by step from JavaScript.
class EnvWrap : public Napi::ObjectWrap<EnvWrap> {
 public:
  static constexpr napi_type_tag kTypeTag{0x64696c656d6d612eULL, 0x456e760000000002ULL};
  static constexpr const char* kClassName = "Env";
  static Napi::Function Define(Napi::Env env);
  static Napi::Value OnCalledAsFunction(const Napi::CallbackInfo& info);
  explicit EnvWrap(const Napi::CallbackInfo& info);
  void Finalize(Napi::Env env) override;

 private:
  EnvBatch& envs(Napi::Env env);
  Napi::Value Reset(const Napi::CallbackInfo& info);
  Napi::Value Observe(const Napi::CallbackInfo& info);
  Napi::Value Step(const Napi::CallbackInfo& info);
  Napi::Value Clone(const Napi::CallbackInfo& info);
  Napi::Value Returns(const Napi::CallbackInfo& info);
  Napi::Value StepsTaken(const Napi::CallbackInfo& info);
  Napi::Value Dones(const Napi::CallbackInfo& info);
  void Dispose(const Napi::CallbackInfo& info);

  std::unique_ptr<EnvBatch> envs_;
  int64_t external_bytes_ = 0;
};

}  // namespace dilemma::addon

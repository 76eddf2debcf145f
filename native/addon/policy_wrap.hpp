#pragma once

#include <napi.h>

#include <memory>

#include "policy.hpp"

namespace dilemma::addon {

// A native policy handle. Created by factory functions (strategy(), ...), not
// by `new` from JavaScript.
class PolicyWrap : public Napi::ObjectWrap<PolicyWrap> {
 public:
  static constexpr napi_type_tag kTypeTag{0x64696c656d6d612eULL, 0x506f6c6963790003ULL};
  static constexpr const char* kClassName = "Policy";
  static Napi::Function Define(Napi::Env env);
  static Napi::Value OnCalledAsFunction(const Napi::CallbackInfo& info);
  // external_bytes: native memory the policy holds (an ONNX session, a
  // model's parameters), reported to V8 until dispose() or finalization.
  static Napi::Object Wrap(Napi::Env env, std::shared_ptr<const Policy> policy, int64_t external_bytes = 0);
  explicit PolicyWrap(const Napi::CallbackInfo& info);
  void Finalize(Napi::Env env) override;
  const std::shared_ptr<const Policy>& policy(Napi::Env env) const;

 private:
  Napi::Value Name(const Napi::CallbackInfo& info);
  void Dispose(const Napi::CallbackInfo& info);
  Napi::Value Weights(const Napi::CallbackInfo& info);
  void SetWeights(const Napi::CallbackInfo& info);
  std::shared_ptr<const Policy> policy_;
  int64_t external_bytes_ = 0;
};

// An ONNX policy's settable weights ([{ name, type, shape }], empty for
// others), and writing them in place (onnx_binding.cc).
Napi::Array onnx_weights(Napi::Env env, const Policy& policy);
void onnx_set_weights(Napi::Env env, const std::shared_ptr<const Policy>& policy, const Napi::Value& names,
                      const Napi::Value& arrays);

// strategy(name, params) -> policy handle
Napi::Value Strategy(const Napi::CallbackInfo& info);

}  // namespace dilemma::addon

#include "policy_wrap.hpp"

#include "addon_data.hpp"
#include "args.hpp"
#include "errors.hpp"

namespace dilemma::addon {

namespace {
// Only Wrap() may construct: it passes this token as the first argument.
constexpr const char* kToken = "dilemma.policy.internal";
thread_local std::shared_ptr<const Policy> pending;
thread_local int64_t pending_bytes = 0;
}  // namespace

Napi::Function PolicyWrap::Define(Napi::Env env) {
  return with_methods(DefineClass(env, "Policy", {}), {getter<PolicyWrap, &PolicyWrap::Name>("name"),
                                                      method<PolicyWrap, &PolicyWrap::Dispose>(env, "dispose"),
                                                      method<PolicyWrap, &PolicyWrap::Weights>(env, "weights"),
                                                      method<PolicyWrap, &PolicyWrap::SetWeights>(env, "setWeights")});
}

Napi::Value PolicyWrap::OnCalledAsFunction(const Napi::CallbackInfo& info) { called_as_function(info, kClassName); }

Napi::Object PolicyWrap::Wrap(Napi::Env env, std::shared_ptr<const Policy> policy, int64_t external_bytes) {
  pending = std::move(policy);
  pending_bytes = external_bytes;
  Napi::Object o;
  try {
    o = data(env).policy.New({Napi::String::New(env, kToken)});
  } catch (...) {
    pending.reset();
    throw;
  }
  pending.reset();
  return o;
}

PolicyWrap::PolicyWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<PolicyWrap>(info) {
  if (info.Length() < 1 || !info[0].IsString() || info[0].As<Napi::String>().Utf8Value() != kToken || !pending)
    throw_error(info.Env(), codes::kInvalidArgument, "policies are made by factory functions such as strategy()");
  policy_ = pending;
  pending.reset();
  external_bytes_ = pending_bytes;
  adjust_external_memory(info.Env(), external_bytes_);
  tag_instance<PolicyWrap>(info);
}

void PolicyWrap::Finalize(Napi::Env env) {
  adjust_external_memory(env, -external_bytes_);
  external_bytes_ = 0;
}

const std::shared_ptr<const Policy>& PolicyWrap::policy(Napi::Env env) const {
  if (!policy_) throw_error(env, codes::kDisposed, "the policy was disposed");
  return policy_;
}

Napi::Value PolicyWrap::Name(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), policy(info.Env())->name());
}

void PolicyWrap::Dispose(const Napi::CallbackInfo& info) {
  policy_.reset();
  adjust_external_memory(info.Env(), -external_bytes_);
  external_bytes_ = 0;
}

Napi::Value PolicyWrap::Weights(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guard(env, [&]() -> Napi::Value { return onnx_weights(env, *policy(env)); });
}

// setWeights(names, Float32Arrays): new values for an ONNX policy's weights, in place.
void PolicyWrap::SetWeights(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  guard(env, [&] {
    onnx_set_weights(env, policy(env), info[0], info[1]);
    return env.Undefined();
  });
}

Napi::Value Strategy(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guard(env, [&] {
    const std::string name = string(env, info[0], "strategy");
    return PolicyWrap::Wrap(env, make_strategy(name, params(env, info[1], "params")));
  });
}

}  // namespace dilemma::addon

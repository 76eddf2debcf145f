// The module: every reference loop, registered by its own file.
#include "registry.hpp"

namespace {

Napi::Object init(Napi::Env env, Napi::Object exports) {
  using namespace dilemma::reference;
  register_ipd_train(env, exports);
  register_ipd_rollout(env, exports);
  register_ipd_tournament(env, exports);
  register_credit_aa(env, exports);
  return exports;
}

}  // namespace

NODE_API_MODULE(dilemma_reference, init)

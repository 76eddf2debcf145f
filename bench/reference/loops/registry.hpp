// Each reference loop file adds its functions to the module's exports.
#pragma once

#include <napi.h>

namespace dilemma::reference {

void register_ipd_train(Napi::Env env, Napi::Object exports);
void register_ipd_rollout(Napi::Env env, Napi::Object exports);
void register_ipd_tournament(Napi::Env env, Napi::Object exports);
void register_credit_aa(Napi::Env env, Napi::Object exports);

}  // namespace dilemma::reference

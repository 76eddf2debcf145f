// Parameter specs as the plain objects TypeScript reads (src/schema.ts
// ParamSpec): gameSpecs(), strategySpecs() and the trainer's specs.
#pragma once

#include <napi.h>

#include "params.hpp"

namespace dilemma::addon {

Napi::Array spec_list(Napi::Env env, const ParamSpecs& specs);

}  // namespace dilemma::addon

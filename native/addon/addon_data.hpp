// Per-environment data of the addon (constructors of the wrapped classes), so
// the addon works in worker threads, and helpers to unwrap arguments safely.
#pragma once

#include <napi.h>

#include <string>

#include "errors.hpp"

namespace dilemma::addon {

struct AddonData {
  Napi::FunctionReference game;
  Napi::FunctionReference policy;
  Napi::FunctionReference env;
};

inline AddonData& data(Napi::Env env) { return *env.GetInstanceData<AddonData>(); }

// Unwraps v as an instance of Wrap (created by ctor), or throws naming the argument.
template <typename Wrap>
Wrap* unwrap(Napi::Env env, const Napi::Value& v, const Napi::FunctionReference& ctor, const std::string& name,
             const char* what) {
  if (!v.IsObject() || !v.As<Napi::Object>().InstanceOf(ctor.Value()))
    throw_error(env, codes::kInvalidArgument, name + " must be a " + what);
  return Wrap::Unwrap(v.As<Napi::Object>());
}

}  // namespace dilemma::addon

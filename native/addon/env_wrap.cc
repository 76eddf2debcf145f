#include "env_wrap.hpp"

#include "addon_data.hpp"
#include "args.hpp"
#include "errors.hpp"
#include "game_wrap.hpp"
#include "typed_out.hpp"

namespace dilemma::addon {

namespace {
// A pointer handed to the constructor by Clone(): copying an EnvBatch is the clone.
thread_local const EnvBatch* cloning = nullptr;
constexpr const char* kCloneToken = "dilemma.env.clone";

int64_t footprint(const EnvBatch& e) {
  const GameInfo& g = e.game().info();
  return e.batch() * (static_cast<int64_t>(g.state_size) * 4 + g.agents * 4 + 13);
}
}  // namespace

Napi::Function EnvWrap::Define(Napi::Env env) {
  return with_methods(DefineClass(env, "Env", {}),
                      {method<EnvWrap, &EnvWrap::Reset>(env, "reset"), method<EnvWrap, &EnvWrap::Observe>(env, "observe"),
                       method<EnvWrap, &EnvWrap::Step>(env, "step"), method<EnvWrap, &EnvWrap::Clone>(env, "clone"),
                       method<EnvWrap, &EnvWrap::Returns>(env, "returns"),
                       method<EnvWrap, &EnvWrap::StepsTaken>(env, "stepsTaken"),
                       method<EnvWrap, &EnvWrap::Dones>(env, "dones"), method<EnvWrap, &EnvWrap::Dispose>(env, "dispose")});
}

Napi::Value EnvWrap::OnCalledAsFunction(const Napi::CallbackInfo& info) { called_as_function(info, kClassName); }

EnvWrap::EnvWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<EnvWrap>(info) {
  Napi::Env env = info.Env();
  guard(env, [&] {
    if (info.Length() >= 1 && info[0].IsString() && info[0].As<Napi::String>().Utf8Value() == kCloneToken && cloning) {
      envs_ = std::make_unique<EnvBatch>(*cloning);
    } else {
      GameWrap* g = unwrap<GameWrap>(env, info[0], "game", "Game");
      Napi::Object o = object_arg(env, info[1], "options");
      const int64_t batch = integer(env, o.Get("batch"), "options.batch", 1, (int64_t{1} << 31) - 1);
      const uint64_t s = has(o, "seed") ? seed(env, o.Get("seed"), "options.seed") : 0;
      std::vector<uint32_t> streams;
      if (has(o, "streams")) {
        auto v = typed_array<uint32_t>(env, o.Get("streams"), "options.streams", batch);
        streams.assign(v.data, v.data + v.length);
      }
      envs_ = std::make_unique<EnvBatch>(g->game(env), batch, s, std::move(streams));
    }
    external_bytes_ = footprint(*envs_);
    Napi::MemoryManagement::AdjustExternalMemory(env, external_bytes_);
  });
  tag_instance<EnvWrap>(info);
}

EnvBatch& EnvWrap::envs(Napi::Env env) {
  if (!envs_) throw_error(env, codes::kDisposed, "the environment batch was disposed");
  return *envs_;
}

Napi::Value EnvWrap::Observe(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guard(env, [&] {
    EnvBatch& e = envs(env);
    const GameInfo& g = e.game().info();
    auto obs = new_array<float>(env, e.batch() * g.agents * g.obs_dim);
    e.observe(0, e.batch(), obs.Data());
    return obs;
  });
}

Napi::Value EnvWrap::Reset(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guard(env, [&] {
    EnvBatch& e = envs(env);
    e.reset(0, e.batch());
    return Observe(info);
  });
}

Napi::Value EnvWrap::Step(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guard(env, [&] {
    EnvBatch& e = envs(env);
    const GameInfo& g = e.game().info();
    auto actions = typed_array<int32_t>(env, info[0], "actions", e.batch() * g.agents);
    e.check_actions(actions.data);
    auto rewards = new_array<float>(env, e.batch() * g.agents);
    auto dones = new_array<uint8_t>(env, e.batch());
    e.step(0, e.batch(), actions.data, rewards.Data(), dones.Data(), nullptr);
    Napi::Object out = Napi::Object::New(env);
    out.Set("observations", Observe(info));
    out.Set("rewards", rewards);
    out.Set("dones", dones);
    return out;
  });
}

Napi::Value EnvWrap::Clone(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guard(env, [&] {
    cloning = &envs(env);
    Napi::Object copy;
    try {
      copy = data(env).env.New({Napi::String::New(env, kCloneToken)});
    } catch (...) {
      cloning = nullptr;
      throw;
    }
    cloning = nullptr;
    return copy;
  });
}

Napi::Value EnvWrap::Returns(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guard(env, [&] {
    EnvBatch& e = envs(env);
    const int64_t n = e.batch() * e.game().info().agents;
    auto out = new_array<float>(env, n);
    std::copy(e.returns(), e.returns() + n, out.Data());
    return out;
  });
}

Napi::Value EnvWrap::StepsTaken(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guard(env, [&] {
    EnvBatch& e = envs(env);
    auto out = new_array<int32_t>(env, e.batch());
    for (int64_t b = 0; b < e.batch(); ++b) out.Data()[b] = e.steps_taken(b);
    return out;
  });
}

Napi::Value EnvWrap::Dones(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guard(env, [&] {
    EnvBatch& e = envs(env);
    auto out = new_array<uint8_t>(env, e.batch());
    for (int64_t b = 0; b < e.batch(); ++b) out.Data()[b] = e.done(b) ? 1 : 0;
    return out;
  });
}

void EnvWrap::Finalize(Napi::Env env) {
  if (external_bytes_) Napi::MemoryManagement::AdjustExternalMemory(env, -external_bytes_);
  external_bytes_ = 0;
}

void EnvWrap::Dispose(const Napi::CallbackInfo& info) {
  if (!envs_) return;
  envs_.reset();
  Napi::MemoryManagement::AdjustExternalMemory(info.Env(), -external_bytes_);
  external_bytes_ = 0;
}

}  // namespace dilemma::addon

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
      const Options o(env, info[1], "options", {"batch", "seed", "streams"});
      const int64_t batch = integer(env, o.get("batch"), "options.batch", 1, limits::kMaxBatch);
      const uint64_t s = o.has("seed") ? seed(env, o.get("seed"), "options.seed") : 0;
      std::vector<uint32_t> streams;
      if (o.has("streams")) {
        auto v = input_array<uint32_t>(env, o.get("streams"), "options.streams", batch);
        streams.assign(v.data(), v.data() + v.size());
      }
      const std::shared_ptr<const Game>& game = g->game(env);
      // Every array the batch hands back (observations the largest) must fit
      // in one result array.
      const GameInfo& gi = game->info();
      check_result_bytes("options.batch = " + std::to_string(batch) + ": observations [batch, agents, obsDim]",
                         checked_elements("observations", {batch, gi.agents, gi.obs_dim}), sizeof(float),
                         "use a smaller options.batch");
      envs_ = std::make_unique<EnvBatch>(game, batch, s, std::move(streams));
    }
    external_bytes_ = footprint(*envs_);
    adjust_external_memory(env, external_bytes_);
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
    // Checked and stepped from one snapshot: a SharedArrayBuffer's actions
    // could otherwise change between the check and the step.
    const Input<int32_t> actions = input_array<int32_t>(env, info[0], "actions", e.batch() * g.agents);
    e.check_actions(actions.data());
    auto rewards = new_array<float>(env, e.batch() * g.agents);
    auto dones = new_array<uint8_t>(env, e.batch());
    e.step(0, e.batch(), actions.data(), rewards.Data(), dones.Data(), nullptr);
    Napi::Object out = Napi::Object::New(env);
    constexpr auto kData = napi_default_jsproperty;
    out.DefineProperties({Napi::PropertyDescriptor::Value("observations", Observe(info), kData),
                          Napi::PropertyDescriptor::Value("rewards", rewards, kData),
                          Napi::PropertyDescriptor::Value("dones", dones, kData)});
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
  if (external_bytes_) adjust_external_memory(env, -external_bytes_);
  external_bytes_ = 0;
}

void EnvWrap::Dispose(const Napi::CallbackInfo& info) {
  if (!envs_) return;
  envs_.reset();
  adjust_external_memory(info.Env(), -external_bytes_);
  external_bytes_ = 0;
}

}  // namespace dilemma::addon

// rollout(game, policies, options) -> Promise<trajectory>. Arguments are
// checked and copied into a plain struct on the main thread; the output
// typed arrays are allocated there too (unreachable from JavaScript until the
// promise resolves), and the core fills them off the event loop.
#include <napi.h>

#include "addon_data.hpp"
#include "args.hpp"
#include "errors.hpp"
#include "exports.hpp"
#include "game_wrap.hpp"
#include "policy_wrap.hpp"
#include "rollout.hpp"
#include "typed_out.hpp"

namespace dilemma::addon {

namespace {

struct RolloutJob {
  std::shared_ptr<const Game> game;
  std::vector<std::shared_ptr<const Policy>> policies;
  RolloutOptions options;
  TrajectoryView out{};
};

class RolloutWorker : public Napi::AsyncWorker {
 public:
  RolloutWorker(Napi::Env env, RolloutJob job, Napi::Object result)
      : Napi::AsyncWorker(env, "dilemma.rollout"), job_(std::move(job)), deferred_(Napi::Promise::Deferred::New(env)) {
    result_ = Napi::Persistent(result);
  }
  Napi::Promise Promise() const { return deferred_.Promise(); }

  void Execute() override {
    try {
      rollout(job_.game, job_.policies, job_.options, job_.out);
    } catch (...) {
      failure_ = current_failure();
      SetError(failure_.message);
    }
  }
  void OnOK() override { deferred_.Resolve(result_.Value()); }
  void OnError(const Napi::Error&) override {
    deferred_.Reject(make_error(Env(), failure_.code, failure_.message).Value());
  }

 private:
  RolloutJob job_;
  Napi::Promise::Deferred deferred_;
  Napi::ObjectReference result_;
  Failure failure_;
};

}  // namespace

Napi::Value Rollout(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guard(env, [&]() -> Napi::Value {
    RolloutJob job;
    job.game = unwrap<GameWrap>(env, info[0], "game", "Game")->game(env);
    if (!info[1].IsArray()) throw_error(env, codes::kInvalidArgument, "policies must be an array of policies");
    Napi::Array ps = info[1].As<Napi::Array>();
    if (ps.Length() > 1024) throw_error(env, codes::kInvalidArgument, "policies has too many entries");
    for (uint32_t i = 0; i < ps.Length(); ++i) {
      const std::string name = "policies[" + std::to_string(i) + "]";
      job.policies.push_back(unwrap<PolicyWrap>(env, ps.Get(i), name, "Policy")->policy(env));
    }
    Napi::Object o = object_arg(env, info[2], "options");
    RolloutOptions& opt = job.options;
    opt.batch = integer(env, o.Get("batch"), "options.batch", 1, (int64_t{1} << 31) - 1);
    opt.steps = static_cast<int>(integer_or(env, o, "steps", "options", 0, 1, 1 << 24));
    opt.seed = has(o, "seed") ? seed(env, o.Get("seed"), "options.seed") : 0;
    opt.threads = static_cast<int>(integer_or(env, o, "threads", "options", 0, 1, 1024));
    opt.temperature = static_cast<float>(number_or(env, o, "temperature", "options", 1.0, 1e-6, 1e6));
    if (has(o, "greedy")) opt.greedy = boolean(env, o.Get("greedy"), "options.greedy");
    if (has(o, "groups")) {
      auto g = typed_array<uint32_t>(env, o.Get("groups"), "options.groups", opt.batch);
      opt.groups.assign(g.data, g.data + g.length);
    }
    check_policies(*job.game, job.policies);
    const TrajectorySizes n = trajectory_sizes(*job.game, opt);

    Napi::Object result = Napi::Object::New(env);
    auto obs = new_array<float>(env, n.obs);
    auto actions = new_array<int32_t>(env, n.per_agent);
    auto logp = new_array<float>(env, n.per_agent);
    auto entropy = new_array<float>(env, n.per_agent);
    auto rewards = new_array<float>(env, n.per_agent);
    auto dones = new_array<uint8_t>(env, n.per_step);
    auto mask = new_array<uint8_t>(env, n.per_step);
    result.Set("observations", obs);
    result.Set("actions", actions);
    result.Set("logProbs", logp);
    result.Set("entropies", entropy);
    result.Set("rewards", rewards);
    result.Set("dones", dones);
    result.Set("mask", mask);
    result.Set("steps", rollout_steps(*job.game, opt));
    const int n_stats = job.game->stat_count();
    auto stats = new_array<int32_t>(env, opt.batch * n_stats);
    result.Set("stats", stats);
    Napi::Array stat_names = Napi::Array::New(env, n_stats);
    const auto names = job.game->stat_names();
    for (int k = 0; k < n_stats; ++k) stat_names.Set(k, names[k]);
    result.Set("statNames", stat_names);
    job.out = TrajectoryView{obs.Data(),     actions.Data(), logp.Data(), entropy.Data(), rewards.Data(),
                             dones.Data(),   mask.Data(),    n_stats ? stats.Data() : nullptr};

    auto* worker = new RolloutWorker(env, std::move(job), result);
    Napi::Promise promise = worker->Promise();
    worker->Queue();
    return promise;
  });
}

}  // namespace dilemma::addon

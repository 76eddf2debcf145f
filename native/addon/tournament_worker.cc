// tournament(game, players, { repetitions, steps?, seed?, threads? }) ->
// Promise<{ meanReturn: Float64Array [n, n, 2], action0Rate: Float64Array [n, n, 2] }>:
// every ordered pair in one call, off the event loop.
#include <napi.h>

#include "addon_data.hpp"
#include "args.hpp"
#include "errors.hpp"
#include "exports.hpp"
#include "game_wrap.hpp"
#include "policy_wrap.hpp"
#include "tournament.hpp"

namespace dilemma::addon {

namespace {

class TournamentWorker : public Napi::AsyncWorker {
 public:
  TournamentWorker(Napi::Env env, std::shared_ptr<const Game> game, std::vector<std::shared_ptr<const Policy>> players,
                   RolloutOptions options)
      : Napi::AsyncWorker(env, "dilemma.tournament"), game_(std::move(game)), players_(std::move(players)),
        options_(std::move(options)), deferred_(Napi::Promise::Deferred::New(env)) {}
  Napi::Promise Promise() const { return deferred_.Promise(); }
  void Execute() override {
    try {
      result_ = run_tournament(game_, players_, options_);
    } catch (...) {
      failure_ = current_failure();
      SetError(failure_.message);
    }
  }
  void OnOK() override {
    Napi::Env env = Env();
    auto copy = [&](const std::vector<double>& v) {
      auto a = Napi::Float64Array::New(env, v.size());
      std::copy(v.begin(), v.end(), a.Data());
      return a;
    };
    Napi::Object o = Napi::Object::New(env);
    o.Set("meanReturn", copy(result_.mean_return));
    o.Set("action0Rate", copy(result_.action0_rate));
    deferred_.Resolve(o);
  }
  void OnError(const Napi::Error&) override {
    deferred_.Reject(make_error(Env(), failure_.code, failure_.message).Value());
  }

 private:
  std::shared_ptr<const Game> game_;
  std::vector<std::shared_ptr<const Policy>> players_;
  RolloutOptions options_;
  Napi::Promise::Deferred deferred_;
  TournamentResult result_;
  Failure failure_;
};

}  // namespace

Napi::Value Tournament(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guard(env, [&]() -> Napi::Value {
    auto game = unwrap<GameWrap>(env, info[0], "game", "Game")->game(env);
    if (!info[1].IsArray()) throw_error(env, codes::kInvalidArgument, "players must be an array of policies");
    Napi::Array ps = info[1].As<Napi::Array>();
    if (ps.Length() < 1 || ps.Length() > 1024) throw_error(env, codes::kInvalidArgument, "players must have 1 to 1024 entries");
    std::vector<std::shared_ptr<const Policy>> players;
    for (uint32_t i = 0; i < ps.Length(); ++i)
      players.push_back(unwrap<PolicyWrap>(env, ps.Get(i), "players[" + std::to_string(i) + "]", "Policy")->policy(env));
    Napi::Object o = object_arg(env, info[2], "options");
    RolloutOptions opt;
    opt.batch = integer(env, o.Get("repetitions"), "options.repetitions", 1, 1 << 24);
    opt.steps = static_cast<int>(integer_or(env, o, "steps", "options", 0, 1, 1 << 24));
    opt.seed = has(o, "seed") ? seed(env, o.Get("seed"), "options.seed") : 0;
    opt.threads = static_cast<int>(integer_or(env, o, "threads", "options", 0, 1, 1024));
    trajectory_sizes(*game, opt);
    auto* worker = new TournamentWorker(env, game, std::move(players), opt);
    Napi::Promise p = worker->Promise();
    worker->Queue();
    return p;
  });
}

}  // namespace dilemma::addon

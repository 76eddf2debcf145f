// tournament(game, players, { repetitions, steps?, seed?, threads?, pairs? }) ->
// Promise<{ meanReturn: Float64Array [n, n, 2], action0Rate: Float64Array [n, n, 2] }>:
// every ordered pair in one call, off the event loop. With pairs (an
// Int32Array of [row, column] indices, flattened) only those pairs play and
// the arrays are [pairs, 2]; a large round-robin is split this way into jobs.
// Quick tournaments of scripted pairs run on the calling thread.
#include <napi.h>

#include "addon_data.hpp"
#include "args.hpp"
#include "errors.hpp"
#include "exports.hpp"
#include "game_wrap.hpp"
#include "policy_wrap.hpp"
#include "promise_worker.hpp"
#include "tournament.hpp"

namespace dilemma::addon {

namespace {

Napi::Object result_object(Napi::Env env, const TournamentResult& r) {
  auto copy = [&](const std::vector<double>& v) {
    auto a = Napi::Float64Array::New(env, v.size());
    std::copy(v.begin(), v.end(), a.Data());
    return a;
  };
  Napi::Object o = Napi::Object::New(env);
  put(o, "meanReturn", copy(r.mean_return));
  put(o, "action0Rate", copy(r.action0_rate));
  return o;
}

class TournamentWorker : public PromiseWorker {
 public:
  TournamentWorker(Napi::Env env, std::shared_ptr<const Game> game, std::vector<std::shared_ptr<const Policy>> players,
                   std::vector<std::pair<int, int>> pairs, RolloutOptions options)
      : PromiseWorker(env, "dilemma.tournament"), game_(std::move(game)), players_(std::move(players)),
        pairs_(std::move(pairs)), options_(std::move(options)) {}

 protected:
  void Run() override {
    result_ = pairs_.empty() ? run_tournament(game_, players_, options_) : run_tournament_pairs(game_, players_, pairs_, options_);
  }
  Napi::Value Result(Napi::Env env) override { return result_object(env, result_); }

 private:
  std::shared_ptr<const Game> game_;
  std::vector<std::shared_ptr<const Policy>> players_;
  std::vector<std::pair<int, int>> pairs_;
  RolloutOptions options_;
  TournamentResult result_;
};

}  // namespace

Napi::Value Tournament(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guard(env, [&]() -> Napi::Value {
    auto game = unwrap<GameWrap>(env, info[0], "game", "Game")->game(env);
    const std::vector<Napi::Value> ps = array_elements(env, info[1], "players", limits::kMaxPolicies, "an array of policies");
    if (ps.empty()) throw_error(env, codes::kInvalidArgument, "players must have 1 to " + std::to_string(limits::kMaxPolicies) + " entries");
    const Options o(env, info[2], "options", {"repetitions", "steps", "seed", "threads", "pairs"});
    std::vector<std::shared_ptr<const Policy>> players;
    for (size_t i = 0; i < ps.size(); ++i)
      players.push_back(unwrap<PolicyWrap>(env, ps[i], "players[" + std::to_string(i) + "]", "Policy")->policy(env));
    RolloutOptions opt;
    opt.batch = integer(env, o.get("repetitions"), "options.repetitions", 1, limits::kMaxRolloutSteps);
    opt.steps = static_cast<int>(o.integer_or("steps", 0, 1, limits::kMaxRolloutSteps));
    opt.seed = o.has("seed") ? seed(env, o.get("seed"), "options.seed") : 0;
    opt.threads = static_cast<int>(o.integer_or("threads", 0, 1, limits::kMaxThreads));
    std::vector<std::pair<int, int>> pairs;
    if (o.has("pairs")) {
      const Input<int32_t> p = input_array<int32_t>(env, o.get("pairs"), "options.pairs", -1);
      if (p.size() < 2 || p.size() % 2 != 0 || p.size() > (size_t{1} << 25))
        throw_error(env, codes::kInvalidArgument, "options.pairs must hold 1 to 2^24 [row, column] pairs (an even length)");
      pairs.reserve(p.size() / 2);
      for (size_t k = 0; k < p.size(); k += 2) {
        const int32_t i = p.data()[k], j = p.data()[k + 1];
        if (i < 0 || j < 0 || static_cast<size_t>(i) >= players.size() || static_cast<size_t>(j) >= players.size())
          throw_error(env, codes::kInvalidArgument,
                      "options.pairs[" + std::to_string(k / 2) + "] must index players (0 to " + std::to_string(players.size() - 1) + ")");
        pairs.emplace_back(i, j);
      }
    }
    trajectory_sizes(*game, opt);
    // Quick tournaments run before the call returns (the promise still
    // settles on a later turn): the trip to a worker thread and back would
    // cost more than they do.
    const size_t count = pairs.empty() ? players.size() * players.size() : pairs.size();
    const std::vector<std::pair<int, int>> listed =
        pairs.empty() && count <= (size_t{1} << 20) ? round_robin_pairs(static_cast<int>(players.size())) : pairs;
    if (count <= (size_t{1} << 20) && tournament_is_quick(*game, players, listed, opt)) {
      TournamentResult r;
      return settled_now(
          env, [&] { r = run_tournament_pairs(game, players, listed, opt); }, [&] { return result_object(env, r); });
    }
    auto* worker = new TournamentWorker(env, game, std::move(players), std::move(pairs), opt);
    Napi::Promise p = worker->Promise();
    worker->Queue();
    return p;
  });
}

}  // namespace dilemma::addon

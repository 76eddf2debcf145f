// The tournament's lane path (eight scripted pairs per register) against
// the per-pair path it replaces: every entry bit for bit, on 1, 2 and 3
// threads.
#include <map>
#include <vector>

#include "../core/rollout.hpp"
#include "../core/tournament.hpp"
#include "../core/tournament_lanes.hpp"
#include "check.hpp"

using namespace dilemma;

namespace {
Params P(std::map<std::string, ParamValue> v = {}) { return Params("params", std::move(v)); }

// A scripted strategy that does not describe its rule, so that pairs with it
// take the general path.
class Opaque : public Policy {
 public:
  explicit Opaque(std::shared_ptr<const Policy> inner) : inner_(std::move(inner)) {}
  std::string name() const override { return "opaque " + inner_->name(); }
  void check(const Game& game, int agent) const override { inner_->check(game, agent); }
  int memory_size() const override { return inner_->memory_size(); }
  void act(const ActContext& ctx, int64_t b0, int64_t b1) const override { inner_->act(ctx, b0, b1); }

 private:
  std::shared_ptr<const Policy> inner_;
};

std::vector<std::shared_ptr<const Policy>> every_strategy() {
  std::vector<std::shared_ptr<const Policy>> ps;
  for (const char* name : {"always-cooperate", "always-defect", "tit-for-tat", "suspicious-tit-for-tat",
                           "generous-tit-for-tat", "grim-trigger", "win-stay-lose-shift", "alternate", "random",
                           "zd-extortion"})
    ps.push_back(make_strategy(name, P()));
  return ps;
}

// Each pair's entry as the per-pair path computes it.
TournamentResult per_pair(const std::shared_ptr<const Game>& g, const std::vector<std::shared_ptr<const Policy>>& ps,
                          const RolloutOptions& o) {
  const int n = static_cast<int>(ps.size());
  TournamentResult r;
  r.players = n;
  r.mean_return.assign(static_cast<size_t>(n) * n * 2, 0.0);
  r.action0_rate.assign(r.mean_return.size(), 0.0);
  RolloutSummarizer summarizer;
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < n; ++j) {
      const RolloutSummary s = summarizer.run(g, {ps[i], ps[j]}, o);
      for (int seat = 0; seat < 2; ++seat) {
        r.mean_return[(i * n + j) * 2 + seat] = s.returns[seat] / static_cast<double>(o.batch);
        r.action0_rate[(i * n + j) * 2 + seat] = s.live ? s.action0[seat] / static_cast<double>(s.live) : 0.0;
      }
    }
  return r;
}

bool has_avx2() {
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
  return __builtin_cpu_supports("avx2");
#else
  return false;
#endif
}

// The tournament equals the per-pair path on 1, 2 and 3 threads, and the
// lanes play `lane_pairs` of its pairs (where the CPU has AVX2).
void check_equal(const std::shared_ptr<const Game>& g, const std::vector<std::shared_ptr<const Policy>>& ps,
                 RolloutOptions o, size_t lane_pairs) {
  TournamentLanes plan;
  plan_tournament_lanes(*g, ps, round_robin_pairs(static_cast<int>(ps.size())), o, &plan);
  CHECK(plan.pairs.size() == (has_avx2() ? lane_pairs : 0));
  o.threads = 1;
  const TournamentResult want = per_pair(g, ps, o);
  for (int threads = 1; threads <= 3; ++threads) {
    o.threads = threads;
    const TournamentResult got = run_tournament(g, ps, o);
    CHECK(got.mean_return == want.mean_return);
    CHECK(got.action0_rate == want.action0_rate);
  }
}
}  // namespace

TEST("tournament lanes: deterministic pairs pay what the rules say") {
  auto g = make_game("ipd", P({{"rounds", 10.0}}));
  RolloutOptions o;
  o.batch = 3;
  const TournamentResult r =
      run_tournament(g, {make_strategy("tit-for-tat", P()), make_strategy("always-defect", P())}, o);
  // Tit-for-tat (seat 0) against always-defect: 0 then 9 x 1; the defector 5 then 9 x 1.
  CHECK(r.mean_return[(0 * 2 + 1) * 2] == 9.0 && r.mean_return[(0 * 2 + 1) * 2 + 1] == 14.0);
  CHECK(r.action0_rate[(0 * 2 + 1) * 2] == 0.1 && r.action0_rate[(0 * 2 + 1) * 2 + 1] == 0.0);
  CHECK(r.mean_return[0] == 30.0 && r.action0_rate[0] == 1.0);
}

TEST("tournament lanes equal the per-pair path: every strategy, odd pair counts, 1-3 threads") {
  const auto all = every_strategy();
  auto g = make_game("ipd", P({{"rounds", 40.0}}));
  RolloutOptions o;
  o.batch = 7;
  o.seed = 11;
  check_equal(g, all, o, 100);
  for (size_t n : {1u, 3u, 5u})
    check_equal(g, std::vector<std::shared_ptr<const Policy>>(all.begin() + 2, all.begin() + 2 + n), o, n * n);
}

TEST("tournament lanes equal the per-pair path with noise and random ends") {
  const auto all = every_strategy();
  RolloutOptions o;
  o.batch = 9;
  o.seed = 3;
  check_equal(make_game("ipd", P({{"rounds", 50.0}, {"noise", 0.1}})), all, o, 100);
  check_equal(make_game("ipd", P({{"rounds", 60.0}, {"continuation", 0.9}})), all, o, 100);
  check_equal(make_game("ipd", P({{"rounds", 30.0}, {"noise", 0.05}, {"continuation", 0.8}})), all, o, 100);
  // Rollouts that share the game's random events (groups).
  o.groups = {0, 0, 1, 1, 2, 2, 7, 7, 7};
  check_equal(make_game("ipd", P({{"rounds", 30.0}, {"noise", 0.05}, {"continuation", 0.8}})), all, o, 100);
}

TEST("tournament lanes equal the per-pair path: long episodes, steps, history, parameters, other tables") {
  auto all = every_strategy();
  all.push_back(make_strategy("generous-tit-for-tat", P({{"forgiveness", 0.71}})));
  all.push_back(make_strategy("random", P({{"p", 0.123456789}})));
  all.push_back(make_strategy("zd-extortion", P({{"chi", 2.0}, {"phi", 0.9}})));
  RolloutOptions o;
  o.batch = 3;
  o.seed = 8;
  // More steps than the packed byte counters hold between flushes.
  check_equal(make_game("ipd", P({{"rounds", 700.0}, {"noise", 0.02}})), all, o, 169);
  o.steps = 17;
  check_equal(make_game("ipd", P({{"rounds", 100.0}, {"history", 3.0}, {"continuation", 0.95}})), all, o, 169);
  o.steps = 0;
  // Rewards that are not integers still sum exactly (multiples of 2^-k).
  const std::vector<double> odd = {0.1, -2.7, 3.3, 0.0, 1e3, 0.25, -1.0 / 3.0, 7.0};
  auto stag = make_game("matrix", P({{"payoffs", odd}, {"rounds", 25.0}, {"noise", 0.1}}));
  check_equal(stag, std::vector<std::shared_ptr<const Policy>>(all.begin(), all.begin() + 9), o, 81);
}

TEST("tournament lanes leave inexact sums and opaque policies to the per-pair path") {
  const auto all = every_strategy();
  RolloutOptions o;
  o.batch = 5;
  o.seed = 2;
  // 1e30 and 1e-30 have no common power of two below 2^53: no lanes.
  auto wide = make_game("matrix", P({{"payoffs", std::vector<double>{1e30, 1e-30, 0, 1, 1, 0, 2, 2}}, {"rounds", 20.0}}));
  check_equal(wide, std::vector<std::shared_ptr<const Policy>>(all.begin() + 2, all.begin() + 5), o, 0);
  // Opaque players in the middle: lanes play the 4 x 4 scripted pairs, the rest the general path.
  std::vector<std::shared_ptr<const Policy>> mixed = {all[2], std::make_shared<Opaque>(all[5]), all[4], all[8],
                                                      std::make_shared<Opaque>(all[9]), all[9]};
  auto noisy = make_game("ipd", P({{"rounds", 30.0}, {"noise", 0.05}}));
  check_equal(noisy, mixed, o, 16);
  // A chosen list of pairs (any order, repeats) gives each pair's entries of the full round-robin.
  const std::vector<std::pair<int, int>> pairs = {{2, 0}, {0, 2}, {1, 1}, {2, 0}, {5, 3}, {3, 5}, {4, 0}, {0, 0},
                                                  {5, 5}, {3, 2}, {2, 3}};
  TournamentLanes plan;
  plan_tournament_lanes(*noisy, mixed, pairs, o, &plan);
  CHECK(plan.pairs.size() == (has_avx2() ? 9u : 0u));
  o.threads = 1;
  const TournamentResult full = per_pair(noisy, mixed, o);
  for (int threads = 1; threads <= 3; ++threads) {
    o.threads = threads;
    const TournamentResult some = run_tournament_pairs(noisy, mixed, pairs, o);
    for (size_t k = 0; k < pairs.size(); ++k)
      for (int seat = 0; seat < 2; ++seat) {
        const size_t at = static_cast<size_t>(pairs[k].first * 6 + pairs[k].second) * 2 + seat;
        CHECK(some.mean_return[k * 2 + seat] == full.mean_return[at]);
        CHECK(some.action0_rate[k * 2 + seat] == full.action0_rate[at]);
      }
  }
  // Quick: every pair in lanes and few pair-rounds.
  CHECK(tournament_is_quick(*noisy, all, round_robin_pairs(10), o) == has_avx2());
  CHECK(!tournament_is_quick(*noisy, mixed, round_robin_pairs(6), o));
  CHECK(!tournament_is_quick(*noisy, all, {{0, 11}}, o));
}

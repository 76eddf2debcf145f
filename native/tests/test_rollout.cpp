#include <cstring>
#include <map>
#include <numeric>
#include <vector>

#include "../core/error.hpp"
#include "../core/rollout.hpp"
#include "../core/tournament.hpp"
#include "check.hpp"

using namespace dilemma;

namespace {
Params P(std::map<std::string, ParamValue> v = {}) { return Params("params", std::move(v)); }

struct Traj {
  std::vector<float> obs, logp, entropy, rewards;
  std::vector<int32_t> actions;
  std::vector<uint8_t> dones, mask;
  TrajectoryView view() {
    return {obs.data(), actions.data(), logp.data(), entropy.data(), rewards.data(), dones.data(), mask.data()};
  }
};

Traj run(const std::shared_ptr<const Game>& g, std::vector<std::shared_ptr<const Policy>> ps, RolloutOptions o) {
  const auto n = trajectory_sizes(*g, o);
  Traj t;
  t.obs.resize(n.obs);
  t.actions.resize(n.per_agent);
  t.logp.resize(n.per_agent);
  t.entropy.resize(n.per_agent);
  t.rewards.resize(n.per_agent);
  t.dones.resize(n.per_step);
  t.mask.resize(n.per_step);
  rollout(g, ps, o, t.view());
  return t;
}

double total(const Traj& t, int agent, int64_t batch) {
  double s = 0;
  for (size_t i = agent; i < t.rewards.size(); i += 2) s += t.rewards[i];
  return s / batch;
}
}  // namespace

TEST("deterministic pairs over 10 IPD rounds match hand totals") {
  auto g = make_game("ipd", P());
  struct Case {
    const char *a, *b;
    double ra, rb;
  };
  // Worked out round by round (see test/strategies.test.ts for the derivations).
  const Case cases[] = {
      {"tit-for-tat", "always-defect", 9, 14},
      {"always-cooperate", "always-defect", 0, 50},
      {"tit-for-tat", "suspicious-tit-for-tat", 25, 25},
      {"grim-trigger", "alternate", 27, 12},
      {"win-stay-lose-shift", "always-defect", 5, 30},
      {"tit-for-tat", "tit-for-tat", 30, 30},
  };
  for (const auto& c : cases) {
    RolloutOptions o;
    o.batch = 3;
    o.seed = 1;
    auto t = run(g, {make_strategy(c.a, P()), make_strategy(c.b, P())}, o);
    CHECK_CLOSE(total(t, 0, 3), c.ra, 0, 1e-9);
    CHECK_CLOSE(total(t, 1, 3), c.rb, 0, 1e-9);
  }
}

TEST("same seed gives the same trajectory on 1, 2 and 3 threads; other seeds differ") {
  auto g = make_game("ipd", P({{"noise", 0.1}, {"rounds", 50.0}, {"continuation", 0.97}}));
  std::vector<std::shared_ptr<const Policy>> ps = {make_strategy("random", P({{"p", 0.3}})),
                                                   make_strategy("generous-tit-for-tat", P())};
  RolloutOptions o;
  o.batch = 3001;
  o.seed = 42;
  o.threads = 1;
  auto a = run(g, ps, o);
  o.threads = 2;
  auto b = run(g, ps, o);
  o.threads = 3;
  auto c = run(g, ps, o);
  CHECK(a.actions == b.actions && a.actions == c.actions);
  CHECK(std::memcmp(a.logp.data(), c.logp.data(), a.logp.size() * 4) == 0);
  CHECK(std::memcmp(a.rewards.data(), b.rewards.data(), a.rewards.size() * 4) == 0);
  CHECK(std::memcmp(a.obs.data(), c.obs.data(), a.obs.size() * 4) == 0);
  CHECK(a.mask == c.mask && a.dones == b.dones);
  o.seed = 43;
  auto d = run(g, ps, o);
  CHECK(a.actions != d.actions);
}

TEST("padding after an episode ends, one done per episode") {
  auto g = make_game("ipd", P({{"rounds", 20.0}, {"continuation", 0.7}}));
  RolloutOptions o;
  o.batch = 500;
  o.seed = 3;
  auto t = run(g, {make_strategy("tit-for-tat", P()), make_strategy("random", P())}, o);
  for (int64_t b = 0; b < o.batch; ++b) {
    int dones = 0;
    bool ended = false;
    for (int s = 0; s < 20; ++s) {
      const int64_t row = b * 20 + s;
      CHECK_EQ(t.mask[row], ended ? 0 : 1);
      if (ended) {
        CHECK_EQ(t.actions[row * 2], -1);
        CHECK_EQ(t.rewards[row * 2 + 1], 0.0f);
      }
      dones += t.dones[row];
      if (t.dones[row]) ended = true;
    }
    CHECK_EQ(dones, 1);
  }
}

TEST("rollouts of one group share the environment's random events") {
  auto g = make_game("ipd", P({{"noise", 0.3}}));
  RolloutOptions o;
  o.batch = 64;
  o.seed = 9;
  for (int64_t b = 0; b < o.batch; ++b) o.groups.push_back(static_cast<uint32_t>(b / 8));
  auto t = run(g, {make_strategy("tit-for-tat", P()), make_strategy("always-cooperate", P())}, o);
  const size_t per = 10 * 2;
  for (int64_t b = 0; b < o.batch; ++b) {
    const int64_t first = (b / 8) * 8;
    CHECK(std::equal(t.rewards.begin() + b * per, t.rewards.begin() + (b + 1) * per, t.rewards.begin() + first * per));
  }
  CHECK(!std::equal(t.rewards.begin(), t.rewards.begin() + per, t.rewards.begin() + 8 * per));
}

TEST("strategies check the game and their parameters") {
  CHECK_THROWS_CODE(make_strategy("nope", P()), codes::kUnknownStrategy);
  CHECK_THROWS_CODE(make_strategy("random", P({{"p", 1.5}})), codes::kInvalidParam);
  CHECK_THROWS_CODE(make_strategy("tit-for-tat", P({{"p", 0.5}})), codes::kInvalidParam);
  auto pennies = make_game("matrix", P({{"preset", std::string("matching-pennies")}}));
  auto zd = make_strategy("zd-extortion", P());
  CHECK_THROWS_CODE(zd->check(*pennies, 0), codes::kUnsupported);
  auto g = make_game("ipd", P());
  CHECK_THROWS_CODE(check_policies(*g, {zd}), codes::kInvalidArgument);
  RolloutOptions o;
  o.batch = int64_t{1} << 30;
  o.steps = 1 << 20;
  CHECK_THROWS_CODE(trajectory_sizes(*g, o), codes::kTooLarge);
}

TEST("a tournament equals the separate rollouts of its pairs, on any thread count") {
  auto g = make_game("ipd", P({{"rounds", 20.0}, {"noise", 0.05}}));
  std::vector<std::shared_ptr<const Policy>> ps = {make_strategy("tit-for-tat", P()), make_strategy("random", P()),
                                                   make_strategy("always-defect", P())};
  RolloutOptions o;
  o.batch = 40;
  o.seed = 5;
  o.threads = 1;
  const TournamentResult one = run_tournament(g, ps, o);
  o.threads = 3;
  const TournamentResult three = run_tournament(g, ps, o);
  CHECK(one.mean_return == three.mean_return && one.action0_rate == three.action0_rate);
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j) {
      auto t = run(g, {ps[i], ps[j]}, o);
      CHECK_CLOSE(one.mean_return[(i * 3 + j) * 2], total(t, 0, o.batch), 1e-12, 1e-9);
      CHECK_CLOSE(one.mean_return[(i * 3 + j) * 2 + 1], total(t, 1, o.batch), 1e-12, 1e-9);
    }
  CHECK_THROWS_CODE(run_tournament(make_game("public-goods", P()), ps, o), codes::kUnsupported);
  // A chosen list of pairs (any order, repeats allowed) gives each pair's numbers of the full round-robin.
  const std::vector<std::pair<int, int>> pairs = {{2, 0}, {0, 2}, {1, 1}, {2, 0}};
  const TournamentResult some = run_tournament_pairs(g, ps, pairs, o);
  CHECK(some.mean_return.size() == pairs.size() * 2);
  for (size_t k = 0; k < pairs.size(); ++k)
    for (int seat = 0; seat < 2; ++seat) {
      const size_t full = static_cast<size_t>(pairs[k].first * 3 + pairs[k].second) * 2 + seat;
      CHECK(some.mean_return[k * 2 + seat] == one.mean_return[full]);
      CHECK(some.action0_rate[k * 2 + seat] == one.action0_rate[full]);
    }
  CHECK_THROWS_CODE(run_tournament_pairs(g, ps, {{0, 3}}, o), codes::kInvalidArgument);
  CHECK_THROWS_CODE(run_tournament_pairs(g, ps, {{-1, 0}}, o), codes::kInvalidArgument);
  CHECK_THROWS_CODE(run_tournament_pairs(g, ps, {}, o), codes::kInvalidArgument);
}

namespace {
// Per-agent reward sums, action-0 counts and taken steps of a trajectory, in
// the order a plain loop over it sums them.
RolloutSummary summarize(const Traj& t, int agents) {
  RolloutSummary s;
  s.returns.assign(agents, 0.0);
  s.action0.assign(agents, 0.0);
  for (size_t k = 0; k < t.mask.size(); ++k) {
    for (int a = 0; a < agents; ++a) s.returns[a] += t.rewards[k * agents + a];
    if (!t.mask[k]) continue;
    ++s.live;
    for (int a = 0; a < agents; ++a) s.action0[a] += t.actions[k * agents + a] == 0;
  }
  return s;
}
}  // namespace

TEST("a rollout's summary equals the sums over its trajectory, with scratch reused across calls") {
  RolloutSummarizer summarizer;
  const auto strategies = strategy_names();
  for (const char* id : {"ipd", "public-goods", "matrix"}) {
    auto g = std::string(id) == "matrix"
                 ? make_game("matrix", P({{"noise", 0.2}, {"continuation", 0.85}, {"rounds", 40.0}, {"history", 2.0}}))
                 : make_game(id, P(std::string(id) == "public-goods"
                                       ? std::map<std::string, ParamValue>{{"players", 2.0}, {"multiplier", 1.3}, {"levels", 3.0}}
                                       : std::map<std::string, ParamValue>{}));
    for (int i = 0; i < 10; ++i) {
      RolloutOptions o;
      o.batch = 300 + 97 * i;  // several blocks, the last one partial
      o.seed = 5 + i;
      std::vector<std::shared_ptr<const Policy>> ps = {make_strategy(strategies[i], P()),
                                                       make_strategy(strategies[(3 * i + 1) % 10], P())};
      const RolloutSummary want = summarize(run(g, ps, o), 2);
      const RolloutSummary got = summarizer.run(g, ps, o);
      CHECK_EQ(got.live, want.live);
      for (int a = 0; a < 2; ++a) {
        CHECK_EQ(got.returns[a], want.returns[a]);
        CHECK_EQ(got.action0[a], want.action0[a]);
      }
    }
  }
}

TEST("trajectories do not depend on how a batch is cut into blocks and threads") {
  // Scripted policies run a thread's environments in blocks of 256; batch
  // sizes around that boundary, on 1 and 3 threads, give the same numbers as
  // separate small rollouts would at the same indices (checked via the
  // first rows of the batch, which every cut shares).
  auto g = make_game("ipd", P({{"noise", 0.1}, {"continuation", 0.95}, {"rounds", 12.0}}));
  std::vector<std::shared_ptr<const Policy>> ps = {make_strategy("random", P({{"p", 0.4}})),
                                                   make_strategy("grim-trigger", P())};
  RolloutOptions o;
  o.seed = 17;
  o.batch = 1000;
  o.threads = 1;
  auto whole = run(g, ps, o);
  for (int64_t batch : {1, 255, 256, 257, 513}) {
    for (int threads : {1, 3}) {
      o.batch = batch;
      o.threads = threads;
      auto part = run(g, ps, o);
      CHECK(std::equal(part.actions.begin(), part.actions.end(), whole.actions.begin()));
      CHECK(std::memcmp(part.rewards.data(), whole.rewards.data(), part.rewards.size() * 4) == 0);
      CHECK(std::memcmp(part.obs.data(), whole.obs.data(), part.obs.size() * 4) == 0);
      CHECK(std::memcmp(part.logp.data(), whole.logp.data(), part.logp.size() * 4) == 0);
      CHECK(std::equal(part.mask.begin(), part.mask.end(), whole.mask.begin()));
    }
  }
}

namespace {
// A scripted strategy seen through a plain Policy: it acts through act() only,
// so rollouts with it take the general per-block path, never the fused one.
class Forward final : public Policy {
 public:
  explicit Forward(std::shared_ptr<const Policy> p) : p_(std::move(p)) {}
  std::string name() const override { return p_->name(); }
  void check(const Game& g, int agent) const override { p_->check(g, agent); }
  int memory_size() const override { return p_->memory_size(); }
  void act(const ActContext& c, int64_t b0, int64_t b1) const override { p_->act(c, b0, b1); }

 private:
  std::shared_ptr<const Policy> p_;
};
}  // namespace

TEST("the fused scripted matrix path writes exactly the general path's trajectory") {
  const auto names = strategy_names();
  const std::vector<std::shared_ptr<const Game>> games = {
      make_game("ipd", P()),
      make_game("matrix", P({{"preset", std::string("stag-hunt")}, {"noise", 0.15}, {"continuation", 0.9},
                             {"rounds", 25.0}, {"history", 3.0}}))};
  for (const auto& g : games)
    for (int i = 0; i < 10; ++i)
      for (int j : {i, (i + 3) % 10, (i + 7) % 10}) {
        auto a = make_strategy(names[i], P()), b = make_strategy(names[j], P());
        RolloutOptions o;
        o.batch = 300;
        o.seed = 11 + i;
        o.steps = g->info().max_steps + 3;  // padding after the last round too
        if (i % 2) {  // common random numbers: rollout 7 shares rollout 2's game stream
          o.groups.resize(300);
          std::iota(o.groups.begin(), o.groups.end(), 0u);
          o.groups[7] = 2;
        }
        auto fused = run(g, {a, b}, o);
        auto general = run(g, {std::make_shared<Forward>(a), std::make_shared<Forward>(b)}, o);
        CHECK(fused.actions == general.actions);
        CHECK(fused.mask == general.mask && fused.dones == general.dones);
        CHECK(std::memcmp(fused.obs.data(), general.obs.data(), fused.obs.size() * 4) == 0);
        CHECK(std::memcmp(fused.rewards.data(), general.rewards.data(), fused.rewards.size() * 4) == 0);
        CHECK(std::memcmp(fused.logp.data(), general.logp.data(), fused.logp.size() * 4) == 0);
        CHECK(std::memcmp(fused.entropy.data(), general.entropy.data(), fused.entropy.size() * 4) == 0);
        RolloutSummarizer summarizer;
        const RolloutSummary s = summarizer.run(g, {std::make_shared<Forward>(a), std::make_shared<Forward>(b)}, o);
        const RolloutSummary f = summarizer.run(g, {a, b}, o);
        CHECK_EQ(s.live, f.live);
        for (int k = 0; k < 2; ++k) {
          CHECK_EQ(s.returns[k], f.returns[k]);
          CHECK_EQ(s.action0[k], f.action0[k]);
        }
      }
}

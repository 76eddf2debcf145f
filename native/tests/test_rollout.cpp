#include <cstring>
#include <map>
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
}

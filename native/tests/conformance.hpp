// The contracts every game keeps, as functions of a registered game's id, so
// that test_conformance.cpp runs them over the whole registry and a test of a
// game registered by a test build runs the same checks on it. With its
// default parameters: random legal play over several seeds and batch sizes.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "../core/env.hpp"
#include "../core/game.hpp"
#include "check.hpp"

namespace conformance {

using namespace dilemma;

inline std::shared_ptr<const Game> default_game(const std::string& id) { return make_game(id, Params("params", {})); }

// A uniformly random legal action per agent of each live environment, from a
// generator seeded by the test (not by the engine).
inline void random_actions(const EnvBatch& e, std::mt19937& gen, std::vector<int32_t>& actions) {
  const Game& g = e.game();
  const GameInfo& info = g.info();
  std::vector<uint8_t> mask(info.actions);
  std::vector<int32_t> legal;
  for (int64_t b = 0; b < e.batch(); ++b) {
    for (int a = 0; a < info.agents; ++a) {
      g.legal_actions(e.state(b), e.steps_taken(b), a, mask.data());
      legal.clear();
      for (int k = 0; k < info.actions; ++k)
        if (mask[k]) legal.push_back(k);
      CHECK(!legal.empty());
      if (!g.has_illegal_actions()) CHECK_EQ(static_cast<int>(legal.size()), info.actions);
      actions[b * info.agents + a] = legal[gen() % legal.size()];
    }
  }
}

// Everything one episode of random legal play produced, for bitwise comparison.
struct Play {
  std::vector<float> observations, rewards;
  std::vector<uint8_t> dones;
  std::vector<int32_t> stats;
  bool operator==(const Play& o) const {
    return observations.size() == o.observations.size() &&
           std::memcmp(observations.data(), o.observations.data(), observations.size() * sizeof(float)) == 0 &&
           rewards.size() == o.rewards.size() &&
           std::memcmp(rewards.data(), o.rewards.data(), rewards.size() * sizeof(float)) == 0 && dones == o.dones &&
           stats == o.stats;
  }
};

inline int stat_index(const Game& g, const std::string& name) {
  const auto names = g.stat_names();
  for (size_t i = 0; i < names.size(); ++i)
    if (names[i] == name) return static_cast<int>(i);
  return -1;
}

// Plays every environment to the end of its episode, checking each step;
// at step `clone_at` a copy of the batch is stepped alongside and must agree
// bit for bit.
inline Play play(const std::shared_ptr<const Game>& game, int64_t batch, uint64_t seed, int clone_at) {
  const GameInfo& info = game->info();
  const int A = info.agents, O = info.obs_dim;
  EnvBatch e(game, batch, seed);
  std::mt19937 gen(static_cast<uint32_t>(seed * 7919 + batch));
  std::vector<float> obs(batch * A * O), rewards(batch * A), sums(batch * A, 0.0f);
  std::vector<uint8_t> done(batch, 0);
  std::vector<int32_t> actions(batch * A);
  Play out;
  for (int t = 0;; ++t) {
    CHECK(t <= info.max_steps);
    e.observe(0, batch, obs.data());
    for (const float v : obs) CHECK(std::isfinite(v));
    out.observations.insert(out.observations.end(), obs.begin(), obs.end());
    bool all_done = true;
    for (int64_t b = 0; b < batch; ++b) all_done = all_done && e.done(b);
    if (all_done) break;
    random_actions(e, gen, actions);
    e.check_actions(actions.data());
    if (t == clone_at) {
      EnvBatch copy = e;
      std::vector<float> r2(batch * A), o2(batch * A * O);
      std::vector<uint8_t> d2(batch);
      e.step(0, batch, actions.data(), rewards.data(), done.data(), nullptr);
      copy.step(0, batch, actions.data(), r2.data(), d2.data(), nullptr);
      e.observe(0, batch, obs.data());
      copy.observe(0, batch, o2.data());
      CHECK(std::memcmp(rewards.data(), r2.data(), rewards.size() * sizeof(float)) == 0);
      CHECK(std::memcmp(obs.data(), o2.data(), obs.size() * sizeof(float)) == 0);
      CHECK(done == d2);
    } else {
      e.step(0, batch, actions.data(), rewards.data(), done.data(), nullptr);
    }
    for (size_t i = 0; i < rewards.size(); ++i) {
      CHECK(std::isfinite(rewards[i]));
      sums[i] += rewards[i];
    }
    out.rewards.insert(out.rewards.end(), rewards.begin(), rewards.end());
    out.dones.insert(out.dones.end(), done.begin(), done.end());
  }
  // Every episode ended within the declared maximum, and the per-step
  // rewards add up to the returns the batch reports.
  const int welfare = stat_index(*game, "welfare"), max_welfare = stat_index(*game, "max_welfare");
  const int rounds = stat_index(*game, "rounds_played");
  std::vector<int32_t> stats(game->stat_count());
  for (int64_t b = 0; b < batch; ++b) {
    CHECK(e.done(b));
    CHECK(e.steps_taken(b) >= 1 && e.steps_taken(b) <= info.max_steps);
    double total = 0;
    for (int a = 0; a < A; ++a) {
      CHECK_CLOSE(e.returns()[b * A + a], sums[b * A + a], 1e-6, 1e-6);
      total += sums[b * A + a];
    }
    game->stats(e.state(b), stats.data());
    out.stats.insert(out.stats.end(), stats.begin(), stats.end());
    // Welfare statistics are both agents' rewards x 100, rounded once per round.
    if (welfare >= 0 && rounds >= 0) {
      const double slack = 0.5 * std::max(1, stats[rounds]) + 1e-3 * std::fabs(100 * total);
      CHECK_CLOSE(stats[welfare], 100 * total, 0, slack);
      if (max_welfare >= 0) CHECK(stats[welfare] <= stats[max_welfare] + slack);
    }
  }
  return out;
}


// Plays, ends in bounds and sums its rewards, over batches 1/3/8 and three seeds.
inline void check_plays(const std::string& id) {
  const auto game = default_game(id);
  const GameInfo& info = game->info();
  CHECK(info.id == id);
  CHECK(info.agents >= 1 && info.obs_dim >= 1 && info.actions >= 1 && info.max_steps >= 1 && info.state_size >= 0);
  CHECK_EQ(game->stat_count(), static_cast<int>(game->stat_names().size()));
  for (const int64_t batch : {1, 3, 8})
    for (const uint64_t seed : {0ull, 1ull, 0x9e3779b97f4a7c15ull}) play(game, batch, seed, static_cast<int>(seed % 3));
}

// The same seed reproduces the game bit for bit.
inline void check_reproduces(const std::string& id) {
  const auto game = default_game(id);
  const Play a = play(game, 5, 42, 1), b = play(default_game(id), 5, 42, 2);
  if (!(a == b)) dtest::fail(__FILE__, __LINE__, "game '" + id + "' differs between two runs of seed 42");
}

// Range steps equal per-environment steps.
inline void check_range_steps(const std::string& id) {
  const auto game = default_game(id);
  const GameInfo& info = game->info();
  const int A = info.agents, O = info.obs_dim, S = info.state_size;
  const int64_t batch = 6;
  const uint64_t seed = 11;
  EnvBatch e(game, batch, seed);
  // The reference: each environment by itself through the per-environment
  // entry points, keyed as EnvBatch keys its draws (stream b, episode 0).
  std::vector<int32_t> state(batch * S);
  std::vector<uint8_t> ended(batch, 0);
  for (int64_t b = 0; b < batch; ++b)
    game->reset(state.data() + b * S, EnvDraw{seed, static_cast<uint32_t>(b), 0, 0});
  std::mt19937 gen(5);
  std::vector<int32_t> actions(batch * A);
  std::vector<float> obs(batch * A * O), one(O + 1), rewards(batch * A), r(A);
  std::vector<uint8_t> done(batch);
  for (int t = 0; t <= info.max_steps; ++t) {
    e.observe(0, batch, obs.data());
    bool all_done = true;
    for (int64_t b = 0; b < batch; ++b) {
      CHECK_EQ(e.done(b), ended[b] != 0);
      CHECK(std::memcmp(e.state(b), state.data() + b * S, S * sizeof(int32_t)) == 0);
      all_done = all_done && e.done(b);
      if (ended[b]) continue;
      for (int a = 0; a < A; ++a) {
        one[O] = -7.0f;  // a sentinel: the game writes exactly obs_dim floats
        game->observe(state.data() + b * S, t, a, one.data());
        CHECK_EQ(one[O], -7.0f);
        CHECK(std::memcmp(one.data(), obs.data() + (b * A + a) * O, O * sizeof(float)) == 0);
      }
    }
    if (all_done) break;
    random_actions(e, gen, actions);
    e.step(0, batch, actions.data(), rewards.data(), done.data(), nullptr);
    for (int64_t b = 0; b < batch; ++b) {
      if (ended[b]) continue;
      const bool end = game->step(state.data() + b * S, t, actions.data() + b * A, r.data(),
                                  EnvDraw{seed, static_cast<uint32_t>(b), 0, static_cast<uint32_t>(t)});
      ended[b] = end || t + 1 >= info.max_steps;
      CHECK(std::memcmp(r.data(), rewards.data() + b * A, A * sizeof(float)) == 0);
    }
  }
}

// The declared layout lies inside the observation and the action space.
inline void check_layout(const std::string& id) {
  const auto game = default_game(id);
  const GameInfo& info = game->info();
  const GameLayout layout = game->layout();
  const auto inside = [](const std::vector<LayoutField>& fields, int size) {
    int end = 0;
    for (const auto& f : fields) {
      CHECK(!f.name.empty());
      CHECK(f.size >= 1);
      CHECK(f.offset >= end);  // in offset order, not overlapping
      end = f.offset + f.size;
    }
    CHECK(end <= size);
    // A layout that describes a space describes all of it.
    if (!fields.empty()) CHECK_EQ(end, size);
  };
  inside(layout.observation, info.obs_dim);
  inside(layout.actions, info.actions);
  for (const auto& f : layout.facts) CHECK(!f.name.empty() && (!f.numbers.empty() || !f.labels.empty()));
}

// Every check above.
inline void check_game(const std::string& id) {
  check_plays(id);
  check_reproduces(id);
  check_range_steps(id);
  check_layout(id);
}

}  // namespace conformance

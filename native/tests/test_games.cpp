#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "../core/env.hpp"
#include "../core/error.hpp"
#include "../core/game.hpp"
#include "check.hpp"

using namespace dilemma;

namespace {
Params P(std::map<std::string, ParamValue> v) { return Params("params", std::move(v)); }

// One step of the four joint moves in four environments; returns rewards [4, 2].
std::vector<float> one_round(const std::shared_ptr<const Game>& g) {
  EnvBatch e(g, 4, 1);
  const int32_t actions[8] = {0, 0, 0, 1, 1, 0, 1, 1};
  std::vector<float> r(8);
  std::vector<uint8_t> d(4);
  e.step(0, 4, actions, r.data(), d.data(), nullptr);
  return r;
}
}  // namespace

TEST("matrix presets pay what their tables say") {
  // (CC, CD, DC, DD) payoffs for agent 0 then agent 1, written out by hand.
  const std::map<std::string, std::vector<float>> want = {
      {"prisoners-dilemma", {3, 3, 0, 5, 5, 0, 1, 1}},
      {"stag-hunt", {4, 4, 0, 3, 3, 0, 2, 2}},
      {"chicken", {3, 3, 1, 5, 5, 1, 0, 0}},
      {"battle-of-the-sexes", {3, 2, 0, 0, 0, 0, 2, 3}},
      {"matching-pennies", {1, -1, -1, 1, -1, 1, 1, -1}},
  };
  for (const auto& [preset, table] : want) {
    auto r = one_round(make_game("matrix", P({{"preset", preset}})));
    for (int i = 0; i < 8; ++i) CHECK_EQ(r[i], table[i]);
  }
  auto ipd = one_round(make_game("ipd", P({})));
  CHECK_EQ(ipd[2], 0.0f);
  CHECK_EQ(ipd[3], 5.0f);
}

TEST("custom asymmetric payoffs and observations from each side") {
  auto g = make_game("matrix", P({{"payoffs", std::vector<double>{1, 2, 3, 4, 5, 6, 7, 8}}, {"history", 2.0}}));
  CHECK_EQ(g->info().obs_dim, 10);
  auto r = one_round(g);
  for (int i = 0; i < 8; ++i) CHECK_EQ(r[i], static_cast<float>(i + 1));
  EnvBatch e(g, 1, 3);
  float obs[20];
  e.observe(0, 1, obs);
  CHECK_EQ(obs[0], 1.0f);  // no round yet
  CHECK_EQ(obs[5], 1.0f);
  const int32_t cd[2] = {0, 1};
  float rew[2];
  uint8_t done;
  e.step(0, 1, cd, rew, &done, nullptr);
  e.observe(0, 1, obs);
  // Agent 0 cooperated, agent 1 defected: agent 0 sees CD (index 2), agent 1 sees DC (index 3).
  CHECK_EQ(obs[2], 1.0f);
  CHECK_EQ(obs[10 + 3], 1.0f);
  CHECK_EQ(obs[5], 1.0f);       // second remembered round: none yet
  CHECK_EQ(obs[10 + 5], 1.0f);
}

TEST("public goods: pot times r shared equally") {
  auto g = make_game("public-goods", P({}));
  CHECK_EQ(g->info().agents, 4);
  EnvBatch e(g, 1, 0);
  const int32_t a[4] = {0, 0, 1, 1};  // two contribute
  float r[4];
  uint8_t d;
  e.step(0, 1, a, r, &d, nullptr);
  // pot 2, times 1.6 over 4 players = 0.8 each; defectors keep their 1.
  CHECK_CLOSE(r[0], 0.8, 1e-6, 0);
  CHECK_CLOSE(r[1], 0.8, 1e-6, 0);
  CHECK_CLOSE(r[2], 1.8, 1e-6, 0);
  CHECK_CLOSE(r[3], 1.8, 1e-6, 0);
  auto g3 = make_game("public-goods", P({{"players", 2.0}, {"levels", 3.0}, {"multiplier", 1.5}}));
  EnvBatch e3(g3, 1, 0);
  const int32_t half[2] = {1, 2};  // contributes 0.5, contributes nothing
  float r3[2];
  e3.step(0, 1, half, r3, &d, nullptr);
  // pot 0.5 * 1.5 / 2 = 0.375; agent 0 keeps 0.5, agent 1 keeps 1.
  CHECK_CLOSE(r3[0], 0.875, 1e-6, 0);
  CHECK_CLOSE(r3[1], 1.375, 1e-6, 0);
}

TEST("episodes end after the rounds; continuation gives geometric lengths") {
  auto g = make_game("ipd", P({{"rounds", 3.0}}));
  EnvBatch e(g, 2, 0);
  const int32_t a[4] = {0, 0, 0, 0};
  float r[4];
  uint8_t d[2];
  for (int t = 0; t < 3; ++t) {
    e.step(0, 2, a, r, d, nullptr);
    CHECK_EQ(d[0], t == 2 ? 1 : 0);
  }
  e.step(0, 2, a, r, d, nullptr);  // finished: no reward, stays done
  CHECK_EQ(r[0], 0.0f);
  CHECK_EQ(d[1], 1);
  CHECK_EQ(e.returns()[0], 9.0f);

  const int64_t B = 20000;
  auto gc = make_game("ipd", P({{"rounds", 1000.0}, {"continuation", 0.8}}));
  EnvBatch c(gc, B, 11);
  std::vector<int32_t> acts(2 * B, 0);
  std::vector<float> rr(2 * B);
  std::vector<uint8_t> dd(B);
  for (int t = 0; t < 1000; ++t) c.step(0, B, acts.data(), rr.data(), dd.data(), nullptr);
  double mean = 0;
  for (int64_t b = 0; b < B; ++b) mean += c.steps_taken(b);
  mean /= B;
  CHECK_CLOSE(mean, 5.0, 0, 0.1);  // 1 / (1 - 0.8)
}

TEST("noise flips executed moves at the given rate") {
  auto g = make_game("ipd", P({{"noise", 0.25}, {"rounds", 1.0}}));
  const int64_t B = 40000;
  EnvBatch e(g, B, 5);
  std::vector<int32_t> acts(2 * B, 0);
  std::vector<float> r(2 * B);
  std::vector<uint8_t> d(B);
  e.step(0, B, acts.data(), r.data(), d.data(), nullptr);
  double cc = 0;
  for (int64_t b = 0; b < B; ++b) cc += (r[2 * b] == 3.0f && r[2 * b + 1] == 3.0f);
  CHECK_CLOSE(cc / B, 0.75 * 0.75, 0, 0.01);
}

TEST("bad parameters and actions are errors with codes") {
  CHECK_THROWS_CODE(make_game("nope", P({})), codes::kUnknownGame);
  CHECK_THROWS_CODE(make_game("matrix", P({{"preset", std::string("nope")}})), codes::kInvalidParam);
  CHECK_THROWS_CODE(make_game("matrix", P({{"rounds", 0.0}})), codes::kInvalidParam);
  CHECK_THROWS_CODE(make_game("matrix", P({{"rounds", 2.5}})), codes::kInvalidParam);
  CHECK_THROWS_CODE(make_game("matrix", P({{"noise", std::nan("")}})), codes::kInvalidParam);
  CHECK_THROWS_CODE(make_game("matrix", P({{"payoffs", std::vector<double>{1, 2, 3}}})), codes::kInvalidParam);
  CHECK_THROWS_CODE(make_game("matrix", P({{"colour", 1.0}})), codes::kInvalidParam);
  CHECK_THROWS_CODE(make_game("ipd", P({{"preset", std::string("chicken")}})), codes::kInvalidParam);
  EnvBatch e(make_game("ipd", P({})), 2, 0);
  const int32_t bad[4] = {0, 1, 2, 0};
  CHECK_THROWS_CODE(e.check_actions(bad), codes::kInvalidArgument);
  CHECK_THROWS_CODE(EnvBatch(make_game("ipd", P({})), 0, 0), codes::kInvalidArgument);
}

namespace {
// A second, plain implementation of the range entry points: the
// per-environment functions called one environment at a time.
struct Reference {
  const Game& g;
  void reset(const EnvRange& r) const {
    for (int64_t b = r.b0; b < r.b1; ++b) g.reset(r.at(b), r.draw(b));
  }
  void observe(const EnvRange& r, float* obs, int64_t stride) const {
    for (int64_t b = r.b0; b < r.b1; ++b) {
      if (r.finished(b)) continue;
      for (int a = 0; a < g.info().agents; ++a) g.observe(r.at(b), r.t[b], a, obs + b * stride + a * g.info().obs_dim);
    }
  }
  void step(const EnvRange& r, const int32_t* actions, int64_t stride, float* rewards, uint8_t* ended) const {
    for (int64_t b = r.b0; b < r.b1; ++b) {
      if (r.finished(b)) continue;
      ended[b] = g.step(r.at(b), r.t[b], actions + b * stride, rewards + b * stride, r.draw(b));
    }
  }
};

// Variants of every registered game with random events switched on where the game has them.
std::vector<std::shared_ptr<const Game>> game_variants() {
  std::vector<std::shared_ptr<const Game>> out;
  for (const auto& id : game_ids()) out.push_back(make_game(id, P({})));
  out.push_back(make_game("matrix", P({{"preset", std::string("chicken")}, {"noise", 0.2}, {"continuation", 0.8},
                                       {"rounds", 30.0}, {"history", 3.0}})));
  out.push_back(make_game("ipd", P({{"noise", 0.1}, {"continuation", 0.9}})));
  out.push_back(make_game("public-goods", P({{"players", 3.0}, {"levels", 4.0}, {"multiplier", 2.3}})));
  out.push_back(make_game("coin", P({{"size", 4.0}})));
  return out;
}
}  // namespace

TEST("range entry points equal the per-environment functions for every registered game") {
  for (const auto& gp : game_variants()) {
    const Game& g = *gp;
    const GameInfo& gi = g.info();
    const int64_t B = 53, lo = 3, hi = 50;  // a range that is not the whole batch
    const int S = gi.state_size, A = gi.agents, O = gi.obs_dim;
    const int64_t stride = A + 1;  // rows wider than the joint action, as in a trajectory
    std::vector<int32_t> s1(B * S + 1), s2(B * S + 1), t(B, 0);
    std::vector<uint32_t> stream(B), episode(B, 2);
    for (int64_t b = 0; b < B; ++b) stream[b] = static_cast<uint32_t>(7 * b % 11);  // some shared streams
    std::vector<uint8_t> done(B, 0), e1(B, 9), e2(B, 9);
    EnvRange r1{lo, hi, s1.data(), S, t.data(), done.data(), 77, stream.data(), episode.data()};
    EnvRange r2 = r1;
    r2.state = s2.data();
    Reference{g}.reset(r1);
    g.reset_range(r2);
    CHECK(s1 == s2);
    uint32_t lcg = 12345;
    for (int step = 0; step < gi.max_steps + 2; ++step) {
      std::vector<float> o1(B * stride * O, -7.0f), o2 = o1;
      Reference{g}.observe(r1, o1.data(), stride * O);
      g.observe_range(r2, o2.data(), stride * O);
      CHECK(std::memcmp(o1.data(), o2.data(), o1.size() * sizeof(float)) == 0);
      if (g.two_action())
        for (int a = 0; a < A; ++a) {
          std::vector<int8_t> own(hi - lo), other(hi - lo);
          g.last_moves_range(r2, a, own.data(), other.data());
          for (int64_t b = lo; b < hi; ++b) {
            const LastMoves m = g.last_moves(r1.at(b), t[b], a);
            CHECK_EQ(static_cast<int>(own[b - lo]), m.own);
            CHECK_EQ(static_cast<int>(other[b - lo]), m.other);
          }
        }
      std::vector<int32_t> actions(B * stride, -5);
      for (int64_t b = 0; b < B; ++b)
        for (int a = 0; a < A; ++a) {
          lcg = lcg * 1664525u + 1013904223u;
          actions[b * stride + a] = static_cast<int32_t>((lcg >> 8) % gi.actions);
        }
      std::vector<float> w1(B * stride, -3.0f), w2 = w1;
      Reference{g}.step(r1, actions.data(), stride, w1.data(), e1.data());
      g.step_range(r2, actions.data(), stride, w2.data(), e2.data());
      CHECK(s1 == s2);
      CHECK(std::memcmp(w1.data(), w2.data(), w1.size() * sizeof(float)) == 0);
      CHECK(e1 == e2);
      for (int64_t b = lo; b < hi; ++b) {
        if (done[b]) continue;
        ++t[b];
        if (e1[b] || t[b] >= gi.max_steps || (lcg >> 3) % 17 == b % 17) done[b] = 1;  // some stop early
      }
    }
  }
}

// Each constructor reads its ranges from its spec: one step past either end
// of every numeric spec is refused, the ends themselves are not refused for
// their range (an end may still break a rule relating two parameters).
TEST("every game enforces the ranges its spec declares") {
  for (const auto& id : game_ids()) {
    for (const auto& s : game_params(id)) {
      if (s.type != ParamType::kInteger && s.type != ParamType::kNumber) continue;
      const double step = s.type == ParamType::kInteger ? 1.0 : std::max(1e-12, std::fabs(s.hi) * 1e-6);
      CHECK_THROWS_CODE(make_game(id, P({{s.name, s.hi + step}})), codes::kInvalidParam);
      CHECK_THROWS_CODE(make_game(id, P({{s.name, s.lo - step}})), codes::kInvalidParam);
      for (const double end : {s.lo, s.hi}) {
        try {
          make_game(id, P({{s.name, end}}));
        } catch (const Error& e) {
          CHECK(std::string(e.what()).find("params." + s.name + " must be") == std::string::npos);
        }
      }
    }
  }
}

TEST("game specs: documented ranges and defaults") {
  const ParamSpec& rounds = spec_of(game_params("ipd"), "rounds");
  CHECK_EQ(rounds.lo, 1.0);
  CHECK_EQ(rounds.hi, 1048576.0);
  CHECK_EQ(rounds.fallback, 10.0);
  CHECK_EQ(spec_of(game_params("trust-and-split"), "coins").hi, 1000.0);
  CHECK_EQ(spec_of(game_params("matrix"), "preset").choices.size(), size_t{5});
  CHECK_THROWS_CODE(game_params("nope"), codes::kUnknownGame);
}

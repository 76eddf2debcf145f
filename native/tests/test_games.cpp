#include <cmath>
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

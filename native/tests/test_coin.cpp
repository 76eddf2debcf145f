// The Coin Game by hand: states are built cell by cell (cell = y * width + x,
// so on the default 3x3 grid 0 1 2 / 3 4 5 / 6 7 8) and each expected
// position, reward and counter is worked out from the rules.
#include <array>
#include <cmath>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "../core/env.hpp"
#include "../core/error.hpp"
#include "../core/game.hpp"
#include "check.hpp"

using namespace dilemma;

namespace {
Params P(std::map<std::string, ParamValue> v) { return Params("params", std::move(v)); }

using State = std::array<int32_t, 8>;

// red's cell, blue's cell, coin cell, coin colour (0 red, 1 blue); counters zero.
State S(int red, int blue, int coin, int colour) { return {red, blue, coin, colour, 0, 0, 0, 0}; }

struct Outcome {
  float r[2];
  bool done;
};

Outcome play(const Game& g, State& s, int a0, int a1, int t = 0, uint64_t seed = 1, uint32_t step = 0) {
  const int32_t a[2] = {a0, a1};
  Outcome o{};
  o.done = g.step(s.data(), t, a, o.r, EnvDraw{seed, 0, 0, step});
  return o;
}

std::array<int32_t, 4> counters(const Game& g, const State& s) {
  std::array<int32_t, 4> out{};
  g.stats(s.data(), out.data());
  return out;
}

enum { kUp = 0, kDown = 1, kLeft = 2, kRight = 3, kStay = 4 };

// Whether a step paid red r0 and blue r1, exactly.
bool pays(const Outcome& o, float r0, float r1) { return o.r[0] == r0 && o.r[1] == r1; }

// Whether one joint move from state s takes red to cell0 and blue to cell1.
bool moves_to(const Game& g, State s, int a0, int a1, int cell0, int cell1) {
  play(g, s, a0, a1);
  return s[0] == cell0 && s[1] == cell1;
}
}  // namespace

TEST("coin: sizes, actions and statistics are described") {
  auto g = make_game("coin", P({}));
  CHECK_EQ(g->info().agents, 2);
  CHECK_EQ(g->info().obs_dim, 36);
  CHECK_EQ(g->info().actions, 4);
  CHECK_EQ(g->info().max_steps, 16);
  CHECK_EQ(g->info().state_size, 8);
  CHECK(!g->two_action());
  CHECK(!g->has_illegal_actions());
  CHECK_EQ(g->stat_count(), 4);
  const std::vector<std::string> names = {"own_coins_0", "own_coins_1", "other_coins_0", "other_coins_1"};
  CHECK(g->stat_names() == names);
  CHECK_THROWS_CODE(g->last_moves(S(0, 1, 2, 0).data(), 0, 0), codes::kUnsupported);

  auto g2 = make_game("coin", P({{"width", 5.0}, {"height", 2.0}, {"stay", 1.0}, {"rounds", 32.0}}));
  CHECK_EQ(g2->info().obs_dim, 40);
  CHECK_EQ(g2->info().actions, 5);
  CHECK_EQ(g2->info().max_steps, 32);
  CHECK_EQ(make_game("coin", P({{"size", 4.0}}))->info().obs_dim, 64);
  CHECK_EQ(make_game("ipd", P({}))->stat_count(), 0);
  CHECK(make_game("ipd", P({}))->stat_names().empty());
}

TEST("coin: moves wrap around the torus; agents may share a cell") {
  auto g = make_game("coin", P({}));
  // From the corners every move that leaves the grid re-enters on the far side.
  State s = S(0, 8, 4, 0);
  Outcome o = play(*g, s, kUp, kDown);
  CHECK_EQ(s[0], 6);
  CHECK_EQ(s[1], 2);
  CHECK(pays(o, 0.0f, 0.0f));
  CHECK(moves_to(*g, S(0, 8, 4, 0), kLeft, kRight, 2, 6));
  CHECK(moves_to(*g, S(0, 8, 4, 0), kRight, kLeft, 1, 7));
  CHECK(moves_to(*g, S(0, 8, 4, 0), kDown, kUp, 3, 5));
  // Both onto cell 1 (not the coin's): allowed, nothing happens.
  s = S(0, 2, 4, 1);
  o = play(*g, s, kRight, kLeft);
  CHECK_EQ(s[0], 1);
  CHECK_EQ(s[1], 1);
  CHECK_EQ(s[2], 4);
  CHECK_EQ(o.r[0] + o.r[1], 0.0f);

  // A 4x2 grid (width 4): cell = y * 4 + x; stay keeps the cell.
  auto w = make_game("coin", P({{"width", 4.0}, {"height", 2.0}, {"stay", 1.0}}));
  CHECK(moves_to(*w, S(3, 4, 1, 0), kRight, kLeft, 0, 7));  // red at (3, 0), blue at (0, 1)
  CHECK(moves_to(*w, S(3, 4, 1, 0), kDown, kStay, 7, 4));
  CHECK(moves_to(*w, S(3, 4, 1, 0), kUp, kDown, 7, 0));  // height 2: up and down both reach the other row
}

TEST("coin: picking up the own coin pays +1 and counts as own") {
  auto g = make_game("coin", P({}));
  State s = S(3, 8, 4, 0);  // red coin in the middle, red to its left
  Outcome o = play(*g, s, kRight, kUp);
  CHECK_EQ(s[0], 4);
  CHECK_EQ(s[1], 5);
  CHECK(pays(o, 1.0f, 0.0f));
  CHECK((counters(*g, s) == std::array<int32_t, 4>{1, 0, 0, 0}));
  CHECK(s[2] != 4 && s[2] != 5);  // a new coin, off both agents
  CHECK(s[2] >= 0 && s[2] < 9);
  CHECK(s[3] == 0 || s[3] == 1);

  // Blue's own coin.
  s = S(0, 1, 7, 1);
  o = play(*g, s, kRight, kUp);  // blue from 1 up to 7
  CHECK(pays(o, 0.0f, 1.0f));
  CHECK((counters(*g, s) == std::array<int32_t, 4>{0, 1, 0, 0}));
}

TEST("coin: picking up the other's coin pays +1 and costs its owner 2") {
  auto g = make_game("coin", P({}));
  State s = S(3, 8, 4, 1);  // blue coin, red takes it
  Outcome o = play(*g, s, kRight, kLeft);
  CHECK(pays(o, 1.0f, -2.0f));
  CHECK((counters(*g, s) == std::array<int32_t, 4>{0, 0, 1, 0}));

  s = S(3, 1, 4, 0);  // red coin, blue takes it
  o = play(*g, s, kUp, kDown);
  CHECK(pays(o, -2.0f, 1.0f));
  CHECK((counters(*g, s) == std::array<int32_t, 4>{0, 0, 0, 1}));

  // Counters accumulate over the episode: keep them, place a blue coin for red by hand.
  s[0] = 3;
  s[1] = 8;
  s[2] = 4;
  s[3] = 1;
  o = play(*g, s, kRight, kUp, 1);
  CHECK(pays(o, 1.0f, -2.0f));
  CHECK((counters(*g, s) == std::array<int32_t, 4>{0, 0, 1, 1}));

  // Reward and penalty are parameters.
  auto h = make_game("coin", P({{"reward", 0.5}, {"penalty", 3.0}}));
  s = S(3, 8, 4, 1);
  o = play(*h, s, kRight, kLeft);
  CHECK(pays(o, 0.5f, -3.0f));
}

TEST("coin: both agents on the coin in the same step") {
  auto g = make_game("coin", P({}));
  // Red coin at 4; red from 3, blue from 5. Red: +1 (own) - 2 (blue took red's coin) = -1; blue +1.
  State s = S(3, 5, 4, 0);
  Outcome o = play(*g, s, kRight, kLeft);
  CHECK_EQ(s[0], 4);
  CHECK_EQ(s[1], 4);
  CHECK(pays(o, -1.0f, 1.0f));
  CHECK((counters(*g, s) == std::array<int32_t, 4>{1, 0, 0, 1}));
  CHECK(s[2] != 4);  // the new coin avoids the shared cell

  // Blue coin: the mirror image.
  s = S(1, 7, 4, 1);
  o = play(*g, s, kDown, kUp);
  CHECK(pays(o, 1.0f, -1.0f));
  CHECK((counters(*g, s) == std::array<int32_t, 4>{0, 1, 1, 0}));
}

TEST("coin: the new coin is uniform over the free cells, its colour a fair coin") {
  auto g = make_game("coin", P({}));
  // Two agents on distinct cells (4 and 5): 7 free cells; and on one shared cell (4): 8.
  for (const bool shared : {false, true}) {
    std::map<int, int> seen;
    int blue = 0;
    const int n = 14000;
    for (int k = 0; k < n; ++k) {
      State s = shared ? S(3, 5, 4, 0) : S(3, 8, 4, 0);
      play(*g, s, kRight, shared ? kLeft : kUp, 0, 1000 + k, k);
      CHECK(s[2] != s[0] && s[2] != s[1]);
      ++seen[s[2]];
      blue += s[3];
    }
    CHECK_EQ(static_cast<int>(seen.size()), shared ? 8 : 7);
    for (const auto& [cell, count] : seen) CHECK_CLOSE(count, static_cast<double>(n) / seen.size(), 0.1, 0);
    CHECK_CLOSE(blue, n / 2.0, 0.05, 0);
  }
}

TEST("coin: observations are own, other, own-colour coin, other-colour coin") {
  auto g = make_game("coin", P({}));
  const State s = S(1, 6, 8, 0);  // red coin
  std::vector<float> obs(36);
  auto ones = [&] {
    std::vector<int> at;
    for (int i = 0; i < 36; ++i) {
      CHECK(obs[i] == 0.0f || obs[i] == 1.0f);
      if (obs[i] == 1.0f) at.push_back(i);
    }
    return at;
  };
  g->observe(s.data(), 0, 0, obs.data());
  CHECK((ones() == std::vector<int>{1, 9 + 6, 18 + 8}));  // red: own at 1, other at 6, own-colour coin at 8
  g->observe(s.data(), 0, 1, obs.data());
  CHECK((ones() == std::vector<int>{6, 9 + 1, 27 + 8}));  // blue: own at 6, other at 1, red coin is the other's
  const State b = S(1, 6, 8, 1);                         // blue coin
  g->observe(b.data(), 0, 0, obs.data());
  CHECK((ones() == std::vector<int>{1, 9 + 6, 27 + 8}));
  g->observe(b.data(), 0, 1, obs.data());
  CHECK((ones() == std::vector<int>{6, 9 + 1, 18 + 8}));
  // Agents on one cell: each sees itself and the other there.
  const State c = S(4, 4, 0, 1);
  g->observe(c.data(), 0, 0, obs.data());
  CHECK((ones() == std::vector<int>{4, 9 + 4, 27 + 0}));
}

TEST("coin: reset puts both agents and the coin on distinct random cells; counters start at zero") {
  auto g = make_game("coin", P({}));
  EnvBatch e(g, 9000, 3);
  std::map<int, int> red, blue, coin;
  int blue_coins = 0;
  for (int64_t b = 0; b < e.batch(); ++b) {
    const int32_t* s = e.state(b);
    CHECK(s[0] != s[1] && s[0] != s[2] && s[1] != s[2]);
    ++red[s[0]];
    ++blue[s[1]];
    ++coin[s[2]];
    blue_coins += s[3];
    for (int i = 4; i < 8; ++i) CHECK_EQ(s[i], 0);
  }
  for (const auto* m : {&red, &blue, &coin}) {
    CHECK_EQ(static_cast<int>(m->size()), 9);
    for (const auto& [cell, count] : *m) CHECK_CLOSE(count, 1000.0, 0.12, 0);
  }
  CHECK_CLOSE(blue_coins, 4500.0, 0.05, 0);
}

TEST("coin: episodes last `rounds` steps; a reset clears the counters") {
  auto g = make_game("coin", P({{"rounds", 5.0}}));
  EnvBatch e(g, 3, 0);
  const int32_t a[6] = {0, 1, 2, 3, 3, 0};
  float r[6];
  uint8_t d[3];
  for (int t = 0; t < 5; ++t) {
    e.step(0, 3, a, r, d, nullptr);
    for (int b = 0; b < 3; ++b) CHECK_EQ(d[b], t == 4 ? 1 : 0);
  }
  e.step(0, 3, a, r, d, nullptr);
  CHECK_EQ(e.steps_taken(0), 5);
  CHECK_EQ(r[0], 0.0f);
  CHECK_EQ(static_cast<int>(d[2]), 1);
  CHECK(!make_game("coin", P({}))->step(S(0, 1, 2, 0).data(), 14, a, r, EnvDraw{0, 0, 0, 14}));
  CHECK(make_game("coin", P({}))->step(S(0, 1, 2, 0).data(), 15, a, r, EnvDraw{0, 0, 0, 15}));

  // Red tours every cell each 9 steps (right, right, down), so it meets the coin; then reset.
  auto long_game = make_game("coin", P({{"rounds", 200.0}}));
  EnvBatch w(long_game, 1, 4);
  for (int t = 0; t < 200; ++t) {
    const int32_t tour[2] = {t % 3 == 2 ? kDown : kRight, kUp};
    w.step(0, 1, tour, r, d, nullptr);
  }
  int32_t c[4];
  long_game->stats(w.state(0), c);
  CHECK(c[0] + c[1] + c[2] + c[3] > 0);
  w.reset(0, 1);
  long_game->stats(w.state(0), c);
  CHECK_EQ(c[0] + c[1] + c[2] + c[3], 0);
}

TEST("coin: a seed reproduces a run; equal streams share coin placements") {
  auto g = make_game("coin", P({{"size", 4.0}, {"rounds", 64.0}, {"stay", 1.0}}));
  // Environments 0 and 1 share stream 7, 2 and 3 share stream 9; 4 is alone.
  const std::vector<uint32_t> streams = {7, 7, 9, 9, 4};
  EnvBatch a(g, 5, 42, streams), b(g, 5, 42, streams), other(g, 5, 43, streams);
  uint32_t x = 12345;
  auto next = [&] {
    x = x * 1664525u + 1013904223u;
    return static_cast<int32_t>((x >> 16) % 5);
  };
  std::vector<int32_t> act(10);
  std::vector<float> ra(10), rb(10), ro(10);
  std::vector<uint8_t> d(5);
  bool seeds_differ = false, streams_differ = false;
  auto same_state = [&](const EnvBatch& u, int64_t i, const EnvBatch& v, int64_t j) {
    for (int k = 0; k < 8; ++k)
      if (u.state(i)[k] != v.state(j)[k]) return false;
    return true;
  };
  CHECK(same_state(a, 0, a, 1));
  CHECK(same_state(a, 2, a, 3));
  for (int t = 0; t < 64; ++t) {
    // Environments that share a stream get the same moves.
    for (int e = 0; e < 5; ++e)
      for (int i = 0; i < 2; ++i) act[2 * e + i] = (e == 1 || e == 3) ? act[2 * (e - 1) + i] : next();
    a.step(0, 5, act.data(), ra.data(), d.data(), nullptr);
    b.step(0, 5, act.data(), rb.data(), d.data(), nullptr);
    other.step(0, 5, act.data(), ro.data(), d.data(), nullptr);
    CHECK(ra == rb);
    for (int e = 0; e < 5; ++e) CHECK(same_state(a, e, b, e));
    CHECK(same_state(a, 0, a, 1));
    CHECK(same_state(a, 2, a, 3));
    streams_differ = streams_differ || !same_state(a, 0, a, 2);
    seeds_differ = seeds_differ || !same_state(a, 0, other, 0);
  }
  CHECK(streams_differ);
  CHECK(seeds_differ);
  // A second episode draws new placements but stays reproducible.
  a.reset(0, 5);
  b.reset(0, 5);
  for (int e = 0; e < 5; ++e) CHECK(same_state(a, e, b, e));
  CHECK(same_state(a, 0, a, 1));
}

TEST("coin: bad parameters are named errors") {
  CHECK_THROWS_CODE(make_game("coin", P({{"size", 1.0}})), codes::kInvalidParam);
  CHECK_THROWS_CODE(make_game("coin", P({{"size", 17.0}})), codes::kInvalidParam);
  CHECK_THROWS_CODE(make_game("coin", P({{"size", 3.5}})), codes::kInvalidParam);
  CHECK_THROWS_CODE(make_game("coin", P({{"width", 1.0}})), codes::kInvalidParam);
  CHECK_THROWS_CODE(make_game("coin", P({{"height", 20.0}})), codes::kInvalidParam);
  CHECK_THROWS_CODE(make_game("coin", P({{"size", 4.0}, {"width", 4.0}})), codes::kInvalidParam);
  CHECK_THROWS_CODE(make_game("coin", P({{"rounds", 0.0}})), codes::kInvalidParam);
  CHECK_THROWS_CODE(make_game("coin", P({{"rounds", 2097152.0}})), codes::kInvalidParam);
  CHECK_THROWS_CODE(make_game("coin", P({{"stay", 2.0}})), codes::kInvalidParam);
  CHECK_THROWS_CODE(make_game("coin", P({{"stay", std::string("yes")}})), codes::kInvalidParam);
  CHECK_THROWS_CODE(make_game("coin", P({{"reward", std::nan("")}})), codes::kInvalidParam);
  CHECK_THROWS_CODE(make_game("coin", P({{"penalty", 1e7}})), codes::kInvalidParam);
  CHECK_THROWS_CODE(make_game("coin", P({{"grid", 3.0}})), codes::kInvalidParam);
  try {
    make_game("coin", P({{"size", 4.0}, {"height", 2.0}}));
    CHECK(false);
  } catch (const Error& e) {
    CHECK(std::string(e.what()).find("params.size") != std::string::npos);
  }
  // Stay is not an action unless enabled.
  EnvBatch e(make_game("coin", P({})), 1, 0);
  const int32_t stay[2] = {4, 0};
  CHECK_THROWS_CODE(e.check_actions(stay), codes::kInvalidArgument);
}

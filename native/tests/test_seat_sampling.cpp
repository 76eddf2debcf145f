// sample_seats against sample_logits, row by row: the block path for two
// actions must give the per-row sampler's bits, and rows it does not take
// (non-finite logits) must fail as the per-row path does.
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <vector>

#include "../core/draws.hpp"
#include "../core/env.hpp"
#include "../core/error.hpp"
#include "../core/sampling.hpp"
#include "../core/seat_sampling.hpp"
#include "check.hpp"

using namespace dilemma;

namespace {

Params P() { return Params("params", {}); }

uint32_t bits(float x) {
  uint32_t u;
  std::memcpy(&u, &x, sizeof u);
  return u;
}

// count logits uniform in [-scale, scale) from a fixed LCG.
std::vector<float> lcg_logits(size_t count, uint32_t seed, float scale) {
  std::vector<float> z(count);
  for (auto& x : z) {
    seed = seed * 1664525u + 1013904223u;
    x = (static_cast<float>(seed >> 8) / 8388608.0f - 1.0f) * scale;
  }
  return z;
}

// A non-greedy seat at step 0 and temperature 1 writing its outputs at
// [b * stride + agent].
ActContext seat(const EnvBatch& envs, int agent, uint64_t seed, int32_t* actions, float* logp, float* entropy,
                int64_t stride) {
  ActContext c{};
  c.envs = &envs;
  c.agent = agent;
  c.seed = seed;
  c.actions = actions;
  c.logp = logp;
  c.entropy = entropy;
  c.out_stride = stride;
  return c;
}

// Both seats of the IPD for n environments at one step; logits [2 * n, 2],
// seat-major. Checks every output against sample_logits with the same draw.
void check_block(const std::vector<float>& logits, int64_t n, float temperature, int step) {
  auto game = make_game("ipd", P());
  EnvBatch envs(game, n, 7);
  envs.restart(n, nullptr, 3);
  std::vector<int32_t> actions(n * 2, -9);
  std::vector<float> logp(n * 2), entropy(n * 2);
  ActContext seats[2];
  for (int s = 0; s < 2; ++s) {
    ActContext& c = seats[s];
    c = seat(envs, s, 11, actions.data(), logp.data(), entropy.data(), 2);
    c.step = step;
    c.temperature = temperature;
    c.first_env = 3;
  }
  sample_seats(seats, 2, 0, n, logits.data(), 2, "test policy");
  std::vector<float> u(2 * n);
  rng::uniform_planes(11, 3, n, 0, static_cast<uint32_t>(step), rng::kSample, 0, 2, u.data());
  for (int s = 0; s < 2; ++s)
    for (int64_t k = 0; k < n; ++k) {
      const Sample want = sample_logits(logits.data() + (s * n + k) * 2, 2, temperature, false, u[s * n + k], nullptr);
      const int64_t i = k * 2 + s;
      CHECK_EQ(actions[i], want.action);
      CHECK_EQ(bits(logp[i]), bits(want.logp));
      CHECK_EQ(bits(entropy[i]), bits(want.entropy));
      // Untempered finite logits give a finite entropy, even where their
      // spread is beyond the float range.
      if (temperature == 1.0f) CHECK(std::isfinite(entropy[i]) && entropy[i] >= 0.0f);
    }
}

}  // namespace

TEST("two-action seats sample as sample_logits does, bit for bit, at any temperature") {
  // More environments than one chunk of the block path (256), and not a multiple of it.
  const int64_t n = 300;
  std::vector<float> z = lcg_logits(4 * n, 12345, 12.0f);
  // Ties, a huge gap (the weight underflows to 0), equal large magnitudes,
  // signed zeros, a spread beyond the float range (the difference is -inf).
  const float special[][2] = {{0.5f, 0.5f},   {-80.0f, 80.0f}, {1e35f, 1e35f},     {-1e35f, -1e35f}, {1e35f, -1e35f},
                              {0.0f, -0.0f},  {1e-30f, 0.0f},  {3e38f, -3e38f},    {-3e38f, 3e38f},  {-87.5f, 0.0f}};
  for (size_t k = 0; k < sizeof special / sizeof special[0]; ++k) {
    z[2 * k] = special[k][0];
    z[2 * k + 1] = special[k][1];
  }
  for (float t : {1.0f, 0.5f, 2.3f, 1e-3f, 1e30f})
    for (int step = 0; step < 3; ++step) check_block(z, n, t, step);
}

TEST("a non-finite logit fails with ERR_MODEL_OUTPUT on the block path's seats") {
  const int64_t n = 300;
  for (float bad : {NAN, INFINITY, -INFINITY}) {
    std::vector<float> z(4 * n, 0.25f);
    z[5] = bad;
    CHECK_THROWS_CODE(check_block(z, n, 1.0f, 0), codes::kModelOutput);
    // In a later chunk, after the first chunk's rows were written.
    z[5] = 0.25f;
    z[2 * 290 + 1] = bad;
    CHECK_THROWS_CODE(check_block(z, n, 1.0f, 0), codes::kModelOutput);
  }
}

TEST("two-action seats against float64 softmax: log-probabilities, entropies and the inverse-CDF action") {
  const int64_t n = 600;
  const std::vector<float> z = lcg_logits(4 * n, 777, 30.0f);
  auto game = make_game("ipd", P());
  EnvBatch envs(game, n, 7);
  envs.restart(n, nullptr, 0);
  std::vector<int32_t> actions(n * 2);
  std::vector<float> logp(n * 2), entropy(n * 2);
  const ActContext seats[2] = {seat(envs, 0, 5, actions.data(), logp.data(), entropy.data(), 2),
                               seat(envs, 1, 5, actions.data(), logp.data(), entropy.data(), 2)};
  sample_seats(seats, 2, 0, n, z.data(), 2, "test policy");
  std::vector<float> u(2 * n);
  rng::uniform_planes(5, 0, n, 0, 0, rng::kSample, 0, 2, u.data());
  int near_boundary = 0;
  for (int k = 0; k < 2; ++k)
    for (int64_t b = 0; b < n; ++b) {
      const double z0 = z[(k * n + b) * 2], z1 = z[(k * n + b) * 2 + 1];
      const double top = std::max(z0, z1), l = top + std::log(std::exp(z0 - top) + std::exp(z1 - top));
      const double lp[2] = {z0 - l, z1 - l};
      const double h = -(std::exp(lp[0]) * lp[0] + std::exp(lp[1]) * lp[1]);
      const int64_t i = b * 2 + k;
      const int a = actions[i];
      CHECK(a == 0 || a == 1);
      CHECK(std::fabs(logp[i] - lp[a]) <= 1e-6 + 2e-6 * std::fabs(lp[a]));
      CHECK(std::fabs(entropy[i] - h) <= 1e-6 + 2e-6 * h);
      // Action 0 exactly when the draw falls under p0, except within float rounding of p0.
      const double p0 = std::exp(lp[0]), draw = u[k * n + b];
      if (std::fabs(draw - p0) < 1e-6) ++near_boundary;
      else CHECK_EQ(a, draw < p0 ? 0 : 1);
    }
  CHECK(near_boundary < 3);
}

namespace {

// Every seat of game id at step 0 of n environments, sampled by sample_seats
// (the general rows, in passes over chunks), against sample_logits row by
// row with the game's legal actions and the draw the row takes.
void check_rows(const char* id, int64_t n, float temperature, bool greedy_first, bool poison_illegal = false) {
  auto game = make_game(id, P());
  const GameInfo& g = game->info();
  const int A = g.actions, agents = g.agents;
  EnvBatch envs(game, n, 7);
  envs.restart(n, nullptr, 3);
  std::vector<float> z = lcg_logits(static_cast<size_t>(agents * n * A), 99, 40.0f);
  if (poison_illegal) {
    // What a model may put at actions it cannot take: NaN and infinities, never read.
    int64_t poisoned = 0;
    std::vector<uint8_t> ok(static_cast<size_t>(A));
    const float poison[] = {std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity(),
                            -std::numeric_limits<float>::infinity()};
    for (int a = 0; a < agents; ++a)
      for (int64_t b = 0; b < n; ++b) {
        game->legal_actions(envs.state(b), envs.steps_taken(b), a, ok.data());
        for (int i = 0; i < A; ++i)
          if (!ok[static_cast<size_t>(i)]) {
            z[static_cast<size_t>((a * n + b) * A + i)] = poison[(b + i) % 3];
            ++poisoned;
          }
      }
    CHECK(poisoned > 0);
  }
  std::vector<int32_t> actions(static_cast<size_t>(n * agents), -9);
  std::vector<float> logp(static_cast<size_t>(n * agents)), entropy(static_cast<size_t>(n * agents));
  std::vector<ActContext> seats(static_cast<size_t>(agents));
  for (int a = 0; a < agents; ++a) {
    ActContext& c = seats[static_cast<size_t>(a)];
    c = seat(envs, a, 21, actions.data(), logp.data(), entropy.data(), agents);
    c.temperature = temperature;
    c.greedy = greedy_first && a == 0;
  }
  sample_seats(seats.data(), agents, 0, n, z.data(), A, "test policy");
  std::vector<uint8_t> legal(static_cast<size_t>(A));
  for (int a = 0; a < agents; ++a)
    for (int64_t b = 0; b < n; ++b) {
      const uint8_t* ok = nullptr;
      if (game->has_illegal_actions()) {
        game->legal_actions(envs.state(b), envs.steps_taken(b), a, legal.data());
        ok = legal.data();
      }
      const rng::U32x4 w = rng::words(21, static_cast<uint32_t>(b), 0, 0, rng::kSample, static_cast<uint32_t>(a));
      const float u = rng::to_unit_float(w.v[a & 3]);
      const Sample want = sample_logits(z.data() + (a * n + b) * A, A, temperature, greedy_first && a == 0, u, ok);
      const int64_t i = b * agents + a;
      CHECK_EQ(actions[i], want.action);
      CHECK_EQ(bits(logp[i]), bits(want.logp));
      CHECK_EQ(bits(entropy[i]), bits(want.entropy));
    }
}

}  // namespace

TEST("general rows (any action count, legal masks, greedy seats) sample as sample_logits does, bit for bit") {
  for (const char* id : {"coin", "trust-and-split"})
    for (float t : {1.0f, 0.6f})
      for (bool greedy : {false, true}) check_rows(id, 300, t, greedy);
  // Non-finite logits at illegal actions are never read.
  check_rows("trust-and-split", 300, 1.0f, false, true);
}

// Scripted IPD rollout, random(p) in seat 0 against tit-for-tat in seat 1,
// writing the engine's full trajectory arrays into caller-owned buffers:
// observations [B, T, 2, 5], actions, log-probabilities, entropies and
// rewards [B, T, 2], dones and mask [B, T]. Episode-major: one episode's
// state stays in registers and every array is written front to back.
#include <cmath>
#include <cstdint>

#include "args.hpp"
#include "draws.hpp"
#include "games/matrix_rules.hpp"
#include "registry.hpp"
#include "rng.hpp"

namespace dilemma::reference {
namespace {

constexpr int kObs = matrix::kSlot;

struct Out {
  float* obs;
  int32_t* actions;
  float* logp;
  float* entropy;
  float* rewards;
  uint8_t* dones;
  uint8_t* mask;
};

// u(b, t): the draw of seat 0 in episode b, round t.
template <typename Draw>
void rollout(const Out& o, int64_t batch, int rounds, double p, Draw&& draw) {
  const matrix::Rules rules{{3, 3, 0, 5, 5, 0, 1, 1}, 0.0, 1.0, rounds};
  const float logp_c = static_cast<float>(std::log(p)), logp_d = static_cast<float>(std::log1p(-p));
  const float h = static_cast<float>(-(p * std::log(p) + (1 - p) * std::log1p(-p)));
  for (int64_t b = 0; b < batch; ++b) {
    int32_t history = -1;
    for (int t = 0; t < rounds; ++t) {
      const int64_t row = b * rounds + t;
      matrix::observe(&history, 1, 0, o.obs + row * 2 * kObs);
      matrix::observe(&history, 1, 1, o.obs + row * 2 * kObs + kObs);
      const bool c0 = draw(b, t) < p;
      const int m0 = c0 ? 0 : 1;
      const int m1 = history < 0 ? 0 : history >> 1;  // tit-for-tat copies seat 0's last move
      const matrix::DrawKey key{0, 0, 0, 0};           // no noise, no early end: never drawn
      const bool done = matrix::step(rules, &history, 1, t, m0, m1, o.rewards + row * 2, key);
      o.actions[row * 2] = m0;
      o.actions[row * 2 + 1] = m1;
      o.logp[row * 2] = c0 ? logp_c : logp_d;
      o.logp[row * 2 + 1] = 0.0f;
      o.entropy[row * 2] = h;
      o.entropy[row * 2 + 1] = 0.0f;
      o.dones[row] = done ? 1 : 0;
      o.mask[row] = 1;
    }
  }
}

// ipdRollout(observations, actions, logProbs, entropies, rewards, dones, mask, batch, rounds, p, seed, philox)
Napi::Value ipd_rollout(const Napi::CallbackInfo& info) {
  const int64_t batch = integer_arg(info[7], "batch", 1, int64_t{1} << 32);
  const int rounds = static_cast<int>(integer_arg(info[8], "rounds", 1, 1 << 20));
  const int64_t steps = batch * rounds;
  if (steps > (int64_t{1} << 40)) throw argument_error(info.Env(), "batch * rounds is too large");
  const Out o{array_arg<float>(info[0], "observations", steps * 2 * kObs),
              array_arg<int32_t>(info[1], "actions", steps * 2),
              array_arg<float>(info[2], "logProbs", steps * 2),
              array_arg<float>(info[3], "entropies", steps * 2),
              array_arg<float>(info[4], "rewards", steps * 2),
              array_arg<uint8_t>(info[5], "dones", steps),
              array_arg<uint8_t>(info[6], "mask", steps)};
  const double p = number_arg(info[9], "p", 0, 1);
  if (p <= 0 || p >= 1) throw argument_error(info.Env(), "p must be strictly between 0 and 1");
  const uint64_t seed = static_cast<uint64_t>(integer_arg(info[10], "seed", 0, (int64_t{1} << 53) - 1));
  const bool philox = info[11].ToBoolean();
  if (philox) {
    rollout(o, batch, rounds, p, [seed](int64_t b, int t) {
      return static_cast<double>(rng::uniform(seed, static_cast<uint32_t>(b), 0, static_cast<uint32_t>(t),
                                              rng::kScripted, 0));
    });
  } else {
    Xorshift32 x{static_cast<uint32_t>(seed) | 1u};
    rollout(o, batch, rounds, p, [&x](int64_t, int) { return x.next(); });
  }
  return info.Env().Undefined();
}

}  // namespace

void register_ipd_rollout(Napi::Env env, Napi::Object exports) {
  exports.Set("ipdRollout", Napi::Function::New(env, ipd_rollout, "ipdRollout"));
}

}  // namespace dilemma::reference

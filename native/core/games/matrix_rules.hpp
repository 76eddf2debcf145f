// The iterated 2x2 game's rules for one environment, shared by MatrixGame
// (matrix.cpp) and the CUDA rollout kernel (cuda/rollout_kernels.cu). The
// state is `history` int32 values, the joint moves of the last rounds, most
// recent first (-1: no round yet). Action 0 is "cooperate", 1 "defect"; a
// joint move is 2 * a0 + a1.
//
// Every function takes the history length as an argument rather than from
// Rules: the kernel passes a compile-time constant, so that the state stays
// in registers.
#pragma once

#include <stdint.h>

#include <type_traits>

#include "../hd.hpp"
#include "../rng.hpp"

namespace dilemma::matrix {

// Observation values per remembered round: a one-hot of none, CC, CD, DC,
// DD from the observing agent's side (own move first).
inline constexpr int kSlot = 5;
inline constexpr int kMaxHistory = 8;

struct Rules {
  // rewards[2 * joint + player]: the payoff table as the rewards are written.
  float rewards[8];
  double noise;         // chance that each move is flipped before it counts
  double continuation;  // chance of another round before `rounds`; 1: always
  int32_t rounds;
};

// The counter of the environment's draws at one step (EnvDraw without its
// member function, so that device code can build it).
struct DrawKey {
  uint64_t seed;
  uint32_t stream;
  uint32_t episode;
  uint32_t step;
};

DLM_HD void reset(int32_t* s, int history) {
  for (int k = 0; k < history; ++k) s[k] = -1;
}

// Position of the hot value in one round's slot, from agent's side.
DLM_HD int observation_index(int32_t joint, int agent) {
  if (joint < 0) return 0;
  const int a0 = joint >> 1, a1 = joint & 1;
  return agent == 0 ? 1 + 2 * a0 + a1 : 1 + 2 * a1 + a0;
}

// obs: kSlot * history floats.
DLM_HD void observe(const int32_t* s, int history, int agent, float* obs) {
  for (int i = 0; i < history * kSlot; ++i) obs[i] = 0.0f;
  for (int k = 0; k < history; ++k) obs[k * kSlot + observation_index(s[k], agent)] = 1.0f;
}

// The last round from agent's side; -1 for both before the first round.
DLM_HD void last_moves(const int32_t* s, int agent, int* own, int* other) {
  if (s[0] < 0) {
    *own = -1;
    *other = -1;
    return;
  }
  const int a0 = s[0] >> 1, a1 = s[0] & 1;
  *own = agent == 0 ? a0 : a1;
  *other = agent == 0 ? a1 : a0;
}

// Plays round t (0-based) with moves a0, a1 in {0, 1}: noise flips a move
// with the draws of slots 0 and 1, the round is paid and remembered, and
// slot 2 decides whether a round before the last is followed by another.
// The three slots are words of one Philox call, made only when the game is
// random. Returns true when the episode ends with this round. The noise and
// continuation comparisons are made in double, as the parameters are given.
DLM_HD bool step(const Rules& r, int32_t* s, int history, int t, int a0, int a1, float* rewards, const DrawKey& draw) {
  const bool noisy = r.noise > 0, random_end = r.continuation < 1.0 && t + 1 < r.rounds;
  rng::U32x4 w{{0, 0, 0, 0}};
  if (noisy || random_end) w = rng::words(draw.seed, draw.stream, draw.episode, draw.step, rng::kEnv, 0);
  if (noisy) {
    if (rng::to_unit_float(w.v[0]) < r.noise) a0 = 1 - a0;
    if (rng::to_unit_float(w.v[1]) < r.noise) a1 = 1 - a1;
  }
  const int joint = 2 * a0 + a1;
  rewards[0] = r.rewards[2 * joint];
  rewards[1] = r.rewards[2 * joint + 1];
  for (int k = history - 1; k > 0; --k) s[k] = s[k - 1];
  s[0] = joint;
  if (t + 1 >= r.rounds) return true;
  return random_end && rng::to_unit_float(w.v[2]) >= r.continuation;
}

// Calls f(std::integral_constant<int, H>{}) for the run-time history length
// `history` (1 to kMaxHistory), so that host code can pick an instantiation
// whose state stays in registers (the CUDA rollout kernel, the trainer's
// fused path); `otherwise` for any other length.
template <typename F, typename R>
R with_history(int history, F&& f, R otherwise) {
  static_assert(kMaxHistory == 8, "one case per history length");
  switch (history) {
    case 1: return f(std::integral_constant<int, 1>{});
    case 2: return f(std::integral_constant<int, 2>{});
    case 3: return f(std::integral_constant<int, 3>{});
    case 4: return f(std::integral_constant<int, 4>{});
    case 5: return f(std::integral_constant<int, 5>{});
    case 6: return f(std::integral_constant<int, 6>{});
    case 7: return f(std::integral_constant<int, 7>{});
    case 8: return f(std::integral_constant<int, 8>{});
    default: return otherwise;
  }
}

}  // namespace dilemma::matrix

// Argument checks of the matrix-game rollout entries (rollout_api.cu): the
// parameter rules of the 'matrix' game (native/core/games/matrix.cpp), the
// tabular model (native/core/learn/tabular.cpp) and the scripted strategies
// (native/core/strategies.cpp), and the conversion of the ABI's descriptors
// into what the kernel takes. Host code only; the parity test uses it too,
// to run the kernel's per-environment loop on the host.
#pragma once

#include <cmath>
#include <cstdint>
#include <string>

#include "api_checks.cuh"
#include "dilemma_cuda.h"
#include "limits.hpp"
#include "rollout_launch.cuh"
#include "status.cuh"

namespace dilemma::cuda {

static_assert(DLM_CUDA_STRATEGY_ALWAYS_COOPERATE == static_cast<int>(strategy::Kind::kAlwaysCooperate) &&
                  DLM_CUDA_STRATEGY_ALWAYS_DEFECT == static_cast<int>(strategy::Kind::kAlwaysDefect) &&
                  DLM_CUDA_STRATEGY_TIT_FOR_TAT == static_cast<int>(strategy::Kind::kTitForTat) &&
                  DLM_CUDA_STRATEGY_SUSPICIOUS_TIT_FOR_TAT == static_cast<int>(strategy::Kind::kSuspiciousTitForTat) &&
                  DLM_CUDA_STRATEGY_GENEROUS_TIT_FOR_TAT == static_cast<int>(strategy::Kind::kGenerousTitForTat) &&
                  DLM_CUDA_STRATEGY_GRIM_TRIGGER == static_cast<int>(strategy::Kind::kGrimTrigger) &&
                  DLM_CUDA_STRATEGY_WIN_STAY_LOSE_SHIFT == static_cast<int>(strategy::Kind::kWinStayLoseShift) &&
                  DLM_CUDA_STRATEGY_ALTERNATE == static_cast<int>(strategy::Kind::kAlternate) &&
                  DLM_CUDA_STRATEGY_RANDOM == static_cast<int>(strategy::Kind::kRandom) &&
                  DLM_CUDA_STRATEGY_ZD_EXTORTION == static_cast<int>(strategy::Kind::kZdExtortion) &&
                  strategy::kKinds == 10,
              "the ABI's strategies are dilemma::strategy::Kind");

// The limits of the 'matrix' game's parameters (the core's table) and of the tabular model.
inline constexpr int32_t kMaxRounds = limits::kMaxRounds;
inline constexpr int64_t kMaxStates = int64_t{1} << 20;

inline void check_fraction(double v, const std::string& name, double hi = 1.0) {
  if (!(v >= 0.0 && v <= hi))
    invalid(name + " must be a number in [0, " + number_text(hi) + "], got " + number_text(v));
}

inline matrix::Rules check_game(const dlm_cuda_matrix_game* game) {
  check_ptr(game, "game");
  for (int i = 0; i < 8; ++i)
    if (!std::isfinite(game->rewards[i]))
      invalid("game.rewards[" + std::to_string(i) + "] must be finite, got " + number_text(game->rewards[i]));
  check_fraction(game->noise, "game.noise", 0.5);
  check_fraction(game->continuation, "game.continuation");
  if (game->rounds < 1 || game->rounds > kMaxRounds)
    invalid("game.rounds must be an integer in [1, " + std::to_string(kMaxRounds) + "], got " +
            std::to_string(game->rounds));
  if (game->history < 1 || game->history > matrix::kMaxHistory)
    invalid("game.history must be an integer in [1, " + std::to_string(matrix::kMaxHistory) + "], got " +
            std::to_string(game->history));
  matrix::Rules rules{};
  for (int i = 0; i < 8; ++i) rules.rewards[i] = game->rewards[i];
  rules.noise = game->noise;
  rules.continuation = game->continuation;
  rules.rounds = game->rounds;
  return rules;
}

// The policy as the kernel takes it, with its table's row count in *states
// (0 for a scripted policy).
inline MatrixPolicy check_policy(const dlm_cuda_matrix_policy& p, int k, int history, int64_t* states) {
  const std::string name = "policies[" + std::to_string(k) + "]";
  MatrixPolicy out{};
  out.kind = p.kind;
  *states = 0;
  if (p.kind == DLM_CUDA_POLICY_TABULAR) {
    const int obs_dim = matrix::kSlot * history;
    if (p.blocks < 1 || p.blocks > obs_dim || obs_dim % p.blocks != 0)
      invalid(name + ".blocks must divide the observation size " + std::to_string(obs_dim) + ", got " +
              std::to_string(p.blocks));
    const int size = obs_dim / p.blocks;
    int64_t n = 1;
    for (int j = 0; j < p.blocks; ++j) {
      n *= size;
      if (n > kMaxStates)
        invalid(name + ".blocks: " + std::to_string(p.blocks) + " blocks of " + std::to_string(size) +
                " give more than " + std::to_string(kMaxStates) + " states");
    }
    check_ptr(p.table, (name + ".table").c_str());
    out.table = p.table;
    out.blocks = p.blocks;
    out.block_size = size;
    *states = n;
    return out;
  }
  if (p.kind != DLM_CUDA_POLICY_SCRIPTED)
    invalid(name + ".kind must be DLM_CUDA_POLICY_TABULAR (0) or DLM_CUDA_POLICY_SCRIPTED (1), got " +
            std::to_string(p.kind));
  if (p.strategy < 0 || p.strategy >= strategy::kKinds)
    invalid(name + ".strategy must be one of DLM_CUDA_STRATEGY_* (0 to " + std::to_string(strategy::kKinds - 1) +
            "), got " + std::to_string(p.strategy));
  out.rule.kind = static_cast<strategy::Kind>(p.strategy);
  switch (out.rule.kind) {
    case strategy::Kind::kGenerousTitForTat:
      check_fraction(p.forgiveness, name + ".forgiveness");
      out.rule.forgiveness = p.forgiveness;
      break;
    case strategy::Kind::kRandom:
      check_fraction(p.p, name + ".p");
      out.rule.p = p.p;
      break;
    case strategy::Kind::kZdExtortion:
      for (int i = 0; i < 4; ++i) {
        check_fraction(p.zd[i], name + ".zd[" + std::to_string(i) + "]");
        out.rule.zd[i] = p.zd[i];
      }
      break;
    default:
      break;
  }
  return out;
}

struct Checked {
  MatrixRollout rollout;
  int64_t states[2];
};

inline Checked check_args(const dlm_cuda_matrix_game* game, const dlm_cuda_matrix_policy* policies,
                          int64_t batch, int32_t steps, uint64_t seed, float temperature, int greedy,
                          const dlm_cuda_trajectory* out, const uint32_t* streams) {
  Checked c{};
  MatrixRollout& r = c.rollout;
  r.rules = check_game(game);
  r.history = game->history;
  check_ptr(policies, "policies");
  for (int k = 0; k < 2; ++k) r.policy[k] = check_policy(policies[k], k, r.history, &c.states[k]);
  if (batch < 1) invalid("batch must be at least 1, got " + std::to_string(batch));
  // Environment indices are the draws' 32-bit stream ids.
  if (batch > INT32_MAX)
    invalid("batch must be at most " + std::to_string(INT32_MAX) + ", got " + std::to_string(batch));
  if (steps < 1) invalid("steps must be at least 1, got " + std::to_string(steps));
  check_ptr(out, "out");
  const int64_t per_step = 2 * (out->obs ? matrix::kSlot * r.history : 1);
  if (batch > kMaxElements / steps / per_step) invalid("batch * steps is too large");
  if (!(std::isfinite(temperature) && temperature > 0.0f))
    invalid("temperature must be a finite number above 0, got " + number_text(temperature));
  check_ptr(out->actions, "out.actions");
  check_ptr(out->logp, "out.logp");
  check_ptr(out->rewards, "out.rewards");
  check_ptr(out->dones, "out.dones");
  check_ptr(out->mask, "out.mask");
  r.streams = streams;
  r.batch = batch;
  r.steps = steps;
  r.seed = seed;
  r.temperature = temperature;
  r.greedy = greedy != 0;
  r.out = *out;
  return c;
}

inline void check_table_values(const float* table, int64_t count, int k) {
  for (int64_t i = 0; i < count; ++i)
    if (!std::isfinite(table[i]))
      invalid("policies[" + std::to_string(k) + "].table[" + std::to_string(i) + "] must be finite, got " +
              number_text(table[i]));
}

}  // namespace dilemma::cuda

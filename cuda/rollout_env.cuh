// One environment's whole rollout, as one thread of the rollout kernel
// (rollout_kernels.cu) runs it: dilemma::rollout (native/core/rollout.cpp)
// for the iterated 2x2 game with tabular and scripted policies. The game's
// rules (games/matrix_rules.hpp), the strategies' rules
// (strategy_rules.hpp), sampling (sampling.hpp) and the random numbers
// (rng.hpp) are the DLM_HD functions the CPU runs; this only walks the steps
// and writes the trajectory.
//
// Written with DLM_HD as well, so that the parity test also runs it on the
// host against the CPU rollout: that checks the kernel's logic (state,
// draws, layout) on any machine, bit for bit, since the host's exp and log
// are the CPU path's.
#pragma once

#include <math.h>
#include <stdint.h>

#include <type_traits>

#include "dilemma_cuda.h"
#include "games/matrix_rules.hpp"
#include "hd.hpp"
#include "rng.hpp"
#include "rollout_launch.cuh"
#include "strategy_rules.hpp"
#if defined(__CUDACC__)
// sample_logits fills its cache of weights in the loop before the one that
// reads it, under the same condition; the front end cannot see that and
// warns (549) that the cache may be read unset.
#pragma nv_diag_suppress 549
#include "sampling.hpp"
#pragma nv_diag_default 549
#else
#include "sampling.hpp"
#endif

namespace dilemma::cuda {

// Tabular::state_of (native/core/learn/tabular.cpp): each block's argmax,
// the first on ties, as a mixed-radix number with block 0 least significant.
DLM_HD int64_t tabular_state_of(const float* x, int blocks, int size) {
  int64_t state = 0, place = 1;
  for (int j = 0; j < blocks; ++j, place *= size) {
    const float* block = x + static_cast<int64_t>(j) * size;
    int best = 0;
    for (int i = 1; i < size; ++i)
      if (block[i] > block[best]) best = i;
    state += best * place;
  }
  return state;
}

// The tabular state of agent's observation of s. With one block per
// remembered round, each block is that round's one-hot, whose argmax is its
// hot position: the observation is never built. Any other cut goes through
// the observation and the general rule.
template <int H>
DLM_HD int64_t tabular_state(const int32_t* s, int agent, const MatrixPolicy& p) {
  if (p.blocks == H) {
    int64_t state = 0, place = 1;
    for (int k = 0; k < H; ++k, place *= matrix::kSlot) state += matrix::observation_index(s[k], agent) * place;
    return state;
  }
  float obs[H * matrix::kSlot];
  matrix::observe(s, H, agent, obs);
  return tabular_state_of(obs, p.blocks, p.block_size);
}

struct Move {
  int action;
  float logp;
  float entropy;
  bool finite;
};

// ModelPolicy::act_seats (native/core/learn/model_policy.cpp) for a tabular
// model, and Scripted::act (native/core/strategies.cpp): the same draws and
// the same rules for environment b at step t.
template <int H>
DLM_HD Move act(const MatrixRollout& r, const MatrixPolicy& p, const int32_t* s, int agent, int64_t b, int t,
                int32_t* memory) {
  if (p.kind == DLM_CUDA_POLICY_TABULAR) {
    const float* z = p.table + tabular_state<H>(s, agent, p) * 2;
    const float u = r.greedy ? 0.0f
                             : rng::uniform(r.seed, static_cast<uint32_t>(b), 0, static_cast<uint32_t>(t),
                                            rng::kSample, static_cast<uint32_t>(agent));
    const Sample smp = sample_logits(z, 2, r.temperature, r.greedy, u, nullptr);
    return {smp.action, smp.logp, smp.entropy, smp.finite};
  }
  int own, other;
  matrix::last_moves(s, agent, &own, &other);
  const double pc = strategy::cooperate_probability(p.rule, own, other, t, memory);
  const float u = strategy::stochastic(p.rule.kind)
                      ? rng::uniform(r.seed, static_cast<uint32_t>(b), 0, static_cast<uint32_t>(t), rng::kScripted,
                                     static_cast<uint32_t>(agent))
                      : 0.0f;
  const bool cooperate = strategy::cooperates(pc, u);
  const strategy::LogTerms lt = strategy::log_terms(pc);
  return {cooperate ? 0 : 1, cooperate ? lt.log_c : lt.log_d, lt.entropy, true};
}

// Environment b for all r.steps steps. The state (remembered rounds, a grim
// trigger's memory, the done flag) lives in local variables; with H a
// compile-time constant the rules' loops over it unroll, so on the GPU it
// stays in registers.
template <int H>
DLM_HD void run_environment(const MatrixRollout& r, int64_t b) {
  constexpr int O = H * matrix::kSlot;
  const dlm_cuda_trajectory& out = r.out;
  const matrix::DrawKey key0{r.seed, r.streams ? r.streams[b] : static_cast<uint32_t>(b), 0u, 0u};

  int32_t s[H];
  matrix::reset(s, H);
  int32_t memory[2] = {0, 0};
  bool done = false;
  for (int t = 0; t < r.steps; ++t) {
    const int64_t row = b * r.steps + t;
    const int64_t i = row * 2;
    if (done) {
      for (int a = 0; a < 2; ++a) {
        out.actions[i + a] = -1;
        out.logp[i + a] = 0.0f;
        out.rewards[i + a] = 0.0f;
        if (out.entropy) out.entropy[i + a] = 0.0f;
      }
      out.dones[row] = 0;
      out.mask[row] = 0;
      if (out.obs)
        for (int k = 0; k < 2 * O; ++k) out.obs[i * O + k] = 0.0f;
      continue;
    }
    if (out.obs) {
      for (int a = 0; a < 2; ++a) {
        float obs[O];
        matrix::observe(s, H, a, obs);
        for (int k = 0; k < O; ++k) out.obs[(i + a) * O + k] = obs[k];
      }
    }
    Move m[2];
    for (int a = 0; a < 2; ++a) m[a] = act<H>(r, r.policy[a], s, a, b, t, &memory[a]);
    float rewards[2] = {0.0f, 0.0f};
    if (m[0].finite && m[1].finite) {
      matrix::DrawKey key = key0;
      key.step = static_cast<uint32_t>(t);
      done = matrix::step(r.rules, s, H, t, m[0].action, m[1].action, rewards, key);
    } else {
      // A non-finite logit (only possible through the device entry, which
      // cannot check the tables first): no move to play, the episode ends.
      for (int a = 0; a < 2; ++a)
        if (!m[a].finite) m[a] = Move{-1, NAN, NAN, false};
      done = true;
    }
    for (int a = 0; a < 2; ++a) {
      out.actions[i + a] = m[a].action;
      out.logp[i + a] = m[a].logp;
      out.rewards[i + a] = rewards[a];
      if (out.entropy) out.entropy[i + a] = m[a].entropy;
    }
    out.dones[row] = done;
    out.mask[row] = 1;
  }
}

// One dispatch over the history length for the kernel's launch and the
// parity test's host run (matrix_rules.hpp).
using matrix::with_history;

}  // namespace dilemma::cuda

// The device trainer's stages for an MLP policy (train_api.cu) on an
// iterated 2x2 game. The policy's observation there is one-hot over the
// remembered joint moves (matrix::observe), so it takes at most kSlot^history
// values: the MLP runs once per such state (mlp_row.hpp, the CPU model's own
// row math) into the same sampling table the tabular policy fills, the
// rollout and credit stages are the tabular ones, and the update carries the
// closed-form per-state logit gradient (train_logit_grads) back through the
// MLP state by state. In exact arithmetic this is the CPU Trainer's per-row
// gradient, summed in another order; the work is per state, not per row.
#pragma once

#include <stdint.h>

#include "games/matrix_rules.hpp"
#include "dilemma_cuda.h"
#include "hd.hpp"
#include "learn/mlp_row.hpp"
#include "train_stages.cuh"

namespace dilemma::cuda {

// At most kSlot^4 = 625 states: past that most states go unvisited and a
// per-state pass wastes its work.
constexpr int kMlpMaxHistory = DLM_CUDA_MLP_MAX_HISTORY;

// The MLP and the buffers of its per-state pass, [states, ...] each.
struct TrainMlp {
  learn::MlpShape shape;
  int history;
  int64_t states, obs_dim, hidden_total, params;
  float* obs;     // [states, obs_dim]
  float* hidden;  // [states, hidden_total]: every hidden layer's outputs
  float* delta;   // [states, hidden_total]: their pre-activation gradients
  float* logits;  // [states, 2]
  float* dlogits; // [states, 2]
};

DLM_HD int64_t train_mlp_states(int history) {
  int64_t states = 1;
  for (int k = 0; k < history; ++k) states *= matrix::kSlot;
  return states;
}

// State s's observation (the inverse of train_state's direct reading), its
// hidden outputs and logits under params.
DLM_HD void train_mlp_forward(const TrainMlp& n, const float* params, int64_t s) {
  float* x = n.obs + s * n.obs_dim;
  for (int64_t i = 0; i < n.obs_dim; ++i) x[i] = 0.0f;
  int64_t rest = s;
  for (int k = 0; k < n.history; ++k, rest /= matrix::kSlot) x[k * matrix::kSlot + rest % matrix::kSlot] = 1.0f;
  learn::mlp_forward_row(n.shape, params, x, n.hidden + s * n.hidden_total, n.logits + s * 2);
}

DLM_HD void train_mlp_backward(const TrainMlp& n, const float* params, int64_t s) {
  learn::mlp_backward_row(n.shape, params, n.hidden + s * n.hidden_total, n.dlogits + s * 2,
                          n.delta + s * n.hidden_total);
}

// Parameter p's gradient: its per-state terms added in state order.
DLM_HD float train_mlp_param_grad(const TrainMlp& n, int64_t p) {
  const learn::MlpParamPlace q = learn::mlp_param_place(n.shape, p);
  double g = 0.0;
  for (int64_t s = 0; s < n.states; ++s)
    g += learn::mlp_param_term(n.shape, q, n.obs + s * n.obs_dim, n.hidden + s * n.hidden_total,
                               n.delta + s * n.hidden_total, n.dlogits + s * 2);
  return static_cast<float>(g);
}

}  // namespace dilemma::cuda

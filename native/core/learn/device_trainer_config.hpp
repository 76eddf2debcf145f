// The device trainer's configuration (cuda/include/dilemma_cuda.h) from a CPU
// Trainer's: one translation for the addon and the CUDA benchmark, so that
// both always run the device on exactly the work the CPU Trainer describes.
// The caller checks first that the Trainer is one the device covers (a 2x2
// matrix game with a tabular model, or an MLP over at most 4 rounds).
#pragma once

#include "../../../cuda/include/dilemma_cuda.h"
#include "../games/matrix_rules.hpp"
#include "mlp_row.hpp"
#include "model.hpp"
#include "trainer.hpp"

namespace dilemma::learn {

inline dlm_cuda_train_config device_train_config(const Trainer& t) {
  const TrainerConfig& c = t.config();
  int history = 0;
  const matrix::Rules& rules = *c.game->matrix_rules(&history);
  const MlpShape* mlp = c.model->mlp_shape();
  int64_t direct_states = 1;  // an MLP reads every round's joint move
  for (int k = 0; k < history; ++k) direct_states *= matrix::kSlot;
  const TabularLayout layout = mlp ? TabularLayout{history, matrix::kSlot, direct_states} : *c.model->tabular_layout();
  dlm_cuda_train_config d{};
  for (int i = 0; i < 8; ++i) d.rewards[i] = rules.rewards[i];
  d.noise = rules.noise;
  d.continuation = rules.continuation;
  d.rounds = rules.rounds;
  d.history = history;
  d.states = layout.states;
  d.blocks = layout.blocks;
  d.block_size = layout.size;
  d.batch = c.batch;
  d.steps = t.steps();
  d.epochs = c.epochs;
  d.seed = c.seed;
  d.group_size = c.group_size > 0 ? c.group_size : c.batch;
  d.gamma = c.gamma;
  d.beta = c.beta;
  d.temperature = c.temperature;
  d.include_current = c.include_current ? 1 : 0;
  d.aa_past_rewards = c.aa_past == TrainerConfig::AaPast::kRewards ? 1 : 0;
  d.aa_form = static_cast<int32_t>(c.aa_form);
  d.algorithm = static_cast<int32_t>(c.algorithm);
  d.objective = static_cast<int32_t>(c.loss.objective);
  d.normalize = static_cast<int32_t>(c.loss.normalize);
  d.ratio_cap = c.loss.ratio_cap;
  d.clip = c.loss.clip;
  d.entropy_coef = c.loss.entropy_coef;
  d.normalizer = c.loss.normalizer;
  d.lr = c.adam.lr;
  d.beta1 = c.adam.beta1;
  d.beta2 = c.adam.beta2;
  d.eps = c.adam.eps;
  d.clip_norm = c.adam.clip_norm;
  d.linear_schedule = c.schedule == TrainerConfig::Schedule::kLinear ? 1 : 0;
  d.iterations = c.iterations;
  d.policy = mlp ? DLM_CUDA_POLICY_MLP : DLM_CUDA_POLICY_TABULAR;
  if (mlp) {
    d.mlp_layers = mlp->layers;
    for (int i = 0; i <= mlp->layers; ++i) d.mlp_widths[i] = mlp->widths[i];
    d.mlp_relu = mlp->relu ? 1 : 0;
  }
  return d;
}

}  // namespace dilemma::learn

// What the general training iteration (trainer.cpp) and the fused
// matrix-game iteration (trainer_fused.cpp) share: the buffers an iteration
// keeps between iterations and the learning-rate schedule.
#pragma once

#include <cstdint>
#include <vector>

#include "../sampling.hpp"
#include "trainer.hpp"

namespace dilemma::learn {

// The trajectory of one iteration, owned.
struct Batch {
  std::vector<float> obs, logp, entropy, rewards;
  std::vector<int32_t> actions;
  std::vector<uint8_t> dones, mask;
};

// The fused path's sampler for one state of a two-action tabular policy:
// the prepared softmax of its logits z and their weights e.
struct SamplerRow {
  Prepared prep;
  float e[2];
  float z[2];
};

// Buffers of one iteration, kept between iterations: the sizes repeat, and
// fresh allocations of this size cost page faults every time.
struct Trainer::Workspace {
  Batch t;
  std::vector<int32_t> groups, stats, actions;
  std::vector<std::vector<float>> adv, ret, past;
  std::vector<float> r, obs_a, v, critic_cache, values, dv, critic_grad;
  std::vector<float> obs, credits, behavior, others, logits, dlogits, cache, grad;
  std::vector<uint8_t> mask;
  // Fused path: rewards per agent [A][B*T], per-state tables.
  std::vector<std::vector<float>> rewards_by_agent;
  std::vector<SamplerRow> sampler;
  std::vector<double> partial;
};

namespace stages {

// Learning rates of this iteration under the configured schedule.
void apply_schedule(const TrainerConfig& cfg, int64_t iteration, Adam& adam, Adam& critic_adam);

}  // namespace stages
}  // namespace dilemma::learn

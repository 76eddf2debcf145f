// What the general training iteration (trainer.cpp) and the fused
// matrix-game iteration (trainer_fused.cpp) share: the buffers an iteration
// keeps between iterations, and the stages of an iteration
// (trainer_stages.cpp). Both paths choose the opponents and apply the
// learning-rate schedule, and Trainer::advance counts the iteration and
// keeps the snapshot buffer; the general path's rollout, transpose, critic,
// credits, loss epochs and metrics are the stages below, which the fused
// path (trainer_fused.cpp) fuses into one pass.
#pragma once

#include <cstdint>
#include <memory>
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
  std::vector<int32_t> groups, stats, actions, lived;
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

// Who plays this iteration: the current policy in every seat, or (with the
// configured probability, once the buffer holds snapshots) a past snapshot in
// the other seats, the learner then holding seat 0 only. Drawn from (seed,
// iteration), so a restored run chooses as the uninterrupted one.
struct Opponents {
  std::vector<int> seats;                     // the learner's seats
  const std::vector<float>* snapshot = nullptr;  // the other seats' parameters, or null
};
Opponents choose_opponents(const TrainerConfig& cfg, int64_t iteration, const std::vector<std::vector<float>>& buffer,
                           int agents);

// Learning rates of this iteration under the configured schedule.
void apply_schedule(const TrainerConfig& cfg, int64_t iteration, Adam& adam, Adam& critic_adam);

using Workspace = Trainer::Workspace;

// The sizes of one iteration of the general path.
struct Shape {
  int64_t B, T, A, O, BT;
  int threads;
};

// Rollout: the learner's parameters in its seats, the snapshot's (if any) in
// the others; fills w.t, w.groups and the game statistics of m.
void play(const TrainerConfig& cfg, const Shape& s, std::shared_ptr<const std::vector<float>> params,
          const std::vector<float>* opponent, uint64_t seed, Workspace& w, IterationMetrics& m);

// Every agent's returns and advantages (w.ret, w.adv), against the
// leave-one-out baseline or the critic (whose gradient goes to
// w.critic_grad), and for Advantage Alignment over past rewards every
// agent's one-step reward advantages (w.past). Returns the critic's loss (0
// without one).
double advantages(const TrainerConfig& cfg, const Shape& s, const std::vector<float>& critic_params, Workspace& w);

// The credits of the learner's seats with their observations, actions,
// behaviour log-probabilities and mask, stacked seat-major into one training
// batch of seats.size() * BT rows (w.obs, w.credits, ...), whitened if asked.
void stack_credits(const TrainerConfig& cfg, const Shape& s, const std::vector<int>& seats, Workspace& w);

// The policy update over the stacked batch of `sequences` episodes: forward,
// loss gradient, backward and Adam, cfg.epochs times; the first epoch's
// numbers go to m.
void policy_epochs(const TrainerConfig& cfg, const Shape& s, int64_t sequences, std::vector<float>& params, Adam& adam,
                   Workspace& w, IterationMetrics& m);

// Metrics of the batch that was played: mean returns, cooperation rates and
// the learner's mean absolute credit over `rows` stacked rows.
void batch_metrics(const Shape& s, const Workspace& w, int64_t rows, IterationMetrics& m);

}  // namespace stages
}  // namespace dilemma::learn

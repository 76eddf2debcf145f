// The batched rollout loop: B environments for T steps, one policy per agent,
// written into caller-owned struct-of-arrays buffers.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "game.hpp"
#include "policy.hpp"

namespace dilemma {

struct RolloutOptions {
  int64_t batch = 1;
  int steps = 0;  // 0: the game's max_steps
  uint64_t seed = 0;
  // Per rollout, the environment's random stream: rollouts with equal ids
  // share the environment's random events (common random numbers). Empty:
  // every rollout its own stream.
  std::vector<uint32_t> groups;
  int threads = 0;  // 0: default_threads()
  float temperature = 1.0f;  // for learned policies
  bool greedy = false;       // learned policies take their most probable action
};

// Shapes: obs [B, T, A, obs_dim]; actions, logp, entropy, rewards [B, T, A];
// dones, mask [B, T]. dones is 1 at the step an episode ends; mask is 1 at
// every step an environment took (0 for padding after its end, where actions
// are -1 and everything else 0). stats [B, game.stat_count()]: the game's
// statistics at the end of each rollout (may be null). The other pointers
// are required.
struct TrajectoryView {
  float* obs;
  int32_t* actions;
  float* logp;
  float* entropy;
  float* rewards;
  uint8_t* dones;
  uint8_t* mask;
  int32_t* stats = nullptr;
};

struct TrajectorySizes {
  int64_t obs, per_agent, per_step;
};

// Resolves steps and checks sizes against the engine's limits.
int rollout_steps(const Game& game, const RolloutOptions& options);
TrajectorySizes trajectory_sizes(const Game& game, const RolloutOptions& options);
// Checks that every policy can play its seat; throws with a code otherwise.
void check_policies(const Game& game, const std::vector<std::shared_ptr<const Policy>>& policies);

void rollout(const std::shared_ptr<const Game>& game, const std::vector<std::shared_ptr<const Policy>>& policies,
             const RolloutOptions& options, const TrajectoryView& out);

// A rollout's totals without its trajectory: per agent, the sum of every
// reward (rollout by rollout, step by step, as a trajectory's rewards are
// summed in order) and the number of taken steps with action 0; and the
// number of taken steps (mask = 1).
struct RolloutSummary {
  std::vector<double> returns, action0;
  int64_t live = 0;
};

// Runs rollouts on the calling thread (options.threads is ignored) and keeps
// only their summary; the draws are exactly rollout()'s. Its memory is reused
// from one call to the next (a tournament's pairs), so a thread keeps one.
class RolloutSummarizer {
 public:
  RolloutSummarizer();
  ~RolloutSummarizer();
  RolloutSummarizer(const RolloutSummarizer&) = delete;
  RolloutSummarizer& operator=(const RolloutSummarizer&) = delete;
  RolloutSummary run(const std::shared_ptr<const Game>& game, const std::vector<std::shared_ptr<const Policy>>& policies,
                     const RolloutOptions& options);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace dilemma

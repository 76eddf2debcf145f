// What rollout() (rollout_worker.cc) and RolloutPlan (rollout_plan.cc)
// share: reading a rollout's options, deciding where it runs, and taking
// the trajectory arrays it writes into.
#pragma once

#include <napi.h>

#include <memory>
#include <vector>

#include "args.hpp"
#include "gpu_entries.hpp"
#include "rollout.hpp"
#include "trajectory_buffers.hpp"

namespace dilemma::addon {

// The trajectory's arrays, in this order everywhere: observations, actions,
// logProbs, entropies, rewards, dones, mask, stats.
constexpr int kTrajectoryFields = 8;
const char* trajectory_field(int k);

// options.batch, steps, threads, temperature, greedy and groups into opt
// (the seed is the caller's: rollout() reads it, a plan takes it per run).
void read_rollout_options(Napi::Env env, const Options& o, RolloutOptions& opt);

// One rollout as a call set it up: its game and policies (held, so that
// disposing them later frees nothing a run uses), options, the arrays it
// writes, and where it runs (gpu set: the CUDA kernel). rollout() runs one
// once; a RolloutPlan keeps one and runs it per seed.
struct RolloutCall {
  std::shared_ptr<const Game> game;
  std::vector<std::shared_ptr<const Policy>> policies;
  RolloutOptions options;
  TrajectoryView view{};
  std::shared_ptr<const gpu::MatrixRolloutPlan> gpu;

  void run() const;
  // True when it runs before the call returns: no GPU, every policy a cheap
  // scripted rule and at most 2^16 agent-steps.
  bool runs_inline() const;
};

// Puts the trajectory's arrays (fresh, or out's when out is given), steps
// and statNames on result and returns the view the core writes through.
// lease: null when the arrays are written before the call returns (an
// inline rollout) or never (allocateTrajectory, which asks for zeroed
// engine-owned memory). arrays, when given, receives the eight arrays.
TrajectoryView trajectory_arrays(Napi::Env env, const Game& game, const RolloutOptions& opt, const Napi::Value& out,
                                 Napi::Object result, BufferLease* lease, bool zero, Napi::Value* arrays = nullptr);

}  // namespace dilemma::addon

// The GPU side of entry points that also run on the CPU (rollout, policy
// loss): whether the CUDA kernels cover a call, and running it there with
// the CPU function's inputs, outputs and errors. Callers choose with the
// backend the TypeScript side resolved from the `gpu` option.
#pragma once

#include <napi.h>

#include <memory>
#include <string>
#include <vector>

#include "../../cuda/include/dilemma_cuda.h"
#include "game.hpp"
#include "learn/loss.hpp"
#include "policy.hpp"
#include "rollout.hpp"

namespace dilemma::addon::gpu {

// How a call asked for the GPU: not at all, "auto" (the GPU where its
// kernels cover the call, the CPU otherwise) or "cuda" (the GPU or an error).
enum class Want { kNo, kAuto, kCuda };

// Reads the backend the TypeScript side resolved (absent, "cpu", "auto" or
// "cuda") from options[key].
Want want_of(Napi::Env env, const Napi::Value& value, const std::string& name);

// A rollout the matrix-game kernel can run: the game and both seats as the
// C ABI takes them, holding the tables alive while the job runs.
struct MatrixRolloutPlan {
  dlm_cuda_matrix_game game{};
  dlm_cuda_matrix_policy policy[2]{};
  std::shared_ptr<const std::vector<float>> tables[2];
  int max_steps = 0;  // the game's, for a call without options.steps
};

// The plan for game and policies; nullptr when `want` is kNo, or kAuto and
// the kernel does not cover them. kCuda: ERR_BACKEND_UNAVAILABLE when the
// library is unavailable (with its reason) or the kernel does not cover
// the call (saying why).
std::shared_ptr<const MatrixRolloutPlan> plan_rollout(Want want, const Game& game,
                                                      const std::vector<std::shared_ptr<const Policy>>& policies);

// Runs the planned rollout into out (host memory), as dilemma::rollout
// would fill it; a non-finite logit is ERR_MODEL_OUTPUT as on the CPU.
void matrix_rollout(const MatrixRolloutPlan& plan, const RolloutOptions& options, const TrajectoryView& out);

// dilemma::learn::policy_loss on the GPU (host arrays, copied in and out).
learn::LossResult policy_loss(const float* logits, int64_t rows, int A, const int32_t* actions,
                              const float* credits, const uint8_t* mask, const float* behavior_logp,
                              const float* ref_logits, const float* ref_logp, const learn::LossTerms& terms,
                              float* dlogits);

}  // namespace dilemma::addon::gpu

// Launcher of the batched matrix-game rollout kernel (rollout_kernels.cu) on
// device pointers. Arguments are checked by the callers (rollout_api.cu);
// the launcher only enqueues work on `stream` and returns the launch error.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

#include "dilemma_cuda.h"
#include "games/matrix_rules.hpp"
#include "strategy_rules.hpp"

namespace dilemma::cuda {

struct MatrixPolicy {
  int32_t kind;        // DLM_CUDA_POLICY_*
  const float* table;  // tabular: [states, 2] logits, device memory
  int32_t blocks;      // tabular: observation blocks
  int32_t block_size;  // tabular: values per block, 5 * history / blocks
  strategy::Rule rule; // scripted
};

struct MatrixRollout {
  matrix::Rules rules;
  int32_t history;
  MatrixPolicy policy[2];
  const uint32_t* streams;  // [batch] or null
  int64_t batch;
  int32_t steps;
  uint64_t seed;
  float temperature;
  bool greedy;
  dlm_cuda_trajectory out;  // device pointers; entropy and obs may be null
};

cudaError_t launch_matrix_rollout(const MatrixRollout& r, cudaStream_t stream);

}  // namespace dilemma::cuda

// Launcher of the policy-loss kernels (loss_kernels.cu) on device pointers.
// Arguments are checked by the callers (loss_api.cu); the launcher only
// enqueues work on `stream` and returns the first launch error.
#pragma once

#include <cuda_runtime.h>

#include <cstddef>
#include <cstdint>

#include "dilemma_cuda.h"
#include "learn/loss_math.hpp"

namespace dilemma::cuda {

// The arguments of dilemma::learn::policy_loss, as device pointers.
struct LossInputs {
  const float* logits;
  int64_t rows;
  int A;
  const int32_t* actions;
  const float* credits;
  const uint8_t* mask;           // may be null
  const float* behavior_logp;    // may be null
  const float* ref_logits;       // may be null
  const float* ref_logp;         // may be null
  float* dlogits;                // may equal logits
  learn::LossRowOptions row;
  int normalize;                 // DLM_CUDA_NORMALIZE_*
  double normalizer;             // read for DLM_CUDA_NORMALIZE_CONSTANT
};

// Device scratch the launcher needs for `rows` rows, in bytes.
size_t loss_scratch_bytes(int64_t rows);

// Writes dlogits and *result (a device pointer). scratch: loss_scratch_bytes(rows)
// bytes of device memory, aligned as cudaMalloc aligns.
cudaError_t launch_policy_loss(const LossInputs& in, void* scratch, dlm_cuda_loss_result* result,
                               cudaStream_t stream);

}  // namespace dilemma::cuda

// Launchers of the credit kernels (credit_kernels.cu) on device pointers.
// Arguments are checked by the callers (credit_api.cu); each launcher only
// enqueues work on `stream` and returns the launch error.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

#include "credit_math.hpp"

namespace dilemma::cuda {

// `out` may equal `rewards` / `own`: each block reads a tile before it writes it.
cudaError_t launch_discounted_returns(const float* rewards, float* out, int64_t batch, int64_t steps, float gamma,
                                      cudaStream_t stream);
cudaError_t launch_gae(const float* rewards, const float* values, float* out, int64_t batch, int64_t steps,
                       float gamma, float lambda, cudaStream_t stream);
cudaError_t launch_advantage_alignment(const float* own, const float* others, float* out, int64_t batch,
                                       int64_t steps, float beta, float gamma, bool include_current,
                                       credit::AaForm form, cudaStream_t stream);

// Rollouts sorted by group and cut into chunks of at most kLooChunk members,
// so that a huge group is summed by many blocks and a tiny one by one, with
// the same order of additions on every run.
inline constexpr int kLooChunk = 32;

struct LooPlan {
  int64_t groups = 0;
  int64_t chunks = 0;
  const int32_t* row_group = nullptr;          // [batch] dense group of each rollout
  const int32_t* group_size = nullptr;         // [groups]
  const int32_t* members = nullptr;            // [batch] rollouts ordered by group
  const int32_t* chunk_begin = nullptr;        // [chunks + 1] offsets into members
  const int32_t* group_chunk_begin = nullptr;  // [groups + 1] offsets into chunk_begin
};

// partial: [chunks, steps] scratch; sums: [groups, steps] scratch, or
// nullptr when every group is a single chunk (the partial sums are then the
// group sums). `out` may equal `values`.
cudaError_t launch_leave_one_out(const float* values, float* out, int64_t batch, int64_t steps, const LooPlan& plan,
                                 double* partial, double* sums, cudaStream_t stream);

}  // namespace dilemma::cuda

// CUDA kernel of dilemma::rollout (native/core/rollout.cpp) for the iterated
// 2x2 game with tabular and scripted policies: one thread per environment
// for all steps, running run_environment (rollout_env.cuh), and one kernel
// per history length so that the state stays in registers.
//
// Every draw is a pure function of its counter, so no generator state is
// carried. Stores are one element per thread, rows of `steps` apart, which a
// warp cannot coalesce; they are still far from the bound here: at 1e9
// agent-steps/s the trajectory is about 15 GB/s, and the stores are
// write-only, so the L2 merges a row's pieces before they reach memory.
// The cost is the arithmetic of sampling and of the Philox draws.
#include <cuda_runtime.h>

#include <cstdint>

#include "rollout_env.cuh"
#include "rollout_launch.cuh"

namespace dilemma::cuda {

namespace {

constexpr int kRolloutThreads = 256;

template <int H>
__global__ void __launch_bounds__(kRolloutThreads) matrix_rollout_kernel(const MatrixRollout r) {
  const int64_t b = static_cast<int64_t>(blockIdx.x) * kRolloutThreads + threadIdx.x;
  if (b < r.batch) run_environment<H>(r, b);
}

}  // namespace

cudaError_t launch_matrix_rollout(const MatrixRollout& r, cudaStream_t stream) {
  const unsigned grid = static_cast<unsigned>((r.batch + kRolloutThreads - 1) / kRolloutThreads);
  return with_history(
      r.history,
      [&](auto history) {
        matrix_rollout_kernel<decltype(history)::value><<<grid, kRolloutThreads, 0, stream>>>(r);
        return cudaGetLastError();
      },
      cudaErrorInvalidValue);
}

}  // namespace dilemma::cuda

// CUDA kernels of dilemma::learn::policy_loss (native/core/learn/loss.cpp).
// Each live row runs policy_loss_row of loss_math.hpp, the function the CPU
// runs; what is here is how rows are spread over the GPU and how their loss
// parts are summed.
//
// Three kernels on one stream:
//   1. count: live and invalid rows (integer sums, so any order gives the
//      same counts). The live count sets the rows' weight 1 / N_eff, which
//      every row needs before its gradient can be written.
//   2. rows: one thread per row, kLossRows rows per block. When the block's
//      logits fit, they are staged in shared memory with coalesced copies
//      (a block's rows are one contiguous run of memory), since a thread
//      reading its own row straight from global memory makes each warp load
//      touch 32 rows at once. Each block then sums its rows' loss parts in
//      double, in a fixed tree order, into one partial.
//   3. finish: one block sums the partials in a fixed order and writes the
//      result. The order depends only on the number of rows, so a call gives
//      the same bits every time, on any device.
#include <cuda_runtime.h>

#include <algorithm>
#include <cstdint>

#include "learn/loss_math.hpp"
#include "loss_launch.cuh"

namespace dilemma::cuda {

namespace {

constexpr int kWarp = 32;
constexpr int kLossRows = 128;
constexpr int kCountThreads = 256;
constexpr int kFinishThreads = 256;
// Within the 48 KiB a block may use without an opt-in, leaving room for the
// kernel's static shared memory. Staging more would lower occupancy for
// little gain: rows that long already fill whole cache lines per thread.
constexpr size_t kMaxStageBytes = 46 * 1024;
constexpr unsigned kFull = 0xffffffffu;

struct LossCounts {
  unsigned long long live;
  unsigned long long invalid;
};

struct LossPartial {
  double policy;
  double entropy;
  double kl;
  unsigned long long clipped;
};

enum RowState : int { kDead = 0, kLive = 1, kInvalid = 2 };

// The CPU's order of checks: the mask first, then the padding action -1.
__device__ __forceinline__ int row_state(const LossInputs& in, int64_t i) {
  const unsigned m = in.mask ? in.mask[i] : 1u;
  if (m > 1) return kInvalid;
  if (m == 0) return kDead;
  const int32_t a = in.actions[i];
  if (a == -1) return kDead;
  return a < 0 || a >= in.A ? kInvalid : kLive;
}

__device__ __forceinline__ unsigned long long warp_sum(unsigned long long v) {
#pragma unroll
  for (int o = kWarp / 2; o > 0; o >>= 1) v += __shfl_down_sync(kFull, v, o);
  return v;
}

__device__ __forceinline__ double warp_sum(double v) {
#pragma unroll
  for (int o = kWarp / 2; o > 0; o >>= 1) v += __shfl_down_sync(kFull, v, o);
  return v;
}

__global__ void __launch_bounds__(kCountThreads) loss_count_kernel(LossInputs in, LossCounts* counts) {
  unsigned long long live = 0, bad = 0;
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < in.rows; i += stride) {
    const int s = row_state(in, i);
    live += s == kLive;
    bad += s == kInvalid;
  }
  live = warp_sum(live);
  bad = warp_sum(bad);
  if (threadIdx.x % kWarp == 0) {
    if (live) atomicAdd(&counts->live, live);
    if (bad) atomicAdd(&counts->invalid, bad);
  }
}

// N_eff as policy_loss() takes it, and 1 / N_eff (0 when there is nothing
// to divide by, as on the CPU).
struct Scale {
  double normalizer;
  double inv;
};

__device__ __forceinline__ Scale scale_of(const LossInputs& in, unsigned long long live) {
  double n = in.normalizer;
  if (in.normalize == DLM_CUDA_NORMALIZE_MASK) n = static_cast<double>(live);
  if (in.normalize == DLM_CUDA_NORMALIZE_ROWS) n = static_cast<double>(in.rows);
  return {n, n > 0.0 ? 1.0 / n : 0.0};
}

// Odd, so that thread r reading column k of its staged row hits bank
// (r * pitch + k) % 32 with no two threads of a warp on the same bank.
__host__ __device__ __forceinline__ int stage_pitch(int A) { return A | 1; }

template <bool kStaged>
__global__ void __launch_bounds__(kLossRows)
    loss_rows_kernel(LossInputs in, const LossCounts* counts, LossPartial* partial) {
  extern __shared__ float stage[];
  const int A = in.A;
  const int64_t r0 = static_cast<int64_t>(blockIdx.x) * kLossRows;
  const int n = static_cast<int>(in.rows - r0 < kLossRows ? in.rows - r0 : kLossRows);
  const int r = static_cast<int>(threadIdx.x);
  const int64_t i = r0 + r;
  const bool in_range = r < n;
  const int state = in_range ? row_state(in, i) : kDead;
  const float weight = static_cast<float>(scale_of(in, counts->live).inv);

  const int pitch = stage_pitch(A);
  float* z_tile = stage;
  float* ref_tile = stage + kLossRows * pitch;
  const int64_t base = r0 * A;
  // Only read when staged, where A is small enough for this to fit an int.
  const int count = kStaged ? n * A : 0;
  if (kStaged) {
    for (int e = r; e < count; e += kLossRows) {
      const int row = e / A, k = e - row * A;
      z_tile[row * pitch + k] = in.logits[base + e];
      if (in.ref_logits) ref_tile[row * pitch + k] = in.ref_logits[base + e];
    }
    __syncthreads();
  }

  LossPartial mine{0.0, 0.0, 0.0, 0ull};
  float* dz = kStaged ? z_tile + r * pitch : in.dlogits + i * A;
  if (state == kLive) {
    const float* z = kStaged ? z_tile + r * pitch : in.logits + i * A;
    const float* ref_z = in.ref_logits ? (kStaged ? ref_tile + r * pitch : in.ref_logits + i * A) : nullptr;
    const learn::RowLoss loss = learn::policy_loss_row(
        z, A, in.actions[i], in.credits[i], weight, in.behavior_logp ? in.behavior_logp + i : nullptr, ref_z,
        in.ref_logp ? in.ref_logp + i : nullptr, in.row, dz);
    mine = {loss.policy, loss.entropy, loss.kl, loss.clipped ? 1ull : 0ull};
  } else if (in_range) {
    for (int k = 0; k < A; ++k) dz[k] = 0.0f;
  }

  if (kStaged) {
    __syncthreads();
    for (int e = r; e < count; e += kLossRows) {
      const int row = e / A, k = e - row * A;
      in.dlogits[base + e] = z_tile[row * pitch + k];
    }
  }

  __shared__ LossPartial warps[kLossRows / kWarp];
  mine.policy = warp_sum(mine.policy);
  mine.entropy = warp_sum(mine.entropy);
  mine.kl = warp_sum(mine.kl);
  mine.clipped = warp_sum(mine.clipped);
  if (r % kWarp == 0) warps[r / kWarp] = mine;
  __syncthreads();
  if (r == 0) {
    LossPartial total = warps[0];
    for (int w = 1; w < kLossRows / kWarp; ++w) {
      total.policy += warps[w].policy;
      total.entropy += warps[w].entropy;
      total.kl += warps[w].kl;
      total.clipped += warps[w].clipped;
    }
    partial[blockIdx.x] = total;
  }
}

__global__ void __launch_bounds__(kFinishThreads)
    loss_finish_kernel(LossInputs in, const LossCounts* counts, const LossPartial* partial, int64_t blocks,
                       dlm_cuda_loss_result* result) {
  __shared__ LossPartial sums[kFinishThreads];
  const int r = static_cast<int>(threadIdx.x);
  LossPartial acc{0.0, 0.0, 0.0, 0ull};
  for (int64_t b = r; b < blocks; b += kFinishThreads) {
    acc.policy += partial[b].policy;
    acc.entropy += partial[b].entropy;
    acc.kl += partial[b].kl;
    acc.clipped += partial[b].clipped;
  }
  sums[r] = acc;
  __syncthreads();
  for (int s = kFinishThreads / 2; s > 0; s >>= 1) {
    if (r < s) {
      sums[r].policy += sums[r + s].policy;
      sums[r].entropy += sums[r + s].entropy;
      sums[r].kl += sums[r + s].kl;
      sums[r].clipped += sums[r + s].clipped;
    }
    __syncthreads();
  }
  if (r != 0) return;
  const unsigned long long live = counts->live;
  const Scale sc = scale_of(in, live);
  dlm_cuda_loss_result out;
  out.normalizer = sc.normalizer;
  out.policy = sums[0].policy * sc.inv;
  out.entropy = sums[0].entropy * sc.inv;
  out.kl = sums[0].kl * sc.inv;
  out.loss = out.policy - static_cast<double>(in.row.entropy_coef) * out.entropy +
             static_cast<double>(in.row.kl_coef) * out.kl;
  out.clipped_fraction = live > 0 ? static_cast<double>(sums[0].clipped) / static_cast<double>(live) : 0.0;
  out.live_rows = static_cast<int64_t>(live);
  out.invalid_rows = static_cast<int64_t>(counts->invalid);
  *result = out;
}

int64_t row_blocks(int64_t rows) { return (rows + kLossRows - 1) / kLossRows; }

size_t align_up(size_t n) { return (n + 255) / 256 * 256; }

}  // namespace

size_t loss_scratch_bytes(int64_t rows) {
  return align_up(sizeof(LossCounts)) + static_cast<size_t>(row_blocks(rows)) * sizeof(LossPartial);
}

cudaError_t launch_policy_loss(const LossInputs& in, void* scratch, dlm_cuda_loss_result* result,
                               cudaStream_t stream) {
  auto* counts = static_cast<LossCounts*>(scratch);
  auto* partial = reinterpret_cast<LossPartial*>(static_cast<char*>(scratch) + align_up(sizeof(LossCounts)));
  cudaError_t e = cudaMemsetAsync(counts, 0, sizeof(LossCounts), stream);
  if (e != cudaSuccess) return e;

  const int64_t count_blocks = std::min<int64_t>((in.rows + kCountThreads - 1) / kCountThreads, 4096);
  loss_count_kernel<<<static_cast<unsigned>(count_blocks), kCountThreads, 0, stream>>>(in, counts);
  if ((e = cudaGetLastError()) != cudaSuccess) return e;

  const int64_t blocks = row_blocks(in.rows);
  const size_t stage_bytes =
      static_cast<size_t>(kLossRows) * stage_pitch(in.A) * sizeof(float) * (in.ref_logits ? 2 : 1);
  if (stage_bytes <= kMaxStageBytes)
    loss_rows_kernel<true><<<static_cast<unsigned>(blocks), kLossRows, stage_bytes, stream>>>(in, counts, partial);
  else
    loss_rows_kernel<false><<<static_cast<unsigned>(blocks), kLossRows, 0, stream>>>(in, counts, partial);
  if ((e = cudaGetLastError()) != cudaSuccess) return e;

  loss_finish_kernel<<<1, kFinishThreads, 0, stream>>>(in, counts, partial, blocks, result);
  return cudaGetLastError();
}

}  // namespace dilemma::cuda

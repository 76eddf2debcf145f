// CUDA kernels of the credit functions in native/core/credit.cpp. The math is
// the DLM_HD row and element functions of credit_math.hpp, the same code the
// CPU runs; what is here is only how the work is spread over the GPU.
//
// Scans (discounted returns, GAE, Advantage Alignment): one thread per
// rollout. A thread reading its own row straight from row-major
// [batch, steps] memory would make every warp touch 32 rows at once, one
// sector each, wasting most of each transfer. Instead a block of kRows
// threads streams its kRows rows through shared memory in tiles of kSteps
// steps: warps copy tiles in and out along rows (coalesced), each thread then
// scans its row of the tile, carrying the scan state to the next tile. The
// next tile is loaded into registers while the current one is scanned.
#include <cuda_runtime.h>

#include <algorithm>
#include <cstdint>

#include "credit_launch.cuh"
#include "credit_math.hpp"

namespace dilemma::cuda {

namespace {

constexpr int kWarp = 32;
constexpr int kRows = 64;
constexpr int kWarps = kRows / kWarp;
// One warp-wide run of a row per copy instruction: 128 contiguous bytes.
constexpr int kSteps = kWarp;
// Odd pitch: thread r reading step t of its row hits bank (r + t) % 32, so a
// warp's scan reads are free of bank conflicts.
constexpr int kPitch = kSteps + 1;
// Blocks per SM the register budget must allow: 8 x 64 threads keep about
// 500 rollouts per SM in flight, enough to fill an H100's 132 SMs from a
// batch of 65536 in one wave.
constexpr int kMinBlocks = 8;

__device__ __forceinline__ int tile_width(int64_t steps, int64_t t0) {
  return static_cast<int>(steps - t0 < kSteps ? steps - t0 : kSteps);
}

// The row stride, made opaque to the optimizer. Otherwise it precomputes the
// 32 row addresses of a window once per kernel and keeps them all live,
// 64 bits each, which costs more registers than the window's values and
// halves the blocks that fit on an SM.
__device__ __forceinline__ int64_t opaque(int64_t x) {
  asm volatile("" : "+l"(x));
  return x;
}

// A [kRows, kSteps] window of a row-major array whose rows are `ld` floats
// apart, held in registers: lane l of warp w holds column l of rows w,
// w + kWarps, ..., so each load or store of a warp is one contiguous run of
// a row. Addresses advance by a pointer increment. Lanes past `cols` read
// column cols - 1 again (the scan never looks at those entries), which keeps
// the loads unconditional; only the last block of a grid can have fewer than
// kRows rows, and only its path tests rows, with the limit made opaque so
// that 32 row tests are not kept live across the tile loop.
struct Window {
  float v[kRows / kWarps];

  __device__ __forceinline__ void fetch(const float* src, int64_t ld, int rows, int cols) {
    const int lane = static_cast<int>(threadIdx.x) % kWarp, warp = static_cast<int>(threadIdx.x) / kWarp;
    const int64_t stride = opaque(kWarps * ld);
    const float* p = src + warp * ld + (lane < cols ? lane : cols - 1);
    if (rows == kRows) {
#pragma unroll
      for (int i = 0; i < kRows / kWarps; ++i) {
        v[i] = *p;
        p += stride;
      }
    } else {
      const int64_t valid = opaque(rows - warp);
#pragma unroll
      for (int i = 0; i < kRows / kWarps; ++i) {
        v[i] = i * kWarps < valid ? *p : 0.0f;
        p += stride;
      }
    }
  }

  __device__ __forceinline__ void put(float* tile) const {
    const int lane = static_cast<int>(threadIdx.x) % kWarp, warp = static_cast<int>(threadIdx.x) / kWarp;
#pragma unroll
    for (int i = 0; i < kRows / kWarps; ++i) tile[(warp + i * kWarps) * kPitch + lane] = v[i];
  }
};

__device__ __forceinline__ void store_tile(const float* tile, float* dst, int64_t ld, int rows, int cols) {
  const int lane = static_cast<int>(threadIdx.x) % kWarp, warp = static_cast<int>(threadIdx.x) / kWarp;
  if (lane >= cols) return;
  const int64_t stride = opaque(kWarps * ld);
  float* p = dst + warp * ld + lane;
  const float* t = tile + warp * kPitch + lane;
  if (rows == kRows) {
#pragma unroll
    for (int i = 0; i < kRows / kWarps; ++i) {
      *p = t[i * kWarps * kPitch];
      p += stride;
    }
  } else {
    const int64_t valid = opaque(rows - warp);
#pragma unroll
    for (int i = 0; i < kRows / kWarps; ++i) {
      if (i * kWarps < valid) *p = t[i * kWarps * kPitch];
      p += stride;
    }
  }
}

__device__ __forceinline__ int block_rows(int64_t batch) {
  const int64_t left = batch - static_cast<int64_t>(blockIdx.x) * kRows;
  return static_cast<int>(left < kRows ? left : kRows);
}

__global__ void __launch_bounds__(kRows, kMinBlocks)
    discounted_returns_kernel(const float* rewards, float* out, int64_t batch, int64_t steps, float gamma) {
  __shared__ float tile[kRows * kPitch];
  const int rows = block_rows(batch);
  const bool scans = static_cast<int>(threadIdx.x) < rows;
  const int64_t base = static_cast<int64_t>(blockIdx.x) * kRows * steps;
  float* row = tile + threadIdx.x * kPitch;
  const int64_t tiles = (steps + kSteps - 1) / kSteps;

  Window r;
  r.fetch(rewards + base + (tiles - 1) * kSteps, steps, rows, tile_width(steps, (tiles - 1) * kSteps));
  float acc = 0.0f;
  for (int64_t k = tiles - 1; k >= 0; --k) {
    const int64_t t0 = k * kSteps;
    const int n = tile_width(steps, t0);
    r.put(tile);
    __syncthreads();
    if (k > 0) r.fetch(rewards + base + t0 - kSteps, steps, rows, kSteps);
    if (scans) acc = credit::discounted_returns_row(row, row, n, gamma, acc);
    __syncthreads();
    store_tile(tile, out + base + t0, steps, rows, n);
    __syncthreads();
  }
}

__global__ void __launch_bounds__(kRows, kMinBlocks) gae_kernel(const float* rewards, const float* values,
                                                                float* out, int64_t batch, int64_t steps,
                                                                float gamma, float lambda) {
  __shared__ float r_tile[kRows * kPitch];
  __shared__ float v_tile[kRows * kPitch];
  const int rows = block_rows(batch);
  const bool scans = static_cast<int>(threadIdx.x) < rows;
  const int64_t row0 = static_cast<int64_t>(blockIdx.x) * kRows;
  const int64_t r_base = row0 * steps, v_base = row0 * (steps + 1);
  float* r_row = r_tile + threadIdx.x * kPitch;
  float* v_row = v_tile + threadIdx.x * kPitch;
  const int64_t tiles = (steps + kSteps - 1) / kSteps;

  // A tile of n rewards needs n + 1 values: the one after the tile
  // bootstraps it. That is the first value of the tile scanned before (the
  // scan runs backwards), kept in a register; for the last tile it is the
  // final column of `values`.
  float bootstrap = scans ? values[v_base + threadIdx.x * (steps + 1) + steps] : 0.0f;
  Window r, v;
  const int64_t last = (tiles - 1) * kSteps;
  r.fetch(rewards + r_base + last, steps, rows, tile_width(steps, last));
  v.fetch(values + v_base + last, steps + 1, rows, tile_width(steps, last));
  float acc = 0.0f;
  for (int64_t k = tiles - 1; k >= 0; --k) {
    const int64_t t0 = k * kSteps;
    const int n = tile_width(steps, t0);
    r.put(r_tile);
    v.put(v_tile);
    __syncthreads();
    if (k > 0) {
      r.fetch(rewards + r_base + t0 - kSteps, steps, rows, kSteps);
      v.fetch(values + v_base + t0 - kSteps, steps + 1, rows, kSteps);
    }
    if (scans) {
      v_row[n] = bootstrap;
      acc = credit::gae_row(r_row, v_row, r_row, n, gamma, lambda, acc);
      bootstrap = v_row[0];
    }
    __syncthreads();
    store_tile(r_tile, out + r_base + t0, steps, rows, n);
    __syncthreads();
  }
}

__global__ void __launch_bounds__(kRows, kMinBlocks)
    advantage_alignment_kernel(const float* own, const float* others, float* out, int64_t batch, int64_t steps,
                               float beta, float gamma, bool include_current, credit::AaForm form) {
  __shared__ float own_tile[kRows * kPitch];
  __shared__ float other_tile[kRows * kPitch];
  const int rows = block_rows(batch);
  const bool scans = static_cast<int>(threadIdx.x) < rows;
  const int64_t base = static_cast<int64_t>(blockIdx.x) * kRows * steps;
  float* own_row = own_tile + threadIdx.x * kPitch;
  const float* other_row = other_tile + threadIdx.x * kPitch;
  const int64_t tiles = (steps + kSteps - 1) / kSteps;

  Window a, b;
  a.fetch(own + base, steps, rows, tile_width(steps, 0));
  b.fetch(others + base, steps, rows, tile_width(steps, 0));
  float s = 0.0f;
  for (int64_t k = 0; k < tiles; ++k) {
    const int64_t t0 = k * kSteps;
    const int n = tile_width(steps, t0);
    a.put(own_tile);
    b.put(other_tile);
    __syncthreads();
    if (k + 1 < tiles) {
      const int next = tile_width(steps, t0 + kSteps);
      a.fetch(own + base + t0 + kSteps, steps, rows, next);
      b.fetch(others + base + t0 + kSteps, steps, rows, next);
    }
    if (scans)
      s = credit::advantage_alignment_row(own_row, other_row, own_row, n, beta, gamma, include_current, form, s, t0);
    __syncthreads();
    store_tile(own_tile, out + base + t0, steps, rows, n);
    __syncthreads();
  }
}

// Leave-one-out: blocks of kLooThreads consecutive steps, so every load and
// store of a row is coalesced. Work items are (chunk or group or rollout,
// step tile) pairs, walked with a grid-stride loop so that any shape fits
// the grid limits.
constexpr int kLooThreads = 256;
constexpr int64_t kMaxGrid = int64_t{1} << 24;

__global__ void __launch_bounds__(kLooThreads)
    loo_partial_kernel(const float* values, int64_t steps, int64_t step_tiles, LooPlan plan, double* partial) {
  const int64_t items = plan.chunks * step_tiles;
  for (int64_t item = blockIdx.x; item < items; item += gridDim.x) {
    const int64_t c = item / step_tiles;
    const int64_t t = (item % step_tiles) * kLooThreads + threadIdx.x;
    if (t >= steps) continue;
    // Members in rollout order, starting from 0.0 as the CPU does, so a group
    // that fits one chunk gets the CPU's sum exactly.
    double acc = 0.0;
    const int32_t end = plan.chunk_begin[c + 1];
    for (int32_t m = plan.chunk_begin[c]; m < end; ++m) acc += values[static_cast<int64_t>(plan.members[m]) * steps + t];
    partial[c * steps + t] = acc;
  }
}

__global__ void __launch_bounds__(kLooThreads)
    loo_group_sum_kernel(const double* partial, int64_t steps, int64_t step_tiles, LooPlan plan, double* sums) {
  const int64_t items = plan.groups * step_tiles;
  for (int64_t item = blockIdx.x; item < items; item += gridDim.x) {
    const int64_t g = item / step_tiles;
    const int64_t t = (item % step_tiles) * kLooThreads + threadIdx.x;
    if (t >= steps) continue;
    double acc = 0.0;
    const int32_t end = plan.group_chunk_begin[g + 1];
    for (int32_t c = plan.group_chunk_begin[g]; c < end; ++c) acc += partial[static_cast<int64_t>(c) * steps + t];
    sums[g * steps + t] = acc;
  }
}

__global__ void __launch_bounds__(kLooThreads) loo_apply_kernel(const float* values, float* out, int64_t batch,
                                                                int64_t steps, int64_t step_tiles, LooPlan plan,
                                                                const double* sums) {
  const int64_t items = batch * step_tiles;
  for (int64_t item = blockIdx.x; item < items; item += gridDim.x) {
    const int64_t row = item / step_tiles;
    const int64_t t = (item % step_tiles) * kLooThreads + threadIdx.x;
    if (t >= steps) continue;
    const int32_t g = plan.row_group[row];
    const int64_t i = row * steps + t;
    out[i] = credit::leave_one_out_element(values[i], sums[static_cast<int64_t>(g) * steps + t], plan.group_size[g]);
  }
}

unsigned grid_for(int64_t items) { return static_cast<unsigned>(std::min(std::max<int64_t>(items, 1), kMaxGrid)); }

unsigned scan_grid(int64_t batch) { return static_cast<unsigned>((batch + kRows - 1) / kRows); }

}  // namespace

cudaError_t launch_discounted_returns(const float* rewards, float* out, int64_t batch, int64_t steps, float gamma,
                                      cudaStream_t stream) {
  discounted_returns_kernel<<<scan_grid(batch), kRows, 0, stream>>>(rewards, out, batch, steps, gamma);
  return cudaGetLastError();
}

cudaError_t launch_gae(const float* rewards, const float* values, float* out, int64_t batch, int64_t steps,
                       float gamma, float lambda, cudaStream_t stream) {
  gae_kernel<<<scan_grid(batch), kRows, 0, stream>>>(rewards, values, out, batch, steps, gamma, lambda);
  return cudaGetLastError();
}

cudaError_t launch_advantage_alignment(const float* own, const float* others, float* out, int64_t batch,
                                       int64_t steps, float beta, float gamma, bool include_current,
                                       credit::AaForm form, cudaStream_t stream) {
  advantage_alignment_kernel<<<scan_grid(batch), kRows, 0, stream>>>(own, others, out, batch, steps, beta, gamma,
                                                                     include_current, form);
  return cudaGetLastError();
}

cudaError_t launch_leave_one_out(const float* values, float* out, int64_t batch, int64_t steps, const LooPlan& plan,
                                 double* partial, double* sums, cudaStream_t stream) {
  const int64_t step_tiles = (steps + kLooThreads - 1) / kLooThreads;
  loo_partial_kernel<<<grid_for(plan.chunks * step_tiles), kLooThreads, 0, stream>>>(values, steps, step_tiles, plan,
                                                                                     partial);
  cudaError_t e = cudaGetLastError();
  if (e != cudaSuccess) return e;
  if (sums == nullptr) {
    sums = partial;
  } else {
    loo_group_sum_kernel<<<grid_for(plan.groups * step_tiles), kLooThreads, 0, stream>>>(partial, steps, step_tiles,
                                                                                        plan, sums);
    e = cudaGetLastError();
    if (e != cudaSuccess) return e;
  }
  loo_apply_kernel<<<grid_for(batch * step_tiles), kLooThreads, 0, stream>>>(values, out, batch, steps, step_tiles,
                                                                             plan, sums);
  return cudaGetLastError();
}

}  // namespace dilemma::cuda

// Throughput of the credit kernels of libdilemma_cuda at [65536, 1000]
// (rollouts x steps), timed with CUDA events, as achieved memory bandwidth
// (bytes read + written per call / time) and as a share of the device's
// peak estimate. In the same run, for scale: a device-to-device cudaMemcpy
// (about the attainable ceiling) and the untiled baseline, one thread per
// rollout scanning its row straight from global memory.
//
// Without a GPU it prints why and exits 0; DILEMMA_REQUIRE_CUDA=1 makes that
// a failure.
#include <cuda_runtime.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "bench_common.cuh"
#include "credit_math.hpp"
#include "dilemma_cuda.h"

namespace {

constexpr int64_t kBatch = 65536;
constexpr int64_t kSteps = 1000;
constexpr int kWarmup = 3;
constexpr int kRepeats = 20;
constexpr float kGamma = 0.99f, kLambda = 0.95f, kBeta = 1.0f;

using bench::check;
using bench::check_abi;

__global__ void fill(float* x, int64_t n, uint32_t seed) {
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < n; i += int64_t{gridDim.x} * blockDim.x) {
    uint32_t h = static_cast<uint32_t>(i) * 2654435761u ^ seed;
    h ^= h >> 16;
    h *= 0x85ebca6bu;
    h ^= h >> 13;
    x[i] = static_cast<float>(h & 0xffffff) / 8388608.0f - 1.0f;
  }
}

__global__ void count_mismatches(const float* a, const float* b, int64_t n, unsigned long long* count) {
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < n; i += int64_t{gridDim.x} * blockDim.x)
    if (a[i] != b[i]) atomicAdd(count, 1ull);
}

// The untiled baselines: the same row functions, each thread reading its
// row with a stride of `steps` floats between neighbouring threads.
__global__ void naive_discounted_returns(const float* r, float* out, int64_t batch, int64_t steps, float gamma) {
  const int64_t row = blockIdx.x * int64_t{blockDim.x} + threadIdx.x;
  if (row < batch) dilemma::credit::discounted_returns_row(r + row * steps, out + row * steps, steps, gamma);
}

__global__ void naive_gae(const float* r, const float* v, float* out, int64_t batch, int64_t steps, float gamma,
                          float lambda) {
  const int64_t row = blockIdx.x * int64_t{blockDim.x} + threadIdx.x;
  if (row < batch)
    dilemma::credit::gae_row(r + row * steps, v + row * (steps + 1), out + row * steps, steps, gamma, lambda);
}

__global__ void naive_advantage_alignment(const float* own, const float* others, float* out, int64_t batch,
                                          int64_t steps, float beta, float gamma) {
  const int64_t row = blockIdx.x * int64_t{blockDim.x} + threadIdx.x;
  if (row < batch)
    dilemma::credit::advantage_alignment_row(own + row * steps, others + row * steps, out + row * steps, steps, beta,
                                             gamma, false, dilemma::credit::AaForm::kDiscounted);
}

struct Timer {
  cudaStream_t stream;
  double peak_gbps;

  // Mean milliseconds per call over kRepeats calls, after kWarmup.
  template <typename Launch>
  double run(const char* name, double bytes, Launch&& launch) const {
    const double ms = bench::seconds_per_call(stream, kWarmup, kRepeats, launch) * 1e3;
    const double gbps = bytes / (ms * 1e-3) / 1e9;
    if (peak_gbps > 0)
      std::printf("%-40s %9.3f ms %9.1f GB/s %6.1f%% of peak\n", name, ms, gbps, 100.0 * gbps / peak_gbps);
    else
      std::printf("%-40s %9.3f ms %9.1f GB/s\n", name, ms, gbps);
    std::fflush(stdout);
    bench::record("credit", name, gbps, "GB/s", -1.0, peak_gbps > 0 ? gbps / peak_gbps : -1.0);
    return ms;
  }
};

}  // namespace

int main() {
  if (const int status = bench::exit_status_without_device(); status >= 0) return status;
  const dlm_cuda_device_props info = bench::device_info();
  char err[512] = "";
  int driver = 0, runtime = 0;
  check_abi(dlm_cuda_versions(&driver, &runtime, err, sizeof err), err, "dlm_cuda_versions");
  bench::print_device(info);
  std::printf("peak memory bandwidth estimate: %.0f GB/s (%d kHz memory clock, %d-bit bus, double data rate)\n",
              info.peak_bandwidth_gbps, info.memory_clock_khz, info.memory_bus_width_bits);
  std::printf("CUDA driver %d.%d, runtime %d.%d\n", driver / 1000, driver % 1000 / 10, runtime / 1000,
              runtime % 1000 / 10);
  std::printf("shape [%lld, %lld] float32, %d warm-up + %d timed calls each; GB/s = bytes read + written / time\n\n",
              static_cast<long long>(kBatch), static_cast<long long>(kSteps), kWarmup, kRepeats);

  check(cudaSetDevice(0), "cudaSetDevice");
  const int64_t n = kBatch * kSteps;
  const size_t bytes = static_cast<size_t>(n) * sizeof(float);
  float *own, *others, *values, *out, *baseline;
  check(cudaMalloc(&own, bytes), "cudaMalloc");
  check(cudaMalloc(&others, bytes), "cudaMalloc");
  check(cudaMalloc(&values, bytes + kBatch * sizeof(float)), "cudaMalloc");
  check(cudaMalloc(&out, bytes), "cudaMalloc");
  check(cudaMalloc(&baseline, bytes), "cudaMalloc");
  unsigned long long* mismatches;
  check(cudaMalloc(&mismatches, sizeof *mismatches), "cudaMalloc");
  cudaStream_t stream;
  check(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking), "cudaStreamCreateWithFlags");
  fill<<<4096, 256, 0, stream>>>(own, n, 1u);
  fill<<<4096, 256, 0, stream>>>(others, n, 2u);
  fill<<<4096, 256, 0, stream>>>(values, n + kBatch, 3u);
  check(cudaGetLastError(), "fill");

  const Timer timer{stream, info.peak_bandwidth_gbps};
  const double f = sizeof(float);
  const unsigned naive_grid = static_cast<unsigned>((kBatch + 127) / 128);

  // The tiled kernels must compute what the baseline computes, bit for bit,
  // or the numbers below measure the wrong thing.
  auto same_as_baseline = [&](const char* what) {
    check(cudaMemsetAsync(mismatches, 0, sizeof *mismatches, stream), "cudaMemsetAsync");
    count_mismatches<<<4096, 256, 0, stream>>>(out, baseline, n, mismatches);
    unsigned long long host = 0;
    check(cudaMemcpyAsync(&host, mismatches, sizeof host, cudaMemcpyDeviceToHost, stream), "cudaMemcpyAsync");
    check(cudaStreamSynchronize(stream), "cudaStreamSynchronize");
    if (host != 0) {
      std::printf("  !! %s: %llu of %lld values differ from the baseline\n", what, host, static_cast<long long>(n));
      return false;
    }
    return true;
  };

  timer.run("cudaMemcpy device to device (ceiling)", 2 * n * f, [&] {
    check(cudaMemcpyAsync(out, own, bytes, cudaMemcpyDeviceToDevice, stream), "cudaMemcpyAsync");
  });

  bool same = true;
  const double aa_bytes = 3 * n * f;
  timer.run("advantage alignment, tiled (library)", aa_bytes, [&] {
    check_abi(dlm_cuda_advantage_alignment_device(own, others, out, kBatch, kSteps, kBeta, kGamma, 0,
                                                  DLM_CUDA_AA_DISCOUNTED, stream, err, sizeof err),
              err, "dlm_cuda_advantage_alignment_device");
  });
  timer.run("advantage alignment, untiled baseline", aa_bytes, [&] {
    naive_advantage_alignment<<<naive_grid, 128, 0, stream>>>(own, others, baseline, kBatch, kSteps, kBeta, kGamma);
  });
  same = same_as_baseline("advantage alignment") && same;

  const double dr_bytes = 2 * n * f;
  timer.run("discounted returns, tiled (library)", dr_bytes, [&] {
    check_abi(dlm_cuda_discounted_returns_device(own, out, kBatch, kSteps, kGamma, stream, err, sizeof err), err,
              "dlm_cuda_discounted_returns_device");
  });
  timer.run("discounted returns, untiled baseline", dr_bytes, [&] {
    naive_discounted_returns<<<naive_grid, 128, 0, stream>>>(own, baseline, kBatch, kSteps, kGamma);
  });
  same = same_as_baseline("discounted returns") && same;

  const double gae_bytes = (3 * n + kBatch) * f;
  timer.run("GAE, tiled (library)", gae_bytes, [&] {
    check_abi(dlm_cuda_gae_device(own, values, out, kBatch, kSteps, kGamma, kLambda, stream, err, sizeof err), err,
              "dlm_cuda_gae_device");
  });
  timer.run("GAE, untiled baseline", gae_bytes, [&] {
    naive_gae<<<naive_grid, 128, 0, stream>>>(own, values, baseline, kBatch, kSteps, kGamma, kLambda);
  });
  same = same_as_baseline("GAE") && same;

  cudaFree(own);
  cudaFree(others);
  cudaFree(values);
  cudaFree(out);
  cudaFree(baseline);
  cudaFree(mismatches);
  cudaStreamDestroy(stream);
  std::printf("\n%s\n", same ? "tiled results identical to the baseline" : "tiled results DIFFER from the baseline");
  return same ? 0 : 1;
}

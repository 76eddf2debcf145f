// Throughput of the policy-loss kernels (dlm_cuda_policy_loss_device) as
// achieved memory bandwidth: the bytes of the arrays a call must read
// (logits, actions, credits, mask, behaviour log-probabilities) and write
// (the logits gradient) over its time, beside a device-to-device copy (about
// the attainable ceiling) and the CPU's dilemma::learn::policy_loss (all
// cores) on the same inputs, measured in the same run. Shapes cover the
// staged path (the block's logits through shared memory) and the unstaged
// one (rows of more than 91 logits). Each shape's GPU result is checked
// against the CPU's first.
//
// Without a GPU it prints why and exits 0; DILEMMA_REQUIRE_CUDA=1 makes that
// a failure.
#include <cuda_runtime.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <vector>

#include "../tests/parity.hpp"
#include "bench_common.cuh"
#include "dilemma_cuda.h"
#include "learn/loss.hpp"
#include "parallel.hpp"

namespace {

constexpr int kWarmup = 3;
constexpr int kRepeats = 20;
constexpr int kCpuRepeats = 3;

using bench::check;
using bench::check_abi;

template <typename T>
T* to_device(const std::vector<T>& host) {
  T* p = nullptr;
  check(cudaMalloc(reinterpret_cast<void**>(&p), host.size() * sizeof(T)), "cudaMalloc");
  check(cudaMemcpy(p, host.data(), host.size() * sizeof(T), cudaMemcpyHostToDevice), "cudaMemcpy");
  return p;
}

template <typename Launch>
double time_device(cudaStream_t stream, Launch&& launch) {
  return bench::seconds_per_call(stream, kWarmup, kRepeats, launch);
}

using parity::within;

bool run(int64_t N, int A, double peak_gbps, cudaStream_t stream) {
  std::mt19937 rng(static_cast<uint32_t>(N * 31 + A));
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::uniform_int_distribution<int> action(0, A - 1);
  const size_t n = static_cast<size_t>(N), e = n * static_cast<size_t>(A);
  std::vector<float> logits(e), credits(n), behavior(n);
  std::vector<int32_t> actions(n);
  std::vector<uint8_t> mask(n);
  for (float& x : logits) x = 2.0f * normal(rng);
  for (size_t i = 0; i < n; ++i) {
    actions[i] = action(rng);
    credits[i] = normal(rng);
    behavior[i] = -std::log(static_cast<float>(A)) + 0.3f * normal(rng);
    mask[i] = (i % 10) != 9;
  }
  dilemma::learn::LossTerms terms;
  terms.entropy_coef = 0.01f;
  const dlm_cuda_loss_terms abi{DLM_CUDA_LOSS_REINFORCE, terms.ratio_cap, terms.clip,        terms.entropy_coef,
                                terms.kl_coef,           DLM_CUDA_NORMALIZE_MASK, terms.normalizer};

  std::vector<float> cpu_dz(e);
  dilemma::learn::LossResult cpu{};
  double cpu_s = 1e30;
  for (int i = 0; i < kCpuRepeats; ++i) {
    const auto start = std::chrono::steady_clock::now();
    cpu = dilemma::learn::policy_loss(logits.data(), N, A, actions.data(), credits.data(), mask.data(),
                                      behavior.data(), nullptr, nullptr, terms, cpu_dz.data());
    cpu_s = std::min(cpu_s, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }

  float* d_logits = to_device(logits);
  float* d_credits = to_device(credits);
  float* d_behavior = to_device(behavior);
  int32_t* d_actions = to_device(actions);
  uint8_t* d_mask = to_device(mask);
  float* d_dz = nullptr;
  dlm_cuda_loss_result* d_result = nullptr;
  check(cudaMalloc(&d_dz, e * sizeof(float)), "cudaMalloc");
  check(cudaMalloc(&d_result, sizeof *d_result), "cudaMalloc");
  char err[512] = "";
  auto launch = [&] {
    check_abi(dlm_cuda_policy_loss_device(d_logits, N, A, d_actions, d_credits, d_mask, d_behavior, nullptr, nullptr,
                                          &abi, d_dz, d_result, stream, err, sizeof err),
              err, "dlm_cuda_policy_loss_device");
  };
  launch();
  check(cudaStreamSynchronize(stream), "cudaStreamSynchronize");
  std::vector<float> gpu_dz(e);
  dlm_cuda_loss_result gpu{};
  check(cudaMemcpy(gpu_dz.data(), d_dz, e * sizeof(float), cudaMemcpyDeviceToHost), "cudaMemcpy");
  check(cudaMemcpy(&gpu, d_result, sizeof gpu, cudaMemcpyDeviceToHost), "cudaMemcpy");
  size_t off = 0;
  for (size_t i = 0; i < e; ++i) off += !within(gpu_dz[i], cpu_dz[i]);
  const bool same = off == 0 && within(gpu.loss, cpu.loss) && gpu.live_rows == cpu.live_rows;

  const double s = time_device(stream, launch);
  const double bytes = static_cast<double>(e) * 4 * 2 + static_cast<double>(n) * (4 + 4 + 1 + 4);
  const double copy_s = time_device(stream, [&] {
    check(cudaMemcpyAsync(d_dz, d_logits, e * sizeof(float), cudaMemcpyDeviceToDevice, stream), "cudaMemcpyAsync");
  });
  const double gbps = bytes / s / 1e9, copy_gbps = 2.0 * e * 4 / copy_s / 1e9;
  std::printf("[%9lld x %4d] %s  GPU %8.3f ms %7.1f GB/s", static_cast<long long>(N), A,
              (A | 1) * 4 * 128 <= 46 * 1024 ? "staged  " : "unstaged", s * 1e3, gbps);
  if (peak_gbps > 0) std::printf(" (%4.1f%% of peak)", 100.0 * gbps / peak_gbps);
  std::printf("  copy %7.1f GB/s  CPU %8.3f ms (%d threads)  %6.1fx  %s\n", copy_gbps, cpu_s * 1e3,
              dilemma::default_threads(), cpu_s / s, same ? "matches the CPU" : "DIFFERS from the CPU");
  std::fflush(stdout);
  {
    char name[96];
    std::snprintf(name, sizeof name, "policy loss [%lld x %d]", static_cast<long long>(N), A);
    bench::record("loss", name, gbps, "GB/s", bytes / cpu_s / 1e9, peak_gbps > 0 ? gbps / peak_gbps : -1.0);
  }

  for (void* p : {static_cast<void*>(d_logits), static_cast<void*>(d_credits), static_cast<void*>(d_behavior),
                  static_cast<void*>(d_actions), static_cast<void*>(d_mask), static_cast<void*>(d_dz),
                  static_cast<void*>(d_result)})
    cudaFree(p);
  return same;
}

}  // namespace

int main() {
  if (const int status = bench::exit_status_without_device(); status >= 0) return status;
  const dlm_cuda_device_props info = bench::device_info();
  std::printf("device: %s (compute capability %d.%d, %d SMs), peak bandwidth estimate %.0f GB/s\n", info.name,
              info.compute_major, info.compute_minor, info.multiprocessors, info.peak_bandwidth_gbps);
  std::printf("REINFORCE with mask, capped ratio and entropy bonus; GB/s = (logits + gradient + actions + credits + "
              "mask + behaviour log-probabilities) bytes / time; copy = device-to-device copy of the logits; "
              "%d warm-up + %d timed calls\n\n",
              kWarmup, kRepeats);
  check(cudaSetDevice(0), "cudaSetDevice");
  cudaStream_t stream;
  check(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking), "cudaStreamCreateWithFlags");
  struct Shape {
    int64_t N;
    int A;
  };
  const Shape shapes[] = {{int64_t{1} << 24, 2}, {int64_t{1} << 22, 16}, {int64_t{1} << 20, 64},
                          {int64_t{1} << 18, 512},
                          // A trainer's loss over [65536 episodes, 1000 steps] of a two-action game.
                          {int64_t{65536} * 1000, 2}};
  bool same = true;
  for (const Shape& s : shapes) same = run(s.N, s.A, info.peak_bandwidth_gbps, stream) && same;
  cudaStreamDestroy(stream);
  std::printf("\n%s\n", same ? "GPU results match the CPU's" : "GPU results DIFFER from the CPU's");
  return same ? 0 : 1;
}

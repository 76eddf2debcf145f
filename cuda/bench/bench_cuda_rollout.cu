// Throughput of the matrix-game rollout kernel: iterated prisoner's dilemma
// with tabular policies (a random logit table per agent, as a trainer's
// policies are between updates), in agent-steps per second (environments x
// steps x 2 agents / time), beside the CPU rollout (dilemma::rollout, all
// cores) of the same game and policies measured in the same run. The GPU is
// timed through the device entry with CUDA events (trajectory already in
// device memory, as a GPU trainer keeps it) and once through the host entry
// (allocation and copies back included). Before timing, the GPU's
// trajectory for the CPU's batch is checked against the CPU's.
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
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "../tests/parity.hpp"
#include "bench_common.cuh"
#include "dilemma_cuda.h"
#include "game.hpp"
#include "learn/model.hpp"
#include "learn/model_policy.hpp"
#include "parallel.hpp"
#include "policy.hpp"
#include "rollout.hpp"

namespace {

constexpr int kWarmup = 2;
constexpr int kRepeats = 10;
constexpr int kCpuRepeats = 3;
constexpr double kTarget = 1e9;  // agent-steps per second on an H100 or H200

using bench::check;
using bench::check_abi;

struct Config {
  const char* name;
  int rounds;
  double noise;
  double continuation;
  int history;
  int64_t gpu_batch;
  int64_t cpu_batch;
};

struct Tables {
  std::shared_ptr<std::vector<float>> table[2];
  std::shared_ptr<const dilemma::learn::Model> model;
};

Tables make_tables(const Config& c, uint32_t seed) {
  Tables t;
  t.model = dilemma::learn::make_model("tabular", 5 * c.history, 2,
                                       dilemma::Params("policy", {{"blocks", static_cast<double>(c.history)}}));
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  for (auto& table : t.table) {
    table = std::make_shared<std::vector<float>>(static_cast<size_t>(t.model->num_params()));
    for (float& x : *table) x = normal(rng);
  }
  return t;
}

dlm_cuda_matrix_game gpu_game(const Config& c) {
  dlm_cuda_matrix_game g{{3, 3, 0, 5, 5, 0, 1, 1}, c.noise, c.continuation, c.rounds, c.history};
  return g;
}

std::shared_ptr<const dilemma::Game> cpu_game(const Config& c) {
  return dilemma::make_game("ipd", dilemma::Params("game", {{"rounds", static_cast<double>(c.rounds)},
                                                            {"noise", c.noise},
                                                            {"continuation", c.continuation},
                                                            {"history", static_cast<double>(c.history)}}));
}

struct HostTrajectory {
  std::vector<int32_t> actions;
  std::vector<float> logp, rewards, entropy, obs;
  std::vector<uint8_t> dones, mask;
  HostTrajectory(int64_t batch, int steps, int obs_dim)
      : actions(static_cast<size_t>(batch * steps * 2)),
        logp(actions.size()),
        rewards(actions.size()),
        entropy(actions.size()),
        obs(actions.size() * static_cast<size_t>(obs_dim)),
        dones(static_cast<size_t>(batch * steps)),
        mask(dones.size()) {}
};

// CPU agent-steps per second, best of kCpuRepeats, and its trajectory.
double cpu_rollout(const Config& c, const Tables& t, HostTrajectory& out) {
  const auto game = cpu_game(c);
  std::vector<std::shared_ptr<const dilemma::Policy>> policies;
  for (int a = 0; a < 2; ++a)
    policies.push_back(dilemma::learn::make_model_policy(t.model, t.table[a], "tabular " + std::to_string(a)));
  dilemma::RolloutOptions o;
  o.batch = c.cpu_batch;
  o.steps = c.rounds;
  o.seed = 42;
  const dilemma::TrajectoryView view{out.obs.data(),     out.actions.data(), out.logp.data(), out.entropy.data(),
                                     out.rewards.data(), out.dones.data(),   out.mask.data()};
  double best = 1e30;
  for (int i = 0; i < kCpuRepeats; ++i) {
    const auto start = std::chrono::steady_clock::now();
    dilemma::rollout(game, policies, o, view);
    best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  return static_cast<double>(c.cpu_batch) * c.rounds * 2 / best;
}

bool same_as_cpu(const Config& c, const Tables& t, const HostTrajectory& cpu) {
  HostTrajectory gpu(c.cpu_batch, c.rounds, 5 * c.history);
  const dlm_cuda_matrix_game g = gpu_game(c);
  dlm_cuda_matrix_policy p[2] = {};
  for (int a = 0; a < 2; ++a) {
    p[a].kind = DLM_CUDA_POLICY_TABULAR;
    p[a].blocks = c.history;
    p[a].table = t.table[a]->data();
  }
  const dlm_cuda_trajectory out{gpu.actions.data(), gpu.logp.data(), gpu.rewards.data(), gpu.dones.data(),
                                gpu.mask.data(),    nullptr,         nullptr};
  char err[512] = "";
  check_abi(dlm_cuda_matrix_rollout(&g, p, nullptr, c.cpu_batch, c.rounds, 42, 1.0f, 0, &out, err, sizeof err), err,
            "dlm_cuda_matrix_rollout");
  size_t logp_off = 0;
  for (size_t i = 0; i < cpu.logp.size(); ++i)
    if (!parity::within(gpu.logp[i], cpu.logp[i])) ++logp_off;
  const bool same = gpu.actions == cpu.actions && gpu.rewards == cpu.rewards && gpu.dones == cpu.dones &&
                    gpu.mask == cpu.mask && logp_off == 0;
  std::printf("  GPU trajectory of the CPU's batch (%lld x %d): %s\n", static_cast<long long>(c.cpu_batch), c.rounds,
              same ? "actions, rewards, dones, mask identical; log-probabilities within tolerance"
                   : "DIFFERS from the CPU's");
  return same;
}

template <typename T>
T* device_alloc(size_t n) {
  T* p = nullptr;
  check(cudaMalloc(reinterpret_cast<void**>(&p), n * sizeof(T)), "cudaMalloc");
  return p;
}

template <typename Launch>
double time_device(cudaStream_t stream, Launch&& launch) {
  return bench::seconds_per_call(stream, kWarmup, kRepeats, launch);
}

bool run(const Config& c) {
  std::printf("%s: %d rounds, noise %g, continuation %g, history %d, tabular vs tabular\n", c.name, c.rounds, c.noise,
              c.continuation, c.history);
  const Tables t = make_tables(c, 1234);
  HostTrajectory cpu(c.cpu_batch, c.rounds, 5 * c.history);
  const double cpu_rate = cpu_rollout(c, t, cpu);
  const bool same = same_as_cpu(c, t, cpu);

  const int64_t B = c.gpu_batch;
  const int T = c.rounds;
  const size_t per_agent = static_cast<size_t>(B) * T * 2, per_step = static_cast<size_t>(B) * T;
  int32_t* actions = device_alloc<int32_t>(per_agent);
  float* logp = device_alloc<float>(per_agent);
  float* rewards = device_alloc<float>(per_agent);
  float* entropy = device_alloc<float>(per_agent);
  uint8_t* dones = device_alloc<uint8_t>(per_step);
  uint8_t* mask = device_alloc<uint8_t>(per_step);
  float* tables[2];
  dlm_cuda_matrix_policy p[2] = {};
  for (int a = 0; a < 2; ++a) {
    tables[a] = device_alloc<float>(t.table[a]->size());
    check(cudaMemcpy(tables[a], t.table[a]->data(), t.table[a]->size() * sizeof(float), cudaMemcpyHostToDevice),
          "cudaMemcpy");
    p[a].kind = DLM_CUDA_POLICY_TABULAR;
    p[a].blocks = c.history;
    p[a].table = tables[a];
  }
  cudaStream_t stream;
  check(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking), "cudaStreamCreateWithFlags");
  const dlm_cuda_matrix_game g = gpu_game(c);
  char err[512] = "";
  uint64_t seed = 1;
  const double agent_steps = static_cast<double>(B) * T * 2;
  auto timed = [&](const char* what, const dlm_cuda_trajectory& out) {
    const double s = time_device(stream, [&] {
      check_abi(dlm_cuda_matrix_rollout_device(&g, p, nullptr, B, T, seed++, 1.0f, 0, &out, stream, err, sizeof err),
                err, "dlm_cuda_matrix_rollout_device");
    });
    const double rate = agent_steps / s;
    std::printf("  GPU %-46s %9.3f ms  %10.3e agent-steps/s  %7.1fx the CPU\n", what, s * 1e3, rate,
                rate / cpu_rate);
    char name[192];
    std::snprintf(name, sizeof name, "%s: %s", c.name, what);
    bench::record("rollout", name, rate, "agent-steps/s", cpu_rate);
    return rate;
  };
  char label[128];
  std::snprintf(label, sizeof label, "device entry, batch %lld", static_cast<long long>(B));
  const double rate = timed(label, dlm_cuda_trajectory{actions, logp, rewards, dones, mask, nullptr, nullptr});
  std::snprintf(label, sizeof label, "device entry, batch %lld, with entropy", static_cast<long long>(B));
  timed(label, dlm_cuda_trajectory{actions, logp, rewards, dones, mask, entropy, nullptr});
  check(cudaGetLastError(), "rollout");

  {
    HostTrajectory host(B, T, 0);
    const dlm_cuda_trajectory out{host.actions.data(), host.logp.data(), host.rewards.data(), host.dones.data(),
                                  host.mask.data(),    nullptr,          nullptr};
    dlm_cuda_matrix_policy hp[2] = {p[0], p[1]};
    for (int a = 0; a < 2; ++a) hp[a].table = t.table[a]->data();
    const auto start = std::chrono::steady_clock::now();
    check_abi(dlm_cuda_matrix_rollout(&g, hp, nullptr, B, T, 99, 1.0f, 0, &out, err, sizeof err), err,
              "dlm_cuda_matrix_rollout");
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("  GPU %-46s %9.3f ms  %10.3e agent-steps/s  %7.1fx the CPU\n",
                "host entry (allocation, copies to host)", s * 1e3, agent_steps / s, agent_steps / s / cpu_rate);
  }
  std::printf("  CPU dilemma::rollout, batch %-18lld %9s     %10.3e agent-steps/s  (%d threads, best of %d)\n",
              static_cast<long long>(c.cpu_batch), "", cpu_rate, dilemma::default_threads(), kCpuRepeats);
  std::printf("  target %.0e agent-steps/s on an H100/H200: %s\n\n", kTarget,
              rate >= kTarget ? "met" : "NOT met");

  for (float* x : {logp, rewards, entropy, tables[0], tables[1]}) cudaFree(x);
  cudaFree(actions);
  cudaFree(dones);
  cudaFree(mask);
  cudaStreamDestroy(stream);
  return same;
}

}  // namespace

int main() {
  if (const int status = bench::exit_status_without_device(); status >= 0) return status;
  const dlm_cuda_device_props info = bench::device_info();
  bench::print_device(info);
  std::printf("agent-steps/s = environments x steps x 2 agents / time; GPU: %d warm-up + %d timed calls, new seed "
              "each\n\n",
              kWarmup, kRepeats);
  check(cudaSetDevice(0), "cudaSetDevice");

  const Config configs[] = {
      {"IPD", 10, 0.0, 1.0, 1, int64_t{1} << 22, int64_t{1} << 17},
      {"noisy IPD, random ends", 100, 0.05, 0.99, 1, int64_t{1} << 20, int64_t{1} << 14},
      {"IPD, two remembered rounds", 100, 0.0, 1.0, 2, int64_t{1} << 20, int64_t{1} << 14},
  };
  bool same = true;
  for (const Config& c : configs) same = run(c) && same;
  std::printf("%s\n", same ? "GPU trajectories match the CPU's" : "GPU trajectories DIFFER from the CPU's");
  return same ? 0 : 1;
}

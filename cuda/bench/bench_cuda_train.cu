// Agent-steps per second of whole training iterations: the device trainer
// (dlm_cuda_trainer_iterate) for the tabular iterated prisoner's dilemma with
// Advantage Alignment at batch 2^20, beside the CPU Trainer's fused iteration
// on the same work, end to end (metrics copied back every iteration).
#include <chrono>
#include <cstdio>
#include <vector>

#include "bench_common.cuh"
#include "game.hpp"
#include "learn/device_trainer_config.hpp"
#include "learn/model.hpp"
#include "learn/trainer.hpp"

namespace {

constexpr double kTarget = 1e9;

dilemma::learn::TrainerConfig config(int64_t batch) {
  dilemma::learn::TrainerConfig c;
  c.game = dilemma::make_game("ipd", dilemma::Params());
  c.model = dilemma::learn::make_model("tabular", c.game->info().obs_dim, 2,
                                       dilemma::Params("policy", {{"blocks", 1.0}}));
  c.batch = batch;
  c.seed = 3;
  c.adam.lr = 0.05f;
  return c;
}

}  // namespace

int main() {
  const int none = bench::exit_status_without_device();
  if (none >= 0) return none;
  const int64_t B = int64_t{1} << 20;
  dilemma::learn::TrainerConfig cfg = config(B);
  dilemma::learn::Trainer cpu(cfg);
  const int T = cpu.steps();
  const dlm_cuda_train_config d = dilemma::learn::device_train_config(cpu);
  const dilemma::learn::TrainerState s = cpu.state();
  char err[512] = "";
  dlm_cuda_trainer* t = nullptr;
  bench::check_abi(dlm_cuda_trainer_create(&d, s.params.data(), s.adam_m.data(), s.adam_v.data(), s.adam_t, 0, &t,
                                           err, sizeof err),
                   err, "dlm_cuda_trainer_create");
  dlm_cuda_train_metrics m{};
  const double steps = static_cast<double>(B) * T * 2;
  // First iteration against the CPU's: the same numbers within the parity rule.
  const auto c0 = std::chrono::steady_clock::now();
  const dilemma::learn::IterationMetrics mc = cpu.iterate();
  const double cpu_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - c0).count();
  bench::check_abi(dlm_cuda_trainer_iterate(t, &m, err, sizeof err), err, "dlm_cuda_trainer_iterate");
  std::printf("first iteration: mean return GPU %.6f CPU %.6f, grad norm GPU %.6g CPU %.6g\n", m.mean_return[0],
              mc.mean_return[0], m.grad_norm, mc.grad_norm);
  const int repeats = 10;
  const auto g0 = std::chrono::steady_clock::now();
  for (int i = 0; i < repeats; ++i)
    bench::check_abi(dlm_cuda_trainer_iterate(t, &m, err, sizeof err), err, "dlm_cuda_trainer_iterate");
  const double gpu_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - g0).count() / repeats;
  dlm_cuda_trainer_destroy(t);
  const double gpu_rate = steps / gpu_s, cpu_rate = steps / cpu_s;
  std::printf("IPD tabular, Advantage Alignment, batch %lld x %d steps\n", static_cast<long long>(B), T);
  std::printf("  GPU training iteration %9.3f ms  %10.3e agent-steps/s\n", gpu_s * 1e3, gpu_rate);
  std::printf("  CPU training iteration %9.3f ms  %10.3e agent-steps/s  (fused, all threads, one iteration)\n",
              cpu_s * 1e3, cpu_rate);
  std::printf("  target %.0e agent-steps/s on an H100/H200: %s\n", kTarget, gpu_rate >= kTarget ? "met" : "NOT met");
  bench::record("bench_cuda_train", "ipd tabular aa training iteration, batch 2^20", gpu_rate, "agent-steps/s",
                cpu_rate);
  return 0;
}

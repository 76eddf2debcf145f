// Agent-steps per second of whole training iterations: the device trainer
// (dlm_cuda_trainer_iterate) for the iterated prisoner's dilemma with
// Advantage Alignment at batch 2^20, a tabular policy and an MLP one, beside
// the CPU Trainer's iteration (fused for the table, general for the MLP),
// end to end (metrics copied back every iteration).
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

// hidden < 0: the tabular policy; else an MLP with one hidden layer that wide.
dilemma::learn::TrainerConfig config(int64_t batch, int hidden) {
  dilemma::learn::TrainerConfig c;
  c.game = dilemma::make_game("ipd", dilemma::Params());
  const int obs = c.game->info().obs_dim;
  c.model = hidden < 0 ? dilemma::learn::make_model("tabular", obs, 2, dilemma::Params("policy", {{"blocks", 1.0}}))
                       : dilemma::learn::make_model(
                             "mlp", obs, 2, dilemma::Params("policy", {{"hidden", std::vector<double>{double(hidden)}}}));
  c.batch = batch;
  c.seed = 3;
  c.adam.lr = 0.05f;
  return c;
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// One policy's iteration at batch 2^20 on the device, and on the CPU at
// cpu_batch (the MLP's general CPU path takes minutes at 2^20); the first
// iterations are compared when the batches agree.
void run(const char* label, const char* record_name, int hidden, int64_t cpu_batch) {
  const int64_t B = int64_t{1} << 20;
  dilemma::learn::Trainer dev_cfg(config(B, hidden));
  dilemma::learn::Trainer cpu(config(cpu_batch, hidden));
  const int T = dev_cfg.steps();
  const dlm_cuda_train_config d = dilemma::learn::device_train_config(dev_cfg);
  const dilemma::learn::TrainerState s = dev_cfg.state();
  char err[512] = "";
  dlm_cuda_trainer* t = nullptr;
  bench::check_abi(dlm_cuda_trainer_create(&d, s.params.data(), s.adam_m.data(), s.adam_v.data(), s.adam_t, 0, &t,
                                           err, sizeof err),
                   err, "dlm_cuda_trainer_create");
  dlm_cuda_train_metrics m{};
  const auto c0 = std::chrono::steady_clock::now();
  const dilemma::learn::IterationMetrics mc = cpu.iterate();
  const double cpu_s = seconds_since(c0);
  bench::check_abi(dlm_cuda_trainer_iterate(t, &m, err, sizeof err), err, "dlm_cuda_trainer_iterate");
  if (cpu_batch == B)
    std::printf("first iteration: mean return GPU %.6f CPU %.6f, grad norm GPU %.6g CPU %.6g\n", m.mean_return[0],
                mc.mean_return[0], m.grad_norm, mc.grad_norm);
  const int repeats = 10;
  const auto g0 = std::chrono::steady_clock::now();
  for (int i = 0; i < repeats; ++i)
    bench::check_abi(dlm_cuda_trainer_iterate(t, &m, err, sizeof err), err, "dlm_cuda_trainer_iterate");
  const double gpu_s = seconds_since(g0) / repeats;
  dlm_cuda_trainer_destroy(t);
  const double gpu_rate = static_cast<double>(B) * T * 2 / gpu_s;
  const double cpu_rate = static_cast<double>(cpu_batch) * T * 2 / cpu_s;
  std::printf("IPD %s, Advantage Alignment, batch %lld x %d steps\n", label, static_cast<long long>(B), T);
  std::printf("  GPU training iteration %9.3f ms  %10.3e agent-steps/s\n", gpu_s * 1e3, gpu_rate);
  std::printf("  CPU training iteration %9.3f ms  %10.3e agent-steps/s  (batch %lld, all threads, one iteration)\n",
              cpu_s * 1e3, cpu_rate, static_cast<long long>(cpu_batch));
  std::printf("  target %.0e agent-steps/s on an H100/H200: %s\n", kTarget, gpu_rate >= kTarget ? "met" : "NOT met");
  bench::record("bench_cuda_train", record_name, gpu_rate, "agent-steps/s", cpu_rate);
}

}  // namespace

int main() {
  const int none = bench::exit_status_without_device();
  if (none >= 0) return none;
  run("tabular", "ipd tabular aa training iteration, batch 2^20", -1, int64_t{1} << 20);
  run("MLP [32] tanh", "ipd mlp[32] aa training iteration, batch 2^20", 32, int64_t{1} << 16);
  return 0;
}

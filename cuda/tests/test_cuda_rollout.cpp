// Parity of the matrix-game rollout kernel (dlm_cuda_matrix_rollout and its
// device entry) with dilemma::rollout, the CPU rollout, for the same game,
// policies, seed and streams: actions, rewards, dones, mask and observations
// identical; log-probabilities and entropies under the one tolerance rule.
// Policies: tabular models (the 'tabular' model playing through
// make_model_policy, as the trainer plays it) with every block layout the
// kernel treats differently, and every scripted strategy. Shapes: one
// rollout, one step, batches around the 256-thread block, steps past the
// end of every episode.
//
// On any machine, GPU or not, the kernel's per-environment loop
// (run_environment in rollout_env.cuh) also runs on the host against the
// CPU rollout, where everything must be identical, log-probabilities
// included (the host's exp and log are the CPU path's): that checks the
// kernel's state, draws and layout here, and leaves the device run to check
// only the device's arithmetic. Without a usable GPU the device runs are
// skipped: the test prints "no CUDA device: <reason>" and exits 0
// (parity.hpp).
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "device_buffer.hpp"
#include "dilemma_cuda.h"
#include "game.hpp"
#include "learn/model.hpp"
#include "learn/model_policy.hpp"
#include "parity.hpp"
#include "policy.hpp"
#include "rollout.hpp"
#include "rollout_args.cuh"
#include "rollout_env.cuh"
#include "strategy_rules.hpp"

namespace {

using dilemma::Params;
using dilemma::ParamValue;
using parity::compare;
using parity::compare_exact;
using parity::expect;
using parity::expect_ok;
using parity::Message;

// A policy as both sides need it: the CPU policy and the ABI descriptor
// (whose table points into `table`).
struct Seat {
  std::string label;
  std::shared_ptr<const dilemma::Policy> cpu;
  dlm_cuda_matrix_policy gpu{};
  std::shared_ptr<std::vector<float>> table;
};

Seat tabular(std::mt19937& rng, int history, int blocks, float scale) {
  const int obs_dim = 5 * history;
  auto model = dilemma::learn::make_model("tabular", obs_dim, 2,
                                          Params("policy", {{"blocks", static_cast<double>(blocks)}}));
  auto table = std::make_shared<std::vector<float>>(static_cast<size_t>(model->num_params()));
  std::normal_distribution<float> normal(0.0f, scale);
  for (float& x : *table) x = normal(rng);
  Seat s;
  s.label = "tabular(blocks " + std::to_string(blocks) + ")";
  s.cpu = dilemma::learn::make_model_policy(model, table, s.label);
  s.table = table;
  s.gpu.kind = DLM_CUDA_POLICY_TABULAR;
  s.gpu.blocks = blocks;
  s.gpu.table = table->data();
  return s;
}

struct StrategyName {
  const char* name;
  int id;
};

const StrategyName kStrategies[] = {
    {"always-cooperate", DLM_CUDA_STRATEGY_ALWAYS_COOPERATE},
    {"always-defect", DLM_CUDA_STRATEGY_ALWAYS_DEFECT},
    {"tit-for-tat", DLM_CUDA_STRATEGY_TIT_FOR_TAT},
    {"suspicious-tit-for-tat", DLM_CUDA_STRATEGY_SUSPICIOUS_TIT_FOR_TAT},
    {"generous-tit-for-tat", DLM_CUDA_STRATEGY_GENEROUS_TIT_FOR_TAT},
    {"grim-trigger", DLM_CUDA_STRATEGY_GRIM_TRIGGER},
    {"win-stay-lose-shift", DLM_CUDA_STRATEGY_WIN_STAY_LOSE_SHIFT},
    {"alternate", DLM_CUDA_STRATEGY_ALTERNATE},
    {"random", DLM_CUDA_STRATEGY_RANDOM},
    {"zd-extortion", DLM_CUDA_STRATEGY_ZD_EXTORTION},
};

// game and agent: for zd-extortion's probabilities, from the game's payoffs.
Seat scripted(const StrategyName& s, const dilemma::Game& game, int agent) {
  std::map<std::string, ParamValue> params;
  Seat seat;
  seat.label = s.name;
  seat.gpu.kind = DLM_CUDA_POLICY_SCRIPTED;
  seat.gpu.strategy = s.id;
  if (s.id == DLM_CUDA_STRATEGY_GENEROUS_TIT_FOR_TAT) {
    params["forgiveness"] = 0.4;
    seat.gpu.forgiveness = 0.4;
  }
  if (s.id == DLM_CUDA_STRATEGY_RANDOM) {
    params["p"] = 0.35;
    seat.gpu.p = 0.35;
  }
  if (s.id == DLM_CUDA_STRATEGY_ZD_EXTORTION) {
    const double chi = 3.0, phi = 0.5;  // the strategy's defaults
    double own[4], other[4];
    game.payoff_table(agent, own, other);
    dilemma::strategy::zd_probabilities(own, other, chi, phi, seat.gpu.zd);
  }
  seat.cpu = dilemma::make_strategy(s.name, Params("policy", params));
  return seat;
}

struct GameSpec {
  std::vector<double> payoffs;
  int rounds;
  double noise, continuation;
  int history;

  std::shared_ptr<const dilemma::Game> cpu() const {
    return dilemma::make_game("matrix", Params("game", {{"payoffs", payoffs},
                                                         {"rounds", static_cast<double>(rounds)},
                                                         {"noise", noise},
                                                         {"continuation", continuation},
                                                         {"history", static_cast<double>(history)}}));
  }
  dlm_cuda_matrix_game gpu() const {
    dlm_cuda_matrix_game g{};
    for (int i = 0; i < 8; ++i) g.rewards[i] = static_cast<float>(payoffs[i]);
    g.noise = noise;
    g.continuation = continuation;
    g.rounds = rounds;
    g.history = history;
    return g;
  }
};

const std::vector<double> kPrisoners = {3, 3, 0, 5, 5, 0, 1, 1};

struct Trajectory {
  std::vector<float> obs, logp, entropy, rewards;
  std::vector<int32_t> actions;
  std::vector<uint8_t> dones, mask;

  Trajectory(int64_t batch, int steps, int obs_dim)
      : obs(static_cast<size_t>(batch * steps * 2 * obs_dim), -1.0f),
        logp(static_cast<size_t>(batch * steps * 2), -1.0f),
        entropy(logp.size(), -1.0f),
        rewards(logp.size(), -1.0f),
        actions(logp.size(), -7),
        dones(static_cast<size_t>(batch * steps), 7),
        mask(dones.size(), 7) {}

  dlm_cuda_trajectory abi() {
    return {actions.data(), logp.data(), rewards.data(), dones.data(), mask.data(), entropy.data(), obs.data()};
  }
};

struct Run {
  std::string name;
  GameSpec game;
  int64_t batch;
  int steps;
  uint64_t seed;
  float temperature = 1.0f;
  bool greedy = false;
  bool pairs = false;  // common random numbers: rollouts 2k and 2k + 1 share an environment stream
};

// The kernel's loop on the host, environment after environment, through
// the entry points' own argument checks and conversion.
void run_on_host(const dlm_cuda_matrix_game& g, const dlm_cuda_matrix_policy* policies, const uint32_t* streams,
                 const Run& run, const dlm_cuda_trajectory& out) {
  const dilemma::cuda::Checked c = dilemma::cuda::check_args(&g, policies, run.batch, run.steps, run.seed,
                                                             run.temperature, run.greedy ? 1 : 0, &out, streams);
  const bool known = dilemma::cuda::with_history(
      c.rollout.history,
      [&](auto history) {
        for (int64_t b = 0; b < run.batch; ++b) dilemma::cuda::run_environment<decltype(history)::value>(c.rollout, b);
        return true;
      },
      false);
  if (!known) expect(false, "no loop for history " + std::to_string(c.rollout.history));
}

// on_device false: only the host run of the kernel's loop.
void check_run(bool on_device, const Run& run, Seat a, Seat b) {
  const auto game = run.game.cpu();
  const int obs_dim = game->info().obs_dim;
  const std::string what = run.name + " [" + std::to_string(run.batch) + " x " + std::to_string(run.steps) + ", " +
                           a.label + " vs " + b.label + "]";
  dilemma::RolloutOptions o;
  o.batch = run.batch;
  o.steps = run.steps;
  o.seed = run.seed;
  o.temperature = run.temperature;
  o.greedy = run.greedy;
  std::vector<uint32_t> streams;
  if (run.pairs) {
    for (int64_t i = 0; i < run.batch; ++i) streams.push_back(static_cast<uint32_t>(i / 2));
    o.groups = streams;
  }
  Trajectory cpu(run.batch, run.steps, obs_dim);
  dilemma::rollout(game, {a.cpu, b.cpu}, o,
                   dilemma::TrajectoryView{cpu.obs.data(), cpu.actions.data(), cpu.logp.data(), cpu.entropy.data(),
                                           cpu.rewards.data(), cpu.dones.data(), cpu.mask.data()});
  const dlm_cuda_matrix_game g = run.game.gpu();
  const dlm_cuda_matrix_policy policies[2] = {a.gpu, b.gpu};
  const uint32_t* stream_ids = run.pairs ? streams.data() : nullptr;

  if (!on_device) {
    Trajectory host(run.batch, run.steps, obs_dim);
    run_on_host(g, policies, stream_ids, run, host.abi());
    const std::string tag = what + " on the host: ";
    compare_exact(host.actions, cpu.actions, tag + "actions");
    compare_exact(host.rewards, cpu.rewards, tag + "rewards");
    compare_exact(host.dones, cpu.dones, tag + "dones");
    compare_exact(host.mask, cpu.mask, tag + "mask");
    compare_exact(host.obs, cpu.obs, tag + "observations");
    compare_exact(host.logp, cpu.logp, tag + "log-probabilities");
    compare_exact(host.entropy, cpu.entropy, tag + "entropies");
    return;
  }

  Trajectory gpu(run.batch, run.steps, obs_dim);
  const dlm_cuda_trajectory out = gpu.abi();
  Message m;
  if (!expect_ok(dlm_cuda_matrix_rollout(&g, policies, stream_ids, run.batch, run.steps, run.seed, run.temperature,
                                         run.greedy ? 1 : 0, &out, m.text, sizeof m.text),
                 m, what))
    return;
  compare_exact(gpu.actions, cpu.actions, what + ": actions");
  compare_exact(gpu.rewards, cpu.rewards, what + ": rewards");
  compare_exact(gpu.dones, cpu.dones, what + ": dones");
  compare_exact(gpu.mask, cpu.mask, what + ": mask");
  compare_exact(gpu.obs, cpu.obs, what + ": observations");
  compare(gpu.logp, cpu.logp, what + ": log-probabilities");
  compare(gpu.entropy, cpu.entropy, what + ": entropies");
}

// The device entry writes what the host entry writes, bit for bit, and
// leaves entropy and observations alone when they are not asked for.
void check_device_entry(std::mt19937& rng) {
  const GameSpec spec{kPrisoners, 30, 0.05, 0.95, 2};
  const int64_t batch = 3000;
  const int steps = 40;
  Seat a = tabular(rng, spec.history, 2, 1.0f), b = tabular(rng, spec.history, 1, 1.0f);
  Trajectory host(batch, steps, 5 * spec.history);
  const dlm_cuda_matrix_game g = spec.gpu();
  dlm_cuda_matrix_policy policies[2] = {a.gpu, b.gpu};
  dlm_cuda_trajectory out = host.abi();
  out.entropy = nullptr;
  out.obs = nullptr;
  Message m;
  if (!expect_ok(dlm_cuda_matrix_rollout(&g, policies, nullptr, batch, steps, 11, 1.0f, 0, &out, m.text,
                                         sizeof m.text),
                 m, "rollout device entry: host reference"))
    return;
  expect(host.entropy[0] == -1.0f && host.obs[0] == -1.0f, "rollout: entropy and observations are optional");
  using parity::DeviceBuffer;
  const size_t per_agent = static_cast<size_t>(batch * steps * 2), per_step = static_cast<size_t>(batch * steps);
  DeviceBuffer<float> table_a(*a.table), table_b(*b.table), logp(per_agent), rewards(per_agent);
  DeviceBuffer<int32_t> actions(per_agent);
  DeviceBuffer<uint8_t> dones(per_step), mask(per_step);
  if (!table_a.ok() || !table_b.ok() || !logp.ok() || !rewards.ok() || !actions.ok() || !dones.ok() || !mask.ok()) {
    expect(false, "rollout device entry: cudaMalloc failed");
    return;
  }
  policies[0].table = table_a.get();
  policies[1].table = table_b.get();
  const dlm_cuda_trajectory dev{actions.get(), logp.get(), rewards.get(), dones.get(), mask.get(), nullptr, nullptr};
  if (!expect_ok(dlm_cuda_matrix_rollout_device(&g, policies, nullptr, batch, steps, 11, 1.0f, 0, &dev, nullptr,
                                                m.text, sizeof m.text),
                 m, "rollout device entry"))
    return;
  compare_exact(actions.host(), host.actions, "rollout device entry: actions");
  compare_exact(logp.host(), host.logp, "rollout device entry: log-probabilities");
  compare_exact(rewards.host(), host.rewards, "rollout device entry: rewards");
  compare_exact(dones.host(), host.dones, "rollout device entry: dones");
  compare_exact(mask.host(), host.mask, "rollout device entry: mask");
}

void check_arguments() {
  Message m;
  float table[10] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  int32_t actions[4];
  float logp[4], rewards[4];
  uint8_t dones[2], mask[2];
  dlm_cuda_trajectory out{actions, logp, rewards, dones, mask, nullptr, nullptr};
  dlm_cuda_matrix_game game{{3, 3, 0, 5, 5, 0, 1, 1}, 0.0, 1.0, 10, 1};
  dlm_cuda_matrix_policy tab{};
  tab.kind = DLM_CUDA_POLICY_TABULAR;
  tab.blocks = 1;
  tab.table = table;
  dlm_cuda_matrix_policy tft{};
  tft.kind = DLM_CUDA_POLICY_SCRIPTED;
  tft.strategy = DLM_CUDA_STRATEGY_TIT_FOR_TAT;
  auto refused = [&](int status, const char* name) {
    expect(status == DLM_CUDA_ERR_INVALID_ARGUMENT && std::strstr(m.text, name) != nullptr,
           std::string("rollout refuses bad ") + name + " (status " + std::to_string(status) + ": " + m.text + ")");
    m.text[0] = '\0';
  };
  auto call = [&](const dlm_cuda_matrix_game* g, dlm_cuda_matrix_policy p0, dlm_cuda_matrix_policy p1, int64_t batch,
                  int32_t steps, float temperature, const dlm_cuda_trajectory* o) {
    const dlm_cuda_matrix_policy ps[2] = {p0, p1};
    return dlm_cuda_matrix_rollout(g, ps, nullptr, batch, steps, 1, temperature, 0, o, m.text, sizeof m.text);
  };
  refused(call(nullptr, tab, tft, 1, 2, 1.0f, &out), "game");
  dlm_cuda_matrix_game bad = game;
  bad.history = 9;
  refused(call(&bad, tab, tft, 1, 2, 1.0f, &out), "game.history");
  bad = game;
  bad.noise = 0.6;
  refused(call(&bad, tab, tft, 1, 2, 1.0f, &out), "game.noise");
  bad = game;
  bad.continuation = NAN;
  refused(call(&bad, tab, tft, 1, 2, 1.0f, &out), "game.continuation");
  bad = game;
  bad.rounds = 0;
  refused(call(&bad, tab, tft, 1, 2, 1.0f, &out), "game.rounds");
  bad = game;
  bad.rewards[3] = INFINITY;
  refused(call(&bad, tab, tft, 1, 2, 1.0f, &out), "game.rewards[3]");
  dlm_cuda_matrix_policy p = tab;
  p.kind = 5;
  refused(call(&game, tft, p, 1, 2, 1.0f, &out), "policies[1].kind");
  p = tab;
  p.blocks = 3;
  refused(call(&game, p, tft, 1, 2, 1.0f, &out), "policies[0].blocks");
  p = tab;
  p.table = nullptr;
  refused(call(&game, p, tft, 1, 2, 1.0f, &out), "policies[0].table");
  p = tab;
  table[7] = NAN;
  refused(call(&game, p, tft, 1, 2, 1.0f, &out), "policies[0].table[7]");
  table[7] = 0.0f;
  p = tft;
  p.strategy = 10;
  refused(call(&game, tab, p, 1, 2, 1.0f, &out), "policies[1].strategy");
  p.strategy = DLM_CUDA_STRATEGY_RANDOM;
  p.p = 1.5;
  refused(call(&game, tab, p, 1, 2, 1.0f, &out), "policies[1].p");
  p.strategy = DLM_CUDA_STRATEGY_ZD_EXTORTION;
  p.zd[2] = -0.1;
  refused(call(&game, tab, p, 1, 2, 1.0f, &out), "policies[1].zd[2]");
  refused(call(&game, tab, tft, 0, 2, 1.0f, &out), "batch");
  refused(call(&game, tab, tft, int64_t{1} << 32, 2, 1.0f, &out), "batch");
  refused(call(&game, tab, tft, 1, 0, 1.0f, &out), "steps");
  refused(call(&game, tab, tft, 1, 2, 0.0f, &out), "temperature");
  refused(call(&game, tab, tft, 1, 2, NAN, &out), "temperature");
  refused(call(&game, tab, tft, 1, 2, 1.0f, nullptr), "out");
  dlm_cuda_trajectory partial = out;
  partial.mask = nullptr;
  refused(call(&game, tab, tft, 1, 2, 1.0f, &partial), "out.mask");
  const dlm_cuda_matrix_policy ps[2] = {tab, tft};
  refused(dlm_cuda_matrix_rollout_device(&game, ps, nullptr, 1, 0, 1, 1.0f, 0, &out, nullptr, m.text, sizeof m.text),
          "steps");
}

// Every case, on the host (on_device false) or on the device.
void check_all(bool on_device) {
  std::mt19937 rng(20250612);
  const GameSpec ipd{kPrisoners, 10, 0.0, 1.0, 1};
  // Tabular self-play and tabular against tabular at the default IPD.
  {
    Seat s = tabular(rng, 1, 1, 1.0f);
    check_run(on_device, {"IPD self-play", ipd, 1000, 10, 7}, s, s);
    check_run(on_device, {"IPD", ipd, 4099, 10, 8}, tabular(rng, 1, 1, 2.0f), tabular(rng, 1, 1, 0.5f));
  }
  // Edge shapes: one rollout, one step, either side of the block of 256.
  for (int64_t batch : {int64_t{1}, int64_t{255}, int64_t{256}, int64_t{257}})
    for (int steps : {1, 3, 10})
      check_run(on_device, {"IPD edge", ipd, batch, steps, 9}, tabular(rng, 1, 1, 1.0f), tabular(rng, 1, 1, 1.0f));
  // Noise, random ends, steps past every episode's end, shared environment
  // streams; tabular with one block per round (the kernel's direct state)
  // and with one block for all rounds (through the observation).
  const GameSpec noisy{kPrisoners, 50, 0.1, 0.9, 2};
  check_run(on_device, {"noisy IPD with random ends", noisy, 1500, 60, 10, 1.0f, false, true},
            tabular(rng, 2, 2, 1.0f), tabular(rng, 2, 1, 1.0f));
  const GameSpec long_memory{kPrisoners, 12, 0.05, 1.0, 4};
  check_run(on_device, {"four remembered rounds", long_memory, 700, 12, 11}, tabular(rng, 4, 2, 1.0f),
            tabular(rng, 4, 4, 1.0f));
  check_run(on_device, {"four remembered rounds, one block", long_memory, 300, 12, 12}, tabular(rng, 4, 1, 1.0f),
            tabular(rng, 4, 5, 1.0f));
  // Temperature and greedy play.
  check_run(on_device, {"temperature 0.7", noisy, 600, 50, 13, 0.7f}, tabular(rng, 2, 2, 1.0f),
            tabular(rng, 2, 2, 1.0f));
  check_run(on_device, {"greedy", noisy, 600, 50, 14, 1.0f, true}, tabular(rng, 2, 2, 1.0f),
            tabular(rng, 2, 2, 1.0f));
  // Every scripted strategy, on both seats, in an asymmetric game.
  const GameSpec asym{{3, 2.5, 0, 5, 5, 0, 1, 1.2}, 20, 0.08, 0.97, 3};
  const auto asym_game = asym.cpu();
  for (const StrategyName& s : kStrategies) {
    check_run(on_device, {"asymmetric game", asym, 513, 25, 15}, tabular(rng, 3, 3, 1.0f),
              scripted(s, *asym_game, 1));
    check_run(on_device, {"asymmetric game", asym, 257, 25, 16}, scripted(s, *asym_game, 0),
              scripted(kStrategies[(&s - kStrategies + 3) % 10], *asym_game, 1));
  }
  // The largest history, self-play of one table.
  {
    const GameSpec deep{kPrisoners, 16, 0.02, 1.0, 8};
    Seat s = tabular(rng, 8, 8, 1.0f);
    check_run(on_device, {"eight remembered rounds, self-play", deep, 1000, 16, 17}, s, s);
  }
  if (on_device) check_device_entry(rng);
}

}  // namespace

int main() {
  try {
    check_arguments();
    check_all(false);
    if (parity::devices({"GPU parity of the matrix rollout kernel", "GPU matrix rollout: device entry"}) == 0)
      return parity::finish_without_device();
    check_all(true);
  } catch (const std::exception& e) {
    expect(false, std::string("unexpected error: ") + e.what());
  } catch (const dilemma::cuda::Failure& f) {
    expect(false, "unexpected error: " + f.message);
  }
  return parity::finish();
}

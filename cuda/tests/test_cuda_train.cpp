// The device trainer's iteration (train_stages.cuh, as the kernels of
// train_kernels.cu run it) on the host against the CPU Trainer
// (native/core/learn/trainer.cpp): the same parameters, Adam moments and
// metrics over the first iterations from the same seed, under the parity
// rule (|dev - cpu| <= 1e-6 + 1e-5 |cpu|, parity.hpp), for the naive,
// Advantage Alignment (past advantages and past rewards) and sum-of-rewards
// credits, groups, PPO with two epochs, a longer memory read through the
// observation, noise and random episode ends; and with MLP policies (hidden
// widths 8 and 32, tanh and ReLU) against the CPU's general path, whose
// per-row gradient the device sums per state (train_mlp.cuh).
//
// The kernels' loops run here thread after thread in the launch order, so
// this checks the device trainer's logic (draws, layout, sums, gradient,
// Adam) on any machine; the sums' order differs from the CPU's only in the
// chunking of the credit sums, which the parity rule absorbs.
#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "../core/game.hpp"
#include "../core/learn/model.hpp"
#include "../core/learn/trainer.hpp"
#include "../tests/tabular_trainer_config.hpp"  // native/tests, through native/core
#include "parity.hpp"
#include "train_mlp.cuh"
#include "train_stages.cuh"

using dilemma::Params;
using dilemma::learn::Algorithm;
using dilemma::learn::IterationMetrics;
using dilemma::learn::Trainer;
using dilemma::learn::TrainerConfig;
using parity::expect;
using parity::within;
namespace dc = dilemma::cuda;

namespace {

struct Case {
  std::string name;
  TrainerConfig cfg;
};

TrainerConfig base(Params game = Params(), int blocks = 1) {
  return dtest::tabular_trainer_config(std::move(game), blocks);
}

// The same trainer with an MLP policy of one hidden layer.
TrainerConfig mlp(int hidden, Params game = Params(), const std::string& activation = "tanh") {
  TrainerConfig c = base(std::move(game));
  c.model = dilemma::learn::make_model(
      "mlp", c.game->info().obs_dim, 2,
      Params("policy", {{"hidden", std::vector<double>{double(hidden)}}, {"activation", activation}}));
  return c;
}

// The device trainer's state and buffers, on the host.
struct HostDeviceTrainer {
  TrainerConfig cfg;
  int64_t iteration = 0;
  std::vector<float> params, m, v;
  int64_t adam_t = 0;

  explicit HostDeviceTrainer(const TrainerConfig& c, const dilemma::learn::TrainerState& init)
      : cfg(c), params(init.params), m(init.adam_m), v(init.adam_v), adam_t(init.adam_t) {}

  // One iteration, kernel by kernel; returns the metrics the device copies back.
  // warp: the warp credit pass (chunk must be kWarpLanes), lane after lane.
  IterationMetrics iterate(int64_t T, int64_t chunk, bool warp) {
    int history = 0;
    const dilemma::matrix::Rules& rules = *cfg.game->matrix_rules(&history);
    const dilemma::learn::MlpShape* mlp = cfg.model->mlp_shape();
    // An MLP reads its observation whole: the direct state of every round.
    const dilemma::learn::TabularLayout layout =
        mlp ? dilemma::learn::TabularLayout{history, dilemma::matrix::kSlot, dc::train_mlp_states(history)}
            : *cfg.model->tabular_layout();
    const int64_t B = cfg.batch, BT = B * T, states = layout.states;
    const int64_t group_size = cfg.group_size > 0 ? cfg.group_size : B;
    dc::TrainRun r{};
    r.rules = rules;
    r.history = history;
    r.states = states;
    r.direct = layout.size == dilemma::matrix::kSlot && layout.blocks == history;
    r.blocks = layout.blocks;
    r.block_size = layout.size;
    r.seed = dc::train_iteration_seed(cfg.seed, iteration, 0);
    r.B = B;
    r.T = T;
    r.BT = BT;
    r.group_size = group_size;
    r.group_count = (B + group_size - 1) / group_size;
    r.chunk = chunk;
    r.gamma = cfg.gamma;
    r.beta = cfg.beta;
    r.temperature = cfg.temperature;
    r.include_current = cfg.include_current;
    r.reward_past = cfg.algorithm == Algorithm::kAdvantageAlignment && cfg.aa_past == TrainerConfig::AaPast::kRewards;
    r.form = cfg.aa_form;
    r.algorithm = static_cast<dc::TrainAlgorithm>(static_cast<int>(cfg.algorithm));
    std::vector<dc::TableRow> table(states);
    std::vector<float> ret0(BT), ret1(BT), rw0(r.reward_past ? BT : 0), rw1(r.reward_past ? BT : 0);
    std::vector<uint8_t> live(BT);
    std::vector<int32_t> codes(2 * BT), coop(2 * B);
    std::vector<double> reward_sum(2 * B), group_sums((r.reward_past ? 4 : 2) * r.group_count * T);
    const int64_t chunks = dc::train_chunks(r), fields = dc::train_fields(states);
    std::vector<float> scratch(chunks * 5 * T);
    std::vector<double> parts(chunks * fields), totals(fields);
    r.table = table.data();
    r.returns[0] = ret0.data();
    r.returns[1] = ret1.data();
    r.rewards[0] = r.reward_past ? rw0.data() : nullptr;
    r.rewards[1] = r.reward_past ? rw1.data() : nullptr;
    r.live = live.data();
    r.codes = codes.data();
    r.coop = coop.data();
    r.reward_sum = reward_sum.data();
    r.group_sums = group_sums.data();
    r.scratch = scratch.data();
    r.parts = parts.data();

    dc::TrainMlp n{};
    std::vector<float> obs, hidden, delta, logits, dlogits;
    if (mlp) {
      n.shape = *mlp;
      n.history = history;
      n.states = states;
      n.obs_dim = static_cast<int64_t>(history) * dilemma::matrix::kSlot;
      n.hidden_total = dilemma::learn::mlp_hidden_total(*mlp);
      n.params = dilemma::learn::mlp_param_count(*mlp);
      obs.resize(states * n.obs_dim);
      hidden.resize(states * n.hidden_total);
      delta.resize(hidden.size());
      logits.resize(states * 2);
      dlogits.resize(states * 2);
      n.obs = obs.data();
      n.hidden = hidden.data();
      n.delta = delta.data();
      n.logits = logits.data();
      n.dlogits = dlogits.data();
      for (int64_t s = 0; s < states; ++s) dc::train_mlp_forward(n, params.data(), s);
    }
    for (int64_t s = 0; s < states; ++s)
      dc::prepare_table_row((mlp ? logits.data() : params.data()) + s * 2, r.temperature, &table[s]);
    dc::with_train_history(history, [&](auto h) {
      for (int64_t b = 0; b < B; ++b) dc::train_play<decltype(h)::value>(r, b);
      return true;
    });
    for (int64_t s = 0; s < (r.reward_past ? 4 : 2); ++s)
      for (int64_t g = 0; g < r.group_count; ++g)
        for (int64_t t = 0; t < T; ++t) dc::train_group_sum(r, s, g, t);
    if (!warp) {
      for (int64_t c = 0; c < chunks; ++c) dc::train_credit_chunk(r, c);
    } else {
      std::vector<double> tables(dc::kWarpLanes * fields);
      for (int64_t c = 0; c < chunks; ++c) {
        std::fill(tables.begin(), tables.end(), 0.0);
        for (int lane = 0; lane < dc::kWarpLanes; ++lane) {
          const int64_t b = c * dc::kWarpLanes + lane;
          if (b >= B) break;  // the lanes past the end keep zero tables
          double* table = tables.data() + lane * fields;
          float carry[2] = {0.0f, 0.0f};
          for (int64_t t0 = 0; t0 < T; t0 += dc::kWarpLanes) {
            const int64_t at = b * T + t0;
            const dc::TrainSegment x{{ret0.data() + at, ret1.data() + at},
                                     {r.reward_past ? rw0.data() + at : nullptr, r.reward_past ? rw1.data() + at : nullptr},
                                     {codes.data() + at, codes.data() + BT + at},
                                     live.data() + at};
            dc::train_credit_segment(r, b, t0, static_cast<int>(std::min<int64_t>(dc::kWarpLanes, T - t0)), x, carry,
                                     table);
          }
          dc::train_credit_env_end(r, b, table);
        }
        for (int64_t f = 0; f < fields; ++f) {
          double lanes[dc::kWarpLanes];
          for (int l = 0; l < dc::kWarpLanes; ++l) lanes[l] = tables[l * fields + f];
          parts[c * fields + f] = dc::train_lane_tree(lanes);
        }
      }
    }
    for (int64_t f = 0; f < fields; ++f) totals[f] = dc::train_total(parts.data(), chunks, fields, f);

    dc::TrainUpdate u{};
    u.states = states;
    u.epochs = cfg.epochs;
    u.row = {cfg.loss.objective, cfg.loss.ratio_cap, cfg.loss.clip, cfg.loss.entropy_coef, cfg.loss.kl_coef};
    u.normalize = static_cast<int>(cfg.loss.normalize);
    u.normalizer = cfg.loss.normalizer;
    u.rows = 2 * BT;
    u.temperature = cfg.temperature;
    u.lr = dc::train_learning_rate(cfg.adam.lr, cfg.schedule == TrainerConfig::Schedule::kLinear, cfg.iterations,
                                   iteration);
    u.beta1 = cfg.adam.beta1;
    u.beta2 = cfg.adam.beta2;
    u.eps = cfg.adam.eps;
    u.clip_norm = cfg.adam.clip_norm;
    u.adam_t = adam_t;
    std::vector<float> grad(params.size());
    dc::TrainUpdateMetrics um{};
    if (!mlp) {
      um = dc::train_update(u, totals.data(), table.data(), params.data(), m.data(), v.data(), grad.data());
    } else {
      for (int e = 0; e < cfg.epochs; ++e) {
        if (e > 0)
          for (int64_t s = 0; s < states; ++s) dc::train_mlp_forward(n, params.data(), s);
        const dc::TrainLossSums sums = dc::train_logit_grads(u, totals.data(), table.data(), n.logits, n.dlogits);
        for (int64_t s = 0; s < states; ++s) dc::train_mlp_backward(n, params.data(), s);
        for (int64_t p = 0; p < n.params; ++p) grad[p] = dc::train_mlp_param_grad(n, p);
        // Kernel by kernel: the norm, then Adam a parameter per thread.
        const double norm = dc::train_grad_norm(grad.data(), n.params);
        for (int64_t p = 0; p < n.params; ++p)
          dc::train_adam_element(u, e, norm, p, params.data(), m.data(), v.data(), grad.data());
        if (e == 0) um = dc::train_metrics(u, totals.data(), sums, norm);
      }
    }
    adam_t += cfg.epochs;
    IterationMetrics out;
    out.iteration = iteration++;
    const double* extra = totals.data() + states * 2 * dc::kSumFields;
    for (int a = 0; a < 2; ++a) {
      out.mean_return.push_back(extra[2 + a] / static_cast<double>(B));
      out.action0_rate.push_back(extra[4 + a] / std::max(1.0, extra[1]));
    }
    out.policy_loss = um.policy_loss;
    out.entropy = um.entropy;
    out.clipped_fraction = um.clipped_fraction;
    out.grad_norm = um.grad_norm;
    out.credit_abs_mean = um.credit_abs_mean;
    return out;
  }
};

void close_all(const std::vector<float>& dev, const std::vector<float>& cpu, const std::string& what) {
  bool ok = dev.size() == cpu.size();
  double worst = 0.0;
  for (size_t i = 0; ok && i < dev.size(); ++i) {
    ok = within(dev[i], cpu[i]);
    worst = std::max(worst, std::fabs(static_cast<double>(dev[i]) - cpu[i]));
  }
  expect(ok, what + " (worst |difference| " + std::to_string(worst) + ")");
}

void check_case(const Case& k, int iterations, int64_t chunk, bool warp = false) {
  TrainerConfig c = k.cfg;
  Trainer cpu(c);
  HostDeviceTrainer dev(c, cpu.state());
  bool metrics_ok = true;
  std::string first_bad;
  for (int i = 0; i < iterations; ++i) {
    const IterationMetrics mc = cpu.iterate(), md = dev.iterate(cpu.steps(), chunk, warp);
    auto check = [&](double d, double e, const char* name) {
      if (within(d, e)) return;
      if (metrics_ok) first_bad = std::string(name) + " at iteration " + std::to_string(i) + ": " + std::to_string(d) +
                                  " vs " + std::to_string(e);
      metrics_ok = false;
    };
    for (int a = 0; a < 2; ++a) {
      check(md.mean_return[a], mc.mean_return[a], "mean return");
      check(md.action0_rate[a], mc.action0_rate[a], "action-0 rate");
    }
    check(md.policy_loss, mc.policy_loss, "policy loss");
    check(md.entropy, mc.entropy, "entropy");
    check(md.clipped_fraction, mc.clipped_fraction, "clipped fraction");
    check(md.grad_norm, mc.grad_norm, "gradient norm");
    check(md.credit_abs_mean, mc.credit_abs_mean, "mean |credit|");
  }
  const std::string what = k.name + " (" + std::to_string(iterations) + " iterations, " +
                           (warp ? "a warp per chunk of " : "chunks of ") + std::to_string(chunk) + ")";
  expect(metrics_ok, what + ": metrics" + (metrics_ok ? "" : ": " + first_bad));
  const dilemma::learn::TrainerState s = cpu.state();
  close_all(dev.params, s.params, what + ": parameters");
  close_all(dev.m, s.adam_m, what + ": Adam first moments");
  close_all(dev.v, s.adam_v, what + ": Adam second moments");
  expect(dev.adam_t == s.adam_t, what + ": Adam steps");
}

}  // namespace

int main() {
  std::vector<Case> cases;
  cases.push_back({"naive", base()});
  cases.back().cfg.algorithm = Algorithm::kNaive;
  cases.push_back({"advantage alignment", base()});
  cases.push_back({"advantage alignment, past rewards, include current", base()});
  cases.back().cfg.aa_past = TrainerConfig::AaPast::kRewards;
  cases.back().cfg.include_current = true;
  cases.push_back({"advantage alignment, mean form, groups of 8", base()});
  cases.back().cfg.aa_form = dilemma::credit::AaForm::kMean;
  cases.back().cfg.group_size = 8;
  cases.push_back({"sum of rewards, linear schedule, clipped Adam", base()});
  cases.back().cfg.algorithm = Algorithm::kSumOfRewards;
  cases.back().cfg.schedule = TrainerConfig::Schedule::kLinear;
  cases.back().cfg.iterations = 8;
  cases.back().cfg.adam.clip_norm = 0.05f;
  cases.push_back({"PPO, two epochs, entropy bonus, temperature 1.5", base()});
  cases.back().cfg.loss.objective = dilemma::learn::LossObjective::kPpo;
  cases.back().cfg.epochs = 2;
  cases.back().cfg.loss.entropy_coef = 0.01f;
  cases.back().cfg.temperature = 1.5f;
  cases.push_back({"noise and random episode ends", base(Params("game", {{"noise", 0.1}, {"continuation", 0.9}}))});
  cases.push_back({"memory 2 through one block", base(Params("game", {{"history", 2.0}}), 1)});
  cases.push_back({"memory 2, groups of 6, past rewards", base(Params("game", {{"history", 2.0}}), 2)});
  cases.back().cfg.group_size = 6;
  cases.back().cfg.aa_past = TrainerConfig::AaPast::kRewards;
  // Episodes longer than a warp's tile of steps and a last chunk of 4.
  cases.push_back({"advantage alignment, 70 rounds, batch 100", base(Params("game", {{"rounds", 70.0}}))});
  cases.back().cfg.batch = 100;
  cases.push_back({"advantage alignment, past rewards, mean form, include current, 40 rounds, batch 100",
                   base(Params("game", {{"rounds", 40.0}}))});
  cases.back().cfg.batch = 100;
  cases.back().cfg.aa_past = TrainerConfig::AaPast::kRewards;
  cases.back().cfg.aa_form = dilemma::credit::AaForm::kMean;
  cases.back().cfg.include_current = true;
  for (int hidden : {8, 32}) {
    const std::string h = "MLP " + std::to_string(hidden) + ": ";
    cases.push_back({h + "naive", mlp(hidden)});
    cases.back().cfg.algorithm = Algorithm::kNaive;
    cases.push_back({h + "advantage alignment", mlp(hidden)});
    cases.push_back({h + "PPO, two epochs, entropy bonus, temperature 1.5", mlp(hidden)});
    cases.back().cfg.loss.objective = dilemma::learn::LossObjective::kPpo;
    cases.back().cfg.epochs = 2;
    cases.back().cfg.loss.entropy_coef = 0.01f;
    cases.back().cfg.temperature = 1.5f;
  }
  cases.push_back({"MLP 8 relu, memory 2, past rewards, groups of 6", mlp(8, Params("game", {{"history", 2.0}}), "relu")});
  cases.back().cfg.aa_past = TrainerConfig::AaPast::kRewards;
  cases.back().cfg.group_size = 6;
  for (const Case& k : cases) {
    check_case(k, 5, 256);  // the CPU's chunks: the same sums
    check_case(k, 5, 7);    // smaller chunks
    // The device's warp pass where the tables are small enough.
    int history = 0;
    k.cfg.game->matrix_rules(&history);
    const auto* layout = k.cfg.model->tabular_layout();
    if (dc::train_warp_credits(layout ? layout->states : dc::train_mlp_states(history)))
      check_case(k, 5, dc::kWarpLanes, true);
  }
  return parity::failures() == 0 ? 0 : 1;
}

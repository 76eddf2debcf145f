// The trainer's fused matrix-game iteration against its general path: the
// same parameters (up to the float rounding of the gradient sum, which the
// fused path takes in double from per-state sums) after several iterations
// from the same seed,
// over the options the fused path takes (noise, random episode ends,
// padding, groups, every credit algorithm, whitening, temperature, PPO with
// several epochs, longer memories read directly or through the observation,
// a buffer of past opponents), and the same numbers for any thread count.
#include <cmath>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "../core/game.hpp"
#include "../core/learn/model.hpp"
#include "../core/learn/trainer.hpp"
#include "../core/learn/trainer_fused_lanes.hpp"
#include "../core/sampling.hpp"
#include "check.hpp"
#include "tabular_trainer_config.hpp"

using dilemma::Params;
using dilemma::learn::Algorithm;
using dilemma::learn::IterationMetrics;
using dilemma::learn::Trainer;
using dilemma::learn::TrainerConfig;

namespace {

TrainerConfig base(Params game, int history_blocks = 1, const std::string& id = "ipd") {
  return dtest::tabular_trainer_config(std::move(game), history_blocks, id);
}

struct Run {
  std::vector<float> params;
  std::vector<IterationMetrics> metrics;
};

Run train(TrainerConfig c, bool fused, int iterations, int threads = 0) {
  c.fused = fused;
  c.threads = threads;
  Trainer t(c);
  Run r;
  for (int i = 0; i < iterations; ++i) r.metrics.push_back(t.iterate());
  r.params = t.state().params;
  return r;
}

void same_runs(const TrainerConfig& c, int iterations = 6) {
  const Run general = train(c, false, iterations), fused = train(c, true, iterations);
  CHECK_EQ(general.params.size(), fused.params.size());
  for (size_t i = 0; i < general.params.size(); ++i) CHECK_CLOSE(fused.params[i], general.params[i], 1e-5, 1e-6);
  for (int i = 0; i < iterations; ++i) {
    const IterationMetrics &g = general.metrics[i], &f = fused.metrics[i];
    for (int a = 0; a < 2; ++a) {
      CHECK_CLOSE(f.mean_return[a], g.mean_return[a], 1e-12, 1e-12);
      CHECK_CLOSE(f.action0_rate[a], g.action0_rate[a], 1e-12, 1e-12);
    }
    CHECK_CLOSE(f.policy_loss, g.policy_loss, 1e-5, 1e-7);
    CHECK_CLOSE(f.entropy, g.entropy, 1e-6, 1e-9);
    CHECK_CLOSE(f.clipped_fraction, g.clipped_fraction, 1e-12, 1e-12);
    CHECK_CLOSE(f.grad_norm, g.grad_norm, 1e-5, 1e-7);
    CHECK_CLOSE(f.credit_abs_mean, g.credit_abs_mean, 1e-6, 1e-9);
    CHECK_EQ(f.buffer_opponent, g.buffer_opponent);
  }
}

// The lane path against the scalar fused path: the same bits, parameters
// and metrics. Returns whether the lane path ran.
bool same_bits_with_lanes(TrainerConfig c, int iterations = 5, int threads = 1) {
  namespace lanes = dilemma::learn::fused_lanes;
  lanes::set_enabled(false);
  const Run scalar = train(c, true, iterations, threads);
  lanes::set_enabled(true);
  const int64_t before = lanes::iterations_taken();
  const Run lane = train(c, true, iterations, threads);
  const bool ran = lanes::iterations_taken() > before;
  CHECK_EQ(scalar.params.size(), lane.params.size());
  for (size_t i = 0; i < scalar.params.size(); ++i) CHECK_EQ(lane.params[i], scalar.params[i]);
  for (int i = 0; i < iterations; ++i) {
    const IterationMetrics &s = scalar.metrics[i], &l = lane.metrics[i];
    for (int a = 0; a < 2; ++a) {
      CHECK_EQ(l.mean_return[a], s.mean_return[a]);
      CHECK_EQ(l.action0_rate[a], s.action0_rate[a]);
    }
    CHECK_EQ(l.policy_loss, s.policy_loss);
    CHECK_EQ(l.entropy, s.entropy);
    CHECK_EQ(l.clipped_fraction, s.clipped_fraction);
    CHECK_EQ(l.grad_norm, s.grad_norm);
    CHECK_EQ(l.credit_abs_mean, s.credit_abs_mean);
    CHECK_EQ(l.buffer_opponent, s.buffer_opponent);
  }
  return ran;
}

}  // namespace

TEST("lane noise threshold: a float below it exactly when it is below the noise in double") {
  using dilemma::learn::fused_lanes::float_threshold;
  for (double p : {0.0, 0.05, 0.1, 1.0 / 3.0, 0.5, 0.7, 1.0, 1e-9, 0.25, 0.999999999}) {
    const float f = float_threshold(p);
    // The float just below the threshold is below p, the threshold itself is not.
    CHECK(static_cast<double>(std::nextafter(f, 0.0f)) < p || f == 0.0f);
    CHECK(!(static_cast<double>(f) < p));
    // Every draw near it (24-bit uniforms, as the engine makes them) agrees.
    const int64_t centre = static_cast<int64_t>(p * 16777216.0);
    for (int64_t k = std::max<int64_t>(0, centre - 3); k <= std::min<int64_t>(16777215, centre + 3); ++k) {
      const float u = static_cast<float>(k) / 16777216.0f;
      CHECK_EQ(u < f, static_cast<double>(u) < p);
    }
  }
}

TEST("lane rows: at least the batch, an odd number of 64-byte lines") {
  for (int64_t B = 1; B <= 9000; ++B) {
    const int64_t Bp = dilemma::learn::fused_lanes::padded(B);
    CHECK(Bp >= B);
    CHECK(Bp - B < 48);
    CHECK_EQ(Bp % 16, int64_t{0});
    CHECK_EQ((Bp / 16) % 2, int64_t{1});
  }
}

TEST("lane group sums: the scalar loop's bits, whatever the group size, steps and range") {
  if (!dilemma::learn::fused_lanes::available()) return;
  // Values over many binades, so that the order of the additions shows in the bits.
  uint64_t x = 0x9E3779B97F4A7C15ull;
  auto next = [&x] {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    const float mantissa = static_cast<float>(x >> 40) / 16777216.0f;
    return std::ldexp((x & 1 ? -1.0f : 1.0f) * (1.0f + mantissa), static_cast<int>((x >> 8) % 60) - 30);
  };
  struct Case {
    int64_t B, T, group_size, t0, t1;
  };
  for (const Case& k : {Case{4096, 10, 4096, 0, 10}, Case{101, 9, 6, 0, 9}, Case{700, 13, 5, 3, 11},
                        Case{37, 4, 37, 0, 4}, Case{64, 3, 1, 1, 3}, Case{250, 12, 17, 0, 12}}) {
    const int64_t Bp = dilemma::learn::fused_lanes::padded(k.B), groups = (k.B + k.group_size - 1) / k.group_size;
    std::vector<float> rows(static_cast<size_t>(k.T * Bp));
    for (float& v : rows) v = next();
    std::vector<double> expected(static_cast<size_t>(groups * k.T), 0.5), got = expected;
    for (int64_t b = 0; b < k.B; ++b)
      for (int64_t t = k.t0; t < k.t1; ++t) expected[(b / k.group_size) * k.T + t] += rows[t * Bp + b];
    dilemma::learn::fused_lanes::group_sums(rows.data(), k.B, Bp, k.T, k.group_size, k.t0, k.t1, got.data());
    for (size_t i = 0; i < got.size(); ++i) CHECK_EQ(got[i], expected[i]);
  }
}

TEST("fused matrix iteration, 8 environments per register: the scalar fused path's bits") {
  const bool avx2 = dilemma::learn::fused_lanes::available();
  {
    TrainerConfig c = base(Params("game", {}));
    c.batch = 101;  // not a multiple of 8: a part-filled register
    CHECK_EQ(same_bits_with_lanes(c), avx2);
  }
  {
    TrainerConfig c = base(Params("game", {}));
    c.batch = 700;  // several chunks, the last one part-filled
    c.group_size = 6;
    c.include_current = true;
    CHECK_EQ(same_bits_with_lanes(c, 4, 2), avx2);
  }
  {
    TrainerConfig c = base(Params("game", {{"rounds", 7.0}}));
    c.steps = 9;  // padding steps after the last round
    c.group_size = 5;  // the last group has one environment: no baseline
    c.batch = 41;
    c.aa_form = dilemma::credit::AaForm::kMean;
    CHECK_EQ(same_bits_with_lanes(c), avx2);
    c.include_current = true;
    CHECK_EQ(same_bits_with_lanes(c), avx2);
  }
  {
    TrainerConfig c = base(Params("game", {{"preset", std::string("stag-hunt")}}), 1, "matrix");
    c.algorithm = Algorithm::kNaive;
    c.temperature = 0.7f;
    CHECK_EQ(same_bits_with_lanes(c), avx2);
    c.algorithm = Algorithm::kSumOfRewards;
    c.loss.objective = dilemma::learn::LossObjective::kPpo;
    c.epochs = 3;
    c.loss.entropy_coef = 0.05f;
    CHECK_EQ(same_bits_with_lanes(c), avx2);
  }
  {
    TrainerConfig c = base(Params("game", {}));
    c.batch = 203;
    c.buffer_probability = 0.6f;
    c.buffer_size = 3;
    CHECK_EQ(same_bits_with_lanes(c, 10), avx2);
  }
  {
    // Move noise: the environment's draws per environment, or shared by a
    // group (common random numbers), groups across registers and chunks.
    TrainerConfig c = base(Params("game", {{"noise", 0.1}}));
    c.batch = 301;
    CHECK_EQ(same_bits_with_lanes(c), avx2);
    c.group_size = 7;
    CHECK_EQ(same_bits_with_lanes(c, 4, 2), avx2);
    c.batch = 700;
    c.group_size = 300;
    CHECK_EQ(same_bits_with_lanes(c, 3), avx2);
  }
  {
    // Random episode ends: lanes whose episode ended play nothing, and their
    // steps count nowhere; with noise, groups, padding steps and PPO.
    TrainerConfig c = base(Params("game", {{"continuation", 0.8}}));
    c.batch = 203;
    CHECK_EQ(same_bits_with_lanes(c), avx2);
    c = base(Params("game", {{"continuation", 0.9}, {"noise", 0.05}, {"rounds", 12.0}}));
    c.steps = 15;
    c.batch = 650;
    c.group_size = 9;
    c.loss.normalize = dilemma::learn::LossNormalize::kMask;
    CHECK_EQ(same_bits_with_lanes(c, 4, 2), avx2);
    c.loss.objective = dilemma::learn::LossObjective::kPpo;
    c.epochs = 2;
    c.algorithm = Algorithm::kSumOfRewards;
    CHECK_EQ(same_bits_with_lanes(c, 3), avx2);
  }
  {
    // Cases the lane path leaves to the scalar path: whitening, memory-2.
    TrainerConfig c = base(Params("game", {}));
    c.whiten_credits = true;
    CHECK(!same_bits_with_lanes(c, 2));
    CHECK(!same_bits_with_lanes(base(Params("game", {{"history", 2.0}}), 2, "matrix"), 2));
  }
}

TEST("fused matrix iteration: Advantage Alignment on the IPD equals the general path") {
  same_runs(base(Params("game", {})));
}

TEST("fused matrix iteration: noise, random ends, padding steps, groups, naive and whitened credits") {
  TrainerConfig c = base(Params("game", {{"noise", 0.1}, {"continuation", 0.8}, {"rounds", 10.0}}));
  c.steps = 13;  // past the last round: padding rows
  c.group_size = 8;
  c.algorithm = Algorithm::kNaive;
  c.whiten_credits = true;
  c.temperature = 1.5f;
  same_runs(c);
}

TEST("fused matrix iteration: sum of rewards, PPO over two epochs, entropy bonus, memory-2 read directly") {
  TrainerConfig c = base(Params("game", {{"history", 2.0}, {"preset", std::string("stag-hunt")}}), 2, "matrix");
  c.algorithm = Algorithm::kSumOfRewards;
  c.loss.objective = dilemma::learn::LossObjective::kPpo;
  c.epochs = 2;
  c.loss.entropy_coef = 0.05f;
  c.include_current = true;
  same_runs(c);
}

TEST("fused matrix iteration: a memory-2 observation read as one block, mean AA form, a linear schedule") {
  TrainerConfig c = base(Params("game", {{"history", 2.0}}), 1);
  c.aa_form = dilemma::credit::AaForm::kMean;
  c.schedule = TrainerConfig::Schedule::kLinear;
  c.iterations = 6;
  c.loss.normalize = dilemma::learn::LossNormalize::kRows;
  same_runs(c);
}

TEST("fused matrix iteration: AA weight over one-step rewards, with noise, random ends, padding and groups") {
  TrainerConfig c = base(Params("game", {{"noise", 0.1}, {"continuation", 0.8}, {"rounds", 10.0}}));
  c.steps = 13;
  c.group_size = 8;
  c.aa_past = TrainerConfig::AaPast::kRewards;
  same_runs(c);
  // Fixed-length memory-1 (where the lane path would run) and a snapshot opponent.
  TrainerConfig d = base(Params("game", {}));
  d.aa_past = TrainerConfig::AaPast::kRewards;
  d.include_current = true;
  d.buffer_probability = 0.5f;
  d.buffer_size = 3;
  same_runs(d, 8);
}

TEST("AA weight over rewards: the same as over advantages with one round or beta 0, different otherwise") {
  auto params = [](TrainerConfig c, TrainerConfig::AaPast past, bool fused) {
    c.aa_past = past;
    return train(c, fused, 4).params;
  };
  for (bool fused : {false, true}) {
    // One round: w_0 = 0 whatever the past series.
    TrainerConfig one = base(Params("game", {{"rounds", 1.0}}));
    CHECK(params(one, TrainerConfig::AaPast::kRewards, fused) == params(one, TrainerConfig::AaPast::kAdvantages, fused));
    TrainerConfig flat = base(Params("game", {}));
    flat.beta = 0.0f;
    CHECK(params(flat, TrainerConfig::AaPast::kRewards, fused) ==
          params(flat, TrainerConfig::AaPast::kAdvantages, fused));
    TrainerConfig full = base(Params("game", {}));
    CHECK(params(full, TrainerConfig::AaPast::kRewards, fused) !=
          params(full, TrainerConfig::AaPast::kAdvantages, fused));
  }
}

TEST("fused matrix iteration: past snapshots as opponents") {
  TrainerConfig c = base(Params("game", {{"noise", 0.05}}));
  c.buffer_probability = 0.6f;
  c.buffer_size = 3;
  same_runs(c, 10);
}

TEST("fused matrix iteration: the same numbers on 1, 2 and 3 threads") {
  for (auto past : {TrainerConfig::AaPast::kAdvantages, TrainerConfig::AaPast::kRewards}) {
    TrainerConfig c = base(Params("game", {{"noise", 0.05}}));
    c.batch = 3000;  // several rollout and loss parts
    c.aa_past = past;
    const Run one = train(c, true, 3, 1), two = train(c, true, 3, 2), three = train(c, true, 3, 3);
    for (size_t i = 0; i < one.params.size(); ++i) {
      CHECK_EQ(one.params[i], two.params[i]);
      CHECK_EQ(one.params[i], three.params[i]);
    }
  }
}

TEST("float sampler: actions and log-probabilities against a double-precision softmax") {
  // Two and five actions, with a temperature; u away from the cumulative
  // boundaries, where float and double could round to different sides.
  const float z[5] = {0.3f, -1.2f, 2.0f, 0.7f, -0.4f};
  for (int n : {2, 5})
    for (float temp : {1.0f, 0.5f, 2.0f})
      for (int k = 0; k < 200; ++k) {
        const float u = (k + 0.5f) / 200.0f;
        double w[5], total = 0;
        for (int i = 0; i < n; ++i) total += w[i] = std::exp(static_cast<double>(z[i]) / temp);
        double acc = 0, edge = 1;
        int want = n - 1;
        for (int i = 0; i < n; ++i) {
          acc += w[i] / total;
          if (u < acc) {
            want = i;
            edge = acc - u;
            break;
          }
        }
        if (edge < 1e-5) continue;
        const dilemma::Sample s = dilemma::sample_logits(z, n, temp, false, u, nullptr);
        CHECK_EQ(s.action, want);
        CHECK_CLOSE(s.logp, std::log(w[want] / total), 0, 2e-6);
        double h = 0;
        for (int i = 0; i < n; ++i) h -= w[i] / total * std::log(w[i] / total);
        CHECK_CLOSE(s.entropy, h, 0, 2e-6);
      }
}

// Policy losses against hand-worked numbers, and their logits gradients
// against central finite differences of a plain double implementation
// written straight from the formulas in DESIGN.md.
#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include "../core/learn/loss.hpp"
#include "check.hpp"

namespace lr = dilemma::learn;
using lr::LossNormalize;
using lr::LossObjective;
using lr::LossResult;
using lr::LossTerms;

// A literal, since CHECK_THROWS_CODE pastes it into its message.
#define kBad "ERR_INVALID_ARGUMENT"

namespace {

using Vec = std::vector<float>;
using DVec = std::vector<double>;

// A batch of rows; an empty optional array is passed as null.
struct Batch {
  int64_t N = 0;
  int A = 0;
  Vec logits;
  std::vector<int32_t> actions;
  Vec credits;
  std::vector<uint8_t> mask;
  Vec behavior;
  Vec ref_logits;
  Vec ref_logp;
};

template <typename T>
const T* opt(const std::vector<T>& v) {
  return v.empty() ? nullptr : v.data();
}

LossResult run(const Batch& b, const LossTerms& t, Vec& dz, int threads = 0) {
  dz.assign(static_cast<size_t>(b.N * b.A), std::nanf(""));
  return lr::policy_loss(b.logits.data(), b.N, b.A, b.actions.data(), b.credits.data(), opt(b.mask), opt(b.behavior),
                         opt(b.ref_logits), opt(b.ref_logp), t, dz.data(), threads);
}

bool same_bits(const Vec& a, const Vec& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

bool same_result(const LossResult& a, const LossResult& b) {
  return a.loss == b.loss && a.policy == b.policy && a.entropy == b.entropy && a.kl == b.kl &&
         a.clipped_fraction == b.clipped_fraction && a.live_rows == b.live_rows && a.normalizer == b.normalizer;
}

void check_all_close(const Vec& got, const DVec& want, double rtol, double atol) {
  CHECK_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    CHECK(std::isfinite(got[i]));
    CHECK_CLOSE(got[i], want[i], rtol, atol);
  }
}

// log softmax of one row, in double.
DVec ref_log_softmax(const double* z, int A) {
  double m = z[0];
  for (int k = 1; k < A; ++k) m = std::max(m, z[k]);
  double s = 0.0;
  for (int k = 0; k < A; ++k) s += std::exp(z[k] - m);
  const double lse = m + std::log(s);
  DVec out(A);
  for (int k = 0; k < A; ++k) out[k] = z[k] - lse;
  return out;
}

struct RefParts {
  double loss = 0, policy = 0, entropy = 0, kl = 0, clipped_fraction = 0;
  int64_t live = 0;
};

bool live_row(const Batch& b, int64_t i) { return (b.mask.empty() || b.mask[i]) && b.actions[i] != -1; }

// The loss of the whole batch as a function of the logits z, in double.
// rho, when given, holds REINFORCE's detached ratios (computed once at the
// unperturbed logits, so that finite differences treat them as constants).
RefParts ref_loss(const Batch& b, const DVec& z, const LossTerms& t, const DVec* rho = nullptr) {
  RefParts r;
  int64_t clipped = 0;
  for (int64_t i = 0; i < b.N; ++i) r.live += live_row(b, i) ? 1 : 0;
  const double n_eff = t.normalize == LossNormalize::kMask   ? double(r.live)
                       : t.normalize == LossNormalize::kRows ? double(b.N)
                                                             : t.normalizer;
  if (n_eff == 0.0) return r;
  for (int64_t i = 0; i < b.N; ++i) {
    if (!live_row(b, i)) continue;
    const int a = b.actions[i];
    const double c = b.credits[i];
    const DVec lp = ref_log_softmax(z.data() + i * b.A, b.A);
    double h = 0.0;
    for (int k = 0; k < b.A; ++k) h -= std::exp(lp[k]) * lp[k];
    double pol;
    if (t.objective == LossObjective::kPpo) {
      const double ratio = std::exp(lp[a] - b.behavior[i]);
      const double bounded = std::min(std::max(ratio, 1.0 - t.clip), 1.0 + t.clip);
      pol = -std::min(ratio * c, bounded * c);
      clipped += bounded * c < ratio * c ? 1 : 0;
    } else {
      double w = 1.0;
      if (!b.behavior.empty()) {
        const double ratio = std::exp(lp[a] - b.behavior[i]);
        clipped += ratio > t.ratio_cap ? 1 : 0;
        w = rho ? (*rho)[i] : std::min(ratio, double(t.ratio_cap));
      }
      pol = -c * w * lp[a];
    }
    double kl = 0.0;
    if (!b.ref_logits.empty() || !b.ref_logp.empty()) {
      DVec zr(b.ref_logits.begin(), b.ref_logits.end());
      const double ref = b.ref_logp.empty() ? ref_log_softmax(zr.data() + i * b.A, b.A)[a] : b.ref_logp[i];
      const double d = ref - lp[a];
      kl = std::exp(d) - 1.0 - d;
    }
    r.policy += pol / n_eff;
    r.entropy += h / n_eff;
    r.kl += kl / n_eff;
  }
  r.loss = r.policy - t.entropy_coef * r.entropy + t.kl_coef * r.kl;
  r.clipped_fraction = r.live ? double(clipped) / double(r.live) : 0.0;
  return r;
}

#define CHECK_MESSAGE(got, want)                                                        \
  do {                                                                                  \
    const std::string g_ = (got);                                                       \
    if (g_ != (want)) dtest::fail(__FILE__, __LINE__, "message \"" + g_ + "\" != \"" want "\""); \
  } while (0)

DVec to_double(const Vec& v) { return DVec(v.begin(), v.end()); }

// REINFORCE's detached ratios at the batch's own logits.
DVec detached_ratios(const Batch& b, const LossTerms& t) {
  DVec rho(b.N, 1.0);
  if (b.behavior.empty()) return rho;
  const DVec z = to_double(b.logits);
  for (int64_t i = 0; i < b.N; ++i) {
    if (!live_row(b, i)) continue;
    const double lp = ref_log_softmax(z.data() + i * b.A, b.A)[b.actions[i]];
    rho[i] = std::min(std::exp(lp - b.behavior[i]), double(t.ratio_cap));
  }
  return rho;
}

// Central differences of ref_loss with respect to every logit.
DVec finite_difference_grad(const Batch& b, const LossTerms& t, double h = 1e-4) {
  const DVec rho = detached_ratios(b, t);
  DVec z = to_double(b.logits), g(z.size());
  for (size_t j = 0; j < z.size(); ++j) {
    const double z0 = z[j];
    z[j] = z0 + h;
    const double up = ref_loss(b, z, t, &rho).loss;
    z[j] = z0 - h;
    const double down = ref_loss(b, z, t, &rho).loss;
    z[j] = z0;
    g[j] = (up - down) / (2.0 * h);
  }
  return g;
}

// Behaviour log-probabilities log pi(a) + offset whose ratios exp(-offset)
// keep clear of the PPO bounds 0.8 and 1.2 and of the ratio cap 1.3 by more
// than a finite-difference step moves them.
Vec behavior_around(const Batch& b) {
  static const double offsets[] = {0.7, -0.05, 0.4, -0.6, 0.1, -0.35, 0.0, -0.15};
  const DVec z = to_double(b.logits);
  Vec out(b.N);
  for (int64_t i = 0; i < b.N; ++i) {
    const int a = b.actions[i] < 0 ? 0 : b.actions[i];
    out[i] = float(ref_log_softmax(z.data() + i * b.A, b.A)[a] + offsets[i % 8]);
  }
  return out;
}

// Random logits and credits; row 2 is masked, row 5 is padding (action -1)
// and row 7 is masked padding.
Batch random_batch(int64_t N, int A, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(-3.0f, 3.0f);
  Batch b;
  b.N = N;
  b.A = A;
  b.logits.resize(N * A);
  for (auto& x : b.logits) x = u(rng);
  b.ref_logits.resize(N * A);
  for (auto& x : b.ref_logits) x = u(rng);
  b.actions.resize(N);
  for (auto& a : b.actions) a = int32_t(rng() % uint32_t(A));
  b.credits.resize(N);
  for (auto& c : b.credits) c = u(rng) * 0.7f;
  b.mask.assign(N, 1);
  if (N > 7) {
    b.mask[2] = 0;
    b.actions[5] = -1;
    b.mask[7] = 0;
    b.actions[7] = -1;
  }
  return b;
}

}  // namespace

TEST("hand-worked: 2 actions, REINFORCE and entropy") {
  // z = [0, ln 3]: p = [1/4, 3/4]; a = 0, c = 2, no behaviour (rho = 1), one row.
  // log pi(0) = -ln 4 = -1.38629436; L = -c log pi(0) = 2 ln 4 = 2.77258872
  // dL/dz = -c (onehot - p) = -2 [3/4, -3/4] = [-1.5, 1.5]
  Batch b;
  b.N = 1;
  b.A = 2;
  b.logits = {0.0f, float(std::log(3.0))};
  b.actions = {0};
  b.credits = {2.0f};
  LossTerms t;
  Vec dz;
  LossResult r = run(b, t, dz);
  CHECK_CLOSE(r.loss, 2.77258872, 1e-6, 0);
  CHECK_CLOSE(r.policy, 2.77258872, 1e-6, 0);
  check_all_close(dz, {-1.5, 1.5}, 1e-6, 1e-7);
  // H = -(1/4 ln 1/4 + 3/4 ln 3/4) = 0.34657359 + 0.21576155 = 0.56233514
  // dH/dz_k = -p_k (log p_k + H):
  //   k = 0: -0.25 (-1.38629436 + 0.56233514) = 0.20598981
  //   k = 1: -0.75 (-0.28768207 + 0.56233514) = -0.20598981
  // entropy_coef 0.1: L = 2.77258872 - 0.056233514 = 2.71635521,
  //   dz = [-1.5 - 0.020598981, 1.5 + 0.020598981]
  t.entropy_coef = 0.1f;
  r = run(b, t, dz);
  CHECK_CLOSE(r.entropy, 0.56233514, 1e-6, 0);
  CHECK_CLOSE(r.loss, 2.71635521, 1e-6, 0);
  check_all_close(dz, {-1.520598981, 1.520598981}, 1e-6, 1e-7);
  CHECK_EQ(r.kl, 0.0);
  CHECK_EQ(r.clipped_fraction, 0.0);
  CHECK_EQ(r.live_rows, int64_t{1});
}

TEST("hand-worked: 3 actions, ratio cap, PPO both ways, KL from log-probs and from logits") {
  // z = [0, ln 2, ln 5]: p = [1/8, 2/8, 5/8]; a = 2, log pi(2) = ln 0.625 = -0.47000363.
  // Behaviour log mu = ln 0.5, so r = 0.625 / 0.5 = 1.25.
  Batch b;
  b.N = 1;
  b.A = 3;
  b.logits = {0.0f, float(std::log(2.0)), float(std::log(5.0))};
  b.actions = {2};
  b.credits = {-1.0f};
  b.behavior = {float(std::log(0.5))};
  const DVec g1 = {-0.125, -0.25, 0.375};  // onehot(2) - p
  LossTerms t;
  Vec dz;

  // REINFORCE, cap 2: rho = 1.25. L = -c rho log pi = 1.25 * -0.47000363 = -0.58750454;
  // dz = -c rho (onehot - p) = 1.25 g1 = [-0.15625, -0.3125, 0.46875]
  LossResult r = run(b, t, dz);
  CHECK_CLOSE(r.loss, -0.58750454, 1e-6, 0);
  check_all_close(dz, {-0.15625, -0.3125, 0.46875}, 1e-6, 1e-7);
  CHECK_EQ(r.clipped_fraction, 0.0);

  // cap 1.1: rho = 1.1, capped. L = 1.1 * -0.47000363 = -0.51700399; dz = 1.1 g1
  t.ratio_cap = 1.1f;
  r = run(b, t, dz);
  CHECK_CLOSE(r.loss, -0.51700399, 1e-6, 0);
  check_all_close(dz, {-0.1375, -0.275, 0.4125}, 1e-6, 1e-7);
  CHECK_EQ(r.clipped_fraction, 1.0);

  // PPO, eps 0.2, c = -1: r c = -1.25 < clip(r) c = -1.2, so the unclipped
  // term is the minimum: L = 1.25, dz = -c r (onehot - p) = 1.25 g1
  t = LossTerms{};
  t.objective = LossObjective::kPpo;
  r = run(b, t, dz);
  CHECK_CLOSE(r.loss, 1.25, 1e-6, 0);
  check_all_close(dz, {-0.15625, -0.3125, 0.46875}, 1e-6, 1e-7);
  CHECK_EQ(r.clipped_fraction, 0.0);

  // PPO, c = +1: r c = 1.25 > clip(r) c = 1.2: clipped, L = -1.2, no gradient
  b.credits = {1.0f};
  r = run(b, t, dz);
  CHECK_CLOSE(r.loss, -1.2, 1e-6, 0);
  for (float g : dz) CHECK_EQ(g, 0.0f);
  CHECK_EQ(r.clipped_fraction, 1.0);

  // KL, reference log pi_ref(2) = ln 0.5: d = ln 0.5 - ln 0.625 = ln 0.8 = -0.22314355,
  // k3 = 0.8 - 1 + 0.22314355 = 0.02314355; dk3/dlogp = 1 - 0.8 = 0.2.
  // REINFORCE (c = 1, no behaviour) + 0.5 KL:
  //   L = -ln 0.625 + 0.5 * 0.02314355 = 0.47000363 + 0.01157178 = 0.48157541
  //   dz = (-1 + 0.5 * 0.2) g1 = -0.9 g1 = [0.1125, 0.225, -0.3375]
  b.behavior.clear();
  t = LossTerms{};
  t.kl_coef = 0.5f;
  b.ref_logp = {float(std::log(0.5))};
  r = run(b, t, dz);
  CHECK_CLOSE(r.kl, 0.02314355, 1e-5, 0);
  CHECK_CLOSE(r.loss, 0.48157541, 1e-6, 0);
  check_all_close(dz, {0.1125, 0.225, -0.3375}, 1e-6, 1e-7);
  // The same reference as logits [0, 0, ln 2]: p_ref = [1/4, 1/4, 1/2].
  b.ref_logp.clear();
  b.ref_logits = {0.0f, 0.0f, float(std::log(2.0))};
  r = run(b, t, dz);
  CHECK_CLOSE(r.kl, 0.02314355, 1e-5, 0);
  CHECK_CLOSE(r.loss, 0.48157541, 1e-6, 0);
  check_all_close(dz, {0.1125, 0.225, -0.3375}, 1e-6, 1e-7);
}

TEST("hand-worked: masked and padding rows, every normalisation") {
  // The 2-action row of the first case (L_row = 2 ln 4, dz = [-1.5, 1.5])
  // three times: row 1 masked, row 2 padding.
  Batch b;
  b.N = 3;
  b.A = 2;
  const float l3 = float(std::log(3.0));
  b.logits = {0.0f, l3, 0.0f, l3, 0.0f, l3};
  b.actions = {0, 0, -1};
  b.credits = {2.0f, 2.0f, 2.0f};
  b.mask = {1, 0, 1};
  LossTerms t;
  Vec dz;
  // mask: N_eff = 1
  LossResult r = run(b, t, dz);
  CHECK_EQ(r.live_rows, int64_t{1});
  CHECK_EQ(r.normalizer, 1.0);
  CHECK_CLOSE(r.loss, 2.77258872, 1e-6, 0);
  check_all_close(dz, {-1.5, 1.5, 0, 0, 0, 0}, 1e-6, 0);
  // rows: N_eff = 3
  t.normalize = LossNormalize::kRows;
  r = run(b, t, dz);
  CHECK_CLOSE(r.loss, 2.77258872 / 3, 1e-6, 0);
  check_all_close(dz, {-0.5, 0.5, 0, 0, 0, 0}, 1e-6, 0);
  // constant 4
  t.normalize = LossNormalize::kConstant;
  t.normalizer = 4.0;
  r = run(b, t, dz);
  CHECK_CLOSE(r.loss, 2.77258872 / 4, 1e-6, 0);
  check_all_close(dz, {-0.375, 0.375, 0, 0, 0, 0}, 1e-6, 0);
  // no mask: the padding row alone is left out, N_eff = 2
  b.mask.clear();
  t.normalize = LossNormalize::kMask;
  r = run(b, t, dz);
  CHECK_EQ(r.live_rows, int64_t{2});
  CHECK_CLOSE(r.loss, 2.77258872, 1e-6, 0);
  check_all_close(dz, {-0.75, 0.75, -0.75, 0.75, 0, 0}, 1e-6, 0);
  // nothing live: zero loss and gradient, not NaN
  b.mask = {0, 0, 0};
  for (auto n : {LossNormalize::kMask, LossNormalize::kRows}) {
    t.normalize = n;
    t.entropy_coef = 0.3f;
    r = run(b, t, dz);
    CHECK_EQ(r.loss, 0.0);
    CHECK_EQ(r.live_rows, int64_t{0});
    for (float g : dz) CHECK_EQ(g, 0.0f);
  }
}

TEST("gradients match finite differences: every term, both objectives") {
  const double rtol = 1e-3, atol = 2e-5;
  for (int A : {2, 3, 7}) {
    Batch base = random_batch(11, A, 100 + A);
    base.behavior = behavior_around(base);
    const Vec ref_logp = [&] {
      Vec v(base.N);
      const DVec zr = to_double(base.ref_logits);
      for (int64_t i = 0; i < base.N; ++i)
        v[i] = float(ref_log_softmax(zr.data() + i * A, A)[base.actions[i] < 0 ? 0 : base.actions[i]]);
      return v;
    }();
    struct Case {
      const char* name;
      LossObjective objective;
      bool behavior;
      float entropy;
      float kl;
      int ref;  // 0 none, 1 logits, 2 log-probs
      LossNormalize normalize;
    };
    const Case cases[] = {
        {"reinforce", LossObjective::kReinforce, false, 0.0f, 0.0f, 0, LossNormalize::kMask},
        {"reinforce, capped ratio", LossObjective::kReinforce, true, 0.0f, 0.0f, 0, LossNormalize::kMask},
        {"ppo", LossObjective::kPpo, true, 0.0f, 0.0f, 0, LossNormalize::kMask},
        {"entropy alone", LossObjective::kReinforce, false, 0.7f, 0.0f, 0, LossNormalize::kRows},
        {"kl from logits", LossObjective::kReinforce, false, 0.0f, 0.8f, 1, LossNormalize::kMask},
        {"kl from log-probs", LossObjective::kReinforce, false, 0.0f, 0.8f, 2, LossNormalize::kConstant},
        {"everything, reinforce", LossObjective::kReinforce, true, 0.05f, 0.3f, 1, LossNormalize::kMask},
        {"everything, ppo", LossObjective::kPpo, true, 0.05f, 0.3f, 2, LossNormalize::kRows},
    };
    for (const Case& c : cases) {
      Batch b = base;
      if (!c.behavior) b.behavior.clear();
      b.ref_logits.clear();
      if (c.ref == 1) b.ref_logits = base.ref_logits;
      if (c.ref == 2) b.ref_logp = ref_logp;
      LossTerms t;
      t.objective = c.objective;
      t.ratio_cap = 1.3f;
      t.entropy_coef = c.entropy;
      t.kl_coef = c.kl;
      t.normalize = c.normalize;
      t.normalizer = 6.5;
      // For the entropy-only case the policy term is switched off through zero credits.
      if (c.entropy > 0.0f && c.kl == 0.0f) b.credits.assign(b.N, 0.0f);
      Vec dz;
      const LossResult got = run(b, t, dz);
      const RefParts want = ref_loss(b, to_double(b.logits), t);
      CHECK_CLOSE(got.loss, want.loss, 1e-5, 1e-6);
      CHECK_CLOSE(got.policy, want.policy, 1e-5, 1e-6);
      CHECK_CLOSE(got.entropy, want.entropy, 1e-5, 1e-6);
      CHECK_CLOSE(got.kl, want.kl, 1e-4, 1e-6);
      CHECK_CLOSE(got.clipped_fraction, want.clipped_fraction, 0, 1e-12);
      check_all_close(dz, finite_difference_grad(b, t), rtol, atol);
      // Masked and padding rows get exactly zero.
      for (int64_t i : {2, 5, 7})
        for (int k = 0; k < A; ++k) CHECK_EQ(dz[i * A + k], 0.0f);
    }
  }
}

TEST("the test data exercises both sides of the cap and of the PPO clip") {
  Batch b = random_batch(11, 3, 103);
  b.behavior = behavior_around(b);
  LossTerms t;
  t.ratio_cap = 1.3f;
  Vec dz;
  const LossResult capped = run(b, t, dz);
  CHECK(capped.clipped_fraction > 0.0 && capped.clipped_fraction < 1.0);
  t.objective = LossObjective::kPpo;
  const LossResult clipped = run(b, t, dz);
  CHECK(clipped.clipped_fraction > 0.0 && clipped.clipped_fraction < 1.0);
}

TEST("ppo: clipped rows have zero gradient, ties go to the unclipped term") {
  // Ratios exp(-offset) on either side of [0.8, 1.2] with credits of both
  // signs: a row is clipped exactly when r > 1.2 with c > 0 or r < 0.8 with c < 0.
  Batch b;
  b.N = 6;
  b.A = 4;
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> u(-2.0f, 2.0f);
  b.logits.resize(24);
  for (auto& x : b.logits) x = u(rng);
  b.actions = {0, 1, 2, 3, 1, 2};
  b.credits = {1.0f, 1.0f, -1.0f, -1.0f, 0.5f, -0.5f};
  const double offsets[] = {-0.5, 0.5, -0.5, 0.5, 0.0, 0.0};  // r = 1.65, 0.61, 1.65, 0.61, 1, 1
  const bool want_clipped[] = {true, false, false, true, false, false};
  b.behavior.resize(6);
  const DVec z = to_double(b.logits);
  for (int i = 0; i < 6; ++i)
    b.behavior[i] = float(ref_log_softmax(z.data() + i * 4, 4)[b.actions[i]] + offsets[i]);
  // Rows 4 and 5: log mu equal to the engine's own log pi(a), so r = exp(0)
  // = 1 exactly and r c ties with clip(r) c inside the range.
  Vec lp(24);
  lr::log_softmax(b.logits.data(), 6, 4, lp.data());
  b.behavior[4] = lp[4 * 4 + 1];
  b.behavior[5] = lp[5 * 4 + 2];
  LossTerms t;
  t.objective = LossObjective::kPpo;
  Vec dz;
  LossResult r = run(b, t, dz);
  CHECK_CLOSE(r.clipped_fraction, 2.0 / 6.0, 0, 1e-12);
  for (int i = 0; i < 6; ++i) {
    bool zero = true;
    for (int k = 0; k < 4; ++k) zero = zero && dz[i * 4 + k] == 0.0f;
    CHECK_EQ(zero, want_clipped[i]);
  }
  // A tie gives the full REINFORCE gradient -c r (onehot - p)/N with r = 1.
  for (int i : {4, 5})
    for (int k = 0; k < 4; ++k) {
      const double p = std::exp(double(lp[i * 4 + k]));
      CHECK_CLOSE(dz[i * 4 + k], -b.credits[i] * ((k == b.actions[i]) - p) / 6.0, 1e-5, 1e-7);
    }
  // eps = 0 puts the tie at the bound itself (clamp(1, 1, 1) = 1): still the unclipped term.
  t.clip = 0.0f;
  Vec dz0;
  r = run(b, t, dz0);
  for (int i : {4, 5})
    for (int k = 0; k < 4; ++k) CHECK_EQ(dz0[i * 4 + k], dz[i * 4 + k]);
  // A ratio exactly at the REINFORCE cap is not counted as capped.
  t = LossTerms{};
  t.ratio_cap = 1.0f;
  b.mask = {0, 0, 0, 0, 1, 1};
  r = run(b, t, dz);
  CHECK_EQ(r.clipped_fraction, 0.0);
}

TEST("reinforce: the ratio cap bounds the weight, and the ratio is detached") {
  // One row, r = exp(1) = 2.718 > cap 2: the gradient is -c * 2 * (onehot - p), not r.
  Batch b;
  b.N = 1;
  b.A = 3;
  b.logits = {0.3f, -0.2f, 1.1f};
  b.actions = {1};
  b.credits = {0.8f};
  Vec lp(3);
  lr::log_softmax(b.logits.data(), 1, 3, lp.data());
  b.behavior = {lp[1] - 1.0f};
  LossTerms t;
  Vec dz;
  LossResult r = run(b, t, dz);
  CHECK_EQ(r.clipped_fraction, 1.0);
  CHECK_CLOSE(r.policy, -0.8 * 2.0 * lp[1], 1e-6, 0);
  for (int k = 0; k < 3; ++k)
    CHECK_CLOSE(dz[k], -0.8 * 2.0 * ((k == 1) - std::exp(double(lp[k]))), 1e-6, 1e-7);
  // +inf: no cap, rho = e
  t.ratio_cap = std::numeric_limits<float>::infinity();
  r = run(b, t, dz);
  CHECK_EQ(r.clipped_fraction, 0.0);
  CHECK_CLOSE(r.policy, -0.8 * std::exp(1.0) * lp[1], 1e-5, 0);
}

TEST("large and shifted logits stay accurate") {
  // A common offset of 1e4 leaves the softmax unchanged.
  Batch b = random_batch(11, 5, 9);
  b.behavior = behavior_around(b);
  LossTerms t;
  t.entropy_coef = 0.2f;
  Vec dz0, dz1;
  const LossResult r0 = run(b, t, dz0);
  Batch shifted = b;
  for (auto& x : shifted.logits) x += 1e4f;
  const LossResult r1 = run(shifted, t, dz1);
  // The shift itself rounds the logits to multiples of 2^-10.
  CHECK_CLOSE(r1.loss, r0.loss, 1e-2, 1e-3);
  for (size_t j = 0; j < dz0.size(); ++j) CHECK_CLOSE(dz1[j], dz0[j], 1e-2, 1e-3);
  // A near-deterministic row: p(a) ~ 1 - 1e-30, entropy ~ 0, finite everything.
  Batch d;
  d.N = 1;
  d.A = 3;
  d.logits = {80.0f, 0.0f, -80.0f};
  d.actions = {0};
  d.credits = {1.0f};
  t.entropy_coef = 1.0f;
  const LossResult r = run(d, t, dz0);
  CHECK(std::isfinite(r.loss));
  CHECK(r.entropy >= 0.0 && r.entropy < 1e-30);
  for (float g : dz0) CHECK(std::isfinite(g));
}

TEST("batched results equal the row function bit for bit, and in place equals out of place") {
  Batch b = random_batch(11, 6, 21);
  b.behavior = behavior_around(b);
  LossTerms t;
  t.entropy_coef = 0.01f;
  t.kl_coef = 0.1f;
  Vec dz;
  const LossResult r = run(b, t, dz);
  const lr::LossRowOptions o{t.objective, t.ratio_cap, t.clip, t.entropy_coef, t.kl_coef};
  const float w = float(1.0 / double(r.live_rows));
  for (int64_t i = 0; i < b.N; ++i) {
    if (!live_row(b, i)) continue;
    Vec row(b.A);
    lr::policy_loss_row(b.logits.data() + i * b.A, b.A, b.actions[i], b.credits[i], w, b.behavior.data() + i,
                        b.ref_logits.data() + i * b.A, nullptr, o, row.data());
    CHECK(std::memcmp(row.data(), dz.data() + i * b.A, sizeof(float) * b.A) == 0);
  }
  Vec io = b.logits;
  const LossResult r_io =
      lr::policy_loss(io.data(), b.N, b.A, b.actions.data(), b.credits.data(), b.mask.data(), b.behavior.data(),
                      b.ref_logits.data(), nullptr, t, io.data());
  CHECK(same_result(r, r_io));
  CHECK(same_bits(io, dz));
  Vec lp(b.logits.size());
  lr::log_softmax(b.logits.data(), b.N, b.A, lp.data());
  io = b.logits;
  lr::log_softmax(io.data(), b.N, b.A, io.data());
  CHECK(same_bits(io, lp));
  const DVec z = to_double(b.logits);
  for (int64_t i = 0; i < b.N; ++i) {
    const DVec want = ref_log_softmax(z.data() + i * b.A, b.A);
    for (int k = 0; k < b.A; ++k) CHECK_CLOSE(lp[i * b.A + k], want[k], 1e-6, 1e-6);
  }
}

TEST("results are bit-identical for any thread count") {
  // Enough rows for many reduction chunks, at a small and a large A.
  for (auto [N, A] : {std::pair<int64_t, int>{20000, 3}, std::pair<int64_t, int>{600, 300}}) {
    Batch b = random_batch(N, A, 31);
    b.behavior = behavior_around(b);
    std::mt19937 rng(32);
    for (int64_t i = 0; i < N; ++i) {
      if (rng() % 9 == 0) b.mask[i] = 0;
      if (rng() % 13 == 0) b.actions[i] = -1;
    }
    for (LossObjective obj : {LossObjective::kReinforce, LossObjective::kPpo}) {
      LossTerms t;
      t.objective = obj;
      t.entropy_coef = 0.03f;
      t.kl_coef = 0.2f;
      Vec one, many;
      const LossResult r1 = run(b, t, one, 1);
      for (int threads : {2, 3}) {
        const LossResult rn = run(b, t, many, threads);
        CHECK(same_result(r1, rn));
        CHECK(same_bits(one, many));
      }
      CHECK(std::isfinite(r1.loss));
    }
  }
}

TEST("invalid arguments raise coded errors and write nothing") {
  Batch b = random_batch(11, 3, 41);
  b.behavior = behavior_around(b);
  Vec dz(b.N * b.A, 7.0f);
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float inf = std::numeric_limits<float>::infinity();
  auto call = [&](const Batch& x, const LossTerms& t) {
    return lr::policy_loss(x.logits.data(), x.N, x.A, x.actions.data(), x.credits.data(), opt(x.mask),
                           opt(x.behavior), opt(x.ref_logits), opt(x.ref_logp), t, dz.data(), 2);
  };
  auto message = [&](const Batch& x, const LossTerms& t) -> std::string {
    try {
      call(x, t);
    } catch (const dilemma::Error& e) {
      return e.what();
    }
    return "";
  };
  Batch x = b;
  x.ref_logits.clear();
  const LossTerms ok;
  (void)call(x, ok);  // the base case is valid
  dz.assign(dz.size(), 7.0f);

  // shape and null pointers
  CHECK_THROWS_CODE(lr::policy_loss(x.logits.data(), 0, 3, x.actions.data(), x.credits.data(), nullptr, nullptr,
                                    nullptr, nullptr, ok, dz.data()),
                    kBad);
  CHECK_THROWS_CODE(lr::policy_loss(x.logits.data(), 11, 0, x.actions.data(), x.credits.data(), nullptr, nullptr,
                                    nullptr, nullptr, ok, dz.data()),
                    kBad);
  CHECK_THROWS_CODE(lr::policy_loss(x.logits.data(), int64_t{1} << 40, 3, x.actions.data(), x.credits.data(), nullptr,
                                    nullptr, nullptr, nullptr, ok, dz.data()),
                    "ERR_TOO_LARGE");
  CHECK_THROWS_CODE(lr::policy_loss(nullptr, 11, 3, x.actions.data(), x.credits.data(), nullptr, nullptr, nullptr,
                                    nullptr, ok, dz.data()),
                    kBad);
  CHECK_THROWS_CODE(lr::policy_loss(x.logits.data(), 11, 3, nullptr, x.credits.data(), nullptr, nullptr, nullptr,
                                    nullptr, ok, dz.data()),
                    kBad);
  CHECK_THROWS_CODE(lr::policy_loss(x.logits.data(), 11, 3, x.actions.data(), nullptr, nullptr, nullptr, nullptr,
                                    nullptr, ok, dz.data()),
                    kBad);
  CHECK_THROWS_CODE(lr::policy_loss(x.logits.data(), 11, 3, x.actions.data(), x.credits.data(), nullptr, nullptr,
                                    nullptr, nullptr, ok, nullptr),
                    kBad);

  // options
  auto with = [&](auto edit) {
    LossTerms t;
    edit(t);
    return t;
  };
  CHECK_THROWS_CODE(call(x, with([](LossTerms& t) { t.objective = LossObjective(5); })), kBad);
  CHECK_THROWS_CODE(call(x, with([](LossTerms& t) { t.ratio_cap = 0.0f; })), kBad);
  CHECK_THROWS_CODE(call(x, with([&](LossTerms& t) { t.ratio_cap = nan; })), kBad);
  CHECK_THROWS_CODE(call(x, with([](LossTerms& t) { t.clip = 1.0f; })), kBad);
  CHECK_THROWS_CODE(call(x, with([](LossTerms& t) { t.clip = -0.1f; })), kBad);
  CHECK_THROWS_CODE(call(x, with([&](LossTerms& t) { t.entropy_coef = inf; })), kBad);
  CHECK_THROWS_CODE(call(x, with([](LossTerms& t) { t.kl_coef = -1.0f; })), kBad);
  CHECK_THROWS_CODE(call(x, with([](LossTerms& t) { t.normalize = LossNormalize(9); })), kBad);
  CHECK_THROWS_CODE(call(x, with([](LossTerms& t) {
                      t.normalize = LossNormalize::kConstant;
                      t.normalizer = 0.0;
                    })),
                    kBad);
  CHECK_THROWS_CODE(call(x, with([](LossTerms& t) {
                      t.normalize = LossNormalize::kConstant;
                      t.normalizer = std::nan("");
                    })),
                    kBad);
  // a KL coefficient without a reference; two references; PPO without behaviour
  CHECK_THROWS_CODE(call(x, with([](LossTerms& t) { t.kl_coef = 0.1f; })), kBad);
  Batch two = x;
  two.ref_logits = b.ref_logits;
  two.ref_logp.assign(11, -1.0f);
  CHECK_THROWS_CODE(call(two, ok), kBad);
  Batch nobeh = x;
  nobeh.behavior.clear();
  CHECK_THROWS_CODE(call(nobeh, with([](LossTerms& t) { t.objective = LossObjective::kPpo; })), kBad);

  // row contents, each message naming the row
  Batch bad = x;
  bad.mask[4] = 2;
  CHECK_MESSAGE(message(bad, ok), "mask[4] must be 0 or 1, got 2");
  bad = x;
  bad.actions[3] = 3;
  CHECK_MESSAGE(message(bad, ok), "actions[3] must be -1 (padding) or in [0, 3), got 3");
  bad.actions[3] = -2;
  CHECK_THROWS_CODE(call(bad, ok), kBad);
  bad = x;
  bad.logits[6 * 3 + 1] = nan;
  CHECK_MESSAGE(message(bad, ok), "logits row 6 must be finite, got nan at column 1");
  bad.logits[6 * 3 + 1] = -inf;
  CHECK_THROWS_CODE(call(bad, ok), kBad);
  bad = x;
  bad.credits[9] = inf;
  CHECK_MESSAGE(message(bad, ok), "credits[9] must be finite on a live row, got Infinity");
  bad = x;
  bad.behavior[0] = nan;
  CHECK_THROWS_CODE(call(bad, ok), kBad);
  bad = x;
  bad.ref_logits = b.ref_logits;
  bad.ref_logits[10 * 3] = inf;
  CHECK_MESSAGE(message(bad, ok), "ref_logits row 10 must be finite, got inf at column 0");
  bad = x;
  bad.ref_logp.assign(11, -1.0f);
  bad.ref_logp[8] = nan;
  CHECK_THROWS_CODE(call(bad, ok), kBad);
  // the first bad row is reported, whatever the thread count
  bad = x;
  bad.logits[9 * 3] = nan;
  bad.credits[4] = nan;
  CHECK_MESSAGE(message(bad, ok), "credits[4] must be finite on a live row, got NaN");

  // nothing was written by the failed calls
  for (float g : dz) CHECK_EQ(g, 7.0f);

  // dead rows are not read: garbage there is fine
  Batch dead = x;
  for (int64_t i : {2, 5, 7}) {
    dead.logits[i * 3] = nan;
    dead.credits[i] = inf;
    dead.behavior[i] = nan;
  }
  dead.actions[2] = 99;
  Vec g1, g2;
  const LossResult r1 = run(x, ok, g1), r2 = run(dead, ok, g2);
  CHECK(same_result(r1, r2));
  CHECK(same_bits(g1, g2));

  // log_softmax
  Vec out(6);
  Vec z{1.0f, 2.0f, nan, 0.0f, 0.0f, 0.0f};
  CHECK_THROWS_CODE(lr::log_softmax(z.data(), 2, 3, out.data()), kBad);
  CHECK_THROWS_CODE(lr::log_softmax(z.data(), 0, 3, out.data()), kBad);
  CHECK_THROWS_CODE(lr::log_softmax(nullptr, 2, 3, out.data()), kBad);
  CHECK_THROWS_CODE(lr::log_softmax(z.data(), 2, 3, nullptr), kBad);
}

#include "loss.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "../env.hpp"
#include "../error.hpp"
#include "../limits.hpp"
#include "../parallel.hpp"
#include "../params.hpp"

namespace dilemma::learn {

namespace {

// Elements per thread below which splitting costs more than it saves.
constexpr int64_t kGrain = 16384;
// Bounds of a constant normalizer, so that its reciprocal, the row weight,
// is a normal float32.
constexpr double kMinNormalizer = limits::kMinNormalizer, kMaxNormalizer = limits::kMaxNormalizer;

[[noreturn]] void invalid(const std::string& message) { throw Error(codes::kInvalidArgument, message); }

std::string fmt(double v) { return format_number(v); }

// A non-finite value as JavaScript spells it: the per-row scalar checks run
// only here, and their messages are the ones the TypeScript API documents.
std::string js_fmt(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "Infinity" : "-Infinity";
  return format_number(v);
}

int resolve(int threads) { return threads > 0 ? threads : default_threads(); }

void check_ptr(const void* p, const char* name) {
  if (p == nullptr) invalid(std::string(name) + " must not be null");
}

void check_shape(const char* what, int64_t N, int A) {
  if (N < 1) invalid("N must be at least 1, got " + std::to_string(N));
  if (A < 1) invalid("A must be at least 1, got " + std::to_string(A));
  checked_elements(what, {N, static_cast<int64_t>(A)});
}

// Rows are reduced in chunks whose size depends on A only: each chunk's
// partial sums are added in chunk order afterwards, so the totals are the
// same whatever the thread split.
int64_t chunk_rows(int A) { return std::clamp<int64_t>(kGrain / A, 1, 1024); }

// Runs fn(chunk, r0, r1) for every chunk of rows, chunks split across threads.
template <typename Fn>
void for_chunks(int64_t N, int A, int threads, Fn&& fn) {
  const int64_t rows = chunk_rows(A);
  const int64_t chunks = (N + rows - 1) / rows;
  parallel_for(chunks, resolve(threads), std::max<int64_t>(1, kGrain / (rows * A)), [&](int64_t c0, int64_t c1) {
    for (int64_t c = c0; c < c1; ++c) fn(c, c * rows, std::min(N, (c + 1) * rows));
  });
}

int64_t chunk_count(int64_t N, int A) { return (N + chunk_rows(A) - 1) / chunk_rows(A); }

// softmax_stats_row and the probabilities of policy_grad_row for the rows of
// a chunk, with the exponentials and logarithms in passes over the whole
// chunk, which vectorise (one row's few calls in a row would not): the same
// operations on the same values, so policy_loss_row_given gives
// policy_loss_row's bits. Rows whose logits are not finite (dead rows,
// never read) give NaN and nothing else.
struct ChunkSoftmax {
  std::vector<float> weights, probs, sums, spreads, log_sums;
  std::vector<SoftmaxStats> stats;

  void compute(const float* z, int64_t n, int64_t A) {
    const size_t cells = static_cast<size_t>(n * A), rows = static_cast<size_t>(n);
    weights.resize(cells);
    probs.resize(cells);
    sums.resize(rows);
    spreads.resize(rows);
    log_sums.resize(rows);
    stats.resize(rows);
    for (int64_t r = 0; r < n; ++r) {
      const float m = row_max(z + r * A, A);
      stats[static_cast<size_t>(r)].max = m;
      for (int64_t k = 0; k < A; ++k) weights[static_cast<size_t>(r * A + k)] = z[r * A + k] - m;
    }
    for (size_t i = 0; i < cells; ++i) weights[i] = float_math::exp_nonpositive_or_zero(weights[i]);
    for (int64_t r = 0; r < n; ++r) {
      const SoftmaxSums u = softmax_sums_row(z + r * A, A, stats[static_cast<size_t>(r)].max, weights.data() + r * A);
      sums[static_cast<size_t>(r)] = u.sum;
      spreads[static_cast<size_t>(r)] = u.spread;
    }
    for (size_t r = 0; r < rows; ++r) log_sums[r] = float_math::log_positive(sums[r]);
    for (int64_t r = 0; r < n; ++r) {
      SoftmaxStats& st = stats[static_cast<size_t>(r)];
      st = softmax_stats_of(st.max, SoftmaxSums{sums[static_cast<size_t>(r)], spreads[static_cast<size_t>(r)]},
                            log_sums[static_cast<size_t>(r)]);
      for (int64_t k = 0; k < A; ++k) probs[static_cast<size_t>(r * A + k)] = log_prob_element(z[r * A + k], st);
    }
    for (size_t i = 0; i < cells; ++i) probs[i] = prob_of_log(probs[i]);
  }
};

std::string at(const char* name, int64_t i) { return std::string(name) + "[" + std::to_string(i) + "]"; }

// The checks run on every live row, so their passing path is a few inlined
// compares; building a message is out of line, on the failing path only.
[[noreturn]] __attribute__((noinline, cold)) void non_finite_row(const float* row, int A, const char* name,
                                                                 int64_t i) {
  int k = 0;
  while (k < A - 1 && std::isfinite(row[k])) ++k;
  invalid(std::string(name) + " row " + std::to_string(i) + " must be finite, got " + fmt(row[k]) + " at column " +
          std::to_string(k));
}

[[noreturn]] __attribute__((noinline, cold)) void non_finite_scalar(float value, const char* name, int64_t i) {
  invalid(at(name, i) + " must be finite on a live row, got " + js_fmt(value));
}

inline void check_row_finite(const float* row, int A, const char* name, int64_t i) {
  for (int k = 0; k < A; ++k)
    if (!std::isfinite(row[k])) non_finite_row(row, A, name, i);
}

inline void check_scalar_finite(const float* values, const char* name, int64_t i) {
  if (!std::isfinite(values[i])) non_finite_scalar(values[i], name, i);
}

void check_terms(const LossTerms& t) {
  if (t.objective != LossObjective::kReinforce && t.objective != LossObjective::kPpo)
    invalid("objective must be reinforce or ppo");
  if (!(t.ratio_cap > 0.0f)) invalid("ratio_cap must be a number > 0 (+inf for no cap), got " + fmt(t.ratio_cap));
  if (!(t.clip >= 0.0f && t.clip < 1.0f)) invalid("clip must be a finite number in [0, 1), got " + fmt(t.clip));
  if (!std::isfinite(t.entropy_coef)) invalid("entropy_coef must be a finite number, got " + fmt(t.entropy_coef));
  if (!(std::isfinite(t.kl_coef) && t.kl_coef >= 0.0f))
    invalid("kl_coef must be a finite number >= 0, got " + fmt(t.kl_coef));
  switch (t.normalize) {
    case LossNormalize::kMask:
    case LossNormalize::kRows:
      break;
    case LossNormalize::kConstant:
      if (!(t.normalizer >= kMinNormalizer && t.normalizer <= kMaxNormalizer))
        invalid("normalizer must be a number in [" + fmt(kMinNormalizer) + ", " + fmt(kMaxNormalizer) + "], got " +
                fmt(t.normalizer));
      break;
    default:
      invalid("normalize must be mask, rows or constant");
  }
}

struct Partial {
  double policy = 0.0, entropy = 0.0, kl = 0.0;
  int64_t clipped = 0;
};

}  // namespace

LossResult policy_loss(const float* logits, int64_t N, int A, const int32_t* actions, const float* credits,
                       const uint8_t* mask, const float* behavior_logp, const float* ref_logits,
                       const float* ref_logp, const LossTerms& terms, float* dlogits, int threads) {
  check_shape("logits", N, A);
  check_ptr(logits, "logits");
  check_ptr(actions, "actions");
  check_ptr(credits, "credits");
  check_ptr(dlogits, "dlogits");
  check_terms(terms);
  if (terms.objective == LossObjective::kPpo && behavior_logp == nullptr)
    invalid("behavior_logp must not be null for the PPO objective (its ratio needs the behaviour policy)");
  if (ref_logits && ref_logp) invalid("ref_logits and ref_logp are alternatives: give at most one");
  if (terms.kl_coef > 0.0f && !ref_logits && !ref_logp)
    invalid("kl_coef > 0 needs a reference policy: ref_logits or ref_logp");

  // Checking every row before writing anything keeps dlogits untouched on
  // failure (it may be the logits themselves). The first bad row is
  // reported whatever the thread count: parallel_for rethrows the error of
  // the lowest part, and a part stops at its first bad row.
  const int64_t chunks = chunk_count(N, A);
  std::vector<int64_t> live(static_cast<size_t>(chunks), 0);
  for_chunks(N, A, threads, [&](int64_t c, int64_t r0, int64_t r1) {
    int64_t n = 0;
    for (int64_t i = r0; i < r1; ++i) {
      if (mask) {
        if (mask[i] > 1) invalid(at("mask", i) + " must be 0 or 1, got " + std::to_string(mask[i]));
        if (mask[i] == 0) continue;
      }
      const int32_t a = actions[i];
      if (a == -1) continue;
      if (a < 0 || a >= A)
        invalid(at("actions", i) + " must be -1 (padding) or in [0, " + std::to_string(A) + "), got " +
                std::to_string(a));
      check_scalar_finite(credits, "credits", i);
      if (behavior_logp) check_scalar_finite(behavior_logp, "behavior_logp", i);
      if (ref_logp) check_scalar_finite(ref_logp, "ref_logp", i);
      check_row_finite(logits + i * A, A, "logits", i);
      if (ref_logits) check_row_finite(ref_logits + i * A, A, "ref_logits", i);
      ++n;
    }
    live[c] = n;
  });

  LossResult res;
  for (int64_t n : live) res.live_rows += n;
  switch (terms.normalize) {
    case LossNormalize::kMask:
      res.normalizer = static_cast<double>(res.live_rows);
      break;
    case LossNormalize::kRows:
      res.normalizer = static_cast<double>(N);
      break;
    case LossNormalize::kConstant:
      res.normalizer = terms.normalizer;
      break;
  }
  // No live rows under 'mask' normalisation: nothing to divide, a zero loss.
  const double inv = res.normalizer > 0.0 ? 1.0 / res.normalizer : 0.0;
  const float weight = static_cast<float>(inv);

  const LossRowOptions row_options{terms.objective, terms.ratio_cap, terms.clip, terms.entropy_coef, terms.kl_coef};
  std::vector<Partial> partial(static_cast<size_t>(chunks));
  for_chunks(N, A, threads, [&](int64_t c, int64_t r0, int64_t r1) {
    thread_local ChunkSoftmax chunk_softmax;
    // Bound once, and plain pointers for the row loop (thread_scratch.hpp says why).
    ChunkSoftmax& soft = chunk_softmax;
    soft.compute(logits + r0 * A, r1 - r0, A);
    const SoftmaxStats* const stats = soft.stats.data();
    const float* const probs = soft.probs.data();
    Partial s;
    for (int64_t i = r0; i < r1; ++i) {
      float* dz = dlogits + i * A;
      if ((mask && mask[i] == 0) || actions[i] == -1) {
        std::memset(dz, 0, sizeof(float) * static_cast<size_t>(A));
        continue;
      }
      const int64_t j = i - r0;
      const RowLoss r = policy_loss_row_given(
          logits + i * A, A, stats[j], probs + j * A, actions[i], credits[i],
          weight, behavior_logp ? behavior_logp + i : nullptr, ref_logits ? ref_logits + i * A : nullptr,
          ref_logp ? ref_logp + i : nullptr, row_options, dz);
      s.policy += r.policy;
      s.entropy += r.entropy;
      s.kl += r.kl;
      s.clipped += r.clipped ? 1 : 0;
    }
    partial[c] = s;
  });

  Partial total;
  for (const Partial& s : partial) {
    total.policy += s.policy;
    total.entropy += s.entropy;
    total.kl += s.kl;
    total.clipped += s.clipped;
  }
  res.policy = total.policy * inv;
  res.entropy = total.entropy * inv;
  res.kl = total.kl * inv;
  res.loss = res.policy - static_cast<double>(terms.entropy_coef) * res.entropy +
             static_cast<double>(terms.kl_coef) * res.kl;
  res.clipped_fraction = res.live_rows > 0 ? static_cast<double>(total.clipped) / static_cast<double>(res.live_rows) : 0.0;
  return res;
}

void log_softmax(const float* logits, int64_t N, int A, float* out, int threads) {
  check_shape("logits", N, A);
  check_ptr(logits, "logits");
  check_ptr(out, "out");
  for_chunks(N, A, threads, [&](int64_t, int64_t r0, int64_t r1) {
    for (int64_t i = r0; i < r1; ++i) check_row_finite(logits + i * A, A, "logits", i);
  });
  for_chunks(N, A, threads, [&](int64_t, int64_t r0, int64_t r1) {
    for (int64_t i = r0; i < r1; ++i) log_softmax_row(logits + i * A, A, out + i * A);
  });
}

}  // namespace dilemma::learn

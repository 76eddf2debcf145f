#include "credit.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <string>
#include <unordered_map>
#include <vector>

#include "credit_lanes.hpp"
#include "env.hpp"
#include "error.hpp"
#include "parallel.hpp"

namespace dilemma::credit {

namespace {

// Elements per thread below which splitting costs more than it saves.
constexpr int64_t kGrain = 16384;

[[noreturn]] void invalid(const std::string& message) { throw Error(codes::kInvalidArgument, message); }

int64_t check_shape(const char* what, int64_t batch, int64_t steps) {
  if (batch < 1) invalid("batch must be at least 1, got " + std::to_string(batch));
  if (steps < 1) invalid("steps must be at least 1, got " + std::to_string(steps));
  return checked_elements(what, {batch, steps});
}

void check_ptr(const void* p, const char* name) {
  if (p == nullptr) invalid(std::string(name) + " must not be null");
}

void check_unit(float v, const char* name) {
  if (!(v >= 0.0f && v <= 1.0f)) invalid(std::string(name) + " must be a finite number in [0, 1], got " + std::to_string(v));
}

int resolve(int threads) { return threads > 0 ? threads : default_threads(); }

int64_t row_grain(int64_t steps) { return std::max<int64_t>(1, kGrain / steps); }

// Runs fn(b, row offset) for every row, rows split across threads.
template <typename Fn>
void for_rows(int64_t batch, int64_t steps, int threads, Fn&& fn) {
  parallel_for(batch, resolve(threads), row_grain(steps), [&](int64_t b0, int64_t b1) {
    for (int64_t b = b0; b < b1; ++b) fn(b, b * steps);
  });
}

// Runs fn(t0, t1) over column ranges. A column's reduction then walks the
// rows in order on one thread, so sums do not depend on the thread split.
template <typename Fn>
void for_columns(int64_t batch, int64_t steps, int threads, Fn&& fn) {
  parallel_for(steps, resolve(threads), std::max<int64_t>(1, kGrain / batch), fn);
}

// The row scans run W rows at a time on SIMD lanes (credit_lanes.hpp),
// with the same results as the row functions of credit_math.hpp. W is 8
// where the CPU has AVX2 and 4 (SSE, baseline x86-64) otherwise; the rows
// that do not fill a block go through the row function. A row's result is
// the same whichever way it is computed, so neither the ISA nor the thread
// split changes any bit.
std::atomic<int> g_lanes{0};

#if DLM_CREDIT_LANES && (defined(__x86_64__) || defined(__i386__))
#define DLM_CREDIT_AVX2 1
#else
#define DLM_CREDIT_AVX2 0
#endif

int detect_lanes() {
#if DLM_CREDIT_AVX2
  return __builtin_cpu_supports("avx2") ? 8 : 4;
#elif DLM_CREDIT_LANES
  return 4;
#else
  return 1;
#endif
}

int lanes_in_use() {
  const int forced = g_lanes.load(std::memory_order_relaxed);
  static const int detected = detect_lanes();
  return forced > 0 ? std::min(forced, detected) : detected;
}

// Arguments of one scan over rows [b0, b1). Each entry point below walks
// the rows in blocks of its width and is compiled for one ISA; the kernels
// are always_inline so that they take that ISA.
struct ScanArgs {
  const float* a;
  const float* b;
  float* out;
  int64_t steps;
  float beta, gamma, lambda;
  bool include_current;
  AaForm form;
};

// One row of leave-one-out: leave_one_out_element with the group size
// hoisted out of the loop (the same operations, so the same bits), which
// lets the loop vectorise; the AVX2 copy divides four doubles at once.
inline __attribute__((always_inline)) void leave_one_out_row(const float* v, const double* s, float* out,
                                                              int64_t steps, int64_t n) {
  if (n <= 1) {
    if (out != v) std::memmove(out, v, sizeof(float) * static_cast<size_t>(steps));
    return;
  }
  const double others = static_cast<double>(n - 1);
  for (int64_t t = 0; t < steps; ++t) {
    const double x = static_cast<double>(v[t]);
    out[t] = static_cast<float>(x - (s[t] - x) / others);
  }
}

void leave_one_out_row_base(const float* v, const double* s, float* out, int64_t steps, int64_t n) {
  leave_one_out_row(v, s, out, steps, n);
}

#if DLM_CREDIT_LANES
#define DLM_SCAN_ENTRIES(SUFFIX, LANES)                                                                           \
  void returns_rows_##SUFFIX(const ScanArgs& s, int64_t b0, int64_t b1) {                                        \
    constexpr int64_t W = lanes::LANES::kWidth;                                                                  \
    int64_t b = b0;                                                                                              \
    for (; b + W <= b1; b += W)                                                                                  \
      lanes::discounted_returns_rows<lanes::LANES>(s.a + b * s.steps, s.out + b * s.steps, s.steps, s.gamma);    \
    for (; b < b1; ++b) discounted_returns_row(s.a + b * s.steps, s.out + b * s.steps, s.steps, s.gamma);        \
  }                                                                                                              \
  void gae_rows_##SUFFIX(const ScanArgs& s, int64_t b0, int64_t b1) {                                            \
    constexpr int64_t W = lanes::LANES::kWidth;                                                                  \
    const int64_t vs = s.steps + 1;                                                                              \
    int64_t b = b0;                                                                                              \
    for (; b + W <= b1; b += W)                                                                                  \
      lanes::gae_rows<lanes::LANES>(s.a + b * s.steps, s.b + b * vs, s.out + b * s.steps, s.steps, s.gamma,      \
                                    s.lambda);                                                                   \
    for (; b < b1; ++b)                                                                                          \
      gae_row(s.a + b * s.steps, s.b + b * vs, s.out + b * s.steps, s.steps, s.gamma, s.lambda);                 \
  }                                                                                                              \
  template <bool kCurrent, AaForm kForm>                                                                         \
  DLM_LANES_INLINE void aa_rows_##SUFFIX##_t(const ScanArgs& s, int64_t b0, int64_t b1) {                        \
    constexpr int64_t W = lanes::LANES::kWidth;                                                                  \
    int64_t b = b0;                                                                                              \
    for (; b + W <= b1; b += W) {                                                                                \
      const int64_t o = b * s.steps;                                                                             \
      lanes::advantage_alignment_rows<lanes::LANES, kCurrent, kForm>(s.a + o, s.b + o, s.out + o, s.steps,      \
                                                                      s.beta, s.gamma);                          \
    }                                                                                                            \
    for (; b < b1; ++b) {                                                                                        \
      const int64_t o = b * s.steps;                                                                             \
      advantage_alignment_row(s.a + o, s.b + o, s.out + o, s.steps, s.beta, s.gamma, kCurrent, kForm);           \
    }                                                                                                            \
  }                                                                                                              \
  void aa_rows_##SUFFIX(const ScanArgs& s, int64_t b0, int64_t b1) {                                             \
    if (s.form == AaForm::kMean)                                                                                 \
      s.include_current ? aa_rows_##SUFFIX##_t<true, AaForm::kMean>(s, b0, b1)                                   \
                        : aa_rows_##SUFFIX##_t<false, AaForm::kMean>(s, b0, b1);                                 \
    else                                                                                                         \
      s.include_current ? aa_rows_##SUFFIX##_t<true, AaForm::kDiscounted>(s, b0, b1)                             \
                        : aa_rows_##SUFFIX##_t<false, AaForm::kDiscounted>(s, b0, b1);                           \
  }

DLM_SCAN_ENTRIES(sse, Lanes4)
#endif

#if DLM_CREDIT_AVX2
// Only "avx2": it does not enable FMA, so no multiply and add can fuse and
// round differently from the baseline code.
#pragma GCC push_options
#pragma GCC target("avx2")
#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx2"))), apply_to = function)
#endif
DLM_SCAN_ENTRIES(avx2, Lanes8)
void leave_one_out_row_avx2(const float* v, const double* s, float* out, int64_t steps, int64_t n) {
  leave_one_out_row(v, s, out, steps, n);
}
#if defined(__clang__)
#pragma clang attribute pop
#endif
#pragma GCC pop_options
#endif

// The plain row functions, one row after another.
void returns_rows_scalar(const ScanArgs& s, int64_t b0, int64_t b1) {
  for (int64_t b = b0; b < b1; ++b) discounted_returns_row(s.a + b * s.steps, s.out + b * s.steps, s.steps, s.gamma);
}
void gae_rows_scalar(const ScanArgs& s, int64_t b0, int64_t b1) {
  for (int64_t b = b0; b < b1; ++b)
    gae_row(s.a + b * s.steps, s.b + b * (s.steps + 1), s.out + b * s.steps, s.steps, s.gamma, s.lambda);
}
void aa_rows_scalar(const ScanArgs& s, int64_t b0, int64_t b1) {
  for (int64_t b = b0; b < b1; ++b) {
    const int64_t o = b * s.steps;
    advantage_alignment_row(s.a + o, s.b + o, s.out + o, s.steps, s.beta, s.gamma, s.include_current, s.form);
  }
}

using RowsFn = void (*)(const ScanArgs&, int64_t, int64_t);
using LooRowFn = void (*)(const float*, const double*, float*, int64_t, int64_t);
struct ScanKernels {
  RowsFn returns, gae, aa;
  LooRowFn loo = leave_one_out_row_base;
};

ScanKernels kernels() {
  switch (lanes_in_use()) {
#if DLM_CREDIT_AVX2
    case 8:
      return {returns_rows_avx2, gae_rows_avx2, aa_rows_avx2, leave_one_out_row_avx2};
#endif
#if DLM_CREDIT_LANES
    case 4:
      return {returns_rows_sse, gae_rows_sse, aa_rows_sse};
#endif
    default:
      return {returns_rows_scalar, gae_rows_scalar, aa_rows_scalar};
  }
}

void scan_all_rows(int64_t batch, int threads, RowsFn fn, const ScanArgs& args) {
  parallel_for(batch, resolve(threads), row_grain(args.steps), [&](int64_t b0, int64_t b1) { fn(args, b0, b1); });
}

}  // namespace

void set_scan_lanes(int lanes) { g_lanes.store(lanes > 0 ? lanes : 0, std::memory_order_relaxed); }

int scan_lanes() { return lanes_in_use(); }

void discounted_returns(const float* rewards, float* out, int64_t batch, int64_t steps, float gamma, int threads) {
  check_shape("rewards", batch, steps);
  check_ptr(rewards, "rewards");
  check_ptr(out, "out");
  check_unit(gamma, "gamma");
  ScanArgs args{rewards, nullptr, out, steps, 0.0f, gamma, 0.0f, false, AaForm::kDiscounted};
  scan_all_rows(batch, threads, kernels().returns, args);
}

void gae(const float* rewards, const float* values, float* out, int64_t batch, int64_t steps, float gamma,
         float lambda, int threads) {
  check_shape("rewards", batch, steps);
  checked_elements("values", {batch, steps + 1});
  check_ptr(rewards, "rewards");
  check_ptr(values, "values");
  check_ptr(out, "out");
  check_unit(gamma, "gamma");
  check_unit(lambda, "lambda");
  ScanArgs args{rewards, values, out, steps, 0.0f, gamma, lambda, false, AaForm::kDiscounted};
  scan_all_rows(batch, threads, kernels().gae, args);
}

void leave_one_out(const float* values, const int32_t* groups, float* out, int64_t batch, int64_t steps,
                   int threads) {
  check_shape("values", batch, steps);
  check_ptr(values, "values");
  check_ptr(out, "out");

  // Dense group indices in order of first appearance.
  std::vector<int32_t> dense(static_cast<size_t>(batch), 0);
  std::vector<int64_t> sizes;
  if (groups) {
    std::unordered_map<int32_t, int32_t> index;
    index.reserve(static_cast<size_t>(batch));
    for (int64_t b = 0; b < batch; ++b) {
      auto [it, fresh] = index.emplace(groups[b], static_cast<int32_t>(sizes.size()));
      if (fresh) sizes.push_back(0);
      dense[b] = it->second;
      ++sizes[it->second];
    }
  } else {
    sizes.push_back(batch);
  }
  if (sizes.size() == static_cast<size_t>(batch)) {
    if (out != values) std::memmove(out, values, sizeof(float) * static_cast<size_t>(batch * steps));
    return;
  }

  std::vector<double> sums(sizes.size() * static_cast<size_t>(steps), 0.0);
  for_columns(batch, steps, threads, [&](int64_t t0, int64_t t1) {
    for (int64_t b = 0; b < batch; ++b) {
      const float* row = values + b * steps;
      double* s = sums.data() + static_cast<int64_t>(dense[b]) * steps;
      for (int64_t t = t0; t < t1; ++t) s[t] += row[t];
    }
  });
  const LooRowFn row = kernels().loo;
  for_rows(batch, steps, threads, [&](int64_t b, int64_t o) {
    const double* s = sums.data() + static_cast<int64_t>(dense[b]) * steps;
    row(values + o, s, out + o, steps, sizes[dense[b]]);
  });
}

void advantage_alignment(const float* own, const float* others, float* out, int64_t batch, int64_t steps, float beta,
                         float gamma, bool include_current, AaForm form, int threads) {
  check_shape("own", batch, steps);
  check_ptr(own, "own");
  check_ptr(others, "others");
  check_ptr(out, "out");
  if (!std::isfinite(beta)) invalid("beta must be a finite number, got " + std::to_string(beta));
  check_unit(gamma, "gamma");
  if (form != AaForm::kDiscounted && form != AaForm::kMean) invalid("form must be discounted or mean");
  ScanArgs args{own, others, out, steps, beta, gamma, 0.0f, include_current, form};
  scan_all_rows(batch, threads, kernels().aa, args);
}

void sum_of_rewards(const float* own, const float* others, float* out, int64_t n, int threads) {
  if (n < 0) invalid("n must be at least 0, got " + std::to_string(n));
  if (n > kMaxElements) throw Error(codes::kTooLarge, "n must be at most " + std::to_string(kMaxElements));
  if (n == 0) return;
  check_ptr(own, "own");
  check_ptr(others, "others");
  check_ptr(out, "out");
  parallel_for(n, resolve(threads), kGrain, [&](int64_t i0, int64_t i1) {
    sum_row(own + i0, others + i0, out + i0, i1 - i0);
  });
}

void whiten(const float* x, float* out, int64_t batch, int64_t steps, bool per_step, double eps, int threads) {
  const int64_t n = check_shape("x", batch, steps);
  check_ptr(x, "x");
  check_ptr(out, "out");
  if (!(std::isfinite(eps) && eps > 0.0)) invalid("eps must be a finite number > 0, got " + std::to_string(eps));

  if (per_step) {
    std::vector<double> mean(static_cast<size_t>(steps), 0.0), inv(static_cast<size_t>(steps), 0.0);
    for_columns(batch, steps, threads, [&](int64_t t0, int64_t t1) {
      for (int64_t b = 0; b < batch; ++b)
        for (int64_t t = t0; t < t1; ++t) mean[t] += x[b * steps + t];
      for (int64_t t = t0; t < t1; ++t) mean[t] /= static_cast<double>(batch);
      for (int64_t b = 0; b < batch; ++b)
        for (int64_t t = t0; t < t1; ++t) {
          const double d = x[b * steps + t] - mean[t];
          inv[t] += d * d;
        }
      for (int64_t t = t0; t < t1; ++t) inv[t] = 1.0 / (std::sqrt(inv[t] / static_cast<double>(batch)) + eps);
    });
    for_rows(batch, steps, threads, [&](int64_t, int64_t o) {
      for (int64_t t = 0; t < steps; ++t) out[o + t] = whiten_element(x[o + t], mean[t], inv[t]);
    });
    return;
  }

  // Per-row partial sums, added up in row order afterwards, so the total is
  // the same for any thread split.
  std::vector<double> partial(static_cast<size_t>(batch));
  for_rows(batch, steps, threads, [&](int64_t b, int64_t o) {
    double s = 0.0;
    for (int64_t t = 0; t < steps; ++t) s += x[o + t];
    partial[b] = s;
  });
  double total = 0.0;
  for (double s : partial) total += s;
  const double mean = total / static_cast<double>(n);
  for_rows(batch, steps, threads, [&](int64_t b, int64_t o) {
    double s = 0.0;
    for (int64_t t = 0; t < steps; ++t) {
      const double d = x[o + t] - mean;
      s += d * d;
    }
    partial[b] = s;
  });
  total = 0.0;
  for (double s : partial) total += s;
  const double inv = 1.0 / (std::sqrt(total / static_cast<double>(n)) + eps);
  for_rows(batch, steps, threads, [&](int64_t, int64_t o) {
    for (int64_t t = 0; t < steps; ++t) out[o + t] = whiten_element(x[o + t], mean, inv);
  });
}

}  // namespace dilemma::credit

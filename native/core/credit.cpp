#include "credit.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>
#include <type_traits>
#include <unordered_map>
#include <vector>

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

// Rows are scanned kLanes at a time, one step of each row in turn. Each row
// is still exactly its row function's chain of arithmetic (called one step at
// a time through its carry), but the CPU overlaps the chains of neighbouring
// rows instead of waiting on one (a lone row is latency-bound). Four lanes
// measured fastest on x86-64: more spread the loads over too many streams.
constexpr int64_t kLanes = 4;

// step(b, t, carry) -> carry for rows [b0, b0 + kLanes); whole(b) for the rest.
template <bool Backward, typename Step, typename Whole>
void scan_rows(int64_t b0, int64_t b1, int64_t steps, Step&& step, Whole&& whole) {
  int64_t b = b0;
  for (; b + kLanes <= b1; b += kLanes) {
    float carry[kLanes] = {};
    for (int64_t i = 0; i < steps; ++i) {
      const int64_t t = Backward ? steps - 1 - i : i;
      for (int64_t j = 0; j < kLanes; ++j) carry[j] = step(b + j, t, carry[j]);
    }
  }
  for (; b < b1; ++b) whole(b);
}

template <bool Backward, typename Step, typename Whole>
void scan_all_rows(int64_t batch, int64_t steps, int threads, Step&& step, Whole&& whole) {
  parallel_for(batch, resolve(threads), row_grain(steps),
               [&](int64_t b0, int64_t b1) { scan_rows<Backward>(b0, b1, steps, step, whole); });
}

}  // namespace

void discounted_returns(const float* rewards, float* out, int64_t batch, int64_t steps, float gamma, int threads) {
  check_shape("rewards", batch, steps);
  check_ptr(rewards, "rewards");
  check_ptr(out, "out");
  check_unit(gamma, "gamma");
  scan_all_rows<true>(
      batch, steps, threads,
      [&](int64_t b, int64_t t, float c) {
        const int64_t i = b * steps + t;
        return discounted_returns_row(rewards + i, out + i, 1, gamma, c);
      },
      [&](int64_t b) { discounted_returns_row(rewards + b * steps, out + b * steps, steps, gamma); });
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
  scan_all_rows<true>(
      batch, steps, threads,
      [&](int64_t b, int64_t t, float c) {
        const int64_t i = b * steps + t;
        return gae_row(rewards + i, values + b * (steps + 1) + t, out + i, 1, gamma, lambda, c);
      },
      [&](int64_t b) { gae_row(rewards + b * steps, values + b * (steps + 1), out + b * steps, steps, gamma, lambda); });
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
  for_rows(batch, steps, threads, [&](int64_t b, int64_t o) {
    const int64_t n = sizes[dense[b]];
    const double* s = sums.data() + static_cast<int64_t>(dense[b]) * steps;
    for (int64_t t = 0; t < steps; ++t) out[o + t] = leave_one_out_element(values[o + t], s[t], n);
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
  // The options become compile-time constants so that their branches fold
  // out of the interleaved loop.
  auto run = [&](auto current, auto form_constant) {
    constexpr bool kCurrent = decltype(current)::value;
    constexpr AaForm kForm = decltype(form_constant)::value;
    scan_all_rows<false>(
        batch, steps, threads,
        [&](int64_t b, int64_t t, float c) {
          const int64_t i = b * steps + t;
          return advantage_alignment_row(own + i, others + i, out + i, 1, beta, gamma, kCurrent, kForm, c, t);
        },
        [&](int64_t b) {
          const int64_t o = b * steps;
          advantage_alignment_row(own + o, others + o, out + o, steps, beta, gamma, kCurrent, kForm);
        });
  };
  using Discounted = std::integral_constant<AaForm, AaForm::kDiscounted>;
  using Mean = std::integral_constant<AaForm, AaForm::kMean>;
  if (form == AaForm::kMean)
    include_current ? run(std::true_type{}, Mean{}) : run(std::false_type{}, Mean{});
  else
    include_current ? run(std::true_type{}, Discounted{}) : run(std::false_type{}, Discounted{});
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

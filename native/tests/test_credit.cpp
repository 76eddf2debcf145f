// Credit assignment against hand-worked numbers and against plain double
// implementations written straight from the formulas in DESIGN.md (direct
// sums, not the recursions the core uses).
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include "../core/credit.hpp"
#include "check.hpp"

using dilemma::credit::AaForm;
namespace cr = dilemma::credit;

// A literal, since CHECK_THROWS_CODE pastes it into its message.
#define kBad "ERR_INVALID_ARGUMENT"

namespace {

using Vec = std::vector<float>;
using DVec = std::vector<double>;

Vec random_vec(size_t n, uint32_t seed, float lo = -1.0f, float hi = 1.0f) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(lo, hi);
  Vec v(n);
  for (auto& x : v) x = u(rng);
  return v;
}

void check_all_close(const Vec& got, const DVec& want, double rtol, double atol) {
  CHECK_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    CHECK(std::isfinite(got[i]));
    CHECK_CLOSE(got[i], want[i], rtol, atol);
  }
}

bool same_bits(const Vec& a, const Vec& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

// G_t = sum_{k>=t} gamma^{k-t} r_k
DVec ref_returns(const Vec& r, int64_t B, int64_t T, double gamma) {
  DVec out(r.size());
  for (int64_t b = 0; b < B; ++b)
    for (int64_t t = 0; t < T; ++t) {
      double s = 0.0;
      for (int64_t k = t; k < T; ++k) s += std::pow(gamma, double(k - t)) * r[b * T + k];
      out[b * T + t] = s;
    }
  return out;
}

// A_t = sum_{l>=0} (gamma lambda)^l delta_{t+l}
DVec ref_gae(const Vec& r, const Vec& v, int64_t B, int64_t T, double gamma, double lambda) {
  DVec out(r.size());
  for (int64_t b = 0; b < B; ++b) {
    const float* vb = v.data() + b * (T + 1);
    for (int64_t t = 0; t < T; ++t) {
      double s = 0.0;
      for (int64_t k = t; k < T; ++k) {
        const double delta = double(r[b * T + k]) + gamma * vb[k + 1] - vb[k];
        s += std::pow(gamma * lambda, double(k - t)) * delta;
      }
      out[b * T + t] = s;
    }
  }
  return out;
}

// A^i_t = G^i_t - mean_{j != i, same group} G^j_t
DVec ref_leave_one_out(const Vec& v, const std::vector<int32_t>& g, int64_t B, int64_t T) {
  DVec out(v.size());
  for (int64_t i = 0; i < B; ++i)
    for (int64_t t = 0; t < T; ++t) {
      double s = 0.0;
      int n = 0;
      for (int64_t j = 0; j < B; ++j)
        if (j != i && (g.empty() || g[j] == g[i])) {
          s += v[j * T + t];
          ++n;
        }
      out[i * T + t] = n == 0 ? double(v[i * T + t]) : v[i * T + t] - s / n;
    }
  return out;
}

// A*_t = A1_t + beta * w_t * A2_t with w_t from the direct sums of DESIGN.md.
DVec ref_aa(const Vec& a1, const Vec& a2, int64_t B, int64_t T, double beta, double gamma, bool current,
            AaForm form) {
  DVec out(a1.size());
  for (int64_t b = 0; b < B; ++b)
    for (int64_t t = 0; t < T; ++t) {
      const int64_t last = current ? t : t - 1;
      double w = 0.0;
      if (form == AaForm::kMean) {
        for (int64_t k = 0; k <= last; ++k) w += a1[b * T + k];
        w = last < 0 ? 0.0 : w / double(last + 1);
      } else {
        for (int64_t k = 0; k <= last; ++k) w += std::pow(gamma, double(t - k)) * a1[b * T + k];
        if (!current) w *= gamma;
      }
      out[b * T + t] = a1[b * T + t] + beta * w * a2[b * T + t];
    }
  return out;
}

DVec ref_whiten(const Vec& x, int64_t B, int64_t T, bool per_step, double eps) {
  DVec out(x.size());
  auto norm = [&](const std::vector<int64_t>& idx) {
    double m = 0.0, v = 0.0;
    for (auto i : idx) m += x[i];
    m /= double(idx.size());
    for (auto i : idx) v += (x[i] - m) * (x[i] - m);
    const double sd = std::sqrt(v / double(idx.size()));
    for (auto i : idx) out[i] = (x[i] - m) / (sd + eps);
  };
  if (per_step) {
    for (int64_t t = 0; t < T; ++t) {
      std::vector<int64_t> idx;
      for (int64_t b = 0; b < B; ++b) idx.push_back(b * T + t);
      norm(idx);
    }
  } else {
    std::vector<int64_t> idx(x.size());
    for (size_t i = 0; i < idx.size(); ++i) idx[i] = int64_t(i);
    norm(idx);
  }
  return out;
}

}  // namespace

TEST("discounted returns: hand-worked") {
  // gamma 0.5 from the back: G2 = 3, G1 = 2 + 0.5*3 = 3.5, G0 = 1 + 0.5*3.5 = 2.75
  Vec r{1, 2, 3, 0, 0, 4}, out(6);
  cr::discounted_returns(r.data(), out.data(), 2, 3, 0.5f);
  check_all_close(out, {2.75, 3.5, 3, 1, 2, 4}, 0, 1e-7);
}

TEST("gae: hand-worked") {
  // gamma = lambda = 0.5, r = [1, 0], V = [0.5, 2, 2]:
  // delta1 = 0 + 0.5*2 - 2 = -1, delta0 = 1 + 0.5*2 - 0.5 = 1.5,
  // A1 = -1, A0 = 1.5 + 0.25*(-1) = 1.25
  Vec r{1, 0}, v{0.5f, 2, 2}, out(2);
  cr::gae(r.data(), v.data(), out.data(), 1, 2, 0.5f, 0.5f);
  check_all_close(out, {1.25, -1}, 0, 1e-7);
}

TEST("gae: lambda 1 with zero values equals discounted returns") {
  const int64_t B = 3, T = 17;
  Vec r = random_vec(B * T, 1), v(B * (T + 1), 0.0f), a(B * T), g(B * T);
  cr::gae(r.data(), v.data(), a.data(), B, T, 0.9f, 1.0f);
  cr::discounted_returns(r.data(), g.data(), B, T, 0.9f);
  CHECK(same_bits(a, g));
}

TEST("leave-one-out: hand-worked, non-contiguous ids and a group of one") {
  // group 7 = rows 0, 2, 3 with values 1, 4, 7:
  // 1 - (4+7)/2 = -4.5, 4 - (1+7)/2 = 0, 7 - (1+4)/2 = 4.5; row 1 (group -3) alone keeps 10.
  // Second column is the first times 2.
  Vec v{1, 2, 10, 20, 4, 8, 7, 14}, out(8);
  std::vector<int32_t> g{7, -3, 7, 7};
  cr::leave_one_out(v.data(), g.data(), out.data(), 4, 2);
  check_all_close(out, {-4.5, -9, 10, 20, 0, 0, 4.5, 9}, 0, 1e-6);
}

TEST("leave-one-out: no groups means one group") {
  // 1 - (2+6)/2 = -3, 2 - (1+6)/2 = -1.5, 6 - (1+2)/2 = 4.5
  Vec v{1, 2, 6}, out(3);
  cr::leave_one_out(v.data(), nullptr, out.data(), 3, 1);
  check_all_close(out, {-3, -1.5, 4.5}, 0, 1e-6);
  Vec one{5}, o1(1);
  cr::leave_one_out(one.data(), nullptr, o1.data(), 1, 1);
  CHECK_EQ(o1[0], 5.0f);
}

TEST("advantage alignment: hand-worked, all forms") {
  // A1 = [1, 2, 3], A2 = [1, 1, 2], beta = 1, gamma = 0.5.
  Vec a1{1, 2, 3}, a2{1, 1, 2}, out(3);
  // discounted: w = gamma * sum_{k<t} gamma^{t-k} A1_k = [0, 0.5*0.5, 0.5*(0.25 + 0.5*2)] = [0, 0.25, 0.625]
  cr::advantage_alignment(a1.data(), a2.data(), out.data(), 1, 3, 1.0f, 0.5f, false, AaForm::kDiscounted);
  check_all_close(out, {1, 2.25, 4.25}, 0, 1e-6);
  // includeCurrent: w = sum_{k<=t} gamma^{t-k} A1_k = [1, 0.5 + 2, 0.25 + 1 + 3] = [1, 2.5, 4.25]
  cr::advantage_alignment(a1.data(), a2.data(), out.data(), 1, 3, 1.0f, 0.5f, true, AaForm::kDiscounted);
  check_all_close(out, {2, 4.5, 11.5}, 0, 1e-6);
  // mean: w = [0, 1/1, (1+2)/2] = [0, 1, 1.5]
  cr::advantage_alignment(a1.data(), a2.data(), out.data(), 1, 3, 1.0f, 0.5f, false, AaForm::kMean);
  check_all_close(out, {1, 3, 6}, 0, 1e-6);
  // mean, includeCurrent: w = [1/1, 3/2, 6/3] = [1, 1.5, 2]
  cr::advantage_alignment(a1.data(), a2.data(), out.data(), 1, 3, 1.0f, 0.5f, true, AaForm::kMean);
  check_all_close(out, {2, 3.5, 7}, 0, 1e-6);
  // beta = 0.5 halves the shaping term: [1, 2 + 0.125, 3 + 0.625]
  cr::advantage_alignment(a1.data(), a2.data(), out.data(), 1, 3, 0.5f, 0.5f, false, AaForm::kDiscounted);
  check_all_close(out, {1, 2.125, 3.625}, 0, 1e-6);
}

TEST("advantage alignment over a separate past series: hand-worked, all forms, aliasing") {
  // own A1 = [1, 2, 3], past X = [4, -2, 5], A2 = [1, 1, 2], beta = 1, gamma = 0.5: w sums X, the
  // additive term stays A1.
  Vec a1{1, 2, 3}, x{4, -2, 5}, a2{1, 1, 2}, out(3);
  // discounted: w = gamma * sum_{k<t} gamma^{t-k} X_k = [0, 0.5*0.5*4, 0.5*(0.25*4 + 0.5*(-2))] = [0, 1, 0]
  cr::advantage_alignment_past_row(a1.data(), x.data(), a2.data(), out.data(), 3, 1.0f, 0.5f, false,
                                   AaForm::kDiscounted);
  check_all_close(out, {1, 3, 3}, 0, 1e-6);
  // includeCurrent: w = sum_{k<=t} gamma^{t-k} X_k = [4, 2 - 2, 1 - 1 + 5] = [4, 0, 5]
  cr::advantage_alignment_past_row(a1.data(), x.data(), a2.data(), out.data(), 3, 1.0f, 0.5f, true,
                                   AaForm::kDiscounted);
  check_all_close(out, {5, 2, 13}, 0, 1e-6);
  // mean: w = [0, 4/1, (4-2)/2] = [0, 4, 1]; mean, includeCurrent: w = [4, 2/2, 7/3]
  cr::advantage_alignment_past_row(a1.data(), x.data(), a2.data(), out.data(), 3, 1.0f, 0.5f, false, AaForm::kMean);
  check_all_close(out, {1, 6, 5}, 0, 1e-6);
  cr::advantage_alignment_past_row(a1.data(), x.data(), a2.data(), out.data(), 3, 2.0f, 0.5f, true, AaForm::kMean);
  check_all_close(out, {9, 4, 3 + 2 * (7.0 / 3) * 2}, 0, 1e-5);
  // out aliasing the past series, then the own series.
  Vec io = x;
  cr::advantage_alignment_past_row(a1.data(), io.data(), a2.data(), io.data(), 3, 1.0f, 0.5f, false,
                                   AaForm::kDiscounted);
  check_all_close(io, {1, 3, 3}, 0, 1e-6);
  io = a1;
  cr::advantage_alignment_past_row(io.data(), x.data(), a2.data(), io.data(), 3, 1.0f, 0.5f, false,
                                   AaForm::kDiscounted);
  check_all_close(io, {1, 3, 3}, 0, 1e-6);
  // past = own is advantage_alignment_row, bit for bit.
  const int64_t T = 37;
  const Vec r = random_vec(T, 71), o = random_vec(T, 72);
  for (bool current : {false, true})
    for (AaForm form : {AaForm::kDiscounted, AaForm::kMean}) {
      Vec got(T), want(T);
      cr::advantage_alignment_past_row(r.data(), r.data(), o.data(), got.data(), T, 1.3f, 0.93f, current, form);
      cr::advantage_alignment_row(r.data(), o.data(), want.data(), T, 1.3f, 0.93f, current, form);
      CHECK(same_bits(got, want));
    }
}

TEST("sum of rewards and whitening: hand-worked") {
  Vec own{1, -2, 3.5f}, others{0.5f, 2, -1}, out(3);
  cr::sum_of_rewards(own.data(), others.data(), out.data(), 3);
  check_all_close(out, {1.5, 0, 2.5}, 0, 0);
  cr::sum_of_rewards(nullptr, nullptr, nullptr, 0);

  // [1, 2, 3, 4]: mean 2.5, population variance (2.25+0.25+0.25+2.25)/4 = 1.25, std sqrt(1.25)
  Vec x{1, 2, 3, 4}, w(4);
  cr::whiten(x.data(), w.data(), 2, 2, false, 1e-8);
  const double sd = std::sqrt(1.25);
  check_all_close(w, {-1.5 / sd, -0.5 / sd, 0.5 / sd, 1.5 / sd}, 1e-6, 1e-7);
  // per step, rows [1, 2] and [3, 6]: column 0 mean 2 std 1, column 1 mean 4 std 2
  Vec y{1, 2, 3, 6};
  cr::whiten(y.data(), w.data(), 2, 2, true, 1e-8);
  check_all_close(w, {-1, -1, 1, 1}, 1e-6, 1e-7);
  // a constant column whitens to 0, not NaN
  Vec c{3, 3, 3};
  cr::whiten(c.data(), w.data(), 3, 1, true, 1e-8);
  CHECK_EQ(w[0], 0.0f);
}

TEST("random inputs agree with direct double sums") {
  const int64_t B = 5, T = 200;
  const Vec r = random_vec(B * T, 11), v = random_vec(B * (T + 1), 12), o = random_vec(B * T, 13);
  Vec out(B * T);
  for (float gamma : {0.0f, 0.5f, 0.9f, 0.99f, 1.0f}) {
    cr::discounted_returns(r.data(), out.data(), B, T, gamma);
    check_all_close(out, ref_returns(r, B, T, gamma), 1e-5, 1e-4);
    cr::gae(r.data(), v.data(), out.data(), B, T, gamma, 0.95f);
    check_all_close(out, ref_gae(r, v, B, T, gamma, 0.95f), 1e-5, 1e-4);
    for (bool current : {false, true})
      for (AaForm form : {AaForm::kDiscounted, AaForm::kMean}) {
        cr::advantage_alignment(r.data(), o.data(), out.data(), B, T, 0.7f, gamma, current, form);
        check_all_close(out, ref_aa(r, o, B, T, 0.7, gamma, current, form), 1e-5, 1e-5);
      }
  }
}

TEST("random leave-one-out with scattered ids, and whitening both ways") {
  const int64_t B = 40, T = 23;
  const Vec v = random_vec(B * T, 21, -5.0f, 5.0f);
  std::mt19937 rng(22);
  std::vector<int32_t> g(B);
  const int32_t ids[] = {1000000, -7, 42, 3, std::numeric_limits<int32_t>::min()};
  for (auto& x : g) x = ids[rng() % 4];
  g[17] = ids[4];  // the only member of its group
  Vec out(B * T);
  cr::leave_one_out(v.data(), g.data(), out.data(), B, T);
  check_all_close(out, ref_leave_one_out(v, g, B, T), 1e-5, 1e-5);
  for (int64_t t = 0; t < T; ++t) CHECK_EQ(out[17 * T + t], v[17 * T + t]);
  cr::leave_one_out(v.data(), nullptr, out.data(), B, T);
  check_all_close(out, ref_leave_one_out(v, {}, B, T), 1e-5, 1e-5);

  const Vec x = random_vec(B * T, 23, 3.0f, 9.0f);
  for (bool per_step : {false, true}) {
    cr::whiten(x.data(), out.data(), B, T, per_step, 1e-8);
    check_all_close(out, ref_whiten(x, B, T, per_step, 1e-8), 1e-5, 1e-5);
  }
}

TEST("long horizon: 5000 steps at gamma 0.9 stay finite and match a double recursion") {
  const int64_t B = 3, T = 5000;
  const double gamma = 0.9;
  const Vec a1 = random_vec(B * T, 31), a2 = random_vec(B * T, 32);
  Vec out(B * T);
  for (bool current : {false, true}) {
    cr::advantage_alignment(a1.data(), a2.data(), out.data(), B, T, 1.0f, float(gamma), current,
                            AaForm::kDiscounted);
    DVec want(B * T);
    for (int64_t b = 0; b < B; ++b) {
      double s = 0.0;  // sum_{k<t} gamma^{t-k} A1_k
      for (int64_t t = 0; t < T; ++t) {
        const double a = a1[b * T + t];
        const double w = current ? s + a : gamma * s;
        want[b * T + t] = a + w * a2[b * T + t];
        s = gamma * (s + a);
      }
    }
    check_all_close(out, want, 1e-5, 1e-5);
  }
  cr::discounted_returns(a1.data(), out.data(), B, T, float(gamma));
  DVec want(B * T);
  for (int64_t b = 0; b < B; ++b) {
    double g = 0.0;
    for (int64_t t = T - 1; t >= 0; --t) want[b * T + t] = g = a1[b * T + t] + gamma * g;
  }
  check_all_close(out, want, 1e-5, 1e-5);
}

TEST("in place: out may be the first input") {
  const int64_t B = 6, T = 9;
  const Vec r = random_vec(B * T, 41), v = random_vec(B * (T + 1), 42), o = random_vec(B * T, 43);
  const std::vector<int32_t> g{5, 1, 5, 9, 1, 5};
  Vec sep(B * T), io;

  cr::discounted_returns(r.data(), sep.data(), B, T, 0.9f);
  io = r;
  cr::discounted_returns(io.data(), io.data(), B, T, 0.9f);
  CHECK(same_bits(io, sep));

  cr::gae(r.data(), v.data(), sep.data(), B, T, 0.9f, 0.8f);
  io = r;
  cr::gae(io.data(), v.data(), io.data(), B, T, 0.9f, 0.8f);
  CHECK(same_bits(io, sep));

  cr::leave_one_out(r.data(), g.data(), sep.data(), B, T);
  io = r;
  cr::leave_one_out(io.data(), g.data(), io.data(), B, T);
  CHECK(same_bits(io, sep));

  for (AaForm form : {AaForm::kDiscounted, AaForm::kMean}) {
    cr::advantage_alignment(r.data(), o.data(), sep.data(), B, T, 1.5f, 0.9f, true, form);
    io = r;
    cr::advantage_alignment(io.data(), o.data(), io.data(), B, T, 1.5f, 0.9f, true, form);
    CHECK(same_bits(io, sep));
  }

  cr::sum_of_rewards(r.data(), o.data(), sep.data(), B * T);
  io = r;
  cr::sum_of_rewards(io.data(), o.data(), io.data(), B * T);
  CHECK(same_bits(io, sep));

  for (bool per_step : {false, true}) {
    cr::whiten(r.data(), sep.data(), B, T, per_step, 1e-6);
    io = r;
    cr::whiten(io.data(), io.data(), B, T, per_step, 1e-6);
    CHECK(same_bits(io, sep));
  }
}

TEST("batched results equal the row functions bit for bit") {
  // 11 rows: some scanned interleaved, the rest whole; the CUDA kernels run the row functions.
  const int64_t B = 11, T = 29;
  const Vec r = random_vec(B * T, 61), v = random_vec(B * (T + 1), 62), o = random_vec(B * T, 63);
  Vec got(B * T), want(B * T);
  cr::discounted_returns(r.data(), got.data(), B, T, 0.93f);
  for (int64_t b = 0; b < B; ++b) cr::discounted_returns_row(r.data() + b * T, want.data() + b * T, T, 0.93f);
  CHECK(same_bits(got, want));
  cr::gae(r.data(), v.data(), got.data(), B, T, 0.93f, 0.7f);
  for (int64_t b = 0; b < B; ++b)
    cr::gae_row(r.data() + b * T, v.data() + b * (T + 1), want.data() + b * T, T, 0.93f, 0.7f);
  CHECK(same_bits(got, want));
  for (bool current : {false, true})
    for (AaForm form : {AaForm::kDiscounted, AaForm::kMean}) {
      cr::advantage_alignment(r.data(), o.data(), got.data(), B, T, 1.3f, 0.93f, current, form);
      for (int64_t b = 0; b < B; ++b)
        cr::advantage_alignment_row(r.data() + b * T, o.data() + b * T, want.data() + b * T, T, 1.3f, 0.93f, current,
                                    form);
      CHECK(same_bits(got, want));
    }
}

TEST("every SIMD width gives the row functions' bits, for any shape") {
  // Widths 1 (the row functions), 4 (SSE) and 8 (AVX2, where the CPU has
  // it; leave-one-out's AVX2 rows too); shapes around the block and tile sizes, so that full tiles, step
  // tails and leftover rows all occur; inputs include huge, tiny and
  // non-finite values so that rounding, overflow and NaN must match too.
  const int widest = cr::scan_lanes();
  struct Restore {
    ~Restore() { cr::set_scan_lanes(0); }
  } restore;
  for (int64_t B : {1, 3, 4, 8, 9, 17, 23})
    for (int64_t T : {1, 2, 4, 7, 8, 9, 16, 31, 33}) {
      Vec r = random_vec(B * T, uint32_t(71 + B * 100 + T), -3.0f, 3.0f);
      const Vec v = random_vec(B * (T + 1), uint32_t(72 + B * 100 + T), -3.0f, 3.0f);
      const Vec o = random_vec(B * T, uint32_t(73 + B * 100 + T), -3.0f, 3.0f);
      if (B * T > 5) {
        r[1] = 3e38f;
        r[2] = 1e-40f;
        r[B * T - 1] = std::numeric_limits<float>::infinity();
        r[B * T / 2] = std::numeric_limits<float>::quiet_NaN();
      }
      Vec want_dr(B * T), want_gae(B * T), want_aa[4], want_loo(B * T), got(B * T), io;
      DVec column(T, 0.0);  // one group: the column sums, rows added in order
      for (int64_t b = 0; b < B; ++b)
        for (int64_t t = 0; t < T; ++t) column[t] += r[b * T + t];
      for (int64_t i = 0; i < B * T; ++i) want_loo[i] = cr::leave_one_out_element(r[i], column[i % T], B);
      for (int64_t b = 0; b < B; ++b) {
        cr::discounted_returns_row(r.data() + b * T, want_dr.data() + b * T, T, 0.93f);
        cr::gae_row(r.data() + b * T, v.data() + b * (T + 1), want_gae.data() + b * T, T, 0.93f, 0.7f);
      }
      for (int k = 0; k < 4; ++k) {
        want_aa[k].resize(B * T);
        for (int64_t b = 0; b < B; ++b)
          cr::advantage_alignment_row(r.data() + b * T, o.data() + b * T, want_aa[k].data() + b * T, T, -1.7f, 0.93f,
                                      k & 1, k & 2 ? AaForm::kMean : AaForm::kDiscounted);
      }
      for (int lanes : {1, 4, 8}) {
        cr::set_scan_lanes(lanes);
        CHECK_EQ(cr::scan_lanes(), std::min(lanes, widest));
        cr::discounted_returns(r.data(), got.data(), B, T, 0.93f);
        CHECK(same_bits(got, want_dr));
        io = r;
        cr::discounted_returns(io.data(), io.data(), B, T, 0.93f);
        CHECK(same_bits(io, want_dr));
        cr::gae(r.data(), v.data(), got.data(), B, T, 0.93f, 0.7f);
        CHECK(same_bits(got, want_gae));
        cr::leave_one_out(r.data(), nullptr, got.data(), B, T);
        CHECK(same_bits(got, want_loo));
        io = r;
        cr::leave_one_out(io.data(), nullptr, io.data(), B, T);
        CHECK(same_bits(io, want_loo));
        io = r;
        cr::gae(io.data(), v.data(), io.data(), B, T, 0.93f, 0.7f);
        CHECK(same_bits(io, want_gae));
        for (int k = 0; k < 4; ++k) {
          const AaForm form = k & 2 ? AaForm::kMean : AaForm::kDiscounted;
          cr::advantage_alignment(r.data(), o.data(), got.data(), B, T, -1.7f, 0.93f, k & 1, form);
          CHECK(same_bits(got, want_aa[k]));
          io = r;
          cr::advantage_alignment(io.data(), o.data(), io.data(), B, T, -1.7f, 0.93f, k & 1, form);
          CHECK(same_bits(io, want_aa[k]));
          io = o;
          cr::advantage_alignment(r.data(), io.data(), io.data(), B, T, -1.7f, 0.93f, k & 1, form);
          CHECK(same_bits(io, want_aa[k]));
        }
      }
    }
}

TEST("results are bit-identical for any thread count") {
  // Large enough that rows and columns are split into several chunks.
  const int64_t B = 3000, T = 37;
  const Vec r = random_vec(B * T, 51), v = random_vec(B * (T + 1), 52), o = random_vec(B * T, 53);
  std::vector<int32_t> g(B);
  for (int64_t b = 0; b < B; ++b) g[b] = int32_t((b * 7919) % 301) - 150;
  auto all = [&](int threads) {
    std::vector<Vec> res(7, Vec(B * T));
    cr::discounted_returns(r.data(), res[0].data(), B, T, 0.95f, threads);
    cr::gae(r.data(), v.data(), res[1].data(), B, T, 0.95f, 0.9f, threads);
    cr::leave_one_out(r.data(), g.data(), res[2].data(), B, T, threads);
    cr::advantage_alignment(r.data(), o.data(), res[3].data(), B, T, 1.0f, 0.95f, false, AaForm::kDiscounted, threads);
    cr::sum_of_rewards(r.data(), o.data(), res[4].data(), B * T, threads);
    cr::whiten(r.data(), res[5].data(), B, T, false, 1e-8, threads);
    cr::whiten(r.data(), res[6].data(), B, T, true, 1e-8, threads);
    return res;
  };
  const auto one = all(1);
  for (int threads : {2, 3, 7}) {
    const auto many = all(threads);
    for (size_t i = 0; i < one.size(); ++i) CHECK(same_bits(one[i], many[i]));
  }
}

TEST("invalid arguments raise coded errors") {
  Vec a(8, 1.0f), b(8, 1.0f), c(8), v(10, 0.0f);
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float inf = std::numeric_limits<float>::infinity();

  CHECK_THROWS_CODE(cr::discounted_returns(a.data(), c.data(), 0, 4, 0.9f), kBad);
  CHECK_THROWS_CODE(cr::discounted_returns(a.data(), c.data(), -2, 4, 0.9f), kBad);
  CHECK_THROWS_CODE(cr::discounted_returns(a.data(), c.data(), 2, 0, 0.9f), kBad);
  CHECK_THROWS_CODE(cr::discounted_returns(a.data(), c.data(), 2, 4, nan), kBad);
  CHECK_THROWS_CODE(cr::discounted_returns(a.data(), c.data(), 2, 4, 1.01f), kBad);
  CHECK_THROWS_CODE(cr::discounted_returns(a.data(), c.data(), 2, 4, -0.1f), kBad);
  CHECK_THROWS_CODE(cr::discounted_returns(nullptr, c.data(), 2, 4, 0.9f), kBad);
  CHECK_THROWS_CODE(cr::discounted_returns(a.data(), nullptr, 2, 4, 0.9f), kBad);
  CHECK_THROWS_CODE(cr::discounted_returns(a.data(), c.data(), int64_t{1} << 20, int64_t{1} << 20, 0.9f),
                    "ERR_TOO_LARGE");

  CHECK_THROWS_CODE(cr::gae(a.data(), v.data(), c.data(), 2, 4, 0.9f, nan), kBad);
  CHECK_THROWS_CODE(cr::gae(a.data(), v.data(), c.data(), 2, 4, 0.9f, 1.5f), kBad);
  CHECK_THROWS_CODE(cr::gae(a.data(), nullptr, c.data(), 2, 4, 0.9f, 0.9f), kBad);
  CHECK_THROWS_CODE(cr::gae(a.data(), v.data(), c.data(), 1, (int64_t{1} << 31) - 1, 0.9f, 0.9f), "ERR_TOO_LARGE");

  CHECK_THROWS_CODE(cr::leave_one_out(a.data(), nullptr, c.data(), 0, 4), kBad);
  CHECK_THROWS_CODE(cr::leave_one_out(nullptr, nullptr, c.data(), 2, 4), kBad);

  CHECK_THROWS_CODE(cr::advantage_alignment(a.data(), b.data(), c.data(), 2, 4, inf, 0.9f, false, AaForm::kDiscounted),
                    kBad);
  CHECK_THROWS_CODE(cr::advantage_alignment(a.data(), b.data(), c.data(), 2, 4, nan, 0.9f, false, AaForm::kMean), kBad);
  CHECK_THROWS_CODE(cr::advantage_alignment(a.data(), b.data(), c.data(), 2, 4, 1.0f, 2.0f, false, AaForm::kMean), kBad);
  CHECK_THROWS_CODE(cr::advantage_alignment(a.data(), b.data(), c.data(), 2, 4, 1.0f, 0.9f, false, AaForm(7)), kBad);
  CHECK_THROWS_CODE(cr::advantage_alignment(a.data(), nullptr, c.data(), 2, 4, 1.0f, 0.9f, false, AaForm::kMean),
                    kBad);

  CHECK_THROWS_CODE(cr::sum_of_rewards(a.data(), b.data(), c.data(), -1), kBad);
  CHECK_THROWS_CODE(cr::sum_of_rewards(a.data(), nullptr, c.data(), 8), kBad);

  CHECK_THROWS_CODE(cr::whiten(a.data(), c.data(), 2, 4, false, 0.0), kBad);
  CHECK_THROWS_CODE(cr::whiten(a.data(), c.data(), 2, 4, true, -1e-8), kBad);
  CHECK_THROWS_CODE(cr::whiten(a.data(), c.data(), 2, 4, true, std::nan("")), kBad);
  CHECK_THROWS_CODE(cr::whiten(a.data(), c.data(), 2, -4, false, 1e-8), kBad);

  // nothing was written by the failed calls
  for (float x : c) CHECK_EQ(x, 0.0f);
}

// Per-rollout credit-assignment math shared by the CPU path (credit.cpp) and
// the CUDA kernels (cuda/credit_kernels.cu): one row of `steps` values, float32
// arithmetic in a fixed order so that both paths agree.
#pragma once

#include <cstdint>

#include "hd.hpp"

namespace dilemma::credit {

// Every row function also scans a segment of a longer row: `carry` is the
// scan state entering the segment (0 for a whole row) and the return value is
// the state leaving it, so the CUDA kernels can stream a row through shared
// memory in tiles and still run exactly the arithmetic of one pass.

// out_t = r_t + gamma * out_{t+1}
DLM_HD float discounted_returns_row(const float* r, float* out, int64_t steps, float gamma, float carry = 0.0f) {
  float acc = carry;
  for (int64_t t = steps - 1; t >= 0; --t) {
    acc = r[t] + gamma * acc;
    out[t] = acc;
  }
  return acc;
}

// values has steps + 1 entries (the last bootstraps the tail).
// delta_t = r_t + gamma V_{t+1} - V_t ; A_t = delta_t + gamma lambda A_{t+1}
DLM_HD float gae_row(const float* r, const float* v, float* out, int64_t steps, float gamma, float lambda,
                     float carry = 0.0f) {
  float acc = carry;
  for (int64_t t = steps - 1; t >= 0; --t) {
    const float delta = r[t] + gamma * v[t + 1] - v[t];
    acc = delta + gamma * lambda * acc;
    out[t] = acc;
  }
  return acc;
}

enum class AaForm : int { kDiscounted = 0, kMean = 1 };

// Advantage Alignment: A*_t = A1_t + beta * w_t * A2_t with
//   discounted:                w_t = gamma * S_t,          S_t = sum_{k<t} gamma^{t-k} A1_k
//   discounted, includeCurrent: w_t = S_t + A1_t
//   mean:                      w_t = (sum_{k<t} A1_k) / t  (0 at t = 0)
//   mean, includeCurrent:       w_t = (sum_{k<=t} A1_k) / (t + 1)
// S is carried forward as S_0 = 0, S_{t+1} = gamma (S_t + A1_t): no gamma^-t
// scaling, so it stays finite for any horizon. A segment starting at step t0
// of its row passes t0, which the mean form divides by.
//
// advantage_alignment_past_row sums a separate series `past` in w_t (A*_t =
// own_t + beta * w_t(past) * others_t); advantage_alignment_row is the case
// past = own. out may alias any input: each element is read before it is
// written.
DLM_HD float advantage_alignment_past_row(const float* own, const float* past, const float* others, float* out,
                                          int64_t steps, float beta, float gamma, bool include_current, AaForm form,
                                          float carry = 0.0f, int64_t t0 = 0) {
  float s = carry;
  for (int64_t i = 0; i < steps; ++i) {
    const int64_t t = t0 + i;
    const float a = own[i], x = past[i];
    float w;
    if (form == AaForm::kMean) {
      w = include_current ? (s + x) / static_cast<float>(t + 1) : (t == 0 ? 0.0f : s / static_cast<float>(t));
      s += x;
    } else {
      w = include_current ? s + x : gamma * s;
      s = gamma * (s + x);
    }
    out[i] = a + beta * w * others[i];
  }
  return s;
}

DLM_HD float advantage_alignment_row(const float* own, const float* others, float* out, int64_t steps, float beta,
                                     float gamma, bool include_current, AaForm form, float carry = 0.0f,
                                     int64_t t0 = 0) {
  return advantage_alignment_past_row(own, own, others, out, steps, beta, gamma, include_current, form, carry, t0);
}

// Element i of own + others, the prosocial sum-of-rewards baseline.
DLM_HD void sum_row(const float* own, const float* others, float* out, int64_t n) {
  for (int64_t i = 0; i < n; ++i) out[i] = own[i] + others[i];
}

// v minus the mean of the other n - 1 members of its group, where group_sum
// includes v itself; the sum is double so that removing v again costs no
// float precision, even in large groups. A group of one has no baseline.
DLM_HD float leave_one_out_element(float v, double group_sum, int64_t n) {
  if (n <= 1) return v;
  return static_cast<float>(static_cast<double>(v) - (group_sum - static_cast<double>(v)) / static_cast<double>(n - 1));
}

// (x - mean) * inv_scale, with inv_scale = 1 / (std + eps) computed once.
DLM_HD float whiten_element(float x, double mean, double inv_scale) {
  return static_cast<float>((static_cast<double>(x) - mean) * inv_scale);
}

}  // namespace dilemma::credit

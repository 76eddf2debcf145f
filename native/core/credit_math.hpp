// Per-rollout credit-assignment math shared by the CPU path (credit.cpp) and
// the CUDA kernels (cuda/credit_kernels.cu): one row of `steps` values, float32
// arithmetic in a fixed order so that both paths agree.
#pragma once

#include <cstdint>

#include "hd.hpp"

namespace dilemma::credit {

// out_t = r_t + gamma * out_{t+1}
DLM_HD void discounted_returns_row(const float* r, float* out, int64_t steps, float gamma) {
  float acc = 0.0f;
  for (int64_t t = steps - 1; t >= 0; --t) {
    acc = r[t] + gamma * acc;
    out[t] = acc;
  }
}

// values has steps + 1 entries (the last bootstraps the tail).
// delta_t = r_t + gamma V_{t+1} - V_t ; A_t = delta_t + gamma lambda A_{t+1}
DLM_HD void gae_row(const float* r, const float* v, float* out, int64_t steps, float gamma, float lambda) {
  float acc = 0.0f;
  for (int64_t t = steps - 1; t >= 0; --t) {
    const float delta = r[t] + gamma * v[t + 1] - v[t];
    acc = delta + gamma * lambda * acc;
    out[t] = acc;
  }
}

enum class AaForm : int { kDiscounted = 0, kMean = 1 };

// Advantage Alignment: A*_t = A1_t + beta * w_t * A2_t with
//   discounted:                w_t = gamma * S_t,          S_t = sum_{k<t} gamma^{t-k} A1_k
//   discounted, includeCurrent: w_t = S_t + A1_t
//   mean:                      w_t = (sum_{k<t} A1_k) / t  (0 at t = 0)
//   mean, includeCurrent:       w_t = (sum_{k<=t} A1_k) / (t + 1)
// S is carried forward as S_0 = 0, S_{t+1} = gamma (S_t + A1_t): no gamma^-t
// scaling, so it stays finite for any horizon.
DLM_HD void advantage_alignment_row(const float* own, const float* others, float* out, int64_t steps, float beta,
                                    float gamma, bool include_current, AaForm form) {
  float s = 0.0f;
  for (int64_t t = 0; t < steps; ++t) {
    const float a = own[t];
    float w;
    if (form == AaForm::kMean) {
      w = include_current ? (s + a) / static_cast<float>(t + 1) : (t == 0 ? 0.0f : s / static_cast<float>(t));
      s += a;
    } else {
      w = include_current ? s + a : gamma * s;
      s = gamma * (s + a);
    }
    out[t] = a + beta * w * others[t];
  }
}

}  // namespace dilemma::credit

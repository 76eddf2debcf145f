// The scalar and one-row math of the dense layers (dense.hpp) that the CUDA
// device trainer runs too: written with DLM_HD, so that a kernel and the CPU
// models compute an MLP's logits with the same float operations in the same
// order (the CPU's vectorised block kernels give these functions' bits).
#pragma once

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "../float_math.hpp"
#include "../hd.hpp"

namespace dilemma::learn::dense {

using float_math::exp_nonpositive;
using float_math::pick;
using float_math::with_sign_of;

// y += x W for x [in], W [in, out], y [out]. Zero inputs are skipped: one-hot
// observations, ReLU outputs and the zero GRU state at t = 0 are mostly zeros
// (so an infinite weight meets a zero input as nothing, not as NaN).
DLM_HD void add_xw(const float* __restrict__ x, int64_t in, const float* __restrict__ W, int64_t out,
                   float* __restrict__ y) {
  for (int64_t k = 0; k < in; ++k) {
    const float xk = x[k];
    if (xk == 0.0f) continue;
    const float* __restrict__ w = W + k * out;
    for (int64_t j = 0; j < out; ++j) y[j] += xk * w[j];
  }
}

// y = x W + b.
DLM_HD void affine(const float* __restrict__ x, int64_t in, const float* __restrict__ W, const float* __restrict__ b,
                   int64_t out, float* __restrict__ y) {
  for (int64_t j = 0; j < out; ++j) y[j] = b[j];
  add_xw(x, in, W, out, y);
}

// tanh from t = e^(-2|x|) as (1 - t) / (1 + t), where the subtraction is
// exact for |x| >= 0.3; below, where it would cancel, the Taylor series to
// x^11 (next term < 1e-9 relative). Within 3 ulp.
DLM_HD float tanh(float x) {
  const float a = fabsf(x);
  const float t = exp_nonpositive(-2.0f * a);
  const float big = (1.0f - t) / (1.0f + t);
  const float a2 = a * a;
  float p = -1382.0f / 155925.0f;
  p = p * a2 + 62.0f / 2835.0f;
  p = p * a2 - 17.0f / 315.0f;
  p = p * a2 + 2.0f / 15.0f;
  p = p * a2 - 1.0f / 3.0f;
  const float small = a + a * a2 * p;
  return with_sign_of(pick(a < 0.3f, small, big), x);
}

// 1 / (1 + e^-a) through e = e^-|a|, so nothing overflows and negative a
// keeps its relative precision as e / (1 + e) (down to a = -87).
DLM_HD float sigmoid(float a) {
  const float e = exp_nonpositive(-fabsf(a));
  const float s = 1.0f / (1.0f + e);
  return pick(a < 0.0f, e * s, s);
}

}  // namespace dilemma::learn::dense

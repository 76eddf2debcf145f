// The scalar and one-row math of the dense layers (dense.hpp) that the CUDA
// device trainer runs too: written with DLM_HD, so that a kernel and the CPU
// models compute an MLP's logits with the same float operations in the same
// order (the CPU's vectorised block kernels give these functions' bits).
#pragma once

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "../hd.hpp"

namespace dilemma::learn::dense {

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

// c ? a : b on the bits. GCC keeps a float ?: as a branch under its default
// -ftrapping-math, which stops the loops around the activations from
// vectorising; integer masks do not.
DLM_HD float pick(bool c, float a, float b) {
  uint32_t ua, ub;
  memcpy(&ua, &a, sizeof ua);
  memcpy(&ub, &b, sizeof ub);
  const uint32_t mask = 0u - static_cast<uint32_t>(c);
  const uint32_t r = (ua & mask) | (ub & ~mask);
  float f;
  memcpy(&f, &r, sizeof f);
  return f;
}

// |v| with the sign bit of s.
DLM_HD float with_sign_of(float v, float s) {
  uint32_t uv, us;
  memcpy(&uv, &v, sizeof uv);
  memcpy(&us, &s, sizeof us);
  const uint32_t r = (uv & 0x7FFFFFFFu) | (us & 0x80000000u);
  float f;
  memcpy(&f, &r, sizeof f);
  return f;
}

// e^y for y <= 0 in plain arithmetic: libm's expf and tanhf are opaque calls
// that keep a loop scalar, and tanhf alone was half of an MLP's forward pass.
// Cody-Waite reduction y = k ln2 + r, |r| <= ln2 / 2, then Cephes' degree-6
// polynomial for e^r: within 2 ulp. Below -87 the result stays at e^-87
// (~1.6e-38, near the smallest normal float); NaN stays NaN.
DLM_HD float exp_nonpositive(float y) {
  const float yc = pick(y >= -87.0f, y, -87.0f);
  const int k = -static_cast<int>(-yc * 1.44269504088896341f + 0.5f);  // round(yc / ln2), yc <= 0
  const float kf = static_cast<float>(k);
  const float r = (yc - kf * 0.693359375f) + kf * 2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * (r * r) + r + 1.0f;
  const int bits = (k + 127) << 23;  // 2^k, k in [-126, 0]
  float scale;
  memcpy(&scale, &bits, sizeof scale);
  return pick(y == y, p * scale, y);
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

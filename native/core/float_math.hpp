// Float exp and log in plain arithmetic, shared by host code and CUDA
// kernels (DLM_HD). libm's expf and logf are opaque calls: they keep a loop
// scalar and, in the sampler, were most of the engine's own work per step.
// These inline into vectorised loops, and a kernel and the CPU evaluate the
// same operations in the same order: with the kernels built without FMA
// contraction (cuda/CMakeLists.txt), the same bits on either, and on any
// x86-64 CPU whichever libm it has. Each function names its domain; the
// callers (softmax weights e^(z - max) <= 1 and their sums >= 1, the dense
// layers' activations) stay inside it.
#pragma once

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "hd.hpp"

namespace dilemma::float_math {

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

// e^y for y <= 0 (tanhf, built on it, was half of an MLP's forward pass as a
// libm call). Cody-Waite reduction y = k ln2 + r, |r| <= ln2 / 2, then
// Cephes' degree-6 polynomial for e^r: within 1 ulp (test_float_math checks
// [-87, 0]). Below -87 the result stays at e^-87 (~1.6e-38, near the
// smallest normal float); NaN stays NaN. +inf is outside the domain.
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

// e^y for y <= 0 with everything below -87 flushed to 0: the weights of a
// softmax, where a term under e^-87 (~1.6e-38) cannot move a float sum of
// at least 1, nor a draw, and an exact 0 keeps a one-hot row's entropy 0.
// NaN stays NaN.
DLM_HD float exp_nonpositive_or_zero(float y) { return pick(y < -87.0f, 0.0f, exp_nonpositive(y)); }

// log x for a positive normal float x (a softmax's sum of weights, >= 1).
// x = m 2^e with m in [sqrt(1/2), sqrt(2)), so z = m - 1 is exact; then
// Cephes' degree-9 polynomial for log(1 + z) and e ln2 split in two parts
// (Cody-Waite), as for exp: within 1 ulp (test_float_math checks every
// float in [1, 2] and a sweep of all positive normals). Zero, negative, subnormal,
// infinite and NaN inputs are outside the domain (the callers never pass
// them) and give unspecified finite or NaN values.
DLM_HD float log_positive(float x) {
  uint32_t u;
  memcpy(&u, &x, sizeof u);
  int e = static_cast<int>(u >> 23) - 127;
  const uint32_t mb = (u & 0x007FFFFFu) | 0x3F800000u;  // m in [1, 2)
  float m;
  memcpy(&m, &mb, sizeof m);
  const bool high = m > 1.41421356f;
  m = pick(high, m * 0.5f, m);
  e += high ? 1 : 0;
  const float z = m - 1.0f;
  const float ef = static_cast<float>(e);
  const float z2 = z * z;
  float p = 7.0376836292e-2f;
  p = p * z - 1.1514610310e-1f;
  p = p * z + 1.1676998740e-1f;
  p = p * z - 1.2420140846e-1f;
  p = p * z + 1.4249322787e-1f;
  p = p * z - 1.6668057665e-1f;
  p = p * z + 2.0000714765e-1f;
  p = p * z - 2.4999993993e-1f;
  p = p * z + 3.3333331174e-1f;
  float y = z * z2 * p;
  y += ef * -2.12194440e-4f;
  y += -0.5f * z2;
  return (z + y) + ef * 0.693359375f;
}

}  // namespace dilemma::float_math

// The row scans of credit_math.hpp run over W rows at once, one row per SIMD
// lane. A scan is sequential in t within a row, so the parallelism is across
// rows: a W x W tile (W rows, W steps) is loaded row by row, transposed in
// registers so that each vector holds one step of W rows, scanned with the
// carry as a vector, transposed back and stored.
//
// Every lane performs exactly the float operations of the row function, in
// the same order, with no fused multiply-add (the AVX2 kernels are compiled
// for "avx2" only, which does not enable FMA), so the results are bit for
// bit those of the row functions in credit_math.hpp (which the CUDA kernels
// run too): the same on any ISA, thread count or row split.
//
// The kernels use the compilers' generic vector types, not intrinsics, so
// the same template compiles to SSE (4 lanes, baseline x86-64) or to AVX2
// (8 lanes) inside a function marked target("avx2"): everything here is
// always_inline and takes the ISA of the function it lands in.
#pragma once

#if defined(__GNUC__) || defined(__clang__)
#define DLM_CREDIT_LANES 1
#else
#define DLM_CREDIT_LANES 0
#endif

#if DLM_CREDIT_LANES

#include <cstdint>
#include <cstring>

#include "credit_math.hpp"

// 32-byte vectors in a function compiled without AVX are passed in memory;
// GCC warns about that ABI difference (at the end of the including file, so
// this stays on there) although nothing here is ever called out of line.
#pragma GCC diagnostic ignored "-Wpsabi"

#define DLM_LANES_INLINE inline __attribute__((always_inline))

#if defined(__clang__)
#define DLM_SHUFFLE(V, M, a, b, ...) __builtin_shufflevector(a, b, __VA_ARGS__)
#else
#define DLM_SHUFFLE(V, M, a, b, ...) __builtin_shuffle(a, b, M{__VA_ARGS__})
#endif

namespace dilemma::credit::lanes {

// Four lanes: one SSE register.
struct Lanes4 {
  static constexpr int kWidth = 4;
  typedef float V __attribute__((vector_size(16)));
  typedef int32_t M __attribute__((vector_size(16)));

  static DLM_LANES_INLINE V splat(float x) { return V{x, x, x, x}; }
  static DLM_LANES_INLINE V load(const float* p) {
    V v;
    std::memcpy(&v, p, sizeof v);
    return v;
  }
  static DLM_LANES_INLINE void store(float* p, const V& v) { std::memcpy(p, &v, sizeof v); }
  static DLM_LANES_INLINE void transpose(V* r) {
    const V t0 = DLM_SHUFFLE(V, M, r[0], r[1], 0, 4, 1, 5);
    const V t1 = DLM_SHUFFLE(V, M, r[0], r[1], 2, 6, 3, 7);
    const V t2 = DLM_SHUFFLE(V, M, r[2], r[3], 0, 4, 1, 5);
    const V t3 = DLM_SHUFFLE(V, M, r[2], r[3], 2, 6, 3, 7);
    r[0] = DLM_SHUFFLE(V, M, t0, t2, 0, 1, 4, 5);
    r[1] = DLM_SHUFFLE(V, M, t0, t2, 2, 3, 6, 7);
    r[2] = DLM_SHUFFLE(V, M, t1, t3, 0, 1, 4, 5);
    r[3] = DLM_SHUFFLE(V, M, t1, t3, 2, 3, 6, 7);
  }
};

// Eight lanes: one AVX register. Each shuffle below is one AVX instruction
// (unpcklps/unpckhps, shufps, vperm2f128).
struct Lanes8 {
  static constexpr int kWidth = 8;
  typedef float V __attribute__((vector_size(32)));
  typedef int32_t M __attribute__((vector_size(32)));

  static DLM_LANES_INLINE V splat(float x) { return V{x, x, x, x, x, x, x, x}; }
  static DLM_LANES_INLINE V load(const float* p) {
    V v;
    std::memcpy(&v, p, sizeof v);
    return v;
  }
  static DLM_LANES_INLINE void store(float* p, const V& v) { std::memcpy(p, &v, sizeof v); }
  static DLM_LANES_INLINE void transpose(V* r) {
    V t[8], s[8];
    for (int i = 0; i < 8; i += 2) {
      t[i] = DLM_SHUFFLE(V, M, r[i], r[i + 1], 0, 8, 1, 9, 4, 12, 5, 13);
      t[i + 1] = DLM_SHUFFLE(V, M, r[i], r[i + 1], 2, 10, 3, 11, 6, 14, 7, 15);
    }
    for (int i = 0; i < 8; i += 4) {
      s[i] = DLM_SHUFFLE(V, M, t[i], t[i + 2], 0, 1, 8, 9, 4, 5, 12, 13);
      s[i + 1] = DLM_SHUFFLE(V, M, t[i], t[i + 2], 2, 3, 10, 11, 6, 7, 14, 15);
      s[i + 2] = DLM_SHUFFLE(V, M, t[i + 1], t[i + 3], 0, 1, 8, 9, 4, 5, 12, 13);
      s[i + 3] = DLM_SHUFFLE(V, M, t[i + 1], t[i + 3], 2, 3, 10, 11, 6, 7, 14, 15);
    }
    for (int i = 0; i < 4; ++i) {
      r[i] = DLM_SHUFFLE(V, M, s[i], s[i + 4], 0, 1, 2, 3, 8, 9, 10, 11);
      r[i + 4] = DLM_SHUFFLE(V, M, s[i], s[i + 4], 4, 5, 6, 7, 12, 13, 14, 15);
    }
  }
};

// x[i] = step t0 + i of rows 0..W-1, the rows `stride` floats apart.
template <class L>
DLM_LANES_INLINE void load_tile(const float* p, int64_t stride, typename L::V* x) {
  for (int j = 0; j < L::kWidth; ++j) x[j] = L::load(p + j * stride);
  L::transpose(x);
}

// The inverse of load_tile; x is scratch afterwards.
template <class L>
DLM_LANES_INLINE void store_tile(float* p, int64_t stride, typename L::V* x) {
  L::transpose(x);
  for (int j = 0; j < L::kWidth; ++j) L::store(p + j * stride, x[j]);
}

template <class L>
DLM_LANES_INLINE void spill(const typename L::V& v, float* out) {
  std::memcpy(out, &v, sizeof v);
}

// The scans below take pointers to the first of W consecutive rows. Steps
// that do not fill a tile go through the row function with each lane's
// carry, which is the same arithmetic. Inputs are loaded before the tile's
// output is stored, so out may be any of the inputs.

// discounted_returns_row over W rows.
template <class L>
DLM_LANES_INLINE void discounted_returns_rows(const float* r, float* out, int64_t steps, float gamma) {
  using V = typename L::V;
  constexpr int W = L::kWidth;
  const int64_t full = steps - steps % W;
  float carry[W] = {};
  if (full < steps)
    for (int j = 0; j < W; ++j)
      carry[j] = discounted_returns_row(r + j * steps + full, out + j * steps + full, steps - full, gamma);
  V acc = L::load(carry);
  const V g = L::splat(gamma);
  for (int64_t t0 = full - W; t0 >= 0; t0 -= W) {
    V x[W];
    load_tile<L>(r + t0, steps, x);
    for (int i = W - 1; i >= 0; --i) {
      acc = x[i] + g * acc;
      x[i] = acc;
    }
    store_tile<L>(out + t0, steps, x);
  }
}

// gae_row over W rows; values rows are steps + 1 long.
template <class L>
DLM_LANES_INLINE void gae_rows(const float* r, const float* v, float* out, int64_t steps, float gamma, float lambda) {
  using V = typename L::V;
  constexpr int W = L::kWidth;
  const int64_t full = steps - steps % W, vstride = steps + 1;
  float carry[W] = {};
  if (full < steps)
    for (int j = 0; j < W; ++j)
      carry[j] = gae_row(r + j * steps + full, v + j * vstride + full, out + j * steps + full, steps - full, gamma,
                         lambda);
  V acc = L::load(carry);
  const V g = L::splat(gamma), l = L::splat(lambda);
  for (int64_t t0 = full - W; t0 >= 0; t0 -= W) {
    V x[W], v0[W], v1[W];
    load_tile<L>(r + t0, steps, x);
    load_tile<L>(v + t0, vstride, v0);
    load_tile<L>(v + t0 + 1, vstride, v1);
    for (int i = W - 1; i >= 0; --i) {
      const V delta = x[i] + g * v1[i] - v0[i];
      acc = delta + g * l * acc;
      x[i] = acc;
    }
    store_tile<L>(out + t0, steps, x);
  }
}

// advantage_alignment_row over W rows, its options as constants.
template <class L, bool kCurrent, AaForm kForm>
DLM_LANES_INLINE void advantage_alignment_rows(const float* own, const float* others, float* out, int64_t steps,
                                               float beta, float gamma) {
  using V = typename L::V;
  constexpr int W = L::kWidth;
  const int64_t full = steps - steps % W;
  const V g = L::splat(gamma), b = L::splat(beta);
  V s = L::splat(0.0f);
  for (int64_t t0 = 0; t0 < full; t0 += W) {
    V a[W], o[W];
    load_tile<L>(own + t0, steps, a);
    load_tile<L>(others + t0, steps, o);
    for (int i = 0; i < W; ++i) {
      V w;
      if constexpr (kForm == AaForm::kMean) {
        const int64_t t = t0 + i;
        if constexpr (kCurrent)
          w = (s + a[i]) / L::splat(static_cast<float>(t + 1));
        else
          w = t == 0 ? L::splat(0.0f) : s / L::splat(static_cast<float>(t));
        s += a[i];
      } else {
        w = kCurrent ? s + a[i] : g * s;
        s = g * (s + a[i]);
      }
      a[i] = a[i] + b * w * o[i];
    }
    store_tile<L>(out + t0, steps, a);
  }
  if (full < steps) {
    float carry[W];
    spill<L>(s, carry);
    for (int j = 0; j < W; ++j) {
      const int64_t o = j * steps + full;
      advantage_alignment_row(own + o, others + o, out + o, steps - full, beta, gamma, kCurrent, kForm, carry[j],
                              full);
    }
  }
}

}  // namespace dilemma::credit::lanes

#undef DLM_SHUFFLE

#endif  // DLM_CREDIT_LANES

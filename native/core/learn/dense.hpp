// Row kernels shared by the models: dense layers y = x W + b with W stored
// [in, out] (the ONNX writer's Gemm layout, element W[k * out + j]), their
// gradients, and the activations. The output index is innermost so loops run
// over contiguous memory and vectorise; every sum has a fixed order, so a
// row's result never depends on which thread computes it. The activations and
// the one-row affine map live in dense_math.hpp, shared with the CUDA kernels.
#pragma once

#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstring>

#include "dense_math.hpp"

namespace dilemma::learn::dense {

// G += x ⊗ dy for G [in, out]: the weight gradient of one row.
inline void add_outer(const float* __restrict x, int64_t in, const float* __restrict dy, int64_t out,
                      float* __restrict G) {
  for (int64_t k = 0; k < in; ++k) {
    const float xk = x[k];
    if (xk == 0.0f) continue;
    float* __restrict g = G + k * out;
    for (int64_t j = 0; j < out; ++j) g[j] += xk * dy[j];
  }
}

inline void add(const float* __restrict a, int64_t n, float* __restrict y) {
  for (int64_t j = 0; j < n; ++j) y[j] += a[j];
}

inline void zero(float* y, int64_t n) {
  for (int64_t j = 0; j < n; ++j) y[j] = 0.0f;
}

// WT [cols, rows] = W [rows, cols]ᵀ, so that dx = dy Wᵀ is again add_xw over
// contiguous rows instead of strided dot products.
inline void transpose(const float* __restrict W, int64_t rows, int64_t cols, float* __restrict WT) {
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c) WT[c * rows + r] = W[r * cols + c];
}

// True when every element is zero: masked rows carry no gradient.
inline bool all_zero(const float* a, int64_t n) {
  for (int64_t j = 0; j < n; ++j)
    if (a[j] != 0.0f) return false;
  return true;
}

}  // namespace dilemma::learn::dense

// --- Blocks of rows ---------------------------------------------------------
//
// The kernels below give every output element exactly the float operations
// of the row functions above, in the same order (the sum over inputs runs in
// input order, zero inputs skipped, one multiply and one add per term, never
// fused), so their results are bit for bit those of add_xw, affine and
// add_outer. They vectorise across outputs or across rows, never along a
// sum. They use the compilers' generic vector types, so one definition
// compiles to SSE (baseline x86-64: each 8-lane operation becomes two) or,
// inlined into a function marked target("avx2"), to AVX2. "avx2" does not
// enable FMA, so no multiply and add can fuse there either.
#if defined(__GNUC__) || defined(__clang__)
#define DLM_DENSE_BLOCKS 1
#else
#define DLM_DENSE_BLOCKS 0
#endif

#if DLM_DENSE_BLOCKS
// 32-byte vectors outside AVX functions are passed in memory; GCC warns about
// that ABI difference although nothing here is called out of line.
#pragma GCC diagnostic ignored "-Wpsabi"
#define DLM_DENSE_INLINE inline __attribute__((always_inline))

namespace dilemma::learn::dense::blocks {

constexpr int kLanes = 8;
typedef float V __attribute__((vector_size(32)));
typedef int32_t M __attribute__((vector_size(32)));

DLM_DENSE_INLINE V splat(float x) { return V{x, x, x, x, x, x, x, x}; }
DLM_DENSE_INLINE V load(const float* p) {
  V v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
DLM_DENSE_INLINE void store(float* p, const V& v) { std::memcpy(p, &v, sizeof v); }
// m ? a : b lane by lane, on the bits.
DLM_DENSE_INLINE V blend(const M& m, const V& a, const V& b) {
  return (V)(((M)a & m) | ((M)b & ~m));
}
// Which instruction set a kernel is inlined into: Base (baseline x86-64, or
// any other CPU) or Avx2 (only ever inside target("avx2") functions).
struct Base {};
struct Avx2 {};

// Whether the models may take their AVX2 kernels where the CPU has AVX2;
// false makes them take the baseline ones, so that tests check both on one
// machine. Both give the same bits.
inline std::atomic<bool>& avx2_allowed() {
  static std::atomic<bool> allowed{true};
  return allowed;
}

// Bit i set when lane i of m is set: one movmskps per half.
DLM_DENSE_INLINE int lane_bits(const M& m, Base) {
#if defined(__x86_64__) || defined(__i386__)
  typedef float V4 __attribute__((vector_size(16)));
  V4 lo, hi;
  std::memcpy(&lo, &m, sizeof lo);
  std::memcpy(&hi, reinterpret_cast<const char*>(&m) + sizeof lo, sizeof hi);
  return __builtin_ia32_movmskps(lo) | (__builtin_ia32_movmskps(hi) << 4);
#else
  int bits = 0;
  for (int i = 0; i < kLanes; ++i) bits |= (m[i] != 0) << i;
  return bits;
#endif
}
// The AVX form (vmovmskps on a whole register) is not declared outside
// AVX functions, and these kernels are not AVX functions until inlined.
DLM_DENSE_INLINE int lane_bits(const M& m, Avx2) { return lane_bits(m, Base{}); }

// Indices of the nonzero inputs among x[0, in), in order, into idx (room for
// in); returns their count. Eight inputs per compare, then one step per
// nonzero: one-hot observations are mostly zeros, ReLU outputs zero at random.
template <class Isa>
DLM_DENSE_INLINE int64_t nonzeros(const float* __restrict x, int64_t in, int32_t* __restrict idx) {
  int64_t n = 0, k = 0;
  for (; k + kLanes <= in; k += kLanes) {
    unsigned bits = static_cast<unsigned>(lane_bits(load(x + k) != splat(0.0f), Isa{}));
    if (bits == (1u << kLanes) - 1) {
      for (int i = 0; i < kLanes; ++i) idx[n + i] = static_cast<int32_t>(k + i);
      n += kLanes;
      continue;
    }
    while (bits) {
      idx[n++] = static_cast<int32_t>(k + __builtin_ctz(bits));
      bits &= bits - 1;
    }
  }
  for (; k < in; ++k) {
    idx[n] = static_cast<int32_t>(k);
    n += x[k] != 0.0f;
  }
  return n;
}

// y[j0, j1) = b[j0, j1) + Σ over idx[0, n) of x[k] W[k, j0..j1) for one row:
// affine (b null: add_xw onto zeros) restricted to columns j0..j1 with
// j1 - j0 a multiple of 8; W has `out` columns. The columns' accumulators
// stay in registers over the whole sum, 32 columns at a time.
DLM_DENSE_INLINE void affine_row(const float* __restrict x, const int32_t* __restrict idx, int64_t n,
                                 const float* __restrict W, const float* __restrict b, int64_t out, int64_t j0,
                                 int64_t j1, float* __restrict y) {
  int64_t j = j0;
  for (; j + 4 * kLanes <= j1; j += 4 * kLanes) {
    V a[4];
    for (int q = 0; q < 4; ++q) a[q] = b ? load(b + j + q * kLanes) : splat(0.0f);
    for (int64_t t = 0; t < n; ++t) {
      const int64_t k = idx[t];
      const V xs = splat(x[k]);
      const float* w = W + k * out + j;
      for (int q = 0; q < 4; ++q) a[q] = a[q] + xs * load(w + q * kLanes);
    }
    for (int q = 0; q < 4; ++q) store(y + j + q * kLanes, a[q]);
  }
  for (; j + kLanes <= j1; j += kLanes) {
    V a = b ? load(b + j) : splat(0.0f);
    for (int64_t t = 0; t < n; ++t) {
      const int64_t k = idx[t];
      a = a + splat(x[k]) * load(W + k * out + j);
    }
    store(y + j, a);
  }
}

#if defined(__clang__)
#define DLM_DENSE_SHUFFLE(a, b, ...) __builtin_shufflevector(a, b, __VA_ARGS__)
#else
#define DLM_DENSE_SHUFFLE(a, b, ...) __builtin_shuffle(a, b, M{__VA_ARGS__})
#endif

// The 8 x 8 tile r[0..8) transposed in registers: unpack pairs, then
// quadruples, then halves (unpcklps/unpckhps, shufps, vperm2f128 on AVX).
DLM_DENSE_INLINE void transpose8(V* r) {
  V t[8], u[8];
  for (int i = 0; i < 8; i += 2) {
    t[i] = DLM_DENSE_SHUFFLE(r[i], r[i + 1], 0, 8, 1, 9, 4, 12, 5, 13);
    t[i + 1] = DLM_DENSE_SHUFFLE(r[i], r[i + 1], 2, 10, 3, 11, 6, 14, 7, 15);
  }
  for (int i = 0; i < 8; i += 4) {
    u[i] = DLM_DENSE_SHUFFLE(t[i], t[i + 2], 0, 1, 8, 9, 4, 5, 12, 13);
    u[i + 1] = DLM_DENSE_SHUFFLE(t[i], t[i + 2], 2, 3, 10, 11, 6, 7, 14, 15);
    u[i + 2] = DLM_DENSE_SHUFFLE(t[i + 1], t[i + 3], 0, 1, 8, 9, 4, 5, 12, 13);
    u[i + 3] = DLM_DENSE_SHUFFLE(t[i + 1], t[i + 3], 2, 3, 10, 11, 6, 7, 14, 15);
  }
  for (int i = 0; i < 4; ++i) {
    r[i] = DLM_DENSE_SHUFFLE(u[i], u[i + 4], 0, 1, 2, 3, 8, 9, 10, 11);
    r[i + 4] = DLM_DENSE_SHUFFLE(u[i], u[i + 4], 4, 5, 6, 7, 12, 13, 14, 15);
  }
}

// xt[k * 8 + r] = x[r * stride + k] for k < in, rows r < n (n <= 8); the
// lanes of missing rows are zero. Only copies: no arithmetic to keep.
DLM_DENSE_INLINE void transpose_rows(const float* __restrict x, int64_t stride, int64_t n, int64_t in,
                                     float* __restrict xt) {
  int64_t k = 0;
  if (n == kLanes) {
    for (; k + kLanes <= in; k += kLanes) {
      V r[kLanes];
      for (int i = 0; i < kLanes; ++i) r[i] = load(x + i * stride + k);
      transpose8(r);
      for (int i = 0; i < kLanes; ++i) store(xt + (k + i) * kLanes, r[i]);
    }
  } else {
    for (int64_t c = 0; c < in; ++c) store(xt + c * kLanes, splat(0.0f));
  }
  for (int64_t r = 0; r < n; ++r)
    for (int64_t c = k; c < in; ++c) xt[c * kLanes + r] = x[r * stride + c];
}

// For rows r < n (n <= 8) given transposed as xt (transpose_rows), columns
// [j0, j1) of y = x W + b: each vector holds one column of 8 rows, so a
// narrow layer (the logits) still fills the lanes. Rows whose input k is
// zero keep their sum unchanged, as affine skips it.
template <int J, class Isa>
DLM_DENSE_INLINE void affine_columns(const float* __restrict xt, int64_t in, const float* __restrict W,
                                     const float* __restrict b, int64_t out, int64_t j, int64_t n,
                                     float* __restrict y, int64_t y_stride) {
  V a[J];
  for (int q = 0; q < J; ++q) a[q] = splat(b[j + q]);
  for (int64_t k = 0; k < in; ++k) {
    const V xv = load(xt + k * kLanes);
    const M m = xv != splat(0.0f);
    const int bits = lane_bits(m, Isa{});
    const float* w = W + k * out + j;
    if (bits == (1 << kLanes) - 1) {
      for (int q = 0; q < J; ++q) a[q] = a[q] + xv * splat(w[q]);
    } else if (bits != 0) {
      for (int q = 0; q < J; ++q) a[q] = blend(m, a[q] + xv * splat(w[q]), a[q]);
    }
  }
  for (int q = 0; q < J; ++q)
    for (int64_t r = 0; r < n; ++r) y[r * y_stride + j + q] = a[q][r];
}

template <class Isa>
DLM_DENSE_INLINE void affine_columns_all(const float* __restrict xt, int64_t in, const float* __restrict W,
                                         const float* __restrict b, int64_t out, int64_t j0, int64_t j1, int64_t n,
                                         float* __restrict y, int64_t y_stride) {
  int64_t j = j0;
  for (; j + 4 <= j1; j += 4) affine_columns<4, Isa>(xt, in, W, b, out, j, n, y, y_stride);
  for (; j < j1; ++j) affine_columns<1, Isa>(xt, in, W, b, out, j, n, y, y_stride);
}

// G[k, j0..j1) += x[k] dy[j0..j1) for the nonzero x[k] listed in idx, for
// one row, j1 - j0 a multiple of 8: add_outer restricted to those columns.
DLM_DENSE_INLINE void add_outer_row(const float* __restrict x, const int32_t* __restrict idx, int64_t n,
                                    const float* __restrict dy, int64_t out, int64_t j0, int64_t j1,
                                    float* __restrict G) {
  int64_t j = j0;
  for (; j + 4 * kLanes <= j1; j += 4 * kLanes) {
    V d[4];
    for (int q = 0; q < 4; ++q) d[q] = load(dy + j + q * kLanes);
    for (int64_t t = 0; t < n; ++t) {
      const int64_t k = idx[t];
      const V xs = splat(x[k]);
      float* g = G + k * out + j;
      for (int q = 0; q < 4; ++q) store(g + q * kLanes, load(g + q * kLanes) + xs * d[q]);
    }
  }
  for (; j + kLanes <= j1; j += kLanes) {
    const V d = load(dy + j);
    for (int64_t t = 0; t < n; ++t) {
      const int64_t k = idx[t];
      float* g = G + k * out + j;
      store(g, load(g) + splat(x[k]) * d);
    }
  }
}

// The gradient of columns j..j+J of a narrow layer with the inputs along the
// lanes: gt[q * in8 + k] holds G[k, j + q] for k < in8 (a multiple of 8),
// transposed so that 8 inputs of one column share a vector; the rows
// x_r = x(i), dy_r = dy(i) for i < m are added in order, each skipping its
// zero inputs as add_outer does.
template <int J, class Isa, class X, class D>
DLM_DENSE_INLINE void add_outer_columns(int64_t m, X&& x, D&& dy, int64_t in8, int64_t j, float* __restrict gt) {
  for (int64_t k = 0; k < in8; k += kLanes) {
    V a[J];
    for (int q = 0; q < J; ++q) a[q] = load(gt + q * in8 + k);
    for (int64_t i = 0; i < m; ++i) {
      const V xv = load(x(i) + k);
      const M mask = xv != splat(0.0f);
      const int bits = lane_bits(mask, Isa{});
      const float* d = dy(i) + j;
      if (bits == (1 << kLanes) - 1) {
        for (int q = 0; q < J; ++q) a[q] = a[q] + xv * splat(d[q]);
      } else if (bits != 0) {
        for (int q = 0; q < J; ++q) a[q] = blend(mask, a[q] + xv * splat(d[q]), a[q]);
      }
    }
    for (int q = 0; q < J; ++q) store(gt + q * in8 + k, a[q]);
  }
}

}  // namespace dilemma::learn::dense::blocks
#endif

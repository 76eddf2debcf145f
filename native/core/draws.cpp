#include "draws.hpp"

#include <algorithm>
#include <atomic>

// The wider paths are compiled under GCC's target pragmas (clang builds take
// the scalar loop, which it vectorises for the build's own target).
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#include <immintrin.h>
#define DILEMMA_DRAWS_SIMD 1
#endif

namespace dilemma::rng {

namespace {

// Which counter word runs over the block: the stream (environments) or the
// step (rounds of one environment).
enum class Run { kStreams, kSteps };

// One counter at a time: the reference every wider path must match.
void planes_scalar(Run run, uint64_t seed, uint32_t stream, int64_t j0, int64_t n, uint32_t episode, uint32_t step,
                   uint32_t c3, uint32_t first, int count, float* out) {
  for (int64_t j = j0; j < n; ++j) {
    const uint32_t dj = static_cast<uint32_t>(j);
    const U32x4 r = run == Run::kStreams ? philox4x32(seed, stream + dj, episode, step, c3)
                                         : philox4x32(seed, stream, episode, step + dj, c3);
    for (int w = 0; w < count; ++w) out[w * n + j] = to_unit_float(r.v[first + w]);
  }
}

#ifdef DILEMMA_DRAWS_SIMD
// Where a block of counters runs: its first counter and the words it writes.
struct Block {
  Run run;
  uint64_t seed;
  uint32_t stream, episode, step, c3, first;
  int count;
  int64_t n;
  float* out;
};

// Philox4x32-10 for N registers of consecutive counters, one counter per
// 32-bit lane: the same integer arithmetic as philox4x32, so the same bits.
// A round is a chain of multiply, shift, blend and xor that takes several
// times its issue slots; N registers in flight overlap their chains. V is a
// vector width (Lanes8, Lanes16 below); the template is instantiated where
// that width's instruction set is enabled.
template <class V, int N>
inline void philox_lanes(const Block& b, int64_t j) {
  using I = typename V::I;
  const I m0 = V::set1(0xD2511F53u), m1 = V::set1(0xCD9E8D57u);
  I x[N][4];
  for (int i = 0; i < N; ++i) {
    const uint32_t dj = static_cast<uint32_t>(j + V::kLanes * i);
    const bool streams = b.run == Run::kStreams;
    x[i][0] = streams ? V::add(V::set1(b.stream + dj), V::lane_index()) : V::set1(b.stream);
    x[i][1] = V::set1(b.episode);
    x[i][2] = streams ? V::set1(b.step) : V::add(V::set1(b.step + dj), V::lane_index());
    x[i][3] = V::set1(b.c3);
  }
  uint32_t k0 = static_cast<uint32_t>(b.seed), k1 = static_cast<uint32_t>(b.seed >> 32);
#pragma GCC unroll 10
  for (int round = 0; round < 10; ++round) {
    const I key0 = V::set1(k0), key1 = V::set1(k1);
    for (int i = 0; i < N; ++i) {
      // 64-bit products of the even lanes and of the odd lanes; hi and lo
      // are their upper and lower halves put back in lane order.
      const I even0 = V::mul_even(x[i][0], m0), odd0 = V::mul_even(V::shr64(x[i][0]), m0);
      const I even1 = V::mul_even(x[i][2], m1), odd1 = V::mul_even(V::shr64(x[i][2]), m1);
      x[i][0] = V::xor3(V::odd_from(V::shr64(even1), odd1), x[i][1], key0);
      x[i][1] = V::odd_from(even1, V::shl64(odd1));
      x[i][2] = V::xor3(V::odd_from(V::shr64(even0), odd0), x[i][3], key1);
      x[i][3] = V::odd_from(even0, V::shl64(odd0));
    }
    k0 += 0x9E3779B9u;
    k1 += 0xBB67AE85u;
  }
  for (int i = 0; i < N; ++i)
    for (int w = 0; w < b.count; ++w) V::store_unit(b.out + w * b.n + j + V::kLanes * i, x[i][b.first + w]);
}

// Counters from j on, in registers of V's width, four registers at a time
// while they last; returns the first counter not covered.
template <class V>
int64_t blocks_of(const Block& b, int64_t j) {
  for (; j + 4 * V::kLanes <= b.n; j += 4 * V::kLanes) philox_lanes<V, 4>(b, j);
  for (; j + V::kLanes <= b.n; j += V::kLanes) philox_lanes<V, 1>(b, j);
  return j;
}

// Each width's instantiations must be explicit and inside its target region:
// they take the region's instruction set, where an implicit instantiation
// would take the file's baseline one.
#pragma GCC push_options
#pragma GCC target("avx2")
struct Lanes8 {
  using I = __m256i;
  static constexpr int kLanes = 8;
  static I set1(uint32_t v) { return _mm256_set1_epi32(static_cast<int>(v)); }
  static I lane_index() { return _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7); }
  static I add(I a, I b) { return _mm256_add_epi32(a, b); }
  static I mul_even(I a, I b) { return _mm256_mul_epu32(a, b); }
  static I shr64(I a) { return _mm256_srli_epi64(a, 32); }
  static I shl64(I a) { return _mm256_slli_epi64(a, 32); }
  static I odd_from(I even, I odd) { return _mm256_blend_epi32(even, odd, 0xAA); }
  static I xor3(I a, I b, I c) { return _mm256_xor_si256(_mm256_xor_si256(a, b), c); }
  static void store_unit(float* out, I x) {
    _mm256_storeu_ps(out, _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_srli_epi32(x, 8)), _mm256_set1_ps(1.0f / 16777216.0f)));
  }
};
template void philox_lanes<Lanes8, 4>(const Block&, int64_t);
template void philox_lanes<Lanes8, 1>(const Block&, int64_t);
template int64_t blocks_of<Lanes8>(const Block&, int64_t);
#pragma GCC pop_options

#pragma GCC push_options
#pragma GCC target("avx512f")
// GCC 12's AVX-512 headers start several intrinsics from an undefined
// register, which -Wuninitialized reports at every use.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
struct Lanes16 {
  using I = __m512i;
  static constexpr int kLanes = 16;
  static I set1(uint32_t v) { return _mm512_set1_epi32(static_cast<int>(v)); }
  static I lane_index() { return _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15); }
  static I add(I a, I b) { return _mm512_add_epi32(a, b); }
  static I mul_even(I a, I b) { return _mm512_mul_epu32(a, b); }
  static I shr64(I a) { return _mm512_srli_epi64(a, 32); }
  static I shl64(I a) { return _mm512_slli_epi64(a, 32); }
  static I odd_from(I even, I odd) { return _mm512_mask_blend_epi32(0xAAAA, even, odd); }
  static I xor3(I a, I b, I c) { return _mm512_ternarylogic_epi32(a, b, c, 0x96); }
  static void store_unit(float* out, I x) {
    _mm512_storeu_ps(out, _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_srli_epi32(x, 8)), _mm512_set1_ps(1.0f / 16777216.0f)));
  }
};
template void philox_lanes<Lanes16, 4>(const Block&, int64_t);
template void philox_lanes<Lanes16, 1>(const Block&, int64_t);
template int64_t blocks_of<Lanes16>(const Block&, int64_t);
#pragma GCC diagnostic pop
#pragma GCC pop_options

Simd widest_simd() {
  static const Simd widest = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx2") ? Simd::kAvx512
                             : __builtin_cpu_supports("avx2")                                    ? Simd::kAvx2
                                                                                                  : Simd::kScalar;
  return widest;
}
#else
Simd widest_simd() { return Simd::kScalar; }
#endif

std::atomic<int> simd_cap{static_cast<int>(Simd::kAvx512)};

}  // namespace

namespace {

void planes(Run run, uint64_t seed, uint32_t stream, int64_t n, uint32_t episode, uint32_t step, Domain domain,
            uint32_t slot, int count, float* out) {
  const uint32_t c3 = slot_counter(domain, slot), first = slot & 3u;
  if (count > static_cast<int>(4 - first)) count = static_cast<int>(4 - first);
  int64_t done = 0;
#ifdef DILEMMA_DRAWS_SIMD
  const Simd simd = draw_simd();
  const Block block{run, seed, stream, episode, step, c3, first, count, n, out};
  if (simd >= Simd::kAvx512) done = blocks_of<Lanes16>(block, done);
  if (simd >= Simd::kAvx2) done = blocks_of<Lanes8>(block, done);
#endif
  planes_scalar(run, seed, stream, done, n, episode, step, c3, first, count, out);
}

}  // namespace

Simd draw_simd() { return std::min(widest_simd(), static_cast<Simd>(simd_cap.load(std::memory_order_relaxed))); }

void cap_draw_simd(Simd cap) { simd_cap.store(static_cast<int>(cap), std::memory_order_relaxed); }

void uniform_planes(uint64_t seed, uint32_t stream0, int64_t n, uint32_t episode, uint32_t step, Domain domain,
                    uint32_t slot, int count, float* out) {
  planes(Run::kStreams, seed, stream0, n, episode, step, domain, slot, count, out);
}

void uniform_steps(uint64_t seed, uint32_t stream, uint32_t episode, uint32_t step0, int64_t n, Domain domain,
                   uint32_t slot, int count, float* out) {
  planes(Run::kSteps, seed, stream, n, episode, step0, domain, slot, count, out);
}

}  // namespace dilemma::rng

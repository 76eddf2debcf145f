#include "draws.hpp"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define DILEMMA_DRAWS_AVX2 1
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

#ifdef DILEMMA_DRAWS_AVX2
// hi and lo 32 bits of m * x in every lane.
__attribute__((target("avx2"), always_inline)) inline __m256i mulhilo(__m256i x, __m256i m, __m256i* hi) {
  const __m256i even = _mm256_srli_epi64(_mm256_mul_epu32(x, m), 32);
  const __m256i odd = _mm256_mul_epu32(_mm256_srli_epi64(x, 32), m);
  *hi = _mm256_blend_epi32(even, odd, 0xAA);
  return _mm256_mullo_epi32(x, m);
}

// Philox4x32-10 for eight consecutive counters in the lanes of 256-bit
// registers: the same integer arithmetic as philox4x32, so the same bits.
// Returns how many counters it covered (a multiple of eight).
__attribute__((target("avx2"))) int64_t planes_avx2(Run run, uint64_t seed, uint32_t stream, int64_t n,
                                                     uint32_t episode, uint32_t step, uint32_t c3, uint32_t first,
                                                     int count, float* out) {
  const __m256i m0 = _mm256_set1_epi32(static_cast<int>(0xD2511F53u));
  const __m256i m1 = _mm256_set1_epi32(static_cast<int>(0xCD9E8D57u));
  const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  const __m256 scale = _mm256_set1_ps(1.0f / 16777216.0f);
  int64_t j = 0;
  for (; j + 8 <= n; j += 8) {
    const uint32_t dj = static_cast<uint32_t>(j);
    __m256i x0 = _mm256_set1_epi32(static_cast<int>(run == Run::kStreams ? stream + dj : stream));
    __m256i x1 = _mm256_set1_epi32(static_cast<int>(episode));
    __m256i x2 = _mm256_set1_epi32(static_cast<int>(run == Run::kSteps ? step + dj : step));
    if (run == Run::kStreams)
      x0 = _mm256_add_epi32(x0, lane);
    else
      x2 = _mm256_add_epi32(x2, lane);
    __m256i x3 = _mm256_set1_epi32(static_cast<int>(c3));
    uint32_t k0 = static_cast<uint32_t>(seed), k1 = static_cast<uint32_t>(seed >> 32);
    for (int round = 0; round < 10; ++round) {
      __m256i hi0, hi1;
      const __m256i lo0 = mulhilo(x0, m0, &hi0);
      const __m256i lo1 = mulhilo(x2, m1, &hi1);
      const __m256i y0 = _mm256_xor_si256(_mm256_xor_si256(hi1, x1), _mm256_set1_epi32(static_cast<int>(k0)));
      const __m256i y2 = _mm256_xor_si256(_mm256_xor_si256(hi0, x3), _mm256_set1_epi32(static_cast<int>(k1)));
      x0 = y0;
      x1 = lo1;
      x2 = y2;
      x3 = lo0;
      k0 += 0x9E3779B9u;
      k1 += 0xBB67AE85u;
    }
    const __m256i words[4] = {x0, x1, x2, x3};
    for (int w = 0; w < count; ++w) {
      const __m256 u = _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_srli_epi32(words[first + w], 8)), scale);
      _mm256_storeu_ps(out + w * n + j, u);
    }
  }
  return j;
}

bool has_avx2() {
  static const bool yes = __builtin_cpu_supports("avx2");
  return yes;
}
#endif

}  // namespace

namespace {

void planes(Run run, uint64_t seed, uint32_t stream, int64_t n, uint32_t episode, uint32_t step, Domain domain,
            uint32_t slot, int count, float* out) {
  const uint32_t c3 = slot_counter(domain, slot), first = slot & 3u;
  if (count > static_cast<int>(4 - first)) count = static_cast<int>(4 - first);
  int64_t done = 0;
#ifdef DILEMMA_DRAWS_AVX2
  if (has_avx2()) done = planes_avx2(run, seed, stream, n, episode, step, c3, first, count, out);
#endif
  planes_scalar(run, seed, stream, done, n, episode, step, c3, first, count, out);
}

}  // namespace

void uniform_planes(uint64_t seed, uint32_t stream0, int64_t n, uint32_t episode, uint32_t step, Domain domain,
                    uint32_t slot, int count, float* out) {
  planes(Run::kStreams, seed, stream0, n, episode, step, domain, slot, count, out);
}

void uniform_steps(uint64_t seed, uint32_t stream, uint32_t episode, uint32_t step0, int64_t n, Domain domain,
                   uint32_t slot, int count, float* out) {
  planes(Run::kSteps, seed, stream, n, episode, step0, domain, slot, count, out);
}

}  // namespace dilemma::rng

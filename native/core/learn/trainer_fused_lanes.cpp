#include "trainer_fused_lanes.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <limits>
#include <vector>

#include "../draws.hpp"
#include "../thread_scratch.hpp"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define DILEMMA_FUSED_AVX2 1
#endif

namespace dilemma::learn::fused_lanes {

namespace {
std::atomic<bool> enabled{true};
std::atomic<int64_t> taken{0};
}  // namespace

void set_enabled(bool on) { enabled = on; }
int64_t iterations_taken() { return taken; }
void count_iteration() { ++taken; }

float float_threshold(double p) {
  // The smallest float not below p: a float below it is below p.
  float f = static_cast<float>(p);
  if (static_cast<double>(f) < p) f = std::nextafter(f, std::numeric_limits<float>::infinity());
  return f;
}

#ifdef DILEMMA_FUSED_AVX2

bool available() {
  static const bool avx2 = __builtin_cpu_supports("avx2");
  return avx2 && enabled;
}

namespace {

// Ends: whether episodes may end before L steps (compiled apart, so that the
// common case masks nothing).
template <bool Ends>
__attribute__((target("avx2"))) void play_avx2(const Rollout& ep, int64_t b0, int64_t b1) {
  const int64_t n = b1 - b0, T = ep.T, Bp = ep.Bp, L = ep.L, blocks = (n + 7) / 8;
  float* const draws = thread_scratch<struct LaneDraws, float>(static_cast<size_t>(2 * n + 8));
  int32_t* const states = thread_scratch<struct LaneStates, int32_t>(static_cast<size_t>(blocks * 8));
  int32_t* const coops = thread_scratch<struct LaneCoop, int32_t>(static_cast<size_t>(blocks * 16));
  // The environment's draws (matrix::step's words: noise of each move, then
  // whether another round follows): [words][n] per step, environment j's
  // from its stream's; streams are environments, or groups when they share
  // their draws (common random numbers).
  const int words = ep.random_end ? 3 : ep.noisy ? 2 : 0;
  float* const env_draws =
      words ? thread_scratch<struct LaneEnvDraws, float>(static_cast<size_t>(words * n + 8)) : nullptr;
  const int64_t g0 = ep.groups ? ep.groups[b0] : 0, streams = ep.groups ? ep.groups[b1 - 1] - g0 + 1 : n;
  float* const stream_draws =
      words && ep.groups ? thread_scratch<struct LaneStreamDraws, float>(static_cast<size_t>(words * streams))
                         : nullptr;
  // Per lane: all ones while the episode lives, and the steps it lived.
  int32_t* const alive = thread_scratch<struct LaneAlive, int32_t>(static_cast<size_t>(blocks * 8));
  int32_t* const lived = thread_scratch<struct LaneLived, int32_t>(static_cast<size_t>(blocks * 8));
  // The last block reads up to 8 draws past the last plane: zeros.
  std::fill_n(draws + 2 * n, 8, 0.0f);
  if (env_draws) std::fill_n(env_draws + words * n, 8, 0.0f);
  const __m256 noise_below = _mm256_set1_ps(ep.noise_below), go_on_below = _mm256_set1_ps(ep.continue_below);
  std::fill_n(states, blocks * 8, 0);  // agent 0's state: 1 + joint, 0 before the first round
  std::fill_n(coops, blocks * 16, 0);
  std::fill_n(alive, blocks * 8, -1);
  std::fill_n(lived, blocks * 8, 0);
  const __m256 total[2] = {_mm256_loadu_ps(ep.total[0]), _mm256_loadu_ps(ep.total[1])};
  const __m256 e0[2] = {_mm256_loadu_ps(ep.e0[0]), _mm256_loadu_ps(ep.e0[1])};
  const float* rw = ep.rewards;
  const __m256 pay[2] = {_mm256_setr_ps(rw[0], rw[2], rw[4], rw[6], 0, 0, 0, 0),
                         _mm256_setr_ps(rw[1], rw[3], rw[5], rw[7], 0, 0, 0, 0)};
  // Agent 1 sees the joint move with the moves swapped: CD <-> DC.
  const __m256i other_side = _mm256_setr_epi32(0, 1, 3, 2, 4, 5, 6, 7);
  const __m256i one = _mm256_set1_epi32(1);
  for (int64_t t = 0; t < L; ++t) {
    rng::uniform_planes(ep.seed, static_cast<uint32_t>(b0), n, 0, static_cast<uint32_t>(t), rng::kSample, 0, 2,
                        draws);
    if (env_draws && !ep.groups)
      rng::uniform_planes(ep.seed, static_cast<uint32_t>(b0), n, 0, static_cast<uint32_t>(t), rng::kEnv, 0, words,
                          env_draws);
    if (env_draws && ep.groups) {
      rng::uniform_planes(ep.seed, static_cast<uint32_t>(g0), streams, 0, static_cast<uint32_t>(t), rng::kEnv, 0,
                          words, stream_draws);
      for (int w = 0; w < words; ++w)
        for (int64_t j = 0; j < n; ++j) env_draws[w * n + j] = stream_draws[w * streams + ep.groups[b0 + j] - g0];
    }
    // matrix::step draws whether another round follows before the last one.
    const bool may_end = Ends && t + 1 < L;
    for (int64_t k = 0; k < blocks; ++k) {
      const int64_t col = t * Bp + b0 + 8 * k;
      __m256i s[2];
      s[0] = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(states + 8 * k));
      s[1] = _mm256_permutevar8x32_epi32(other_side, s[0]);
      // Lanes whose episode ended play nothing: no return, code -1, no count.
      const __m256i live =
          Ends ? _mm256_loadu_si256(reinterpret_cast<const __m256i*>(alive + 8 * k)) : _mm256_set1_epi32(-1);
      __m256i move[2];
      for (int a = 0; a < 2; ++a) {
        // Action 0 when u * total falls below the first weight: the scalar
        // path's float product and comparison.
        const __m256 uu = _mm256_loadu_ps(draws + a * n + 8 * k);
        const __m256 below = _mm256_cmp_ps(_mm256_mul_ps(uu, _mm256_permutevar8x32_ps(total[a], s[a])),
                                           _mm256_permutevar8x32_ps(e0[a], s[a]), _CMP_LT_OQ);
        const __m256i zero_move = _mm256_castps_si256(below);
        move[a] = _mm256_andnot_si256(zero_move, one);
        __m256i* c = reinterpret_cast<__m256i*>(coops + 16 * k + 8 * a);
        _mm256_storeu_si256(c, _mm256_sub_epi32(_mm256_loadu_si256(c), _mm256_and_si256(zero_move, live)));
        if (ep.seat_of[a] >= 0)
          _mm256_storeu_si256(reinterpret_cast<__m256i*>(ep.codes + ep.seat_of[a] * T * Bp + col),
                              _mm256_or_si256(_mm256_add_epi32(_mm256_add_epi32(s[a], s[a]), move[a]),
                                              _mm256_xor_si256(live, _mm256_set1_epi32(-1))));
      }
      // Noise flips the move played (not the one sampled, which the codes
      // and cooperation counts keep) when the draw is below the noise.
      if (ep.noisy)
        for (int a = 0; a < 2; ++a) {
          const __m256 flip = _mm256_cmp_ps(_mm256_loadu_ps(env_draws + a * n + 8 * k), noise_below, _CMP_LT_OQ);
          move[a] = _mm256_xor_si256(move[a], _mm256_and_si256(_mm256_castps_si256(flip), one));
        }
      const __m256i joint = _mm256_add_epi32(_mm256_add_epi32(move[0], move[0]), move[1]);
      const __m256 paid = _mm256_castsi256_ps(live);
      _mm256_storeu_ps(ep.returns[0] + col, _mm256_and_ps(paid, _mm256_permutevar8x32_ps(pay[0], joint)));
      _mm256_storeu_ps(ep.returns[1] + col, _mm256_and_ps(paid, _mm256_permutevar8x32_ps(pay[1], joint)));
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(states + 8 * k), _mm256_add_epi32(joint, one));
      __m256i* steps = reinterpret_cast<__m256i*>(lived + 8 * k);
      _mm256_storeu_si256(steps, _mm256_sub_epi32(_mm256_loadu_si256(steps), live));
      if (may_end) {
        // Another round when the draw is below the continuation chance.
        const __m256 go_on = _mm256_cmp_ps(_mm256_loadu_ps(env_draws + 2 * n + 8 * k), go_on_below, _CMP_LT_OQ);
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(alive + 8 * k),
                            _mm256_and_si256(live, _mm256_castps_si256(go_on)));
      }
    }
  }
  const int64_t width = blocks * 8;
  for (int64_t t = L; t < T; ++t) {
    std::fill_n(ep.returns[0] + t * Bp + b0, width, 0.0f);
    std::fill_n(ep.returns[1] + t * Bp + b0, width, 0.0f);
    for (int a = 0; a < 2; ++a)
      if (ep.seat_of[a] >= 0) std::fill_n(ep.codes + ep.seat_of[a] * T * Bp + t * Bp + b0, width, -1);
  }
  const __m256 gamma = _mm256_set1_ps(ep.gamma);
  for (int64_t k = 0; k < blocks; ++k) {
    const int64_t b = b0 + 8 * k, count = std::min<int64_t>(8, b1 - b);
    __m256d lo[2], hi[2];
    for (int a = 0; a < 2; ++a) {
      float* r = ep.returns[a] + b;
      lo[a] = _mm256_setzero_pd();
      hi[a] = _mm256_setzero_pd();
      for (int64_t t = 0; t < T; ++t) {
        const __m256 v = _mm256_loadu_ps(r + t * Bp);
        lo[a] = _mm256_add_pd(lo[a], _mm256_cvtps_pd(_mm256_castps256_ps128(v)));
        hi[a] = _mm256_add_pd(hi[a], _mm256_cvtps_pd(_mm256_extractf128_ps(v, 1)));
      }
      __m256 acc = _mm256_setzero_ps();
      for (int64_t t = T - 1; t >= 0; --t) {
        acc = _mm256_add_ps(_mm256_loadu_ps(r + t * Bp), _mm256_mul_ps(gamma, acc));
        _mm256_storeu_ps(r + t * Bp, acc);
      }
    }
    // Episode returns and cooperation counts are [B, 2]: the two agents'
    // lanes interleaved in registers (reading single lanes back from a
    // spilled vector stalls on store forwarding).
    const __m256i c0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(coops + 16 * k));
    const __m256i c1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(coops + 16 * k + 8));
    const __m256i c_lo = _mm256_unpacklo_epi32(c0, c1), c_hi = _mm256_unpackhi_epi32(c0, c1);
    const __m256i pairs_c[2] = {_mm256_permute2x128_si256(c_lo, c_hi, 0x20),
                                _mm256_permute2x128_si256(c_lo, c_hi, 0x31)};
    __m256d pairs_r[4];
    for (int h = 0; h < 2; ++h) {
      const __m256d first = h ? hi[0] : lo[0], second = h ? hi[1] : lo[1];
      const __m256d even = _mm256_unpacklo_pd(first, second), odd = _mm256_unpackhi_pd(first, second);
      pairs_r[2 * h] = _mm256_permute2f128_pd(even, odd, 0x20);
      pairs_r[2 * h + 1] = _mm256_permute2f128_pd(even, odd, 0x31);
    }
    double* sums = ep.reward_sum + 2 * b;
    int32_t* coop = ep.coop + 2 * b;
    std::copy(lived + 8 * k, lived + 8 * k + count, ep.steps_lived + b);
    if (count == 8) {
      for (int q = 0; q < 4; ++q) _mm256_storeu_pd(sums + 4 * q, pairs_r[q]);
      for (int h = 0; h < 2; ++h) {
        __m256i* c = reinterpret_cast<__m256i*>(coop + 8 * h);
        _mm256_storeu_si256(c, _mm256_add_epi32(_mm256_loadu_si256(c), pairs_c[h]));
      }
      continue;
    }
    double tail_sums[16];
    int32_t tail_coop[16];
    for (int q = 0; q < 4; ++q) _mm256_storeu_pd(tail_sums + 4 * q, pairs_r[q]);
    for (int h = 0; h < 2; ++h) _mm256_storeu_si256(reinterpret_cast<__m256i*>(tail_coop + 8 * h), pairs_c[h]);
    for (int64_t i = 0; i < 2 * count; ++i) {
      sums[i] = tail_sums[i];
      coop[i] += tail_coop[i];
    }
  }
}

// Up to 4 * Q steps [t, t + n) of one group's environments [b, hi): 4 steps
// per register of double sums, eight environments per set of loads,
// transposed so that each environment's four steps are added in turn.
template <int Q>
__attribute__((target("avx2"), always_inline)) inline void group_columns(const float* rows, int64_t Bp, int64_t b,
                                                                         int64_t hi, int64_t t, int64_t n,
                                                                         double* s) {
  __m256d acc[Q];
  __m256 v[4 * Q];
  for (int q = 0; q < Q; ++q) {
    const __m256i in = _mm256_cmpgt_epi64(_mm256_set1_epi64x(n - 4 * q), _mm256_setr_epi64x(0, 1, 2, 3));
    acc[q] = _mm256_maskload_pd(s + t + 4 * q, in);
  }
  for (; b + 8 <= hi; b += 8) {
    for (int i = 0; i < 4 * Q; ++i) v[i] = i < n ? _mm256_loadu_ps(rows + (t + i) * Bp + b) : _mm256_setzero_ps();
    for (int q = 0; q < Q; ++q) {
      const __m256* w = v + 4 * q;
      const __m256 lo01 = _mm256_unpacklo_ps(w[0], w[1]), hi01 = _mm256_unpackhi_ps(w[0], w[1]);
      const __m256 lo23 = _mm256_unpacklo_ps(w[2], w[3]), hi23 = _mm256_unpackhi_ps(w[2], w[3]);
      // Environment j's four steps: j = 0..3 in the low halves, 4..7 in the high ones.
      const __m256 e[4] = {_mm256_shuffle_ps(lo01, lo23, 0x44), _mm256_shuffle_ps(lo01, lo23, 0xEE),
                           _mm256_shuffle_ps(hi01, hi23, 0x44), _mm256_shuffle_ps(hi01, hi23, 0xEE)};
      for (int j = 0; j < 4; ++j) acc[q] = _mm256_add_pd(acc[q], _mm256_cvtps_pd(_mm256_castps256_ps128(e[j])));
      for (int j = 0; j < 4; ++j) acc[q] = _mm256_add_pd(acc[q], _mm256_cvtps_pd(_mm256_extractf128_ps(e[j], 1)));
    }
  }
  for (; b < hi; ++b)
    for (int q = 0; q < Q; ++q) {
      float col[4];
      for (int i = 0; i < 4; ++i) col[i] = 4 * q + i < n ? rows[(t + 4 * q + i) * Bp + b] : 0.0f;
      acc[q] = _mm256_add_pd(acc[q], _mm256_cvtps_pd(_mm_loadu_ps(col)));
    }
  for (int q = 0; q < Q; ++q) {
    const __m256i in = _mm256_cmpgt_epi64(_mm256_set1_epi64x(n - 4 * q), _mm256_setr_epi64x(0, 1, 2, 3));
    _mm256_maskstore_pd(s + t + 4 * q, in, acc[q]);
  }
}

__attribute__((target("avx2"))) void group_sums_avx2(const float* rows, int64_t B, int64_t Bp, int64_t T,
                                                     int64_t group_size, int64_t t0, int64_t t1, double* sums) {
  for (int64_t lo = 0, g = 0; lo < B; lo += group_size, ++g) {
    const int64_t hi = std::min(B, lo + group_size);
    // Twelve steps at a time: three independent chains of additions.
    for (int64_t t = t0; t < t1; t += 12) {
      const int64_t n = std::min<int64_t>(12, t1 - t);
      if (n > 8)
        group_columns<3>(rows, Bp, lo, hi, t, n, sums + g * T);
      else if (n > 4)
        group_columns<2>(rows, Bp, lo, hi, t, n, sums + g * T);
      else
        group_columns<1>(rows, Bp, lo, hi, t, n, sums + g * T);
    }
  }
}

// Ends: whether episodes may end before L steps, as for play_avx2.
template <bool Ends>
__attribute__((target("avx2"))) void credit_avx2(const Credits& c, int64_t b0, int64_t b1, double* part,
                                                 double* abs_part) {
  const int64_t T = c.T, L = c.L, Bp = c.Bp, S = c.S;
  float* const advantages = thread_scratch<struct LaneAdvantages, float>(static_cast<size_t>(2 * L * 8));
  // Per (seat, step, lane): code * 2 + sign and code * 3 + class; the credit.
  int32_t* const sum_index = thread_scratch<struct LaneIndices, int32_t>(static_cast<size_t>(2 * S * L * 8));
  int32_t* const count_index = sum_index + S * L * 8;
  double* const credit_d = thread_scratch<struct LaneValues, double>(static_cast<size_t>(S * L * 8));
  // Per lane (environment b0 + 8i + j): its own sums, added together in
  // lane order at the end (kLaneSums in trainer_fused_lanes.hpp). The sums
  // of |credit| stay in registers, lanes 0-3 and 4-7.
  // Steps after an episode ended (code -1) go to one more bin, never read.
  double sums[8][kCodes * 2 + 1] = {};
  __m256d abs_lo = _mm256_setzero_pd(), abs_hi = _mm256_setzero_pd();
  int32_t counts[8][kCodes * 3 + 1] = {};
  const __m256i magnitude = _mm256_set1_epi32(0x7FFFFFFF), two = _mm256_set1_epi32(2);
  const __m256i sum_past = _mm256_set1_epi32(kCodes * 2), count_past = _mm256_set1_epi32(kCodes * 3);
  const __m256 abs_mask = _mm256_castsi256_ps(magnitude);
  const __m256 beta = _mm256_set1_ps(c.beta), gamma = _mm256_set1_ps(c.gamma);
  for (int64_t b = b0; b < b1; b += 8) {
    const int64_t count = std::min<int64_t>(8, b1 - b);
    int32_t offset[8];
    double less_one[8];
    int32_t single[8];
    for (int j = 0; j < 8; ++j) {
      const int64_t g = c.groups[std::min<int64_t>(b + j, b1 - 1)];
      const int64_t size = std::min<int64_t>(c.group_size, c.B - g * c.group_size);
      offset[j] = static_cast<int32_t>(g * T);
      less_one[j] = static_cast<double>(size - 1);
      single[j] = size <= 1 ? -1 : 0;
    }
    const bool one_group = offset[0] == offset[7];  // groups are contiguous ranges of environments
    const __m256d live_lo =
        _mm256_castsi256_pd(_mm256_cmpgt_epi64(_mm256_set1_epi64x(count), _mm256_setr_epi64x(0, 1, 2, 3)));
    const __m256d live_hi =
        _mm256_castsi256_pd(_mm256_cmpgt_epi64(_mm256_set1_epi64x(count), _mm256_setr_epi64x(4, 5, 6, 7)));
    const __m128i off_lo = _mm_loadu_si128(reinterpret_cast<const __m128i*>(offset));
    const __m128i off_hi = _mm_loadu_si128(reinterpret_cast<const __m128i*>(offset + 4));
    const __m256d n_lo = _mm256_loadu_pd(less_one), n_hi = _mm256_loadu_pd(less_one + 4);
    const __m256 keep = _mm256_castsi256_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(single)));
    // Leave-one-out advantages (credit::leave_one_out_element, in double).
    const __m256d zero_d = _mm256_setzero_pd(), all = _mm256_castsi256_pd(_mm256_set1_epi64x(-1));
    for (int a = 0; a < 2; ++a) {
      const double* base = c.group_sums + a * c.group_count * T;
      for (int64_t t = 0; t < L; ++t) {
        const __m256 v = _mm256_loadu_ps(c.returns[a] + t * Bp + b);
        // One group's sum is one broadcast; a block across groups gathers.
        const __m256d s_lo = one_group ? _mm256_broadcast_sd(base + offset[0] + t)
                                       : _mm256_mask_i32gather_pd(zero_d, base + t, off_lo, all, 8);
        const __m256d s_hi = one_group ? s_lo : _mm256_mask_i32gather_pd(zero_d, base + t, off_hi, all, 8);
        const __m256d v_lo = _mm256_cvtps_pd(_mm256_castps256_ps128(v)), v_hi = _mm256_cvtps_pd(_mm256_extractf128_ps(v, 1));
        const __m256d r_lo = _mm256_sub_pd(v_lo, _mm256_div_pd(_mm256_sub_pd(s_lo, v_lo), n_lo));
        const __m256d r_hi = _mm256_sub_pd(v_hi, _mm256_div_pd(_mm256_sub_pd(s_hi, v_hi), n_hi));
        const __m256 r = _mm256_set_m128(_mm256_cvtpd_ps(r_hi), _mm256_cvtpd_ps(r_lo));
        _mm256_storeu_ps(advantages + (a * L + t) * 8, _mm256_blendv_ps(r, v, keep));
      }
    }
    // Credits of each learner seat (the row functions of credit_math.hpp),
    // then the indices and values the sums take.
    for (int64_t k = 0; k < S; ++k) {
      const int a = c.seats[k];
      const float *own = advantages + a * L * 8, *others = advantages + (1 - a) * L * 8;
      const int32_t* code_row = c.codes + k * T * Bp + b;
      __m256 s = _mm256_setzero_ps();
      for (int64_t t = 0; t < L; ++t) {
        const __m256 o = _mm256_loadu_ps(own + t * 8), x = _mm256_loadu_ps(others + t * 8);
        __m256 cr;
        switch (c.algorithm) {
          case Algorithm::kNaive: cr = o; break;
          case Algorithm::kSumOfRewards: cr = _mm256_add_ps(o, x); break;
          default: {
            __m256 w;
            if (c.form == credit::AaForm::kMean) {
              if (c.include_current)
                w = _mm256_div_ps(_mm256_add_ps(s, o), _mm256_set1_ps(static_cast<float>(t + 1)));
              else
                w = t == 0 ? _mm256_setzero_ps() : _mm256_div_ps(s, _mm256_set1_ps(static_cast<float>(t)));
              s = _mm256_add_ps(s, o);
            } else {
              w = c.include_current ? _mm256_add_ps(s, o) : _mm256_mul_ps(gamma, s);
              s = _mm256_mul_ps(gamma, _mm256_add_ps(s, o));
            }
            cr = _mm256_add_ps(o, _mm256_mul_ps(_mm256_mul_ps(beta, w), x));
          }
        }
        const __m256i bits = _mm256_castps_si256(cr);
        const __m256i sign = _mm256_srli_epi32(bits, 31);
        const __m256i zero = _mm256_cmpeq_epi32(_mm256_and_si256(bits, magnitude), _mm256_setzero_si256());
        const __m256i code = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(code_row + t * Bp));
        const __m256i code2 = _mm256_add_epi32(code, code);
        const int64_t e = (k * L + t) * 8;
        // A step after the episode ended (code -1) counts in the bins past
        // the codes' and adds nothing to |credit|.
        const __m256i ended = Ends ? _mm256_cmpgt_epi32(_mm256_setzero_si256(), code) : _mm256_setzero_si256();
        // A zero credit goes to the negative sum when its sign bit is set:
        // -0 there, as the scalar path adds, and nothing else changes.
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(sum_index + e),
                            _mm256_blendv_epi8(_mm256_add_epi32(code2, sign), sum_past, ended));
        _mm256_storeu_si256(
            reinterpret_cast<__m256i*>(count_index + e),
            _mm256_blendv_epi8(_mm256_add_epi32(_mm256_add_epi32(code2, code), _mm256_blendv_epi8(sign, two, zero)),
                               count_past, ended));
        const __m256 mag = _mm256_andnot_ps(_mm256_castsi256_ps(ended), _mm256_and_ps(cr, abs_mask));
        _mm256_storeu_pd(credit_d + e, _mm256_cvtps_pd(_mm256_castps256_ps128(cr)));
        _mm256_storeu_pd(credit_d + e + 4, _mm256_cvtps_pd(_mm256_extractf128_ps(cr, 1)));
        // Lanes past the batch add +0 (the sums are never -0, so the bits stay).
        abs_lo = _mm256_add_pd(abs_lo, _mm256_and_pd(live_lo, _mm256_cvtps_pd(_mm256_castps256_ps128(mag))));
        abs_hi = _mm256_add_pd(abs_hi, _mm256_and_pd(live_hi, _mm256_cvtps_pd(_mm256_extractf128_ps(mag, 1))));
      }
    }
    // Each lane's sums take its environment's credits in the scalar path's
    // order (seat, step); the eight lanes' chains are independent.
    for (int64_t e = 0; e < S * L * 8; e += 8)
      for (int64_t j = 0; j < count; ++j) sums[j][sum_index[e + j]] += credit_d[e + j];
    // Counts are exact in any order: one histogram per lane, so that
    // repeated codes do not wait on each other's increments.
    for (int64_t e = 0; e < S * L * 8; e += 8)
      for (int64_t j = 0; j < count; ++j) ++counts[j][count_index[e + j]];
  }
  for (int j = 1; j < 8; ++j)
    for (int i = 0; i < kCodes * 3; ++i) counts[0][i] += counts[j][i];
  for (int code = 0; code < kCodes; ++code) {
    double* q = part + code * 5;
    for (int j = 0; j < kLaneSums; ++j) {
      q[0] += sums[j][code * 2];
      q[1] += sums[j][code * 2 + 1];
    }
    for (int f = 0; f < 3; ++f) q[2 + f] += counts[0][code * 3 + f];
  }
  double abs_sums[8];
  _mm256_storeu_pd(abs_sums, abs_lo);
  _mm256_storeu_pd(abs_sums + 4, abs_hi);
  for (int j = 0; j < kLaneSums; ++j) *abs_part += abs_sums[j];
}

}  // namespace

void play(const Rollout& ep, int64_t b0, int64_t b1) {
  if (ep.random_end)
    play_avx2<true>(ep, b0, b1);
  else
    play_avx2<false>(ep, b0, b1);
}
void credit_chunk(const Credits& c, int64_t b0, int64_t b1, double* part, double* abs_part) {
  if (c.random_end)
    credit_avx2<true>(c, b0, b1, part, abs_part);
  else
    credit_avx2<false>(c, b0, b1, part, abs_part);
}
void group_sums(const float* rows, int64_t B, int64_t Bp, int64_t T, int64_t group_size, int64_t t0, int64_t t1,
                double* sums) {
  group_sums_avx2(rows, B, Bp, T, group_size, t0, t1, sums);
}

#else

bool available() { return false; }
void play(const Rollout&, int64_t, int64_t) {}
void credit_chunk(const Credits&, int64_t, int64_t, double*, double*) {}
void group_sums(const float*, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, double*) {}

#endif

}  // namespace dilemma::learn::fused_lanes

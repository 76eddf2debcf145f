// The fused matrix-game iteration's rollout and credit pass for its most
// common case, eight environments per AVX2 register: memory-1 history read
// directly as the tabular state (5 states), two agents, with or without
// move noise and random episode ends. Every lane
// performs the scalar path's float and double operations in the same order,
// so the results are its bits; trainer_fused.cpp keeps the scalar path for
// other cases and for CPUs without AVX2.
//
// The lane path keeps its per-step arrays step-major, [t][Bp] with the batch
// padded to whole registers (Bp), so that one step of eight environments is
// one load or store; the padding lanes are computed and never read back.
#pragma once

#include <cstdint>

#include "../credit_math.hpp"
#include "trainer.hpp"

namespace dilemma::learn::fused_lanes {

inline constexpr int kStates = 5;
inline constexpr int kCodes = kStates * 2;

// Whether the lane path runs here: the CPU has AVX2 and tests have not
// switched it off.
bool available();
// Tests switch the lane path off to compare it with the scalar path.
void set_enabled(bool on);
// Iterations that took the lane path, for tests.
int64_t iterations_taken();
void count_iteration();

// The row stride of the step-major arrays: the batch padded to an odd number
// of 64-byte lines. A pass over eight environments reads one line of every
// step's row; with a stride of a multiple of 4 KiB (a batch of 1024, 2048,
// 4096 ...) all those lines would fall into the same L1 set and evict each
// other, while an odd stride spreads them over every set.
inline int64_t padded(int64_t B) {
  const int64_t lines = (B + 15) / 16;
  return (lines | 1) * 16;
}

struct Rollout {
  float total[2][8];  // per seat and state: the sampler's total weight (padding entries 1)
  float e0[2][8];     // and its first weight
  float rewards[8];   // the payoff table, rewards[2 * joint + player]
  uint64_t seed;
  int64_t B, Bp, T;
  int64_t L;  // steps an episode can live: min(T, rounds)
  float gamma;
  float* returns[2];  // [A][T, Bp]: rewards, turned into returns-to-go
  int32_t* codes;     // [S][T, Bp]: state * 2 + action of the learner's seats, -1 for padding steps
  int seat_of[2];
  int32_t* coop;         // [B, A]
  double* reward_sum;    // [B, A]
  int32_t* steps_lived;  // [B]
  // Move noise: a move flips when its environment draw (float) is below
  // noise_below; another round follows (before the last) when that step's
  // draw is below continue_below: the float comparisons that equal
  // matrix::step's in double.
  bool noisy = false, random_end = false;
  float noise_below = 0.0f, continue_below = 1.0f;
  // Environment streams, group ids that never decrease along the batch
  // (groups are contiguous ranges of environments); null: stream = environment.
  const int32_t* groups = nullptr;
};

// The float f with u < f exactly when double(u) < p, for every float u.
float float_threshold(double p);

// Plays environments [b0, b1) (b0 a multiple of 8) together.
void play(const Rollout& ep, int64_t b0, int64_t b1);

// Group sums of step-major rows ([T, Bp]) for steps [t0, t1): sums[g * T + t]
// += rows[t * Bp + b] over the environments b of group g (b / group_size),
// in order of b and in double: the scalar loop's additions, so its bits.
void group_sums(const float* rows, int64_t B, int64_t Bp, int64_t T, int64_t group_size, int64_t t0, int64_t t1,
                double* sums);

struct Credits {
  const float* returns[2];  // [A][T, Bp] returns-to-go
  const int32_t* codes;     // [S][T, Bp]
  const int32_t* groups;    // [B]
  const double* group_sums;  // [A][groups][T]
  int64_t group_count, group_size, B, Bp, T, L;
  int S;
  int seats[2];
  Algorithm algorithm;
  float beta, gamma;
  bool include_current;
  credit::AaForm form;
  bool random_end = false;  // episodes may end before L steps: codes -1 after the end
};

// The credit sums of a chunk of environments [b0, b1) are taken in
// kLaneSums partial sums: environment b0 + i goes to partial i % kLaneSums,
// which adds its credits in order of environment, seat and step; the chunk's
// sum is then partial 0 + partial 1 + ... in that order. Double addition
// depends on the order, so the scalar path and the lane path both take this
// one (and it does not depend on the thread count: chunks are fixed); eight
// independent chains instead of one keep the additions from waiting on each
// other.
inline constexpr int kLaneSums = 8;

// Advantages and credits of environments [b0, b1) (b0 a multiple of 8) and
// their sums per (state, action) into part (kCodes * 5 doubles, zero on
// entry: positive and negative credit sums, counts of positive, negative
// and zero credits), the sum of |credit| into *abs_part (zero on entry),
// both in the order of kLaneSums.
void credit_chunk(const Credits& c, int64_t b0, int64_t b1, double* part, double* abs_part);

}  // namespace dilemma::learn::fused_lanes

// Counter-based random numbers (Philox4x32-10). A draw is a pure function of
// (seed, counter), so every environment and every agent gets the same numbers
// whatever thread or device computes them.
#pragma once

#include <cstdint>

#include "hd.hpp"

namespace dilemma::rng {

struct U32x4 {
  uint32_t v[4];
};

DLM_HD uint32_t mulhilo(uint32_t a, uint32_t b, uint32_t* hi) {
  const uint64_t p = static_cast<uint64_t>(a) * static_cast<uint64_t>(b);
  *hi = static_cast<uint32_t>(p >> 32);
  return static_cast<uint32_t>(p);
}

DLM_HD U32x4 philox4x32(uint64_t seed, uint32_t c0, uint32_t c1, uint32_t c2, uint32_t c3) {
  constexpr uint32_t kM0 = 0xD2511F53u, kM1 = 0xCD9E8D57u;
  constexpr uint32_t kW0 = 0x9E3779B9u, kW1 = 0xBB67AE85u;
  uint32_t k0 = static_cast<uint32_t>(seed), k1 = static_cast<uint32_t>(seed >> 32);
  uint32_t x0 = c0, x1 = c1, x2 = c2, x3 = c3;
  for (int round = 0; round < 10; ++round) {
    uint32_t hi0, hi1;
    const uint32_t lo0 = mulhilo(kM0, x0, &hi0);
    const uint32_t lo1 = mulhilo(kM1, x2, &hi1);
    const uint32_t y0 = hi1 ^ x1 ^ k0;
    const uint32_t y1 = lo1;
    const uint32_t y2 = hi0 ^ x3 ^ k1;
    const uint32_t y3 = lo0;
    x0 = y0; x1 = y1; x2 = y2; x3 = y3;
    k0 += kW0;
    k1 += kW1;
  }
  return U32x4{{x0, x1, x2, x3}};
}

// Uniform in [0, 1) with 24 random bits: exactly representable in float32.
DLM_HD float to_unit_float(uint32_t x) { return static_cast<float>(x >> 8) * (1.0f / 16777216.0f); }

// What a draw is for. Part of the counter, so that the environment's numbers
// and each policy's numbers never overlap.
enum Domain : uint32_t {
  kEnv = 1,
  kSample = 2,
  kScripted = 3,
  kInit = 4,
};

// The Philox counter and word of a draw: slots 4k..4k+3 of one (seed, stream,
// episode, step, domain) share one Philox call, one 32-bit word each, so a
// caller that needs several draws at once (both agents' samples, a step's
// noise and continuation) pays for one call. Slot 0 maps to word 0 of the
// counter the one-call-per-draw scheme used, so its draws are unchanged.
DLM_HD uint32_t slot_counter(Domain domain, uint32_t slot) {
  return (static_cast<uint32_t>(domain) << 24) | ((slot >> 2) & 0xFFFFFFu);
}

// The four words of (seed, stream, episode, step, domain, slots 4k..4k+3).
DLM_HD U32x4 words(uint64_t seed, uint32_t stream, uint32_t episode, uint32_t step, Domain domain, uint32_t slot) {
  return philox4x32(seed, stream, episode, step, slot_counter(domain, slot));
}

// One uniform for (seed, stream, episode, step, domain, slot); slot < 2^26.
DLM_HD float uniform(uint64_t seed, uint32_t stream, uint32_t episode, uint32_t step, Domain domain, uint32_t slot) {
  return to_unit_float(words(seed, stream, episode, step, domain, slot).v[slot & 3u]);
}

}  // namespace dilemma::rng

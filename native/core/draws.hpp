// Counter-based draws for a block of environments at one step: independent
// Philox counters in the lanes of vector registers (AVX-512 or AVX2 where
// the CPU has them, chosen at load). The integer arithmetic gives the same
// bits on every path.
#pragma once

#include <cstdint>

#include "rng.hpp"

namespace dilemma::rng {

// The instruction sets the block draws take, narrowest first.
enum class Simd { kScalar = 0, kAvx2 = 1, kAvx512 = 2 };

// The widest set this CPU has, at most the cap (tests lower the cap to check
// each narrower path against the scalar one; the default cap is kAvx512).
Simd draw_simd();
void cap_draw_simd(Simd cap);

// For environments (streams) stream0 .. stream0 + n - 1 at (episode, step):
// the uniforms of slots slot .. slot + count - 1 (count in 1..4, all in the
// same group of four, so one Philox call per environment), written as
// planes: out[w * n + j] is slot + w of environment j.
void uniform_planes(uint64_t seed, uint32_t stream0, int64_t n, uint32_t episode, uint32_t step, Domain domain,
                    uint32_t slot, int count, float* out);

// The same for one stream at steps step0 .. step0 + n - 1 (one environment's
// draws for a block of rounds): out[w * n + j] is slot + w at step0 + j.
void uniform_steps(uint64_t seed, uint32_t stream, uint32_t episode, uint32_t step0, int64_t n, Domain domain,
                   uint32_t slot, int count, float* out);

}  // namespace dilemma::rng

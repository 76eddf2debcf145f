// The two sources of uniforms the reference loops compare: a sequential
// xorshift32 (the cheapest generator a hand-written loop would use) and the
// engine's counter-based Philox draws, called through the engine's header so
// that the loops follow however it keys its draws.
#pragma once

#include <cstdint>

namespace dilemma::reference {

// Marsaglia's xorshift32 (shifts 13, 17, 5) in [0, 1), 32 bits; the TypeScript
// baselines use the same generator, so their sequences agree draw for draw.
struct Xorshift32 {
  uint32_t s;
  double next() {
    s ^= s << 13;
    s ^= s >> 17;
    s ^= s << 5;
    return static_cast<double>(s) / 4294967296.0;
  }
};

}  // namespace dilemma::reference

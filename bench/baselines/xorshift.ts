/**
 * Marsaglia's xorshift32 (shifts 13, 17, 5): period 2^32 − 1, a few integer
 * operations per draw, the plain baselines' generator. Not the engine's
 * counter-based one, so a baseline plays different games than the engine;
 * they are compared on what they compute, not draw by draw.
 */

/** Uniform numbers in [0, 1) from `seed | 1` (xorshift's one fixed point, 0, is never reached). */
export function xorshift32(seed: number): () => number {
  let s = seed | 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 4294967296;
  };
}

// Deterministic inputs for tests and benchmarks, so failures reproduce.

/** Deterministic uniform numbers in [lo, hi) (mulberry32). */
export function random(n: number, seed: number, lo = -1, hi = 1): Float32Array {
  let a = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let z = a;
    z = Math.imul(z ^ (z >>> 15), z | 1);
    z ^= z + Math.imul(z ^ (z >>> 7), z | 61);
    out[i] = lo + (hi - lo) * (((z ^ (z >>> 14)) >>> 0) / 4294967296);
  }
  return out;
}

/** Deterministic numbers in [-1, 1) from a linear congruential generator. */
export function lcgRandoms(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

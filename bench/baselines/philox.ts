/**
 * Philox4x32-10 in plain TypeScript: the engine's counter-based generator,
 * written independently, so a TypeScript loop can draw the very numbers the
 * native core draws (and tests can check that it does).
 */

/** High and low 32 bits of a 32 × 32-bit product, exact in float64 arithmetic. */
function mulhilo(a: number, b: number, out: Uint32Array, i: number): void {
  const al = a & 0xffff, ah = a >>> 16, bl = b & 0xffff, bh = b >>> 16;
  const p = al * bl, m1 = ah * bl, m2 = al * bh;
  const mid = (p >>> 16) + (m1 & 0xffff) + (m2 & 0xffff);
  out[i] = ah * bh + (m1 >>> 16) + (m2 >>> 16) + Math.floor(mid / 65536); // high
  out[i + 1] = Math.imul(a, b) >>> 0; // low
}

const M0 = 0xd2511f53, M1 = 0xcd9e8d57, W0 = 0x9e3779b9, W1 = 0xbb67ae85;
const hl = new Uint32Array(4);

/** Philox4x32-10 of counter (c0..c3) under key (k0, k1). */
export function philox4x32(k0: number, k1: number, c0: number, c1: number, c2: number, c3: number): Uint32Array {
  let x0 = c0 >>> 0, x1 = c1 >>> 0, x2 = c2 >>> 0, x3 = c3 >>> 0;
  for (let round = 0; round < 10; round++) {
    mulhilo(M0, x0, hl, 0);
    mulhilo(M1, x2, hl, 2);
    const y0 = (hl[2] ^ x1 ^ k0) >>> 0;
    const y1 = hl[3];
    const y2 = (hl[0] ^ x3 ^ k1) >>> 0;
    const y3 = hl[1];
    x0 = y0; x1 = y1; x2 = y2; x3 = y3;
    k0 = (k0 + W0) >>> 0;
    k1 = (k1 + W1) >>> 0;
  }
  return Uint32Array.of(x0, x1, x2, x3);
}

/** Domains of draws, as in the engine. */
export const Domain = { env: 1, sample: 2, scripted: 3, init: 4 } as const;

/** The engine's uniform in [0, 1) for (seed, stream, episode, step, domain, slot); seed < 2^53. */
export function uniform(seed: number, stream: number, episode: number, step: number, domain: number, slot: number): number {
  const k0 = seed % 4294967296, k1 = Math.floor(seed / 4294967296);
  // Slots 4k..4k+3 share one Philox call, one 32-bit word each.
  const x = philox4x32(k0, k1, stream, episode, step, ((domain << 24) | ((slot >>> 2) & 0xffffff)) >>> 0)[slot & 3];
  return (x >>> 8) / 16777216;
}

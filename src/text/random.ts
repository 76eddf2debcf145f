/**
 * Counter-based uniform numbers for the text layer (retry jitter, scripted
 * agents): a draw depends only on the seed and its counters, so concurrent
 * calls give the same numbers in any order.
 */

function mix32(x: number): number {
  let h = x >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d);
  h ^= h >>> 15;
  h = Math.imul(h, 0x846ca68b);
  h ^= h >>> 16;
  return h >>> 0;
}

function seedWords(seed: number | bigint): [number, number] {
  const s = typeof seed === 'bigint' ? BigInt.asUintN(64, seed) : BigInt(Math.trunc(seed));
  const u = BigInt.asUintN(64, s);
  return [Number(u & 0xffffffffn), Number(u >> 32n)];
}

function hash(seed: number | bigint, counters: readonly number[], lane: number): number {
  const [lo, hi] = seedWords(seed);
  let h = mix32(lo ^ 0x9e3779b9);
  h = mix32(h ^ hi ^ 0x85ebca6b);
  h = mix32(h ^ lane ^ 0xc2b2ae35);
  for (const c of counters) h = mix32((h + Math.imul(c >>> 0, 0x27d4eb2f) + 0x165667b1) >>> 0);
  return h;
}

/** A uniform number in [0, 1) determined by the seed and the counters (53 random bits). */
export function counterUniform(seed: number | bigint, ...counters: number[]): number {
  const a = hash(seed, counters, 1) >>> 5; // 27 bits
  const b = hash(seed, counters, 2) >>> 6; // 26 bits
  return (a * 67108864 + b) / 9007199254740992;
}

/** A sequence of counter-based uniforms: the i-th call returns counterUniform(seed, stream, i). */
export class SeededStream {
  readonly seed: number | bigint;
  readonly stream: number;
  #counter = 0;

  constructor(seed: number | bigint, stream = 0) {
    this.seed = seed;
    this.stream = stream;
  }

  next(): number {
    return counterUniform(this.seed, this.stream, this.#counter++);
  }
}

/**
 * Credit assignment at a training-sized batch: the engine against the same
 * O(B·T) recursion written in plain TypeScript over Float32Arrays.
 */
import { credit } from '../src/credit.js';
import { native } from '../src/native.js';
import type { BenchSuite } from './suite.js';

const B = 4096;
const T = 100;
const GAMMA = 0.96;
const BETA = 1;

function randomArray(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

function advantageAlignmentTs(own: Float32Array, others: Float32Array, out: Float32Array, gamma: number, beta: number) {
  for (let b = 0; b < B; b++) {
    const row = b * T;
    let s = 0;
    for (let t = 0; t < T; t++) {
      const a = own[row + t];
      const w = gamma * s;
      s = gamma * (s + a);
      out[row + t] = a + beta * w * others[row + t];
    }
  }
  return out;
}

function discountedReturnsTs(rewards: Float32Array, out: Float32Array, gamma: number) {
  for (let b = 0; b < B; b++) {
    const row = b * T;
    let acc = 0;
    for (let t = T - 1; t >= 0; t--) {
      acc = rewards[row + t] + gamma * acc;
      out[row + t] = acc;
    }
  }
  return out;
}

/** Runs fn with the engine limited to one thread, to separate native speed from threading. */
function singleThreaded<R>(fn: () => R): R {
  const n = native();
  const before = n.engineInfo().threads as number;
  n.setThreads(1);
  try {
    return fn();
  } finally {
    n.setThreads(before);
  }
}

function assertClose(name: string, got: Float32Array, want: Float32Array): void {
  for (let i = 0; i < got.length; i++) {
    if (!(Math.abs(got[i] - want[i]) <= 1e-5 + 1e-4 * Math.abs(want[i]))) {
      throw new Error(`${name}: engine and TypeScript disagree at ${i}: ${got[i]} vs ${want[i]}`);
    }
  }
}

const own = randomArray(B * T, 1);
const others = randomArray(B * T, 2);
const out = new Float32Array(B * T);
const shape = { batch: B, steps: T };

const aaEngine = () =>
  credit.advantageAlignment({ own, others, ...shape, beta: BETA, gamma: GAMMA, out });

const advantageAlignment: BenchSuite = {
  name: 'credit: advantage alignment',
  description: `A* over [${B}, ${T}], discounted form, γ = ${GAMMA}`,
  check: () => assertClose('advantageAlignment', aaEngine().slice(), advantageAlignmentTs(own, others, out, GAMMA, BETA)),
  cases: [
    { name: 'typescript', baseline: true, fn: () => advantageAlignmentTs(own, others, out, GAMMA, BETA) },
    { name: 'engine', fn: aaEngine },
    { name: 'engine, 1 thread', fn: () => singleThreaded(aaEngine) },
  ],
};

const returnsEngine = () => credit.discountedReturns(own, { ...shape, gamma: GAMMA, out });

const discountedReturns: BenchSuite = {
  name: 'credit: discounted returns',
  description: `G over [${B}, ${T}], γ = ${GAMMA}`,
  check: () => assertClose('discountedReturns', returnsEngine().slice(), discountedReturnsTs(own, out, GAMMA)),
  cases: [
    { name: 'typescript', baseline: true, fn: () => discountedReturnsTs(own, out, GAMMA) },
    { name: 'engine', fn: returnsEngine },
    { name: 'engine, 1 thread', fn: () => singleThreaded(returnsEngine) },
  ],
};

export default [advantageAlignment, discountedReturns];

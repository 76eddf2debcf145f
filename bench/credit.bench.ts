/**
 * Credit assignment at a training-sized batch: the engine against the same
 * O(B·T) recursion written in plain TypeScript over Float32Arrays, with and
 * without `out` (a fresh result array per call), on all threads and on one,
 * and in a tight synchronous loop (no await between calls, so Node never runs
 * a finalizer: dropped results come back only through the collections that
 * find them dead, native/addon/result_pool.hpp).
 *
 * Run directly for the throughput of every case in Gelem/s (elements of
 * the [B, T] result per second):
 *
 *   node --import tsx bench/credit.bench.ts [--quick]
 */
import { fileURLToPath } from 'node:url';
import { Bench } from 'tinybench';
import { credit } from '../src/credit.js';
import { native } from '../src/native.js';
import { referenceAdvantageAlignment, referenceAdvantageAlignmentCase } from './reference/index.js';
import type { BenchSuite } from './suite.js';
import { lcgRandoms as randomArray } from '../test/helpers/random.js';

const B = 4096;
const T = 100;
const GAMMA = 0.96;
const BETA = 1;

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
const aaEngineFresh = () => credit.advantageAlignment({ own, others, ...shape, beta: BETA, gamma: GAMMA });

/**
 * A call, then a turn of the event loop, as in a trainer that awaits a
 * rollout or I/O between credit calls. Node runs the finalizers of dropped
 * results only on such a turn, so only here can a result without `out` reuse
 * the block of an earlier one (native/addon/result_pool.hpp); the turn costs
 * the same with `out`.
 */
/** Calls in one synchronous `for` loop, as a trainer that never awaits between credit calls makes them. */
const SYNC_CALLS = 8;
const syncLoop = (fn: () => unknown) => () =>
  singleThreaded(() => {
    for (let i = 0; i < SYNC_CALLS; i++) fn();
  });
const syncUnits = { count: SYNC_CALLS * B * T, name: 'element' };

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));
const yielding = (fn: () => unknown) => async () => {
  singleThreaded(fn);
  await nextTurn();
};

const advantageAlignment: BenchSuite = {
  name: 'credit: advantage alignment',
  description: `A* over [${B}, ${T}], discounted form, γ = ${GAMMA}`,
  units: { count: B * T, name: 'element' },
  check: () => {
    const fresh = aaEngineFresh();
    assertClose('advantageAlignment', aaEngine().slice(), advantageAlignmentTs(own, others, out, GAMMA, BETA));
    assertClose('advantageAlignment without out', fresh, out);
    // The single-pass C++ loop computes the same credits (it also builds the reference addon before timing).
    assertClose('reference loop', referenceAdvantageAlignment(own, others, new Float32Array(B * T), B, T, BETA, GAMMA), out);
  },
  cases: [
    { name: 'typescript', baseline: true, fn: () => advantageAlignmentTs(own, others, out, GAMMA, BETA) },
    { name: 'engine', fn: aaEngine },
    { name: 'engine, 1 thread', fn: () => singleThreaded(aaEngine) },
    { name: 'engine, no out', fn: aaEngineFresh },
    { name: 'engine, 1 thread, no out', fn: () => singleThreaded(aaEngineFresh) },
    { name: `engine, 1 thread, ${SYNC_CALLS} calls in a synchronous loop`, units: syncUnits, fn: syncLoop(aaEngine) },
    { name: `engine, 1 thread, no out, ${SYNC_CALLS} calls in a synchronous loop`, units: syncUnits, fn: syncLoop(aaEngineFresh) },
    { name: 'engine, 1 thread, then a turn of the event loop', fn: yielding(aaEngine) },
    { name: 'engine, 1 thread, no out, then a turn of the event loop', fn: yielding(aaEngineFresh) },
    referenceAdvantageAlignmentCase(own, others, new Float32Array(B * T), B, T, BETA, GAMMA),
  ],
};

const returnsEngine = () => credit.discountedReturns(own, { ...shape, gamma: GAMMA, out });
const returnsEngineFresh = () => credit.discountedReturns(own, { ...shape, gamma: GAMMA });

const discountedReturns: BenchSuite = {
  name: 'credit: discounted returns',
  description: `G over [${B}, ${T}], γ = ${GAMMA}`,
  units: { count: B * T, name: 'element' },
  check: () => {
    const fresh = returnsEngineFresh();
    assertClose('discountedReturns', returnsEngine().slice(), discountedReturnsTs(own, out, GAMMA));
    assertClose('discountedReturns without out', fresh, out);
  },
  cases: [
    { name: 'typescript', baseline: true, fn: () => discountedReturnsTs(own, out, GAMMA) },
    { name: 'engine', fn: returnsEngine },
    { name: 'engine, 1 thread', fn: () => singleThreaded(returnsEngine) },
    { name: 'engine, no out', fn: returnsEngineFresh },
    { name: 'engine, 1 thread, no out', fn: () => singleThreaded(returnsEngineFresh) },
  ],
};

const suites = [advantageAlignment, discountedReturns];
export default suites;

/** Every case of every suite, with its throughput in result elements per second. */
async function main(): Promise<void> {
  const quick = process.argv.includes('--quick');
  const n = native();
  console.log(
    `node ${process.version}, engine threads ${n.engineInfo().threads as number}, [${B}, ${T}] = ${B * T} elements per call` +
      (quick ? ', quick run' : ''),
  );
  for (const suite of suites) {
    await suite.check?.();
    const bench = new Bench({ time: quick ? 300 : 1500, warmupTime: quick ? 50 : 300 });
    for (const c of suite.cases) bench.add(c.name, c.fn);
    await bench.run();
    console.log(`\n${suite.name} — ${suite.description}`);
    console.log(`${'case'.padEnd(56)} ${'mean'.padStart(10)} ${'p50'.padStart(10)} ${'Gelem/s'.padStart(8)} ${'(p50)'.padStart(8)}`);
    for (const c of suite.cases) {
      const r = bench.getTask(c.name)?.result;
      if (!r || !('latency' in r)) {
        console.log(`${c.name.padEnd(56)} did not complete`);
        continue;
      }
      const { mean, p50 } = r.latency;
      const count = c.units?.count ?? B * T;
      const g = (ms: number) => (count / (ms * 1e-3) / 1e9).toFixed(3).padStart(8);
      console.log(
        `${c.name.padEnd(56)} ${`${(mean * 1e3).toFixed(1)} µs`.padStart(10)} ${`${((p50 ?? mean) * 1e3).toFixed(1)} µs`.padStart(10)} ${g(mean)} ${g(p50 ?? mean)}`,
      );
    }
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();

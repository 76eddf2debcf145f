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
 *
 * or, with --sync-loop [--json FILE], for the time of each call inside long
 * synchronous loops on one thread, with and without `out` in alternate
 * blocks, beside what the result pool and the garbage collector did
 * meanwhile (also written to FILE).
 */
import { writeFileSync } from 'node:fs';
import { constants, PerformanceObserver, performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { Bench } from 'tinybench';
import { credit } from '../src/credit.js';
import { native } from '../src/native.js';
import { resultPoolStats } from '../src/result-array.js';
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

/**
 * Per-call times inside synchronous loops: blocks of calls with `out` and
 * without it in turn (so load on the machine reaches both alike), each call
 * timed on its own, no await anywhere inside a block.
 */
async function syncLoopReport(quick: boolean, jsonFile: string | undefined): Promise<void> {
  const blocks = quick ? 4 : 12;
  const callsPerBlock = 200;
  // `out` taken in turn from 64 MiB of arrays, V8's external-memory limit
  // (its scavenges come about twice as often): memory at least as cold as
  // the recycled block a result without `out` is written to, with no pool,
  // N-API buffer or collection involved.
  const rotation = Array.from({ length: Math.ceil((64 << 20) / (B * T * 4)) }, () => new Float32Array(B * T));
  let turn = 0;
  const aaEngineRotating = () =>
    credit.advantageAlignment({ own, others, ...shape, beta: BETA, gamma: GAMMA, out: rotation[turn++ % rotation.length] });
  const modes = [
    { name: 'with out', fn: aaEngine, times: [] as number[] },
    { name: 'no out', fn: aaEngineFresh, times: [] as number[] },
    { name: `out from ${rotation.length} arrays in turn`, fn: aaEngineRotating, times: [] as number[] },
  ];
  const gcs: { kind: number; ms: number }[] = [];
  const observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) gcs.push({ kind: (e as unknown as { detail: { kind: number } }).detail.kind, ms: e.duration });
  });
  observer.observe({ entryTypes: ['gc'] });
  const before = resultPoolStats();
  const wallMs = modes.map(() => 0);
  singleThreaded(() => {
    for (let b = 0; b < blocks; b++) {
      modes.forEach((m, k) => {
        const start = performance.now();
        for (let i = 0; i < callsPerBlock; i++) {
          const t0 = performance.now();
          m.fn();
          m.times.push(performance.now() - t0);
        }
        wallMs[k] += performance.now() - start;
      });
    }
  });
  await new Promise((resolve) => setTimeout(resolve, 50));
  observer.disconnect();
  const after = resultPoolStats();
  const q = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))];
  const gelem = (ms: number) => ((B * T) / (ms * 1e-3) / 1e9).toFixed(3);
  console.log(`\nsynchronous loops, 1 thread: ${blocks} blocks of ${callsPerBlock} calls per mode, alternating`);
  console.log(`${'mode'.padEnd(26)} ${'p10'.padStart(10)} ${'p50'.padStart(10)} ${'p90'.padStart(10)} ${'mean'.padStart(10)}  Gelem/s p50  Gelem/s mean`);
  modes.forEach((m, k) => {
    const mean = wallMs[k] / m.times.length;
    const us = (ms: number) => `${(ms * 1e3).toFixed(1)} µs`.padStart(10);
    console.log(
      `${m.name.padEnd(26)} ${us(q(m.times, 0.1))} ${us(q(m.times, 0.5))} ${us(q(m.times, 0.9))} ${us(mean)}  ${gelem(q(m.times, 0.5)).padStart(11)}  ${gelem(mean).padStart(12)}`,
    );
  });
  const d = (k: 'fresh' | 'reused' | 'reclaimedEarly' | 'refused') => after[k] - before[k];
  const report = {
    node: process.version,
    shape: [B, T],
    blocks,
    callsPerBlock,
    modes: modes.map((m, k) => ({
      name: m.name,
      p10Us: q(m.times, 0.1) * 1e3,
      p50Us: q(m.times, 0.5) * 1e3,
      p90Us: q(m.times, 0.9) * 1e3,
      meanUs: (wallMs[k] / m.times.length) * 1e3,
    })),
    pool: { earlyReclaim: after.earlyReclaim, fresh: d('fresh'), reused: d('reused'), reclaimedEarly: d('reclaimedEarly'), refused: d('refused') },
    collections: gcs,
  };
  if (jsonFile) writeFileSync(jsonFile, `${JSON.stringify(report, null, 2)}\n`);
  console.log(
    `result pool (earlyReclaim ${after.earlyReclaim}): fresh ${d('fresh')}, reused ${d('reused')}, taken back early ${d('reclaimedEarly')}, refused ${d('refused')}`,
  );
  const kinds: Record<number, string> = {
    [constants.NODE_PERFORMANCE_GC_MAJOR]: 'mark-compact',
    [constants.NODE_PERFORMANCE_GC_MINOR]: 'scavenge',
    [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental marking',
    [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weak callbacks',
  };
  const parts = Object.entries(kinds).map(([kind, name]) => {
    const of = gcs.filter((g) => g.kind === Number(kind));
    return `${of.length} ${name} (${of.reduce((a, g) => a + g.ms, 0).toFixed(1)} ms)`;
  });
  console.log(`garbage collections during the loops: ${parts.join(', ')}`);
}

/** Every case of every suite, with its throughput in result elements per second. */
async function main(): Promise<void> {
  const quick = process.argv.includes('--quick');
  if (process.argv.includes('--sync-loop')) {
    console.log(`node ${process.version}, [${B}, ${T}] = ${B * T} elements per call`);
    const json = process.argv.indexOf('--json');
    await syncLoopReport(quick, json > 0 ? process.argv[json + 1] : undefined);
    return;
  }
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

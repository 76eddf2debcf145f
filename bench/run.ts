/**
 * Runs the benchmark suites, prints one table per suite and writes every
 * result to bench/results/latest.json.
 *
 *   node --expose-gc --import tsx bench/run.ts [--quick] [filter ...]
 *
 * A filter keeps the suites whose name contains it (case-insensitive).
 * --quick (or BENCH_QUICK=1) shortens every measurement; --rounds=N sets the
 * rounds of the interleaved measurement (7, or 3 with --quick).
 *
 * Each suite's cases are measured in rounds: every round gives each case a
 * short tinybench measurement in turn. Per case the table shows the median
 * over rounds of the round's median latency and the rounds' range, the time
 * per unit of work, and ratios computed within each round (median and range
 * over rounds): the baseline's time over the case's, and the case's time over
 * the limit's (the suite's reference loop). With --expose-gc (`npm run
 * bench` passes it) a full collection runs before each case's measurement,
 * so the garbage one case leaves (a TypeScript baseline's arrays at large
 * batches) is not collected by V8's background threads while the next case
 * is timed.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { Bench } from 'tinybench';
import { native } from '../src/native.js';
import type { BenchSuite, BenchUnits } from './suite.js';

/** Each module's default export is its list of suites; add a module with one line here. */
const modules: Array<() => Promise<{ default: BenchSuite[] }>> = [
  () => import('./credit.bench.js'),
  () => import('./rollout.bench.js'),
  () => import('./tournament.bench.js'),
  () => import('./onnx.bench.js'),
  () => import('./train.bench.js'),
  () => import('./train-coin.bench.js'),
];

interface Spread {
  min: number;
  q1: number;
  q3: number;
  max: number;
}

interface Ratio {
  median: number;
  min: number;
  max: number;
}

interface CaseResult {
  name: string;
  baseline: boolean;
  /** The suite's reference loop, the limit the other cases are measured against. */
  limit: boolean;
  /** 1000 / meanMs. */
  opsPerSecond: number;
  /** Mean and median latency over the samples of every round together. */
  meanMs: number;
  p50Ms: number;
  rmePercent: number;
  samples: number;
  /** Baseline time / this case's time, the median over rounds of the per-round ratio. */
  speedup: number | null;
  /** Per round, the median latency of the round's samples. */
  roundsMs: number[];
  /** The median of `roundsMs`, and their spread. */
  medianMs: number;
  spreadMs: Spread | null;
  /** Baseline time / this case's time, per round: median, min and max. */
  ratio: Ratio | null;
  /** This case's time / the limit case's time, per round: how far from the limit. */
  limitRatio: Ratio | null;
  units: BenchUnits | null;
  /** medianMs per unit, in nanoseconds. */
  nsPerUnit: number | null;
  error?: string;
}

interface SuiteResult {
  name: string;
  description: string;
  /** Rounds of the interleaved measurement, and the tinybench options of one round. */
  rounds: number;
  roundTiming: RoundTiming;
  cases: CaseResult[];
  error?: string;
}

const args = process.argv.slice(2);
const quick = args.includes('--quick') || process.env.BENCH_QUICK === '1';
const roundsArg = args.find((a) => a.startsWith('--rounds='));
const ROUNDS = roundsArg ? Math.max(1, Number.parseInt(roundsArg.slice('--rounds='.length), 10) || 1) : quick ? 3 : 7;
const filters = args.filter((a) => !a.startsWith('--')).map((a) => a.toLowerCase());

interface RoundTiming {
  time: number;
  iterations: number;
  warmup: boolean;
  warmupTime: number;
  warmupIterations: number;
}

/**
 * One round's tinybench options. The whole-run budgets (the defaults, or the
 * suite's `timing`) are split across the rounds. Only round 0 warms up: later
 * rounds measure each case as it comes after the others, and the round's
 * median latency discounts a first call that finds cold caches.
 */
function roundTiming(suite: BenchSuite): { first: RoundTiming; later: RoundTiming } {
  const whole = quick
    ? { time: 100, iterations: suite.timing ? 2 : 16, warmupTime: 50, warmupIterations: 1 }
    : { time: 700, iterations: 32, warmupTime: 150, warmupIterations: 4, ...suite.timing };
  const run = {
    time: Math.max(1, (whole.time ?? 0) / ROUNDS),
    iterations: Math.max(1, Math.ceil((whole.iterations ?? 1) / ROUNDS)),
  };
  return {
    first: { ...run, warmup: true, warmupTime: whole.warmupTime ?? 0, warmupIterations: whole.warmupIterations ?? 1 },
    later: { ...run, warmup: false, warmupTime: 0, warmupIterations: 0 },
  };
}

function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos), hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

const sortNum = (xs: readonly number[]) => [...xs].sort((a, b) => a - b);

function spreadOf(xs: readonly number[]): Spread {
  const s = sortNum(xs);
  return { min: s[0], q1: quantile(s, 0.25), q3: quantile(s, 0.75), max: s[s.length - 1] };
}

function ratioOf(xs: readonly number[]): Ratio | null {
  if (xs.length === 0) return null;
  const s = sortNum(xs);
  return { median: quantile(s, 0.5), min: s[0], max: s[s.length - 1] };
}

function formatTime(ms: number): string {
  if (!Number.isFinite(ms)) return '-';
  if (ms >= 1000) return `${(ms / 1000).toFixed(2)} s`;
  if (ms >= 1) return `${ms.toFixed(2)} ms`;
  if (ms >= 1e-3) return `${(ms * 1e3).toFixed(1)} µs`;
  return `${(ms * 1e6).toFixed(0)} ns`;
}

function formatNs(ns: number): string {
  if (!Number.isFinite(ns)) return '-';
  return ns >= 100 ? ns.toFixed(0) : ns >= 10 ? ns.toFixed(1) : ns.toFixed(2);
}

function formatRatio(r: Ratio | null): string {
  if (!r) return '-';
  const f = (x: number) => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));
  return `${f(r.median)}x [${f(r.min)}-${f(r.max)}]`;
}

function printTable(suite: SuiteResult): void {
  const hasLimit = suite.cases.some((c) => c.limit);
  const rows = [
    [
      'case',
      'median',
      'rounds min-max',
      'per unit',
      'vs baseline [min-max]',
      ...(hasLimit ? ['x limit time [min-max]'] : []),
      'samples',
    ],
    ...suite.cases.map((c) => [
      c.name + (c.baseline ? ' (baseline)' : '') + (c.limit ? ' (limit)' : ''),
      c.error ? 'error' : formatTime(c.medianMs),
      c.spreadMs ? `${formatTime(c.spreadMs.min)}-${formatTime(c.spreadMs.max)}` : '-',
      c.nsPerUnit === null || !c.units ? '-' : `${formatNs(c.nsPerUnit)} ns/${c.units.name}`,
      formatRatio(c.ratio),
      ...(hasLimit ? [formatRatio(c.limitRatio)] : []),
      String(c.samples),
    ]),
  ];
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  ');
  console.log(`\n${suite.name} — ${suite.description}`);
  console.log(line(rows[0]));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows.slice(1)) console.log(line(r));
  for (const c of suite.cases) if (c.error) console.log(`  ${c.name}: ${c.error}`);
}

/** Mean, median and relative margin of error (95%, normal approximation) of all samples. */
function pooled(samples: readonly number[]): { mean: number; p50: number; rme: number } {
  const n = samples.length;
  if (n === 0) return { mean: NaN, p50: NaN, rme: NaN };
  const mean = samples.reduce((a, b) => a + b, 0) / n;
  const variance = n > 1 ? samples.reduce((a, x) => a + (x - mean) ** 2, 0) / (n - 1) : 0;
  return { mean, p50: quantile(sortNum(samples), 0.5), rme: (100 * 1.96 * Math.sqrt(variance / n)) / mean };
}

/** A full garbage collection where the process exposes one (`--expose-gc`); nothing otherwise. */
function settleHeap(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

async function runSuite(suite: BenchSuite): Promise<SuiteResult> {
  const timing = roundTiming(suite);
  const result: SuiteResult = { name: suite.name, description: suite.description, rounds: ROUNDS, roundTiming: timing.later, cases: [] };
  try {
    await suite.check?.();
  } catch (e) {
    result.error = `check failed: ${(e as Error).message}`;
    return result;
  }

  // Round r runs every case once in suite order (A, B, C, A, B, C, ...), so
  // drift of the machine over the run reaches every case alike; the ratios
  // are taken within a round.
  const n = suite.cases.length;
  const roundsMs: number[][] = suite.cases.map(() => []);
  const samples: number[][] = suite.cases.map(() => []);
  const errors: (string | undefined)[] = new Array(n).fill(undefined);
  for (let round = 0; round < ROUNDS; round++) {
    const live = suite.cases.map((c, i) => ({ c, i })).filter(({ i }) => errors[i] === undefined);
    if (live.length === 0) break;
    const bench = new Bench({ name: suite.name, retainSamples: true, ...(round === 0 ? timing.first : timing.later) });
    for (const { c } of live) bench.add(c.name, c.fn, { beforeAll: settleHeap });
    await bench.run();
    for (const { c, i } of live) {
      const r = bench.getTask(c.name)?.result;
      if (r && (r.state === 'completed' || r.state === 'aborted-with-statistics')) {
        roundsMs[i].push(r.latency.p50);
        if (r.latency.samples) samples[i].push(...r.latency.samples);
      } else {
        errors[i] = r?.state === 'errored' ? r.error.message : `did not complete (${r?.state ?? 'missing'})`;
      }
    }
  }

  const baseIndex = suite.cases.findIndex((c) => c.baseline);
  const limitIndex = suite.cases.findIndex((c) => c.limit);
  // Per-round ratios against a reference case, over the rounds both completed.
  const perRound = (i: number, ref: number, f: (mine: number, theirs: number) => number): Ratio | null => {
    if (ref < 0 || errors[ref] !== undefined || errors[i] !== undefined) return null;
    const k = Math.min(roundsMs[i].length, roundsMs[ref].length);
    return ratioOf(Array.from({ length: k }, (_, r) => f(roundsMs[i][r], roundsMs[ref][r])));
  };
  // Ratios compare time per unit, for cases that do more than one call's work.
  const countOf = (i: number) => (suite.cases[i].units ?? suite.units)?.count ?? 1;
  suite.cases.forEach((c, i) => {
    const units = c.units ?? suite.units ?? null;
    const error = errors[i];
    const medianMs = error ? NaN : quantile(sortNum(roundsMs[i]), 0.5);
    const p = pooled(error ? [] : samples[i]);
    const ratio = perRound(i, baseIndex, (mine, base) => base / countOf(baseIndex) / (mine / countOf(i)));
    result.cases.push({
      name: c.name,
      baseline: !!c.baseline,
      limit: !!c.limit,
      opsPerSecond: 1000 / p.mean,
      meanMs: p.mean,
      p50Ms: p.p50,
      rmePercent: p.rme,
      samples: error ? 0 : samples[i].length,
      speedup: ratio ? ratio.median : null,
      roundsMs: error ? [] : roundsMs[i],
      medianMs,
      spreadMs: error || roundsMs[i].length === 0 ? null : spreadOf(roundsMs[i]),
      ratio,
      limitRatio: perRound(i, limitIndex, (mine, limit) => mine / countOf(i) / (limit / countOf(limitIndex))),
      units,
      nsPerUnit: units && !error ? (medianMs * 1e6) / units.count : null,
      ...(error ? { error } : {}),
    });
  });
  return result;
}

async function main(): Promise<number> {
  const all = (await Promise.all(modules.map((load) => load()))).flatMap((m) => m.default);
  const chosen = all.filter((s) => filters.length === 0 || filters.some((f) => s.name.toLowerCase().includes(f)));
  if (chosen.length === 0) {
    console.error(`no suite matches ${filters.join(', ')}; suites: ${all.map((s) => s.name).join(', ')}`);
    return 1;
  }

  const info = native().engineInfo();
  const machine = {
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    engineThreads: info.threads,
    date: new Date().toISOString(),
  };
  console.log(
    `node ${machine.node}, ${machine.cpus} × ${machine.cpuModel}, engine threads ${machine.engineThreads}` +
      `, ${ROUNDS} interleaved rounds` +
      (quick ? ', quick run' : ''),
  );

  const suites: SuiteResult[] = [];
  for (const suite of chosen) {
    const r = await runSuite(suite);
    suites.push(r);
    if (r.error) console.log(`\n${r.name}: ${r.error}`);
    else printTable(r);
  }

  const dir = fileURLToPath(new URL('./results/', import.meta.url));
  mkdirSync(dir, { recursive: true });
  const file = `${dir}latest.json`;
  writeFileSync(file, `${JSON.stringify({ machine, quick, rounds: ROUNDS, filters, suites }, null, 2)}\n`);
  console.log(`\nresults written to ${file}`);
  return suites.some((s) => s.error || s.cases.some((c) => c.error)) ? 1 : 0;
}

process.exitCode = await main();

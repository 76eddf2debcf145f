/**
 * Runs the benchmark suites, prints one table per suite and writes every
 * result to bench/results/latest.json.
 *
 *   node --import tsx bench/run.ts [--quick] [filter ...]
 *
 * A filter keeps the suites whose name contains it (case-insensitive).
 * --quick (or BENCH_QUICK=1) shortens every measurement.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { Bench } from 'tinybench';
import { native } from '../src/native.js';
import type { BenchSuite } from './suite.js';

/** Each module's default export is its list of suites; add a module with one line here. */
const modules: Array<() => Promise<{ default: BenchSuite[] }>> = [
  () => import('./credit.bench.js'),
  () => import('./rollout.bench.js'),
  () => import('./tournament.bench.js'),
  () => import('./onnx.bench.js'),
  () => import('./train.bench.js'),
];

interface CaseResult {
  name: string;
  baseline: boolean;
  opsPerSecond: number;
  meanMs: number;
  p50Ms: number;
  rmePercent: number;
  samples: number;
  /** Baseline mean time divided by this case's mean time. */
  speedup: number | null;
  error?: string;
}

interface SuiteResult {
  name: string;
  description: string;
  cases: CaseResult[];
  error?: string;
}

const args = process.argv.slice(2);
const quick = args.includes('--quick') || process.env.BENCH_QUICK === '1';
const filters = args.filter((a) => !a.startsWith('--')).map((a) => a.toLowerCase());
const timing = quick ? { time: 200, warmupTime: 50 } : { time: 700, warmupTime: 150 };

function formatTime(ms: number): string {
  if (!Number.isFinite(ms)) return '-';
  if (ms >= 1000) return `${(ms / 1000).toFixed(2)} s`;
  if (ms >= 1) return `${ms.toFixed(2)} ms`;
  if (ms >= 1e-3) return `${(ms * 1e3).toFixed(1)} µs`;
  return `${(ms * 1e6).toFixed(0)} ns`;
}

function formatOps(ops: number): string {
  if (!Number.isFinite(ops)) return '-';
  return ops >= 100 ? Math.round(ops).toLocaleString('en-US') : ops.toPrecision(3);
}

function printTable(suite: SuiteResult): void {
  const rows = [
    ['case', 'ops/s', 'mean', '±rme', 'samples', 'vs baseline'],
    ...suite.cases.map((c) => [
      c.name + (c.baseline ? ' (baseline)' : ''),
      c.error ? 'error' : formatOps(c.opsPerSecond),
      formatTime(c.meanMs),
      Number.isFinite(c.rmePercent) ? `${c.rmePercent.toFixed(1)}%` : '-',
      String(c.samples),
      c.speedup === null ? '-' : `${c.speedup.toFixed(2)}x`,
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

async function runSuite(suite: BenchSuite): Promise<SuiteResult> {
  const result: SuiteResult = { name: suite.name, description: suite.description, cases: [] };
  try {
    await suite.check?.();
  } catch (e) {
    result.error = `check failed: ${(e as Error).message}`;
    return result;
  }
  const bench = new Bench({ name: suite.name, ...timing, ...(quick ? {} : suite.timing), ...(quick && suite.timing ? { iterations: 2, warmupIterations: 1 } : {}) });
  for (const c of suite.cases) bench.add(c.name, c.fn);
  await bench.run();

  for (const c of suite.cases) {
    const r = bench.getTask(c.name)?.result;
    const base = { name: c.name, baseline: !!c.baseline, speedup: null };
    if (r && (r.state === 'completed' || r.state === 'aborted-with-statistics')) {
      result.cases.push({
        ...base,
        opsPerSecond: r.throughput.mean,
        meanMs: r.latency.mean,
        p50Ms: r.latency.p50,
        rmePercent: r.latency.rme,
        samples: r.latency.samplesCount,
      });
    } else {
      const error = r?.state === 'errored' ? r.error.message : `did not complete (${r?.state ?? 'missing'})`;
      result.cases.push({ ...base, opsPerSecond: NaN, meanMs: NaN, p50Ms: NaN, rmePercent: NaN, samples: 0, error });
    }
  }
  const baseline = result.cases.find((c) => c.baseline && !c.error);
  if (baseline) for (const c of result.cases) if (!c.error) c.speedup = baseline.meanMs / c.meanMs;
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
  writeFileSync(file, `${JSON.stringify({ machine, quick, filters, suites }, null, 2)}\n`);
  console.log(`\nresults written to ${file}`);
  return suites.some((s) => s.error || s.cases.some((c) => c.error)) ? 1 : 0;
}

process.exitCode = await main();

/**
 * Sweep throughput with one `dilemma worker` process against two, on the
 * same runs, in interleaved rounds (1, 2, 1, 2, …) so that a change in the
 * machine's load hits both alike. Each round enqueues the runs under a fresh
 * experiment name on a private redis-server (paused until the workers, one
 * native thread each, are up) and times the sweep from the first job started to the last
 * job finished (BullMQ's processedOn / finishedOn), so process start-up is
 * not counted. Prints and writes bench/results/scale-throughput.{txt,json}.
 *
 *   node --import tsx bench/scale-throughput.ts [--rounds=3] [--runs=8] [--iterations=300] [--batch=2048] [--checkpoint-every=50]
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expandExperiment } from '../src/cli/experiment.js';
import { trainJobId } from '../src/scale/jobs.js';
import { enqueueSweep, openQueue } from '../src/scale/sweep.js';
import { redisServerPath, TestRedis } from '../test/helpers/redis-server.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const arg = (name: string, fallback: number) => {
  const a = process.argv.find((x) => x.startsWith(`--${name}=`));
  return a ? Number(a.slice(name.length + 3)) : fallback;
};
const rounds = arg('rounds', 3);
const runs = arg('runs', 8);
const iterations = arg('iterations', 300);
const batch = arg('batch', 2048);
const checkpointEvery = arg('checkpoint-every', 50);

if (!redisServerPath()) {
  console.error('redis-server is not installed: nothing to measure');
  process.exit(1);
}

const experiment = {
  algorithms: ['advantage-alignment'],
  seeds: runs,
  output: 'bench',
  checkpointEvery,
  train: { game: { id: 'ipd' }, policy: { kind: 'tabular' }, iterations, batch },
  evaluate: { opponents: ['always-defect'], batch: 64 },
};
const plan = expandExperiment(experiment);
const dir = mkdtempSync(join(os.tmpdir(), 'dilemma-bench-scale-'));
const redis = await TestRedis.start();

/** A worker process; `ready` resolves once it serves the queue, `exited` with its exit code. */
function startWorker(store: string): { ready: Promise<void>; exited: Promise<number | null> } {
  const p = spawn(process.execPath, [join(root, 'dist', 'cli', 'main.js'), 'worker', '--queue', redis.url, '--store', store, '--threads', '1', '--exit-when-idle'], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  const ready = new Promise<void>((resolve) => p.stdout!.on('data', (d) => /: serving /.test((out += d)) && resolve()));
  const exited = new Promise<number | null>((resolve) => p.on('close', (code) => resolve(code)));
  return { ready, exited };
}

/** One round: `workers` processes on a fresh copy of the runs; runs per second over the sweep's span. */
async function round(name: string, workers: number): Promise<{ seconds: number; runsPerSecond: number }> {
  const { queue } = await openQueue(redis.url);
  try {
    // Paused until every worker is up, so that one's start-up does not slow the other's first runs.
    await queue.pause();
    await enqueueSweep(queue, plan, name);
    const store = join(dir, name);
    const started = Array.from({ length: workers }, () => startWorker(store));
    await Promise.all(started.map((w) => w.ready));
    await queue.resume();
    const codes = await Promise.all(started.map((w) => w.exited));
    if (codes.some((c) => c !== 0)) throw new Error(`a worker exited with ${codes.join(', ')}`);
    const jobs = await Promise.all(plan.runs.map((r) => queue.getJob(trainJobId(name, r.id))));
    const start = Math.min(...jobs.map((j) => j!.processedOn!));
    const end = Math.max(...jobs.map((j) => j!.finishedOn!));
    const seconds = (end - start) / 1000;
    return { seconds, runsPerSecond: plan.runs.length / seconds };
  } finally {
    await queue.close();
  }
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const loadBefore = os.loadavg();
const results: Record<1 | 2, Array<{ seconds: number; runsPerSecond: number }>> = { 1: [], 2: [] };
const ratios: number[] = [];
try {
  for (let r = 0; r < rounds; r++) {
    const one = await round(`r${r}-w1`, 1);
    const two = await round(`r${r}-w2`, 2);
    results[1].push(one);
    results[2].push(two);
    ratios.push(two.runsPerSecond / one.runsPerSecond);
    console.error(`round ${r + 1}/${rounds}: 1 worker ${one.seconds.toFixed(2)} s, 2 workers ${two.seconds.toFixed(2)} s, speed-up ${(two.runsPerSecond / one.runsPerSecond).toFixed(2)}×`);
  }
} finally {
  await redis.stop();
}
const loadAfter = os.loadavg();

const summary = (xs: number[]) => ({ median: median(xs), min: Math.min(...xs), max: Math.max(...xs) });
const command = `node --import tsx bench/scale-throughput.ts --rounds=${rounds} --runs=${runs} --iterations=${iterations} --batch=${batch} --checkpoint-every=${checkpointEvery}`;
const json = {
  command,
  date: new Date().toISOString(),
  machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model ?? '', loadavgBefore: loadBefore, loadavgAfter: loadAfter },
  workload: { runs: plan.runs.length, game: 'ipd', policy: 'tabular', algorithm: 'advantage-alignment', iterations, batch, checkpointEvery, threadsPerWorker: 1 },
  oneWorker: { runsPerSecond: summary(results[1].map((x) => x.runsPerSecond)), seconds: results[1].map((x) => x.seconds) },
  twoWorkers: { runsPerSecond: summary(results[2].map((x) => x.runsPerSecond)), seconds: results[2].map((x) => x.seconds) },
  speedup: summary(ratios),
};
const f = (x: { median: number; min: number; max: number }, d = 2) => `${x.median.toFixed(d)} (range ${x.min.toFixed(d)}–${x.max.toFixed(d)})`;
const text = [
  `Sweep throughput, 1 vs 2 worker processes (interleaved rounds; median over ${rounds} rounds, range in brackets)`,
  `command: ${command}`,
  `date: ${json.date}; ${json.machine.cpus} CPUs (${json.machine.model}); load average before ${loadBefore.map((x) => x.toFixed(1)).join(' ')}, after ${loadAfter.map((x) => x.toFixed(1)).join(' ')}`,
  `workload: ${plan.runs.length} runs of IPD, tabular policy, Advantage Alignment, ${iterations} iterations × batch ${batch}, checkpoint every ${checkpointEvery}; one native thread per worker`,
  '',
  `1 worker : ${f(json.oneWorker.runsPerSecond)} runs/s`,
  `2 workers: ${f(json.twoWorkers.runsPerSecond)} runs/s`,
  `speed-up : ${f(json.speedup)}× (per round: 2-worker rate / 1-worker rate)`,
  '',
].join('\n');
console.log(text);
mkdirSync(join(root, 'bench', 'results'), { recursive: true });
writeFileSync(join(root, 'bench', 'results', 'scale-throughput.txt'), text);
writeFileSync(join(root, 'bench', 'results', 'scale-throughput.json'), `${JSON.stringify(json, null, 2)}\n`);

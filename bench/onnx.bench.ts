/**
 * Rollouts with an ONNX GRU policy in both seats of the IPD (100 rounds): the
 * engine's native loop against the idiomatic TypeScript loop over
 * onnxruntime-node (one session.run per step for the whole batch, both seats
 * stacked; sampling and the game step in TypeScript), same model, same batch.
 *
 * Beside them, ONNX Runtime's bare Run of the same model at the same rows
 * (2 × batch, both seats), timed from C++ by bench/reference/ort_bare_run
 * (built with `node scripts/cmake-build.mjs`; the cases are left out when it
 * is not): 100 runs per call, one call per rollout's 100 steps, so the
 * engine's own overhead per step is the difference. Both open the model
 * through the core's Session with the same settings (one intra-op and one
 * inter-op thread, sequential execution, all graph optimisations, ORT's
 * default CPU arena and memory patterns) and run it through BoundRun (plain
 * Run over tensors made once). At batch 64 the engine also runs refilling one
 * trajectory (`out`), which leaves out the JavaScript allocation of a fresh
 * one. The one-node model uses ONNX's GRU operator, the 18-node one spells
 * the cell out (gruPolicy's `form`).
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import { gruPolicy, onnx, onnxRuntimeLibrary, rollout, RolloutPlan, Game, type GruForm, type Policy, type Trajectory } from '../src/index.js';
import { allocate, observe, OBS_DIM, PAYOFF } from './baselines/ipd.js';
import type { BenchCase, BenchSuite } from './suite.js';
import { xorshift32 } from './baselines/xorshift.js';

const ROUNDS = 100;
const HIDDEN = 32;
const FORMS: Record<GruForm, string> = { 'gru-op': 'one-node GRU', decomposed: '18-node GRU' };
const game = new Game('ipd', { rounds: ROUNDS });
const dir = mkdtempSync(join(tmpdir(), 'dilemma-onnx-bench-'));

interface Model {
  file: string;
  session: ort.InferenceSession;
  policy: Policy;
}

const models = {} as Record<GruForm, Model>;
for (const form of Object.keys(FORMS) as GruForm[]) {
  const { bytes } = gruPolicy({ obsDim: OBS_DIM, actions: 2, hidden: HIDDEN, seed: 1, form });
  const file = join(dir, `gru-${form}.onnx`);
  writeFileSync(file, bytes);
  models[form] = {
    file,
    session: await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1, interOpNumThreads: 1 }),
    policy: onnx(bytes),
  };
}

async function typescriptLoop(session: ort.InferenceSession, batch: number, seed: number) {
  const t = allocate(batch, ROUNDS);
  const n = 2 * batch; // both seats stacked: rows [seat 0: b = 0..B), [seat 1: b = 0..B)
  let h = new Float32Array(n * HIDDEN) as Float32Array;
  const obs = new Float32Array(n * OBS_DIM);
  const last = new Int32Array(batch).fill(-1);
  const rand = xorshift32(seed);
  for (let round = 0; round < ROUNDS; round++) {
    for (let b = 0; b < batch; b++) {
      for (let a = 0; a < 2; a++) observe(last[b], a, obs, (a * batch + b) * OBS_DIM);
    }
    const out = await session.run({
      obs: new ort.Tensor('float32', obs, [n, OBS_DIM]),
      h: new ort.Tensor('float32', h, [n, HIDDEN]),
    });
    const logits = out.logits.data as Float32Array;
    h = out.h_out.data as Float32Array;
    for (let b = 0; b < batch; b++) {
      const row = b * ROUNDS + round;
      const moves = [0, 0];
      for (let a = 0; a < 2; a++) {
        const k = (a * batch + b) * 2;
        const z0 = logits[k], z1 = logits[k + 1];
        const top = Math.max(z0, z1);
        const lse = top + Math.log(Math.exp(z0 - top) + Math.exp(z1 - top));
        const p0 = Math.exp(z0 - lse);
        const move = rand() < p0 ? 0 : 1;
        moves[a] = move;
        const i = row * 2 + a;
        t.observations.set(obs.subarray((a * batch + b) * OBS_DIM, (a * batch + b + 1) * OBS_DIM), i * OBS_DIM);
        t.actions[i] = move;
        t.logProbs[i] = (move === 0 ? z0 : z1) - lse;
        t.entropies[i] = -(p0 * (z0 - lse) + (1 - p0) * (z1 - lse));
      }
      const j = 2 * moves[0] + moves[1];
      t.rewards[row * 2] = PAYOFF[2 * j];
      t.rewards[row * 2 + 1] = PAYOFF[2 * j + 1];
      t.mask[row] = 1;
      t.dones[row] = round === ROUNDS - 1 ? 1 : 0;
      last[b] = j;
    }
  }
  return t;
}

const buildDir = process.env.DILEMMA_CMAKE_BUILD_DIR ?? 'build-cmake';
const bareRunProgram = fileURLToPath(new URL(`../${buildDir}/bench/ort_bare_run`, import.meta.url));
const ortLibrary = onnxRuntimeLibrary().path;
const bareRunAvailable = existsSync(bareRunProgram) && ortLibrary !== undefined;
if (!bareRunAvailable) {
  console.log(`onnx bench: the ORT bare Run cases are left out (${bareRunProgram} is not built; run node scripts/cmake-build.mjs)`);
}

/**
 * ort_bare_run in its serving mode: one process per model and row count,
 * asked for `runs` runs per call; it also reports the time it measured
 * itself, to show what the pipe round trip adds.
 */
class BareRun {
  readonly #child: ChildProcessWithoutNullStreams;
  #buffer = '';
  #waiting: ((line: string) => void)[] = [];
  constructor(file: string, rows: number) {
    this.#child = spawn(bareRunProgram, [file, String(rows), '--serve', '--library', ortLibrary!]);
    this.#child.stderr.on('data', (d: Buffer) => process.stderr.write(d));
    this.#child.stdout.setEncoding('utf8').on('data', (d: string) => {
      this.#buffer += d;
      let at: number;
      while ((at = this.#buffer.indexOf('\n')) >= 0) {
        const line = this.#buffer.slice(0, at);
        this.#buffer = this.#buffer.slice(at + 1);
        this.#waiting.shift()?.(line);
      }
    });
    this.#unref();
  }

  async ready(): Promise<void> {
    const line = await this.#next();
    if (!JSON.parse(line).ready) throw new Error(`ort_bare_run did not start: ${line}`);
  }

  /** Runs the model `runs` times; returns the time the program measured, in ms. */
  async run(runs: number): Promise<number> {
    const reply = this.#next();
    this.#child.stdin.write(`${runs}\n`);
    const r = JSON.parse(await reply) as { runs: number; ns: number };
    return r.ns / 1e6;
  }

  close(): void {
    this.#child.stdin.end();
  }

  // The pipes keep the event loop alive only while a reply is awaited.
  #next(): Promise<string> {
    (this.#child.stdout as unknown as { ref(): void }).ref();
    return new Promise<string>((resolve, reject) => {
      const onExit = (code: number | null) => reject(new Error(`ort_bare_run exited with code ${code}`));
      this.#child.once('exit', onExit);
      this.#waiting.push((line) => {
        this.#child.off('exit', onExit);
        this.#unref();
        resolve(line);
      });
    });
  }

  #unref(): void {
    this.#child.unref();
    (this.#child.stdout as unknown as { unref(): void }).unref();
    (this.#child.stderr as unknown as { unref(): void }).unref();
    (this.#child.stdin as unknown as { unref(): void }).unref();
  }
}

const bareRuns: BareRun[] = [];

/**
 * Milliseconds per call of every case, by suite and case; the summary at
 * exit turns their medians into time per step and the ratios the bench is
 * for. The bare Run's entries are the program's own timing (no pipe).
 */
const samples = new Map<string, Map<string, number[]>>();
/**
 * The same times by interleaved round: the runner runs every case of a suite
 * in turn, once per round, so a round starts when the suite's first case is
 * called after another one. Ratios are taken within a round, as the runner's.
 */
const rounds = new Map<string, { first: string; last?: string; round: number; ms: Map<string, number[][]> }>();

function record(suite: string, name: string, ms: number): void {
  if (!samples.has(suite)) samples.set(suite, new Map());
  const cases = samples.get(suite)!;
  if (!cases.has(name)) cases.set(name, []);
  cases.get(name)!.push(ms);
  const r = rounds.get(suite) ?? { first: name, round: 0, ms: new Map<string, number[][]>() };
  rounds.set(suite, r);
  if (name === r.first && r.last !== undefined && r.last !== name) r.round++;
  r.last = name;
  if (!r.ms.has(name)) r.ms.set(name, []);
  const byRound = r.ms.get(name)!;
  (byRound[r.round] ??= []).push(ms);
}

function timed(suite: string, name: string, fn: () => Promise<unknown>): BenchCase {
  return {
    name,
    fn: async () => {
      const t0 = performance.now();
      await fn();
      record(suite, name, performance.now() - t0);
    },
  };
}

function bareRunCase(suite: string, form: GruForm, rows: number): BenchCase {
  const name = `${BARE}, ${FORMS[form]}`;
  let bare: BareRun | undefined;
  return {
    name,
    fn: async () => {
      if (!bare) {
        bare = new BareRun(models[form].file, rows);
        bareRuns.push(bare);
        await bare.ready();
      }
      record(suite, name, await bare.run(ROUNDS));
    },
  };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

interface Spread {
  median: number;
  min: number;
  max: number;
}

function spread(xs: number[]): Spread {
  return { median: median(xs), min: Math.min(...xs), max: Math.max(...xs) };
}

const ENGINE = 'engine rollout, 1 thread';
const ENGINE_OUT = 'engine rollout refilling out, 1 thread';
const ENGINE_PLAN = 'engine RolloutPlan.run, 1 thread';
const ENGINE_PLAN_SYNC = 'engine RolloutPlan.runSync, 1 thread';
const BARE = `ORT bare Run from C++ × ${ROUNDS}`;
const TS = 'TypeScript loop over onnxruntime-node';

/**
 * Time per step by case (median and fastest call), then ratios taken within
 * each interleaved round (median of the round's calls over median) and
 * reported as their median and range over rounds: the engine over ORT's bare
 * Run of the same model and rows, and the 18-node model over the one-node
 * one. The bare Run is the program's own timing (no pipe). With
 * BENCH_ONNX_JSON=FILE the same figures are written to FILE.
 */
function summary(): void {
  const out: Record<string, unknown>[] = [];
  for (const [suite, cases] of samples) {
    console.log(`\n${suite}: µs per step, median and fastest call (bare Run as timed inside the program)`);
    const steps: Record<string, { median: number; min: number; calls: number }> = {};
    for (const [name, ms] of cases) {
      const s = { median: (median(ms) * 1000) / ROUNDS, min: (Math.min(...ms) * 1000) / ROUNDS, calls: ms.length };
      steps[name] = s;
      console.log(`  ${name.padEnd(64)} ${s.median.toFixed(1).padStart(8)} ${s.min.toFixed(1).padStart(8)}  (${ms.length} calls)`);
    }
    const byRound = rounds.get(suite)!.ms;
    const perRound = (a: string, b: string): { rounds: number[]; spread: Spread } | undefined => {
      const x = byRound.get(a), y = byRound.get(b);
      if (!x || !y) return undefined;
      const rs: number[] = [];
      // Pass 0 is tinybench's warm-up of every case, before the first measured round.
      for (let r = 1; r < Math.min(x.length, y.length); r++) if (x[r]?.length && y[r]?.length) rs.push(median(x[r]) / median(y[r]));
      return rs.length ? { rounds: rs, spread: spread(rs) } : undefined;
    };
    const ratios: Record<string, { rounds: number[]; spread: Spread }> = {};
    const show = (label: string, a: string, b: string) => {
      const r = perRound(a, b);
      if (!r) return;
      ratios[label] = r;
      const { median: m, min, max } = r.spread;
      console.log(`  ${label.padEnd(64)} ${m.toFixed(2)} [${min.toFixed(2)}–${max.toFixed(2)}] over ${r.rounds.length} rounds`);
    };
    for (const form of Object.keys(FORMS) as GruForm[]) {
      show(`engine / bare Run, ${FORMS[form]}`, `${ENGINE}, ${FORMS[form]}`, `${BARE}, ${FORMS[form]}`);
      show(`engine refilling out / bare Run, ${FORMS[form]}`, `${ENGINE_OUT}, ${FORMS[form]}`, `${BARE}, ${FORMS[form]}`);
      show(`engine plan / bare Run, ${FORMS[form]}`, `${ENGINE_PLAN}, ${FORMS[form]}`, `${BARE}, ${FORMS[form]}`);
      show(`engine plan, runSync / bare Run, ${FORMS[form]}`, `${ENGINE_PLAN_SYNC}, ${FORMS[form]}`, `${BARE}, ${FORMS[form]}`);
    }
    for (const prefix of [ENGINE, ENGINE_OUT, BARE, TS])
      show(`${prefix}: 18-node / one-node time`, `${prefix}, ${FORMS.decomposed}`, `${prefix}, ${FORMS['gru-op']}`);
    out.push({ suite, usPerStep: steps, ratios });
  }
  const file = process.env.BENCH_ONNX_JSON;
  if (file) writeFileSync(file, `${JSON.stringify({ date: new Date().toISOString(), suites: out }, null, 2)}\n`);
}

process.on('exit', () => {
  summary();
  for (const b of bareRuns) b.close();
  rmSync(dir, { recursive: true, force: true });
});

function suite(batch: number, forms: GruForm[], withOut: boolean, timing?: BenchSuite['timing']): BenchSuite {
  let seed = 0;
  const name = `onnx rollout, batch ${batch}`;
  const cases: BenchCase[] = [];
  for (const form of forms) {
    const session = models[form].session;
    cases.push({
      ...timed(name, `${TS}, ${FORMS[form]}`, () => typescriptLoop(session, batch, ++seed)),
      baseline: form === 'gru-op',
    });
  }
  for (const form of forms) {
    const p = models[form].policy;
    cases.push(timed(name, `${ENGINE}, ${FORMS[form]}`, () => rollout({ game, policies: [p, p], batch, seed: ++seed, threads: 1 })));
  }
  if (withOut) {
    for (const form of forms) {
      const p = models[form].policy;
      let out: Trajectory | undefined;
      cases.push(
        timed(name, `${ENGINE_OUT}, ${FORMS[form]}`, async () => {
          out = await rollout({ game, policies: [p, p], batch, seed: ++seed, threads: 1, ...(out ? { out } : {}) });
        }),
      );
    }
  }
  if (withOut) {
    // A plan checks its options once; each run reads only the seed.
    for (const form of forms) {
      const p = models[form].policy;
      const plan = new RolloutPlan({ game, policies: [p, p], batch, threads: 1 });
      cases.push(timed(name, `${ENGINE_PLAN}, ${FORMS[form]}`, () => plan.run({ seed: ++seed })));
      // On the calling thread: no hand-off to a worker and back.
      const planSync = new RolloutPlan({ game, policies: [p, p], batch, threads: 1 });
      cases.push(timed(name, `${ENGINE_PLAN_SYNC}, ${FORMS[form]}`, async () => planSync.runSync({ seed: ++seed })));
    }
  }
  if (bareRunAvailable) for (const form of forms) cases.push(bareRunCase(name, form, 2 * batch));
  return {
    name,
    description:
      `GRU(${HIDDEN}) policy in both seats, IPD ${ROUNDS} rounds, batch ${batch}: env steps per call = ${batch * ROUNDS}; ` +
      `one model run of ${2 * batch} rows per step (bare Run: ${ROUNDS} runs per call)`,
    timing,
    cases,
  };
}

export default [
  suite(1, ['gru-op', 'decomposed'], false),
  suite(64, ['gru-op', 'decomposed'], true),
  suite(4096, ['gru-op'], false, { time: 0, iterations: 4, warmupIterations: 1, warmupTime: 0 }),
];

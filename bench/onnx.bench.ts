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
 * engine's own overhead per step is the difference. The one-node model uses
 * ONNX's GRU operator, the 18-node one spells the cell out (gruPolicy's
 * `form`).
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import { gruPolicy, onnx, onnxRuntimeLibrary, rollout, Game, type GruForm, type Policy } from '../src/index.js';
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

function record(suite: string, name: string, ms: number): void {
  if (!samples.has(suite)) samples.set(suite, new Map());
  const cases = samples.get(suite)!;
  if (!cases.has(name)) cases.set(name, []);
  cases.get(name)!.push(ms);
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
  const name = `ORT bare Run from C++ × ${ROUNDS}, ${FORMS[form]}`;
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

/**
 * Time per step by case, as the median and the fastest call: on a shared
 * machine the fastest call is the one least disturbed by other work, and
 * the cases run one after another, not interleaved.
 */
function summary(): void {
  for (const [suite, cases] of samples) {
    const stats = new Map<string, { median: number; min: number }>();
    console.log(`\n${suite}: µs per step, median and fastest call (bare Run as timed inside the program)`);
    for (const [name, ms] of cases) {
      const s = { median: (median(ms) * 1000) / ROUNDS, min: (Math.min(...ms) * 1000) / ROUNDS };
      stats.set(name, s);
      console.log(`  ${name.padEnd(64)} ${s.median.toFixed(1).padStart(8)} ${s.min.toFixed(1).padStart(8)}  (${ms.length} calls)`);
    }
    const find = (prefix: string, form: GruForm) =>
      stats.get(`${prefix}, ${FORMS[form]}`) ?? stats.get(`${prefix} × ${ROUNDS}, ${FORMS[form]}`);
    const ratio = (a?: { median: number; min: number }, b?: { median: number; min: number }) =>
      a && b ? `${(a.median / b.median).toFixed(2)} (fastest calls: ${(a.min / b.min).toFixed(2)})` : undefined;
    for (const form of Object.keys(FORMS) as GruForm[]) {
      const r = ratio(find('engine rollout, 1 thread', form), find('ORT bare Run from C++', form));
      if (r) console.log(`  engine / bare Run, ${FORMS[form]}: ${r}`);
    }
    for (const prefix of ['engine rollout, 1 thread', 'ORT bare Run from C++', 'TypeScript loop over onnxruntime-node']) {
      const r = ratio(find(prefix, 'decomposed'), find(prefix, 'gru-op'));
      if (r) console.log(`  ${prefix}: 18-node / one-node time ${r}`);
    }
  }
}

process.on('exit', () => {
  summary();
  for (const b of bareRuns) b.close();
  rmSync(dir, { recursive: true, force: true });
});

function suite(batch: number, forms: GruForm[], timing?: BenchSuite['timing']): BenchSuite {
  let seed = 0;
  const name = `onnx rollout, batch ${batch}`;
  const cases: BenchCase[] = [];
  for (const form of forms) {
    const session = models[form].session;
    cases.push({
      ...timed(name, `TypeScript loop over onnxruntime-node, ${FORMS[form]}`, () => typescriptLoop(session, batch, ++seed)),
      baseline: form === 'gru-op',
    });
  }
  for (const form of forms) {
    const p = models[form].policy;
    cases.push(timed(name, `engine rollout, 1 thread, ${FORMS[form]}`, () => rollout({ game, policies: [p, p], batch, seed: ++seed, threads: 1 })));
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
  suite(1, ['gru-op', 'decomposed']),
  suite(64, ['gru-op', 'decomposed']),
  suite(4096, ['gru-op'], { time: 0, iterations: 4, warmupIterations: 1, warmupTime: 0 }),
];

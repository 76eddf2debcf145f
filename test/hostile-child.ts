/**
 * Hostile callers of the raw binding, one case per run (argv[2]), for
 * test/hostile.test.ts, which runs each in its own process so that a crash
 * or an abort fails that test instead of killing the runner. Prints
 * `HOSTILE {json}` with what the case observed.
 *
 * Cases:
 *   sab-step     another thread flips an action on a SharedArrayBuffer while Env.step runs
 *   sab-loss     the same for loss.policyGradient's actions
 *   getters      option getters that detach arrays read before them
 *   proxies      Proxies where typed arrays, arrays and options are expected
 *   terminate    worker_threads Workers terminated while they await native jobs
 */
import { Worker } from 'node:worker_threads';
import { native } from '../src/native.js';
import { onnxStatus } from '../src/onnx-runtime.js';
import { mlpPolicy } from '../src/onnx-writer/index.js';
import { runNamedCase } from './helpers/child.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
const b: any = native();
const report: Record<string, unknown> = {};

function codeOf(e: unknown): string {
  const code = e instanceof Error ? (e as { code?: unknown }).code : undefined;
  return typeof code === 'string' && code.startsWith('ERR_') ? code : `UNCODED ${e instanceof Error ? `${e.constructor.name}: ${e.message}` : String(e)}`;
}

function bump(m: Record<string, number>, k: string): void {
  m[k] = (m[k] ?? 0) + 1;
}

/** A thread that flips a[0] between `good` and `bad` until terminated. */
function flipper(sab: SharedArrayBuffer, good: number, bad: number): Worker {
  return new Worker(
    `const { workerData: { sab, good, bad } } = require('node:worker_threads');
     const a = new Int32Array(sab);
     for (;;) {
       a[0] = good; for (let k = 0; k < 50; k++) Atomics.load(a, 1);
       a[0] = bad; for (let k = 0; k < 50; k++) Atomics.load(a, 1);
     }`,
    { eval: true, workerData: { sab, good, bad } },
  );
}

async function sabStep(): Promise<void> {
  const game = new b.Game('ipd', {});
  const batch = 4096;
  const sab = new SharedArrayBuffer(batch * 2 * 4);
  const actions = new Int32Array(sab); // all cooperate, except what the flipper writes
  const w = flipper(sab, 0, -0x70000000);
  await new Promise((r) => w.once('online', r));
  const env = new b.Env(game, { batch });
  const outcomes: Record<string, number> = {};
  const rewards = new Set<number>();
  for (let i = 0; i < 3000; i++) {
    if (i % 10 === 0) env.reset(); // an ended episode reads no actions
    try {
      rewards.add(env.step(actions).rewards[0]);
      bump(outcomes, 'ok');
    } catch (e) {
      bump(outcomes, codeOf(e));
    }
  }
  await w.terminate();
  Object.assign(report, { outcomes, rewards: [...rewards] });
}

async function sabLoss(): Promise<void> {
  const rows = 1 << 16, A = 4;
  const sab = new SharedArrayBuffer(rows * 4);
  const actions = new Int32Array(sab);
  const w = flipper(sab, 1, -0x70000000);
  await new Promise((r) => w.once('online', r));
  const logits = new Float32Array(rows * A);
  const credits = new Float32Array(rows).fill(1);
  const outcomes: Record<string, number> = {};
  const losses = new Set<number>();
  for (let i = 0; i < 400; i++) {
    try {
      const r = b.loss.policyGradient({ logits, actions, credits, rows, actionCount: A, objective: 'reinforce', ratioCap: Infinity, clip: 0.2, entropyCoef: 0, klCoef: 0, normalize: 'rows' });
      losses.add(r.loss);
      bump(outcomes, 'ok');
    } catch (e) {
      bump(outcomes, codeOf(e));
    }
  }
  await w.terminate();
  Object.assign(report, { outcomes, losses: [...losses] });
}

/** Detaches an array's buffer (transfers it away), as a getter may. */
function detach(a: ArrayBufferView): void {
  structuredClone(a.buffer, { transfer: [a.buffer as ArrayBuffer] });
}

async function getters(): Promise<void> {
  const results: Record<string, string> = {};
  const rows = 64, A = 3;
  // loss.policyGradient: `objective` is read after `logits` in the old order.
  {
    const logits = new Float32Array(rows * A).fill(0.5);
    const options = {
      logits, actions: new Int32Array(rows), credits: new Float32Array(rows).fill(1), rows, actionCount: A,
      get objective() {
        detach(logits);
        return 'reinforce';
      },
      ratioCap: Infinity, clip: 0.2, entropyCoef: 0, klCoef: 0, normalize: 'rows',
    };
    try {
      b.loss.policyGradient(options);
      results.policyGradient = 'ok';
    } catch (e) {
      results.policyGradient = codeOf(e);
    }
  }
  // rollout out: a later field's getter detaches an earlier field's array
  // (a small scripted rollout runs inline and may write into any arrays).
  {
    const game = new b.Game('ipd', {});
    const tft = b.strategy('tit-for-tat', {});
    const batch = 8, steps = 10;
    const out: Record<string, unknown> = {
      observations: new Float32Array(batch * steps * 2 * 5), logProbs: new Float32Array(batch * steps * 2),
      entropies: new Float32Array(batch * steps * 2), rewards: new Float32Array(batch * steps * 2),
      dones: new Uint8Array(batch * steps), mask: new Uint8Array(batch * steps), stats: new Int32Array(0),
    };
    Object.defineProperty(out, 'actions', {
      enumerable: true,
      get() {
        detach(out.observations as Float32Array);
        return new Int32Array(batch * steps * 2);
      },
    });
    try {
      await b.rollout(game, [tft, tft], { batch, steps, out });
      results.rolloutOut = 'ok';
    } catch (e) {
      results.rolloutOut = codeOf(e);
    }
  }
  // A getter of Env's options could shrink `streams` (a resizable buffer)
  // after its length was checked: resizable buffers are refused outright.
  {
    const game = new b.Game('ipd', {});
    const rab = new (ArrayBuffer as any)(16 * 4, { maxByteLength: 64 * 4 });
    const streams = new Uint32Array(rab);
    const options = {
      batch: 16,
      get seed() {
        return 1;
      },
      get streams() {
        return streams;
      },
    };
    Object.defineProperty(options, 'batch', {
      enumerable: true,
      get() {
        return 16;
      },
    });
    try {
      new b.Env(game, options).dispose();
      results.envStreams = 'ok';
    } catch (e) {
      results.envStreams = codeOf(e);
    }
    rab.resize(4);
    try {
      new b.Env(game, options).dispose();
      results.envStreamsShrunk = 'ok';
    } catch (e) {
      results.envStreamsShrunk = codeOf(e);
    }
  }
  // A policies array whose element getter pushes more entries, and a
  // parameters array that grows while it is read.
  {
    const game = new b.Game('ipd', {});
    const tft = b.strategy('tit-for-tat', {});
    const growing: number[] = [1, 2];
    Object.defineProperty(growing, 0, {
      get() {
        for (let i = 0; i < 100_000; i++) growing.push(0);
        return 1;
      },
    });
    try {
      b.strategy('random', { weights: growing }).dispose();
      results.paramsGrowing = 'ok';
    } catch (e) {
      results.paramsGrowing = codeOf(e);
    }
    try {
      await b.rollout(game, [tft, tft], { batch: 2 });
      results.rolloutPlain = 'ok';
    } catch (e) {
      results.rolloutPlain = codeOf(e);
    }
  }
  Object.assign(report, { results });
}

async function proxies(): Promise<void> {
  const results: Record<string, string> = {};
  const game = new b.Game('ipd', {});
  const tft = b.strategy('tit-for-tat', {});
  const env = new b.Env(game, { batch: 2 });
  env.reset();
  const attempt = async (name: string, fn: () => unknown): Promise<void> => {
    try {
      await fn();
      results[name] = 'ok';
    } catch (e) {
      results[name] = codeOf(e);
    }
  };
  await attempt('Env.step(Proxy(Int32Array))', () => env.step(new Proxy(new Int32Array(4), {})));
  await attempt('rollout(Proxy(policies))', () => b.rollout(game, new Proxy([tft, tft], {}), { batch: 2 }));
  await attempt('tournament(Proxy(players))', () => b.tournament(game, new Proxy([tft], {}), { repetitions: 2 }));
  await attempt('strategy(params with Proxy array)', () => b.strategy('random', { weights: new Proxy([1, 2], {}) }));
  await attempt('rollout(options Proxy)', () => b.rollout(game, [tft, tft], new Proxy({ batch: 2 }, {})));
  await attempt('credit.whiten(Proxy(Float32Array))', () => b.credit.whiten({ x: new Proxy(new Float32Array(4), {}), out: new Float32Array(4), batch: 2, steps: 2, perStep: false, eps: 1e-8 }));
  env.dispose();
  // The same through the package's API, which checks arguments first.
  const api = await import('../src/index.js');
  const P = <T extends object>(x: T): T => new Proxy(x, {});
  const apiEnv = api.makeEnv('ipd', {}, { batch: 2 });
  apiEnv.reset();
  await attempt('api Env.step(Proxy(Int32Array))', () => apiEnv.step(P(new Int32Array(4))));
  await attempt('api makeEnv(streams: Proxy(Uint32Array))', () => api.makeEnv('ipd', {}, { batch: 2, streams: P(new Uint32Array(2)) }));
  await attempt('api rollout(groups: Proxy(Uint32Array))', () => api.rollout({ game: 'ipd', policies: ['tit-for-tat', 'tit-for-tat'], batch: 2, groups: P(new Uint32Array(2)) }));
  await attempt('api rollout(groups: Proxy(Int32Array))', () => api.rollout({ game: 'ipd', policies: ['tit-for-tat', 'tit-for-tat'], batch: 2, groups: P(new Int32Array(2)) as never }));
  await attempt('api credit.whiten(x: Proxy(Float32Array))', () => (api.credit.whiten as (...a: unknown[]) => unknown)({ x: P(new Float32Array(4)), batch: 2, steps: 2 }));
  apiEnv.dispose();
  Object.assign(report, { results });
}

async function terminate(): Promise<void> {
  const onnx = onnxStatus().available;
  const kinds = ['rollout', 'tournament', 'train', ...(onnx ? ['onnx'] : [])];
  const modelBytes = onnx ? mlpPolicy({ obsDim: 5, actions: 2, hidden: [8], seed: 1 }).bytes : new Uint8Array(0);
  const started: Record<string, number> = {};
  for (const kind of kinds) {
    for (let i = 0; i < 3; i++) {
      const w = new Worker(
        `const { parentPort, workerData: { kind, path, modelBytes } } = require('node:worker_threads');
         const b = require(path);
         const g = new b.Game('ipd', {});
         const p = b.strategy('random', {});
         if (kind === 'rollout') b.rollout(g, [p, p], { batch: 100000, steps: 10 });
         if (kind === 'tournament') b.tournament(g, [p, p, p], { repetitions: 50000 });
         if (kind === 'train') new b.Trainer(g, { policy: { kind: 'tabular' }, batch: 20000, steps: 10 }).iterate();
         if (kind === 'onnx') { const q = b.onnxPolicy(modelBytes, {}); b.rollout(g, [q, q], { batch: 20000, steps: 10 }); }
         parentPort.postMessage('awaiting');`,
        { eval: true, workerData: { kind, path: process.env.DILEMMA_ADDON_PATH ?? require_path(), modelBytes } },
      );
      await new Promise((r) => w.once('message', r));
      bump(started, kind);
      // Terminated while the job runs (or just after it finished: both must be safe).
      await new Promise((r) => setTimeout(r, i * 3));
      await w.terminate();
    }
  }
  // The parent's own binding still works.
  const g = new b.Game('ipd', {});
  const p = b.strategy('tit-for-tat', {});
  const t = await b.rollout(g, [p, p], { batch: 4 });
  Object.assign(report, { started, after: t.rewards.length });
}

function require_path(): string {
  return new URL('../build/Release/dilemma.node', import.meta.url).pathname;
}

const cases: Record<string, () => Promise<void>> = { 'sab-step': sabStep, 'sab-loss': sabLoss, getters, proxies, terminate };
await runNamedCase(cases, 'HOSTILE', () => report);

/**
 * Hostile callers of the newer entry points, one case per run (argv[2]), for
 * test/hostile-entry-points.test.ts, which runs each in its own process: all
 * of these crashed the process before their fix. Prints `HOSTILE {json}`
 * with each probe's outcome: 'ok', an `ERR_` code, or `UNCODED ...`.
 *
 * Cases:
 *   index-setter   an index setter on Array.prototype, which runs when the
 *                  binding fills an array of names after taking views of
 *                  `out`, shrinks resizable `out` buffers of an inline rollout
 *   index-setter-detach
 *                  the same setter transfers plain `out` buffers away and
 *                  collects them (run with --expose-gc)
 *   trainer        getters of fitActions' data and restore's state that
 *                  dispose the trainer or start an iteration on it
 *   resizable      resizable ArrayBuffers handed to every kind of array argument
 *   fuzz-new       seeded random hostile arguments (HOSTILE_CALLS, default 5000) to
 *                  the raw binding's newer entry points, which test/fuzz-child.ts
 *                  does not call: Policy.weights/setWeights, tournament pairs,
 *                  resultPool, gameLayout, limits, Trainer.iteration/paramSpecs/
 *                  checkConfig, and fitActions/restore with hostile members;
 *                  reports outcome counts and every uncoded error
 */
import * as E from '../src/index.js';
import { native } from '../src/native.js';
import { onnxStatus } from '../src/onnx-runtime.js';
import { mlpPolicy } from '../src/onnx-writer/index.js';
import { runNamedCase } from './helpers/child.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
const b: any = native();
const results: Record<string, string> = {};

/** The error's code, with ':resizable' when its message blames a resizable buffer. */
function codeOf(e: unknown): string {
  const code = e instanceof Error ? (e as { code?: unknown }).code : undefined;
  if (typeof code !== 'string' || !code.startsWith('ERR_')) {
    return `UNCODED ${e instanceof Error ? `${e.constructor.name}: ${e.message}` : String(e)}`;
  }
  return /resizable ArrayBuffer/.test((e as Error).message) ? `${code}:resizable` : code;
}

async function probe(name: string, fn: () => unknown): Promise<void> {
  try {
    const r = await fn();
    results[name] = typeof r === 'string' ? r : 'ok';
  } catch (e) {
    results[name] = codeOf(e);
  }
}

/** A typed array over a resizable ArrayBuffer that may grow to twice its length. */
function resizable<C extends { new (b: ArrayBuffer): ArrayBufferView; BYTES_PER_ELEMENT: number }>(C: C, n: number): InstanceType<C> {
  const buffer = new (ArrayBuffer as any)(n * C.BYTES_PER_ELEMENT, { maxByteLength: 2 * n * C.BYTES_PER_ELEMENT + 8 });
  return new C(buffer) as InstanceType<C>;
}

type ArrayCtor = { new (n: number): ArrayBufferView; new (b: ArrayBuffer): ArrayBufferView; BYTES_PER_ELEMENT: number };

/**
 * An inline trust-and-split rollout into `out` arrays made by `make`, with an
 * index setter on Array.prototype that calls `hostile(out)` the first time it
 * runs. trust-and-split has named statistics: the binding makes an array of
 * their names after it took views of out's arrays, and before the rollout
 * writes into them, so a setter that ran there would run mid-call.
 */
async function rolloutUnderIndexSetter(
  batch: number,
  make: (C: ArrayCtor, n: number) => ArrayBufferView,
  hostile: (out: Record<string, ArrayBufferView>) => void,
): Promise<void> {
  const game = new b.Game('trust-and-split', {});
  const i = game.info();
  const steps = i.maxSteps, n = batch * steps * i.agents;
  const out: Record<string, ArrayBufferView> = {
    observations: make(Float32Array, n * i.obsDim), actions: make(Int32Array, n), logProbs: make(Float32Array, n),
    entropies: make(Float32Array, n), rewards: make(Float32Array, n), dones: make(Uint8Array, batch * steps),
    mask: make(Uint8Array, batch * steps), stats: make(Int32Array, batch * i.statNames.length),
  };
  let fired = 0;
  Object.defineProperty(Array.prototype, '0', {
    configurable: true,
    set(v) {
      Object.defineProperty(this, '0', { value: v, writable: true, enumerable: true, configurable: true });
      if (fired++ === 0) hostile(out);
    },
  });
  const greedy = b.strategy('greedy-splitter', {});
  try {
    await probe('rollout', () => b.rollout(game, [greedy, greedy], { batch, out }));
  } finally {
    delete (Array.prototype as any)[0];
  }
  results.setterRan = String(fired);
}

/** The setter shrinks resizable `out` buffers to nothing. */
async function indexSetter(): Promise<void> {
  await rolloutUnderIndexSetter(4, (C, n) => resizable(C, n), (out) => {
    for (const a of Object.values(out)) (a.buffer as any).resize(0);
  });
}

/** The setter transfers plain `out` buffers away and collects them (--expose-gc). */
async function indexSetterDetach(): Promise<void> {
  // Large enough for the allocator to give the memory back to the system when freed.
  await rolloutUnderIndexSetter(1000, (C, n) => new C(n), (out) => {
    for (const a of Object.values(out)) structuredClone(a.buffer, { transfer: [a.buffer as ArrayBuffer] });
    (globalThis as any).gc();
  });
}

async function trainer(): Promise<void> {
  const cfg = { game: { id: 'ipd' }, batch: 8, seed: 1 };
  const ipd = new b.Game('ipd', {});
  const info = ipd.info();
  const rows = info.maxSteps;
  const data = (onObservations: () => void): any => {
    const d: any = { sequences: 1, steps: info.maxSteps, actions: new Int32Array(rows) };
    Object.defineProperty(d, 'observations', { enumerable: true, get() { onObservations(); return new Float32Array(rows * info.obsDim); } });
    return d;
  };
  // The public Trainer: its own check reads observations once, the binding a second time.
  await probe('Trainer.fitActions getter disposes', () => {
    const t = E.Trainer.create(cfg as any);
    let reads = 0;
    return t.fitActions(data(() => { if (++reads === 2) t.dispose(); }));
  });
  const raw = (batch = 8) => new b.Trainer(ipd, { batch, policy: { kind: 'tabular', params: {} } }, undefined);
  await probe('raw fitActions getter disposes', () => { const t = raw(); return t.fitActions(data(() => t.dispose())); });
  await probe('raw fitActions getter iterates', async () => {
    const t = raw(16384); // off the event loop: the iteration is still running when fitActions checks
    let running: Promise<unknown> | undefined;
    try {
      return await t.fitActions(data(() => { running = t.iterate(); }));
    } finally {
      await running;
    }
  });
  await probe('raw restore getter disposes', () => {
    const t = raw();
    const s = { ...t.state() };
    const params = s.params;
    Object.defineProperty(s, 'params', { enumerable: true, get() { t.dispose(); return params; } });
    return t.restore(s);
  });
  await probe('raw restore getter iterates', async () => {
    const t = raw(16384);
    const s = { ...t.state() };
    const params = s.params;
    let running: Promise<unknown> | undefined;
    Object.defineProperty(s, 'params', { enumerable: true, get() { running = t.iterate(); return params; } });
    try {
      return t.restore(s);
    } finally {
      await running;
    }
  });
}

async function resizableArgs(): Promise<void> {
  const ipd = new b.Game('ipd', {});
  const tft = b.strategy('tit-for-tat', {});
  await probe('Env.step actions', () => { const env = new b.Env(ipd, { batch: 2 }); env.reset(); return env.step(resizable(Int32Array, 4)); });
  await probe('tournament pairs', () => b.tournament(ipd, [tft, tft], { repetitions: 2, pairs: resizable(Int32Array, 2) }));
  await probe('credit.discountedReturns rewards', () => E.credit.discountedReturns(resizable(Float32Array, 8), { batch: 2, steps: 4, gamma: 0.9 }));
  await probe('credit.whiten out', () => E.credit.whiten(new Float32Array(8), { batch: 2, steps: 4, out: resizable(Float32Array, 8) } as any));
  await probe('loss.logSoftmax logits', () => E.loss.logSoftmax(resizable(Float32Array, 8), { rows: 4, actions: 2 }));
  await probe('modelPolicy params', () => b.modelPolicy('tabular', info(ipd).obsDim, 2, {}, resizable(Float32Array, 1)));
  if (onnxStatus().available) {
    const p = E.onnx(mlpPolicy({ obsDim: 5, actions: 2, hidden: [4] }).bytes, { trainable: true });
    await probe('setWeights', () => p.setWeights(resizable(Float32Array, p.parameterCount)));
  }
  // A growable SharedArrayBuffer never gives memory back: accepted (and copied).
  await probe('growable SharedArrayBuffer', () => {
    const sab = new (SharedArrayBuffer as any)(8 * 4, { maxByteLength: 64 * 4 });
    return E.credit.discountedReturns(new Float32Array(sab), { batch: 2, steps: 4, gamma: 0.5 }) && 'ok';
  });
}

async function fuzzNew(): Promise<void> {
  let state = 20261201;
  const rand = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rand() * items.length)];
  const ipd = new b.Game('ipd', {});
  const tns = new b.Game('trust-and-split', {});
  const tft = b.strategy('tit-for-tat', {});
  const onnxOn = onnxStatus().available;
  const model = mlpPolicy({ obsDim: 5, actions: 2, hidden: [4] });
  const trainable = (): any => (onnxOn ? E.onnx(model.bytes, { trainable: true }).handle : tft);
  let policy = trainable();
  const newTrainer = (): any => new b.Trainer(ipd, { batch: 8, policy: { kind: 'tabular', params: {} } }, undefined);
  let trainer = newTrainer();
  const rows = 10, obsDim = 5;
  const detached = (): Float32Array => {
    const a = new Float32Array(4);
    structuredClone(a.buffer, { transfer: [a.buffer] });
    return a;
  };
  const number = (): unknown => pick([0, -0, 1, 2, 3, -1, 0.5, NaN, Infinity, -Infinity, 2 ** 31, 2 ** 53, 1e308, 1n, '1', null, undefined, {}]);
  const floats = (n: number): unknown => pick([
    () => new Float32Array(n), () => new Float32Array(n).fill(NaN), () => new Float64Array(n), () => new Float32Array(Math.max(0, n - 1)),
    () => new Float32Array(new SharedArrayBuffer(4 * n)), () => resizable(Float32Array, n), () => detached(),
    () => new Proxy(new Float32Array(n), {}), () => Array.from({ length: n }, () => 0), () => number(),
  ])();
  const ints = (n: number, hi: number): unknown => pick([
    () => new Int32Array(n), () => Int32Array.from({ length: n }, () => Math.floor(rand() * (hi + 2)) - 1),
    () => new Uint32Array(n), () => new Int32Array(n + 1), () => new Int32Array(new SharedArrayBuffer(4 * n)),
    () => resizable(Int32Array, n), () => new Proxy(new Int32Array(n), {}), () => number(),
  ])();
  const withGetter = (o: Record<string, unknown>): Record<string, unknown> => {
    const keys = Object.keys(o);
    const k = pick(keys);
    const value = o[k];
    const copy: Record<string, unknown> = { ...o };
    const act = pick(['dispose-trainer', 'iterate', 'dispose-policy', 'throw-coded', 'detach', 'none']);
    Object.defineProperty(copy, k, {
      enumerable: true,
      get() {
        if (act === 'dispose-trainer') trainer.dispose();
        if (act === 'iterate') void Promise.resolve(call('Trainer.iterate', () => trainer.iterate())).catch(() => undefined);
        if (act === 'dispose-policy') policy.dispose();
        if (act === 'detach') for (const v of Object.values(o)) if (ArrayBuffer.isView(v) && rand() < 0.5) try { structuredClone(v.buffer, { transfer: [v.buffer as ArrayBuffer] }); } catch { /* shared or detached */ }
        if (act === 'throw-coded') throw Object.assign(new Error('from a getter'), { code: 'ERR_FROM_GETTER' });
        return value;
      },
    });
    return copy;
  };
  const outcomes: Record<string, number> = {};
  const uncoded: string[] = [];
  const pending: Array<Promise<unknown>> = [];
  function note(target: string, e: unknown): void {
    const c = e === undefined ? 'ok' : codeOf(e).replace(/:resizable$/, '');
    outcomes[c] = (outcomes[c] ?? 0) + 1;
    if (c.startsWith('UNCODED') && uncoded.length < 20) uncoded.push(`${target}: ${c}`);
  }
  function call(target: string, fn: () => unknown): unknown {
    try {
      const v = fn();
      if (v instanceof Promise) {
        pending.push(v.then(() => note(target, undefined), (e) => note(target, e)));
        return v.catch(() => undefined);
      }
      outcomes.ok = (outcomes.ok ?? 0) + 1;
      return v;
    } catch (e) {
      note(target, e);
      return undefined;
    }
  }
  const calls = Number(process.env.HOSTILE_CALLS ?? 5000);
  for (let i = 0; i < calls; i++) {
    if (i % 50 === 0) {
      await Promise.allSettled(pending.splice(0));
      policy.dispose();
      policy = trainable();
      trainer.dispose();
      trainer = newTrainer();
    }
    const what = Math.floor(rand() * 10);
    if (what === 0) call('Policy.weights', () => policy.weights());
    else if (what === 1) {
      const names = pick([() => (call('Policy.weights', () => policy.weights()) as any[] | undefined)?.map((w: any) => w.name) ?? ['W0'], () => ['nope'], () => [number()], () => new Proxy([], {}), () => number()])();
      const arrays = Array.isArray(names) ? names.map(() => floats(pick([20, 4, 8, 2]))) : floats(3);
      call('Policy.setWeights', () => policy.setWeights(names, rand() < 0.3 && Array.isArray(arrays) ? new Proxy(arrays, {}) : arrays));
    } else if (what === 2) {
      const players = pick([() => [tft, policy], () => new Array(1 + Math.floor(rand() * 40)).fill(tft), () => [tft, number()], () => []])();
      const n = Array.isArray(players) ? players.length : 2;
      const o = { repetitions: pick([1, 2, number()]), steps: pick([undefined, 1, 3, number()]), seed: pick([0, 2 ** 53, -1, 5n, 2n ** 64n]), pairs: ints(2 * (1 + Math.floor(rand() * 4)), n) };
      call('tournament', () => b.tournament(pick([ipd, tns, number()]), players, rand() < 0.3 ? withGetter(o) : o));
    } else if (what === 3) {
      const fn = pick(['stats', 'trim', 'float32'] as const);
      call(`resultPool.${fn}`, () => b.resultPool[fn](number(), number()));
    } else if (what === 4) call('gameLayout', () => b.gameLayout(pick([ipd, tns, number(), 'ipd'])));
    else if (what === 5) call('limits', () => b.limits(number()));
    else if (what === 6) {
      const m = pick(['iteration', 'info', 'state', 'policy'] as const);
      call(`Trainer.${m}`, () => trainer[m](pick([undefined, number()])));
      call('Trainer.checkConfig', () => b.Trainer.checkConfig(pick([{ batch: number() }, { lr: number(), gamma: number() }, number()])));
      call('Trainer.paramSpecs', () => b.Trainer.paramSpecs(number()));
    } else if (what === 7) {
      const d = { sequences: pick([1, 2, number()]), steps: pick([rows, 1, number()]), observations: floats(pick([rows * obsDim, 2 * rows * obsDim])), actions: ints(pick([rows, 2 * rows]), 2), ...(rand() < 0.5 ? { mask: pick([new Uint8Array(rows), new Uint8Array(rows).fill(7), number()]) } : {}) };
      call('Trainer.fitActions', () => trainer.fitActions(rand() < 0.4 ? withGetter(d) : d));
    } else if (what === 8) {
      let s: Record<string, unknown> = {};
      try { s = { ...trainer.state() }; } catch { s = {}; }
      if (rand() < 0.5) s[pick(Object.keys(s).length ? Object.keys(s) : ['params'])] = pick([floats(3), number(), [floats(2)]]);
      call('Trainer.restore', () => trainer.restore(rand() < 0.5 ? withGetter(Object.keys(s).length ? s : { params: 1 }) : s));
    } else {
      const o = { batch: pick([1, 4, number()]), steps: pick([undefined, 2, number()]) };
      call('allocateTrajectory', () => b.allocateTrajectory(pick([ipd, tns, number()]), rand() < 0.3 ? withGetter(o) : o));
    }
  }
  await Promise.allSettled(pending.splice(0));
  results.calls = String(calls);
  results.outcomes = JSON.stringify(outcomes);
  results.uncoded = JSON.stringify(uncoded);
}

function info(g: any): { obsDim: number } {
  return g.info();
}

const cases: Record<string, () => Promise<void>> = {
  'index-setter': indexSetter,
  'index-setter-detach': indexSetterDetach,
  trainer,
  resizable: resizableArgs,
  'fuzz-new': fuzzNew,
};
await runNamedCase(cases, 'HOSTILE', () => results);

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
 *                  collects them (run with --expose-gc); still crashes: the
 *                  rollout binding fills statNames with Napi::Array::Set
 *   trainer        getters of fitActions' data and restore's state that
 *                  dispose the trainer or start an iteration on it
 *   resizable      resizable ArrayBuffers handed to every kind of array argument
 */
import * as E from '../src/index.js';
import { native } from '../src/native.js';
import { onnxStatus } from '../src/onnx-runtime.js';
import { mlpPolicy } from '../src/onnx-writer/index.js';

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

async function indexSetter(): Promise<void> {
  // trust-and-split has named statistics: the binding makes an array of
  // their names after it took views of out's arrays, and before the inline
  // rollout writes into them.
  const game = new b.Game('trust-and-split', {});
  const i = game.info();
  const batch = 4, steps = i.maxSteps, n = batch * steps * i.agents;
  const out = {
    observations: resizable(Float32Array, n * i.obsDim), actions: resizable(Int32Array, n),
    logProbs: resizable(Float32Array, n), entropies: resizable(Float32Array, n), rewards: resizable(Float32Array, n),
    dones: resizable(Uint8Array, batch * steps), mask: resizable(Uint8Array, batch * steps),
    stats: resizable(Int32Array, batch * i.statNames.length),
  };
  let fired = 0;
  Object.defineProperty(Array.prototype, '0', {
    configurable: true,
    set(v) {
      fired++;
      for (const a of Object.values(out)) (a.buffer as any).resize(0);
      Object.defineProperty(this, '0', { value: v, writable: true, enumerable: true, configurable: true });
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

async function indexSetterDetach(): Promise<void> {
  const game = new b.Game('trust-and-split', {});
  const i = game.info();
  // Large enough for the allocator to give the memory back to the system when freed.
  const batch = 1000, steps = i.maxSteps, n = batch * steps * i.agents;
  const out: Record<string, ArrayBufferView> = {
    observations: new Float32Array(n * i.obsDim), actions: new Int32Array(n), logProbs: new Float32Array(n),
    entropies: new Float32Array(n), rewards: new Float32Array(n), dones: new Uint8Array(batch * steps),
    mask: new Uint8Array(batch * steps), stats: new Int32Array(batch * i.statNames.length),
  };
  let fired = 0;
  Object.defineProperty(Array.prototype, '0', {
    configurable: true,
    set(v) {
      Object.defineProperty(this, '0', { value: v, writable: true, enumerable: true, configurable: true });
      if (fired++) return;
      for (const a of Object.values(out)) structuredClone(a.buffer, { transfer: [a.buffer as ArrayBuffer] });
      (globalThis as any).gc();
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
    const t = raw(4096); // off the event loop: the iteration is still running when fitActions checks
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
    const t = raw(4096);
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

function info(g: any): { obsDim: number } {
  return g.info();
}

const cases: Record<string, () => Promise<void>> = {
  'index-setter': indexSetter,
  'index-setter-detach': indexSetterDetach,
  trainer,
  resizable: resizableArgs,
};
const name = process.argv[2];
const run = cases[name];
if (!run) {
  console.error(`unknown case ${name}`);
  process.exit(2);
}
await run();
console.log(`HOSTILE ${JSON.stringify(results)}`);

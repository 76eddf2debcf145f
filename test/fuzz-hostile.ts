/**
 * The fuzzer's hostile classes (test/fuzz-child.ts calls them): arguments a
 * caller changes behind the binding's back, rather than wrong ones.
 *
 *   shared-memory       typed arrays on a SharedArrayBuffer another thread keeps rewriting
 *   getter              options whose getters detach or shrink other members' arrays,
 *                       or answer differently each time they are read
 *   proxy               Proxies around typed arrays, arrays and options objects
 *   worker-termination  worker_threads Workers terminated while they await a native job
 *   crafted-size        ONNX models declaring huge tensor widths; batches whose result
 *                       arrays pass LIMITS.maxResultBytes (refused before allocation)
 *
 * Every call goes through the fuzzer's `call`, so the same rule holds: it
 * returns, or fails with an `ERR_` code. Each class counts its calls.
 */
import { Worker } from 'node:worker_threads';
import { encodeModel, GraphBuilder } from '../src/onnx-writer/model.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Any = any;

export interface FuzzContext {
  b: Any;
  addonPath: string;
  onnx: boolean;
  rand(): number;
  int(lo: number, hi: number): number;
  chance(p: number): boolean;
  pick<T>(items: readonly T[]): T;
  call(target: string, args: readonly unknown[], fn: () => unknown): unknown;
  /** A live game: { game, agents, obsDim, actions, maxSteps }. */
  someGame(): { game: Any; agents: number; obsDim: number; actions: number; maxSteps: number };
  /** A live policy handle (or junk, rarely). */
  policyArg(): unknown;
  /** Model bytes of a small GRU policy for obsDim 5, actions 2. */
  gruBytes: Uint8Array;
}

export const HOSTILE_CLASSES = ['shared-memory', 'getter', 'proxy', 'worker-termination', 'crafted-size'] as const;
export type HostileClass = (typeof HOSTILE_CLASSES)[number];

type Kind = 'f32' | 'i32' | 'u32' | 'u8';
const CTORS = { f32: Float32Array, i32: Int32Array, u32: Uint32Array, u8: Uint8Array } as const;

export function makeHostile(ctx: FuzzContext): {
  counts: Record<HostileClass, number>;
  step(): void;
  finish(): Promise<void>;
} {
  const { b, int, chance, pick, call } = ctx;
  const counts = Object.fromEntries(HOSTILE_CLASSES.map((c) => [c, 0])) as Record<HostileClass, number>;
  const terminations: Array<Promise<void>> = [];

  // One thread rewrites this buffer for the whole run: mostly small integers
  // (valid actions, ids), sometimes -1, huge or negative words, NaN bits.
  const SHARED_WORDS = 1 << 14;
  const shared = new SharedArrayBuffer(SHARED_WORDS * 4);
  const flipper = new Worker(
    `const { workerData: sab } = require('node:worker_threads');
     const a = new Int32Array(sab);
     let s = 12345;
     const next = () => (s = (Math.imul(s, 1103515245) + 12345) | 0);
     const words = [0, 1, 2, 3, -1, 0x7fffffff, -0x70000000, 0x7fc00000, 0x3f800000, 5];
     const pause = new Int32Array(new SharedArrayBuffer(4));
     for (;;) {
       // Bursts of writes, then a millisecond's rest: races enough, without
       // taking a whole core from the calls it races.
       for (let k = 0; k < 20000; k++) {
         const i = (next() >>> 0) % a.length;
         a[i] = words[(next() >>> 0) % words.length];
       }
       Atomics.wait(pause, 0, 0, 1);
     }`,
    { eval: true, workerData: shared },
  );
  flipper.unref();

  /** A view of `length` elements into the rewritten buffer. */
  function sharedArray(kind: Kind, length: number): ArrayBufferView {
    const n = Math.min(length, SHARED_WORDS);
    const offset = int(0, SHARED_WORDS - n) * 4;
    const Ctor = CTORS[kind];
    return kind === 'u8' ? new Uint8Array(shared, offset, n) : new (Ctor as Any)(shared, offset, n);
  }

  function detach(v: unknown): void {
    if (!ArrayBuffer.isView(v) || v.buffer instanceof SharedArrayBuffer) return;
    try {
      structuredClone(v.buffer, { transfer: [v.buffer as ArrayBuffer] });
    } catch {
      // Already detached, or a buffer the engine lent (not transferable).
    }
  }

  /**
   * o with some members turned into getters that, when read, detach another
   * member's array, or answer junk from the second read on.
   */
  function withGetters(o: Record<string, unknown>): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    const keys = Object.keys(o);
    for (const key of keys) {
      const value = o[key];
      if (!chance(0.35)) {
        out[key] = value;
        continue;
      }
      let reads = 0;
      const victim = o[pick(keys)];
      const mode = int(0, 2);
      Object.defineProperty(out, key, {
        enumerable: true,
        configurable: true,
        get() {
          reads++;
          if (mode === 0) detach(victim);
          if (mode === 1 && reads > 1) return pick([undefined, -1, 'x', 2 ** 40, new Float32Array(1)]);
          if (mode === 2) {
            // Shrinks a resizable buffer under a length-tracking view.
            const buffer = ArrayBuffer.isView(victim) ? (victim.buffer as Any) : undefined;
            if (buffer?.resizable && buffer.byteLength > 0) buffer.resize(0);
          }
          return value;
        },
      });
    }
    return out;
  }

  function proxied<T>(v: T): T {
    if (typeof v !== 'object' || v === null) return v;
    return new Proxy(v as Any, chance(0.5) ? {} : { get: (t, k) => (k === 'length' && Array.isArray(t) ? t.length + 1 : Reflect.get(t, k)) });
  }

  /** A resizable-buffer array of `kind`, `length` long, that getters may shrink. */
  function resizable(kind: Kind, length: number, fill: () => number): ArrayBufferView {
    const Ctor = CTORS[kind] as Any;
    const buffer = new (ArrayBuffer as Any)(length * Ctor.BYTES_PER_ELEMENT, { maxByteLength: (length + 4) * Ctor.BYTES_PER_ELEMENT });
    const a = new Ctor(buffer);
    for (let i = 0; i < length; i++) a[i] = fill();
    return a;
  }

  function array(cls: HostileClass, kind: Kind, length: number, fill: () => number): unknown {
    if (cls === 'shared-memory') return sharedArray(kind, length);
    const a = chance(0.5) ? resizable(kind, length, fill) : (() => {
      const x = new (CTORS[kind] as Any)(length);
      for (let i = 0; i < length; i++) x[i] = fill();
      return x;
    })();
    return cls === 'proxy' && chance(0.6) ? proxied(a) : a;
  }

  function wrap(cls: HostileClass, o: Record<string, unknown>): unknown {
    if (cls === 'getter') return withGetters(o);
    if (cls === 'proxy' && chance(0.5)) return proxied(o);
    return o;
  }

  function argumentCall(cls: 'shared-memory' | 'getter' | 'proxy'): void {
    counts[cls]++;
    const g = ctx.someGame();
    switch (int(0, 6)) {
      case 0: {
        const batch = int(1, 64);
        const env = call('new Env', [], () => new b.Env(g.game, wrap(cls, { batch, seed: 1, streams: array(cls, 'u32', batch, () => int(0, 9)) }))) as Any;
        if (!env) return;
        call('Env.reset', [], () => env.reset());
        for (let k = 0; k < 4; k++) {
          const actions = array(cls, 'i32', env.dones().length * g.agents, () => int(0, g.actions - 1));
          call('Env.step', [actions], () => env.step(actions));
        }
        env.dispose();
        return;
      }
      case 1: {
        const rows = int(1, 256), A = int(1, 5);
        const o: Record<string, unknown> = {
          logits: array(cls, 'f32', rows * A, () => ctx.rand()), actions: array(cls, 'i32', rows, () => int(-1, A - 1)),
          credits: array(cls, 'f32', rows, () => ctx.rand()), rows, actionCount: A, objective: pick(['reinforce', 'ppo']),
          ratioCap: 2, clip: 0.2, entropyCoef: 0.01, klCoef: 0.1, normalize: pick(['mask', 'rows']),
        };
        if (chance(0.5)) o.mask = array(cls, 'u8', rows, () => int(0, 1));
        if (chance(0.5)) o.behaviorLogProbs = array(cls, 'f32', rows, () => -ctx.rand());
        if (chance(0.4)) o.referenceLogits = array(cls, 'f32', rows * A, () => ctx.rand());
        if (chance(0.4)) o.out = array(cls, 'f32', rows * A, () => 0);
        const options = wrap(cls, o);
        call('loss.policyGradient', [options], () => b.loss.policyGradient(options));
        return;
      }
      case 2: {
        const batch = int(1, 8), steps = int(1, 4);
        const args: unknown[] = pick([
          ['gae', { rewards: array(cls, 'f32', batch * steps, () => ctx.rand()), values: array(cls, 'f32', batch * (steps + 1), () => ctx.rand()), out: new Float32Array(batch * steps), batch, steps, gamma: 0.9, lambda: 0.9 }],
          ['leaveOneOut', { values: array(cls, 'f32', batch * steps, () => ctx.rand()), groups: array(cls, 'i32', batch, () => int(0, 2)), out: new Float32Array(batch * steps), batch, steps }],
          ['whiten', { x: array(cls, 'f32', batch * steps, () => ctx.rand()), out: new Float32Array(batch * steps), batch, steps, perStep: false, eps: 1e-8 }],
        ]);
        const [fn, o] = args as [string, Record<string, unknown>];
        const options = wrap(cls, o);
        call(`credit.${fn}`, [options], () => b.credit[fn](options));
        return;
      }
      case 3: {
        const batch = int(1, 32);
        const seats = Array.from({ length: g.agents }, () => ctx.policyArg());
        const policies = cls === 'proxy' && chance(0.5) ? proxied(seats) : seats;
        const o: Record<string, unknown> = { batch, seed: int(0, 99), steps: int(1, 4) };
        if (chance(0.5)) o.groups = array(cls, 'u32', batch, () => int(0, 3));
        if (chance(0.3)) {
          const t = call('allocateTrajectory', [], () => b.allocateTrajectory(g.game, { batch, steps: o.steps })) as Any;
          if (t) o.out = wrap(cls, { ...t });
        }
        const options = wrap(cls, o);
        call('rollout', [g.game, policies, options], () => b.rollout(g.game, policies, options));
        return;
      }
      case 4: {
        const players = Array.from({ length: int(1, 3) }, () => ctx.policyArg());
        const options = wrap(cls, { repetitions: int(1, 4), seed: 1, steps: int(1, 3) });
        const list = cls === 'proxy' ? proxied(players) : players;
        call('tournament', [g.game, list, options], () => b.tournament(g.game, list, options));
        return;
      }
      case 5: {
        const trainer = call('new Trainer', [], () => new b.Trainer(g.game, wrap(cls, { policy: wrap(cls, { kind: 'tabular', params: {} }), batch: int(2, 8), seed: 1, lr: 0.05 }))) as Any;
        if (!trainer) return;
        let state: Any;
        try {
          state = trainer.state();
        } catch {
          state = undefined;
        }
        if (state) {
          const s = wrap(cls, {
            ...state,
            params: array(cls, 'f32', state.params.length, () => ctx.rand()),
            adamM: array(cls, 'f32', state.adamM.length, () => 0),
            buffer: cls === 'proxy' ? proxied([new Float32Array(state.params.length)]) : [array(cls, 'f32', state.params.length, () => 0)],
          });
          call('Trainer.restore', [s], () => trainer.restore(s));
        }
        trainer.dispose();
        return;
      }
      default: {
        const n = 5 * 2 + 2;
        const params = array(cls, 'f32', n, () => ctx.rand() - 0.5);
        const modelParams = cls === 'proxy' ? { hidden: proxied([]) } : { hidden: [] };
        const p = call('modelPolicy', [], () => b.modelPolicy('mlp', 5, 2, modelParams, params)) as Any;
        p?.dispose();
        if (ctx.onnx) {
          const options = wrap(cls, { label: 'fuzz', state: cls === 'proxy' ? proxied([proxied(['h', 'h_out'])]) : [['h', 'h_out']], intraOpThreads: 1 });
          const q = call('onnxPolicy', [], () => b.onnxPolicy(ctx.gruBytes, options)) as Any;
          q?.dispose();
        }
      }
    }
  }

  /** A worker that starts a native job and is terminated while it runs. */
  function terminateWorker(): void {
    counts['worker-termination']++;
    const kind = pick(['rollout', 'tournament', 'train', ...(ctx.onnx ? ['onnx'] : [])]);
    const delay = int(0, 6);
    const w = new Worker(
      `const { parentPort, workerData: { kind, path, model } } = require('node:worker_threads');
       const b = require(path);
       const g = new b.Game('ipd', {});
       const p = b.strategy('random', {});
       if (kind === 'rollout') b.rollout(g, [p, p], { batch: 20000, steps: 10 });
       if (kind === 'tournament') b.tournament(g, [p, p], { repetitions: 20000 });
       if (kind === 'train') new b.Trainer(g, { policy: { kind: 'tabular' }, batch: 20000, steps: 10 }).iterate();
       if (kind === 'onnx') { const q = b.onnxPolicy(model, {}); b.rollout(g, [q, q], { batch: 4000, steps: 10 }); }
       parentPort.postMessage('awaiting');`,
      { eval: true, workerData: { kind, path: ctx.addonPath, model: ctx.gruBytes } },
    );
    const done = new Promise<void>((resolve) => {
      w.once('message', () => setTimeout(() => void w.terminate().then(() => resolve()), delay));
      w.once('error', () => resolve());
      w.once('exit', () => resolve());
    });
    call(`Worker.terminate during ${kind}`, [], () => done);
    terminations.push(done);
  }

  function craftedModel(widths: bigint[]): Uint8Array {
    const g = new GraphBuilder('crafted');
    const obs = g.input('obs', ['batch', 5]);
    g.op('MatMul', [obs, g.constant('W', [5, 2], new Float32Array(10))], undefined, 'logits');
    g.output('logits', ['batch', 2]);
    widths.forEach((h, i) => {
      g.op('Identity', [g.input(`h${i}`, ['batch', h])], undefined, `h${i}_out`);
      g.output(`h${i}_out`, ['batch', h]);
    });
    return encodeModel({ graph: g.graph() });
  }

  function craftedSize(): void {
    counts['crafted-size']++;
    const g = ctx.someGame();
    switch (int(0, 2)) {
      case 0: {
        if (!ctx.onnx) return;
        const big = (): bigint => pick([2n ** 62n, 2n ** 63n - 1n, 2n ** 63n - 1024n, 3n * 2n ** 61n, 2n ** 24n + 1n, 2n ** 23n, 2n ** 32n, 1n]);
        const model = craftedModel(Array.from({ length: int(1, 5) }, big));
        const p = call('onnxPolicy', ['crafted widths'], () => b.onnxPolicy(model, {})) as Any;
        if (p) {
          const gi = ctx.someGame();
          call('rollout', ['crafted widths'], () => b.rollout(gi.game, Array(gi.agents).fill(p), { batch: pick([3, 4096]), steps: 1 }));
          p.dispose();
        }
        return;
      }
      case 1: {
        // Observations past 4 GiB, within the element limit: refused up front.
        const perEnv = g.agents * g.obsDim * 4;
        const batch = Math.min(2 ** 31 - 1, Math.floor(2 ** 32 / perEnv) + int(1, 1000));
        if (batch * g.agents * g.obsDim > 2 ** 31 - 1) return;
        call('new Env (past maxResultBytes)', [batch], () => new b.Env(g.game, { batch }));
        return;
      }
      default: {
        const steps = int(1, 16);
        const perEnv = steps * g.agents * g.obsDim * 4;
        const batch = Math.floor(2 ** 32 / perEnv) + int(1, 1000);
        if (batch > 2 ** 31 - 1) return;
        const seats = Array.from({ length: g.agents }, () => ctx.policyArg());
        call('rollout (past maxResultBytes)', [batch, steps], () => b.rollout(g.game, seats, { batch, steps }));
        call('allocateTrajectory (past maxResultBytes)', [batch, steps], () => b.allocateTrajectory(g.game, { batch, steps }));
      }
    }
  }

  return {
    counts,
    step(): void {
      const r = ctx.rand();
      if (r < 0.3) argumentCall('shared-memory');
      else if (r < 0.6) argumentCall('getter');
      else if (r < 0.85) argumentCall('proxy');
      else if (r < 0.97 || counts['worker-termination'] >= 16) craftedSize();
      else terminateWorker();
    },
    async finish(): Promise<void> {
      // At least a few terminations in every run, whatever the draw.
      while (counts['worker-termination'] < 4) terminateWorker();
      await Promise.all(terminations);
      await flipper.terminate();
    },
  };
}

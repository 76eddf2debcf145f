/**
 * Fuzzes the raw native binding (`native()`), run as a child process by
 * test/fuzz.test.ts so that a crash is observed rather than fatal.
 *
 * Every exported function, class and method is called with arguments from a
 * seeded generator: wrong types, non-finite and huge numbers, typed arrays of
 * the wrong type or length, detached or shared buffers, odd offsets, forged
 * and disposed instances, foreign receivers, calls without `new`, and
 * concurrent calls while asynchronous work is in flight, mixed with valid
 * calls. Each call must return (or resolve), or throw (or reject with) an
 * Error whose `code` is a string starting with `ERR_`. Anything else, or a
 * promise that does not settle in time, is a violation.
 *
 * The hostile classes of test/fuzz-hostile.ts (shared memory another thread
 * rewrites, getters that detach arrays, Proxies, worker termination mid-call,
 * crafted size fields) are mixed in the same way.
 *
 * Prints one line `FUZZ {json}` (calls, outcome histogram, calls per target,
 * calls per hostile class, violations) and exits 1 when there was a violation.
 *
 * Environment: FUZZ_SEED (default 20261122), FUZZ_CALLS (default 20000).
 * The seed fixes every generated argument; where asynchronous calls overlap,
 * which objects are busy or disposed at a given call also depends on timing.
 */
import { native } from '../src/native.js';
import { onnxStatus } from '../src/onnx-runtime.js';
import { gruPolicy, mlpPolicy } from '../src/onnx-writer/index.js';
import { HOSTILE_CLASSES, makeHostile } from './fuzz-hostile.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Any = any;

const SEED = Number(process.env.FUZZ_SEED ?? 20261122);
const TARGET_CALLS = Number(process.env.FUZZ_CALLS ?? 20000);
const SETTLE_TIMEOUT_MS = 60_000;

const b: Any = native();
/** The binding's classes: forged, called without `new` and on foreign receivers. */
const CLASSES = ['Game', 'Env', 'Policy', 'Trainer', 'RolloutPlan'] as const;
const onnxAvailable = onnxStatus().available;

// ---------------------------------------------------------------- randomness

let state = SEED >>> 0 || 1;
/** mulberry32: uniform in [0, 1). */
function rand(): number {
  state = (state + 0x6d2b79f5) >>> 0;
  let t = state;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const int = (lo: number, hi: number): number => lo + Math.floor(rand() * (hi - lo + 1));
const chance = (p: number): boolean => rand() < p;
function pick<T>(items: readonly T[]): T {
  return items[Math.floor(rand() * items.length)];
}

// ------------------------------------------------------------------ outcomes

const histogram = new Map<string, number>();
const perTarget = new Map<string, number>();
const succeeded = new Map<string, number>();
const violations: string[] = [];
let calls = 0;

function bump(map: Map<string, number>, key: string): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}

function describe(v: unknown, depth = 0): string {
  if (v === null) return 'null';
  if (Object.is(v, -0)) return '-0';
  switch (typeof v) {
    case 'undefined':
      return 'undefined';
    case 'number':
      return String(v);
    case 'bigint':
      return `${v}n`;
    case 'string':
      return v.length > 40 ? `string(${v.length})` : JSON.stringify(v);
    case 'symbol':
      return 'Symbol()';
    case 'function':
      return 'function';
    case 'boolean':
      return String(v);
  }
  if (ArrayBuffer.isView(v)) {
    const shared = typeof SharedArrayBuffer !== 'undefined' && v.buffer instanceof SharedArrayBuffer;
    const detached = !shared && (v.buffer as ArrayBuffer).byteLength === 0 && v.byteLength === 0;
    return `${v.constructor.name}(${(v as unknown as { length?: number }).length ?? v.byteLength}${v.byteOffset ? `@${v.byteOffset}` : ''}${shared ? ', shared' : ''}${detached ? ', detached?' : ''})`;
  }
  if (v instanceof ArrayBuffer) return `ArrayBuffer(${v.byteLength})`;
  if (Array.isArray(v)) return depth > 1 ? '[...]' : `[${v.slice(0, 6).map((x) => describe(x, depth + 1)).join(', ')}${v.length > 6 ? ', ...' : ''}]`;
  for (const cls of CLASSES) {
    if (v instanceof b[cls]) return forged.has(v as object) ? `forged ${cls}` : cls;
  }
  if (depth > 1) return '{...}';
  const o = v as Record<string, unknown>;
  return `{${Object.keys(o)
    .slice(0, 10)
    .map((k) => `${k}: ${describe(o[k], depth + 1)}`)
    .join(', ')}}`;
}

function isCoded(e: unknown): e is Error & { code: string } {
  const code = e instanceof Error ? (e as unknown as { code?: unknown }).code : undefined;
  return typeof code === 'string' && code.startsWith('ERR_');
}

function record(target: string, args: readonly unknown[], outcome: 'ok' | { error: unknown } | 'hang'): void {
  calls++;
  bump(perTarget, target);
  if (outcome === 'ok') {
    bump(histogram, 'ok');
    bump(succeeded, target);
    return;
  }
  if (outcome === 'hang') {
    bump(histogram, 'HANG');
    violations.push(`${target}(${args.map((a) => describe(a)).join(', ')}): did not settle within ${SETTLE_TIMEOUT_MS} ms`);
    return;
  }
  const e = outcome.error;
  if (isCoded(e)) {
    bump(histogram, e.code);
    return;
  }
  bump(histogram, 'UNCODED');
  const what = e instanceof Error ? `${e.constructor.name}: ${e.message} (code ${describe((e as { code?: unknown }).code)})` : `non-Error ${describe(e)}`;
  violations.push(`${target}(${args.map((a) => describe(a)).join(', ')}): threw ${what}`);
}

const pending = new Set<Promise<void>>();

/**
 * Calls fn (a call into the binding with `args`), records the outcome and
 * returns the value, or undefined when it threw. A returned promise is
 * tracked: its settlement is the call's outcome.
 */
function call(target: string, args: readonly unknown[], fn: () => unknown): unknown {
  let value: unknown;
  try {
    value = fn();
  } catch (e) {
    record(target, args, { error: e });
    return undefined;
  }
  if (value instanceof Promise) {
    let timer: NodeJS.Timeout | undefined;
    const hang = new Promise<'hang'>((resolve) => {
      timer = setTimeout(() => resolve('hang'), SETTLE_TIMEOUT_MS);
    });
    const settled = Promise.race([value.then(() => 'ok' as const, (error) => ({ error })), hang]).then((outcome) => {
      clearTimeout(timer);
      record(target, args, outcome);
      pending.delete(settled);
    });
    pending.add(settled);
    return value.catch(() => undefined);
  }
  record(target, args, 'ok');
  return value;
}

/** A call that must fail with exactly `code`. */
function expectCode(target: string, args: readonly unknown[], code: string, fn: () => unknown): Promise<void> {
  const check = (e: unknown): void => {
    if (!isCoded(e) || e.code !== code) violations.push(`${target}(${args.map((a) => describe(a)).join(', ')}): expected ${code}, got ${isCoded(e) ? e.code : describe(e)}`);
  };
  try {
    const v = fn();
    if (v instanceof Promise) {
      return v.then(
        () => {
          violations.push(`${target}: expected ${code}, but it succeeded`);
          record(target, args, 'ok');
        },
        (e) => {
          check(e);
          record(target, args, { error: e });
        },
      );
    }
    violations.push(`${target}: expected ${code}, but it succeeded`);
    record(target, args, 'ok');
  } catch (e) {
    check(e);
    record(target, args, { error: e });
  }
  return Promise.resolve();
}

async function drain(): Promise<void> {
  while (pending.size > 0) await Promise.all([...pending]);
}

// ------------------------------------------------------------ junk arguments

const forged = new WeakSet<object>();
/**
 * An object that passes `instanceof` for cls without being one: a bare
 * object with cls's prototype, or an instance of another class whose
 * prototype was swapped for cls's.
 */
function forge(cls: string): object {
  let o: object;
  if (chance(0.5)) {
    o = Object.create(b[cls].prototype);
  } else {
    o = chance(0.5) ? new b.Game('ipd', {}) : b.strategy('tit-for-tat', {});
    Object.setPrototypeOf(o, b[cls].prototype);
  }
  forged.add(o);
  return o;
}

const HUGE = [2 ** 30, 2 ** 31 - 1, 2 ** 31, 2 ** 32, 2 ** 32 + 1, 2 ** 53, 2 ** 53 + 2, 1e300, Number.MAX_VALUE];
const NUMBERS = [0, -0, 1, -1, 2, 3, 0.5, 1.5, -2.5, Number.NaN, Infinity, -Infinity, Number.MIN_VALUE, Number.EPSILON, -(2 ** 31), -(2 ** 53), ...HUGE];

function detached(kind: TypedKind, length: number): ArrayBufferView {
  const view = makeTyped(kind, length);
  structuredClone(view.buffer, { transfer: [view.buffer as ArrayBuffer] });
  return view;
}

type TypedKind = 'f32' | 'f64' | 'i32' | 'u32' | 'u8' | 'i8' | 'u8c' | 'i16' | 'i64' | 'u64';
const KINDS: TypedKind[] = ['f32', 'f64', 'i32', 'u32', 'u8', 'i8', 'u8c', 'i16', 'i64', 'u64'];
const CTORS: Record<TypedKind, Any> = {
  f32: Float32Array,
  f64: Float64Array,
  i32: Int32Array,
  u32: Uint32Array,
  u8: Uint8Array,
  i8: Int8Array,
  u8c: Uint8ClampedArray,
  i16: Int16Array,
  i64: BigInt64Array,
  u64: BigUint64Array,
};

function makeTyped(kind: TypedKind, length: number, buffer?: ArrayBufferLike, offset = 0): ArrayBufferView {
  const Ctor = CTORS[kind];
  return buffer ? new Ctor(buffer, offset, length) : new Ctor(length);
}

/** A valid-looking array of `kind` and `length`, filled with values `fill` picks. */
function filled(kind: TypedKind, length: number, fill: () => number): ArrayBufferView {
  const a = makeTyped(kind, length) as Any;
  const big = kind === 'i64' || kind === 'u64';
  for (let i = 0; i < length; i++) a[i] = big ? BigInt(Math.trunc(fill()) & 0xff) : fill();
  return a;
}

/**
 * An argument where a typed array of `kind` and `length` is expected: mostly
 * right, otherwise one of the ways it can be wrong.
 */
function arrayArg(kind: TypedKind, length: number, fill: () => number = () => rand()): unknown {
  if (chance(0.8)) return filled(kind, length, fill);
  const variant = int(0, 13);
  const bytes = CTORS[kind].BYTES_PER_ELEMENT as number;
  switch (variant) {
    case 0:
      return filled(pick(KINDS.filter((k) => k !== kind)), length, fill);
    case 1:
      return filled(kind, Math.max(0, length - 1), fill);
    case 2:
      return filled(kind, length + 1, fill);
    case 3:
      return detached(kind, length);
    case 4: {
      const view = makeTyped(kind, length, new SharedArrayBuffer(Math.max(1, length) * bytes));
      return view;
    }
    case 5: {
      // A view at a non-zero (aligned) offset into a larger buffer.
      const buffer = new ArrayBuffer((length + 2) * bytes);
      return makeTyped(kind, length, buffer, bytes);
    }
    case 6:
      // Bytes at an odd offset, where a wider type is expected.
      return new Uint8Array(new ArrayBuffer(length * bytes + 1), 1, length * bytes);
    case 7:
      return new DataView(new ArrayBuffer(length * bytes + 1), 1);
    case 8:
      return Array.from({ length }, fill);
    case 9:
      return new ArrayBuffer(length * bytes);
    case 10:
      return makeTyped(kind, 0);
    case 11:
      return filled(kind, length, () => pick([Number.NaN, Infinity, -Infinity, -1, 2 ** 31, 7]));
    case 12: {
      // A length-tracking view of a resizable buffer, shrunk after the view was made.
      const buffer = new (ArrayBuffer as Any)((length + 1) * bytes, { maxByteLength: (length + 4) * bytes });
      const view = new CTORS[kind](buffer);
      buffer.resize(int(0, length + 1) * bytes);
      return view;
    }
    default:
      return junk();
  }
}

/** Any value at all. */
function junk(): unknown {
  switch (int(0, 21)) {
    case 0:
      return undefined;
    case 1:
      return null;
    case 2:
    case 3:
    case 4:
      return pick(NUMBERS);
    case 5:
      return pick(['', 'ipd', 'coin', 'tabular', 'mlp', 'x'.repeat(5000), '\u0000', 'ünïcødé', '../../etc', 'discounted']);
    case 6:
      return Symbol('junk');
    case 7:
      return pick([0n, 1n, -1n, 2n ** 64n, 2n ** 63n - 1n]);
    case 8:
      return pick([true, false]);
    case 9:
      return {};
    case 10:
      return Object.create(null);
    case 11:
      return [];
    case 12:
      return [1, 2, 3];
    case 13:
      return pick([() => 1, new Proxy({}, { get: (_t, key) => (key === Symbol.toPrimitive ? undefined : 1) }), new Array(5000).fill(1), [Number.NaN, 'x', {}]]);
    case 14:
      return new Date(0);
    case 15:
      return filled(pick(KINDS), int(0, 8), () => rand());
    case 16:
      return detached(pick(KINDS), int(1, 8));
    case 17:
      return new Float32Array(new SharedArrayBuffer(16));
    case 18:
      return forge(pick(CLASSES));
    case 19:
      return pick(disposed.length ? disposed : [null]);
    case 20:
      return pick(allLive());
    default:
      return Promise.resolve(1);
  }
}

/** Copies o, then with some probability breaks one member (junk, deleted or an unknown key). */
function mutate(o: Record<string, unknown>, p = 0.5): Record<string, unknown> {
  const out: Record<string, unknown> = { ...o };
  if (!chance(p)) return out;
  const keys = Object.keys(out);
  const r = rand();
  if (r < 0.6 && keys.length) out[pick(keys)] = junk();
  else if (r < 0.8 && keys.length) delete out[pick(keys)];
  else out[pick(['colour', 'speed', 'batchSize', '__proto__x', ''])] = junk();
  return out;
}

/** An argument: usually the valid one, sometimes junk. */
function maybe<T>(valid: T, p = 0.15): T | unknown {
  return chance(p) ? junk() : valid;
}

// ------------------------------------------------------------- live objects

interface GameEntry {
  game: Any;
  id: string;
  agents: number;
  obsDim: number;
  actions: number;
  maxSteps: number;
  twoAction: boolean;
}
const games: GameEntry[] = [];
const policies: Array<{ policy: Any; kind: string }> = [];
const envs: Array<{ env: Any; entry: GameEntry; batch: number }> = [];
const trainers: Array<{ trainer: Any; entry: GameEntry }> = [];
const plans: Array<{ plan: Any; arrays: Any; entry: GameEntry; batch: unknown }> = [];
const disposed: object[] = [];

function allLive(): object[] {
  return [...games.map((g) => g.game), ...policies.map((p) => p.policy), ...envs.map((e) => e.env), ...trainers.map((t) => t.trainer), ...plans.map((p) => p.plan)];
}

const GAME_SPECS: Array<[string, Record<string, unknown>]> = [
  ['ipd', {}],
  ['ipd', { rounds: 5, noise: 0.1 }],
  ['matrix', { preset: 'stag-hunt', rounds: 4 }],
  ['matrix', { payoffs: [3, 3, 0, 5, 5, 0, 1, 1], history: 2 }],
  ['public-goods', { players: 3, rounds: 4 }],
  ['coin', { size: 3, rounds: 6 }],
];

function newGame(): GameEntry | undefined {
  const [id, params] = pick(GAME_SPECS);
  const args = [maybe(id, 0.1), chance(0.2) ? mutate(params, 1) : params];
  const game = call('new Game', args, () => new b.Game(args[0], args[1])) as Any;
  if (!game) return undefined;
  const info = game.info();
  const entry: GameEntry = { game, id: info.id, agents: info.agents, obsDim: info.obsDim, actions: info.actions, maxSteps: info.maxSteps, twoAction: info.twoAction };
  games.push(entry);
  return entry;
}

function someGame(): GameEntry {
  return games.length && !chance(0.05) ? pick(games) : (newGame() ?? someGame());
}

const STRATEGIES = ['always-cooperate', 'always-defect', 'tit-for-tat', 'grim-trigger', 'win-stay-lose-shift', 'random', 'generous-tit-for-tat', 'zd-extortion', 'alternate'];
const smallGru = gruPolicy({ obsDim: 5, actions: 2, hidden: 4, seed: 3 }).bytes;
const smallMlp = mlpPolicy({ obsDim: 5, actions: 2, hidden: [4], seed: 3 }).bytes;

function modelBytes(): unknown {
  const base = pick([smallGru, smallMlp]);
  switch (int(0, 9)) {
    case 0:
      return base.subarray(0, int(0, base.length - 1));
    case 1: {
      const copy = base.slice();
      for (let k = int(1, 8); k > 0; k--) copy[int(0, copy.length - 1)] = int(0, 255);
      return copy;
    }
    case 2:
      return Uint8Array.from({ length: int(0, 64) }, () => int(0, 255));
    case 3:
      return pick(['', '/no/such/model.onnx', '/dev/null', '/', 'relative/model.onnx', 'x'.repeat(5000)]);
    case 4:
      return arrayArg('u8', base.length, () => int(0, 255));
    default:
      return base;
  }
}

function newPolicy(): void {
  const r = rand();
  if (r < 0.6) {
    const args = [maybe(pick(STRATEGIES), 0.1), chance(0.2) ? mutate({ p: 0.3, forgiveness: 0.2 }, 1) : {}];
    const p = call('strategy', args, () => b.strategy(args[0], args[1]));
    if (p) policies.push({ policy: p, kind: 'strategy' });
  } else if (r < 0.8 && onnxAvailable) {
    const opts = chance(0.6) ? undefined : mutate({ label: 'fuzz', intraOpThreads: 1, graphOptimization: 3, state: [['h', 'h_out']] }, 0.7);
    const args = [modelBytes(), opts];
    const p = call('onnxPolicy', args, () => b.onnxPolicy(args[0], args[1]));
    if (p) policies.push({ policy: p, kind: 'onnx' });
  } else {
    const kind = pick(['tabular', 'mlp', 'gru']);
    const params: Record<string, unknown> = kind === 'mlp' ? { hidden: [4] } : kind === 'gru' ? { hidden: 3 } : {};
    const nParams = kind === 'tabular' ? 5 * 2 : kind === 'mlp' ? 5 * 4 + 4 + 4 * 2 + 2 : 3 * 5 * 3 + 3 * 3 * 3 + 4 * 3 + 3 * 2 + 2;
    const args = [maybe(kind, 0.1), maybe(5, 0.1), maybe(2, 0.1), chance(0.15) ? mutate(params, 1) : params, arrayArg('f32', nParams, () => rand() - 0.5), maybe('fuzz', 0.1)];
    const p = call('modelPolicy', args, () => b.modelPolicy(...args));
    if (p) policies.push({ policy: p, kind });
  }
}

function policyArg(): unknown {
  if (chance(0.04)) return junk();
  if (!policies.length || chance(0.1)) newPolicy();
  return policies.length ? pick(policies).policy : junk();
}

function disposeOne<T extends { [k: string]: Any }>(list: T[], key: keyof T, target: string): void {
  if (!list.length) return;
  const [entry] = list.splice(int(0, list.length - 1), 1);
  const obj = entry[key];
  call(target, [], () => obj.dispose());
  disposed.push(obj);
  if (disposed.length > 64) disposed.shift();
}

function trim(): void {
  while (games.length > 6) disposeOne(games, 'game', 'Game.dispose');
  while (policies.length > 12) disposeOne(policies, 'policy', 'Policy.dispose');
  while (envs.length > 6) disposeOne(envs, 'env', 'Env.dispose');
  while (plans.length > 4) disposeOne(plans, 'plan', 'RolloutPlan.dispose');
  while (trainers.length > 3) disposeOne(trainers, 'trainer', 'Trainer.dispose');
}

// ---------------------------------------------------------------- targets

function fuzzEnv(): void {
  const entry = someGame();
  if (chance(0.3) || !envs.length) {
    const batch = int(1, 16);
    const options = mutate({ batch: chance(0.1) ? pick(HUGE) : batch, seed: int(0, 1000), streams: new Uint32Array(batch) }, 0.4);
    if (chance(0.5)) delete options.streams;
    else if (chance(0.3)) options.streams = arrayArg('u32', batch, () => int(0, 5));
    const args = [maybe(entry.game, 0.1), chance(0.05) ? junk() : options];
    const env = call('new Env', args, () => new b.Env(args[0], args[1])) as Any;
    if (env) envs.push({ env, entry, batch: env.dones().length });
    return;
  }
  const { env, entry: e, batch } = pick(envs);
  const method = pick(['reset', 'observe', 'step', 'step', 'step', 'clone', 'returns', 'stepsTaken', 'dones']);
  if (method === 'step') {
    const n = batch * e.agents;
    const args = [arrayArg('i32', n, () => (chance(0.97) ? int(0, e.actions - 1) : pick([-1, e.actions, 2 ** 31 - 1])))];
    call('Env.step', args, () => env.step(...args));
  } else if (method === 'clone') {
    const copy = call('Env.clone', [], () => env.clone());
    if (copy) envs.push({ env: copy, entry: e, batch });
  } else {
    const extra = chance(0.1) ? [junk()] : [];
    call(`Env.${method}`, extra, () => env[method](...extra));
  }
}

function rolloutOptions(entry: GameEntry): Record<string, unknown> {
  const batch = int(1, 24);
  const o: Record<string, unknown> = { batch, seed: int(0, 2 ** 31), threads: int(1, 3) };
  if (chance(0.5)) o.steps = int(1, entry.maxSteps + 2);
  if (chance(0.3)) o.groups = Uint32Array.from({ length: batch }, (_, i) => i >> 2);
  if (chance(0.2)) o.temperature = pick([0.5, 1, 2]);
  if (chance(0.2)) o.greedy = chance(0.5);
  if (chance(0.1)) o.seed = pick([2n ** 63n, 5n]);
  return mutate(o, 0.35);
}

function fuzzRollout(): void {
  const entry = someGame();
  const seats = Array.from({ length: chance(0.05) ? int(0, 5) : entry.agents }, () => policyArg());
  const options = rolloutOptions(entry);
  if (options.groups instanceof Uint32Array && chance(0.3)) options.groups = arrayArg('u32', options.groups.length, () => int(0, 3));
  const args = [maybe(entry.game, 0.05), chance(0.03) ? junk() : seats, chance(0.03) ? junk() : options];
  call('rollout', args, () => b.rollout(...args));
}

/**
 * new RolloutPlan(game, policies, options, result, arrays) as src/rollout-plan.ts
 * calls it, with the same junk as rollout, then runs with seeds (some junk),
 * runs while one is in flight, a rollout into the plan's arrays while it
 * runs, and the plan used after its game or a policy was disposed.
 */
function fuzzPlan(): void {
  const live = plans.length && chance(0.6) ? pick(plans) : undefined;
  if (!live) {
    const entry = someGame();
    const seats = Array.from({ length: chance(0.05) ? int(0, 5) : entry.agents }, () => policyArg());
    const options = rolloutOptions(entry);
    delete options.seed;
    const result: Record<string, unknown> = {};
    if (chance(0.15)) {
      const batch = typeof options.batch === 'number' ? options.batch : 4;
      const out = call('allocateTrajectory', [], () => b.allocateTrajectory(entry.game, { batch: chance(0.9) ? batch : batch + 1 })) as Any;
      if (out) Object.assign(result, out);
      options.out = chance(0.1) ? junk() : result;
    }
    const arrays: Record<string, unknown> = {};
    const args = [maybe(entry.game, 0.05), chance(0.03) ? junk() : seats, chance(0.03) ? junk() : options, maybe(result, 0.05), maybe(arrays, 0.05)];
    const plan = call('new RolloutPlan', args, () => new b.RolloutPlan(...args)) as Any;
    if (plan) plans.push({ plan, arrays, entry, batch: options.batch });
    return;
  }
  const { plan, arrays, entry, batch } = live;
  const seed = (): unknown => (chance(0.1) ? pick([junk(), 2n ** 64n - 1n, -1, 1.5]) : int(0, 2 ** 31));
  switch (int(0, 6)) {
    case 0:
      call('RolloutPlan.runsInline', [], () => plan.runsInline);
      break;
    case 1: {
      const args = [seed()];
      call('RolloutPlan.runSync', args, () => plan.runSync(args[0]));
      break;
    }
    case 2: {
      // A second run, runSync and a rollout into the same arrays while one is in flight.
      call('RolloutPlan.run', [], () => plan.run(int(0, 99)));
      const again = [seed()];
      call('RolloutPlan.run while running', again, () => plan.run(again[0]));
      call('RolloutPlan.runSync while running', [], () => plan.runSync(1));
      const seats = Array.from({ length: entry.agents }, () => policyArg());
      const args = [entry.game, seats, { batch, out: { ...arrays }, seed: 1 }];
      call('rollout into a running plan\'s arrays', args, () => b.rollout(...args));
      if (chance(0.3)) call('RolloutPlan.dispose while running', [], () => plan.dispose());
      break;
    }
    case 3: {
      // Its game or a policy disposed under it: later runs are refused.
      if (games.includes(entry) && chance(0.3)) {
        games.splice(games.indexOf(entry), 1);
        call('Game.dispose under a plan', [], () => entry.game.dispose());
        disposed.push(entry.game);
      }
      call('RolloutPlan.run', [], () => plan.run(3));
      break;
    }
    case 4: {
      const args = chance(0.5) ? [] : [junk()];
      call('RolloutPlan.dispose', args, () => plan.dispose(...args));
      call('RolloutPlan.run after dispose', [], () => plan.run(1));
      call('RolloutPlan.runSync after dispose', [], () => plan.runSync(1));
      break;
    }
    default: {
      const args = [seed()];
      call('RolloutPlan.run', args, () => plan.run(args[0]));
    }
  }
}

function fuzzTournament(): void {
  const entry = someGame();
  const players = Array.from({ length: chance(0.05) ? int(0, 3) : int(1, 4) }, () => policyArg());
  const o: Record<string, unknown> = { repetitions: chance(0.05) ? pick(HUGE) : int(1, 6), seed: int(0, 99), threads: int(1, 3) };
  if (chance(0.4)) o.steps = int(1, entry.maxSteps + 2);
  const args = [maybe(entry.game, 0.05), chance(0.03) ? junk() : players, chance(0.03) ? junk() : mutate(o, 0.35)];
  call('tournament', args, () => b.tournament(...args));
}

function fuzzCredit(): void {
  const fn = pick(['discountedReturns', 'gae', 'leaveOneOut', 'advantageAlignment', 'sumOfRewards', 'whiten']);
  const batch = chance(0.08) ? pick(HUGE) : int(1, 6);
  const steps = chance(0.08) ? pick([...HUGE, 2 ** 20]) : int(1, 6);
  const n = Number.isSafeInteger(batch * steps) && batch * steps < 4096 ? batch * steps : int(1, 8);
  const f = (): unknown => arrayArg('f32', n, () => rand() * 4 - 2);
  const B = maybe(batch, 0.1), T = maybe(steps, 0.1);
  let o: Record<string, unknown>;
  switch (fn) {
    case 'discountedReturns':
      o = { rewards: f(), out: f(), batch: B, steps: T, gamma: maybe(0.9, 0.15) };
      break;
    case 'gae':
      o = { rewards: f(), values: arrayArg('f32', Number.isSafeInteger(batch * (steps + 1)) && batch * (steps + 1) < 8192 ? batch * (steps + 1) : 4), out: f(), batch: B, steps: T, gamma: maybe(0.9, 0.1), lambda: maybe(0.95, 0.1) };
      break;
    case 'leaveOneOut':
      o = { values: f(), groups: chance(0.5) ? undefined : arrayArg('i32', typeof batch === 'number' && batch < 4096 ? batch : 4, () => int(0, 2)), out: f(), batch: B, steps: T };
      break;
    case 'advantageAlignment':
      o = { own: f(), others: f(), out: f(), batch: B, steps: T, beta: maybe(0.5, 0.1), gamma: maybe(0.9, 0.1), includeCurrent: maybe(false, 0.1), form: maybe(pick(['discounted', 'mean']), 0.1) };
      break;
    case 'sumOfRewards':
      o = { own: f(), others: f(), out: f() };
      break;
    default:
      o = { x: f(), out: f(), batch: B, steps: T, perStep: maybe(false, 0.1), eps: maybe(1e-8, 0.1) };
  }
  // Sometimes members are missing, or the options are not an object at all.
  if (chance(0.05)) for (const k of Object.keys(o)) if (chance(0.3)) delete o[k];
  // Sometimes the output aliases the first input, as documented.
  if (chance(0.1) && fn !== 'sumOfRewards') o.out = Object.values(o)[0];
  const args: unknown[] = [chance(0.03) ? junk() : o];
  call(`credit.${fn}`, args, () => b.credit[fn](...args));
}

function fuzzLoss(): void {
  const rows = chance(0.08) ? pick(HUGE) : int(1, 8);
  const A = chance(0.08) ? pick([...HUGE, 2 ** 20]) : int(1, 4);
  const r = typeof rows === 'number' && rows < 64 ? rows : 3;
  const n = r * (typeof A === 'number' && A < 64 ? A : 2);
  if (chance(0.3)) {
    const args = [arrayArg('f32', n, () => rand() * 6 - 3), chance(0.5) ? undefined : arrayArg('f32', n), maybe(rows, 0.1), maybe(A, 0.1)];
    call('loss.logSoftmax', args, () => b.loss.logSoftmax(...args));
    return;
  }
  const o: Record<string, unknown> = {
    logits: arrayArg('f32', n, () => rand() * 6 - 3),
    actions: arrayArg('i32', r, () => (chance(0.95) ? int(0, Math.max(0, (A as number) - 1)) : pick([-1, 99, 2 ** 31 - 1]))),
    credits: arrayArg('f32', r, () => rand() * 2 - 1),
    rows,
    actionCount: A,
    objective: pick(['reinforce', 'ppo']),
    ratioCap: pick([2, Infinity, 1]),
    clip: 0.2,
    entropyCoef: 0.01,
    klCoef: pick([0, 0.1]),
    normalize: pick(['mask', 'rows', 10]),
  };
  if (chance(0.3)) o.mask = arrayArg('u8', r, () => int(0, 1));
  if (chance(0.3)) o.behaviorLogProbs = arrayArg('f32', r, () => -rand());
  if (chance(0.2)) o.referenceLogits = arrayArg('f32', n, () => rand());
  if (chance(0.2)) o.referenceLogProbs = arrayArg('f32', r, () => -rand());
  if (chance(0.2)) o.out = arrayArg('f32', n);
  const args = [chance(0.03) ? junk() : mutate(o, 0.4)];
  call('loss.policyGradient', args, () => b.loss.policyGradient(...args));
}

function trainerConfig(entry: GameEntry): Record<string, unknown> {
  const kind = pick(['tabular', 'mlp', 'gru']);
  const policy = mutate({ kind, params: kind === 'mlp' ? { hidden: [int(1, 6)] } : kind === 'gru' ? { hidden: int(1, 4) } : {} }, 0.1);
  const c: Record<string, unknown> = {
    policy,
    batch: int(2, 24),
    seed: int(0, 100),
    iterations: int(0, 20),
    algorithm: pick(['naive', 'advantage-alignment', 'sum-of-rewards']),
    lr: 0.05,
  };
  if (chance(0.3)) c.steps = int(1, Math.min(12, entry.maxSteps + 2));
  if (chance(0.2)) Object.assign(c, { baseline: 'critic', critic: { kind: 'mlp', params: { hidden: [3] } } });
  if (chance(0.2)) Object.assign(c, { bufferProbability: 0.5, bufferSize: int(0, 4) });
  if (chance(0.2)) Object.assign(c, { objective: 'ppo', epochs: int(1, 3) });
  if (chance(0.2)) c.threads = int(1, 3);
  if (chance(0.1)) c.groupSize = int(1, c.batch as number);
  if (chance(0.1)) c.batch = pick([...HUGE, 2 ** 24 + 1]);
  if (chance(0.05)) c.steps = pick([...HUGE, 2 ** 20 + 1]);
  return mutate(c, 0.3);
}

function fuzzTrainer(): void {
  if (!trainers.length || chance(0.15)) {
    const entry = someGame();
    const args = [maybe(entry.game, 0.05), chance(0.03) ? junk() : trainerConfig(entry)];
    const trainer = call('new Trainer', args, () => new b.Trainer(args[0], args[1]));
    if (trainer) trainers.push({ trainer, entry });
    return;
  }
  const { trainer, entry } = pick(trainers);
  const method = pick(['iterate', 'iterate', 'state', 'restore', 'policy', 'info', 'fitActions']);
  if (method === 'fitActions') {
    const sequences = chance(0.1) ? pick([0, -1, 1.5, ...HUGE]) : int(1, 4);
    const steps = chance(0.1) ? pick([0, -1, Number.NaN, ...HUGE]) : int(1, 6);
    const rows = Number.isSafeInteger(sequences * steps) && sequences * steps > 0 && sequences * steps < 64 ? sequences * steps : 8;
    const data: Record<string, unknown> = {
      observations: arrayArg('f32', rows * entry.obsDim, () => (chance(0.02) ? Number.NaN : rand())),
      actions: arrayArg('i32', rows, () => int(-2, entry.actions + 1)),
      sequences,
      steps,
    };
    if (chance(0.3)) data.mask = arrayArg('u8', rows, () => int(0, 2));
    const args = [chance(0.05) ? junk() : mutate(data, 0.1)];
    call('Trainer.fitActions', args, () => trainer.fitActions(...args));
  } else if (method === 'restore') {
    let s: Any;
    try {
      s = trainer.state();
    } catch {
      s = { iteration: 0, params: new Float32Array(4), adamM: new Float32Array(4), adamV: new Float32Array(4), adamT: 0 };
    }
    const broken: Record<string, unknown> = { ...s };
    if (chance(0.7)) {
      const key = pick(['iteration', 'params', 'adamM', 'adamV', 'adamT', 'criticParams', 'criticT', 'buffer']);
      const v = broken[key];
      broken[key] =
        v instanceof Float32Array ? arrayArg('f32', v.length, () => (chance(0.02) ? Number.NaN : rand())) : key === 'buffer' ? pick([junk(), [junk()], [new Float32Array(3)]]) : junk();
    }
    const args = [chance(0.05) ? junk() : broken];
    call('Trainer.restore', args, () => trainer.restore(...args));
  } else if (method === 'policy') {
    const args = chance(0.2) ? [junk()] : [];
    const p = call('Trainer.policy', args, () => trainer.policy(...args));
    if (p) policies.push({ policy: p, kind: 'trained' });
  } else {
    call(`Trainer.${method}`, [], () => trainer[method]());
  }
}

function fuzzMisc(): void {
  switch (int(0, 9)) {
    case 0:
      call('engineInfo', [], () => b.engineInfo());
      break;
    case 1: {
      const args = [chance(0.5) ? pick(NUMBERS) : junk()];
      call('setThreads', args, () => b.setThreads(args[0]));
      b.setThreads(0);
      break;
    }
    case 2: {
      const args = [pick(['', 'x', '/no/such/libdilemma_cuda.so', '/dev/null', '/', 'libnothing.so', junk()])];
      call('cudaLoad', args, () => b.cudaLoad(args[0]));
      break;
    }
    case 3: {
      const args = [pick(['', 'x', '/no/such/libonnxruntime.so', '/dev/null', '/', junk()])];
      call('ortLoad', args, () => b.ortLoad(args[0]));
      break;
    }
    case 4:
      call('ortStatus', [], () => b.ortStatus());
      break;
    case 5: {
      const args = [modelBytes(), chance(0.5) ? undefined : mutate({ intraOpThreads: 1, graphOptimization: int(0, 3) }, 0.6)];
      call('onnxInspect', args, () => b.onnxInspect(args[0], args[1]));
      break;
    }
    case 6: {
      const args = [junk(), junk()];
      call('new Policy', args, () => new b.Policy(args[0], args[1]));
      break;
    }
    case 7: {
      const p = policyArg();
      call('Policy.name', [p], () => Reflect.get(b.Policy.prototype, 'name', p));
      break;
    }
    case 8:
      newPolicy();
      break;
    default: {
      const g = someGame();
      call('Game.info', [], () => g.game.info());
    }
  }
}

/** Methods called on a foreign receiver, getters on the wrong object, classes without `new`. */
function fuzzReceivers(): void {
  const classes = CLASSES;
  const cls = pick(classes);
  const proto = b[cls].prototype;
  const names = Object.getOwnPropertyNames(proto).filter((n) => n !== 'constructor');
  const receiver = pick([undefined, null, 1, {}, forge(cls), forge(pick(classes)), ...allLive().slice(0, 8), disposed[0] ?? {}]);
  if (chance(0.2)) {
    const args = [junk(), junk()];
    call(`${cls} without new`, args, () => b[cls](...args));
    return;
  }
  const name = pick(names);
  const desc = Object.getOwnPropertyDescriptor(proto, name)!;
  const fn = desc.get ?? desc.value;
  const args = chance(0.5) ? [] : [junk()];
  call(`${cls}.${name} on a foreign receiver`, [receiver, ...args], () => Reflect.apply(fn, receiver, args));
}

/** Calls on objects while their asynchronous work is in flight. */
function fuzzConcurrent(): void {
  switch (int(0, 4)) {
    case 0: {
      // Trainer.iterate twice, state/restore/policy/info during it, sometimes dispose.
      const entry = games.find((g) => g.agents >= 2) ?? someGame();
      const trainer = call('new Trainer', [], () => new b.Trainer(entry.game, { policy: { kind: 'tabular' }, batch: 32, seed: 1 })) as Any;
      if (!trainer) return;
      call('Trainer.iterate', [], () => trainer.iterate());
      for (const m of ['iterate', 'fitActions', 'state', 'policy', 'info', 'restore']) {
        const args = m === 'restore' ? [{ iteration: 0 }] : [];
        const v = call(`Trainer.${m} while iterating`, args, () => trainer[m](...args));
        if (m === 'policy' && v) policies.push({ policy: v, kind: 'trained' });
      }
      if (chance(0.5)) call('Trainer.dispose while iterating', [], () => trainer.dispose());
      else trainers.push({ trainer, entry });
      break;
    }
    case 1: {
      // A rollout while its game and policies are disposed.
      const entry = newGame();
      if (!entry) return;
      const seats = Array.from({ length: entry.agents }, () => (entry.twoAction ? b.strategy(pick(STRATEGIES.slice(0, 6)), {}) : b.strategy('random', {})));
      call('rollout', [entry.game, seats, { batch: 64 }], () => b.rollout(entry.game, seats, { batch: 64, seed: 3 }));
      call('Game.dispose during rollout', [], () => entry.game.dispose());
      for (const s of seats) call('Policy.dispose during rollout', [], () => s.dispose());
      call('rollout with disposed game', [], () => b.rollout(entry.game, seats, { batch: 4 }));
      games.splice(games.indexOf(entry), 1);
      disposed.push(entry.game, ...seats);
      break;
    }
    case 2: {
      // Env methods while a rollout of the same game runs, and disposing the env.
      const entry = someGame();
      const env = call('new Env', [], () => new b.Env(entry.game, { batch: 8, seed: 1 })) as Any;
      if (!env) return;
      const seats = Array.from({ length: entry.agents }, () => policyArg());
      call('rollout', [entry.game, seats, { batch: 32 }], () => b.rollout(entry.game, seats, { batch: 32, seed: 9 }));
      call('Env.reset during rollout', [], () => env.reset());
      call('Env.step during rollout', [], () => env.step(new Int32Array(8 * entry.agents)));
      call('Env.clone during rollout', [], () => env.clone());
      call('Env.dispose during rollout', [], () => env.dispose());
      call('Env.observe after dispose', [], () => env.observe());
      break;
    }
    case 3: {
      // An ONNX policy disposed while a rollout uses it.
      if (!onnxAvailable) return;
      const ipd = games.find((g) => g.id === 'ipd' && g.obsDim === 5) ?? newGame();
      if (!ipd || ipd.obsDim !== 5) return;
      const p = call('onnxPolicy', [], () => b.onnxPolicy(smallGru, {})) as Any;
      if (!p) return;
      call('rollout', [ipd.game, [p, p], { batch: 16 }], () => b.rollout(ipd.game, [p, p], { batch: 16, seed: 2 }));
      call('Policy.dispose during rollout', [], () => p.dispose());
      disposed.push(p);
      break;
    }
    default: {
      // Many rollouts of the same objects at once.
      const entry = someGame();
      const seats = Array.from({ length: entry.agents }, () => policyArg());
      for (let k = 0; k < 4; k++) call('rollout', [entry.game, seats, { batch: 8 }], () => b.rollout(entry.game, seats, { batch: 8, seed: k }));
    }
  }
}

const hostile = makeHostile({
  b,
  addonPath: process.env.DILEMMA_ADDON_PATH ?? new URL('../build/Release/dilemma.node', import.meta.url).pathname,
  onnx: onnxAvailable,
  rand,
  int,
  chance,
  pick,
  call,
  someGame,
  policyArg,
  gruBytes: smallGru,
});

// ---------------------------------------------------------------- main loop

async function main(): Promise<void> {
  const started = performance.now();
  // Sizes past the limits are refused before anything is allocated.
  const ipd = { game: new b.Game('ipd', {}) };
  const tft = b.strategy('tit-for-tat', {});
  const huge = [tft, tft];
  await expectCode('rollout (2^30 × 2^20)', [], 'ERR_TOO_LARGE', () => b.rollout(ipd.game, huge, { batch: 2 ** 30, steps: 2 ** 20 }));
  await expectCode('rollout (2^31 − 1)', [], 'ERR_TOO_LARGE', () => b.rollout(ipd.game, huge, { batch: 2 ** 31 - 1 }));
  await expectCode('new Env (2^31 − 1)', [], 'ERR_TOO_LARGE', () => new b.Env(ipd.game, { batch: 2 ** 31 - 1 }));
  await expectCode('credit.discountedReturns (2^31 × 2)', [], 'ERR_TOO_LARGE', () => b.credit.discountedReturns({ rewards: new Float32Array(1), out: new Float32Array(1), batch: 2 ** 31 - 1, steps: 2, gamma: 0.9 }));
  await expectCode('new Trainer (steps 2^20, batch 2^24)', [], 'ERR_TOO_LARGE', () => new b.Trainer(ipd.game, { policy: { kind: 'tabular' }, batch: 2 ** 24, steps: 2 ** 20 }));
  ipd.game.dispose();
  tft.dispose();

  const targets: Array<[number, () => void]> = [
    [14, fuzzEnv],
    [14, fuzzRollout],
    [8, fuzzPlan],
    [4, fuzzTournament],
    [16, fuzzCredit],
    [12, fuzzLoss],
    [12, fuzzTrainer],
    [14, fuzzMisc],
    [10, fuzzReceivers],
    [3, fuzzConcurrent],
    [10, () => hostile.step()],
  ];
  const total = targets.reduce((s, [w]) => s + w, 0);
  while (calls + pending.size < TARGET_CALLS) {
    let r = rand() * total;
    const [, fn] = targets.find(([w]) => (r -= w) < 0) ?? targets[0];
    fn();
    trim();
    // Let asynchronous work overlap a little, but not pile up.
    if (pending.size >= 12) await Promise.race([...pending]);
    if (pending.size >= 24) await drain();
  }
  await hostile.finish();
  await drain();
  for (const list of [plans.map((p) => p.plan), envs.map((e) => e.env), trainers.map((t) => t.trainer), policies.map((p) => p.policy), games.map((g) => g.game)]) {
    for (const o of list) (o as Any).dispose();
  }
  const seconds = (performance.now() - started) / 1000;
  const sorted = (m: Map<string, number>) => Object.fromEntries([...m.entries()].sort((x, y) => y[1] - x[1]));
  const report = { seed: SEED, calls, seconds: Math.round(seconds * 10) / 10, onnx: onnxAvailable, outcomes: sorted(histogram), targets: sorted(perTarget), succeeded: sorted(succeeded), hostile: Object.fromEntries(HOSTILE_CLASSES.map((c) => [c, hostile.counts[c]])), violations: violations.slice(0, 50), violationCount: violations.length };
  console.log(`FUZZ ${JSON.stringify(report)}`);
  if (violations.length) {
    console.error(`${violations.length} violation(s):\n${violations.slice(0, 50).join('\n')}`);
    process.exitCode = 1;
  }
}

main().catch((e) => {
  console.error('the fuzzer itself failed:', e);
  process.exitCode = 2;
});

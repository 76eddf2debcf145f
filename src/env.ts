/**
 * A batch of environments driven step by step from JavaScript, for users who
 * run their own loop. Observations are [batch, agents, obsDim], actions and
 * rewards [batch, agents], dones [batch], all row-major.
 */
import { DilemmaError, ErrorCode } from './errors.js';
import { type GameId, type GameInfo, type GameParamsById, resolveGame, type GameSpec } from './games.js';
import { native, type NativeEnv } from './native.js';
import { LIMITS } from './generated/limits.js';
import { arrayLikeLength, checkInteger, checkKeys, checkObject, checkSeed, checkTypedArray, describe, invalid, isTypedArrayOf } from './validate.js';

/** Options of {@link makeEnv}. */
export interface EnvOptions {
  /** Number of environments. */
  batch: number;
  /** Seed of the environments' random events (noise, continuation). Default 0. */
  seed?: number | bigint;
  /**
   * Per environment, the random stream it draws from; environments with equal
   * streams see the same random events (common random numbers). Default: own stream each.
   */
  streams?: Uint32Array | ArrayLike<number>;
}

/** What {@link Env.step} returns. */
export interface StepResult {
  /** [batch, agents, obsDim] */
  observations: Float32Array;
  /** [batch, agents] */
  rewards: Float32Array;
  /** `[batch]`: 1 once the environment's episode has ended (it then stays ended until reset). */
  dones: Uint8Array;
}

/** A batch of environments of one game, stepped from JavaScript (see {@link makeEnv}). Owns native memory: call dispose(). */
export class Env {
  /** The game's shape facts (agents, obsDim, actions, maxSteps). */
  readonly info: GameInfo;
  /** Number of environments. */
  readonly batch: number;
  #handle: NativeEnv | undefined;

  /** @internal use makeEnv() */
  constructor(info: GameInfo, batch: number, handle: NativeEnv) {
    this.info = info;
    this.batch = batch;
    this.#handle = handle;
  }

  get #env(): NativeEnv {
    if (!this.#handle) throw new DilemmaError(ErrorCode.Disposed, 'the environment batch was disposed');
    return this.#handle;
  }

  /** Starts a new episode everywhere; returns observations [batch, agents, obsDim]. */
  reset(): Float32Array {
    return this.#env.reset();
  }

  /** Current observations [batch, agents, obsDim]. */
  observe(): Float32Array {
    return this.#env.observe();
  }

  /**
   * Applies one joint action per environment: actions [batch, agents], each in
   * [0, info.actions). Environments whose episode has ended give zero rewards.
   */
  step(actions: Int32Array | ArrayLike<number>): StepResult {
    const n = this.batch * this.info.agents;
    const arr = isTypedArrayOf(actions, Int32Array) ? actions : toInt32('actions', actions, n);
    checkTypedArray('actions', arr, Int32Array, n);
    return this.#env.step(arr);
  }

  /** An independent copy of every environment's exact state. */
  clone(): Env {
    return new Env(this.info, this.batch, this.#env.clone());
  }

  /** Sum of rewards of the current episode, [batch, agents]. */
  returns(): Float32Array {
    return this.#env.returns();
  }

  /** Steps taken in the current episode, [batch]. */
  stepsTaken(): Int32Array {
    return this.#env.stepsTaken();
  }

  /** `[batch]`: 1 where the episode has ended. */
  dones(): Uint8Array {
    return this.#env.dones();
  }

  /** Frees the native environments; later calls throw ERR_DISPOSED. Safe to call twice. */
  dispose(): void {
    this.#handle?.dispose();
    this.#handle = undefined;
  }

  /** Same as {@link Env.dispose}, for `using`. */
  [Symbol.dispose](): void {
    this.dispose();
  }
}

function toInt32(name: string, values: ArrayLike<number>, length: number): Int32Array {
  if (arrayLikeLength(values) === undefined) {
    invalid(name, `must be an Int32Array or an array of integers, got ${describe(values)}`);
  }
  if (values.length !== length) invalid(name, `must have ${length} elements, got ${values.length}`);
  const out = new Int32Array(length);
  for (let i = 0; i < length; i++) out[i] = checkInteger(`${name}[${i}]`, values[i], -(2 ** 31), 2 ** 31 - 1);
  return out;
}

function toUint32(name: string, values: Uint32Array | ArrayLike<number>, length: number): Uint32Array {
  if (isTypedArrayOf(values, Uint32Array)) return checkTypedArray(name, values, Uint32Array, length);
  if (arrayLikeLength(values) === undefined) {
    invalid(name, `must be a Uint32Array or an array of integers, got ${describe(values)}`);
  }
  if (values.length !== length) invalid(name, `must have ${length} elements, got ${values.length}`);
  const out = new Uint32Array(length);
  for (let i = 0; i < length; i++) out[i] = checkInteger(`${name}[${i}]`, values[i], 0, 2 ** 32 - 1);
  return out;
}

/** Makes a batch of environments of a game; call reset() before stepping. */
export function makeEnv<K extends GameId>(id: K | GameSpec, params: GameParamsById[K] | undefined, options: EnvOptions): Env;
export function makeEnv(spec: GameSpec, params: Record<string, unknown> | undefined, options: EnvOptions): Env {
  const o = checkObject('options', options);
  checkKeys('options', o, ['batch', 'seed', 'streams']);
  const batch = checkInteger('options.batch', o.batch, 1, LIMITS.maxBatch);
  const seed = o.seed === undefined ? 0 : checkSeed('options.seed', o.seed);
  const streams = o.streams === undefined ? undefined : toUint32('options.streams', o.streams as ArrayLike<number>, batch);
  const { game, owned } = resolveGame(typeof spec === 'string' ? { id: spec, params: params ?? {} } : spec);
  try {
    const handle = new (native().Env)(game.handle, { batch, seed, ...(streams ? { streams } : {}) });
    return new Env(game.info, batch, handle);
  } finally {
    if (owned) game.dispose();
  }
}

export { toInt32, toUint32 };

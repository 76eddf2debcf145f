/**
 * Batched rollouts run entirely in the native core, off the event loop.
 */
import { DilemmaError, ErrorCode } from './errors.js';
import { type Game, type GameSpec, resolveGame } from './games.js';
import { native, type NativeTrajectory } from './native.js';
import type { NativeRolloutOptions } from './binding/types.js';
import { LIMITS } from './generated/limits.js';
import { type Policy, type PolicySpec, resolvePolicy } from './policies.js';
import { toUint32 } from './env.js';
import { gpuOption, resolveGpu, type GpuOption } from './gpu.js';
import { checkBoolean, checkInteger, checkKeys, checkNumber, checkObject, checkSeed, describe, invalid, isTypedArrayOf } from './validate.js';

/** Options of {@link rollout}. */
export interface RolloutOptions {
  /** The game: a {@link Game}, an id or `{ id, params }`. */
  game: GameSpec;
  /** One policy per agent (the same Policy may sit in several seats). */
  policies: PolicySpec[];
  /** Number of rollouts. */
  batch: number;
  /** Steps per rollout; default the game's maximum episode length. */
  steps?: number;
  /** Seed of every random draw (environment events and action sampling), an integer ≥ 0. Default 0. */
  seed?: number | bigint;
  /**
   * Common random numbers: rollouts of one group share the environment's
   * random events. `{ size }` groups consecutive rollouts; an array gives a
   * non-negative group id per rollout. Default: no sharing.
   */
  groups?:
    | {
        /** Consecutive rollouts per group. */
        size: number;
      }
    | Uint32Array
    | Int32Array
    | ArrayLike<number>;
  /** Threads for this call; default the engine's setting (see setThreads). */
  threads?: number;
  /** Sampling temperature of learned policies (default 1). */
  temperature?: number;
  /** Learned policies take their most probable action (evaluation). Default false. */
  greedy?: boolean;
  /**
   * A trajectory to write into instead of allocating a new one: the result
   * of an earlier `rollout()` or of `allocateTrajectory()`, with the shapes
   * this call produces (listed on `Trajectory`; checked, ERR_INVALID_ARGUMENT
   * naming the field otherwise). Its arrays are filled in place and the same
   * object is returned; leave them alone until the promise settles. Arrays
   * over a SharedArrayBuffer, detached arrays and fields sharing memory are
   * refused. A rollout that runs off the event loop (any learned policy, or
   * more than 65536 agent-steps) writes only into arrays the engine
   * allocated, which stay valid while it writes; a small scripted rollout
   * runs before the call returns and accepts any typed arrays. Reusing
   * arrays saves the allocation and the first-touch page faults of a fresh
   * trajectory, which dominate large rollouts.
   */
  out?: Trajectory;
  /**
   * Where it runs. `'cuda'`: the CUDA rollout kernel, which covers iterated
   * 2×2 games (`matrix`, `ipd`) with tabular and scripted policies; it draws
   * the CPU's counter-based numbers, so actions, rewards, dones, masks and
   * observations are identical and log-probabilities and entropies agree
   * within |gpu − cpu| ≤ 1e-6 + 1e-5·|cpu|. ERR_BACKEND_UNAVAILABLE, with the
   * reason, where no usable GPU is found or the kernel does not cover the
   * game and policies. `'auto'`: the GPU for at least
   * {@link ROLLOUT_AUTO_CUDA_MIN_AGENT_STEPS} agent-steps that the kernel
   * covers, when one is usable; the CPU otherwise. `false`: the CPU. Default:
   * the engine's (see `setGpu`). `threads` does not apply on the GPU; the
   * trajectory's `stats` are the CPU's (none for these games).
   */
  gpu?: GpuOption;
}

/**
 * With `gpu: 'auto'`, the smallest rollout (batch × steps × agents) sent to a
 * usable GPU; below it the copies back cost more than the CPU's rollout.
 */
export const ROLLOUT_AUTO_CUDA_MIN_AGENT_STEPS = 1 << 20;

/**
 * A batch of trajectories, struct-of-arrays, row-major. B = batch, T = steps,
 * A = agents, O = obsDim. A trajectory can be passed back as `out` to a later
 * rollout with the same shapes, which then writes into its arrays.
 */
export interface Trajectory {
  /** Rollouts (B). */
  batch: number;
  /** Steps per rollout (T). */
  steps: number;
  /** Agents per rollout (A). */
  agents: number;
  /** Floats per observation (O). */
  obsDim: number;
  /** `[B, T, A, O]`: what each agent saw before acting. */
  observations: Float32Array;
  /** `[B, T, A]`: chosen actions; -1 after the episode ended. */
  actions: Int32Array;
  /** `[B, T, A]`: log-probability of the chosen action under the acting policy. */
  logProbs: Float32Array;
  /** `[B, T, A]`: entropy of the acting policy's distribution. */
  entropies: Float32Array;
  /** `[B, T, A]`: each agent's reward at each step. */
  rewards: Float32Array;
  /** `[B, T]`: 1 at the step an episode ended. */
  dones: Uint8Array;
  /** `[B, T]`: 1 where a step was taken (0 for padding after the end). */
  mask: Uint8Array;
  /** `[B]`: the group (random stream) of each rollout. */
  groups: Uint32Array;
  /** `[B, statNames.length]`: the game's statistics at the end of each rollout (e.g. coins picked up). */
  stats: Int32Array;
  /** Names of the game's statistics, the columns of `stats`. */
  statNames: string[];
}

function resolveGroups(groups: RolloutOptions['groups'], batch: number): Uint32Array | undefined {
  if (groups === undefined) return undefined;
  if (typeof groups === 'object' && groups !== null && !ArrayBuffer.isView(groups) && 'size' in groups) {
    const size = checkInteger('options.groups.size', (groups as { size: unknown }).size, 1, batch);
    const out = new Uint32Array(batch);
    for (let b = 0; b < batch; b++) out[b] = Math.floor(b / size);
    return out;
  }
  // Int32Array ids are accepted as they are when non-negative.
  const ids = isTypedArrayOf(groups, Int32Array) ? Array.from(groups) : (groups as ArrayLike<number>);
  return toUint32('options.groups', ids, batch);
}

// Arrays of a trajectory in field order, with their element type and shape.
const FIELDS = [
  ['observations', Float32Array, 'batch, steps, agents, obsDim'],
  ['actions', Int32Array, 'batch, steps, agents'],
  ['logProbs', Float32Array, 'batch, steps, agents'],
  ['entropies', Float32Array, 'batch, steps, agents'],
  ['rewards', Float32Array, 'batch, steps, agents'],
  ['dones', Uint8Array, 'batch, steps'],
  ['mask', Uint8Array, 'batch, steps'],
  ['stats', Int32Array, 'batch, statNames.length'],
] as const;

/** Fills ids with 0, 1, 2, ... (every rollout its own group); returns it. */
function identityGroups(ids: Uint32Array): Uint32Array {
  for (let b = 0; b < ids.length; b++) ids[b] = b;
  return ids;
}

/** A trajectory from the binding's arrays, with the game's shape and the rollouts' groups. */
function trajectoryOf(
  t: NativeTrajectory,
  info: { agents: number; obsDim: number },
  batch: number,
  groups: Uint32Array,
): Trajectory {
  return {
    batch,
    steps: t.steps,
    agents: info.agents,
    obsDim: info.obsDim,
    observations: t.observations,
    actions: t.actions,
    logProbs: t.logProbs,
    entropies: t.entropies,
    rewards: t.rewards,
    dones: t.dones,
    mask: t.mask,
    groups,
    stats: t.stats,
    statNames: t.statNames,
  };
}

// A detached buffer refuses new views (its arrays just read as empty).
function isDetached(buffer: ArrayBufferLike): boolean {
  if (buffer.byteLength > 0) return false;
  try {
    new Uint8Array(buffer);
    return false;
  } catch {
    return true;
  }
}

/**
 * Checks options.out against the shapes of this call: every field the right
 * typed array, the right length, not detached, not over a SharedArrayBuffer,
 * and no two fields sharing memory. The native side checks again (and that
 * the arrays are the engine's own).
 */
function checkOut(value: unknown, shape: { batch: number; steps: number; agents: number; obsDim: number }): Trajectory {
  const out = checkObject('options.out', value) as unknown as Trajectory;
  const dims: Record<string, number> = {
    batch: shape.batch,
    steps: shape.steps,
    agents: shape.agents,
    obsDim: shape.obsDim,
  };
  const seen: Array<{ name: string; buffer: ArrayBufferLike; start: number; end: number }> = [];
  for (const [field, ctor, dimList] of FIELDS) {
    const name = `options.out.${field}`;
    const arr = (out as unknown as Record<string, unknown>)[field];
    if (!isTypedArrayOf(arr, ctor)) invalid(name, `must be a ${ctor.name}, got ${describe(arr)}`);
    const names = dimList.split(', ');
    const length = names.reduce((n, d) => n * (dims[d] ?? NaN), 1);
    if (typeof SharedArrayBuffer !== 'undefined' && arr.buffer instanceof SharedArrayBuffer) {
      invalid(name, 'is backed by a SharedArrayBuffer; the engine writes into its own buffers only');
    }
    if (isDetached(arr.buffer)) invalid(name, 'is backed by a detached ArrayBuffer');
    // The game's statistics count is known natively, which checks stats' length.
    if (!Number.isNaN(length) && arr.length !== length) {
      const shown = names.map((d) => `${d} = ${dims[d]}`).join(', ');
      invalid(name, `must have ${length} elements ([${dimList}] with ${shown}), got ${arr.length}`);
    }
    if (arr.byteLength === 0) continue;
    const start = arr.byteOffset, end = arr.byteOffset + arr.byteLength;
    for (const other of seen) {
      if (other.buffer === arr.buffer && start < other.end && other.start < end) {
        invalid(name, `shares memory with ${other.name}; each field needs its own array`);
      }
    }
    seen.push({ name, buffer: arr.buffer, start, end });
  }
  return out;
}

/**
 * A zero-filled trajectory of the shapes `rollout()` produces for this game,
 * batch and steps, to pass as `out` (its arrays are the engine's own, which
 * `out` requires). groups is 0, 1, ..., batch - 1.
 */
export function allocateTrajectory(options: { game: GameSpec; batch: number; steps?: number }): Trajectory {
  const o = checkObject('options', options);
  checkKeys('options', o, ['game', 'batch', 'steps']);
  const batch = checkInteger('options.batch', o.batch, 1, LIMITS.maxBatch);
  const steps = o.steps === undefined ? undefined : checkInteger('options.steps', o.steps, 1, LIMITS.maxRolloutSteps);
  const { game, owned } = resolveGame(o.game as GameSpec, 'options.game');
  try {
    const t = native().allocateTrajectory(game.handle, { batch, ...(steps ? { steps } : {}) });
    return trajectoryOf(t, game.info, batch, identityGroups(new Uint32Array(batch)));
  } finally {
    if (owned) game.dispose();
  }
}

/**
 * A rollout's options, all but the seed, checked and resolved once: what
 * {@link rollout} does on every call and a {@link RolloutPlan} when it is made.
 *
 * @internal
 */
export interface CheckedRollout {
  /** The game; `ownGame` when it was made here from an id (the caller disposes it). */
  game: Game;
  /** Whether `game` was made here. */
  ownGame: boolean;
  /** One per seat; `owned` when made here from a strategy name (the caller disposes it). */
  policies: Array<{
    /** The seat's policy. */
    policy: Policy;
    /** Whether it was made here. */
    owned: boolean;
  }>;
  /** Rollouts. */
  batch: number;
  /** Group of each rollout, or undefined (each its own). */
  groups: Uint32Array | undefined;
  /** The checked out, if given. */
  out: Trajectory | undefined;
  /** The binding's options but the seed. */
  native: Omit<NativeRolloutOptions, 'seed'>;
}

/**
 * Checks and resolves options (whose keys the caller has checked). On a bad
 * option it throws and disposes whatever it made.
 *
 * @internal
 */
export function checkRollout(o: Record<string, unknown>): CheckedRollout {
  const gpu = gpuOption({ gpu: o.gpu });
  const batch = checkInteger('options.batch', o.batch, 1, LIMITS.maxBatch);
  const steps = o.steps === undefined ? undefined : checkInteger('options.steps', o.steps, 1, LIMITS.maxRolloutSteps);
  const threads = o.threads === undefined ? undefined : checkInteger('options.threads', o.threads, 1, LIMITS.maxThreads);
  const groups = resolveGroups(o.groups as RolloutOptions['groups'], batch);
  const temperature = o.temperature === undefined ? undefined : checkNumber('options.temperature', o.temperature, 1e-6, 1e6);
  const greedy = o.greedy === undefined ? undefined : checkBoolean('options.greedy', o.greedy);
  if (!Array.isArray(o.policies)) {
    throw new DilemmaError(ErrorCode.InvalidArgument, 'options.policies must be an array with one policy per agent');
  }
  const { game, owned: ownGame } = resolveGame(o.game as GameSpec, 'options.game');
  const policies: CheckedRollout['policies'] = [];
  try {
    if (o.policies.length !== game.info.agents) {
      throw new DilemmaError(
        ErrorCode.InvalidArgument,
        `options.policies must have ${game.info.agents} entries for game '${game.id}', got ${o.policies.length}`,
      );
    }
    o.policies.forEach((p, i) => policies.push(resolvePolicy(p as PolicySpec, `options.policies[${i}]`)));
    // 'cuda' without a usable GPU fails here; whether the kernel covers the
    // game and policies is decided natively ('auto' falls back there).
    const agentSteps = batch * (steps ?? game.info.maxSteps) * game.info.agents;
    const device = resolveGpu(gpu, agentSteps, ROLLOUT_AUTO_CUDA_MIN_AGENT_STEPS) === 'cuda' ? (gpu === 'cuda' ? 'cuda' : 'auto') : undefined;
    const out =
      o.out === undefined
        ? undefined
        : checkOut(o.out, {
            batch,
            steps: steps ?? game.info.maxSteps,
            agents: game.info.agents,
            obsDim: game.info.obsDim,
          });
    return {
      game,
      ownGame,
      policies,
      batch,
      groups,
      out,
      native: {
        batch,
        ...(steps ? { steps } : {}),
        ...(groups ? { groups } : {}),
        ...(threads ? { threads } : {}),
        ...(temperature !== undefined ? { temperature } : {}),
        ...(greedy !== undefined ? { greedy } : {}),
        ...(out ? { out } : {}),
        ...(device ? { gpu: device } : {}),
      },
    };
  } catch (e) {
    releaseRollout({ game, ownGame, policies });
    throw e;
  }
}

/**
 * Disposes the game and policies {@link checkRollout} made.
 *
 * @internal
 */
export function releaseRollout(c: Pick<CheckedRollout, 'game' | 'ownGame' | 'policies'>): void {
  for (const r of c.policies) if (r.owned) r.policy.dispose();
  if (c.ownGame) c.game.dispose();
}

/**
 * Sets out's sizes, groups and statNames after a rollout into its arrays;
 * returns it. Its groups array is reused when it fits.
 *
 * @internal
 */
export function finishOut(out: Trajectory, c: Pick<CheckedRollout, 'batch' | 'game' | 'groups'>, steps: number, statNames: string[]): Trajectory {
  const { batch } = c;
  const reuse = isTypedArrayOf(out.groups, Uint32Array) && out.groups.length === batch && out.groups.buffer.byteLength > 0 &&
    !(typeof SharedArrayBuffer !== 'undefined' && out.groups.buffer instanceof SharedArrayBuffer);
  const outGroups = reuse ? out.groups : new Uint32Array(batch);
  if (c.groups) outGroups.set(c.groups);
  else identityGroups(outGroups);
  Object.assign(out, { batch, steps, agents: c.game.info.agents, obsDim: c.game.info.obsDim, groups: outGroups, statNames });
  return out;
}

/**
 * A trajectory from the binding's arrays, with the game's shape and the rollouts' groups.
 *
 * @internal
 */
export function trajectoryFrom(t: NativeTrajectory, c: Pick<CheckedRollout, 'batch' | 'game' | 'groups'>): Trajectory {
  return trajectoryOf(t, c.game.info, c.batch, c.groups ?? identityGroups(new Uint32Array(c.batch)));
}

/** The keys of {@link RolloutOptions}. */
const ROLLOUT_KEYS = ['game', 'policies', 'batch', 'steps', 'seed', 'groups', 'threads', 'temperature', 'greedy', 'out', 'gpu'] as const;

/**
 * Plays `batch` episodes of a game with one policy per seat, in the native core off the event loop.
 *
 * The same seed gives the same trajectory whatever the thread count. To run
 * the same configuration many times with new seeds, a {@link RolloutPlan}
 * checks it once and costs far less per call at small batches.
 *
 * @throws DilemmaError `ERR_INVALID_ARGUMENT` for a bad option (naming it), `ERR_UNKNOWN_GAME` / `ERR_UNKNOWN_STRATEGY` for unknown names, `ERR_TOO_LARGE` past {@link LIMITS}.
 */
export async function rollout(options: RolloutOptions): Promise<Trajectory> {
  const o = checkObject('options', options);
  checkKeys('options', o, ROLLOUT_KEYS);
  const seed = o.seed === undefined ? 0 : checkSeed('options.seed', o.seed);
  const c = checkRollout(o);
  try {
    const t = await native().rollout(
      c.game.handle,
      c.policies.map((r) => r.policy.handle),
      { ...c.native, seed },
    );
    return c.out ? finishOut(c.out, c, t.steps, t.statNames) : trajectoryFrom(t, c);
  } finally {
    releaseRollout(c);
  }
}

/** Mean episode return per agent over the batch: [A]. */
export function meanReturns(t: Trajectory): Float64Array {
  const out = new Float64Array(t.agents);
  const { rewards, agents } = t;
  for (let i = 0; i < rewards.length; i++) out[i % agents] += rewards[i];
  for (let a = 0; a < agents; a++) out[a] /= t.batch;
  return out;
}

/**
 * Fraction of taken steps at which each agent chose `action` (default 0,
 * "cooperate" in two-action games): [A].
 */
export function actionRate(t: Trajectory, action = 0): Float64Array {
  const hits = new Float64Array(t.agents);
  let live = 0;
  for (let row = 0; row < t.batch * t.steps; row++) {
    if (!t.mask[row]) continue;
    live++;
    for (let a = 0; a < t.agents; a++) if (t.actions[row * t.agents + a] === action) hits[a]++;
  }
  for (let a = 0; a < t.agents; a++) hits[a] = live ? hits[a] / live : 0;
  return hits;
}

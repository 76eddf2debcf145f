/**
 * A rollout configuration checked once and run many times with new seeds.
 */
import { DilemmaError, ErrorCode } from './errors.js';
import { native, type NativeTrajectory } from './native.js';
import type { NativeRolloutPlan } from './binding/types.js';
import { checkRollout, finishOut, releaseRollout, trajectoryFrom, type CheckedRollout, type RolloutOptions, type Trajectory } from './rollout.js';
import { checkKeys, checkObject, checkSeed, invalid } from './validate.js';

/**
 * Options of a {@link RolloutPlan}: those of {@link rollout} but the seed,
 * which each run takes.
 */
export type RolloutPlanOptions = Omit<RolloutOptions, 'seed'>;

/** Options of {@link RolloutPlan.run} and {@link RolloutPlan.runSync}. */
export interface RolloutRunOptions {
  /** Seed of every random draw of this run, an integer ≥ 0 or a BigInt below 2^64. Default 0. */
  seed?: number | bigint;
}

const PLAN_KEYS = ['game', 'policies', 'batch', 'steps', 'groups', 'threads', 'temperature', 'greedy', 'out', 'gpu'] as const;

function runSeed(options: RolloutRunOptions | undefined): number | bigint {
  if (options === undefined) return 0;
  if (typeof options !== 'object' || options === null) invalid('options', 'must be an object such as { seed: 1 }');
  for (const key in options) if (key !== 'seed') checkKeys('options', options, ['seed']);
  const seed = options.seed;
  // The common case, a safe non-negative integer, without a call.
  if (typeof seed === 'number' && Number.isSafeInteger(seed) && seed >= 0) return seed;
  return seed === undefined ? 0 : checkSeed('options.seed', seed);
}

/**
 * A rollout configuration (game, policies, batch, steps, groups, threads,
 * sampling and where it runs) checked and resolved once, with the
 * trajectory its runs write into. Each run takes only a seed and refills
 * {@link RolloutPlan.trajectory} in place, with exactly the numbers
 * `rollout()` gives for the same options and seed. At small batches a run
 * costs a fraction of a `rollout()` call, which checks its options and
 * `out` on every call.
 *
 * ```ts
 * using plan = new RolloutPlan({ game: 'ipd', policies: ['random', 'tit-for-tat'], batch: 64 });
 * for (let seed = 0; seed < 1000; seed++) {
 *   const t = plan.runSync({ seed });   // the same object every time
 *   total += meanReturns(t)[0];
 * }
 * ```
 *
 * The plan holds its game and policies: strategy names and game ids given
 * here are made for the plan and freed by {@link RolloutPlan.dispose}; a
 * Game or Policy passed in stays the caller's, and disposing it makes later
 * runs throw ERR_DISPOSED. Without `out` the plan allocates its trajectory
 * (zero-filled until the first run); with `out` it writes into those arrays
 * (checked once, as `rollout()` checks them, and again for detachment or
 * shrinking before every run). Read or copy the trajectory between runs:
 * the next run overwrites it. `trajectory.groups` is filled once; changing
 * it does not change the runs' groups.
 */
export class RolloutPlan {
  /**
   * The trajectory every run refills (the `out` given, if any). Runs write
   * into the arrays it had when the plan was made: assigning another array
   * to one of its fields does not redirect them.
   */
  readonly trajectory: Trajectory;
  /** Whether {@link RolloutPlan.run} runs on the calling thread (small scripted rollouts) rather than on a worker. */
  readonly runsInline: boolean;
  #native: NativeRolloutPlan | undefined;
  #checked: CheckedRollout;

  /**
   * Checks the options and prepares the plan.
   *
   * @throws DilemmaError `ERR_INVALID_ARGUMENT` for a bad option (naming it, e.g. `options.seed`, which a plan does not take), `ERR_UNKNOWN_GAME` / `ERR_UNKNOWN_STRATEGY` for unknown names, `ERR_TOO_LARGE` past {@link LIMITS}, `ERR_BACKEND_UNAVAILABLE` for `gpu: 'cuda'` where it cannot run.
   */
  constructor(options: RolloutPlanOptions) {
    const o = checkObject('options', options);
    if ('seed' in o) invalid('options.seed', 'is given to each run: plan.run({ seed })');
    checkKeys('options', o, PLAN_KEYS);
    const c = checkRollout(o);
    let handle: NativeRolloutPlan | undefined;
    try {
      const arrays = {} as NativeTrajectory;
      const result = (c.out ?? {}) as Trajectory;
      handle = new (native().RolloutPlan)(
        c.game.handle,
        c.policies.map((r) => r.policy.handle),
        c.native,
        result,
        arrays,
      );
      this.trajectory = c.out ? finishOut(c.out, c, arrays.steps, arrays.statNames) : Object.assign(result, trajectoryFrom(arrays, c));
      this.runsInline = handle.runsInline;
      this.#native = handle;
      this.#checked = c;
    } catch (e) {
      handle?.dispose();
      releaseRollout(c);
      throw e;
    }
  }

  #handle(): NativeRolloutPlan {
    if (!this.#native) throw new DilemmaError(ErrorCode.Disposed, 'the rollout plan was disposed');
    // ERR_DISPOSED naming the policy or game (the addon checks again).
    for (const r of this.#checked.policies) void r.policy.handle;
    void this.#checked.game.handle;
    return this.#native;
  }

  /**
   * Runs the rollouts with this seed into {@link RolloutPlan.trajectory} and
   * resolves with it. Small scripted rollouts run before the call returns;
   * others run off the event loop: leave the trajectory alone until the
   * promise settles.
   *
   * @throws DilemmaError (as a rejection) `ERR_INVALID_ARGUMENT` for a bad seed or a trajectory array detached or shrunk since the plan was made, `ERR_BUSY` while a run of this plan (or a rollout into its arrays) is in flight, `ERR_DISPOSED` after dispose() or when its game or a policy was disposed.
   */
  run(options?: RolloutRunOptions): Promise<Trajectory> {
    try {
      const seed = runSeed(options);
      return this.#handle().run(seed);
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /**
   * Runs the rollouts with this seed on the calling thread, whatever their
   * size, and returns {@link RolloutPlan.trajectory}. For small work: large
   * or learned-policy rollouts block the event loop until they finish.
   *
   * @throws DilemmaError as {@link RolloutPlan.run}, thrown.
   */
  runSync(options?: RolloutRunOptions): Trajectory {
    this.#handle().runSync(runSeed(options));
    return this.trajectory;
  }

  /** Whether {@link RolloutPlan.dispose} was called. */
  get disposed(): boolean {
    return this.#native === undefined;
  }

  /**
   * Frees the plan and the game and policies it made; later runs throw
   * ERR_DISPOSED. A run in flight finishes and settles. The trajectory's
   * arrays stay readable. Safe to call twice.
   */
  dispose(): void {
    if (!this.#native) return;
    this.#native.dispose();
    this.#native = undefined;
    releaseRollout(this.#checked);
  }

  /** Same as {@link RolloutPlan.dispose}, for `using`. */
  [Symbol.dispose](): void {
    this.dispose();
  }
}

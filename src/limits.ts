/**
 * The engine's size limits, the table native/core/limits.hpp holds (exported
 * by the addon and generated into src/generated/limits.ts), and the memory a
 * rollout will allocate, computable before running it.
 *
 * Requests past a limit fail with ERR_TOO_LARGE before anything is
 * allocated. A result array is bounded twice: by its elements (maxElements)
 * and by its bytes (maxResultBytes, what Node can hand to JavaScript as one
 * ArrayBuffer), so a float32 or int32 result holds at most 2^30 elements. Requests within the limits that the machine cannot hold fail
 * with ERR_OUT_OF_MEMORY: large result arrays are allocated by the addon,
 * which turns a failed allocation into that error (V8's own allocator would
 * abort the process instead).
 */
import { DilemmaError, ErrorCode } from './errors.js';
import { LIMITS } from './generated/limits.js';
import { resolveGame, type GameSpec } from './games.js';
import { checkInteger, checkObject } from './validate.js';

export { LIMITS } from './generated/limits.js';

/** Options of {@link rolloutMemory}. */
export interface RolloutMemoryOptions {
  /** The game: a {@link Game}, an id or `{ id, params }`. */
  game: GameSpec;
  /** Environments, 1..LIMITS.maxBatch. */
  batch: number;
  /** Default: the game's maximum episode length. */
  steps?: number;
}

/** Bytes of each array a rollout returns, and their sum. */
export interface RolloutMemory {
  /** float32 [B, T, A, O] */
  observations: number;
  /** int32 [B, T, A] */
  actions: number;
  /** float32 [B, T, A] */
  logProbs: number;
  /** float32 [B, T, A] */
  entropies: number;
  /** float32 [B, T, A] */
  rewards: number;
  /** uint8 [B, T] */
  dones: number;
  /** uint8 [B, T] */
  mask: number;
  /** int32 [B, S], S = the game's statistics */
  stats: number;
  /** All of the above. */
  total: number;
}

function elements(what: string, dims: number[]): number {
  let n = 1;
  for (const d of dims) {
    n *= d;
    if (n > LIMITS.maxElements) {
      throw new DilemmaError(
        ErrorCode.TooLarge,
        `${what} would exceed the limit of ${LIMITS.maxElements} elements; use a smaller batch or fewer steps`,
      );
    }
  }
  return n;
}

/**
 * The bytes a rollout of `game` with `batch` environments and `steps` steps
 * allocates for its result (B = batch, T = steps, A = agents, O = the
 * observation size, S = the game's statistics). Throws ERR_TOO_LARGE, as the
 * rollout itself would, when an array would exceed LIMITS.maxElements or
 * LIMITS.maxResultBytes.
 */
export function rolloutMemory(options: RolloutMemoryOptions): RolloutMemory {
  const o = checkObject('options', options);
  const batch = checkInteger('options.batch', o.batch, 1, LIMITS.maxBatch);
  const steps = o.steps === undefined ? undefined : checkInteger('options.steps', o.steps, 1, LIMITS.maxRolloutSteps);
  const { game, owned } = resolveGame(o.game as GameSpec, 'options.game');
  try {
    const { agents: A, obsDim: O, maxSteps } = game.info;
    const S = game.handle.info().statNames.length;
    const T = steps ?? maxSteps;
    // In the native order of checks, so that the same array is named.
    const observations = 4 * elements('observations', [batch, T, A, O]);
    const perAgent = elements('per-agent arrays', [batch, T, A]);
    const perStep = elements('per-step arrays', [batch, T]);
    const stats = elements('statistics', [batch, S]);
    const sizes: Array<[string, number, number]> = [
      ['observations', batch * T * A * O, 4],
      ['actions', perAgent, 4],
      ['logProbs', perAgent, 4],
      ['entropies', perAgent, 4],
      ['rewards', perAgent, 4],
      ['dones', perStep, 1],
      ['mask', perStep, 1],
      ['stats', stats, 4],
    ];
    for (const [name, n, width] of sizes) {
      if (n * width > LIMITS.maxResultBytes) {
        throw new DilemmaError(
          ErrorCode.TooLarge,
          `options.batch = ${batch} with steps = ${T}: ${name} would take ${n * width} bytes, over the limit of ` +
            `${LIMITS.maxResultBytes} bytes for one result array (LIMITS.maxResultBytes); use a smaller options.batch or options.steps`,
        );
      }
    }
    const m = {
      observations,
      actions: 4 * perAgent,
      logProbs: 4 * perAgent,
      entropies: 4 * perAgent,
      rewards: 4 * perAgent,
      dones: perStep,
      mask: perStep,
      stats: 4 * stats,
    };
    return { ...m, total: Object.values(m).reduce((s, x) => s + x, 0) };
  } finally {
    if (owned) game.dispose();
  }
}

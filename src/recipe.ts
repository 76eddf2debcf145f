/**
 * The default training recipe for two-action iterated games (`ipd`,
 * `matrix`): every setting that depends on the game (discount, Advantage
 * Alignment weight) is derived from the game's horizon and payoff scale, so
 * that one recipe fits every length, payoff table, noise level and
 * continuation probability of the family without tuning.
 */
import { DilemmaError, ErrorCode } from './errors.js';
import { makeEnv } from './env.js';
import { type GameSpec, resolveGame } from './games.js';
import type { Algorithm, TrainConfig } from './train.js';

/** What the recipe reads from a game. */
export interface GameScale {
  /** Expected episode length in rounds (continuation probability p, cap n: (1 − p^n) / (1 − p)). */
  horizon: number;
  /** Largest minus smallest one-round payoff of agent 0 (T − S in a prisoner's dilemma). */
  payoffRange: number;
}

/** The recipe's settings; DEFAULT_KNOBS are the library's, `knobs` overrides them one by one (for studies). */
export interface RecipeKnobs {
  /** Training iterations. */
  iterations: number;
  /** Episodes per iteration. */
  batch: number;
  /** Adam learning rate at the start (see lrSchedule) with `memory`. */
  lr: number;
  /** Adam learning rate at the start with `noisyMemory`: a larger table, each row seen less often. */
  noisyLr: number;
  /** β = betaScale / (payoffRange · horizon). */
  betaScale: number;
  /** γ = 1 − 1 / (gammaHorizon · horizon), at least minGamma. */
  gammaHorizon: number;
  /** The smallest γ the recipe uses, for short games. */
  minGamma: number;
  /** Entropy bonus (TrainConfig.entropyCoef). */
  entropyCoef: number;
  /** Chance that an iteration's opponent is a past snapshot (TrainConfig.bufferProbability). */
  bufferProbability: number;
  /** Past snapshots kept (TrainConfig.bufferSize). */
  bufferSize: number;
  /** Rounds remembered by the policy (the game's `history`) when moves are not noisy. */
  memory: number;
  /**
   * Rounds remembered when moves are noisy (the game's noise or trainNoise):
   * enough to tell a noise flip from a deliberate defection, so that the
   * policy can make amends after its own flipped move instead of echoing
   * retaliation (contrite tit-for-tat).
   */
  noisyMemory: number;
  /** Move noise added during training when the game has less. */
  trainNoise: number;
  /** TrainConfig.whitenCredits. */
  whitenCredits: boolean;
  /** Episodes per common-random-number group (the leave-one-out baseline's groups); 0: the whole batch. */
  groupSize: number;
  /** TrainConfig.lrSchedule. */
  lrSchedule: 'constant' | 'linear';
  /** TrainConfig.includeCurrent. */
  includeCurrent: boolean;
  /** TrainConfig.aaForm. */
  aaForm: 'discounted' | 'mean';
  /** What the Advantage Alignment weight sums over past steps (TrainConfig.aaPast). */
  aaPast: 'advantages' | 'rewards';
  /** TrainConfig.objective. */
  objective: 'reinforce' | 'ppo';
  /** TrainConfig.epochs. */
  epochs: number;
}

/**
 * The library's default: γ and β from the game's horizon and payoff range,
 * common random numbers in groups of 8, half of the opponents past
 * snapshots, a linear learning-rate decay, and the Advantage Alignment weight
 * summed over past one-step rewards (aaPast 'rewards'), which turns the
 * grim-trigger attractor of the returns-based weight into tit-for-tat.
 * Noiseless games get a memory-1 table (the rows beyond one round are hardly
 * visited there, stay untrained and, if generous, are exploited); noisy ones
 * a memory-3 table at half the learning rate, which learns to make amends
 * after its own noise-flipped defection while still refusing always-defect
 * (bench/results/ipd-family-recipe-notes.md).
 */
export const DEFAULT_KNOBS: RecipeKnobs = {
  iterations: 300,
  batch: 512,
  lr: 0.2,
  noisyLr: 0.1,
  betaScale: 50,
  gammaHorizon: 1,
  minGamma: 0.9,
  entropyCoef: 0,
  bufferProbability: 0.5,
  bufferSize: 50,
  memory: 1,
  noisyMemory: 3,
  trainNoise: 0,
  whitenCredits: false,
  groupSize: 8,
  lrSchedule: 'linear',
  includeCurrent: false,
  aaForm: 'discounted',
  aaPast: 'rewards',
  objective: 'reinforce',
  epochs: 1,
};

/** Horizon and payoff range of a two-action matrix game, read from the native rules (one step per joint move). */
export function gameScale(spec: GameSpec): GameScale {
  const { game, owned } = resolveGame(spec, 'game');
  try {
    if (game.id !== 'ipd' && game.id !== 'matrix') {
      throw new DilemmaError(ErrorCode.Unsupported, `the iterated-game recipe needs 'ipd' or 'matrix', not '${game.id}'`);
    }
    const params = { ...game.params, noise: 0, continuation: 1 } as Record<string, unknown>;
    const env = makeEnv(game.id, params as never, { batch: 4, seed: 0 });
    let rewards: Float32Array;
    try {
      env.reset();
      rewards = env.step(Int32Array.from([0, 0, 0, 1, 1, 0, 1, 1])).rewards;
    } finally {
      env.dispose();
    }
    const own = [0, 1, 2, 3].map((b) => rewards[b * 2]);
    const rounds = Number(game.params.rounds ?? 10);
    const p = Number(game.params.continuation ?? 1);
    const horizon = p >= 1 ? rounds : (1 - p ** rounds) / (1 - p);
    return { horizon, payoffRange: Math.max(...own) - Math.min(...own) || 1 };
  } finally {
    if (owned) game.dispose();
  }
}

/**
 * The library's recipe for a two-action iterated game: a tabular policy
 * remembering `memory` rounds (`noisyMemory` when moves are noisy) trained by
 * self-play with the settings derived from the game's horizon, payoff range
 * and noise (see RecipeKnobs).
 */
export function iteratedGameRecipe(
  spec: { id: 'ipd' | 'matrix'; params?: Record<string, unknown> },
  options: { algorithm?: Algorithm; seed?: number; iterations?: number; knobs?: Partial<RecipeKnobs> } = {},
): TrainConfig {
  const k = { ...DEFAULT_KNOBS, ...options.knobs };
  const { horizon, payoffRange } = gameScale(spec as GameSpec);
  const params: Record<string, unknown> = { ...(spec.params ?? {}) };
  if (k.trainNoise > Number(params.noise ?? 0)) params.noise = k.trainNoise;
  const noisy = Number(params.noise ?? 0) > 0;
  const memory = noisy ? k.noisyMemory : k.memory;
  if (memory !== 1) params.history = memory;
  const gamma = Math.max(k.minGamma, 1 - 1 / (k.gammaHorizon * horizon));
  return {
    game: { id: spec.id, params },
    algorithm: options.algorithm ?? 'advantage-alignment',
    policy: { kind: 'tabular', ...(memory > 1 ? { blocks: memory } : {}) },
    iterations: options.iterations ?? k.iterations,
    batch: k.batch,
    ...(k.groupSize > 0 ? { groupSize: k.groupSize } : {}),
    seed: options.seed ?? 0,
    gamma,
    beta: k.betaScale / (payoffRange * horizon),
    lr: noisy ? k.noisyLr : k.lr,
    lrSchedule: k.lrSchedule,
    entropyCoef: k.entropyCoef,
    whitenCredits: k.whitenCredits,
    bufferProbability: k.bufferProbability,
    bufferSize: k.bufferSize,
    includeCurrent: k.includeCurrent,
    aaForm: k.aaForm,
    aaPast: k.aaPast,
    objective: k.objective,
    epochs: k.epochs,
  };
}

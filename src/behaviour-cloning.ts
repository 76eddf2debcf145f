/**
 * Behaviour cloning: a trainable policy fitted by maximum likelihood to the
 * actions of other agents (scripted strategies, or any policies) under its
 * own observations. Stands in for a pretrained prior: e.g. a policy cloned
 * from a mixture of honest, lying, greedy and welfare-maximising
 * trust-and-split agents has seen every kind of behaviour, as a language
 * model has, and is then fine-tuned with `train(config, { initParams })`.
 *
 * Each step rolls out fresh episodes of the mixture (each seat's agent drawn
 * independently by weight, so pair (i, j) plays a share w_i·w_j of the
 * episodes), takes every seat's observation and action sequences, and makes
 * one Adam step on their mean negative log-likelihood (Trainer.fitActions:
 * the engine's model, loss and optimizer, credit 1 on each action).
 */
import { DilemmaError, ErrorCode } from './errors.js';
import { Game, resolveGame } from './games.js';
import { Policy, type PolicySpec } from './policies.js';
import { type Trajectory } from './rollout.js';
import { RolloutPlan } from './rollout-plan.js';
import { Trainer, type FitMetrics, type TrainConfig } from './train.js';
import { checkInteger, checkNumber, checkObject, invalid } from './validate.js';

/** One agent of the mixture `behaviourClone` imitates, with its share of the seats. */
export interface MixtureEntry {
  /** An agent to imitate: a strategy name or a Policy (which stays the caller's). */
  policy: PolicySpec;
  /** Its share of the seats, > 0 (weights need not sum to 1). */
  weight: number;
}

/** Options of `behaviourClone`. */
export interface BehaviourCloneOptions {
  /**
   * The policy to fit: its game, model (`policy`), `seed` (initialisation and
   * the mixture's episodes), `lr` (Adam) and `threads` are used; the
   * reinforcement-learning options are ignored.
   */
  config: TrainConfig;
  /** The agents whose actions are imitated, with their weights. */
  mixture: readonly MixtureEntry[];
  /** Adam steps, ≥ 1. */
  steps: number;
  /** Episodes rolled out per step, ≥ 1 (each gives one sequence per seat). */
  episodes: number;
  /** Called after every step with its loss (the mean −log π of the imitated actions before the step). */
  onStep?: (m: BehaviourCloneStep) => void;
}

/** What `behaviourClone` returns. */
export interface BehaviourCloneResult {
  /** The cloned policy's parameters (laid out as modelLayout() says): pass as train's `initParams`. */
  params: Float32Array;
  /** The metrics of every step, in order (`step` counts from 0). */
  history: BehaviourCloneStep[];
}

/** One step's fit metrics, with the step's index. */
export interface BehaviourCloneStep extends FitMetrics {
  /** The step's index, from 0. */
  step: number;
}

/**
 * Episodes per ordered pair (i, j) of mixture entries, proportional to
 * w_i·w_j and summing to `episodes` (largest remainders, ties to the first
 * pair), row-major [i][j].
 */
export function pairEpisodes(weights: readonly number[], episodes: number): number[] {
  const total = weights.reduce((s, w) => s + w, 0);
  const n = weights.length;
  const exact: number[] = [];
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) exact.push((episodes * weights[i] * weights[j]) / (total * total));
  const out = exact.map(Math.floor);
  let left = episodes - out.reduce((s, x) => s + x, 0);
  const order = exact.map((x, k) => [x - Math.floor(x), k] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  for (let r = 0; left > 0; r++, left--) out[order[r % order.length][1]]++;
  return out;
}

const MASK64 = (1n << 64n) - 1n;
/** A rollout seed per (run seed, step, pair): distinct streams without collisions between steps. */
function streamSeed(seed: number, step: number, pair: number): bigint {
  return (BigInt(seed) * 0x9e3779b97f4a7c15n + BigInt(step) * 0x10000n + BigInt(pair) + 1n) & MASK64;
}

function checkOptions(options: BehaviourCloneOptions) {
  const o = checkObject('options', options) as unknown as BehaviourCloneOptions;
  checkObject('options.config', o.config);
  const steps = checkInteger('options.steps', o.steps, 1, 1e9);
  const episodes = checkInteger('options.episodes', o.episodes, 1, 1 << 24);
  if (!Array.isArray(o.mixture) || o.mixture.length === 0) invalid('options.mixture', 'must be a non-empty array of { policy, weight }');
  const weights = o.mixture.map((m, i) => {
    checkObject(`options.mixture[${i}]`, m);
    const w = checkNumber(`options.mixture[${i}].weight`, m.weight, 0, 1e12);
    if (!(w > 0)) invalid(`options.mixture[${i}].weight`, `must be above 0, got ${w}`);
    if (typeof m.policy !== 'string' && !(m.policy instanceof Policy)) {
      invalid(`options.mixture[${i}].policy`, 'must be a strategy name or a Policy');
    }
    return w;
  });
  if (o.onStep !== undefined && typeof o.onStep !== 'function') invalid('options.onStep', 'must be a function');
  return { steps, episodes, weights };
}

/** Seat `agent`'s observations [n, T, O] and actions and mask [n, T] of a trajectory, written at sequence `at`. */
function copySeat(t: Trajectory, agent: number, data: { observations: Float32Array; actions: Int32Array; mask: Uint8Array }, at: number) {
  const { batch: B, steps: T, agents: A, obsDim: O } = t;
  for (let b = 0; b < B; b++) {
    for (let s = 0; s < T; s++) {
      const row = (at + b) * T + s, src = (b * T + s) * A + agent;
      data.observations.set(t.observations.subarray(src * O, src * O + O), row * O);
      data.actions[row] = t.actions[src];
      data.mask[row] = t.mask[b * T + s];
    }
  }
}

/**
 * Fits `options.config`'s policy to the mixture's actions by maximum
 * likelihood with Adam, from the config's initialisation. Deterministic for
 * a given config seed, whatever the thread count.
 *
 * @throws DilemmaError ERR_INVALID_ARGUMENT naming a bad option; the config's
 *   own errors as `train` reports them; a mixture agent that cannot play the
 *   game (e.g. ERR_UNSUPPORTED for a trust-and-split agent in the IPD).
 */
export async function behaviourClone(options: BehaviourCloneOptions): Promise<BehaviourCloneResult> {
  const { steps, episodes, weights } = checkOptions(options);
  const trainer = Trainer.create({ ...options.config, iterations: 0 });
  try {
    const { game, owned } = resolveGame({ id: trainer.config.game.id, params: trainer.config.game.params ?? {} });
    try {
      if (game.info.agents !== 2) {
        throw new DilemmaError(ErrorCode.Unsupported, `behaviourClone plays two-agent games; '${game.id}' has ${game.info.agents}`);
      }
      return await fit(trainer, game, options, steps, episodes, weights);
    } finally {
      if (owned) game.dispose();
    }
  } finally {
    trainer.dispose();
  }
}

async function fit(trainer: Trainer, game: Game, options: BehaviourCloneOptions, steps: number, episodes: number, weights: number[]) {
  const n = weights.length;
  const perPair = pairEpisodes(weights, episodes);
  const T = trainer.config.steps ?? game.info.maxSteps;
  const O = game.info.obsDim;
  const sequences = 2 * episodes;
  const data = {
    observations: new Float32Array(sequences * T * O),
    actions: new Int32Array(sequences * T),
    mask: new Uint8Array(sequences * T),
    sequences,
    steps: T,
  };
  const history: BehaviourCloneStep[] = [];
  // Every step plays each pair again with only a new seed: a plan per pair
  // is checked once, and its runs refill one trajectory, copied out at once.
  const plans = new Map<number, RolloutPlan>();
  try {
    for (let k = 0; k < n * n; k++) {
      if (perPair[k] === 0) continue;
      const i = Math.floor(k / n), j = k % n;
      plans.set(k, new RolloutPlan({
        game,
        policies: [options.mixture[i].policy, options.mixture[j].policy],
        batch: perPair[k],
        steps: T,
        threads: trainer.config.threads,
      }));
    }
    for (let step = 0; step < steps; step++) {
      let at = 0;
      for (const [k, plan] of plans) {
        const t = await plan.run({ seed: streamSeed(trainer.config.seed, step, k) });
        copySeat(t, 0, data, at);
        copySeat(t, 1, data, at + perPair[k]);
        at += 2 * perPair[k];
      }
      const m = { ...(await trainer.fitActions(data)), step };
      history.push(m);
      options.onStep?.(m);
    }
  } finally {
    for (const plan of plans.values()) plan.dispose();
  }
  return { params: trainer.params(), history };
}

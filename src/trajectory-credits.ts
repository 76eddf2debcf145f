/**
 * One call from a trajectory to per-row credits, the recipe a custom trainer
 * otherwise assembles from `credit.*` and a de-interleaving loop.
 */
import { credit } from './credit.js';
import type { Trajectory } from './rollout.js';
import { agentView } from './trajectory-views.js';
import { checkKeys, checkNumber, checkObject, describe, invalid } from './validate.js';

/**
 * - `'naive'`: each agent's own discounted return minus the baseline.
 * - `'aa'`: Advantage Alignment, `credit.advantageAlignment` of the agent's
 *   baselined return against the sum of the other agents' (opponent shaping).
 * - `'sum'`: the prosocial baseline, the discounted return of the sum of all
 *   agents' rewards minus the baseline.
 */
export type CreditMethod = 'naive' | 'aa' | 'sum';

/**
 * The baseline subtracted from returns: `'groups'` leave-one-out within the
 * trajectory's groups (refused when a rollout is alone in its group, as every
 * rollout is without `groups`), `'batch'` leave-one-out over the whole batch,
 * `'none'` the raw returns.
 */
export type CreditBaseline = 'groups' | 'batch' | 'none';

/** Options of `trajectoryCredits`. */
export interface TrajectoryCreditsOptions {
  /** Which credit: `'naive'`, `'aa'` (Advantage Alignment) or `'sum'` (sum of rewards). */
  method: CreditMethod;
  /** Discount γ in [0, 1]. */
  gamma: number;
  /** Advantage Alignment strength β (method 'aa'; default 1). */
  beta?: number;
  /** Default `'groups'`. */
  baseline?: CreditBaseline;
  /** Advantage Alignment form (method 'aa'; default 'discounted'). */
  form?: 'discounted' | 'mean';
}

/** Credits of every agent of a trajectory, per agent and in row order. */
export interface TrajectoryCredits {
  /** One `[B, T]` array per agent. */
  perAgent: Float32Array[];
  /** `[A · B · T]` all agents agent-major: the row order of `trajectoryRows(t)`. */
  rows: Float32Array;
}

/**
 * Per-row credits of every agent of a trajectory, in one call:
 * returns `G = discountedReturns(r, γ)`, baselined `Â = G − baseline`, then
 * by method (see CreditMethod). Rows are ordered as `trajectoryRows`.
 *
 * @throws DilemmaError ERR_INVALID_ARGUMENT for a bad option, or with
 *   baseline 'groups' when a rollout is alone in its group (with the fix).
 */
export function trajectoryCredits(trajectory: Trajectory, options: TrajectoryCreditsOptions): TrajectoryCredits {
  const o = checkObject('options', options);
  checkKeys('options', o, ['method', 'gamma', 'beta', 'baseline', 'form']);
  const method = o.method;
  if (method !== 'naive' && method !== 'aa' && method !== 'sum') {
    invalid('options.method', `must be "naive", "aa" or "sum", got ${describe(method)}`);
  }
  const gamma = checkNumber('options.gamma', o.gamma, 0, 1);
  const beta = o.beta === undefined ? 1 : checkNumber('options.beta', o.beta);
  const baseline = o.baseline === undefined ? 'groups' : o.baseline;
  if (baseline !== 'groups' && baseline !== 'batch' && baseline !== 'none') {
    invalid('options.baseline', `must be "groups", "batch" or "none", got ${describe(baseline)}`);
  }
  const views = Array.from({ length: trajectory.agents }, (_, a) => agentView(trajectory, a));
  const { batch, steps } = trajectory;
  const shape = { batch, steps };
  const baselined = (rewards: Float32Array): Float32Array => {
    const g = credit.discountedReturns(rewards, { ...shape, gamma, gpu: false });
    if (baseline === 'none') return g;
    if (baseline === 'batch') return credit.leaveOneOut(g, { ...shape, gpu: false });
    return credit.leaveOneOut(g, { ...shape, groups: trajectory.groups, gpu: false });
  };
  let perAgent: Float32Array[];
  if (method === 'sum') {
    const total = new Float32Array(batch * steps);
    for (const v of views) for (let i = 0; i < total.length; i++) total[i] += v.rewards[i];
    perAgent = views.map(() => baselined(total.slice()));
  } else {
    const adv = views.map((v) => baselined(v.rewards));
    if (method === 'naive') perAgent = adv;
    else {
      perAgent = adv.map((own, a) => {
        const others = new Float32Array(own.length);
        adv.forEach((x, b) => {
          if (b !== a) for (let i = 0; i < others.length; i++) others[i] += x[i];
        });
        return credit.advantageAlignment({ own, others, ...shape, beta, gamma, form: (o.form as 'discounted' | 'mean') ?? 'discounted', gpu: false });
      });
    }
  }
  const n = batch * steps;
  const rows = new Float32Array(n * perAgent.length);
  perAgent.forEach((c, a) => rows.set(c, a * n));
  return { perAgent, rows };
}

/**
 * Trajectory layouts a trainer wants. `rollout` returns `[B, T, A, …]` with
 * the agents interleaved; the credit functions want `[B, T]` per agent and
 * `loss.policyGradient` wants flat rows. These helpers copy one agent's
 * column out (a strided column cannot be a typed-array view) and make the
 * rows a PyTorch trainer can use as they are: padding rows carry action 0
 * (a valid `gather` index) and mask 0, so `logp.gather(1, a) * mask` needs
 * no special case; the engine's own loss reads the same rows.
 */
import { checkInteger, checkObject, checkKeys, invalid, isTypedArrayOf } from './validate.js';
import type { Trajectory } from './rollout.js';

/** One agent's part of a trajectory, every array `[B, T]` (observations `[B, T, O]`), row-major. */
export interface AgentTrajectory {
  /** Episodes `B`. */
  batch: number;
  /** Steps per episode `T`. */
  steps: number;
  /** Observation features per row `O`. */
  obsDim: number;
  /** `[B, T, O]` what the agent saw before acting. */
  observations: Float32Array;
  /** `[B, T]` the chosen actions; padding rows (after an episode ended) are 0, see `mask`. */
  actions: Int32Array;
  /** `[B, T]` log-probability of the chosen action under the acting policy (0 on padding). */
  logProbs: Float32Array;
  /** `[B, T]` entropy of the acting policy (0 on padding). */
  entropies: Float32Array;
  /** `[B, T]` the agent's rewards. */
  rewards: Float32Array;
  /** `[B, T]` 1 where a step was taken, 0 on padding (the trajectory's own mask, shared). */
  mask: Uint8Array;
}

/**
 * A trajectory's shape fields and arrays, checked against each other
 * (ERR_INVALID_ARGUMENT naming the field): for functions that read a
 * trajectory the caller may have built or changed.
 */
export function checkTrajectory(t: unknown): Trajectory {
  const tr = checkObject('trajectory', t) as unknown as Trajectory;
  // Each checked field is read once: a getter cannot answer differently
  // after its check.
  const v = {} as Record<string, unknown>;
  for (const k of ['batch', 'steps', 'agents', 'obsDim'] as const) v[k] = checkInteger(`trajectory.${k}`, tr[k], 0, 2 ** 31 - 1);
  const [batch, steps, agents, obsDim] = [v.batch, v.steps, v.agents, v.obsDim] as number[];
  const rows = batch * steps;
  const want: Array<[keyof Trajectory, unknown, number]> = [
    ['actions', Int32Array, rows * agents],
    ['logProbs', Float32Array, rows * agents],
    ['entropies', Float32Array, rows * agents],
    ['rewards', Float32Array, rows * agents],
    ['observations', Float32Array, rows * agents * obsDim],
    ['mask', Uint8Array, rows],
  ];
  for (const [name, ctor, length] of want) {
    const a: unknown = (v[name] = tr[name]);
    if (!isTypedArrayOf(a, ctor as Float32ArrayConstructor) || (a as ArrayLike<number>).length !== length) {
      invalid(`trajectory.${name}`, `must be a ${(ctor as { name: string }).name} of ${length} elements (the trajectory's shape)`);
    }
  }
  return { ...tr, ...v } as Trajectory;
}

function checkAgent(t: Trajectory, agent: unknown): number {
  return checkInteger('agent', agent, 0, t.agents - 1);
}

/**
 * Agent `agent`'s `[B, T]` arrays out of a `[B, T, A]` trajectory (copies;
 * the mask is the trajectory's own). Padding actions are 0 with mask 0.
 *
 * @throws DilemmaError ERR_INVALID_ARGUMENT for a malformed trajectory or an agent outside [0, A).
 */
export function agentView(trajectory: Trajectory, agent: number): AgentTrajectory {
  const t = checkTrajectory(trajectory);
  const a = checkAgent(t, agent);
  const { agents: A, obsDim: O } = t;
  const n = t.batch * t.steps;
  const actions = new Int32Array(n);
  const logProbs = new Float32Array(n);
  const entropies = new Float32Array(n);
  const rewards = new Float32Array(n);
  const observations = new Float32Array(n * O);
  for (let i = 0; i < n; i++) {
    const j = i * A + a;
    const live = t.mask[i] === 1 && t.actions[j] >= 0;
    actions[i] = live ? t.actions[j] : 0;
    logProbs[i] = live ? t.logProbs[j] : 0;
    entropies[i] = live ? t.entropies[j] : 0;
    rewards[i] = t.rewards[j];
    // An element loop: a subarray per row costs more than the copy for small O.
    for (let d = 0; d < O; d++) observations[i * O + d] = t.observations[j * O + d];
  }
  return { batch: t.batch, steps: t.steps, obsDim: O, observations, actions, logProbs, entropies, rewards, mask: t.mask };
}

/** Flat rows for `loss.policyGradient` and for a trainer's own model. */
export interface TrajectoryRows {
  /** Number of rows N: B · T per agent included. */
  rows: number;
  /** Observation features per row. */
  obsDim: number;
  /** The agents included, in row order. */
  agents: number[];
  /** `[N, O]` observations, rows ordered agent-major then b, t: row = k·B·T + b·T + t for the k-th included agent. */
  observations: Float32Array;
  /** `[N]` chosen actions; padding rows are 0 (a valid index for torch's `gather`), see `mask`. */
  actions: Int32Array;
  /** `[N]` behaviour log-probabilities (0 on padding). */
  logProbs: Float32Array;
  /** `[N]` 1 for a live row, 0 for padding (uint8, torch: `torch.from_numpy(mask).bool()`). */
  mask: Uint8Array;
  /** `[N]` the mask as float32 (1 or 0), to multiply a per-row loss by in torch. */
  weights: Float32Array;
}

/**
 * The flat rows the loss wants, from a `[B, T, A]` trajectory: every agent
 * (or those in `options.agents`), agent-major. Pass per-agent `[B, T]`
 * credits concatenated in the same order (see `trajectoryCredits`, whose
 * `rows` field is in this order).
 *
 * @throws DilemmaError ERR_INVALID_ARGUMENT for a malformed trajectory or a bad agent list.
 */
export function trajectoryRows(trajectory: Trajectory, options: { agents?: readonly number[] } = {}): TrajectoryRows {
  const t = checkTrajectory(trajectory);
  const o = checkObject('options', options);
  checkKeys('options', o, ['agents']);
  let list: number[];
  if (o.agents === undefined) list = Array.from({ length: t.agents }, (_, k) => k);
  else {
    if (!Array.isArray(o.agents) || o.agents.length === 0) invalid('options.agents', 'must be a non-empty array of agent indices');
    list = (o.agents as unknown[]).map((a, k) => checkInteger(`options.agents[${k}]`, a, 0, t.agents - 1));
  }
  const n = t.batch * t.steps, O = t.obsDim, N = n * list.length;
  const out: TrajectoryRows = {
    rows: N,
    obsDim: O,
    agents: list,
    observations: new Float32Array(N * O),
    actions: new Int32Array(N),
    logProbs: new Float32Array(N),
    mask: new Uint8Array(N),
    weights: new Float32Array(N),
  };
  list.forEach((a, k) => {
    const v = agentView(t, a);
    out.observations.set(v.observations, k * n * O);
    out.actions.set(v.actions, k * n);
    out.logProbs.set(v.logProbs, k * n);
    for (let i = 0; i < n; i++) {
      const live = v.mask[i] === 1 && t.actions[i * t.agents + a] >= 0 ? 1 : 0;
      out.mask[k * n + i] = live;
      out.weights[k * n + i] = live;
    }
  });
  return out;
}

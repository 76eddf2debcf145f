/**
 * What a training iteration and a behaviour-cloning step report, and the
 * data a cloning step reads: shared by the Trainer handle and the binding's
 * types.
 */

/** What one training iteration reports (one line of the metrics file). */
export interface IterationMetrics {
  /** The iteration's index, counting from 0 (the trainer's iteration before this step). */
  iteration: number;
  /** Mean episode return per agent. */
  meanReturn: number[];
  /** Per agent, the share of taken steps with action 0 (cooperation in two-action games). */
  action0Rate: number[];
  /** The learner's mean policy entropy over live steps (nats). */
  entropy: number;
  /** The policy term of the loss (first epoch). */
  policyLoss: number;
  /** KL to a reference policy; the trainer uses none, so 0. */
  kl: number;
  /** Share of live steps whose ratio was capped (reinforce) or clipped (ppo), first epoch. */
  clippedFraction: number;
  /** L2 norm of the policy gradient (first epoch). */
  gradNorm: number;
  /** Mean squared error of the critic; 0 without one. */
  criticLoss: number;
  /** Mean absolute credit of the learner. */
  creditAbsMean: number;
  /** Whether the opponent this iteration was a past snapshot from the buffer. */
  bufferOpponent: boolean;
  /** Snapshots in the buffer. */
  bufferSize: number;
  /** Mean per episode of each of the game's statistics (see Trainer.statNames). */
  gameStats: number[];
  /** Wall time of the iteration in seconds. */
  seconds: number;
}

/**
 * The IterationMetrics of the numbers a native iteration returns:
 * iteration, bufferOpponent (0 or 1), bufferSize, entropy, policyLoss, kl,
 * clippedFraction, gradNorm, criticLoss, creditAbsMean, then A and A mean
 * returns, A action-0 rates, then G and G game statistics
 * (native/addon/trainer_wrap.cc, metrics_values).
 */
export function metricsFromValues(v: Float64Array, seconds: number): IterationMetrics {
  const agents = v[10]!;
  const g = 11 + 2 * agents;
  const slice = (from: number, n: number): number[] => {
    const out = new Array<number>(n);
    for (let i = 0; i < n; i++) out[i] = v[from + i]!;
    return out;
  };
  return {
    iteration: v[0]!,
    meanReturn: slice(11, agents),
    action0Rate: slice(11 + agents, agents),
    entropy: v[3]!,
    policyLoss: v[4]!,
    kl: v[5]!,
    clippedFraction: v[6]!,
    gradNorm: v[7]!,
    criticLoss: v[8]!,
    creditAbsMean: v[9]!,
    bufferOpponent: v[1] === 1,
    bufferSize: v[2]!,
    gameStats: slice(g + 1, v[g]!),
    seconds,
  };
}

/** One behaviour-cloning step's numbers (Trainer.fitActions). */
export interface FitMetrics {
  /** Mean −log π(a | observation) over the live rows, before the step. */
  loss: number;
  /** Global gradient norm before clipping. */
  gradNorm: number;
  /** Rows that counted (mask 1, action not −1). */
  liveRows: number;
}

/** Sequences of one seat's observations and actions to imitate (Trainer.fitActions). */
export interface FitData {
  /** [sequences, steps, obsDim] what the imitated agent saw. */
  observations: Float32Array;
  /** [sequences, steps] what it did; −1 marks padding. */
  actions: Int32Array;
  /** [sequences, steps] 1 for a row that counts; default all. */
  mask?: Uint8Array;
  /** Number of sequences (the leading dimension). */
  sequences: number;
  /** Steps per sequence. */
  steps: number;
}

/**
 * Policy losses and their gradients with respect to the logits, for a
 * softmax policy over `A` actions. A custom trainer (for example a PyTorch
 * trainer reading arrays from files) computes its logits, asks the engine for
 * the loss and `d(loss)/d(logits)`, and backpropagates that gradient through
 * its own model (`logits.backward(gradLogits)`). The engine's own trainer
 * calls the same native functions.
 *
 * Shapes: `logits` (and `referenceLogits`, `gradLogits`) are row-major
 * `[rows, actions]` Float32Arrays, one row per decision; `actions`,
 * `credits`, `mask`, `behaviorLogProbs` and `referenceLogProbs` are `[rows]`.
 *
 * Trajectories from `rollout` are `[B, T, A_agents]` (one column per agent),
 * with a `[B, T]` mask: to train one agent, pick its column, e.g.
 * `Int32Array.from({ length: B * T }, (_, i) => traj.actions[i * agents + j])`
 * for the actions and likewise for `logProbs`; the mask is used as it is, and
 * rows are then the `B · T` steps of that agent.
 */
import { DilemmaError, ErrorCode } from './errors.js';
import { gpuOption, resolveGpu, type GpuOption } from './gpu.js';
import type { NativeLoss } from './binding/types.js';
import { LIMITS } from './generated/limits.js';
import { native } from './native.js';
import { resultFloat32 } from './result-array.js';
import { checkInteger, checkKeys, checkNumber, checkObject, checkTypedArray, describe, invalid } from './validate.js';

const binding = (): NativeLoss => native().loss;

const MAX_ELEMENTS = LIMITS.maxElements;
const FLOAT32_MAX = 3.4028234663852886e38;
/** Bounds of a numeric `normalize`, so that its reciprocal is a normal float32. */
const MIN_NORMALIZER = LIMITS.minNormalizer;
const MAX_NORMALIZER = LIMITS.maxNormalizer;

/** `'reinforce'`: REINFORCE with a capped, detached importance ratio. `'ppo'`: PPO's clipped surrogate. */
export type LossObjective = 'reinforce' | 'ppo';

/**
 * What the row weights divide by: `'mask'` the number of live rows,
 * `'rows'` all rows (padding included), or a fixed positive number (for
 * example the rows of a whole batch split into several calls).
 */
export type LossNormalize = 'mask' | 'rows' | number;

/** The `[rows, actions]` shape of a loss call's logits. */
export interface LossShape {
  /** Rows (decisions), N ≥ 1. */
  rows: number;
  /** Actions per row, A ≥ 1. */
  actions: number;
}

/** Options of `loss.policyGradient`. */
export interface PolicyGradientOptions {
  /** `[rows, actions]` logits z of the policy being trained. */
  logits: Float32Array;
  /** `[rows]` the sampled actions, in [0, A); −1 marks padding after an episode ended. */
  actions: Int32Array;
  /** `[rows]` the credit c of each action: an advantage or an Advantage Alignment credit. */
  credits: Float32Array;
  /** `[rows]` 1 for a row that counts, 0 for one that does not. Default: every row counts. */
  mask?: Uint8Array;
  /** The number of actions A; rows are then `actions.length`. Give this or `shape`. */
  actionsCount?: number;
  /** `{ rows, actions }`; give this or `actionsCount`. */
  shape?: LossShape;
  /**
   * `[rows]` log μ(a): the log-probabilities of the taken actions under the
   * policy that acted (a trajectory's `logProbs`). Required for `'ppo'`; for
   * `'reinforce'` they turn on the capped importance ratio.
   */
  behaviorLogProbs?: Float32Array;
  /** Default `'reinforce'`. */
  objective?: LossObjective;
  /** REINFORCE: the cap on the importance ratio, > 0, `Infinity` for none. Default 2. */
  ratioCap?: number;
  /** PPO: ε in [0, 1). Default 0.2. */
  clip?: number;
  /** Weight of the entropy bonus; any finite number (negative penalises entropy). Default 0. */
  entropyCoef?: number;
  /** Weight of the KL penalty, ≥ 0; > 0 needs a reference. Default 0. */
  klCoef?: number;
  /** `[rows, actions]` logits of the reference policy (π_ref = softmax). At most one reference. */
  referenceLogits?: Float32Array;
  /** `[rows]` log π_ref(a) of the taken actions under the reference policy. At most one reference. */
  referenceLogProbs?: Float32Array;
  /** Default `'mask'`. */
  normalize?: LossNormalize;
  /**
   * The sampling temperature τ the rollout used (its `temperature` option):
   * the policy is then π = softmax(z / τ), as the rollout's `logProbs` are,
   * so ratios against `behaviorLogProbs` are right. `referenceLogits` are
   * divided by τ too. `gradLogits` is with respect to the raw z. Default 1.
   */
  temperature?: number;
  /** Where to write `gradLogits` (`[rows, actions]`); may be `logits` itself. */
  out?: Float32Array;
  /**
   * Where it runs: `'cuda'` (the CUDA kernel; ERR_BACKEND_UNAVAILABLE with
   * the reason where no usable GPU is found), `'auto'` (the GPU for at least
   * {@link LOSS_AUTO_CUDA_MIN_ELEMENTS} logits when one is usable, else the
   * CPU) or `false` (the CPU). Default: the engine's (see `setGpu`). Both give
   * the same checks and errors; the GPU sums the loss parts in another fixed
   * order, so its results agree within |gpu − cpu| ≤ 1e-6 + 1e-5·|cpu|.
   */
  gpu?: GpuOption;
}

/** What `loss.policyGradient` returns. */
export interface PolicyGradientResult {
  /** The loss as minimised: `policyLoss − entropyCoef · entropy + klCoef · kl`. */
  loss: number;
  /** The policy term: `Σ w_i · ℓ_i` (REINFORCE or PPO). */
  policyLoss: number;
  /** The weighted mean entropy `Σ w_i · H(p_i)`. */
  entropy: number;
  /** The weighted mean k3 KL to the reference `Σ w_i · k3_i`; 0 without a reference (reported even when klCoef is 0). */
  kl: number;
  /** Of the live rows, the fraction whose ratio was capped (REINFORCE) or whose clipped surrogate was the minimum (PPO). */
  clippedFraction: number;
  /** `[rows, actions]` d(loss)/d(logits); zero on rows that do not count. */
  gradLogits: Float32Array;
}

/** Options of `loss.logSoftmax`. */
export interface LogSoftmaxOptions extends LossShape {
  /** Where to write the `[rows, actions]` result; may be `logits`. */
  out?: Float32Array;
}

const POLICY_GRADIENT_KEYS = [
  'logits',
  'actions',
  'credits',
  'mask',
  'actionsCount',
  'shape',
  'behaviorLogProbs',
  'objective',
  'ratioCap',
  'clip',
  'entropyCoef',
  'klCoef',
  'referenceLogits',
  'referenceLogProbs',
  'normalize',
  'temperature',
  'out',
  'gpu',
] as const;

/**
 * With `gpu: 'auto'`, the smallest loss (rows × actions logits) sent to a
 * usable GPU; below it the copies to the device and back cost more than the
 * CPU's pass.
 */
export const LOSS_AUTO_CUDA_MIN_ELEMENTS = 1 << 20;

function checkShape(name: string, rows: unknown, actions: unknown): { rows: number; actions: number; n: number } {
  const r = checkInteger(`${name}.rows`, rows, 1, MAX_ELEMENTS);
  const a = checkInteger(`${name}.actions`, actions, 1, MAX_ELEMENTS);
  if (r * a > MAX_ELEMENTS) {
    throw new DilemmaError(
      ErrorCode.TooLarge,
      `${name}.rows × ${name}.actions (${r} × ${a}) exceeds the limit of ${MAX_ELEMENTS} elements`,
    );
  }
  return { rows: r, actions: a, n: r * a };
}

function float32Coefficient(name: string, value: unknown, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  return checkNumber(name, value, min, FLOAT32_MAX);
}

function optionalArray<C extends Float32ArrayConstructor | Uint8ArrayConstructor>(
  name: string,
  value: unknown,
  ctor: C,
  length: number,
): InstanceType<C> | undefined {
  return value === undefined ? undefined : checkTypedArray(name, value, ctor, length);
}

/**
 * The policy loss of a batch of decisions and its gradient with respect to
 * the logits.
 *
 * Per row i: p = softmax(z_i / τ) (τ = `temperature`, default 1; below z
 * stands for z / τ and the gradient gains a factor 1 / τ), log π(a) = z_{i,a} − logsumexp(z_i). A row is
 * live when its mask is 1 and its action is not −1; other rows are not read
 * beyond their mask and action, add nothing and get a zero gradient. Weights
 * w_i = m_i / N_eff with N_eff from `normalize` (default: the live rows; no
 * live rows gives a zero loss).
 *
 * - `'reinforce'`: ℓ_i = −c_i · ρ_i · log π(a_i) with the detached ratio
 *   ρ_i = min(exp(log π(a_i) − log μ_i), ratioCap) (1 without
 *   `behaviorLogProbs`); ∂ℓ_i/∂z_i = −c_i ρ_i (onehot(a_i) − p_i).
 * - `'ppo'`: r_i = exp(log π(a_i) − log μ_i),
 *   ℓ_i = −min(r_i c_i, clip(r_i, 1 − ε, 1 + ε) c_i);
 *   ∂ℓ_i/∂z_i = −c_i r_i (onehot(a_i) − p_i) where the unclipped product is
 *   the minimum, 0 where the clipped one is strictly smaller. Ties go to the
 *   unclipped term (so the gradient flows for r in [1 − ε, 1 + ε], bounds
 *   included), as automatic differentiation of `min` and `clamp` gives.
 * - Entropy bonus: −entropyCoef · Σ w_i H(p_i), H = −Σ_k p_k log p_k,
 *   ∂H/∂z_k = −p_k (log p_k + H).
 * - KL to a reference (k3 estimator on the sampled action):
 *   Δ_i = log π_ref(a_i) − log π(a_i), k3_i = e^Δ − 1 − Δ, added as
 *   klCoef · Σ w_i k3_i with ∂k3/∂z = (1 − e^Δ)(onehot(a) − p).
 *
 * `loss = Σ w_i ℓ_i − entropyCoef · Σ w_i H_i + klCoef · Σ w_i k3_i`, and
 * `gradLogits[i, k] = ∂loss/∂z_{i,k}`. Sums run in a fixed order, so results
 * are bit-identical for any thread count.
 *
 * Arrays, shapes and options are checked here; the per-row checks (mask
 * values, actions, finite credits, log-probabilities, logits and reference
 * logits on live rows) run in the native core only, in one pass that names
 * the option and the row, so that they cost no second JavaScript pass.
 *
 * @throws DilemmaError `ERR_INVALID_ARGUMENT` for a bad array, length,
 *   option or row (an action outside [−1, A) on a row whose mask is 1, a mask
 *   value other than 0 or 1, a non-finite logit, credit or log-probability on
 *   a live row); `ERR_TOO_LARGE` past 2³¹ − 1 elements;
 *   `ERR_BACKEND_UNAVAILABLE` for `gpu: 'cuda'` without a usable GPU.
 */
function policyGradient(options: PolicyGradientOptions): PolicyGradientResult {
  const o = checkObject('options', options);
  checkKeys('options', o, POLICY_GRADIENT_KEYS);
  const actions = checkTypedArray('options.actions', o.actions, Int32Array);

  let shape: { rows: number; actions: number; n: number };
  if (o.shape !== undefined && o.actionsCount !== undefined) {
    invalid('options.shape', 'and options.actionsCount are alternatives: give one');
  } else if (o.shape !== undefined) {
    const s = checkObject('options.shape', o.shape);
    checkKeys('options.shape', s, ['rows', 'actions']);
    shape = checkShape('options.shape', s.rows, s.actions);
  } else if (o.actionsCount !== undefined) {
    const a = checkInteger('options.actionsCount', o.actionsCount, 1, MAX_ELEMENTS);
    if (actions.length === 0) invalid('options.actions', 'must have at least one row');
    if (actions.length * a > MAX_ELEMENTS) {
      throw new DilemmaError(
        ErrorCode.TooLarge,
        `options.actions.length × options.actionsCount (${actions.length} × ${a}) exceeds the limit of ${MAX_ELEMENTS} elements`,
      );
    }
    shape = { rows: actions.length, actions: a, n: actions.length * a };
  } else {
    invalid('options.actionsCount', 'or options.shape is required');
  }
  const { rows, actions: A, n } = shape;

  const logits = checkTypedArray('options.logits', o.logits, Float32Array, n);
  checkTypedArray('options.actions', actions, Int32Array, rows);
  const credits = checkTypedArray('options.credits', o.credits, Float32Array, rows);
  const mask = optionalArray('options.mask', o.mask, Uint8Array, rows);
  const behaviorLogProbs = optionalArray('options.behaviorLogProbs', o.behaviorLogProbs, Float32Array, rows);
  const referenceLogits = optionalArray('options.referenceLogits', o.referenceLogits, Float32Array, n);
  const referenceLogProbs = optionalArray('options.referenceLogProbs', o.referenceLogProbs, Float32Array, rows);
  const out = optionalArray('options.out', o.out, Float32Array, n);

  const objective = o.objective === undefined ? 'reinforce' : o.objective;
  if (objective !== 'reinforce' && objective !== 'ppo') {
    invalid('options.objective', `must be "reinforce" or "ppo", got ${describe(objective)}`);
  }
  const ratioCap =
    o.ratioCap === undefined || o.ratioCap === Infinity
      ? ((o.ratioCap as number | undefined) ?? 2)
      : checkNumber('options.ratioCap', o.ratioCap, 0, FLOAT32_MAX);
  if (ratioCap === 0) invalid('options.ratioCap', 'must be > 0 (Infinity for no cap), got 0');
  const clip = o.clip === undefined ? 0.2 : checkNumber('options.clip', o.clip, 0, 1);
  if (clip === 1) invalid('options.clip', 'must be below 1 (1 − ε is the lower bound of the ratio), got 1');
  const entropyCoef = float32Coefficient('options.entropyCoef', o.entropyCoef, 0, -FLOAT32_MAX);
  const klCoef = float32Coefficient('options.klCoef', o.klCoef, 0, 0);
  const normalize = o.normalize === undefined ? 'mask' : o.normalize;
  if (typeof normalize === 'number') {
    checkNumber('options.normalize', normalize, MIN_NORMALIZER, MAX_NORMALIZER);
  } else if (normalize !== 'mask' && normalize !== 'rows') {
    invalid('options.normalize', `must be "mask", "rows" or a number, got ${describe(normalize)}`);
  }
  if (objective === 'ppo' && behaviorLogProbs === undefined) {
    invalid('options.behaviorLogProbs', 'is required by the "ppo" objective (its ratio needs the behaviour policy)');
  }
  if (referenceLogits !== undefined && referenceLogProbs !== undefined) {
    invalid('options.referenceLogits', 'and options.referenceLogProbs are alternatives: give at most one');
  }
  if (klCoef > 0 && referenceLogits === undefined && referenceLogProbs === undefined) {
    invalid('options.klCoef', '> 0 needs a reference policy: options.referenceLogits or options.referenceLogProbs');
  }

  const temperature = o.temperature === undefined ? 1 : checkNumber('options.temperature', o.temperature, 1e-6, 1e6);
  // The native loss works on softmax(z); at τ ≠ 1 it gets z / τ and the
  // chain rule scales its gradient by 1 / τ.
  const scaled = (z: Float32Array | undefined) => {
    if (z === undefined || temperature === 1) return z;
    const s = new Float32Array(z.length);
    for (let i = 0; i < z.length; i++) s[i] = z[i] / temperature;
    return s;
  };
  const scaledReference = scaled(referenceLogits);
  const backend = resolveGpu(gpuOption({ gpu: o.gpu }), n, LOSS_AUTO_CUDA_MIN_ELEMENTS);

  const r = binding().policyGradient({
    logits: scaled(logits) as Float32Array,
    actions,
    credits,
    ...(mask ? { mask } : {}),
    ...(behaviorLogProbs ? { behaviorLogProbs } : {}),
    ...(scaledReference ? { referenceLogits: scaledReference } : {}),
    ...(referenceLogProbs ? { referenceLogProbs } : {}),
    out: out ?? resultFloat32('gradLogits', n),
    rows,
    actionCount: A,
    objective,
    ratioCap,
    clip,
    entropyCoef,
    klCoef,
    normalize,
    ...(backend === 'cuda' ? { backend } : {}),
  });
  if (temperature !== 1) {
    const g = r.gradLogits;
    for (let i = 0; i < g.length; i++) g[i] /= temperature;
  }
  return {
    loss: r.loss,
    policyLoss: r.policyLoss,
    entropy: r.entropy,
    kl: r.kl,
    clippedFraction: r.clippedFraction,
    gradLogits: r.gradLogits,
  };
}

/**
 * Row-wise log-softmax: `out[i, k] = z_{i,k} − logsumexp(z_i)`, computed as
 * `(z − max) − log Σ exp(z − max)`.
 *
 * Shapes: `logits` and the result are `[rows, actions]`. `options.out` may be
 * `logits`. Every logit must be finite.
 *
 * @throws DilemmaError `ERR_INVALID_ARGUMENT` for a bad array, shape or a
 *   non-finite logit (naming its row); `ERR_TOO_LARGE` past 2³¹ − 1 elements.
 */
function logSoftmax(logits: Float32Array, options: LogSoftmaxOptions): Float32Array {
  const o = checkObject('options', options);
  checkKeys('options', o, ['rows', 'actions', 'out']);
  const { rows, actions, n } = checkShape('options', o.rows, o.actions);
  checkTypedArray('logits', logits, Float32Array, n);
  const out = optionalArray('options.out', o.out, Float32Array, n) ?? resultFloat32('the log-probabilities', n);
  return binding().logSoftmax(logits, out, rows, actions);
}

/**
 * Policy losses and their logits gradients over row-major `[rows, actions]` Float32Arrays.
 *
 * @namespace
 */
export const loss = {
  /** A policy-gradient loss (REINFORCE or PPO) with entropy and KL terms, and its gradient with respect to the logits. */
  policyGradient,
  /** Row-wise log-softmax of `[rows, actions]` logits. */
  logSoftmax,
} as const;

/**
 * Credit assignment over batched rollouts: discounted returns, GAE(λ), the
 * group-relative leave-one-out baseline, Advantage Alignment, the
 * sum-of-rewards baseline and whitening. Every array is a row-major
 * `[batch, steps]` Float32Array (one rollout per row) unless stated; the work
 * runs in the native core, split across the engine's threads.
 *
 * Each function writes into `options.out` when given (it must have the
 * result's length and may be the first input, for in-place use) and
 * otherwise into a new array, and returns it.
 *
 * discountedReturns, gae, leaveOneOut and advantageAlignment also run on a
 * GPU (`options.gpu`, see {@link GpuOption}; `options.backend`, see
 * {@link CreditBackend}, is its older alias).
 */
import { DilemmaError, ErrorCode } from './errors.js';
import { gpuOption, resolveGpu, type GpuOption } from './gpu.js';
import type { NativeCredit, NativeCreditBackend } from './binding/types.js';
import { LIMITS } from './generated/limits.js';
import { native } from './native.js';
import { resultFloat32 } from './result-array.js';
import {
  arrayLikeLength,
  checkBoolean,
  checkInteger,
  checkKeys,
  checkNumber,
  checkObject,
  checkTypedArray,
  describe,
  invalid,
  isTypedArrayOf,
} from './validate.js';

/** Where the native side runs a call, once 'auto' is resolved. */
type ResolvedBackend = NativeCreditBackend;

const binding = (): NativeCredit => native().credit;

const MAX_ELEMENTS = LIMITS.maxElements;
const FLOAT32_MAX = 3.4028234663852886e38;

/**
 * Where a credit function runs:
 * - `'cpu'`: the native core, split across the engine's threads.
 * - `'cuda'`: the CUDA kernels (`libdilemma_cuda`); the arrays are copied to
 *   the GPU and the result back. Throws `ERR_BACKEND_UNAVAILABLE`, with the
 *   reason `engineInfo().cuda.reason` gives, where no usable GPU is found.
 * - `'auto'` (the default): the GPU when `engineInfo().cuda.available` and the
 *   input has at least {@link AUTO_CUDA_MIN_ELEMENTS} elements (batch × steps),
 *   enough for the kernel to pay for the copies; otherwise the CPU, silently.
 *   Small inputs never load the CUDA library.
 *
 * Both backends compute the same thing: the GPU's scans (discounted returns,
 * GAE, Advantage Alignment) are bit for bit the CPU's, and leave-one-out
 * agrees within |gpu − cpu| ≤ 1e-6 + 1e-5·|cpu| (its group sums are added
 * in a different order).
 */
export type CreditBackend = 'auto' | 'cpu' | 'cuda';

/**
 * With `backend: 'auto'`, the smallest input (batch × steps elements) sent to
 * the GPU. Below it the host-device copies and the launch cost more than the
 * CPU's single pass (about a nanosecond per element).
 */
export const AUTO_CUDA_MIN_ELEMENTS = 1 << 20;

/** Where a credit function runs: `gpu` (or its older alias `backend`). */
export interface BackendOptions {
  /**
   * `'auto'`, `'cuda'` or `false` (the CPU); default: the engine's (see
   * {@link setGpu}), 'auto' unless changed. 'auto' sends inputs of at least
   * {@link AUTO_CUDA_MIN_ELEMENTS} elements to a usable GPU.
   */
  gpu?: GpuOption;
  /** Older alias of `gpu` (`'cpu'` is `gpu: false`); see {@link CreditBackend}. Not together with `gpu`. */
  backend?: CreditBackend;
}

/** The `[batch, steps]` shape of a credit function's arrays, and where to write its result. */
export interface ShapeOptions {
  /** Rollouts (rows). */
  batch: number;
  /** Steps per rollout (columns). */
  steps: number;
  /** Where to write the `[batch, steps]` result; may be the first input. */
  out?: Float32Array;
}

/** Options of `credit.discountedReturns`. */
export interface DiscountedReturnsOptions extends ShapeOptions, BackendOptions {
  /** Discount γ in [0, 1]. */
  gamma: number;
}

/** Options of `credit.gae`. */
export interface GaeOptions extends ShapeOptions, BackendOptions {
  /** Discount γ in [0, 1]. */
  gamma: number;
  /** GAE λ in [0, 1]: 0 is the one-step TD error, 1 the Monte Carlo advantage. */
  lambda: number;
}

/** Options of `credit.leaveOneOut`. */
export interface LeaveOneOutOptions extends ShapeOptions, BackendOptions {
  /**
   * `[batch]` group id of each rollout (e.g. rollouts sharing a
   * common-random-number seed). Ids are arbitrary int32 values, in any order;
   * a Uint32Array (as in `Trajectory.groups`) is read bit for bit. Default:
   * the whole batch is one group.
   */
  groups?: Int32Array | Uint32Array | ArrayLike<number>;
  /**
   * What to do with a rollout alone in its group, which has no baseline and
   * would keep its raw value: `'refuse'` (the default) throws
   * ERR_INVALID_ARGUMENT naming the group, `'keep'` keeps the value as it is.
   * A rollout made without `groups` puts every episode in a group of its own,
   * so passing its `groups` here is refused rather than silently giving no
   * baseline.
   */
  singletons?: 'refuse' | 'keep';
}

/** How Advantage Alignment weighs past advantages: `'discounted'` sum or running `'mean'` (see `credit.advantageAlignment`). */
export type AdvantageAlignmentForm = 'discounted' | 'mean';

/** Options of `credit.advantageAlignment`. */
export interface AdvantageAlignmentOptions extends ShapeOptions, BackendOptions {
  /** `[batch, steps]` the agent's own advantages A¹. */
  own: Float32Array;
  /** `[batch, steps]` the other agents' advantages A², summed over the others when there are several. */
  others: Float32Array;
  /** Shaping strength β, any finite number. */
  beta: number;
  /** Discount γ in [0, 1] (unused by the mean form). */
  gamma: number;
  /** Include step t in the sum over past advantages (the "jit" form). Default false. */
  includeCurrent?: boolean;
  /** `'discounted'` (default) or the undiscounted running `'mean'` of the paper's code. */
  form?: AdvantageAlignmentForm;
}

/** Options of `credit.sumOfRewards`. */
export interface SumOfRewardsOptions {
  /** Where to write the result; may be `own`. */
  out?: Float32Array;
}

/** Options of `credit.whiten`. */
export interface WhitenOptions extends ShapeOptions {
  /** Normalise each step (column) over the batch instead of all elements together. Default false. */
  perStep?: boolean;
  /** Added to the standard deviation; a finite number > 0. Default 1e-8. */
  eps?: number;
}

function options(value: unknown, allowed: readonly string[]): Record<string, unknown> {
  const o = checkObject('options', value);
  checkKeys('options', o, allowed);
  return o;
}

/** Checks batch and steps; returns the element count batch × steps. */
function elements(o: Record<string, unknown>, extraColumns = 0): number {
  const batch = checkInteger('options.batch', o.batch, 1, MAX_ELEMENTS);
  const steps = checkInteger('options.steps', o.steps, 1, MAX_ELEMENTS);
  if (batch * (steps + extraColumns) > MAX_ELEMENTS) {
    throw new DilemmaError(
      ErrorCode.TooLarge,
      `options.batch × options.steps (${batch} × ${steps}) exceeds the limit of ${MAX_ELEMENTS} elements`,
    );
  }
  return batch * steps;
}

function unit(name: string, value: unknown): number {
  return checkNumber(name, value, 0, 1);
}

/** options.out, or a new array that the native function fills completely (see result-array.ts). */
function output(o: Record<string, unknown>, length: number): Float32Array {
  return o.out === undefined
    ? resultFloat32('the result', length)
    : checkTypedArray('options.out', o.out, Float32Array, length);
}

/** Reads options.gpu (or its alias options.backend) and resolves 'auto' for an input of `elementCount` elements. */
function backendFor(o: Record<string, unknown>, elementCount: number): ResolvedBackend {
  return resolveGpu(gpuOption(o), elementCount, AUTO_CUDA_MIN_ELEMENTS);
}

function groupIds(value: unknown, batch: number): Int32Array | undefined {
  if (value === undefined) return undefined;
  if (isTypedArrayOf(value, Int32Array)) return checkTypedArray('options.groups', value, Int32Array, batch);
  if (isTypedArrayOf(value, Uint32Array)) {
    const u = checkTypedArray('options.groups', value, Uint32Array, batch);
    return new Int32Array(u.buffer, u.byteOffset, u.length);
  }
  if (arrayLikeLength(value) === undefined) {
    invalid('options.groups', `must be an Int32Array, a Uint32Array or an array of integers, got ${describe(value)}`);
  }
  const like = value as ArrayLike<unknown>;
  if (like.length !== batch) invalid('options.groups', `must have ${batch} elements, got ${like.length}`);
  const ids = new Int32Array(batch);
  for (let i = 0; i < batch; i++) ids[i] = checkInteger(`options.groups[${i}]`, like[i], -(2 ** 31), 2 ** 31 - 1);
  return ids;
}

/** Throws when some rollout is alone in its group (it would get no baseline). */
function refuseSingletons(groups: Int32Array | undefined, batch: number): void {
  const fix =
    "; a rollout needs others in its group for a baseline: roll out with `groups: { size: k }` (k ≥ 2), " +
    "leave options.groups out for one batch-wide group, or pass `singletons: 'keep'` to keep lone values as they are";
  if (groups === undefined) {
    if (batch === 1) invalid('options.batch', `is 1, a group of one${fix}`);
    return;
  }
  const counts = new Map<number, number>();
  for (const g of groups) counts.set(g, (counts.get(g) ?? 0) + 1);
  let lone = 0, first: number | undefined;
  for (const [g, c] of counts) if (c === 1) { lone++; first ??= g; }
  if (lone > 0) {
    const all = lone === batch ? ' (every rollout is in a group of its own, as a rollout without `groups` gives)' : '';
    invalid('options.groups', `puts ${lone} rollout(s) alone in a group (first: group ${first})${all}${fix}`);
  }
}

/**
 * Discounted return-to-go of each rollout.
 *
 * Shapes: `rewards` and the result are `[batch, steps]`, row-major.
 *
 * `G[b, t] = Σ_{k ≥ t} γ^{k−t} · rewards[b, k]`, computed backwards as
 * `G_t = r_t + γ · G_{t+1}`.
 *
 * @throws DilemmaError `ERR_INVALID_ARGUMENT` for a bad array, shape, γ or
 *   backend; `ERR_TOO_LARGE` past 2³¹ − 1 elements; `ERR_BACKEND_UNAVAILABLE`
 *   for `backend: 'cuda'` without a usable GPU.
 */
function discountedReturns(rewards: Float32Array, opts: DiscountedReturnsOptions): Float32Array {
  const o = options(opts, ['batch', 'steps', 'gamma', 'out', 'gpu', 'backend']);
  const n = elements(o);
  checkTypedArray('rewards', rewards, Float32Array, n);
  const gamma = unit('options.gamma', o.gamma);
  const backend = backendFor(o, n);
  const batch = o.batch as number, steps = o.steps as number;
  return binding().discountedReturns({ rewards, out: output(o, n), batch, steps, gamma, backend });
}

/**
 * Generalized advantage estimation, GAE(λ), with a critic.
 *
 * Shapes: `rewards` and the result are `[batch, steps]`; `values` is
 * `[batch, steps + 1]`, its last column the bootstrap value after the final
 * step (0 for a finished episode).
 *
 * `δ_t = r_t + γ·V_{t+1} − V_t`, `A_t = Σ_{l ≥ 0} (γλ)^l · δ_{t+l}`, computed
 * backwards as `A_t = δ_t + γλ · A_{t+1}`. `out` may be `rewards`.
 *
 * @throws DilemmaError `ERR_INVALID_ARGUMENT` for a bad array, shape, γ, λ or
 *   backend; `ERR_BACKEND_UNAVAILABLE` for `backend: 'cuda'` without a usable GPU.
 */
function gae(rewards: Float32Array, values: Float32Array, opts: GaeOptions): Float32Array {
  const o = options(opts, ['batch', 'steps', 'gamma', 'lambda', 'out', 'gpu', 'backend']);
  const n = elements(o, 1);
  const batch = o.batch as number;
  const steps = o.steps as number;
  checkTypedArray('rewards', rewards, Float32Array, n);
  checkTypedArray('values', values, Float32Array, batch * (steps + 1));
  const gamma = unit('options.gamma', o.gamma);
  const lambda = unit('options.lambda', o.lambda);
  const backend = backendFor(o, n);
  return binding().gae({ rewards, values, out: output(o, n), batch, steps, gamma, lambda, backend });
}

/**
 * Group-relative (leave-one-out) baseline, the critic-free advantage.
 *
 * Shapes: `values` (typically discounted returns) and the result are
 * `[batch, steps]`; `options.groups` is `[batch]`.
 *
 * `A[i, t] = values[i, t] − mean_{j ≠ i, group(j) = group(i)} values[j, t]`.
 * A rollout alone in its group has no baseline: refused unless
 * `singletons: 'keep'`, which keeps its value.
 *
 * @throws DilemmaError `ERR_INVALID_ARGUMENT` for a bad array, shape, group id,
 *   a group of one (unless `singletons: 'keep'`) or backend; `ERR_BACKEND_UNAVAILABLE` for `backend: 'cuda'` without a usable GPU.
 */
function leaveOneOut(values: Float32Array, opts: LeaveOneOutOptions): Float32Array {
  const o = options(opts, ['batch', 'steps', 'groups', 'singletons', 'out', 'gpu', 'backend']);
  const n = elements(o);
  checkTypedArray('values', values, Float32Array, n);
  const groups = groupIds(o.groups, o.batch as number);
  const singletons = o.singletons === undefined ? 'refuse' : o.singletons;
  if (singletons !== 'refuse' && singletons !== 'keep') {
    invalid('options.singletons', `must be "refuse" or "keep", got ${describe(singletons)}`);
  }
  if (singletons === 'refuse') refuseSingletons(groups, o.batch as number);
  const backend = backendFor(o, n);
  const batch = o.batch as number, steps = o.steps as number;
  return binding().leaveOneOut({ values, ...(groups ? { groups } : {}), out: output(o, n), batch, steps, backend });
}

/**
 * Advantage Alignment credits (opponent shaping).
 *
 * Shapes: `own`, `others` and the result are `[batch, steps]`.
 *
 * `A*_t = A¹_t + β · w_t · A²_t` where, by `form` and `includeCurrent`:
 * - discounted: `w_t = γ · Σ_{k<t} γ^{t−k} A¹_k`
 * - discounted, includeCurrent: `w_t = Σ_{k≤t} γ^{t−k} A¹_k`
 * - mean: `w_t = (Σ_{k<t} A¹_k) / t`, 0 at t = 0
 * - mean, includeCurrent: `w_t = (Σ_{k≤t} A¹_k) / (t + 1)`
 *
 * The discounted sum is carried forward (`S_{t+1} = γ(S_t + A¹_t)`), so it is
 * O(batch·steps) and stays finite for any horizon. `out` may be `own`.
 *
 * @throws DilemmaError `ERR_INVALID_ARGUMENT` for a bad array, shape, β, γ,
 *   form or backend; `ERR_BACKEND_UNAVAILABLE` for `backend: 'cuda'` without a
 *   usable GPU.
 */
function advantageAlignment(opts: AdvantageAlignmentOptions): Float32Array {
  const o = options(opts, [
    'own',
    'others',
    'batch',
    'steps',
    'beta',
    'gamma',
    'includeCurrent',
    'form',
    'out',
    'gpu',
    'backend',
  ]);
  const n = elements(o);
  const own = checkTypedArray('options.own', o.own, Float32Array, n);
  const others = checkTypedArray('options.others', o.others, Float32Array, n);
  const beta = checkNumber('options.beta', o.beta);
  if (Math.abs(beta) > FLOAT32_MAX) invalid('options.beta', `must fit a float32, got ${beta}`);
  const gamma = unit('options.gamma', o.gamma);
  const includeCurrent = o.includeCurrent === undefined ? false : checkBoolean('options.includeCurrent', o.includeCurrent);
  const form = o.form === undefined ? 'discounted' : o.form;
  if (form !== 'discounted' && form !== 'mean') {
    invalid('options.form', `must be "discounted" or "mean", got ${describe(form)}`);
  }
  const backend = backendFor(o, n);
  const batch = o.batch as number, steps = o.steps as number;
  return binding().advantageAlignment({ own, others, out: output(o, n), batch, steps, beta, gamma, includeCurrent, form, backend });
}

/**
 * The prosocial sum-of-rewards baseline: `out[i] = own[i] + others[i]`.
 *
 * Shapes: any, as long as `own`, `others` and the result have the same length
 * (typically `[batch, steps]`). `out` may be `own`.
 *
 * @throws DilemmaError `ERR_INVALID_ARGUMENT` for a bad array or length.
 */
function sumOfRewards(own: Float32Array, others: Float32Array, opts: SumOfRewardsOptions = {}): Float32Array {
  const o = options(opts, ['out']);
  const a = checkTypedArray('own', own, Float32Array);
  if (a.length > MAX_ELEMENTS) {
    throw new DilemmaError(ErrorCode.TooLarge, `own exceeds the limit of ${MAX_ELEMENTS} elements`);
  }
  checkTypedArray('others', others, Float32Array, a.length);
  return binding().sumOfRewards({ own: a, others, out: output(o, a.length) });
}

/**
 * Whitening (standardisation) of credits.
 *
 * Shapes: `x` and the result are `[batch, steps]`.
 *
 * `out = (x − mean) / (std + eps)` with the population standard deviation,
 * over all elements, or with `perStep` per step t over the batch (column t).
 * Statistics are accumulated in double precision. `out` may be `x`.
 *
 * @throws DilemmaError `ERR_INVALID_ARGUMENT` for a bad array, shape or eps.
 */
function whiten(x: Float32Array, opts: WhitenOptions): Float32Array {
  const o = options(opts, ['batch', 'steps', 'perStep', 'eps', 'out']);
  const n = elements(o);
  checkTypedArray('x', x, Float32Array, n);
  const perStep = o.perStep === undefined ? false : checkBoolean('options.perStep', o.perStep);
  const eps = o.eps === undefined ? 1e-8 : o.eps;
  if (typeof eps !== 'number' || !Number.isFinite(eps) || eps <= 0) {
    invalid('options.eps', `must be a finite number > 0, got ${describe(eps)}`);
  }
  const batch = o.batch as number, steps = o.steps as number;
  return binding().whiten({ x, out: output(o, n), batch, steps, perStep, eps });
}

/**
 * Credit-assignment functions over row-major `[batch, steps]` Float32Arrays.
 *
 * @namespace
 */
export const credit = {
  /** Discounted return-to-go of each rollout, `[batch, steps]`. */
  discountedReturns,
  /** GAE(λ) advantages from rewards and critic values. */
  gae,
  /** The group-relative (leave-one-out) baseline: each value minus the mean of its group's others. */
  leaveOneOut,
  /** Advantage Alignment credits from the agent's own and the others' advantages. */
  advantageAlignment,
  /** The prosocial sum-of-rewards baseline: own + others. */
  sumOfRewards,
  /** Whitening (standardisation) of credits, over all elements or per step. */
  whiten,
} as const;

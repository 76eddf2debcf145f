/**
 * Checks of a trainer state before it is restored (from a checkpoint or a
 * caller): a NaN or negative Adam second moment, an infinite parameter or a
 * wrong count would otherwise train into non-finite parameters and a
 * checkpoint that can never be resumed.
 */
import { DilemmaError, type ErrorCode } from './errors.js';
import { TRAINER_PARAM_SPECS } from './generated/trainer-params.js';

/** Everything a trainer needs to resume exactly: what a checkpoint holds besides the config. */
export interface TrainerState {
  /** Iterations done. */
  iteration: number;
  /** Policy parameters, laid out as {@link modelLayout} says. */
  params: Float32Array;
  /** Adam's first moments of the policy parameters (same length as `params`). */
  adamM: Float32Array;
  /** Adam's second moments of the policy parameters, ≥ 0. */
  adamV: Float32Array;
  /** Adam steps taken on the policy. */
  adamT: number;
  /** Critic parameters; empty without a critic. */
  criticParams: Float32Array;
  /** Adam's first moments of the critic parameters. */
  criticM: Float32Array;
  /** Adam's second moments of the critic parameters, ≥ 0. */
  criticV: Float32Array;
  /** Adam steps taken on the critic. */
  criticT: number;
  /** The past policy snapshots (parameter vectors), oldest first. */
  buffer: Float32Array[];
}

/** The native trainer's limit on step counters. */
const MAX_COUNT = 2 ** 50;
// The largest bufferSize the trainer's spec allows.
const MAX_SNAPSHOTS = TRAINER_PARAM_SPECS.find((s) => s.name === 'bufferSize')!.max!;

/**
 * A copy of `value` (each field read once, arrays copied, so that nothing
 * the caller holds can change it afterwards), checked field by field. Errors
 * carry `code` and name the field as `${label}.field[index]`.
 */
export function snapshotState(value: unknown, label: string, code: ErrorCode): TrainerState {
  const fail = (field: string, message: string): never => {
    throw new DilemmaError(code, `${label}.${field} ${message}`);
  };
  if (typeof value !== 'object' || value === null) throw new DilemmaError(code, `${label} must be an object`);
  const v = value as Record<string, unknown>;
  const count = (field: string, x: unknown): number => {
    if (typeof x !== 'number' || !Number.isInteger(x) || x < 0 || x > MAX_COUNT) fail(field, `must be an integer in [0, 2^50], got ${String(x)}`);
    return x as number;
  };
  const floats = (field: string, x: unknown, nonNegative = false): Float32Array => {
    if (!(x instanceof Float32Array)) return fail(field, 'must be a Float32Array');
    const a = (x as Float32Array).slice();
    if (a.length === 0 && (x as Float32Array).length > 0) fail(field, 'is backed by a detached ArrayBuffer');
    for (let i = 0; i < a.length; i++) {
      if (!Number.isFinite(a[i])) fail(`${field}[${i}]`, `is ${a[i]}, not a finite number`);
      if (nonNegative && a[i] < 0) fail(`${field}[${i}]`, `is ${a[i]}, but Adam second moments are never negative`);
    }
    return a;
  };
  const iteration = count('iteration', v.iteration);
  const adamT = count('adamT', v.adamT);
  const criticT = v.criticT === undefined ? 0 : count('criticT', v.criticT);
  const params = floats('params', v.params);
  const adamM = floats('adamM', v.adamM);
  const adamV = floats('adamV', v.adamV, true);
  if (adamM.length !== params.length) fail('adamM', `has ${adamM.length} values but params has ${params.length}`);
  if (adamV.length !== params.length) fail('adamV', `has ${adamV.length} values but params has ${params.length}`);
  const criticParams = floats('criticParams', v.criticParams);
  const criticM = floats('criticM', v.criticM);
  const criticV = floats('criticV', v.criticV, true);
  for (const [field, a] of [['criticM', criticM], ['criticV', criticV]] as const) {
    if (a.length !== criticParams.length) {
      fail(field, `has ${a.length} values but criticParams has ${criticParams.length}`);
    }
  }
  const rawBuffer = v.buffer === undefined ? [] : v.buffer;
  if (!Array.isArray(rawBuffer)) return fail('buffer', 'must be an array of Float32Array snapshots');
  const items = Array.from(rawBuffer as unknown[]);
  if (items.length > MAX_SNAPSHOTS) fail('buffer', `holds ${items.length} snapshots, more than ${MAX_SNAPSHOTS}`);
  const buffer = items.map((b, i) => {
    const a = floats(`buffer[${i}]`, b);
    if (a.length !== params.length) fail(`buffer[${i}]`, `has ${a.length} values but params has ${params.length}`);
    return a;
  });
  return { iteration, params, adamM, adamV, adamT, criticParams, criticM, criticV, criticT, buffer };
}

/**
 * An MLP policy whose weights a training loop replaces every iteration,
 * given in PyTorch's layout or ONNX's, without re-exporting a model.
 */
import { DilemmaError, ErrorCode } from './errors.js';
import { LIMITS } from './generated/limits.js';
import { native, type NativePolicy } from './native.js';
import { mlpPolicy, type Activation } from './onnx-writer/policies.js';
import { Policy } from './policies.js';
import { checkInteger, checkKeys, checkObject, describe, invalid, isTypedArrayOf } from './validate.js';

/**
 * How a dense layer's weight matrix is stored: `'torch'` is nn.Linear's
 * `weight`, `[out, in]`; `'onnx'` is Gemm's B, `[in, out]` (what `mlpPolicy`
 * stores).
 */
export type WeightLayout = 'torch' | 'onnx';

/** A weight tensor with its shape, as `p.detach().numpy()` and `p.shape` give it. */
export interface WeightTensor {
  /** The values, row-major. */
  data: Float32Array;
  /** The tensor's shape (`[out, in]` for an `nn.Linear` weight in the `'torch'` layout). */
  shape: readonly number[];
}

/**
 * New weights: a list in `model.parameters()` order (`W0, b0, W1, b1, …`
 * for an nn.Sequential of Linear layers), each a `WeightTensor` (matrices
 * need their shape, which is how the layout is checked; a bias may be a bare
 * Float32Array), or one flat Float32Array of every parameter in that order
 * (`torch.nn.utils.parameters_to_vector`), read in the policy's layout.
 */
export type WeightsInput = ReadonlyArray<WeightTensor | Float32Array> | Float32Array;

/** Options of `trainableMlp`: the network's shape, the weight layout and optional initial weights. */
export interface TrainableMlpOptions {
  /** Observation features per row. */
  obsDim: number;
  /** Number of actions. */
  actions: number;
  /** Hidden layer widths, input side first (default [64]). */
  hidden?: readonly number[];
  /** Nonlinearity after each hidden layer (default 'tanh'; nn.Tanh or nn.ReLU). */
  activation?: Activation;
  /** The layout of the weights given here and to `setWeights` (required: there is no safe default). */
  layout: WeightLayout;
  /** Initial weights (see WeightsInput); default: seeded as mlpPolicy does. */
  weights?: WeightsInput;
  /** Name shown in tables and errors. */
  label?: string;
}

/** An MLP policy whose weights `setWeights` replaces in place. Dispose when done. */
export class TrainablePolicy extends Policy {
  /** The layout `setWeights` reads (`'torch'` `[out, in]` or `'onnx'` `[in, out]`). */
  readonly layout: WeightLayout;
  /** `[in, out]` widths of every layer, input side first. */
  readonly widths: readonly number[];
  /** The nonlinearity after each hidden layer. */
  readonly activation: Activation;
  /** Total parameters: the length of a flat weight vector. */
  readonly parameterCount: number;
  #current: NativePolicy | undefined;
  #initial: NativePolicy;

  /** @internal */
  constructor(label: string, widths: number[], activation: Activation, layout: WeightLayout, handle: NativePolicy) {
    super(label, {}, handle);
    this.#initial = handle;
    this.#current = handle;
    this.widths = widths;
    this.activation = activation;
    this.layout = layout;
    let n = 0;
    for (let i = 0; i + 1 < widths.length; i++) n += widths[i] * widths[i + 1] + widths[i + 1];
    this.parameterCount = n;
  }

  /** The native policy the next rollout runs. @internal */
  override get handle(): NativePolicy {
    if (!this.#current) throw new DilemmaError(ErrorCode.Disposed, `policy '${this.name}' was disposed`);
    return this.#current;
  }

  /**
   * Replaces the weights (in this policy's layout, checked by shape). The
   * next rollout uses them; one in flight keeps the old ones. Costs a copy
   * of the parameters into a new native policy (microseconds): no ONNX
   * session, no file and no export.
   *
   * @throws DilemmaError ERR_INVALID_ARGUMENT naming the tensor whose shape or length is wrong.
   */
  setWeights(weights: WeightsInput): void {
    if (!this.#current) throw new DilemmaError(ErrorCode.Disposed, `policy '${this.name}' was disposed`);
    const handle = buildHandle(this.name, this.widths, this.activation, toOnnxWeights(weights, this.widths, this.layout));
    if (this.#current !== this.#initial) this.#current.dispose();
    this.#current = handle;
  }

  override dispose(): void {
    if (this.#current && this.#current !== this.#initial) this.#current.dispose();
    this.#current = undefined;
    super.dispose();
  }
}

function transpose(a: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(a.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = a[r * cols + c];
  return out;
}

/** The weights as mlpPolicy takes them (`W_i` [in, out]), from either layout. */
function toOnnxWeights(weights: unknown, widths: readonly number[], layout: WeightLayout): Record<string, Float32Array> {
  const layers = widths.length - 1;
  const out: Record<string, Float32Array> = {};
  const expected = (i: number) => (layout === 'torch' ? [widths[i + 1], widths[i]] : [widths[i], widths[i + 1]]);
  if (isTypedArrayOf(weights, Float32Array)) {
    let total = 0;
    for (let i = 0; i < layers; i++) total += widths[i] * widths[i + 1] + widths[i + 1];
    if (weights.length !== total) invalid('weights', `must have ${total} elements (every parameter, W0, b0, W1, b1, …), got ${weights.length}`);
    let o = 0;
    for (let i = 0; i < layers; i++) {
      const [r, c] = expected(i);
      const w = weights.subarray(o, o + r * c);
      o += r * c;
      out[`W${i}`] = layout === 'torch' ? transpose(w, r, c) : w.slice();
      out[`b${i}`] = weights.slice(o, o + widths[i + 1]);
      o += widths[i + 1];
    }
    return out;
  }
  if (!Array.isArray(weights)) invalid('weights', `must be a Float32Array or a list of tensors, got ${describe(weights)}`);
  const list = weights as unknown[];
  if (list.length !== 2 * layers) invalid('weights', `must list ${2 * layers} tensors (W0, b0, …, W${layers - 1}, b${layers - 1}), got ${list.length}`);
  for (let i = 0; i < layers; i++) {
    const name = `weights[${2 * i}]`;
    const w = list[2 * i] as WeightTensor;
    if (isTypedArrayOf(w, Float32Array) || typeof w !== 'object' || w === null || !isTypedArrayOf(w.data, Float32Array) || !Array.isArray(w.shape)) {
      invalid(name, `must be { data: Float32Array, shape } for layer ${i}'s matrix (its shape tells the layout apart), got ${describe(w)}`);
    }
    const [r, c] = expected(i);
    const shape = w.shape.map((d, k) => checkInteger(`${name}.shape[${k}]`, d, 0, 2 ** 31 - 1));
    if (shape.length !== 2 || shape[0] !== r || shape[1] !== c) {
      const flipped = shape.length === 2 && shape[0] === c && shape[1] === r;
      const other = layout === 'torch' ? 'onnx' : 'torch';
      invalid(
        name,
        `has shape [${shape.join(', ')}] but layout '${layout}' wants [${r}, ${c}] (${layout === 'torch' ? 'nn.Linear.weight: [out, in]' : '[in, out]'})` +
          (flipped ? `; it is transposed: pass layout '${other}' or transpose it` : ''),
      );
    }
    if (w.data.length !== r * c) invalid(`${name}.data`, `must have ${r * c} elements for shape [${r}, ${c}], got ${w.data.length}`);
    out[`W${i}`] = layout === 'torch' ? transpose(w.data, r, c) : w.data.slice();
    const bRaw = list[2 * i + 1] as WeightTensor | Float32Array;
    const b = isTypedArrayOf(bRaw, Float32Array) ? bRaw : (bRaw as WeightTensor | undefined)?.data;
    if (!isTypedArrayOf(b, Float32Array) || b.length !== widths[i + 1]) {
      invalid(`weights[${2 * i + 1}]`, `must be layer ${i}'s bias, a Float32Array of ${widths[i + 1]} elements, got ${describe(bRaw)}`);
    }
    out[`b${i}`] = b.slice();
  }
  return out;
}

/** A native MLP policy (the engine trainer's own model) over the flat [W0 [in, out], b0, W1, …] vector. */
function buildHandle(label: string, widths: readonly number[], activation: Activation, weights?: Record<string, Float32Array>): NativePolicy {
  const w =
    weights ??
    mlpPolicy({ obsDim: widths[0], actions: widths[widths.length - 1], hidden: widths.slice(1, -1), activation }).weights;
  let total = 0;
  for (let i = 0; i + 1 < widths.length; i++) total += widths[i] * widths[i + 1] + widths[i + 1];
  const flat = new Float32Array(total);
  let o = 0;
  for (let i = 0; i + 1 < widths.length; i++) {
    flat.set(w[`W${i}`], o);
    o += w[`W${i}`].length;
    flat.set(w[`b${i}`], o);
    o += w[`b${i}`].length;
  }
  return native().modelPolicy('mlp', widths[0], widths[widths.length - 1], { hidden: widths.slice(1, -1), activation }, flat, label);
}

/**
 * An MLP policy taking weights in an explicit layout, to be updated with
 * `setWeights` each training iteration. Runs as the engine's native MLP
 * (the same math as `mlpPolicy`'s ONNX model and as nn.Sequential of
 * nn.Linear and nn.Tanh / nn.ReLU), no ONNX Runtime needed; actions are
 * sampled from softmax(logits / temperature).
 *
 * @throws DilemmaError ERR_INVALID_ARGUMENT for a bad option or weight shape.
 */
export function trainableMlp(options: TrainableMlpOptions): TrainablePolicy {
  const o = checkObject('options', options);
  checkKeys('options', o, ['obsDim', 'actions', 'hidden', 'activation', 'layout', 'weights', 'label']);
  const obsDim = checkInteger('options.obsDim', o.obsDim, 1, LIMITS.maxModelDim);
  const actions = checkInteger('options.actions', o.actions, 1, LIMITS.maxModelDim);
  const hidden = o.hidden === undefined ? [64] : o.hidden;
  if (!Array.isArray(hidden)) invalid('options.hidden', `must be an array of widths, got ${describe(hidden)}`);
  const widths = [obsDim, ...(hidden as unknown[]).map((h, k) => checkInteger(`options.hidden[${k}]`, h, 1, LIMITS.maxModelDim)), actions];
  const layout = o.layout;
  if (layout !== 'torch' && layout !== 'onnx') {
    invalid('options.layout', `must be 'torch' (nn.Linear.weight, [out, in]) or 'onnx' ([in, out]), got ${describe(layout)}`);
  }
  const activation = (o.activation ?? 'tanh') as Activation;
  if (activation !== 'tanh' && activation !== 'relu') invalid('options.activation', `must be 'tanh' or 'relu', got ${describe(activation)}`);
  const label = o.label === undefined ? 'trainable-mlp' : String(o.label);
  const weights = o.weights === undefined ? undefined : toOnnxWeights(o.weights, widths, layout);
  return new TrainablePolicy(label, widths, activation, layout, buildHandle(label, widths, activation, weights));
}

/** A settable weight of an ONNX policy: a float32 initializer of the model. */
export interface OnnxWeightInfo {
  /** The initializer's name (torch.onnx.export names them after the parameters, e.g. `0.weight`). */
  name: string;
  /** Its shape (an nn.Linear exported as Gemm keeps PyTorch's `[out, in]`). */
  shape: readonly number[];
}

/**
 * New weights for an ONNX policy: a record keyed by initializer name (any
 * subset; each a Float32Array or `{ data, shape }`), a list of every weight
 * in `weightInfo` order, or one flat Float32Array of all of them in that order.
 */
export type OnnxWeightsInput =
  | Readonly<Record<string, WeightTensor | Float32Array>>
  | ReadonlyArray<WeightTensor | Float32Array>
  | Float32Array;

type SettableHandle = NativePolicy & {
  weights(): Array<{ name: string; type: string; shape: number[] }>;
  setWeights(names: string[], arrays: Float32Array[]): void;
};

/**
 * A policy running an ONNX model (made by `onnx(...)`). Loaded with
 * `{ trainable: true }`, its weights can be replaced in place with
 * `setWeights`: the session computes from buffers the engine owns, so no
 * new session, file or export is needed.
 */
export class OnnxModelPolicy extends Policy {
  /** The settable weights, in the model's order (empty unless loaded with `trainable: true`). */
  readonly weightInfo: readonly OnnxWeightInfo[];
  /** Total settable values: the length of a flat weight vector. */
  readonly parameterCount: number;

  /** @internal */
  constructor(label: string, handle: NativePolicy) {
    super(label, {}, handle);
    this.weightInfo = Object.freeze(
      (handle as SettableHandle).weights().map((w) => Object.freeze({ name: w.name, shape: Object.freeze([...w.shape]) })),
    );
    this.parameterCount = this.weightInfo.reduce((n, w) => n + w.shape.reduce((a, d) => a * d, 1), 0);
  }

  /**
   * Writes new weights into the running model: the next rollout uses them.
   * Every tensor is checked (name, dtype, shape) before any is written, so a
   * refused call changes nothing.
   *
   * @throws DilemmaError ERR_UNSUPPORTED when the policy was not loaded with `trainable: true`;
   *   ERR_INVALID_ARGUMENT naming the tensor whose name, dtype or shape is wrong;
   *   ERR_BUSY while a rollout, env or tournament holding the policy is in flight.
   */
  setWeights(weights: OnnxWeightsInput): void {
    const handle = this.handle as SettableHandle;
    if (this.weightInfo.length === 0) {
      throw new DilemmaError(ErrorCode.Unsupported, `policy '${this.name}' has no settable weights; load it with onnx(model, { trainable: true })`);
    }
    const names: string[] = [];
    const arrays: Float32Array[] = [];
    const info = this.weightInfo;
    const size = (w: OnnxWeightInfo) => w.shape.reduce((a, d) => a * d, 1);
    if (isTypedArrayOf(weights, Float32Array)) {
      if (weights.length !== this.parameterCount) {
        invalid('weights', `must have ${this.parameterCount} values (every weight in weightInfo order: ${info.map((w) => w.name).join(', ')}), got ${weights.length}`);
      }
      let o = 0;
      for (const w of info) {
        names.push(w.name);
        arrays.push(weights.subarray(o, o + size(w)));
        o += size(w);
      }
    } else if (Array.isArray(weights)) {
      if (weights.length !== info.length) invalid('weights', `must list ${info.length} tensors (${info.map((w) => w.name).join(', ')}), got ${weights.length}`);
      info.forEach((w, k) => {
        names.push(w.name);
        arrays.push(tensorData(`weights[${k}] ('${w.name}')`, weights[k], w));
      });
    } else if (typeof weights === 'object' && weights !== null && !ArrayBuffer.isView(weights)) {
      for (const [name, value] of Object.entries(weights)) {
        const w = info.find((x) => x.name === name);
        if (!w) invalid(`weights['${name}']`, `is not a weight of the model (weights: ${info.map((x) => x.name).join(', ')})`);
        names.push(name);
        arrays.push(tensorData(`weights['${name}']`, value, w));
      }
    } else {
      invalid('weights', `must be a record of tensors by name, a list of tensors or one flat Float32Array, got ${describe(weights)}`);
    }
    handle.setWeights(names, arrays);
  }
}

function tensorData(param: string, value: unknown, w: OnnxWeightInfo): Float32Array {
  const size = w.shape.reduce((a, d) => a * d, 1);
  let data: unknown = value, shape: readonly number[] | undefined;
  if (typeof value === 'object' && value !== null && !ArrayBuffer.isView(value) && 'data' in value) {
    data = (value as WeightTensor).data;
    shape = (value as WeightTensor).shape;
  }
  if (!isTypedArrayOf(data, Float32Array)) {
    const kind = ArrayBuffer.isView(data) ? data.constructor.name : describe(data);
    invalid(param, `is ${kind}; the model's weight is float32: pass a Float32Array (tensor.float() or .astype(np.float32))`);
  }
  if (shape !== undefined) {
    if (!Array.isArray(shape) || shape.length !== w.shape.length || shape.some((d, k) => d !== w.shape[k])) {
      const flipped = Array.isArray(shape) && shape.length === 2 && w.shape.length === 2 && shape[0] === w.shape[1] && shape[1] === w.shape[0];
      invalid(param, `has shape [${Array.isArray(shape) ? shape.join(', ') : describe(shape)}] but the model's is [${w.shape.join(', ')}]${flipped ? '; it is transposed' : ''}`);
    }
  }
  if (data.length !== size) invalid(param, `must have ${size} values for shape [${w.shape.join(', ')}], got ${data.length}`);
  return data;
}

/**
 * Flat parameter layouts of the native trainable models (native/core/learn:
 * tabular.cpp, mlp.cpp, gru.cpp), and conversions between a flat float32
 * parameter vector and the weights the ONNX writer takes (`mlpPolicy`,
 * `gruPolicy` in ./onnx-writer/policies.ts), so that a trained model exports to
 * ONNX and runs there with the same outputs.
 *
 * Every tensor is row-major and the tensors are concatenated in the order
 * listed, without gaps:
 *
 * - tabular: `table` [states, actions], states = size^blocks with
 *   size = obsDim / blocks. The observation is `blocks` one-hot blocks of
 *   `size`; block j's index is its argmax (the first largest element) and the
 *   state is Σ_j index_j · size^j, block 0 least significant.
 * - mlp: `W0` [obsDim, h0], `b0` [h0], `W1` [h0, h1], `b1` [h1], …,
 *   `WL` [h_{L-1}, actions], `bL` [actions]; y = x·W + b per layer, with
 *   the activation after every hidden layer.
 * - gru: `Wz`, `Wr`, `Wn` [obsDim, H], `Uz`, `Ur`, `Un` [H, H], `bz`, `br`,
 *   `bn`, `bhn` [H], `Wo` [H, actions], `bo` [actions] (GRU_WEIGHT_NAMES).
 */
import { DilemmaError, ErrorCode } from './errors.js';
import { LIMITS } from './generated/limits.js';
import { MODEL_PARAM_SPECS } from './generated/trainer-params.js';
import { ACTIVATIONS, GRU_WEIGHT_NAMES, gruShapes, type Activation, type GruWeights, type MlpWeights } from './onnx-writer/policies.js';
import { checkInteger, checkKeys, checkObject, checkTypedArray, describe, invalid } from './validate.js';

/** A native trainable model: a table of logits, a multilayer perceptron or a GRU. */
export type ModelKind = 'tabular' | 'mlp' | 'gru';
/** Every {@link ModelKind}. */
export const MODEL_KINDS: readonly ModelKind[] = ['tabular', 'mlp', 'gru'];

/** The native model parameters (`make_model`'s), plus the sizes they apply to. */
export interface ModelLayoutOptions {
  /** Observation features per row, 1..65536. */
  obsDim: number;
  /** Number of discrete actions, 1..65536. */
  actions: number;
  /** tabular: one-hot blocks in the observation (default 1); must divide obsDim. */
  blocks?: number;
  /** mlp: hidden widths, input side first (default [64], [] is linear); gru: the state width (default 32). */
  hidden?: number | readonly number[];
  /** mlp: hidden-layer nonlinearity (default 'tanh'). */
  activation?: Activation;
}

/** One named tensor inside the flat vector: elements [offset, offset + size). */
export interface TensorLayout {
  /** The tensor's name, e.g. 'table', 'W0' or 'Wz'. */
  name: string;
  /** Index of its first element in the flat vector. */
  offset: number;
  /** Its row-major shape. */
  shape: readonly number[];
  /** Its element count (the product of `shape`). */
  size: number;
}

/**
 * What every model layout has.
 *
 * @inline
 */
interface LayoutBase {
  /** Observation features per row. */
  obsDim: number;
  /** Number of discrete actions. */
  actions: number;
  /** Length of the flat parameter vector. */
  numParams: number;
  /** The named tensors, in order, without gaps. */
  tensors: readonly TensorLayout[];
}

/** The layout of a tabular model: one `table` tensor `[states, actions]`. */
export type TabularLayout = LayoutBase & {
  /** The model kind. */
  kind: 'tabular';
  /** One-hot blocks in the observation. */
  blocks: number;
  /** Rows of the table: (obsDim / blocks)^blocks. */
  states: number;
};
/** The layout of an MLP: `W0, b0, …, WL, bL`. */
export type MlpLayout = LayoutBase & {
  /** The model kind. */
  kind: 'mlp';
  /** Hidden layer widths, input side first. */
  hidden: readonly number[];
  /** Nonlinearity after each hidden layer. */
  activation: Activation;
};
/** The layout of a GRU: the tensors of {@link GRU_WEIGHT_NAMES}. */
export type GruLayout = LayoutBase & {
  /** The model kind. */
  kind: 'gru';
  /** Width of the recurrent state. */
  hidden: number;
};
/** A model's flat parameter layout, by kind (see {@link modelLayout}). */
export type ModelLayout = TabularLayout | MlpLayout | GruLayout;

// The native limits (LIMITS; tabular.cpp for the states), which are also the
// ONNX writer's.
const MAX_DIM = LIMITS.maxModelDim;
const MAX_PARAMS = LIMITS.maxModelParams;
const MAX_STATES = 2 ** 20;

// Defaults and the layer count come from the model kinds' native specs.
function modelSpec(kind: ModelKind, name: string) {
  const spec = MODEL_PARAM_SPECS.find((m) => m.kind === kind)?.params.find((p) => p.name === name);
  if (!spec) throw new DilemmaError(ErrorCode.Internal, `no spec for the ${kind} model's ${name}`);
  return spec;
}

/**
 * The named tensors of a model's flat parameter vector.
 *
 * @throws DilemmaError ERR_INVALID_ARGUMENT on a bad kind or option (naming it), ERR_TOO_LARGE past 2^20
 *   tabular states or 2^27 parameters.
 */
export function modelLayout(kind: 'tabular', options: ModelLayoutOptions): TabularLayout;
export function modelLayout(kind: 'mlp', options: ModelLayoutOptions): MlpLayout;
export function modelLayout(kind: 'gru', options: ModelLayoutOptions): GruLayout;
export function modelLayout(kind: ModelKind, options: ModelLayoutOptions): ModelLayout;
export function modelLayout(kind: ModelKind, options: ModelLayoutOptions): ModelLayout {
  checkKind(kind);
  const o = checkObject('options', options);
  const common = ['obsDim', 'actions'];
  const obsDim = checkInteger('options.obsDim', o.obsDim, 1, MAX_DIM);
  const actions = checkInteger('options.actions', o.actions, 1, MAX_DIM);
  if (kind === 'tabular') {
    checkKeys('options', o, [...common, 'blocks']);
    const blocks = o.blocks === undefined ? 1 : checkInteger('options.blocks', o.blocks, 1, obsDim);
    if (obsDim % blocks !== 0) invalid('options.blocks', `must divide obsDim (${obsDim}), got ${blocks}`);
    const size = obsDim / blocks;
    let states = 1;
    for (let j = 0; j < blocks; j++) {
      states *= size;
      if (states > MAX_STATES) {
        throw new DilemmaError(ErrorCode.TooLarge, `options.blocks: ${blocks} blocks of ${size} give more than ${MAX_STATES} states`);
      }
    }
    return { kind, obsDim, actions, blocks, states, ...pack('tabular', [['table', [states, actions]]]) };
  }
  if (kind === 'mlp') {
    checkKeys('options', o, [...common, 'hidden', 'activation']);
    const hidden = checkLayers(o.hidden);
    const activation = (o.activation ?? modelSpec('mlp', 'activation').default) as Activation;
    if (!ACTIVATIONS.includes(activation)) {
      invalid('options.activation', `must be one of ${ACTIVATIONS.join(', ')}, got ${describe(activation)}`);
    }
    const widths = [obsDim, ...hidden, actions];
    const shapes: [string, number[]][] = [];
    for (let i = 0; i + 1 < widths.length; i++) shapes.push([`W${i}`, [widths[i], widths[i + 1]]], [`b${i}`, [widths[i + 1]]]);
    return { kind, obsDim, actions, hidden, activation, ...pack('mlp', shapes) };
  }
  checkKeys('options', o, [...common, 'hidden']);
  const H = o.hidden === undefined ? (modelSpec('gru', 'hidden').default as number) : checkInteger('options.hidden', o.hidden, 1, MAX_DIM);
  const shapes = gruShapes(obsDim, H, actions);
  return { kind, obsDim, actions, hidden: H, ...pack('gru', GRU_WEIGHT_NAMES.map((n) => [n, shapes[n]])) };
}

/**
 * The weights `mlpPolicy` (kinds 'mlp' and 'tabular') or `gruPolicy` (kind
 * 'gru') take, copied out of a flat parameter vector. Pass them with the
 * layout's sizes: `mlpPolicy({ obsDim, actions, hidden, activation, weights })`,
 * `gruPolicy({ obsDim, actions, hidden, weights })`.
 *
 * A tabular model exports as a linear MLP (hidden []) with W0 = the table
 * and b0 = 0, so logits = obs · table: the same logits as the native model
 * for one-hot observations, but not for other observations, which the
 * native model reads through their argmax. Only one-block tables export that
 * way: with blocks > 1 the state is a product of the blocks, which a linear
 * layer cannot index (ERR_UNSUPPORTED).
 *
 * @throws DilemmaError ERR_INVALID_ARGUMENT when kind, flat and layout do not fit together, ERR_UNSUPPORTED for
 *   a tabular model with blocks > 1.
 */
export function toWriterWeights(kind: 'gru', flat: Float32Array, layout: ModelLayout): GruWeights;
export function toWriterWeights(kind: 'mlp' | 'tabular', flat: Float32Array, layout: ModelLayout): MlpWeights;
export function toWriterWeights(kind: ModelKind, flat: Float32Array, layout: ModelLayout): MlpWeights | GruWeights;
export function toWriterWeights(kind: ModelKind, flat: Float32Array, layout: ModelLayout): MlpWeights | GruWeights {
  checkLayoutKind(kind, layout);
  checkTypedArray('flat', flat, Float32Array, layout.numParams);
  if (layout.kind === 'tabular') {
    checkExportable(layout);
    return { W0: flat.slice(0, layout.numParams), b0: new Float32Array(layout.actions) };
  }
  const out: Record<string, Float32Array> = {};
  for (const t of layout.tensors) out[t.name] = flat.slice(t.offset, t.offset + t.size);
  return out as MlpWeights | GruWeights;
}

/**
 * The flat parameter vector of writer weights (the inverse of
 * toWriterWeights): every tensor of the layout must be given, with its size.
 * For kind 'tabular' (one block only) the weights are a linear MLP's W0 and
 * b0, and b0 is added into every row of the table.
 *
 * @throws DilemmaError ERR_INVALID_ARGUMENT on a missing, unknown or wrongly sized tensor, ERR_UNSUPPORTED for a
 *   tabular model with blocks > 1.
 */
export function fromWriterWeights(
  kind: ModelKind,
  weights: Readonly<MlpWeights> | Readonly<GruWeights>,
  layout: ModelLayout,
): Float32Array {
  checkLayoutKind(kind, layout);
  const w = checkObject('weights', weights) as Record<string, unknown>;
  const flat = new Float32Array(layout.numParams);
  if (layout.kind === 'tabular') {
    checkExportable(layout);
    checkKeys('weights', w, ['W0', 'b0']);
    const W0 = checkTypedArray('weights.W0', w.W0, Float32Array, layout.numParams);
    const b0 = checkTypedArray('weights.b0', w.b0, Float32Array, layout.actions);
    flat.set(W0);
    for (let s = 0; s < layout.states; s++) {
      for (let a = 0; a < layout.actions; a++) if (b0[a] !== 0) flat[s * layout.actions + a] += b0[a];
    }
    return flat;
  }
  checkKeys('weights', w, layout.tensors.map((t) => t.name));
  for (const t of layout.tensors) {
    if (w[t.name] === undefined) invalid(`weights.${t.name}`, 'is missing');
    flat.set(checkTypedArray(`weights.${t.name}`, w[t.name], Float32Array, t.size), t.offset);
  }
  return flat;
}

function pack(kind: ModelKind, shapes: readonly (readonly [string, readonly number[]])[]): Pick<LayoutBase, 'numParams' | 'tensors'> {
  const tensors: TensorLayout[] = [];
  let offset = 0;
  for (const [name, shape] of shapes) {
    const size = shape.reduce((a, b) => a * b, 1);
    tensors.push({ name, offset, shape: [...shape], size });
    offset += size;
  }
  if (offset > MAX_PARAMS) {
    throw new DilemmaError(ErrorCode.TooLarge, `options: the ${kind} model would have ${offset} parameters, more than ${MAX_PARAMS}`);
  }
  return { numParams: offset, tensors };
}

function checkLayers(value: unknown): number[] {
  const spec = modelSpec('mlp', 'hidden');
  if (value === undefined) return [...(spec.default as readonly number[])];
  const maxLayers = spec.length as number;
  if (!Array.isArray(value) || value.length > maxLayers) {
    invalid('options.hidden', `must be an array of at most ${maxLayers} layer widths, got ${describe(value)}`);
  }
  return value.map((v, i) => checkInteger(`options.hidden[${i}]`, v, 1, MAX_DIM));
}

function checkKind(kind: unknown): asserts kind is ModelKind {
  if (!MODEL_KINDS.includes(kind as ModelKind)) invalid('kind', `must be one of ${MODEL_KINDS.join(', ')}, got ${describe(kind)}`);
}

function checkLayoutKind(kind: unknown, layout: ModelLayout): void {
  checkKind(kind);
  checkObject('layout', layout);
  if (layout.kind !== kind) invalid('layout', `is a ${describe(layout.kind)} layout, not ${describe(kind)}`);
}

function checkExportable(layout: TabularLayout): void {
  if (layout.blocks !== 1) {
    throw new DilemmaError(
      ErrorCode.Unsupported,
      `a tabular model with ${layout.blocks} blocks has no linear ONNX form: only blocks = 1 exports as an MLP`,
    );
  }
}

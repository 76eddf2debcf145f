/**
 * Policy models as ONNX bytes, written without Python: a multilayer
 * perceptron and a single-step GRU cell, with given or seeded weights, plus
 * float64 TypeScript forward passes of the same math to check them against.
 *
 * Every tensor is float32 (the references use float64), row-major, batch
 * first. A dense layer is y = x·W + b with W stored [in, out] (ONNX Gemm
 * with transB = 0): element W[k * out + j] connects input k to output j.
 * Weights taken from PyTorch's nn.Linear (weight [out, in]) must be
 * transposed.
 */
import { DilemmaError, ErrorCode } from '../errors.js';
import { LIMITS } from '../generated/limits.js';
import { checkInteger, checkKeys, checkObject, checkSeed, checkTypedArray, describe, invalid } from '../validate.js';
import { GraphBuilder, attr, encodeModel, type Dim } from './model.js';

/** Name of the symbolic batch dimension of every policy input and output. */
export const BATCH_DIM = 'batch';

/** Hidden-layer nonlinearity of an MLP policy. */
export type Activation = 'tanh' | 'relu';
/** Every {@link Activation}. */
export const ACTIVATIONS: readonly Activation[] = ['tanh', 'relu'];

/** A model input or output as ONNX Runtime sees it. */
export interface TensorSpec {
  /** The tensor's name in the graph, e.g. "obs" or "logits". */
  name: string;
  /** Row-major shape; BATCH_DIM ("batch") is symbolic, any size ≥ 1. */
  shape: readonly Dim[];
  /** Element type (always float32). */
  type: 'float32';
}

/** An encoded policy model and the exact weights inside it. */
export interface PolicyModel<W> {
  /** ModelProto bytes, loadable by `InferenceSession.create(bytes)` or saved as an .onnx file. */
  bytes: Uint8Array;
  /** The graph's inputs: `obs` (and a GRU's state `h`). */
  inputs: readonly TensorSpec[];
  /** The graph's outputs: `logits` (and a GRU's next state). */
  outputs: readonly TensorSpec[];
  /**
   * The weights in the model (copies of any given). Each is a graph
   * initializer of the same name, except a 'gru-op' GRU's cell weights,
   * which are packed into the GRU operator's W, R and B (see gruPolicy).
   */
  weights: W;
}

/**
 * MLP weights for L = hidden.length hidden layers: `W0, b0, …, WL, bL`.
 * Wi is [in_i, out_i] and bi is [out_i], with in_0 = obsDim,
 * out_i = hidden[i] for i < L and out_L = actions.
 */
export type MlpWeights = Record<string, Float32Array>;

/** Options of {@link mlpPolicy}. */
export interface MlpPolicyOptions {
  /** Observation features per row (≥ 1). */
  obsDim: number;
  /** Number of discrete actions, the width of `logits` (≥ 1). */
  actions: number;
  /** Hidden layer widths, input side first (default [64]); [] is a linear policy. */
  hidden?: readonly number[];
  /** Nonlinearity after each hidden layer, not after the output (default 'tanh'). */
  activation?: Activation;
  /** Explicit weights by name (see MlpWeights); any left out are drawn from `seed`. */
  weights?: Readonly<Record<string, Float32Array>>;
  /** Seed of the initial weights (default 0). */
  seed?: number | bigint;
}

/** What {@link mlpPolicy} returns: the encoded model, its weights and its activation. */
export interface MlpPolicy extends PolicyModel<MlpWeights> {
  /** The hidden-layer nonlinearity, for mlpForward. */
  activation: Activation;
}

/**
 * GRU cell weights, PyTorch's nn.GRU convention with the input and hidden
 * biases of z and r folded together:
 *
 *     z  = σ(x·Wz + h·Uz + bz)
 *     r  = σ(x·Wr + h·Ur + br)
 *     n  = tanh(x·Wn + bn + r ⊙ (h·Un + bhn))
 *     h' = (1 − z) ⊙ n + z ⊙ h
 *     logits = h'·Wo + bo
 *
 * From torch.nn.GRU (gate rows ordered r, z, n; H = hidden):
 * Wr = weight_ih_l0[0:H]ᵀ, Wz = weight_ih_l0[H:2H]ᵀ, Wn = weight_ih_l0[2H:3H]ᵀ,
 * likewise U* from weight_hh_l0; br = b_ir + b_hr, bz = b_iz + b_hz,
 * bn = b_in, bhn = b_hn (the hidden bias of n stays inside r ⊙ (…)).
 */
export interface GruWeights {
  /** [obsDim, hidden] */
  Wz: Float32Array;
  /** [obsDim, hidden] */
  Wr: Float32Array;
  /** [obsDim, hidden] */
  Wn: Float32Array;
  /** [hidden, hidden] */
  Uz: Float32Array;
  /** [hidden, hidden] */
  Ur: Float32Array;
  /** [hidden, hidden] */
  Un: Float32Array;
  /** [hidden] */
  bz: Float32Array;
  /** [hidden] */
  br: Float32Array;
  /** [hidden] */
  bn: Float32Array;
  /** [hidden] */
  bhn: Float32Array;
  /** [hidden, actions] */
  Wo: Float32Array;
  /** [actions] */
  bo: Float32Array;
}

/** GRU weight names in the order seeded values are drawn. */
export const GRU_WEIGHT_NAMES = ['Wz', 'Wr', 'Wn', 'Uz', 'Ur', 'Un', 'bz', 'br', 'bn', 'bhn', 'Wo', 'bo'] as const;

/**
 * How a GRU policy's cell is written in the graph:
 * - 'gru-op': ONNX's own GRU operator (one node, gates ordered z, r, h,
 *   linear_before_reset = 1, which is PyTorch's convention), between an
 *   Unsqueeze of obs and h to sequence length 1 and a Squeeze of its last
 *   state. ONNX Runtime runs it as one fused kernel: far less per-call work
 *   at small batch.
 * - 'decomposed': the cell spelled out in 17 nodes of Gemm, MatMul, Add,
 *   Sub, Mul, Sigmoid and Tanh (18 with the output layer), for runtimes
 *   without GRU or for reading.
 */
export type GruForm = 'gru-op' | 'decomposed';
/** Every {@link GruForm}. */
export const GRU_FORMS: readonly GruForm[] = ['gru-op', 'decomposed'];

/** Options of {@link gruPolicy}. */
export interface GruPolicyOptions {
  /** Observation features per row (≥ 1). */
  obsDim: number;
  /** Number of discrete actions, the width of `logits` (≥ 1). */
  actions: number;
  /** Width of the recurrent state (default 32). */
  hidden?: number;
  /** Explicit weights by name; any left out are drawn from `seed`. */
  weights?: Readonly<Partial<GruWeights>>;
  /** Seed of the initial weights (default 0). */
  seed?: number | bigint;
  /** How the cell is written (default 'gru-op'); both forms compute the same function. */
  form?: GruForm;
}

// The engine's model limits: large enough for any policy it runs, small
// enough that the model stays far below protobuf's 2 GiB message limit.
const MAX_DIM = LIMITS.maxModelDim;
const MAX_PARAMS = LIMITS.maxModelParams;

/**
 * An MLP policy: input `obs` [batch, obsDim], output `logits` [batch, actions].
 * Graph: Gemm(W0, b0) → activation → … → Gemm(WL, bL).
 *
 * Seeded weights are uniform in ±1/√in_i for both Wi and bi (PyTorch's
 * nn.Linear default), drawn layer by layer, W before b, whether or not some
 * are given, so a given tensor never shifts the others.
 *
 * @throws DilemmaError ERR_INVALID_ARGUMENT on a bad option or weight shape, ERR_TOO_LARGE past 2^27 parameters.
 */
export function mlpPolicy(options: MlpPolicyOptions): MlpPolicy {
  const o = checkObject('options', options);
  checkKeys('options', o, ['obsDim', 'actions', 'hidden', 'activation', 'weights', 'seed']);
  const obsDim = checkInteger('options.obsDim', o.obsDim, 1, MAX_DIM);
  const actions = checkInteger('options.actions', o.actions, 1, MAX_DIM);
  const hidden = checkHidden(o.hidden);
  const activation = (o.activation ?? 'tanh') as Activation;
  if (!ACTIVATIONS.includes(activation)) {
    invalid('options.activation', `must be one of ${ACTIVATIONS.join(', ')}, got ${describe(activation)}`);
  }
  const widths = [obsDim, ...hidden, actions];
  const shapes: Record<string, number[]> = {};
  for (let i = 0; i + 1 < widths.length; i++) {
    shapes[`W${i}`] = [widths[i], widths[i + 1]];
    shapes[`b${i}`] = [widths[i + 1]];
  }
  const fanIn = (name: string) => widths[Number(name.slice(1))];
  const weights = makeWeights(shapes, fanIn, o.weights, o.seed);

  const g = new GraphBuilder('mlp_policy');
  let x = g.input('obs', [BATCH_DIM, obsDim]);
  const last = widths.length - 2;
  for (let i = 0; i <= last; i++) {
    const W = g.constant(`W${i}`, shapes[`W${i}`], weights[`W${i}`]);
    const b = g.constant(`b${i}`, shapes[`b${i}`], weights[`b${i}`]);
    const y = g.op('Gemm', [x, W, b], undefined, i === last ? 'logits' : undefined);
    x = i === last ? y : g.op(activation === 'tanh' ? 'Tanh' : 'Relu', [y]);
  }
  const inputs: TensorSpec[] = [{ name: 'obs', shape: [BATCH_DIM, obsDim], type: 'float32' }];
  const outputs: TensorSpec[] = [{ name: 'logits', shape: [BATCH_DIM, actions], type: 'float32' }];
  declareOutputs(g, outputs);
  const bytes = encodeModel({
    graph: g.graph(`MLP policy: obs [batch, ${obsDim}] -> logits [batch, ${actions}], hidden [${hidden.join(', ')}], ${activation}`),
    producerName: '@dilemma/engine',
    metadata: {
      'dilemma.policy': 'mlp',
      'dilemma.obs_dim': String(obsDim),
      'dilemma.actions': String(actions),
      'dilemma.hidden': hidden.join(','),
      'dilemma.activation': activation,
    },
  });
  return { bytes, inputs, outputs, weights, activation };
}

/**
 * A GRU policy, one recurrent step per call: inputs `obs` [batch, obsDim]
 * and `h` [batch, hidden] (zeros at the start of an episode), outputs
 * `logits` [batch, actions] and `h_out` [batch, hidden], the state to feed
 * back as `h` on the next step (see GruWeights for the math). The same
 * interface whatever the `form` (see GruForm): 'gru-op' stores the cell as
 * ONNX GRU's W [1, 3·hidden, obsDim], R [1, 3·hidden, hidden] and
 * B [1, 6·hidden] initializers, 'decomposed' as the GruWeights tensors
 * themselves; Wo and bo are initializers of their own name in both.
 *
 * Seeded weights are uniform in ±1/√hidden, as torch.nn.GRU, for every
 * tensor including Wo and bo, drawn in GRU_WEIGHT_NAMES order whether or
 * not some are given; the form does not change them.
 *
 * @throws DilemmaError ERR_INVALID_ARGUMENT on a bad option or weight shape, ERR_TOO_LARGE past 2^27 parameters.
 */
export function gruPolicy(options: GruPolicyOptions): PolicyModel<GruWeights> {
  const o = checkObject('options', options);
  checkKeys('options', o, ['obsDim', 'actions', 'hidden', 'weights', 'seed', 'form']);
  const obsDim = checkInteger('options.obsDim', o.obsDim, 1, MAX_DIM);
  const actions = checkInteger('options.actions', o.actions, 1, MAX_DIM);
  const H = o.hidden === undefined ? 32 : checkInteger('options.hidden', o.hidden, 1, MAX_DIM);
  const form = (o.form ?? 'gru-op') as GruForm;
  if (!GRU_FORMS.includes(form)) invalid('options.form', `must be one of ${GRU_FORMS.join(', ')}, got ${describe(form)}`);
  const shapes = gruShapes(obsDim, H, actions);
  const weights = makeWeights(shapes, () => H, o.weights, o.seed) as unknown as GruWeights;

  const g = new GraphBuilder('gru_policy');
  const x = g.input('obs', [BATCH_DIM, obsDim]);
  const h = g.input('h', [BATCH_DIM, H]);
  const hOut = form === 'gru-op' ? gruOpCell(g, x, h, weights, obsDim, H) : decomposedCell(g, x, h, weights, shapes);
  const Wo = g.constant('Wo', shapes.Wo, weights.Wo);
  const bo = g.constant('bo', shapes.bo, weights.bo);
  g.op('Gemm', [hOut, Wo, bo], undefined, 'logits');

  const inputs: TensorSpec[] = [
    { name: 'obs', shape: [BATCH_DIM, obsDim], type: 'float32' },
    { name: 'h', shape: [BATCH_DIM, H], type: 'float32' },
  ];
  // Engines pair the state input and output by order: logits first, then h_out.
  const outputs: TensorSpec[] = [
    { name: 'logits', shape: [BATCH_DIM, actions], type: 'float32' },
    { name: 'h_out', shape: [BATCH_DIM, H], type: 'float32' },
  ];
  declareOutputs(g, outputs);
  const bytes = encodeModel({
    graph: g.graph(`GRU policy step (${form}): obs [batch, ${obsDim}], h [batch, ${H}] -> logits [batch, ${actions}], h_out [batch, ${H}]`),
    producerName: '@dilemma/engine',
    metadata: {
      'dilemma.policy': 'gru',
      'dilemma.obs_dim': String(obsDim),
      'dilemma.actions': String(actions),
      'dilemma.hidden': String(H),
      'dilemma.gru_form': form,
    },
  });
  return { bytes, inputs, outputs, weights };
}

/**
 * ONNX GRU with sequence length 1 (layout 0: [seq, batch, features], the
 * layout every runtime supports). ONNX GRU computes x·Wᵀ per gate with W
 * rows ordered z, r, h, so each [obsDim, H] GruWeights tensor goes in
 * transposed; its bias B is [Wb_z, Wb_r, Wb_h, Rb_z, Rb_r, Rb_h], and with
 * linear_before_reset = 1 the hidden bias Rb_h stays inside r ⊙ (…), which
 * is where bhn belongs.
 */
function gruOpCell(g: GraphBuilder, x: string, h: string, w: GruWeights, obsDim: number, H: number): string {
  const W = new Float32Array(3 * H * obsDim);
  const R = new Float32Array(3 * H * H);
  const B = new Float32Array(6 * H);
  const gates = [
    [w.Wz, w.Uz, w.bz],
    [w.Wr, w.Ur, w.br],
    [w.Wn, w.Un, w.bn],
  ] as const;
  gates.forEach(([Wg, Ug, bg], gate) => {
    for (let j = 0; j < H; j++) {
      const row = gate * H + j;
      for (let k = 0; k < obsDim; k++) W[row * obsDim + k] = Wg[k * H + j];
      for (let k = 0; k < H; k++) R[row * H + k] = Ug[k * H + j];
    }
    B.set(bg, gate * H);
  });
  B.set(w.bhn, 5 * H);
  const axes = g.constant('seq_axis', [1], new BigInt64Array([0n]));
  const xs = g.op('Unsqueeze', [x, axes], undefined, 'obs_seq');
  const hs = g.op('Unsqueeze', [h, axes], undefined, 'h_seq');
  const Wi = g.constant('W', [1, 3 * H, obsDim], W);
  const Ri = g.constant('R', [1, 3 * H, H], R);
  const Bi = g.constant('B', [1, 6 * H], B);
  g.node('GRU', [xs, Wi, Ri, Bi, '', hs], ['', 'h_last'], {
    hidden_size: attr.int(H),
    linear_before_reset: attr.int(1),
  });
  return g.op('Squeeze', ['h_last', axes], undefined, 'h_out');
}

/** The cell spelled out node by node, weights as GruWeights. */
function decomposedCell(
  g: GraphBuilder,
  x: string,
  h: string,
  weights: GruWeights,
  shapes: Record<keyof GruWeights, number[]>,
): string {
  const w = {} as Record<keyof GruWeights, string>;
  for (const name of GRU_WEIGHT_NAMES) if (name !== 'Wo' && name !== 'bo') w[name] = g.constant(name, shapes[name], weights[name]);
  const one = g.constant('one', [], new Float32Array([1]));
  const gate = (W: string, U: string, b: string) =>
    g.op('Sigmoid', [g.op('Add', [g.op('Gemm', [x, W, b]), g.op('MatMul', [h, U])])]);
  const z = gate(w.Wz, w.Uz, w.bz);
  const r = gate(w.Wr, w.Ur, w.br);
  const hn = g.op('Gemm', [h, w.Un, w.bhn]);
  const n = g.op('Tanh', [g.op('Add', [g.op('Gemm', [x, w.Wn, w.bn]), g.op('Mul', [r, hn])])]);
  const keep = g.op('Mul', [z, h]);
  const update = g.op('Mul', [g.op('Sub', [one, z]), n]);
  return g.op('Add', [update, keep], undefined, 'h_out');
}

/**
 * The MLP's logits in float64: obs is [batch, obsDim] row-major, weights
 * as MlpWeights (e.g. a model's `weights`), activation the hidden layers'
 * nonlinearity (the model's `activation`); returns [batch, actions]. Layer
 * widths come from the bias lengths.
 *
 * @throws DilemmaError ERR_INVALID_ARGUMENT when sizes do not fit together.
 */
export function mlpForward(
  weights: Readonly<Record<string, Float32Array>>,
  obs: ArrayLike<number>,
  batch: number,
  activation: Activation = 'tanh',
): Float64Array {
  checkObject('weights', weights);
  checkInteger('batch', batch, 1);
  if (!ACTIVATIONS.includes(activation)) invalid('activation', `must be one of ${ACTIVATIONS.join(', ')}`);
  let layers = 0;
  while (weights[`W${layers}`] !== undefined) layers++;
  if (layers === 0) invalid('weights.W0', 'is missing');
  const allowed: string[] = [];
  for (let i = 0; i < layers; i++) allowed.push(`W${i}`, `b${i}`);
  checkKeys('weights', weights, allowed);
  const W: Float32Array[] = [];
  const b: Float32Array[] = [];
  const widths: number[] = [];
  for (let i = 0; i < layers; i++) {
    b.push(checkTypedArray(`weights.b${i}`, weights[`b${i}`], Float32Array));
    const out = b[i].length;
    if (out === 0) invalid(`weights.b${i}`, 'must not be empty');
    if (i === 0) {
      W.push(checkTypedArray('weights.W0', weights.W0, Float32Array));
      if (W[0].length === 0 || W[0].length % out !== 0) invalid('weights.W0', `must have a positive multiple of ${out} elements (b0's length), got ${W[0].length}`);
      widths.push(W[0].length / out);
    } else {
      W.push(checkTypedArray(`weights.W${i}`, weights[`W${i}`], Float32Array, widths[i] * out));
    }
    widths.push(out);
  }
  checkLength('obs', obs, batch * widths[0]);
  let x: ArrayLike<number> = obs;
  for (let i = 0; i < layers; i++) {
    const y = affine(x, batch, widths[i], W[i], widths[i + 1], b[i]);
    if (i < layers - 1) for (let k = 0; k < y.length; k++) y[k] = activation === 'tanh' ? Math.tanh(y[k]) : Math.max(0, y[k]);
    x = y;
  }
  return x as Float64Array;
}

/**
 * One GRU policy step in float64: obs [batch, obsDim] and h [batch, hidden]
 * row-major; returns logits [batch, actions] and the next state h
 * [batch, hidden]. The math is the one under GruWeights.
 *
 * @throws DilemmaError ERR_INVALID_ARGUMENT when sizes do not fit together.
 */
export function gruForward(
  weights: Readonly<GruWeights>,
  obs: ArrayLike<number>,
  h: ArrayLike<number>,
  batch: number,
): {
  /** `[batch, actions]` logits. */
  logits: Float64Array;
  /** `[batch, hidden]` the next recurrent state. */
  h: Float64Array;
} {
  checkObject('weights', weights);
  checkKeys('weights', weights, GRU_WEIGHT_NAMES);
  checkInteger('batch', batch, 1);
  const bz = checkTypedArray('weights.bz', weights.bz, Float32Array);
  const bo = checkTypedArray('weights.bo', weights.bo, Float32Array);
  const H = bz.length;
  if (H === 0) invalid('weights.bz', 'must not be empty');
  if (bo.length === 0) invalid('weights.bo', 'must not be empty');
  const Wz = checkTypedArray('weights.Wz', weights.Wz, Float32Array);
  if (Wz.length === 0 || Wz.length % H !== 0) invalid('weights.Wz', `must have a positive multiple of ${H} elements (bz's length), got ${Wz.length}`);
  const obsDim = Wz.length / H;
  const shapes = gruShapes(obsDim, H, bo.length);
  const w = {} as Record<keyof GruWeights, Float32Array>;
  for (const name of GRU_WEIGHT_NAMES) {
    const size = shapes[name].reduce((a, b) => a * b, 1);
    w[name] = checkTypedArray(`weights.${name}`, weights[name], Float32Array, size);
  }
  checkLength('obs', obs, batch * obsDim);
  checkLength('h', h, batch * H);
  const xz = affine(obs, batch, obsDim, w.Wz, H, w.bz);
  const xr = affine(obs, batch, obsDim, w.Wr, H, w.br);
  const xn = affine(obs, batch, obsDim, w.Wn, H, w.bn);
  const hz = affine(h, batch, H, w.Uz, H);
  const hr = affine(h, batch, H, w.Ur, H);
  const hn = affine(h, batch, H, w.Un, H, w.bhn);
  const next = new Float64Array(batch * H);
  for (let k = 0; k < next.length; k++) {
    const z = sigmoid(xz[k] + hz[k]);
    const r = sigmoid(xr[k] + hr[k]);
    const n = Math.tanh(xn[k] + r * hn[k]);
    next[k] = (1 - z) * n + z * h[k];
  }
  return { logits: affine(next, batch, H, w.Wo, bo.length, w.bo), h: next };
}

/** The GRU policy's weight shapes, in GRU_WEIGHT_NAMES order. */
export function gruShapes(obsDim: number, H: number, actions: number): Record<keyof GruWeights, number[]> {
  return {
    Wz: [obsDim, H],
    Wr: [obsDim, H],
    Wn: [obsDim, H],
    Uz: [H, H],
    Ur: [H, H],
    Un: [H, H],
    bz: [H],
    br: [H],
    bn: [H],
    bhn: [H],
    Wo: [H, actions],
    bo: [actions],
  };
}

function checkHidden(value: unknown): number[] {
  if (value === undefined) return [64];
  if (!Array.isArray(value)) invalid('options.hidden', `must be an array of layer widths, got ${describe(value)}`);
  return value.map((v, i) => checkInteger(`options.hidden[${i}]`, v, 1, MAX_DIM));
}

function declareOutputs(g: GraphBuilder, outputs: readonly TensorSpec[]): void {
  for (const o of outputs) g.output(o.name, o.shape);
}

/**
 * Seeded tensors for every name in shapes (in key order), then copies of the
 * given ones in their place after checking names, sizes and values.
 */
function makeWeights(
  shapes: Record<string, number[]>,
  fanIn: (name: string) => number,
  given: unknown,
  seed: unknown,
): Record<string, Float32Array> {
  const names = Object.keys(shapes);
  const sizes = names.map((n) => shapes[n].reduce((a, b) => a * b, 1));
  const total = sizes.reduce((a, b) => a + b, 0);
  if (total > MAX_PARAMS) {
    throw new DilemmaError(ErrorCode.TooLarge, `options: the model would have ${total} parameters, more than ${MAX_PARAMS}`);
  }
  const g = given === undefined ? {} : checkObject('options.weights', given);
  checkKeys('options.weights', g, names);
  const rng = new WeightRng(seed === undefined ? 0 : checkSeed('options.seed', seed));
  const out: Record<string, Float32Array> = {};
  names.forEach((name, i) => {
    const bound = 1 / Math.sqrt(fanIn(name));
    const t = new Float32Array(sizes[i]);
    for (let k = 0; k < t.length; k++) t[k] = (2 * rng.uniform() - 1) * bound;
    out[name] = t;
  });
  for (const name of names) {
    if (g[name] === undefined) continue;
    const label = `options.weights.${name}`;
    const t = checkTypedArray(label, g[name], Float32Array, out[name].length);
    for (let k = 0; k < t.length; k++) if (!Number.isFinite(t[k])) invalid(`${label}[${k}]`, `must be finite, got ${t[k]}`);
    out[name] = t.slice();
  }
  return out;
}

function checkLength(name: string, a: ArrayLike<number>, length: number): void {
  if (a === null || typeof a !== 'object' || typeof a.length !== 'number') invalid(name, `must be an array of numbers, got ${describe(a)}`);
  if (a.length !== length) invalid(name, `must have ${length} elements, got ${a.length}`);
}

/** y[b, j] = Σ_k x[b, k]·W[k, j] + bias[j], in float64. */
function affine(
  x: ArrayLike<number>,
  batch: number,
  inDim: number,
  W: Float32Array,
  outDim: number,
  bias?: Float32Array,
): Float64Array {
  const y = new Float64Array(batch * outDim);
  for (let b = 0; b < batch; b++) {
    for (let j = 0; j < outDim; j++) {
      let s = bias ? bias[j] : 0;
      for (let k = 0; k < inDim; k++) s += x[b * inDim + k] * W[k * outDim + j];
      y[b * outDim + j] = s;
    }
  }
  return y;
}

function sigmoid(v: number): number {
  return 1 / (1 + Math.exp(-v));
}

const MASK64 = (1n << 64n) - 1n;

/**
 * xoshiro128** seeded through splitmix64: small, fast with 32-bit integer
 * math, and the same stream for the same seed on every platform.
 */
class WeightRng {
  #s = new Uint32Array(4);

  constructor(seed: number | bigint) {
    let state = BigInt(seed) & MASK64;
    for (let i = 0; i < 4; i += 2) {
      state = (state + 0x9e3779b97f4a7c15n) & MASK64;
      let z = state;
      z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & MASK64;
      z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & MASK64;
      z ^= z >> 31n;
      this.#s[i] = Number(z & 0xffffffffn);
      this.#s[i + 1] = Number(z >> 32n);
    }
    // All zeros is xoshiro's one fixed point: it would never leave it.
    if ((this.#s[0] | this.#s[1] | this.#s[2] | this.#s[3]) === 0) this.#s[0] = 1;
  }

  /** Uniform in [0, 1) with 24 random bits, exact in float32. */
  uniform(): number {
    return (this.#next() >>> 8) / 0x1000000;
  }

  #next(): number {
    const s = this.#s;
    const result = Math.imul(rotl(Math.imul(s[1], 5), 7), 9) >>> 0;
    const t = s[1] << 9;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return result;
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

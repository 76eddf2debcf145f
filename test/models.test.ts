/**
 * Flat layouts of the native models: offsets and shapes, round trips
 * through the ONNX writer's weights, agreement with the writer's float64
 * references and with onnxruntime-node, and the golden logits that
 * native/tests/test_models.cpp checks the C++ models against.
 */
import test from 'ava';
import type { ExecutionContext } from 'ava';
import * as ort from 'onnxruntime-node';
import { fromWriterWeights, modelLayout, toWriterWeights, type GruLayout, type MlpLayout } from '../src/models.js';
import { gruForward, gruPolicy, mlpForward, mlpPolicy } from '../src/onnx-writer/index.js';
import { lcgRandoms as randoms } from './helpers/random.js';

function close(t: ExecutionContext, actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number, label: string): void {
  t.is(actual.length, expected.length, `${label}: length`);
  for (let i = 0; i < expected.length; i++) {
    if (!(Math.abs(actual[i] - expected[i]) <= tol * Math.max(1, Math.abs(expected[i])))) {
      t.fail(`${label}: element ${i} is ${actual[i]}, expected ${expected[i]}`);
      return;
    }
  }
  t.pass();
}

const sameBytes = (a: Float32Array, b: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
const shapes = (l: { tensors: readonly { name: string; offset: number; shape: readonly number[] }[] }) =>
  l.tensors.map((x) => [x.name, x.offset, x.shape]);

// --- layouts ----------------------------------------------------------------

test('tabular layout: one table of size^blocks states', (t) => {
  const l = modelLayout('tabular', { obsDim: 6, actions: 2, blocks: 2 });
  t.is(l.states, 9);
  t.is(l.numParams, 18);
  t.deepEqual(shapes(l), [['table', 0, [9, 2]]]);
  t.is(modelLayout('tabular', { obsDim: 5, actions: 3 }).states, 5);
});

test('mlp layout: W0 b0 W1 b1 …, W stored [in, out]', (t) => {
  const l = modelLayout('mlp', { obsDim: 3, actions: 2, hidden: [4] });
  t.deepEqual(shapes(l), [['W0', 0, [3, 4]], ['b0', 12, [4]], ['W1', 16, [4, 2]], ['b1', 24, [2]]]);
  t.is(l.numParams, 26);
  t.is(l.activation, 'tanh');
  const d = modelLayout('mlp', { obsDim: 5, actions: 3 });
  t.deepEqual(d.hidden, [64]);
  t.is(d.numParams, 5 * 64 + 64 + 64 * 3 + 3);
  t.deepEqual(shapes(modelLayout('mlp', { obsDim: 2, actions: 2, hidden: [], activation: 'relu' })), [['W0', 0, [2, 2]], ['b0', 4, [2]]]);
});

test('gru layout: GRU_WEIGHT_NAMES order', (t) => {
  const l = modelLayout('gru', { obsDim: 2, actions: 2, hidden: 3 });
  t.deepEqual(shapes(l), [
    ['Wz', 0, [2, 3]], ['Wr', 6, [2, 3]], ['Wn', 12, [2, 3]],
    ['Uz', 18, [3, 3]], ['Ur', 27, [3, 3]], ['Un', 36, [3, 3]],
    ['bz', 45, [3]], ['br', 48, [3]], ['bn', 51, [3]], ['bhn', 54, [3]],
    ['Wo', 57, [3, 2]], ['bo', 63, [2]],
  ]);
  t.is(l.numParams, 65);
  t.is(modelLayout('gru', { obsDim: 2, actions: 2 }).hidden, 32);
});

test('bad options fail with codes that name them', (t) => {
  const bad = (fn: () => unknown, code: string, message: RegExp) => t.throws(fn, { code, message });
  bad(() => modelLayout('lstm' as 'mlp', { obsDim: 2, actions: 2 }), 'ERR_INVALID_ARGUMENT', /kind/);
  bad(() => modelLayout('mlp', { obsDim: 0, actions: 2 }), 'ERR_INVALID_ARGUMENT', /options\.obsDim/);
  bad(() => modelLayout('tabular', { obsDim: 5, actions: 2, blocks: 2 }), 'ERR_INVALID_ARGUMENT', /options\.blocks must divide/);
  bad(() => modelLayout('tabular', { obsDim: 42, actions: 2, blocks: 21 }), 'ERR_TOO_LARGE', /options\.blocks/);
  bad(() => modelLayout('mlp', { obsDim: 4, actions: 2, hidden: [8, 0] }), 'ERR_INVALID_ARGUMENT', /options\.hidden\[1\]/);
  bad(() => modelLayout('mlp', { obsDim: 4, actions: 2, hidden: 8 }), 'ERR_INVALID_ARGUMENT', /options\.hidden must be an array/);
  bad(() => modelLayout('mlp', { obsDim: 4, actions: 2, activation: 'gelu' as 'tanh' }), 'ERR_INVALID_ARGUMENT', /options\.activation/);
  bad(() => modelLayout('mlp', { obsDim: 4, actions: 2, blocks: 1 }), 'ERR_INVALID_ARGUMENT', /options\.blocks is not a known option/);
  bad(() => modelLayout('mlp', { obsDim: 4, actions: 2, hidden: [65536, 65536] }), 'ERR_TOO_LARGE', /parameters/);
  bad(() => modelLayout('gru', { obsDim: 4, actions: 2, hidden: [8] }), 'ERR_INVALID_ARGUMENT', /options\.hidden/);
});

// --- writer weights -----------------------------------------------------------

test('layout defaults and the layer count agree with the native trainer: mlp [64] tanh, gru 32, at most 16 layers', async (t) => {
  const mlp = modelLayout('mlp', { obsDim: 5, actions: 2 });
  t.deepEqual(mlp.hidden, [64]);
  t.is(mlp.activation, 'tanh');
  t.is(modelLayout('gru', { obsDim: 5, actions: 2 }).hidden, 32);
  t.is(modelLayout('mlp', { obsDim: 5, actions: 2, hidden: Array(16).fill(2) }).hidden.length, 16);
  t.throws(() => modelLayout('mlp', { obsDim: 5, actions: 2, hidden: Array(17).fill(2) }), { code: 'ERR_INVALID_ARGUMENT', message: /options\.hidden.*at most 16/ });
  // The native trainer draws the same line.
  const { Trainer } = await import('../src/train.js');
  const ok = Trainer.create({ game: { id: 'ipd' }, policy: { kind: 'mlp', hidden: Array(16).fill(2) }, batch: 4 });
  t.is(ok.numParams, modelLayout('mlp', { obsDim: 5, actions: 2, hidden: Array(16).fill(2) }).numParams);
  ok.dispose();
  t.throws(() => Trainer.create({ game: { id: 'ipd' }, policy: { kind: 'mlp', hidden: Array(17).fill(2) }, batch: 4 }), { code: 'ERR_INVALID_PARAM' });
});

test('flat -> writer weights -> flat is exact for every kind', (t) => {
  const layouts = [
    modelLayout('mlp', { obsDim: 5, actions: 3, hidden: [7, 4] }),
    modelLayout('mlp', { obsDim: 5, actions: 3, hidden: [] }),
    modelLayout('gru', { obsDim: 5, actions: 3, hidden: 6 }),
    modelLayout('tabular', { obsDim: 5, actions: 3 }),
  ];
  for (const l of layouts) {
    const flat = randoms(l.numParams, l.numParams);
    const w = toWriterWeights(l.kind, flat, l);
    t.true(sameBytes(fromWriterWeights(l.kind, w, l), flat), l.kind);
    // Copies, not views of the flat vector.
    flat[0] += 1;
    t.not(Object.values(w)[0][0], flat[0]);
  }
});

test('writer weights are checked', (t) => {
  const l = modelLayout('mlp', { obsDim: 2, actions: 2, hidden: [3] });
  const w = toWriterWeights('mlp', randoms(l.numParams, 1), l);
  t.throws(() => toWriterWeights('mlp', new Float32Array(3), l), { code: 'ERR_INVALID_ARGUMENT', message: /flat/ });
  t.throws(() => toWriterWeights('gru', new Float32Array(l.numParams), l), { code: 'ERR_INVALID_ARGUMENT', message: /layout/ });
  t.throws(() => fromWriterWeights('mlp', { ...w, W1: new Float32Array(2) }, l), { code: 'ERR_INVALID_ARGUMENT', message: /weights\.W1/ });
  t.throws(() => fromWriterWeights('mlp', { W0: w.W0, b0: w.b0, W1: w.W1 }, l), { code: 'ERR_INVALID_ARGUMENT', message: /weights\.b1 is missing/ });
  t.throws(() => fromWriterWeights('mlp', { ...w, W2: w.W1 }, l), { code: 'ERR_INVALID_ARGUMENT', message: /weights\.W2/ });
});

test('a one-block table exports as a linear MLP; more blocks are unsupported', (t) => {
  const l = modelLayout('tabular', { obsDim: 4, actions: 2 });
  const table = Float32Array.of(1, 2, 3, 4, 5, 6, 7, 8);
  const w = toWriterWeights('tabular', table, l);
  t.deepEqual(Object.keys(w), ['W0', 'b0']);
  // A one-hot observation of state 2 reads row 2.
  t.deepEqual(Array.from(mlpForward(w, [0, 0, 1, 0], 1)), [5, 6]);
  // A bias folds into every row.
  t.deepEqual(Array.from(fromWriterWeights('tabular', { W0: table, b0: Float32Array.of(0.5, 0) }, l)), [1.5, 2, 3.5, 4, 5.5, 6, 7.5, 8]);
  const two = modelLayout('tabular', { obsDim: 4, actions: 2, blocks: 2 });
  t.throws(() => toWriterWeights('tabular', new Float32Array(two.numParams), two), { code: 'ERR_UNSUPPORTED', message: /blocks/ });
  t.throws(() => fromWriterWeights('tabular', w, two), { code: 'ERR_UNSUPPORTED' });
});

// --- the layout is the writer's math ---------------------------------------------

/** The MLP read straight from the flat vector by the documented layout, in float64. */
function flatMlp(l: MlpLayout, flat: Float32Array, obs: Float32Array, batch: number): number[] {
  const widths = [l.obsDim, ...l.hidden, l.actions];
  const out: number[] = [];
  for (let b = 0; b < batch; b++) {
    let x = Array.from(obs.subarray(b * l.obsDim, (b + 1) * l.obsDim));
    let at = 0;
    for (let i = 0; i + 1 < widths.length; i++) {
      const [inW, outW] = [widths[i], widths[i + 1]];
      const y = Array.from({ length: outW }, (_, j) => {
        let s = flat[at + inW * outW + j];
        for (let k = 0; k < inW; k++) s += x[k] * flat[at + k * outW + j];
        return i + 2 < widths.length ? (l.activation === 'tanh' ? Math.tanh(s) : Math.max(0, s)) : s;
      });
      at += inW * outW + outW;
      x = y;
    }
    out.push(...x);
  }
  return out;
}

/** The GRU over one sequence read straight from the flat vector, in float64. */
function flatGru(l: GruLayout, flat: Float32Array, obs: Float32Array, steps: number): number[] {
  const [X, H, A] = [l.obsDim, l.hidden, l.actions];
  const at = (name: string) => l.tensors.find((x) => x.name === name)!.offset;
  const sig = (v: number) => 1 / (1 + Math.exp(-v));
  let h = new Array<number>(H).fill(0);
  const out: number[] = [];
  for (let t = 0; t < steps; t++) {
    const x = obs.subarray(t * X, (t + 1) * X);
    const dot = (W: string, v: ArrayLike<number>, n: number, j: number) => {
      let s = 0;
      for (let k = 0; k < n; k++) s += v[k] * flat[at(W) + k * H + j];
      return s;
    };
    h = h.map((hj, j) => {
      const z = sig(dot('Wz', x, X, j) + dot('Uz', h, H, j) + flat[at('bz') + j]);
      const r = sig(dot('Wr', x, X, j) + dot('Ur', h, H, j) + flat[at('br') + j]);
      const n = Math.tanh(dot('Wn', x, X, j) + flat[at('bn') + j] + r * (dot('Un', h, H, j) + flat[at('bhn') + j]));
      return (1 - z) * n + z * hj;
    });
    for (let a = 0; a < A; a++) {
      let s = flat[at('bo') + a];
      for (let k = 0; k < H; k++) s += h[k] * flat[at('Wo') + k * A + a];
      out.push(s);
    }
  }
  return out;
}

test('mlp: the flat layout computes what mlpForward computes on the writer weights', (t) => {
  for (const activation of ['tanh', 'relu'] as const) {
    const l = modelLayout('mlp', { obsDim: 4, actions: 3, hidden: [5, 6], activation });
    const flat = randoms(l.numParams, 3);
    const obs = randoms(7 * 4, 4);
    close(t, mlpForward(toWriterWeights('mlp', flat, l), obs, 7, activation), flatMlp(l, flat, obs, 7), 1e-12, activation);
  }
});

test('gru: the flat layout computes what gruForward computes on the writer weights', (t) => {
  const l = modelLayout('gru', { obsDim: 3, actions: 2, hidden: 4 });
  const flat = randoms(l.numParams, 5);
  const obs = randoms(5 * 3, 6);
  const w = toWriterWeights('gru', flat, l);
  const logits: number[] = [];
  let h: ArrayLike<number> = new Float64Array(4);
  for (let s = 0; s < 5; s++) {
    const r = gruForward(w, obs.subarray(s * 3, (s + 1) * 3), h, 1);
    logits.push(...r.logits);
    h = r.h;
  }
  close(t, logits, flatGru(l, flat, obs, 5), 1e-12, 'gru');
});

// The golden case of native/tests/test_models.cpp: the C++ models give these
// logits for the same flat vector, so a trained vector exports unchanged.
const goldenParams = (n: number) => Float32Array.from({ length: n }, (_, i) => (((i * 7) % 19) - 9) / 10);
const goldenObs = (n: number) => Float32Array.from({ length: n }, (_, k) => (((k * 5) % 11) - 5) / 8);

test('golden logits shared with the C++ models', (t) => {
  const mlp = modelLayout('mlp', { obsDim: 3, actions: 2, hidden: [4] });
  const mlpLogits = mlpForward(toWriterWeights('mlp', goldenParams(mlp.numParams), mlp), goldenObs(6), 2);
  close(t, mlpLogits, [1.55461141696, -1.5407543808, 0.603853216105, -1.50327947825], 1e-10, 'mlp');
  const gru = modelLayout('gru', { obsDim: 2, actions: 2, hidden: 3 });
  const w = toWriterWeights('gru', goldenParams(gru.numParams), gru);
  const obs = goldenObs(4);
  const first = gruForward(w, obs.subarray(0, 2), new Float64Array(3), 1);
  const second = gruForward(w, obs.subarray(2, 4), first.h, 1);
  close(t, [...first.logits, ...second.logits], [-0.843746333423, 0.530468225538, -1.09429273765, 0.330550249193], 1e-10, 'gru');
});

test('exported models run in onnxruntime-node with the flat layout\'s logits', async (t) => {
  const f32 = (data: Float32Array, dims: number[]) => new ort.Tensor('float32', data, dims);
  const mlp = modelLayout('mlp', { obsDim: 4, actions: 3, hidden: [8], activation: 'relu' });
  const mlpFlat = randoms(mlp.numParams, 7);
  const obs = randoms(6 * 4, 8);
  const mlpModel = mlpPolicy({
    obsDim: 4,
    actions: 3,
    hidden: [...mlp.hidden],
    activation: mlp.activation,
    weights: toWriterWeights('mlp', mlpFlat, mlp),
  });
  const mlpOut = await (await ort.InferenceSession.create(mlpModel.bytes)).run({ obs: f32(obs, [6, 4]) });
  close(t, mlpOut.logits.data as Float32Array, flatMlp(mlp, mlpFlat, obs, 6), 1e-5, 'mlp');

  const gru = modelLayout('gru', { obsDim: 4, actions: 3, hidden: 5 });
  const gruFlat = randoms(gru.numParams, 9);
  const session = await ort.InferenceSession.create(gruPolicy({ obsDim: 4, actions: 3, hidden: 5, weights: toWriterWeights('gru', gruFlat, gru) }).bytes);
  let h: Float32Array = new Float32Array(5);
  const logits: number[] = [];
  for (let s = 0; s < 3; s++) {
    const out = await session.run({ obs: f32(obs.slice(s * 4, (s + 1) * 4), [1, 4]), h: f32(h, [1, 5]) });
    logits.push(...(out.logits.data as Float32Array));
    h = out.h_out.data as Float32Array;
  }
  close(t, logits, flatGru(gru, gruFlat, obs, 3), 1e-5, 'gru');

  const table = modelLayout('tabular', { obsDim: 3, actions: 2 });
  const tableFlat = randoms(table.numParams, 10);
  const tableModel = mlpPolicy({ obsDim: 3, actions: 2, hidden: [], weights: toWriterWeights('tabular', tableFlat, table) });
  const oneHot = Float32Array.of(0, 1, 0, 0, 0, 1);
  const tableOut = await (await ort.InferenceSession.create(tableModel.bytes)).run({ obs: f32(oneHot, [2, 3]) });
  close(t, tableOut.logits.data as Float32Array, [tableFlat[2], tableFlat[3], tableFlat[4], tableFlat[5]], 1e-7, 'tabular');
});

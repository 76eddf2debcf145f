/**
 * The ONNX writer: wire-format bytes checked by hand, and policy models
 * checked by running them in onnxruntime-node against the float64
 * TypeScript references.
 */
import test from 'ava';
import type { ExecutionContext } from 'ava';
import * as ort from 'onnxruntime-node';
import {
  ProtoWriter,
  encodeValueInfo,
  gruForward,
  gruPolicy,
  GRU_FORMS,
  GRU_WEIGHT_NAMES,
  mlpForward,
  mlpPolicy,
  type GruWeights,
  type PolicyModel,
} from '../src/onnx-writer/index.js';
import { lcgRandoms as randoms } from './helpers/random.js';

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const bytesOf = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex').toString('hex');

function close(t: ExecutionContext, actual: ArrayLike<number>, expected: ArrayLike<number>, label: string): void {
  t.is(actual.length, expected.length, `${label}: length`);
  let worst = 0;
  let at = -1;
  for (let i = 0; i < expected.length; i++) {
    const err = Math.abs(actual[i] - expected[i]) / Math.max(1, Math.abs(expected[i]));
    if (!(err <= worst)) {
      worst = err;
      at = i;
      if (Number.isNaN(err)) break;
    }
  }
  t.true(worst <= 1e-5, `${label}: element ${at} is ${actual[at]}, reference ${expected[at]}`);
}

async function session(model: PolicyModel<unknown>): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(model.bytes);
}

const f32 = (data: Float32Array, dims: number[]) => new ort.Tensor('float32', data, dims);

// --- protobuf wire format -------------------------------------------------

test('varints', (t) => {
  t.is(hex(new ProtoWriter().uint(1, 300).finish()), '08ac02');
  t.is(hex(new ProtoWriter().uint(1, 150).finish()), '089601');
  t.is(hex(new ProtoWriter().uint(1, 0).finish()), '0800');
  t.is(hex(new ProtoWriter().uint(2, true).finish()), '1001');
  t.is(hex(new ProtoWriter().uint(1, 2 ** 53 - 1).finish()), bytesOf('08 ff ff ff ff ff ff ff 0f'));
  t.is(hex(new ProtoWriter().uint(1, (1n << 64n) - 1n).finish()), bytesOf('08 ff ff ff ff ff ff ff ff ff 01'));
  t.is(hex(new ProtoWriter().int(1, -1).finish()), bytesOf('08 ff ff ff ff ff ff ff ff ff 01'));
  t.is(hex(new ProtoWriter().int(1, -2n).finish()), bytesOf('08 fe ff ff ff ff ff ff ff ff 01'));
  // A field number past 15 takes a two-byte tag.
  t.is(hex(new ProtoWriter().uint(16, 1).finish()), '800101');
});

test('length-delimited fields: string, bytes, nested message', (t) => {
  t.is(hex(new ProtoWriter().string(2, 'testing').finish()), bytesOf('12 07 74 65 73 74 69 6e 67'));
  t.is(hex(new ProtoWriter().string(1, '').finish()), '0a00');
  t.is(hex(new ProtoWriter().string(1, 'é').finish()), '0a02c3a9');
  t.is(hex(new ProtoWriter().bytes(9, new Uint8Array([1, 2, 3])).finish()), '4a03010203');
  const inner = new ProtoWriter().uint(1, 150);
  t.is(hex(new ProtoWriter().message(3, inner).finish()), bytesOf('1a 03 08 96 01'));
  t.is(hex(new ProtoWriter().message(3, inner.finish()).finish()), bytesOf('1a 03 08 96 01'));
  // Lengths past 127 take a multi-byte varint, and the buffer grows.
  const big = new ProtoWriter().bytes(1, new Uint8Array(1000).fill(7)).finish();
  t.is(big.length, 1 + 2 + 1000);
  t.is(hex(big.subarray(0, 3)), '0ae807');
  t.is(big[1002], 7);
});

test('fixed-width and packed fields', (t) => {
  t.is(hex(new ProtoWriter().float(1, 1.5).finish()), '0d0000c03f');
  t.is(hex(new ProtoWriter().double(1, 1).finish()), '09000000000000f03f');
  t.is(
    hex(new ProtoWriter().packedFloats(4, [1, -2, 0.5]).finish()),
    bytesOf('22 0c 00 00 80 3f 00 00 00 c0 00 00 00 3f'),
  );
  t.is(hex(new ProtoWriter().packedInts(4, [3, 270, 86942]).finish()), bytesOf('22 06 03 8e 02 9e a7 05'));
  t.is(hex(new ProtoWriter().packedInts(4, []).finish()), '2200');
  // Fields chain in call order.
  t.is(hex(new ProtoWriter().uint(1, 1).string(2, 'a').float(3, 0).finish()), bytesOf('08 01 12 01 61 1d 00 00 00 00'));
});

test('encoder rejects what the wire format cannot hold', (t) => {
  t.throws(() => new ProtoWriter().uint(0, 1), { code: 'ERR_INVALID_ARGUMENT', message: /field number/ });
  t.throws(() => new ProtoWriter().uint(1, -1), { code: 'ERR_INVALID_ARGUMENT', message: /negative/ });
  t.throws(() => new ProtoWriter().uint(1, 1.5), { code: 'ERR_INVALID_ARGUMENT' });
  t.throws(() => new ProtoWriter().uint(1, 1n << 64n), { code: 'ERR_INVALID_ARGUMENT', message: /64 bits/ });
});

test('ValueInfoProto with a symbolic and a fixed dim', (t) => {
  // name "x"; type { tensor_type { elem_type FLOAT; shape { dim { dim_param "batch" } dim { dim_value 3 } } } }
  const expected = bytesOf(`
    0a 01 78
    12 13 0a 11 08 01 12 0d
      0a 07 12 05 62 61 74 63 68
      0a 02 08 03`);
  t.is(hex(encodeValueInfo({ name: 'x', elemType: 'float32', shape: ['batch', 3] })), expected);
});

// --- policies in ONNX Runtime --------------------------------------------

const BATCHES = [1, 7, 64];

for (const [label, opts] of [
  ['default hidden, tanh', { obsDim: 5, actions: 3, seed: 11 }],
  ['two hidden layers, relu', { obsDim: 12, actions: 4, hidden: [32, 16], activation: 'relu', seed: 12 }],
  ['linear (no hidden layer)', { obsDim: 3, actions: 2, hidden: [], seed: 13 }],
] as const) {
  test(`MLP policy runs in onnxruntime and matches the reference: ${label}`, async (t) => {
    const model = mlpPolicy(opts);
    const s = await session(model);
    t.deepEqual(s.inputNames, ['obs']);
    t.deepEqual(s.outputNames, ['logits']);
    t.deepEqual(model.inputs, [{ name: 'obs', shape: ['batch', opts.obsDim], type: 'float32' }]);
    t.deepEqual(model.outputs, [{ name: 'logits', shape: ['batch', opts.actions], type: 'float32' }]);
    const meta = s.inputMetadata[0];
    t.true(meta.isTensor && meta.type === 'float32');
    if (meta.isTensor) t.deepEqual(meta.shape, ['batch', opts.obsDim]);
    for (const batch of BATCHES) {
      const obs = randoms(batch * opts.obsDim, batch);
      const out = await s.run({ obs: f32(obs, [batch, opts.obsDim]) });
      t.deepEqual(out.logits.dims, [batch, opts.actions]);
      close(t, out.logits.data as Float32Array, mlpForward(model.weights, obs, batch, model.activation), `batch ${batch}`);
    }
    await s.release();
  });
}

test('MLP weight layout is [in, out] with y = x·W + b', async (t) => {
  // obs [1, 2] times W [[1, 2, 3], [4, 5, 6]] plus b.
  const W0 = new Float32Array([1, 2, 3, 4, 5, 6]);
  const b0 = new Float32Array([0.5, -0.5, 0]);
  const model = mlpPolicy({ obsDim: 2, actions: 3, hidden: [], weights: { W0, b0 } });
  t.deepEqual([...model.weights.W0], [...W0]);
  t.not(model.weights.W0, W0, 'given weights are copied');
  const s = await session(model);
  const out = await s.run({ obs: f32(new Float32Array([1, 10]), [1, 2]) });
  t.deepEqual([...(out.logits.data as Float32Array)], [41.5, 51.5, 63]);
  t.deepEqual([...mlpForward(model.weights, [1, 10], 1)], [41.5, 51.5, 63]);
  await s.release();
});

for (const form of GRU_FORMS) test(`GRU policy (${form}) runs in onnxruntime and matches the reference`, async (t) => {
  const obsDim = 6;
  const actions = 3;
  const model = gruPolicy({ obsDim, actions, seed: 21, form });
  const H = 32;
  const s = await session(model);
  t.deepEqual(s.inputNames, ['obs', 'h']);
  t.deepEqual(s.outputNames, ['logits', 'h_out']);
  t.deepEqual(
    model.inputs.map((i) => [i.name, i.shape]),
    [['obs', ['batch', obsDim]], ['h', ['batch', H]]],
  );
  t.deepEqual(
    model.outputs.map((o) => [o.name, o.shape]),
    [['logits', ['batch', actions]], ['h_out', ['batch', H]]],
  );
  const shapes = [...s.inputMetadata, ...s.outputMetadata].map((m) => (m.isTensor ? m.shape : null));
  t.deepEqual(shapes, [['batch', obsDim], ['batch', H], ['batch', actions], ['batch', H]]);
  for (const batch of BATCHES) {
    const obs = randoms(batch * obsDim, batch);
    const h = randoms(batch * H, batch + 1000);
    const out = await s.run({ obs: f32(obs, [batch, obsDim]), h: f32(h, [batch, H]) });
    const ref = gruForward(model.weights, obs, h, batch);
    t.deepEqual(out.logits.dims, [batch, actions]);
    t.deepEqual(out.h_out.dims, [batch, H]);
    close(t, out.logits.data as Float32Array, ref.logits, `batch ${batch} logits`);
    close(t, out.h_out.data as Float32Array, ref.h, `batch ${batch} h_out`);
  }
  await s.release();
  // The graph as written, before ONNX Runtime rewrites it, computes the same.
  const plain = await ort.InferenceSession.create(model.bytes, { graphOptimizationLevel: 'disabled' });
  const obs = randoms(7 * obsDim, 3);
  const h = randoms(7 * H, 4);
  const out = await plain.run({ obs: f32(obs, [7, obsDim]), h: f32(h, [7, H]) });
  close(t, out.h_out.data as Float32Array, gruForward(model.weights, obs, h, 7).h, 'unoptimized h_out');
  await plain.release();
});

for (const form of GRU_FORMS) test(`GRU state (${form}) fed back over several steps stays with the reference`, async (t) => {
  const model = gruPolicy({ obsDim: 4, actions: 2, hidden: 8, seed: 5, form });
  const s = await session(model);
  const batch = 7;
  let h: Float32Array = new Float32Array(batch * 8);
  let refH: Float64Array = new Float64Array(batch * 8);
  for (let step = 0; step < 10; step++) {
    const obs = randoms(batch * 4, 100 + step);
    const out = await s.run({ obs: f32(obs, [batch, 4]), h: f32(h, [batch, 8]) });
    const ref = gruForward(model.weights, obs, refH, batch);
    close(t, out.logits.data as Float32Array, ref.logits, `step ${step}`);
    h = out.h_out.data as Float32Array;
    refH = ref.h;
  }
  await s.release();
});

for (const form of GRU_FORMS) test(`GRU cell math (${form}) on one hand-computed unit`, async (t) => {
  const v = (x: number) => new Float32Array([x]);
  const weights: GruWeights = {
    Wz: v(0.5), Wr: v(-1), Wn: v(2), Uz: v(0.25), Ur: v(1), Un: v(-0.5),
    bz: v(0.1), br: v(0.2), bn: v(-0.3), bhn: v(0.4), Wo: v(3), bo: v(-1),
  };
  const x = 0.75;
  const h = -0.5;
  const sig = (a: number) => 1 / (1 + Math.exp(-a));
  const z = sig(0.5 * x + 0.25 * h + 0.1);
  const r = sig(-1 * x + 1 * h + 0.2);
  const n = Math.tanh(2 * x - 0.3 + r * (-0.5 * h + 0.4));
  const h1 = (1 - z) * n + z * h;
  const logit = 3 * h1 - 1;
  const ref = gruForward(weights, [x], [h], 1);
  t.true(Math.abs(ref.h[0] - h1) < 1e-7 && Math.abs(ref.logits[0] - logit) < 1e-7);
  const model = gruPolicy({ obsDim: 1, actions: 1, hidden: 1, weights, form });
  const s = await session(model);
  const out = await s.run({ obs: f32(v(x), [1, 1]), h: f32(v(h), [1, 1]) });
  close(t, out.h_out.data as Float32Array, [h1], 'h_out');
  close(t, out.logits.data as Float32Array, [logit], 'logits');
  await s.release();
});

/** How many nodes of each operator type the model's bytes hold (NodeProto.op_type is field 4, tag 0x22). */
function opCounts(bytes: Uint8Array, ops: readonly string[]): Record<string, number> {
  const text = Buffer.from(bytes).toString('latin1');
  const counts: Record<string, number> = {};
  for (const op of ops) counts[op] = text.split(`\x22${String.fromCharCode(op.length)}${op}`).length - 1;
  return counts;
}

test('the gru-op form is one GRU node between reshapes; the decomposed form spells out the cell in 18 nodes', (t) => {
  const ops = ['GRU', 'Unsqueeze', 'Squeeze', 'Gemm', 'MatMul', 'Add', 'Sub', 'Mul', 'Sigmoid', 'Tanh'];
  const one = gruPolicy({ obsDim: 5, actions: 2, seed: 1 });
  t.deepEqual(opCounts(one.bytes, ops), { GRU: 1, Unsqueeze: 2, Squeeze: 1, Gemm: 1, MatMul: 0, Add: 0, Sub: 0, Mul: 0, Sigmoid: 0, Tanh: 0 });
  const many = gruPolicy({ obsDim: 5, actions: 2, seed: 1, form: 'decomposed' });
  const counts = opCounts(many.bytes, ops);
  t.deepEqual(counts, { GRU: 0, Unsqueeze: 0, Squeeze: 0, Gemm: 5, MatMul: 2, Add: 4, Sub: 1, Mul: 3, Sigmoid: 2, Tanh: 1 });
  t.is(Object.values(counts).reduce((a, b) => a + b, 0), 18);
  // The form changes the graph, never the weights.
  for (const name of GRU_WEIGHT_NAMES) t.deepEqual(one.weights[name], many.weights[name], name);
});

test('both GRU forms give the same logits and next state as the float64 reference and each other', async (t) => {
  const obsDim = 5, actions = 2, H = 32;
  const one = gruPolicy({ obsDim, actions, hidden: H, seed: 33 });
  const many = gruPolicy({ obsDim, actions, hidden: H, seed: 33, form: 'decomposed' });
  const s1 = await session(one);
  const s2 = await session(many);
  for (const batch of [1, 2, 7, 64, 128, 300]) {
    // Wide inputs so that gates saturate as well as sit in their linear range.
    const obs = randoms(batch * obsDim, 7 * batch).map((x) => 3 * x);
    const h = randoms(batch * H, 7 * batch + 1);
    const feeds = { obs: f32(obs, [batch, obsDim]), h: f32(h, [batch, H]) };
    const a = await s1.run(feeds);
    const b = await s2.run(feeds);
    const ref = gruForward(one.weights, obs, h, batch);
    close(t, a.logits.data as Float32Array, ref.logits, `gru-op batch ${batch} logits`);
    close(t, a.h_out.data as Float32Array, ref.h, `gru-op batch ${batch} h_out`);
    close(t, b.logits.data as Float32Array, ref.logits, `decomposed batch ${batch} logits`);
    close(t, a.h_out.data as Float32Array, b.h_out.data as Float32Array, `forms batch ${batch} h_out`);
    close(t, a.logits.data as Float32Array, b.logits.data as Float32Array, `forms batch ${batch} logits`);
  }
  await s1.release();
  await s2.release();
});

// --- seeding ---------------------------------------------------------------

test('same seed gives identical bytes; different seeds give different weights', (t) => {
  const a = mlpPolicy({ obsDim: 8, actions: 3, seed: 42 });
  const b = mlpPolicy({ obsDim: 8, actions: 3, seed: 42 });
  t.is(hex(a.bytes), hex(b.bytes));
  const c = mlpPolicy({ obsDim: 8, actions: 3, seed: 43 });
  t.notDeepEqual([...a.weights.W0], [...c.weights.W0]);
  t.notDeepEqual([...a.weights.W1], [...c.weights.W1]);
  t.not(hex(a.bytes), hex(c.bytes));
  t.is(hex(mlpPolicy({ obsDim: 8, actions: 3 }).bytes), hex(mlpPolicy({ obsDim: 8, actions: 3, seed: 0 }).bytes));
  t.is(hex(mlpPolicy({ obsDim: 8, actions: 3, seed: 7n }).bytes), hex(mlpPolicy({ obsDim: 8, actions: 3, seed: 7 }).bytes));

  const g1 = gruPolicy({ obsDim: 4, actions: 2, seed: 9 });
  const g2 = gruPolicy({ obsDim: 4, actions: 2, seed: 9 });
  const g3 = gruPolicy({ obsDim: 4, actions: 2, seed: (1n << 64n) - 1n });
  t.is(hex(g1.bytes), hex(g2.bytes));
  t.notDeepEqual([...g1.weights.Uz], [...g3.weights.Uz]);
});

test('seeded weights are uniform within ±1/sqrt(fan_in) and given ones do not shift the rest', (t) => {
  const m = mlpPolicy({ obsDim: 16, actions: 4, hidden: [64], seed: 1 });
  const within = (a: Float32Array, bound: number) => a.every((x) => Math.abs(x) <= bound);
  t.true(within(m.weights.W0, 1 / 4) && within(m.weights.b0, 1 / 4));
  t.true(within(m.weights.W1, 1 / 8) && within(m.weights.b1, 1 / 8));
  const mean = m.weights.W0.reduce((s, x) => s + x, 0) / m.weights.W0.length;
  t.true(Math.abs(mean) < 0.02);
  t.true(Math.max(...m.weights.W0) > 0.2 && Math.min(...m.weights.W0) < -0.2);

  const partial = mlpPolicy({ obsDim: 16, actions: 4, hidden: [64], seed: 1, weights: { W0: new Float32Array(1024) } });
  t.deepEqual([...partial.weights.b0], [...m.weights.b0]);
  t.deepEqual([...partial.weights.W1], [...m.weights.W1]);
  t.true(partial.weights.W0.every((x) => x === 0));

  const g = gruPolicy({ obsDim: 3, actions: 2, hidden: 16, seed: 2 });
  for (const [name, w] of Object.entries(g.weights)) t.true(within(w, 0.25), name);
  const gp = gruPolicy({ obsDim: 3, actions: 2, hidden: 16, seed: 2, weights: { bz: new Float32Array(16) } });
  t.deepEqual([...gp.weights.Wo], [...g.weights.Wo]);
});

// --- argument errors ---------------------------------------------------------

test('bad options throw ERR_INVALID_ARGUMENT naming the parameter', (t) => {
  const bad = (fn: () => unknown, message: RegExp) => t.throws(fn, { code: 'ERR_INVALID_ARGUMENT', message });
  bad(() => mlpPolicy(null as never), /options must be an object/);
  bad(() => mlpPolicy({ obsDim: 0, actions: 2 }), /options\.obsDim/);
  bad(() => mlpPolicy({ obsDim: 2, actions: 2.5 }), /options\.actions/);
  bad(() => mlpPolicy({ obsDim: 2, actions: 2, hidden: 8 as never }), /options\.hidden/);
  bad(() => mlpPolicy({ obsDim: 2, actions: 2, hidden: [8, 0] }), /options\.hidden\[1\]/);
  bad(() => mlpPolicy({ obsDim: 2, actions: 2, activation: 'sigmoid' as never }), /options\.activation/);
  bad(() => mlpPolicy({ obsDim: 2, actions: 2, seed: -1 }), /options\.seed/);
  bad(() => mlpPolicy({ obsDim: 2, actions: 2, layers: 3 } as never), /options\.layers/);
  bad(() => mlpPolicy({ obsDim: 5, actions: 2, weights: { W0: new Float32Array(10) } }), /weights\.W0 must have 320 elements/);
  bad(() => mlpPolicy({ obsDim: 5, actions: 2, weights: { W0: new Float64Array(320) as never } }), /weights\.W0 must be a Float32Array/);
  bad(() => mlpPolicy({ obsDim: 5, actions: 2, weights: { W2: new Float32Array(1) } }), /options\.weights\.W2/);
  bad(() => mlpPolicy({ obsDim: 1, actions: 1, hidden: [], weights: { b0: new Float32Array([NaN]) } }), /weights\.b0\[0\] must be finite/);
  t.throws(() => mlpPolicy({ obsDim: 65536, actions: 2, hidden: [65536] }), { code: 'ERR_TOO_LARGE' });

  bad(() => gruPolicy({ obsDim: 2, actions: 2, hidden: 0 }), /options\.hidden/);
  bad(() => gruPolicy({ obsDim: 2, actions: 2, form: 'fused' as never }), /options\.form must be one of gru-op, decomposed/);
  bad(() => gruPolicy({ obsDim: 2, actions: 2, weights: { Uz: new Float32Array(3) } }), /weights\.Uz must have 1024 elements/);
  bad(() => gruPolicy({ obsDim: 2, actions: 2, weights: { Wx: new Float32Array(3) } as never }), /options\.weights\.Wx/);

  const m = mlpPolicy({ obsDim: 3, actions: 2, seed: 1 });
  bad(() => mlpForward(m.weights, new Float32Array(7), 2), /obs must have 6 elements/);
  bad(() => mlpForward({ ...m.weights, W1: new Float32Array(3) }, new Float32Array(6), 2), /weights\.W1 must have 128 elements/);
  bad(() => mlpForward(m.weights, new Float32Array(6), 0), /batch/);
  bad(() => mlpForward({}, new Float32Array(6), 2), /weights\.W0/);
  const g = gruPolicy({ obsDim: 3, actions: 2, hidden: 4, seed: 1 });
  bad(() => gruForward(g.weights, new Float32Array(6), new Float32Array(6), 2), /^h must have 8 elements/);
  bad(() => gruForward(g.weights, new Float32Array(5), new Float32Array(8), 2), /^obs must have 6 elements/);
  bad(() => gruForward({ ...g.weights, Un: new Float32Array(3) }, new Float32Array(6), new Float32Array(8), 2), /weights\.Un must have 16 elements/);
});

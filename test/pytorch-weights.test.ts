/**
 * setWeights on ONNX policies: after new weights are written in place, the
 * engine gives PyTorch's log-probabilities of the model those weights come
 * from (committed fixtures made by examples/pytorch-trainer/models.py), and
 * bad weights or a rollout in flight are refused without changing anything.
 */
import test from 'ava';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { onnx, readNpy, rollout, type OnnxModelPolicy } from '../src/index.js';
import { encodeModel, GraphBuilder } from '../src/onnx-writer/model.js';
import { onnxStatus } from '../src/onnx-runtime.js';
import { readInitializers } from '../src/onnx-writer/initializers.js';

const dir = join(import.meta.dirname, 'fixtures', 'pytorch');
const it = onnxStatus().available ? test : test.skip;

const weightsOf = (name: string) =>
  Object.fromEntries(readInitializers(new Uint8Array(readFileSync(join(dir, `${name}.onnx`)))).map((w) => [w.name, w.data]));

/** The largest |engine − torch| over live moves, after checking the rollout replays torch's fixture actions. */
async function worstAgainst(policy: OnnxModelPolicy, fixture: string): Promise<number> {
  const tr = await rollout({ game: 'ipd', policies: [policy, policy], batch: 16, seed: 7 });
  const actions = readNpy(join(dir, `${fixture}.actions.npy`)).data as Int32Array;
  const want = readNpy(join(dir, `${fixture}.torch-logp.npy`)).data as Float32Array;
  let worst = 0;
  for (let i = 0; i < want.length; i++) {
    if (tr.actions[i] !== actions[i]) return Infinity;
    if (actions[i] >= 0) worst = Math.max(worst, Math.abs(tr.logProbs[i] - want[i]));
  }
  return worst;
}

for (const [base, model] of [
  ['mlp', 'mlp'],
  ['gru-cell', 'gru-cell'],
  ['gru', 'gru'],
  ['mlp', 'mlp-external'],
]) {
  it(`${model}: setWeights gives the log-probabilities of the model the weights come from`, async (t) => {
    const policy = onnx(join(dir, `${model}.onnx`), { trainable: true });
    t.true((await worstAgainst(policy, base)) <= 1e-6, 'before: its own');
    policy.setWeights(weightsOf(`${base}-alt`));
    t.true((await worstAgainst(policy, `${base}-alt`)) <= 1e-6, 'after a first run: the new weights are seen');
    // Back again, as one flat vector in weightInfo order.
    const own = weightsOf(base);
    const flat = new Float32Array(policy.parameterCount);
    let o = 0;
    for (const w of policy.weightInfo) {
      flat.set(own[w.name], o);
      o += own[w.name].length;
    }
    policy.setWeights(flat);
    t.true((await worstAgainst(policy, base)) <= 1e-6, 'and back');
    policy.dispose();
  });
}

it('wrong names, dtypes and shapes are refused naming the tensor, and change nothing', async (t) => {
  const policy = onnx(join(dir, 'mlp.onnx'), { trainable: true });
  t.deepEqual(
    policy.weightInfo.map((w) => [w.name, [...w.shape]]),
    [
      ['0.weight', [16, 5]],
      ['0.bias', [16]],
      ['2.weight', [2, 16]],
      ['2.bias', [2]],
    ],
  );
  const alt = weightsOf('mlp-alt');
  t.throws(() => policy.setWeights({ '0.bias': alt['0.bias'], '1.weight': new Float32Array(80) }), {
    code: 'ERR_INVALID_ARGUMENT',
    message: /weights\['1\.weight'\] is not a weight of the model \(weights: 0\.weight, 0\.bias/,
  });
  t.throws(() => policy.setWeights({ '0.bias': alt['0.bias'], '2.bias': new Float64Array(2) as unknown as Float32Array }), {
    code: 'ERR_INVALID_ARGUMENT',
    message: /weights\['2\.bias'\] is Float64Array; .*Float32Array/,
  });
  t.throws(() => policy.setWeights({ '0.weight': { data: alt['0.weight'], shape: [5, 16] } }), {
    code: 'ERR_INVALID_ARGUMENT',
    message: /weights\['0\.weight'\] has shape \[5, 16\] but the model's is \[16, 5\]; it is transposed/,
  });
  t.throws(() => policy.setWeights({ '0.bias': new Float32Array(15) }), { code: 'ERR_INVALID_ARGUMENT', message: /weights\['0\.bias'\] must have 16 values/ });
  t.throws(() => policy.setWeights(new Float32Array(129)), { code: 'ERR_INVALID_ARGUMENT', message: /must have 130 values/ });
  t.true((await worstAgainst(policy, 'mlp')) <= 1e-6, 'no refused call wrote anything');
  policy.dispose();
  t.throws(() => policy.setWeights(alt), { code: 'ERR_DISPOSED' });
});

it('a policy loaded without trainable says how to get settable weights', (t) => {
  const policy = onnx(join(dir, 'mlp.onnx'));
  t.deepEqual(policy.weightInfo, []);
  t.throws(() => policy.setWeights(weightsOf('mlp-alt')), { code: 'ERR_UNSUPPORTED', message: /trainable: true/ });
  policy.dispose();
});

it('a rollout in flight refuses new weights (ERR_BUSY) and finishes with the old ones', async (t) => {
  const policy = onnx(join(dir, 'mlp.onnx'), { trainable: true });
  const running = worstAgainst(policy, 'mlp');
  t.throws(() => policy.setWeights(weightsOf('mlp-alt')), { code: 'ERR_BUSY', message: /in use by a rollout/ });
  t.true((await running) <= 1e-6);
  policy.setWeights(weightsOf('mlp-alt'));
  t.true((await worstAgainst(policy, 'mlp-alt')) <= 1e-6, 'once it settled, new weights are taken');
  policy.dispose();
});

it('setWeights costs far less than a new session', (t) => {
  const policy = onnx(join(dir, 'gru.onnx'), { trainable: true });
  const alt = weightsOf('gru-alt');
  const n = 200;
  let t0 = performance.now();
  for (let i = 0; i < n; i++) policy.setWeights(alt);
  const set = (performance.now() - t0) / n;
  const bytes = new Uint8Array(readFileSync(join(dir, 'gru-alt.onnx')));
  t0 = performance.now();
  for (let i = 0; i < 20; i++) onnx(bytes).dispose();
  const fresh = (performance.now() - t0) / 20;
  t.log(`setWeights ${set.toFixed(3)} ms, new session ${fresh.toFixed(3)} ms`);
  t.true(set < fresh);
  policy.dispose();
});

it('a weight used through an operator (Transpose) is not folded into a copy that setWeights would miss', async (t) => {
  // logits = obs · Wᵀ with W [2, 5]: an optimiser would fold Transpose(W) into a new constant.
  const g = new GraphBuilder('transposed');
  const obs = g.input('obs', ['batch', 5]);
  const wt = g.op('Transpose', [g.constant('W', [2, 5], new Float32Array(10))], { perm: { type: 'ints', value: [1, 0] } });
  g.op('MatMul', [obs, wt], undefined, 'logits');
  g.output('logits', ['batch', 2]);
  const policy = onnx(encodeModel({ graph: g.graph() }), { trainable: true });
  t.throws(() => onnx(encodeModel({ graph: g.graph() }), { trainable: true, graphOptimization: 'all' }), {
    code: 'ERR_INVALID_ARGUMENT',
    message: /graphOptimization must be 'disable'/,
  });
  await rollout({ game: 'ipd', policies: [policy, policy], batch: 2, steps: 2 });
  const W = Float32Array.from([0.5, -1, 0.25, 2, 0, -0.75, 1.5, 0.1, -2, 0.3]);
  policy.setWeights({ W });
  const tr = await rollout({ game: 'ipd', policies: [policy, policy], batch: 8, steps: 6, seed: 3 });
  let worst = 0;
  for (let r = 0; r < tr.actions.length; r++) {
    if (tr.actions[r] < 0) continue;
    const x = tr.observations.subarray(5 * r, 5 * r + 5);
    const z = [0, 1].map((a) => x.reduce((sum, v, i) => sum + v * W[5 * a + i], 0));
    const lse = Math.log(Math.exp(z[0]) + Math.exp(z[1]));
    worst = Math.max(worst, Math.abs(tr.logProbs[r] - (z[tr.actions[r]] - lse)));
  }
  t.true(worst <= 1e-6, `max |engine − float64 by hand| = ${worst}`);
  policy.dispose();
});

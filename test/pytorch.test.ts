/**
 * PyTorch exports (made by examples/pytorch-trainer/models.py and committed)
 * run in the engine with PyTorch's log-probabilities, and intake errors name
 * the exporter option that fixes them.
 */
import test from 'ava';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { onnx, readNpy, rollout } from '../src/index.js';
import { encodeModel, GraphBuilder } from '../src/onnx-writer/model.js';
import { onnxStatus } from '../src/onnx-runtime.js';

const dir = join(import.meta.dirname, 'fixtures', 'pytorch');
const ort = onnxStatus();
const it = ort.available ? test : test.skip;

async function engineLogProbs(policy: ReturnType<typeof onnx>) {
  const t = await rollout({ game: 'ipd', policies: [policy, policy], batch: 16, seed: 7 });
  policy.dispose();
  return t;
}

for (const name of ['mlp', 'gru-cell', 'gru', 'mlp-external']) {
  it(`${name}: engine log-probabilities equal PyTorch's to 1e-6`, async (t) => {
    const tr = await engineLogProbs(onnx(join(dir, `${name}.onnx`)));
    const actions = readNpy(join(dir, `${name}.actions.npy`)).data as Int32Array;
    const want = readNpy(join(dir, `${name}.torch-logp.npy`)).data as Float32Array;
    t.deepEqual(Array.from(tr.actions), Array.from(actions), 'the rollout replays the sampled actions');
    let worst = 0;
    for (let i = 0; i < want.length; i++) if (tr.actions[i] >= 0) worst = Math.max(worst, Math.abs(tr.logProbs[i] - want[i]));
    t.true(worst <= 1e-6, `max |engine − torch| = ${worst}`);
  });
}

it('external data from a { model, data } pair of buffers', async (t) => {
  const model = new Uint8Array(readFileSync(join(dir, 'mlp-external.onnx')));
  const data = new Uint8Array(readFileSync(join(dir, 'mlp-external.onnx.data')));
  t.throws(() => onnx(model), { code: 'ERR_MODEL_LOAD', message: /\{ model, data \}/ });
  const tr = await engineLogProbs(onnx({ model, data }));
  const want = readNpy(join(dir, 'mlp-external.torch-logp.npy')).data as Float32Array;
  for (let i = 0; i < want.length; i++) if (tr.actions[i] >= 0) t.true(Math.abs(tr.logProbs[i] - want[i]) <= 1e-6);
  t.throws(() => onnx({ model, data: data.subarray(0, 10) }), { code: 'ERR_MODEL_LOAD', message: /does not belong/ });
});

for (const [model, fixture] of [
  ['mlp-fixed-batch', 'mlp'],
  ['gru-fixed-batch', 'gru'],
]) {
  it(`${model}: a fixed batch runs in chunks of it, with the dynamic model's log-probabilities`, async (t) => {
    const actions = readNpy(join(dir, `${fixture}.actions.npy`)).data as Int32Array;
    const want = readNpy(join(dir, `${fixture}.torch-logp.npy`)).data as Float32Array;
    for (const threads of [1, 3]) {
      const policy = onnx(join(dir, `${model}.onnx`));
      const tr = await rollout({ game: 'ipd', policies: [policy, policy], batch: 16, seed: 7, threads });
      policy.dispose();
      t.deepEqual(Array.from(tr.actions), Array.from(actions), `threads ${threads}`);
      let worst = 0;
      for (let i = 0; i < want.length; i++) if (actions[i] >= 0) worst = Math.max(worst, Math.abs(tr.logProbs[i] - want[i]));
      t.true(worst <= 1e-6, `threads ${threads}: max |engine − torch| = ${worst}`);
    }
  });
}

/** A model with obs [obsBatch, 5], logits a = obs·W [obsBatch, 2], and outputs b (+ state h → h_out when stateBatch). */
function crafted(obsBatch: number | string, second: number | undefined, stateBatch?: number): Uint8Array {
  const g = new GraphBuilder('crafted');
  const obs = g.input('obs', [obsBatch, 5]);
  g.op('MatMul', [obs, g.constant('W', [5, 2], new Float32Array(10).fill(0.1))], undefined, 'a');
  g.output('a', [obsBatch, 2]);
  if (second !== undefined) {
    g.op('MatMul', [obs, g.constant('W2', [5, second], new Float32Array(5 * second).fill(0.2))], undefined, 'b');
    g.output('b', [obsBatch, second]);
  }
  if (stateBatch !== undefined) {
    g.op('Identity', [g.input('h', [stateBatch, 4])], undefined, 'h_out');
    g.output('h_out', [stateBatch, 4]);
  }
  return encodeModel({ graph: g.graph() });
}

it('tensors fixed at different batches are refused with the dynamic_axes fix', (t) => {
  const e = t.throws(() => onnx(crafted(3, undefined, 4), { logitsOutput: 'a' }));
  t.is((e as { code?: string }).code, 'ERR_MODEL_SHAPE');
  t.regex(e!.message, /'h' has a fixed batch of 4 but 'obs' has 3; .*dynamic_axes=\{'h': \{0: 'batch'\}/);
});

it('without an output named logits, the logits are the output with the game\'s action count', async (t) => {
  // (h_out, out): neither named 'logits' nor first.
  const policy = onnx(join(dir, 'gru-cell-unnamed.onnx'));
  const tr = await engineLogProbs(policy);
  const want = readNpy(join(dir, 'gru-cell.torch-logp.npy')).data as Float32Array;
  for (let i = 0; i < want.length; i++) if (tr.actions[i] >= 0) t.true(Math.abs(tr.logProbs[i] - want[i]) <= 1e-6);
  const coin = onnx(join(dir, 'gru-cell-unnamed.onnx'));
  await t.throwsAsync(rollout({ game: 'coin', policies: [coin, coin], batch: 2, steps: 2 }), {
    code: 'ERR_MODEL_INPUTS',
    message: /no output named 'logits' and 0 outputs whose last dimension is game 'coin''s 4 actions; outputs: h_out \[batch, 8\], out \[batch, 2\]/,
  });
  coin.dispose();
  const two = onnx(crafted('batch', 2));
  await t.throwsAsync(rollout({ game: 'ipd', policies: [two, two], batch: 2, steps: 2 }), {
    code: 'ERR_MODEL_INPUTS',
    message: /2 outputs whose last dimension is game 'ipd''s 2 actions \(a, b\)/,
  });
  const taken = onnx(crafted('batch', 3));
  await t.throwsAsync(rollout({ game: 'ipd', policies: [taken, taken], batch: 2, steps: 2 }), {
    message: /took input 'obs' .* output 'a' as the logits by shape \(its last dimension is the game's 2 actions\)/,
  });
});

it('a float64 model is refused with the model.float() fix', (t) => {
  const e = t.throws(() => onnx(join(dir, 'mlp-float64.onnx')));
  t.is((e as { code?: string }).code, 'ERR_MODEL_TYPE');
  t.regex(e!.message, /model\.float\(\)/);
});

it('errors about state pairing say which tensor was taken as the logits', (t) => {
  const e = t.throws(() => onnx(join(dir, 'gru.onnx'), { logitsOutput: 'h_out' }));
  t.regex(e!.message, /output 'h_out' as the logits/);
});

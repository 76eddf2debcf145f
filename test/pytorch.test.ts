/**
 * PyTorch exports (made by examples/pytorch-trainer/models.py and committed)
 * run in the engine with PyTorch's log-probabilities, and intake errors name
 * the exporter option that fixes them.
 */
import test from 'ava';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { onnx, readNpy, rollout } from '../src/index.js';
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

it('a fixed batch dimension is refused with the dynamic_axes fix', (t) => {
  const e = t.throws(() => onnx(join(dir, 'mlp-fixed-batch.onnx')));
  t.is((e as { code?: string }).code, 'ERR_MODEL_SHAPE');
  t.regex(e!.message, /dynamic_axes=\{'obs': \{0: 'batch'\}/);
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

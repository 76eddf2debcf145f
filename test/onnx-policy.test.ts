/**
 * ONNX policies in the native rollout loop: reproducible across threads,
 * log-probabilities equal to onnxruntime-node's from JavaScript, recurrent
 * state carried natively, and every error path with a code.
 */
import avaTest from 'ava';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { engineInfo, gruForward, gruPolicy, inspectOnnx, mlpPolicy, onnx, rollout } from '../src/index.js';
import { encodeModel, GraphBuilder } from '../src/onnx-writer/model.js';
import { native } from '../src/native.js';

// Builds without ONNX Runtime headers (no apt mirror, no ORT_INCLUDE_DIR) skip
// these tests; a build with headers must load the runtime and pass them.
const test = native().ortStatus().compiled ? avaTest : avaTest.skip;

const gru = gruPolicy({ obsDim: 5, actions: 2, hidden: 16, seed: 7 });

test('the ONNX runtime loads from onnxruntime-node and reports its version', (t) => {
  const s = engineInfo().onnx;
  t.true(s.available, String(s.reason));
  t.regex(String(s.runtimeVersion), /^1\.\d+/);
  t.is(s.apiVersion, 21);
});

test('inspect lists the inputs and outputs with their shapes', (t) => {
  const info = inspectOnnx(gru.bytes);
  t.deepEqual(info.inputs.map((i) => [i.name, i.type, i.shape]), [['obs', 'float32', [-1, 5]], ['h', 'float32', [-1, 16]]]);
  t.deepEqual(info.outputs.map((o) => o.name), ['logits', 'h_out']);
});

function logSoftmax(z: ArrayLike<number>, offset: number, n: number): number[] {
  let top = -Infinity;
  for (let i = 0; i < n; i++) top = Math.max(top, z[offset + i]);
  let sum = 0;
  for (let i = 0; i < n; i++) sum += Math.exp(z[offset + i] - top);
  const l = Math.log(sum);
  return Array.from({ length: n }, (_, i) => z[offset + i] - top - l);
}

test('a GRU rollout at batch 4096 × 100 rounds is the same on 1 and 2 threads, and its log-probabilities match onnxruntime-node', async (t) => {
  const B = 4096, T = 100, A = 2, O = 5, H = 16;
  const game = { id: 'ipd', params: { rounds: T } } as const;
  const policy = onnx(gru.bytes);
  const one = await rollout({ game, policies: [policy, policy], batch: B, seed: 5, threads: 1 });
  const two = await rollout({ game, policies: [policy, policy], batch: B, seed: 5, threads: 2 });
  t.deepEqual(one.actions, two.actions);
  t.deepEqual(one.logProbs, two.logProbs);
  t.deepEqual(one.observations, two.observations);

  // Replay every step through onnxruntime-node: both seats in one run of 2B rows.
  const session = await ort.InferenceSession.create(gru.bytes);
  let h: Float32Array = new Float32Array(2 * B * H);
  let worst = 0;
  let checked = 0;
  for (let s = 0; s < T; s++) {
    const obs = new Float32Array(2 * B * O);
    for (let b = 0; b < B; b++) {
      for (let a = 0; a < A; a++) {
        const src = ((b * T + s) * A + a) * O;
        obs.set(one.observations.subarray(src, src + O), (a * B + b) * O);
      }
    }
    const out = await session.run({
      obs: new ort.Tensor('float32', obs, [2 * B, O]),
      h: new ort.Tensor('float32', h, [2 * B, H]),
    });
    const logits = out.logits.data as Float32Array;
    h = out.h_out.data as Float32Array;
    for (let b = 0; b < B; b++) {
      for (let a = 0; a < A; a++) {
        const j = (b * T + s) * A + a;
        const lp = logSoftmax(logits, (a * B + b) * 2, 2)[one.actions[j]];
        worst = Math.max(worst, Math.abs(lp - one.logProbs[j]));
        checked++;
      }
    }
  }
  t.is(checked, B * T * A);
  t.true(worst < 1e-5, `largest log-probability difference ${worst}`);
});

test('recurrent state follows the GRU reference from the start of each episode', async (t) => {
  const T = 6;
  const traj = await rollout({ game: { id: 'ipd', params: { rounds: T } }, policies: [onnx(gru.bytes), 'tit-for-tat'], batch: 3, seed: 2, greedy: true });
  for (let b = 0; b < 3; b++) {
    let h: Float64Array = new Float64Array(16);
    for (let s = 0; s < T; s++) {
      const src = (b * T + s) * 2 * 5;
      const out = gruForward(gru.weights, traj.observations.subarray(src, src + 5), Float32Array.from(h), 1);
      h = out.h;
      const greedy = out.logits[1] > out.logits[0] ? 1 : 0;
      t.is(traj.actions[(b * T + s) * 2], greedy);
      t.true(Math.abs(traj.logProbs[(b * T + s) * 2] - logSoftmax(out.logits, 0, 2)[greedy]) < 1e-5);
    }
  }
});

test('one-node and 18-node GRU models give the same native rollouts, and both follow the float64 reference', async (t) => {
  const T = 12, A = 2, O = 5, H = 16;
  const decomposed = gruPolicy({ obsDim: O, actions: A, hidden: H, seed: 7, form: 'decomposed' });
  const game = { id: 'ipd', params: { rounds: T } } as const;
  // One policy object each across batch sizes: the native side keeps tensors per row count.
  const one = onnx(gru.bytes);
  const many = onnx(decomposed.bytes);
  for (const batch of [1, 7, 64, 7]) {
    const a = await rollout({ game, policies: [one, one], batch, seed: 3, threads: 1 });
    const b = await rollout({ game, policies: [many, many], batch, seed: 3, threads: 1 });
    t.deepEqual(a.actions, b.actions, `batch ${batch}: actions`);
    t.deepEqual(a.observations, b.observations, `batch ${batch}: observations`);
    let worst = 0;
    for (let b0 = 0; b0 < batch; b0++) {
      for (let seat = 0; seat < A; seat++) {
        let h: Float64Array = new Float64Array(H);
        for (let s = 0; s < T; s++) {
          const j = (b0 * T + s) * A + seat;
          const ref = gruForward(gru.weights, a.observations.subarray(j * O, (j + 1) * O), Float32Array.from(h), 1);
          h = ref.h;
          const lp = logSoftmax(ref.logits, 0, A);
          const entropy = -lp.reduce((sum, l) => sum + Math.exp(l) * l, 0);
          for (const [got, want] of [
            [a.logProbs[j], lp[a.actions[j]]],
            [b.logProbs[j], lp[a.actions[j]]],
            [a.entropies[j], entropy],
            [b.entropies[j], entropy],
          ]) worst = Math.max(worst, Math.abs(got - want));
        }
      }
    }
    t.true(worst < 1e-5, `batch ${batch}: largest difference from the reference ${worst}`);
  }
});

test('two different GRU policies keep their own state in every seat and thread block, from the start of each rollout', async (t) => {
  // Each seat's policy acts alone (its state in place), blocks of uneven size
  // on 2 threads; the same policy objects run again with another batch, so
  // state left from the last rollout (and either of its two copies) must not leak.
  const T = 9, A = 2, O = 5, H = 16;
  const other = gruPolicy({ obsDim: O, actions: A, hidden: H, seed: 8, form: 'decomposed' });
  const weights = [gru.weights, other.weights];
  const policies = [onnx(gru.bytes), onnx(other.bytes)];
  const game = { id: 'ipd', params: { rounds: T } } as const;
  for (const [batch, threads] of [[7, 2], [3, 1], [7, 2]]) {
    const a = await rollout({ game, policies, batch, seed: 5, threads });
    let worst = 0;
    for (let b = 0; b < batch; b++)
      for (let seat = 0; seat < A; seat++) {
        let h: Float64Array = new Float64Array(H);
        for (let s = 0; s < T; s++) {
          const j = (b * T + s) * A + seat;
          const ref = gruForward(weights[seat], a.observations.subarray(j * O, (j + 1) * O), Float32Array.from(h), 1);
          h = ref.h;
          worst = Math.max(worst, Math.abs(a.logProbs[j] - logSoftmax(ref.logits, 0, A)[a.actions[j]]));
        }
      }
    t.true(worst < 1e-5, `batch ${batch}, ${threads} threads: largest difference from the reference ${worst}`);
  }
});

test('temperature scales the logits; greedy takes the most probable action', async (t) => {
  const mlp = mlpPolicy({ obsDim: 5, actions: 2, hidden: [8], seed: 3 });
  const policy = onnx(mlp.bytes);
  const traj = await rollout({ game: 'ipd', policies: [policy, 'always-cooperate'], batch: 64, seed: 1, temperature: 0.5 });
  const session = await ort.InferenceSession.create(mlp.bytes);
  for (let b = 0; b < 64; b += 7) {
    const obs = traj.observations.slice(b * 10 * 10, b * 10 * 10 + 5);
    const z = (await session.run({ obs: new ort.Tensor('float32', obs, [1, 5]) })).logits.data as Float32Array;
    const lp = logSoftmax([z[0] / 0.5, z[1] / 0.5], 0, 2)[traj.actions[b * 20]];
    t.true(Math.abs(lp - traj.logProbs[b * 20]) < 1e-5);
  }
  const greedy = await rollout({ game: 'ipd', policies: [policy, 'always-cooperate'], batch: 16, seed: 9, greedy: true });
  const again = await rollout({ game: 'ipd', policies: [policy, 'always-cooperate'], batch: 16, seed: 10, greedy: true });
  t.deepEqual(greedy.actions, again.actions, 'greedy play does not depend on the seed');
});

test('a model file on disk loads by path', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'dilemma-onnx-'));
  const path = join(dir, 'policy.onnx');
  writeFileSync(path, gru.bytes);
  const traj = await rollout({ game: 'ipd', policies: [onnx(path), onnx(gru.bytes)], batch: 8, seed: 4 });
  t.is(traj.actions.length, 8 * 10 * 2);
});

function int64InputModel(): Uint8Array {
  const g = new GraphBuilder('int64-obs');
  const x = g.input('obs', ['batch', 5], 'int64');
  const f = g.op('Cast', [x], { to: { type: 'int', value: 1 } });
  const w = g.constant('W', [5, 2], new Float32Array(10).fill(0.1));
  g.op('MatMul', [f, w], undefined, 'logits');
  g.output('logits', ['batch', 2]);
  return encodeModel({ graph: g.graph() });
}

function nanModel(): Uint8Array {
  const g = new GraphBuilder('nan-logits');
  const x = g.input('obs', ['batch', 5]);
  const w = g.constant('W', [5, 2], new Float32Array(10).fill(Number.NaN));
  g.op('MatMul', [x, w], undefined, 'logits');
  g.output('logits', ['batch', 2]);
  return encodeModel({ graph: g.graph() });
}

test('errors: missing file, corrupt bytes, wrong inputs, int64 inputs, NaN logits, bad options', async (t) => {
  t.throws(() => onnx('/no/such/model.onnx'), { code: 'ERR_MODEL_LOAD', message: /no\/such\/model/ });
  t.throws(() => onnx(new Uint8Array([8, 1, 2, 3, 250, 255])), { code: 'ERR_MODEL_LOAD' });
  t.throws(() => onnx(new Uint8Array(0)), { code: 'ERR_MODEL_LOAD' });
  t.throws(() => onnx(gru.bytes.subarray(0, gru.bytes.length >> 1)), { code: 'ERR_MODEL_LOAD' });
  t.throws(() => onnx(42 as never), { code: 'ERR_INVALID_ARGUMENT' });
  t.throws(() => onnx(gru.bytes, { obsInput: 'observation' }), { code: 'ERR_MODEL_INPUTS', message: /observation/ });
  t.throws(() => onnx(gru.bytes, { state: [['h', 'nope']] }), { code: 'ERR_MODEL_INPUTS', message: /nope/ });
  t.throws(() => onnx(gru.bytes, { colour: 1 } as never), { code: 'ERR_INVALID_ARGUMENT', message: /colour/ });
  t.throws(() => onnx(int64InputModel()), { code: 'ERR_MODEL_TYPE', message: /'obs' is int64; expected float32/ });
  const wide = onnx(mlpPolicy({ obsDim: 7, actions: 2, seed: 1 }).bytes);
  await t.throwsAsync(rollout({ game: 'ipd', policies: [wide, 'tit-for-tat'], batch: 2 }), {
    code: 'ERR_MODEL_SHAPE',
    message: /'obs' dimension 1 is 7 but game 'ipd' gives agent 0 5 observation values/,
  });
  const threeActions = onnx(mlpPolicy({ obsDim: 5, actions: 3, seed: 1 }).bytes);
  await t.throwsAsync(rollout({ game: 'ipd', policies: ['tit-for-tat', threeActions], batch: 2 }), {
    code: 'ERR_MODEL_SHAPE',
    message: /'logits' dimension 1 is 3 but game 'ipd' has 2 actions/,
  });
  await t.throwsAsync(rollout({ game: 'ipd', policies: [onnx(nanModel()), 'tit-for-tat'], batch: 4 }), {
    code: 'ERR_MODEL_OUTPUT',
    message: /non-finite/,
  });
  await t.throwsAsync(rollout({ game: 'ipd', policies: [onnx(gru.bytes), 'tit-for-tat'], batch: 4, temperature: 0 }), {
    code: 'ERR_INVALID_ARGUMENT',
    message: /temperature/,
  });
});

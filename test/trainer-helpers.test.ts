/** Helpers for custom trainers, checked against plain loops written here. */
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { agentView, trajectoryRows } from '../src/trajectory-views.js';
import { trajectoryCredits } from '../src/trajectory-credits.js';
import { credit } from '../src/credit.js';
import { loss } from '../src/loss.js';
import { fromNpy, toNpy } from '../src/npy.js';
import { rollout } from '../src/rollout.js';
import { scripted } from '../src/policies.js';
import { trainableMlp } from '../src/trainable-policy.js';

const traj = () => rollout({ game: 'ipd', policies: [scripted('random', { p: 0.5 }), scripted('tit-for-tat')], batch: 6, steps: 4, seed: 3, groups: { size: 3 } });

test('agentView and trajectoryRows de-interleave [B, T, A] with padding as action 0, mask 0', async (t) => {
  const tr = await traj();
  const { batch: B, steps: T, agents: A } = tr;
  tr.actions[A * 5] = -1; // a padding row as after an episode's end
  tr.mask[5] = 0;
  const v = agentView(tr, 1);
  for (let i = 0; i < B * T; i++) {
    t.is(v.rewards[i], tr.rewards[i * A + 1]);
    t.is(v.actions[i], tr.mask[i] ? tr.actions[i * A + 1] : 0);
  }
  const r = trajectoryRows(tr);
  t.is(r.rows, A * B * T);
  t.is(r.actions[5], 0);
  t.is(r.mask[5], 0);
  t.is(r.weights[5], 0);
  t.is(r.actions[B * T + 3], tr.actions[3 * A + 1]);
  t.deepEqual(Array.from(r.observations.subarray((B * T + 2) * tr.obsDim, (B * T + 3) * tr.obsDim)), Array.from(tr.observations.subarray((2 * A + 1) * tr.obsDim, (2 * A + 2) * tr.obsDim)));
});

test('leaveOneOut refuses groups of one unless asked, naming the fix', (t) => {
  const v = Float32Array.from([1, 2, 3]);
  t.throws(() => credit.leaveOneOut(v, { batch: 3, steps: 1, groups: [0, 1, 2] }), { code: 'ERR_INVALID_ARGUMENT', message: /groups: \{ size: k \}/ });
  t.deepEqual(Array.from(credit.leaveOneOut(v, { batch: 3, steps: 1, groups: [0, 1, 2], singletons: 'keep' })), [1, 2, 3]);
});

test('trajectoryCredits equals a hand-written recipe (naive, sum, aa)', async (t) => {
  const tr = await traj();
  const { batch: B, steps: T, agents: A } = tr;
  const gamma = 0.9, beta = 2;
  // Independent: returns by a backward loop, leave-one-out by group means.
  const ret = (r: number[]) => { const g = r.slice(); for (let b = 0; b < B; b++) for (let s = T - 2; s >= 0; s--) g[b * T + s] += gamma * g[b * T + s + 1]; return g; };
  const loo = (g: number[]) => g.map((x, i) => {
    const b = Math.floor(i / T), s = i % T, grp = tr.groups[b];
    let sum = 0, n = 0;
    for (let c = 0; c < B; c++) if (c !== b && tr.groups[c] === grp) { sum += g[c * T + s]; n++; }
    return x - sum / n;
  });
  const rew = (a: number) => Array.from({ length: B * T }, (_, i) => tr.rewards[i * A + a]);
  const adv = [0, 1].map((a) => loo(ret(rew(a))));
  const close = (got: Float32Array, want: number[]) => want.forEach((w, i) => t.true(Math.abs(got[i] - w) <= 1e-4 * (1 + Math.abs(w)), `${i}: ${got[i]} vs ${w}`));
  close(trajectoryCredits(tr, { method: 'naive', gamma }).perAgent[0], adv[0]);
  close(trajectoryCredits(tr, { method: 'sum', gamma }).perAgent[1], loo(ret(rew(0).map((x, i) => x + rew(1)[i]))));
  const aa = adv[0].map((x, i) => {
    const b = Math.floor(i / T), s = i % T;
    let w = 0;
    // A*_t = A¹_t + β·γ·(Σ_{k<t} γ^{t−k} A¹_k)·A²_t, the documented (leading γ) form.
    for (let k = 0; k < s; k++) w += gamma ** (s - k) * adv[0][b * T + k];
    return x + beta * gamma * w * adv[1][i];
  });
  const got = trajectoryCredits(tr, { method: 'aa', gamma, beta });
  close(got.perAgent[0], aa);
  t.is(got.rows.length, A * B * T);
  t.throws(() => trajectoryCredits({ ...tr, groups: Uint32Array.from({ length: B }, (_, i) => i) }, { method: 'naive', gamma }), { message: /alone in a group/ });
});

test('loss temperature: gradient equals a finite-difference of the tempered loss', (t) => {
  const tau = 0.5, z = Float32Array.from([0.3, -0.2, 1.1, 0.4]), actions = Int32Array.from([0, 1]), credits = Float32Array.from([1.5, -0.7]);
  const behaviorLogProbs = Float32Array.from([-0.4, -1.2]);
  const lossOf = (zz: number[]) => {
    // REINFORCE with capped detached ratio, independent float64: ratio fixed at the unperturbed logits.
    let s = 0;
    for (let i = 0; i < 2; i++) {
      const a = zz[2 * i] / tau, b = zz[2 * i + 1] / tau, m = Math.max(a, b), lse = m + Math.log(Math.exp(a - m) + Math.exp(b - m));
      const lp = (actions[i] === 0 ? a : b) - lse;
      const a0 = z[2 * i] / tau, b0 = z[2 * i + 1] / tau, m0 = Math.max(a0, b0), lp0 = (actions[i] === 0 ? a0 : b0) - (m0 + Math.log(Math.exp(a0 - m0) + Math.exp(b0 - m0)));
      s += -credits[i] * Math.min(Math.exp(lp0 - behaviorLogProbs[i]), 2) * lp;
    }
    return s / 2;
  };
  const r = loss.policyGradient({ logits: z, actions, credits, actionsCount: 2, behaviorLogProbs, temperature: tau });
  t.true(Math.abs(r.loss - lossOf(Array.from(z))) < 1e-5);
  for (let k = 0; k < 4; k++) {
    const up = Array.from(z), dn = Array.from(z);
    up[k] += 1e-4; dn[k] -= 1e-4;
    t.true(Math.abs(r.gradLogits[k] - (lossOf(up) - lossOf(dn)) / 2e-4) < 1e-4, `grad ${k}`);
  }
});

test('npy: header by the format spec, round trip, zero copy when aligned', (t) => {
  const a = Float32Array.from([1, 2, 3, 4, 5, 6]);
  const bytes = toNpy(a, [2, 3]);
  t.is(bytes.length % 64, 24 % 64);
  t.is(String.fromCharCode(...bytes.subarray(1, 6)), 'NUMPY');
  const header = new TextDecoder().decode(bytes.subarray(10, 10 + (bytes[8] | (bytes[9] << 8))));
  t.is(header.trim(), "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }");
  const back = fromNpy(bytes);
  t.deepEqual(back.shape, [2, 3]);
  t.is(back.data.buffer, bytes.buffer);
  t.deepEqual(Array.from(back.data as Float32Array), Array.from(a));
  t.deepEqual(fromNpy(toNpy(Int32Array.from([-1, 7]))).data, Int32Array.from([-1, 7]));
  t.throws(() => toNpy(a, [4]), { code: 'ERR_INVALID_ARGUMENT', message: /shape/ });
});

test('trainableMlp: torch layout [out, in] checked by shape; setWeights changes the policy in place', async (t) => {
  const p = trainableMlp({ obsDim: 5, actions: 2, hidden: [3], layout: 'torch' });
  t.teardown(() => p.dispose());
  const W0 = { data: new Float32Array(15), shape: [3, 5] }, W1 = { data: new Float32Array(6), shape: [2, 3] };
  t.throws(() => p.setWeights([{ data: W0.data, shape: [5, 3] }, new Float32Array(3), W1, Float32Array.from([0, 0])]), { code: 'ERR_INVALID_ARGUMENT', message: /transposed: pass layout 'onnx'/ });
  // Bias 0 favours action 0 by 5 nats: nearly always action 0, log-prob −log(1 + e^−5).
  p.setWeights([W0, new Float32Array(3), W1, Float32Array.from([5, 0])]);
  const tr = await rollout({ game: 'ipd', policies: [p, p], batch: 8, seed: 1 });
  t.true(Math.abs(tr.logProbs[0] - -Math.log(1 + Math.exp(-5))) < 1e-6 || tr.actions[0] === 1);
  p.setWeights(Float32Array.from({ length: p.parameterCount }, (_, i) => (i === p.parameterCount - 1 ? 5 : 0)));
  const tr2 = await rollout({ game: 'ipd', policies: [p, p], batch: 8, seed: 1 });
  t.true(tr2.actions.filter((a) => a === 1).length > 12);
});

const python = process.env.DILEMMA_PYTHON ?? 'python3';
const hasTorch = spawnSync(python, ['-c', 'import torch'], { encoding: 'utf8' }).status === 0;
(hasTorch ? test : test.skip)(`examples/pytorch-trainer/loop.ts: AA cooperates, naive defects${hasTorch ? '' : ` (skipped: ${python} cannot import torch; set DILEMMA_PYTHON)`}`, (t) => {
  const run = (m: string) => spawnSync(process.execPath, ['--import', 'tsx', join(import.meta.dirname, '..', 'examples', 'pytorch-trainer', 'loop.ts'), m, '1', '100'], { encoding: 'utf8', env: { ...process.env, DILEMMA_PYTHON: python } });
  const aa = run('aa'), naive = run('naive');
  const coop = (s: string) => Number(/final cooperation ([\d.]+)%/.exec(s)?.[1]);
  t.true(coop(aa.stdout) >= 95, aa.stdout + aa.stderr);
  t.true(coop(naive.stdout) <= 5, naive.stdout + naive.stderr);
});

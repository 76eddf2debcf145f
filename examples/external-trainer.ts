/**
 * Embedding the engine's credit and loss in an external trainer (e.g. a
 * PyTorch LLM trainer) through files: the engine plays a batch, computes
 * Advantage Alignment credits with the group-relative baseline, and writes
 * the arrays an external model needs; the external side returns its logits;
 * the engine returns the loss and d(loss)/d(logits) for its backward pass.
 *
 *   node --import tsx examples/external-trainer.ts [folder]
 *
 * Files are raw little-endian arrays (.f32 = float32, .i32 = int32, .u8 =
 * uint8) with shapes in manifest.json: numpy.fromfile(path, dtype).reshape(shape).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { credit, loss, rollout, scripted } from '@dilemma/engine';

const dir = process.argv[2] ?? join(tmpdir(), 'dilemma-external');
mkdirSync(dir, { recursive: true });
const raw = (name: string, a: Float32Array | Int32Array | Uint8Array) => writeFileSync(join(dir, name), new Uint8Array(a.buffer, a.byteOffset, a.byteLength));

// 1. Play: 256 episodes in groups of 8 sharing the environment's random numbers.
const B = 256, G = 8;
const t = await rollout({ game: { id: 'ipd', params: { noise: 0.05 } }, policies: [scripted('random', { p: 0.6 }), scripted('tit-for-tat')], batch: B, seed: 3, groups: { size: G } });
const T = t.steps, A = t.agents;
const seat = (a: ArrayLike<number>, k: number, C: typeof Float32Array | typeof Int32Array | typeof Uint8Array) => {
  const out = new C(B * T);
  for (let i = 0; i < B * T; i++) out[i] = a[i * A + k];
  return out;
};

// 2. Credits for agent 0: returns, leave-one-out within groups, Advantage Alignment against agent 1.
const groups = Int32Array.from(t.groups);
const advantage = (k: number) =>
  credit.leaveOneOut(credit.discountedReturns(seat(t.rewards, k, Float32Array) as Float32Array, { batch: B, steps: T, gamma: 0.96 }), { batch: B, steps: T, groups });
const credits = credit.advantageAlignment({ own: advantage(0), others: advantage(1), batch: B, steps: T, beta: 2, gamma: 0.96 });

const actions = seat(t.actions, 0, Int32Array) as Int32Array;
const behavior = seat(t.logProbs, 0, Float32Array) as Float32Array;
raw('actions.i32', actions);
raw('credits.f32', credits);
raw('mask.u8', t.mask);
raw('behavior_logp.f32', behavior);
writeFileSync(
  join(dir, 'manifest.json'),
  JSON.stringify({ rows: B * T, actions: 2, files: { 'actions.i32': [B * T], 'credits.f32': [B * T], 'mask.u8': [B * T], 'behavior_logp.f32': [B * T], 'logits.f32': [B * T, 2] } }, null, 2),
);

// 3. The external model writes its logits (here: a stand-in that reproduces the behaviour policy's log-probabilities).
const logits = new Float32Array(B * T * 2);
for (let i = 0; i < B * T; i++) {
  logits[2 * i] = Math.log(0.6);
  logits[2 * i + 1] = Math.log(0.4);
}
raw('logits.f32', logits);

// 4. Loss and gradient with respect to the logits, written back for the external backward pass.
const fromFile = new Float32Array(new Uint8Array(readFileSync(join(dir, 'logits.f32'))).buffer);
const result = loss.policyGradient({
  logits: fromFile,
  actions,
  credits,
  mask: t.mask,
  shape: { rows: B * T, actions: 2 },
  behaviorLogProbs: behavior,
  entropyCoef: 0.01,
});
raw('grad_logits.f32', result.gradLogits);
console.log(`wrote ${dir}: loss ${result.loss.toFixed(5)}, entropy ${result.entropy.toFixed(4)}, |credit| mean ${(credits.reduce((s, c) => s + Math.abs(c), 0) / credits.length).toFixed(4)}`);
console.log('in PyTorch: logits.backward(torch.from_numpy(numpy.fromfile("grad_logits.f32", "float32").reshape(-1, 2)))');

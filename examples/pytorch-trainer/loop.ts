/**
 * Training a PyTorch policy with the engine: the engine rolls out, assigns
 * credit (Advantage Alignment or naive) and computes d(loss)/d(logits);
 * PyTorch (train.py, a child process) runs logits.backward and Adam; the new
 * weights go back with setWeights, no re-export.
 *
 *   node --import tsx examples/pytorch-trainer/loop.ts [aa|naive] [seed] [iterations] [native|onnx]
 *
 * Expected: 'aa' self-play cooperates (≥ 95% of moves) and 'naive' defects
 * (≤ 5%) within 100 iterations. Python: $DILEMMA_PYTHON, default python3.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { actionRate, loss, onnx, rollout, trainableMlp, trajectoryCredits, trajectoryRows } from '@dilemma/engine';

const method = (process.argv[2] ?? 'aa') as 'aa' | 'naive';
const seed = Number(process.argv[3] ?? 1);
const iterations = Number(process.argv[4] ?? 100);
const route = (process.argv[5] ?? 'native') as 'native' | 'onnx';
const py = spawn(process.env.DILEMMA_PYTHON ?? 'python3', [join(import.meta.dirname, 'train.py'), String(seed), process.env.LR ?? '0.03'], {
  stdio: ['pipe', 'pipe', 'inherit'],
});

// Reads length-prefixed float32 frames from the child.
let pending = Buffer.alloc(0);
const waiting: Array<(b: Float32Array) => void> = [];
py.stdout.on('data', (chunk: Buffer) => {
  pending = Buffer.concat([pending, chunk]);
  while (pending.length >= 4 && pending.length >= 4 + pending.readUInt32LE(0) && waiting.length) {
    const n = pending.readUInt32LE(0);
    const frame = new Float32Array(new Uint8Array(pending.subarray(4, 4 + n)).buffer);
    pending = pending.subarray(4 + n);
    waiting.shift()!(frame);
  }
});
const receive = () =>
  new Promise<Float32Array>((resolve) => {
    waiting.push(resolve);
    py.stdout.emit('data', Buffer.alloc(0));
  });
const send = (a: Float32Array) => {
  const head = Buffer.alloc(4);
  head.writeUInt32LE(a.byteLength);
  py.stdin.write(Buffer.concat([head, new Uint8Array(a.buffer, a.byteOffset, a.byteLength)]));
};

// 'native' runs the engine's own MLP; 'onnx' runs models.py's export of the same nn.Sequential in ONNX Runtime,
// its weights written in place each iteration (onnx(..., { trainable: true })).
const initial = await receive();
const policy =
  route === 'onnx'
    ? onnx(join(import.meta.dirname, '..', '..', 'test', 'fixtures', 'pytorch', 'mlp.onnx'), { trainable: true })
    : trainableMlp({ obsDim: 5, actions: 2, hidden: [16], layout: 'torch', weights: initial });
// Both take parameters_to_vector's flat order: the export keeps nn.Linear's [out, in] (Gemm with transB).
policy.setWeights(initial);
const batch = 64;
let rate = 0;
// Milliseconds spent per phase, summed over iterations.
const spent = { rollout: 0, rowsCredits: 0, torchForward: 0, gradient: 0, torchBackward: 0, setWeights: 0 };
let mark = performance.now();
const lap = (phase: keyof typeof spent) => {
  const now = performance.now();
  spent[phase] += now - mark;
  mark = now;
};
const t0 = performance.now();
for (let it = 0; it < iterations; it++) {
  mark = performance.now();
  const t = await rollout({ game: 'ipd', policies: [policy, policy], batch, seed: seed * 100003 + it, threads: 1 });
  lap('rollout');
  const rows = trajectoryRows(t);
  const credits = trajectoryCredits(t, { method, gamma: 0.9, beta: 3, baseline: 'batch' }).rows;
  lap('rowsCredits');
  send(rows.observations);
  const logits = await receive();
  lap('torchForward');
  const g = loss.policyGradient({ logits, actions: rows.actions, credits, mask: rows.mask, actionsCount: 2 });
  lap('gradient');
  send(g.gradLogits);
  const weights = await receive();
  lap('torchBackward');
  policy.setWeights(weights);
  lap('setWeights');
  rate = (actionRate(t)[0] + actionRate(t)[1]) / 2;
  if (it % 10 === 9 || it === iterations - 1) console.log(`${method} iteration ${it + 1}: cooperation ${(100 * rate).toFixed(1)}%`);
}
const ms = (performance.now() - t0) / iterations;
py.stdin.end();
policy.dispose();
console.log(`${method} seed ${seed} (${route}): final cooperation ${(100 * rate).toFixed(1)}%, ${ms.toFixed(2)} ms per iteration`);
console.log(`  ms per iteration by phase: ${Object.entries(spent).map(([k, v]) => `${k} ${(v / iterations).toFixed(2)}`).join(', ')}`);

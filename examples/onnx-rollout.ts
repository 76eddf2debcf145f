/**
 * An ONNX GRU policy (written by the engine's ONNX writer, no Python) playing
 * the IPD inside the native rollout loop, against itself and tit-for-tat.
 *
 *   node --import tsx examples/onnx-rollout.ts [model.onnx]
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { actionRate, engineInfo, gruPolicy, inspectOnnx, meanReturns, onnx, rollout } from '@dilemma/engine';

if (!engineInfo().onnx.available) {
  console.log(`ONNX policies are unavailable here: ${engineInfo().onnx.reason}`);
  process.exit(0);
}
const path = process.argv[2] ?? join(tmpdir(), 'dilemma-gru-policy.onnx');
if (!process.argv[2]) writeFileSync(path, gruPolicy({ obsDim: 5, actions: 2, hidden: 16, seed: 3 }).bytes);
console.log(`${path}:`, JSON.stringify(inspectOnnx(path)));

const policy = onnx(path);
for (const opponent of [policy, 'tit-for-tat'] as const) {
  const start = performance.now();
  const t = await rollout({ game: { id: 'ipd', params: { rounds: 50 } }, policies: [policy, opponent], batch: 4096, seed: 1 });
  const ms = performance.now() - start;
  const steps = t.batch * t.steps;
  console.log(
    `vs ${typeof opponent === 'string' ? opponent : 'itself'}: payoff ${[...meanReturns(t)].map((x) => x.toFixed(2)).join(' / ')},` +
      ` cooperation ${[...actionRate(t)].map((x) => (100 * x).toFixed(1)).join('% / ')}%,` +
      ` ${(steps / ms / 1000).toFixed(2)} M env steps/s`,
  );
}
policy.dispose();

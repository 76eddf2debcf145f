/**
 * The ONNX models the C++ tests load, written by the package's own writer.
 * `node --import tsx native/tests/data/models.ts` rewrites the .onnx files;
 * test/fixtures.test.ts checks that the committed files are what it writes.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gruPolicy, mlpPolicy } from '../../../src/onnx-writer/index.js';

/** logits = obs · W + b with W[i][0] = (i + 1) / 10, W[i][1] = -(i + 1) / 10, b = (0.5, -0.5). */
export function linearModel(): Uint8Array {
  const W0 = new Float32Array(10);
  for (let i = 0; i < 5; i++) {
    W0[2 * i] = (i + 1) / 10;
    W0[2 * i + 1] = -(i + 1) / 10;
  }
  return mlpPolicy({ obsDim: 5, actions: 2, hidden: [], weights: { W0, b0: Float32Array.of(0.5, -0.5) } }).bytes;
}

export function gruModel(): Uint8Array {
  return gruPolicy({ obsDim: 5, actions: 2, hidden: 8, seed: 11 }).bytes;
}

export const models: Record<string, () => Uint8Array> = {
  'linear_policy.onnx': linearModel,
  'gru_policy.onnx': gruModel,
};

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  for (const [name, make] of Object.entries(models)) {
    writeFileSync(new URL(`./${name}`, import.meta.url), make());
    console.log(`wrote native/tests/data/${name}`);
  }
}

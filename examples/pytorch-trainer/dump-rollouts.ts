/**
 * Rolls each named model of a folder out on the IPD in self-play (seed 7)
 * and writes its observations and sampled actions as .npy, for models.py to
 * compute PyTorch's log-probabilities of the same actions.
 *
 *   node --import tsx examples/pytorch-trainer/dump-rollouts.ts FOLDER NAME...
 */
import { join } from 'node:path';
import { onnx, rollout, writeNpy } from '@dilemma/engine';

const [folder, ...names] = process.argv.slice(2);
for (const name of names) {
  const policy = onnx(join(folder, `${name}.onnx`));
  const t = await rollout({ game: 'ipd', policies: [policy, policy], batch: 16, seed: 7 });
  writeNpy(join(folder, `${name}.observations.npy`), t.observations, [t.batch, t.steps, t.agents, t.obsDim]);
  writeNpy(join(folder, `${name}.actions.npy`), t.actions, [t.batch, t.steps, t.agents]);
  policy.dispose();
}

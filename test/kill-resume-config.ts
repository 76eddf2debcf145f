/** The training run that test/kill-resume.test.ts interrupts (shared with its child). */
import type { TrainConfig } from '../src/index.js';

export const KILL_RESUME_CONFIG: TrainConfig = {
  game: { id: 'ipd' },
  policy: { kind: 'mlp', hidden: [32] },
  algorithm: 'advantage-alignment',
  iterations: 40,
  batch: 1024,
  seed: 17,
  bufferProbability: 0.5,
  bufferSize: 6,
  lrSchedule: 'linear',
};

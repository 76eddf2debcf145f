/**
 * The engine's side of the training benchmarks: Advantage Alignment
 * self-play with the hyperparameters the plain baseline uses too.
 */
import type { TrainConfig } from '../src/train.js';

/** Discount, alignment weight and learning rate, shared by both sides of a training benchmark. */
export interface SelfPlaySettings {
  gamma: number;
  beta: number;
  lr: number;
}

export function selfPlayConfig(
  game: TrainConfig['game'],
  policy: TrainConfig['policy'],
  settings: SelfPlaySettings,
  batch: number,
  seed: number,
  threads?: number,
): TrainConfig {
  return {
    game,
    algorithm: 'advantage-alignment',
    policy,
    batch,
    seed,
    ...settings,
    // Constant learning rate however long the timing runs.
    iterations: 1e9,
    ...(threads === undefined ? {} : { threads }),
  };
}

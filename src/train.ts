/**
 * Training in the engine: naive policy gradient, Advantage Alignment and
 * sum-of-rewards self-play, with checkpoints that resume bit-identically.
 * The parts live in src/train/: the config (config.ts), the Trainer handle
 * (trainer.ts), the checkpoint format (checkpoint.ts), ONNX export
 * (export.ts), policies from parameters (policy.ts) and the loop (loop.ts).
 */
export { ALGORITHMS, trainConfigSchema, type Algorithm, type ModelSpec, type ResolvedTrainConfig, type TrainConfig } from './train/config.js';
export { TRAIN_AUTO_CUDA_MIN_AGENT_STEPS, Trainer, type FitData, type FitMetrics, type IterationMetrics } from './train/trainer.js';
export type { TrainerState } from './trainer-state.js';
export { readCheckpoint } from './train/checkpoint.js';
export { exportModelOnnx } from './train/export.js';
export { loadPolicy, modelPolicy } from './train/policy.js';
export { train, type TrainOptions, type TrainResult } from './train/loop.js';

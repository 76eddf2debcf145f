/**
 * Training in the engine: naive policy gradient, Advantage Alignment and
 * sum-of-rewards self-play, with checkpoints that resume bit-identically.
 * The parts live in src/train/: the config (config.ts), the Trainer handle
 * (trainer.ts) with what it reports (metrics.ts), the checkpoint format (checkpoint.ts), ONNX export
 * (export.ts), policies from parameters (policy.ts), the loop (loop.ts)
 * and the native trainer's typed surface (binding.ts).
 */
export { ALGORITHMS, trainConfigSchema, type Algorithm, type ModelSpec, type ResolvedTrainConfig, type TrainConfig } from './train/config.js';
export { TRAIN_AUTO_CUDA_MIN_AGENT_STEPS, Trainer } from './train/trainer.js';
export type { FitData, FitMetrics, IterationMetrics } from './train/metrics.js';
export type { TrainerState } from './trainer-state.js';
export { readCheckpoint } from './train/checkpoint.js';
export { exportModelOnnx } from './train/export.js';
export { loadPolicy, modelPolicy } from './train/policy.js';
export { train, type TrainOptions, type TrainResult } from './train/loop.js';

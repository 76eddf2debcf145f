/**
 * Frozen policies from trained parameters: a model spec with its flat
 * parameters, or the policy a checkpoint holds.
 */
import { Game } from '../games.js';
import { Policy } from '../policies.js';
import { parseParams } from '../schema.js';
import { nativeModelPolicy } from './binding.js';
import { readCheckpoint } from './checkpoint.js';
import { modelSchema, nativeModel, trainConfigSchema, type ModelSpec } from './config.js';

/** A policy from a model spec and its flat parameters (e.g. a checkpoint's). */
export function modelPolicy(
  spec: ModelSpec,
  info: { obsDim: number; actions: number },
  params: Float32Array,
  label: string = spec.kind,
): Policy {
  const { kind, params: modelParams } = nativeModel(parseParams(modelSchema, spec, 'spec'));
  return new Policy(label, {}, nativeModelPolicy(kind, info, modelParams, params, label));
}

/** The trained policy stored in a checkpoint. */
export function loadPolicy(path: string, label?: string, param?: string): Policy {
  const { config, state } = readCheckpoint(path, param);
  const c = parseParams(trainConfigSchema, config, 'checkpoint.config');
  const game = new Game(c.game.id, c.game.params ?? {});
  try {
    return modelPolicy(c.policy, game.info, state.params, label ?? `${c.algorithm}@${state.iteration}`);
  } finally {
    game.dispose();
  }
}

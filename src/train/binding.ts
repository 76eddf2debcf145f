/**
 * The native trainer's calls (types in src/binding/types.ts): the other files
 * of src/train reach the addon only through these.
 */
import { isDilemmaError } from '../errors.js';
import { native, type NativeGame, type NativePolicy } from '../native.js';
import type { NativeTrainer, NativeTrainerSpecs } from '../binding/types.js';

export type { NativeTrainer, NativeTrainerSpecs } from '../binding/types.js';

const binding = () => native();

/** A native trainer over a game with a config as the addon takes it (models as { kind, params }). */
export function newNativeTrainer(game: NativeGame, config: Record<string, unknown>, gpu: 'cuda' | 'auto' | undefined): NativeTrainer {
  return new (binding().Trainer)(game, config, gpu);
}

/** The native specs of the trainer's settings and the model kinds (what src/generated/trainer-params.ts holds). */
export function trainerParamSpecs(): NativeTrainerSpecs {
  return binding().Trainer.paramSpecs();
}

/**
 * The core's reading of a config's scalar settings (their ranges and the
 * rules between them): undefined when it passes, else the core's message.
 */
export function checkTrainerSettings(config: Record<string, unknown>): string | undefined {
  try {
    binding().Trainer.checkConfig(config);
    return undefined;
  } catch (e) {
    if (isDilemmaError(e)) return e.message;
    throw e;
  }
}

/** A frozen policy of a model kind with the given flat parameters. */
export function nativeModelPolicy(
  kind: string,
  info: { obsDim: number; actions: number },
  modelParams: Record<string, unknown>,
  params: Float32Array,
  label: string,
): NativePolicy {
  return binding().modelPolicy(kind, info.obsDim, info.actions, modelParams, params, label);
}

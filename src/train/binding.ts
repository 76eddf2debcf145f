/**
 * The native trainer's surface, typed once: the Trainer class, its static
 * spec and check functions, and modelPolicy. The other files of src/train
 * reach the addon only through these.
 */
import { isDilemmaError } from '../errors.js';
import { native, type NativeGame, type NativePolicy } from '../native.js';
import type { ParamSpec } from '../schema.js';
import type { TrainerState } from '../trainer-state.js';
import type { FitData, FitMetrics, IterationMetrics } from './metrics.js';

/** One native trainer. */
export interface NativeTrainer {
  iterate(): Promise<Omit<IterationMetrics, 'seconds'>>;
  /** Iterations done, without copying the state. */
  iteration(): number;
  fitActions(data: FitData): Promise<FitMetrics>;
  state(): TrainerState;
  restore(state: TrainerState): void;
  policy(label?: string): NativePolicy;
  info(): { numParams: number; stateSize: number; kind: string; statNames: string[]; device: 'cpu' | 'cuda' };
  dispose(): void;
}

/** The specs of the trainer's settings and of each model kind's parameters. */
export interface NativeTrainerSpecs {
  config: ParamSpec[];
  models: Array<{ kind: string; params: ParamSpec[] }>;
}

interface TrainerClass {
  new (game: NativeGame, config: Record<string, unknown>, gpu?: 'cuda' | 'auto'): NativeTrainer;
  paramSpecs(): NativeTrainerSpecs;
  checkConfig(config: Record<string, unknown>): void;
}

interface TrainerBinding {
  Trainer: TrainerClass;
  modelPolicy(kind: string, obsDim: number, actions: number, modelParams: Record<string, unknown>, params: Float32Array, label: string): NativePolicy;
}

const binding = (): TrainerBinding => native() as unknown as TrainerBinding;

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

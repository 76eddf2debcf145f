/**
 * The training config: its zod schema, built from the native core's specs
 * of the trainer's settings and of each model kind (the generated
 * src/generated/trainer-params.ts), so that no default, range or choice is
 * written here. The rules between settings (groupSize ≤ batch) are the
 * core's too: the schema asks the binding to check them.
 */
import { z } from 'zod';
import { GAME_IDS, type GameId } from '../games.js';
import {
  MODEL_PARAM_SPECS,
  TRAINER_CHOICES,
  TRAINER_PARAM_SPECS,
  type ModelConfig,
  type ResolvedTrainerSettings,
  type TrainerSettings,
} from '../generated/trainer-params.js';
import { paramSchema, type ParamSpec } from '../schema.js';
import { checkTrainerSettings } from './binding.js';

/** A member per spec: optional, with the spec's default where it has one. */
function settingsShape(specs: readonly ParamSpec[], withDefaults: boolean): Record<string, z.ZodType> {
  return Object.fromEntries(
    specs.map((s) => {
      const member = paramSchema(s) as z.ZodOptional<z.ZodType>;
      return [s.name, withDefaults && s.default !== undefined ? member.default(s.default as never) : member];
    }),
  );
}

/** A trainable model: `tabular`, `mlp` or `gru` (see {@link modelLayout} for each one's parameter layout). */
const modelUnion = z.discriminatedUnion(
  'kind',
  MODEL_PARAM_SPECS.map((m) => z.object({ kind: z.literal(m.kind), ...settingsShape(m.params, false) }).strict()) as unknown as [
    z.ZodObject,
    ...z.ZodObject[],
  ],
);

/**
 * A policy or critic architecture: `{ kind: 'tabular', blocks? }`, `{ kind: 'mlp', hidden?, activation? }` or `{ kind: 'gru', hidden? }`.
 *
 * @useDeclaredType
 */
export type ModelSpec = Expand<ModelConfig>;

// A union's members as plain object types, so that the documented type shows
// their fields rather than the generated interfaces' names.
type Expand<T> = T extends unknown ? { [K in keyof T]: T[K] } : never;

/** The schema of a {@link ModelSpec}. */
export const modelSchema = modelUnion as unknown as z.ZodType<ModelSpec, ModelSpec>;

/** The training algorithms, in the order `dilemma` lists them. */
export const ALGORITHMS = TRAINER_CHOICES.algorithm;
/** `'naive'` (independent policy gradient), `'advantage-alignment'` or `'sum-of-rewards'` (prosocial). */
export type Algorithm = (typeof ALGORITHMS)[number];

/** What a config holds besides the trainer's scalar settings. */
interface TrainConfigParts {
  /** Game id and parameters. Default the IPD (10 rounds). */
  game?: {
    /** One of {@link GAME_IDS}. */
    id: GameId;
    /** The game's parameters (see {@link GameParamsById}); default its defaults. */
    params?: Record<string, unknown>;
  };
  /** The policy network: tabular (a logit row per observation), mlp or gru. Default `{ kind: 'tabular' }`. */
  policy?: ModelSpec;
  /** The value model for baseline 'critic' (default: the policy's architecture). */
  critic?: ModelSpec;
  /**
   * Where iterations run: 'cuda' on the CUDA device trainer, which covers
   * iterated 2x2 games with a tabular policy in self-play, a leave-one-out
   * baseline, no credit whitening and no snapshot buffer (anything else, or
   * no usable GPU, is refused with ERR_BACKEND_UNAVAILABLE saying why);
   * 'auto' (default: the engine's, see setGpu) there too when it covers the
   * config, a GPU is usable and an iteration has at least
   * {@link TRAIN_AUTO_CUDA_MIN_AGENT_STEPS} agent-steps, else on the CPU;
   * false on the CPU. The device agrees with the CPU within the CUDA
   * parity tolerance, not bit for bit.
   */
  gpu?: 'auto' | 'cuda' | false;
}

/**
 * A training config as given: every field optional (defaults in {@link trainConfigSchema}).
 *
 * @useDeclaredType
 */
export type TrainConfig = TrainConfigParts & TrainerSettings;

/**
 * A training config with every default filled in, as {@link Trainer.config} holds it.
 *
 * @useDeclaredType
 */
export type ResolvedTrainConfig = Omit<TrainConfigParts, 'game' | 'policy'> &
  Required<Pick<TrainConfigParts, 'game' | 'policy'>> &
  ResolvedTrainerSettings;

// Settings named in a core refusal ("config.groupSize must ..."): the issue's path.
const SETTING = /^config\.(?<key>[A-Za-z]+)\s/;

// The members in the order a resolved config lists them (checkpoints and
// run folders store it as JSON): the models beside the settings they go with.
function configShape(): Record<string, z.ZodType> {
  const settings = settingsShape(TRAINER_PARAM_SPECS, true);
  const shape: Record<string, z.ZodType> = {
    game: z
      .object({ id: z.enum(GAME_IDS as [GameId, ...GameId[]]), params: z.record(z.string(), z.unknown()).optional() })
      .strict()
      .default({ id: 'ipd' }),
  };
  for (const [name, member] of Object.entries(settings)) {
    shape[name] = member;
    if (name === 'algorithm') shape.policy = modelUnion.default({ kind: 'tabular' });
    if (name === 'baseline') shape.critic = modelUnion.optional();
  }
  shape.gpu = z.union([z.literal('auto'), z.literal('cuda'), z.literal(false)]).optional();
  return shape;
}

/** Every training option with its default. */
export const trainConfigSchema = z
  .object(configShape())
  .strict()
  .superRefine((config, ctx) => {
    const refusal = checkTrainerSettings(config);
    if (refusal === undefined) return;
    const key = SETTING.exec(refusal)?.groups?.key;
    ctx.addIssue({ code: 'custom', message: refusal.replace(/^config\./, ''), path: key ? [key] : [] });
  }) as unknown as z.ZodType<ResolvedTrainConfig, TrainConfig>;

/** A model spec as the native trainer takes it: the kind and its parameters apart. */
export function nativeModel(spec: ModelSpec): { kind: string; params: Record<string, unknown> } {
  const { kind, ...params } = spec;
  return { kind, params };
}

/**
 * Experiment files for `dilemma train` (YAML or JSON): a training config
 * plus what to run and where to write it. Every option has a default.
 */
import { extname } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { DilemmaError, ErrorCode } from '../errors.js';
import { readRegularFile } from '../fs-safe.js';
import { parseParams } from '../schema.js';
import { gameParamsSchema } from '../games.js';
import { ALGORITHMS, trainConfigSchema, type Algorithm, type ResolvedTrainConfig } from '../train.js';

/** Experiment files are small; a larger one is a mistake (or a device). */
const MAX_CONFIG_BYTES = 16 << 20;

/** The schema of an experiment file (see examples/ipd-experiment.yaml). */
export const runConfigSchema = z
  .object({
    /** The training options (see trainConfigSchema); `algorithm` is replaced by `algorithms`. */
    train: z.record(z.string(), z.unknown()).default({}),
    /** Algorithms to compare, each trained with every seed. */
    algorithms: z.array(z.enum(ALGORITHMS)).min(1).default(['naive', 'advantage-alignment']),
    /** Seeds: a count (1..n) or a list. */
    seeds: z.union([z.number().int().min(1).max(1000), z.array(z.number().int().min(0)).min(1)]).default(3),
    /** Output folder: one sub-folder per run (metrics.jsonl, checkpoint.json), plus the report. */
    output: z.string().min(1).default('runs/experiment'),
    /**
     * A checkpoint whose policy parameters start every run (a warm start with
     * a fresh optimizer, e.g. from a cooperative or pretrained policy); the
     * policy model and game must match. A resumed run ignores it.
     */
    init: z.string().min(1).optional(),
    /** Iterations between checkpoints. */
    checkpointEvery: z.number().int().min(1).default(25),
    /** Evaluation of every trained policy against these opponents (two-player games). */
    evaluate: z
      .object({
        opponents: z.array(z.string()).default(['tit-for-tat', 'always-defect', 'always-cooperate']),
        batch: z.number().int().min(1).default(2048),
      })
      .strict()
      .default({ opponents: ['tit-for-tat', 'always-defect', 'always-cooperate'], batch: 2048 }),
  })
  .strict();

/** An experiment file with its defaults filled in. */
export type RunConfig = z.output<typeof runConfigSchema>;

/** The seeds of an experiment: 1..n for a count, else the list. */
export function seedList(seeds: RunConfig['seeds']): number[] {
  return typeof seeds === 'number' ? Array.from({ length: seeds }, (_, i) => i + 1) : seeds;
}

/** Reads an experiment file (YAML, or JSON by its extension) without validating it; errors name the file. */
export function readExperimentFile(path: string): unknown {
  const text = readRegularFile(path, { param: 'config', what: 'config', maxBytes: MAX_CONFIG_BYTES, code: ErrorCode.InvalidArgument }).toString('utf8');
  try {
    return (extname(path).toLowerCase() === '.json' ? JSON.parse(text) : parseYaml(text)) ?? {};
  } catch (e) {
    throw new DilemmaError(ErrorCode.InvalidParam, `config ${path} is not valid ${extname(path) === '.json' ? 'JSON' : 'YAML'}: ${(e as Error).message}`);
  }
}

/**
 * Reads and validates an experiment file; errors name the file and the
 * option by its full path. Checks the schema only: expandExperiment and
 * checkExperiment (experiment.ts) resolve players, files and the game too.
 */
export function loadRunConfig(path: string): RunConfig {
  const raw = readExperimentFile(path);
  const config = parseParams(runConfigSchema, raw, 'config');
  for (const algorithm of config.algorithms) checkTrainConfig(config.train, algorithm);
  return config;
}

/**
 * Validates the training part of an experiment for one algorithm, the game's
 * parameters included (`config.train.game.params.rounds`), and returns it
 * resolved.
 */
export function checkTrainConfig(train: Record<string, unknown>, algorithm: Algorithm): ResolvedTrainConfig {
  for (const key of ['algorithm', 'seed'] as const) {
    if (key in train) {
      throw new DilemmaError(ErrorCode.InvalidParam, `config.train.${key} is set by the experiment's ${key === 'seed' ? 'seeds' : 'algorithms'}: remove it from train`);
    }
  }
  const resolved = parseParams(trainConfigSchema, { ...train, algorithm }, 'config.train');
  const schema = gameParamsSchema(resolved.game.id);
  if (schema) parseParams(schema, resolved.game.params ?? {}, 'config.train.game.params');
  // The report and the evaluation need at least one iteration of metrics.
  if (resolved.iterations < 1) throw new DilemmaError(ErrorCode.InvalidParam, 'config.train.iterations must be at least 1 in an experiment file');
  return resolved;
}

/**
 * An experiment file with its command-line overrides, expanded into the runs
 * it asks for (expandExperiment: pure, so that a queue can hand the run specs
 * to workers), and checked as a whole before the first run trains
 * (checkExperiment: players, checkpoints, the game and the model resolved).
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { z } from 'zod';
import { DilemmaError, ErrorCode, isDilemmaError } from '../errors.js';
import { gameParamsSchema } from '../games.js';
import { strategiesFor, STRATEGIES } from '../policies.js';
import { parseParams, schemaAt } from '../schema.js';
import { readCheckpoint, Trainer, trainConfigSchema, type Algorithm, type ResolvedTrainConfig, type TrainConfig } from '../train.js';
import { parseOverride, parseValue, setPath, type Override } from './overrides.js';
import { parsePlayer } from './players.js';
import { checkTrainConfig, runConfigSchema, seedList, type RunConfig } from './run-config.js';

/** One value of a swept field. */
export interface Assignment {
  /** Dotted path of the field (`train.beta`). */
  key: string;
  value: unknown;
  /** The value as typed on the command line (it names folders). */
  text: string;
}

/** One combination of swept values, with the experiment it gives. */
export interface SweepPoint {
  /** `train.beta=0.5,train.lr=0.1`; empty without a sweep. Also the folder of its runs. */
  id: string;
  assignments: Assignment[];
  config: RunConfig;
}

/** One training run: what a worker needs to train it, and where its files go. */
export interface RunSpec {
  /** Stable id: the sweep point's id and `<algorithm>-seed<seed>` (`train.beta=0.5/naive-seed1`). */
  id: string;
  /** Id of its sweep point ('' without a sweep). */
  point: string;
  /** The swept values of this run, by dotted path. */
  sweep: Record<string, unknown>;
  algorithm: Algorithm;
  seed: number;
  /** Its folder, relative to the experiment's output folder (checkpoint.json, metrics.jsonl). */
  dir: string;
  /** The training config, algorithm and seed included. */
  train: TrainConfig;
  /** Iterations between checkpoints. */
  checkpointEvery: number;
  /** Warm-start checkpoint, if any. */
  init?: string;
}

/** An experiment expanded: its sweep points and every run, in a stable order. */
export interface ExperimentPlan {
  /** Output folder of the whole experiment (summary and report). */
  output: string;
  /** The swept fields, in the order given. */
  sweepKeys: string[];
  points: SweepPoint[];
  runs: RunSpec[];
}

/** Characters kept in folder names; others become '_'. */
const UNSAFE = /[^A-Za-z0-9._,=+-]/g;

/** The schema of the field at a dotted path of an experiment, where one is known. */
function fieldSchema(path: readonly string[], raw: Record<string, unknown>): z.ZodType | undefined {
  if (path[0] !== 'train') return schemaAt(runConfigSchema, path, raw);
  const train = raw.train as Record<string, unknown> | undefined;
  if (path[1] === 'game' && path[2] === 'params' && path.length > 3) {
    const id = (train?.game as { id?: unknown } | undefined)?.id ?? 'ipd';
    const schema = gameParamsSchema(String(id));
    return schema && schemaAt(schema, path.slice(3), (train?.game as { params?: unknown } | undefined)?.params);
  }
  return schemaAt(trainConfigSchema, path.slice(1), train);
}

const isList = (s: z.ZodType | undefined) => (s as unknown as { def?: { type?: string } } | undefined)?.def?.type === 'array';

/** The values an override gives its field: several for a sweep, one otherwise. */
function overrideValues(o: Override, raw: Record<string, unknown>): unknown[] {
  const values = o.pieces.map((p) => parseValue(p, o));
  if (!isList(fieldSchema(o.path, raw))) return values;
  // A list field: a comma list is the list, a scalar a list of one; only lists of lists sweep.
  if (values.length > 1 && values.every(Array.isArray)) return values;
  if (values.length === 1 && Array.isArray(values[0])) return values;
  return [values];
}

/**
 * Applies overrides to an experiment file's contents and expands its sweeps:
 * every combination of swept values (in the order the overrides give them),
 * crossed with the algorithms and seeds, is one RunSpec with a stable id and
 * folder. Validates every combination's config (schema, training options, game
 * parameters) with errors naming the field by its full path; reads no file
 * and starts nothing, so the same input always gives the same runs.
 */
export function expandExperiment(raw: unknown, overrides: readonly string[] = [], options: { output?: string } = {}): ExperimentPlan {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new DilemmaError(ErrorCode.InvalidParam, 'config must be a mapping of options (algorithms, seeds, train, evaluate, output)');
  }
  let base = raw as Record<string, unknown>;
  const axes: Array<{ key: string; values: unknown[]; texts: string[] }> = [];
  for (const text of overrides) {
    const o = parseOverride(text);
    const key = o.path.join('.');
    if (o.remove) {
      base = setPath(base, o.path, undefined, true);
      continue;
    }
    const values = overrideValues(o, base);
    if (values.length === 1) {
      base = setPath(base, o.path, values[0]);
      continue;
    }
    if (key === 'output') throw new DilemmaError(ErrorCode.InvalidArgument, `override '${text}': a sweep writes one output folder; give one`);
    if (new Set(o.pieces).size !== o.pieces.length) throw new DilemmaError(ErrorCode.InvalidArgument, `override '${text}': a value is repeated`);
    const existing = axes.findIndex((a) => a.key === key);
    if (existing >= 0) axes.splice(existing, 1);
    axes.push({ key, values, texts: o.pieces });
  }
  // Every combination, the first axis slowest.
  let combos: Assignment[][] = [[]];
  for (const axis of axes) {
    combos = combos.flatMap((c) => axis.values.map((value, i) => [...c, { key: axis.key, value, text: axis.texts[i] }]));
  }
  const points: SweepPoint[] = combos.map((assignments) => {
    let withSweep = base;
    for (const a of assignments) withSweep = setPath(withSweep, a.key.split('.'), a.value);
    const id = assignments.map((a) => `${a.key}=${a.text}`.replace(UNSAFE, '_')).join(',');
    try {
      const config = parseParams(runConfigSchema, withSweep, 'config');
      for (const algorithm of config.algorithms) checkTrainConfig(config.train, algorithm);
      return { id, assignments, config };
    } catch (e) {
      throw inPoint(e, id);
    }
  });
  const output = options.output ?? points[0].config.output;
  const runs: RunSpec[] = [];
  for (const point of points) {
    const { config } = point;
    for (const algorithm of config.algorithms) {
      for (const seed of seedList(config.seeds)) {
        const name = `${algorithm}-seed${seed}`;
        runs.push({
          id: point.id ? `${point.id}/${name}` : name,
          point: point.id,
          sweep: Object.fromEntries(point.assignments.map((a) => [a.key, a.value])),
          algorithm,
          seed,
          dir: point.id ? join(point.id, name) : name,
          train: { ...config.train, algorithm, seed } as TrainConfig,
          checkpointEvery: config.checkpointEvery,
          ...(config.init !== undefined ? { init: config.init } : {}),
        });
      }
    }
  }
  const ids = new Set<string>();
  for (const r of runs) {
    if (ids.has(r.id)) throw new DilemmaError(ErrorCode.InvalidParam, `config.seeds: run ${r.id} appears twice (a repeated seed or algorithm)`);
    ids.add(r.id);
  }
  return { output, sweepKeys: axes.map((a) => a.key), points, runs };
}

/** Adds the sweep point to an error's message, so a failing combination is known. */
function inPoint(e: unknown, point: string): unknown {
  if (!point || !isDilemmaError(e)) return e;
  return new DilemmaError(e.code, `${e.message} [sweep ${point}]`, { cause: e });
}

/** What checkExperiment learnt about a run's game and model. */
export interface RunFacts {
  gameId: string;
  /** Whether the trained policies are evaluated (two players, two actions). */
  evaluated: boolean;
  numParams: number;
  config: ResolvedTrainConfig;
}

/**
 * Resolves everything an experiment names before anything trains: each sweep
 * point's game and model are built once (native checks), the warm-start
 * checkpoint is read and must fit the model, every evaluation opponent is
 * made (strategy names with suggestions, checkpoints, ONNX models) and must
 * play the game, and the output folder and every run's folder must be
 * folders. With `resume`, every run's existing checkpoint is read and
 * checked too. Returns the facts per sweep point and algorithm (key
 * `point|algorithm`).
 */
export function checkExperiment(plan: ExperimentPlan, options: { resume?: boolean } = {}): Map<string, RunFacts> {
  checkOutputFolder(plan.output, 'config.output');
  for (const run of plan.runs) {
    const dir = join(plan.output, run.dir);
    checkOutputFolder(dir, `run ${run.id}`);
    const checkpoint = join(dir, 'checkpoint.json');
    if (options.resume && existsSync(checkpoint)) readCheckpoint(checkpoint, `run ${run.id}: checkpoint`);
  }
  const facts = new Map<string, RunFacts>();
  let init: { path: string; length: number } | undefined;
  const checkedOpponents = new Set<string>();
  for (const point of plan.points) {
    try {
      const { config } = point;
      for (const algorithm of config.algorithms) {
        const probe = Trainer.create({ ...config.train, algorithm } as TrainConfig);
        let fact: RunFacts;
        try {
          const info = probe.game.info;
          fact = { gameId: info.id, evaluated: info.agents === 2 && info.twoAction, numParams: probe.numParams, config: probe.config };
        } finally {
          probe.dispose();
        }
        facts.set(`${point.id}|${algorithm}`, fact);
        if (config.init !== undefined) {
          if (init?.path !== config.init) init = { path: config.init, length: readCheckpoint(config.init, 'config.init').state.params.length };
          if (init.length !== fact.numParams) {
            throw new DilemmaError(
              ErrorCode.InvalidParam,
              `config.init: checkpoint ${config.init} holds ${init.length} policy parameters, but the runs' ${fact.config.policy.kind} policy on this game has ${fact.numParams}`,
            );
          }
        }
        const key = `${fact.gameId}|${config.evaluate.opponents.join('\n')}`;
        if (fact.evaluated && !checkedOpponents.has(key)) {
          checkOpponents(config.evaluate.opponents, fact.gameId);
          checkedOpponents.add(key);
        }
      }
    } catch (e) {
      throw inPoint(e, point.id);
    }
  }
  return facts;
}

function checkOpponents(opponents: readonly string[], gameId: string): void {
  const plays = new Set<string>(strategiesFor(gameId));
  opponents.forEach((spec, i) => {
    const param = `config.evaluate.opponents.${i}`;
    parsePlayer(spec, param).dispose();
    const name = spec.split(':', 1)[0];
    if ((STRATEGIES as readonly string[]).includes(name) && !plays.has(name)) {
      throw new DilemmaError(ErrorCode.UnknownStrategy, `${param}: strategy '${name}' does not play ${gameId} (it plays: ${[...plays].join(', ')})`);
    }
  });
}

function checkOutputFolder(path: string, param: string): void {
  let isDir: boolean;
  try {
    isDir = statSync(path).isDirectory();
  } catch {
    return; // created when the first run writes
  }
  if (!isDir) throw new DilemmaError(ErrorCode.NotAFile, `${param}: ${path} exists and is not a folder`);
}

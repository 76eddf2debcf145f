#!/usr/bin/env node
/**
 * The `dilemma` command.
 */
import { Command, InvalidArgumentError } from 'commander';
import { join } from 'node:path';
import { engineInfo, packageVersion } from '../info.js';
import { packageRoot } from '../native.js';
import { isDilemmaError } from '../errors.js';
import { gameParamSpecs } from '../games.js';
import { strategiesFor } from '../policies.js';
import { benchCommand } from './bench-command.js';
import { paramTable } from './param-table.js';
import { runIpdTournament } from './ipd-tournament.js';
import { exportMetricsCommand, exportOnnxCommand, exportTrajectoriesCommand } from './export-command.js';
import { runTrainDemo } from './demo.js';
import { trainCommand } from './train-command.js';
import { evalCommand, tournamentCommand } from './tournament-command.js';
import { sweepCommand } from './sweep-command.js';
import { workerCommand } from './worker-command.js';

function integer(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a positive integer');
  return n;
}

function json(value: string): Record<string, unknown> {
  try {
    const v = JSON.parse(value) as unknown;
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('not an object');
    return v as Record<string, unknown>;
  } catch {
    throw new InvalidArgumentError('must be a JSON object, e.g. \'{"rounds": 20}\'');
  }
}

const list = (value: string) => value.split(/[\s;]+/).filter(Boolean);

const program = new Command();
program
  .name('dilemma')
  .description('Multi-agent social dilemmas on a native engine')
  .version(packageVersion(), '-V, --version', 'print the package version')
  .showHelpAfterError()
  .addHelpText(
    'after',
    `\nExamples (experiment files and scripts to copy) are in ${join(packageRoot, 'examples')}:\n` +
      '  dilemma train <that folder>/ipd-experiment.yaml\n' +
      '  node --import tsx <that folder>/custom-payoff.ts   (also onnx-rollout.ts, external-trainer.ts, text-match.ts)',
  );

program
  .command('info')
  .description('versions, backends, threads, and why a backend is unavailable')
  .option('--json', 'print JSON')
  .option('--params <game>', "a game's parameters: type, default, allowed values")
  .action((opts: { json?: boolean; params?: string }) => {
    if (opts.params !== undefined) {
      console.log(opts.json ? JSON.stringify(gameParamSpecs(opts.params) ?? paramTable(opts.params), null, 2) : paramTable(opts.params));
      return;
    }
    const info = engineInfo();
    if (opts.json) {
      console.log(JSON.stringify(info, null, 2));
      return;
    }
    console.log(`@dilemma/engine ${info.version} on Node ${info.node}`);
    console.log(`threads: ${info.threads} (hardware ${info.hardwareThreads})`);
    console.log(`backends: ${info.backends.join(', ')}`);
    console.log(`gpu: ${String(info.gpu.option)} -> ${info.gpu.chosen} (${info.gpu.reason})`);
    console.log(`cuda: ${info.cuda.available ? `available (${String(info.cuda.device ?? '')})` : `unavailable: ${info.cuda.reason}`}`);
    console.log(`onnx: ${info.onnx.available ? `available (ONNX Runtime ${String(info.onnx.runtimeVersion)})` : `unavailable: ${info.onnx.reason}`}`);
    console.log(`games: ${info.games.join(', ')}`);
    console.log(`strategies: ${info.strategies.join(', ')}`);
  });

program
  .command('demo')
  .description("train naive and Advantage Alignment agents on the iterated prisoner's dilemma and compare them")
  .option('--seeds <n>', 'seeds per algorithm', integer, 3)
  .option('--iterations <n>', 'training iterations per run', integer, 300)
  .action(async (opts: { seeds: number; iterations: number }) => {
    console.log(await runTrainDemo({ ...opts, onProgress: (line) => console.error(line) }));
  });

program
  .command('train')
  .description('run an experiment file (YAML or JSON): algorithms × seeds (× sweep points), checkpoints, evaluation, report; the whole file is checked before anything trains')
  .argument('<config>', 'experiment file (see examples/ipd-experiment.yaml)')
  .argument('[overrides...]', 'key=value overrides of any field (train.beta=0.5, train.game.params.rounds=20); a comma list sweeps a field (train.beta=0.5,1,2); ~key removes one')
  .option('--resume', 'continue every run from its checkpoint')
  .option('--out <dir>', 'output folder (overrides the file\'s `output`)')
  .addHelpText('after', '\nExamples:\n  dilemma train ipd-experiment.yaml train.beta=0.5,1 seeds=2\n  dilemma train ipd-experiment.yaml evaluate.opponents=[tit-for-tat,grim-trigger] train.iterations=50')
  .action(async (config: string, overrides: string[], opts: { resume?: boolean; out?: string }) => {
    process.exitCode = await trainCommand(config, { resume: opts.resume, output: opts.out, overrides });
  });

program
  .command('sweep')
  .description('enqueue every run of an experiment file on a Redis queue for `dilemma worker`s; --status shows every run, --collect writes the summary and report')
  .argument('[config]', 'experiment file (as for `dilemma train`)')
  .argument('[overrides...]', 'key=value overrides and sweeps, as for `dilemma train`')
  .option('--queue <url>', 'the queue, redis://HOST:PORT[/DB]')
  .option('--name <name>', "the experiment's name in the queue and the store (default: its output folder's name)")
  .option('--status', 'show the state of every run (live on a terminal); with a config, only its runs')
  .option('--collect', 'gather the finished runs from the store into summary.csv, summary.json and report.html')
  .option('--store <dir>', 'the shared store folder the workers write to (--collect)')
  .option('--out <dir>', 'where --collect writes (default: the experiment\'s folder in the store)')
  .addHelpText('after', '\nExamples:\n  dilemma sweep ipd-experiment.yaml train.beta=0.5,1 seeds=4 --queue redis://10.0.0.5:6379\n  dilemma sweep ipd-experiment.yaml train.beta=0.5,1 seeds=4 --queue redis://10.0.0.5:6379 --status\n  dilemma sweep ipd-experiment.yaml train.beta=0.5,1 seeds=4 --collect --store shared-runs')
  .action(async (config: string | undefined, overrides: string[], opts: { queue?: string; name?: string; status?: boolean; collect?: boolean; store?: string; out?: string }) => {
    process.exitCode = await sweepCommand(config, { ...opts, output: opts.out, overrides });
  });

program
  .command('worker')
  .description('take jobs from the queue (sweep runs, and other registered kinds), checkpointing to a shared store, until stopped')
  .requiredOption('--queue <url>', 'the queue, redis://HOST:PORT[/DB]')
  .requiredOption('--store <dir>', 'the shared store folder (the same on every machine)')
  .option('--concurrency <n>', 'jobs at once in this process', integer, 1)
  .option('--stalled-ms <n>', "how long a job's lock lasts unrenewed: a worker silent this long loses its job to another", integer, 30000)
  .option('--threads <n>', 'native threads per job (default: all cores; with several workers on a machine, cores / workers)', integer)
  .option('--exit-when-idle', 'leave once nothing is waiting, delayed or running')
  .action(async (opts: { queue: string; store: string; concurrency: number; stalledMs: number; threads?: number; exitWhenIdle?: boolean }) => {
    process.exitCode = await workerCommand(opts);
  });

program
  .command('tournament')
  .description('round-robin of strategies, checkpoints (ckpt:PATH) and ONNX models (onnx:PATH) on a two-player game')
  .option('--game <id>', 'game id', 'ipd')
  .option('--params <json>', 'game parameters as JSON', json)
  .option('--players <list>', 'players separated by spaces or ";" (default: the strategies that play the game)', list)
  .option('--repetitions <n>', 'episodes per ordered pair and seed', integer, 100)
  .option('--seeds <n>', 'seeds (results averaged)', integer, 1)
  .option('--rounds <n>', 'rounds per episode', integer)
  .option('--out <dir>', 'write ranking.csv, payoff-matrix.csv, tournament.json and report.html')
  .option('--queue <url>', 'play the pairs as jobs on a Redis queue (redis://HOST:PORT[/DB]) that `dilemma worker`s take; same result')
  .option('--pairs-per-job <n>', 'ordered pairs per queued job (default 256)', integer)
  .action(async (opts: { game: string; params?: Record<string, unknown>; players?: string[]; repetitions: number; seeds: number; rounds?: number; out?: string; queue?: string; pairsPerJob?: number }) => {
    await tournamentCommand({ ...opts, players: opts.players ?? [...strategiesFor(opts.game)], output: opts.out });
  });

program
  .command('ipd-tournament')
  .description("the scripted strategies' round-robin on the iterated prisoner's dilemma")
  .option('--rounds <n>', 'rounds per match', integer, 10)
  .option('--repetitions <n>', 'matches per ordered pair', integer, 1000)
  .option('--seed <n>', 'seed', integer, 1)
  .action(async (opts: { rounds: number; repetitions: number; seed: number }) => {
    console.log(await runIpdTournament(opts));
  });

program
  .command('eval')
  .description('evaluate a policy (ckpt:PATH, onnx:PATH or a strategy) against opponents')
  .argument('<policy>', 'the policy to evaluate')
  .option('--game <id>', 'game id', 'ipd')
  .option('--params <json>', 'game parameters as JSON', json)
  .option('--opponents <list>', 'opponents separated by spaces or ";" (default: the strategies that play the game)', list)
  .option('--batch <n>', 'episodes per match', integer, 2048)
  .option('--greedy', 'evaluate the most probable actions')
  .option('--out <dir>', 'write evaluation.csv and evaluation.json')
  .action(async (policy: string, opts: { game: string; params?: Record<string, unknown>; opponents?: string[]; batch: number; greedy?: boolean; out?: string }) => {
    await evalCommand({ policy, ...opts, opponents: opts.opponents ?? [...strategiesFor(opts.game)], greedy: opts.greedy === true, output: opts.out });
  });

const exp = program.command('export').description('export a checkpoint to ONNX, trajectories to JSON lines, or training metrics as one table');
exp
  .command('onnx')
  .argument('<checkpoint>', 'a training checkpoint')
  .argument('<out>', 'the .onnx file to write')
  .action((checkpoint: string, out: string) => exportOnnxCommand(checkpoint, out));
exp
  .command('trajectories')
  .requiredOption('--out <path>', 'JSON lines file, or a folder of .npy arrays with --format npy')
  .option('--format <format>', 'jsonl or npy', 'jsonl')
  .option('--game <id>', 'game id', 'ipd')
  .option('--params <json>', 'game parameters as JSON', json)
  .option('--players <list>', 'one player per seat', list, ['tit-for-tat', 'random'])
  .option('--batch <n>', 'episodes', integer, 100)
  .option('--seed <n>', 'seed', integer, 1)
  .option('--observations', 'include observations')
  .action(async (opts: { out: string; format: string; game: string; params?: Record<string, unknown>; players: string[]; batch: number; seed: number; observations?: boolean }) => {
    await exportTrajectoriesCommand({ ...opts, format: opts.format as 'jsonl' | 'npy', observations: opts.observations === true });
  });

exp
  .command('metrics')
  .description("every run's metrics.jsonl under a folder as one table (a row per iteration, with its run id and time)")
  .argument('<dir>', "an experiment's output folder")
  .option('--format <format>', 'csv or jsonl', 'csv')
  .option('--out <file>', 'file to write (default: standard output)')
  .action((dir: string, opts: { format: string; out?: string }) => {
    const r = exportMetricsCommand({ dir, format: opts.format as 'csv', out: opts.out });
    if (opts.out) console.error(`${opts.out}: ${r.rows} rows from ${r.runs} runs`);
  });

program
  .command('bench')
  .description('the benchmark suites of `npm run bench` (filters and --quick pass through)')
  .argument('[args...]')
  .allowUnknownOption()
  .action((args: string[]) => {
    process.exitCode = benchCommand(args);
  });

program.parseAsync(process.argv).catch((e: unknown) => {
  console.error(isDilemmaError(e) ? `error [${e.code}]: ${e.message}` : e);
  process.exitCode = 1;
});

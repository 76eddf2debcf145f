/**
 * `dilemma train CONFIG [key=value …]`: every sweep point × algorithm × seed
 * of an experiment file, checked as a whole first, with live progress,
 * checkpoints, Ctrl-C handling, --resume, evaluation of the trained policies,
 * CSV/JSON tables and one HTML report with plots.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import cliProgress from 'cli-progress';
import { stringify as toYaml } from 'yaml';
import { evaluate } from '../evaluate.js';
import { formatTable } from '../format.js';
import { writeAtomic, writeAtomicAll } from '../fs-safe.js';
import type { GameSpec } from '../games.js';
import { packageVersion } from '../info.js';
import { readMetricsLog } from '../metrics-log.js';
import { readCheckpoint, Trainer, train, type IterationMetrics } from '../train.js';
import { trainingReport, writeReport } from '../report/index.js';
import { toCsv } from './csv.js';
import { checkExperiment, expandExperiment, type ExperimentPlan, type RunFacts, type RunSpec } from './experiment.js';
import { parsePlayer } from './players.js';
import { readExperimentFile } from './run-config.js';
import { summaryTable, type SummaryRun } from './summary.js';

/** Options of trainCommand. */
export interface TrainCommandOptions {
  /** Continue every run that has a checkpoint. */
  resume?: boolean;
  /** Output folder (instead of the file's `output`). */
  output?: string;
  /** Overrides and sweeps, `key=value` (see overrides.ts). */
  overrides?: string[];
  /** The command line as typed, for the report (default: rebuilt from the arguments). */
  command?: string;
  /** Progress output: a bar on a terminal, plain lines otherwise. */
  stream?: NodeJS.WriteStream;
}

/** A run as the summary reads it: its spec, the folder with its checkpoint.json, its metrics. */
export interface RunOutcome {
  spec: RunSpec;
  /** The folder holding the run's checkpoint.json. */
  dir: string;
  history: IterationMetrics[];
  /** Stopped before its last iteration. */
  interrupted: boolean;
}

const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);
const quote = (s: string) => (/^[A-Za-z0-9._,=+:/@-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);

/** Runs an experiment file; returns the exit code (0, or 130 when interrupted). */
export async function trainCommand(configPath: string, opts: TrainCommandOptions = {}): Promise<number> {
  const overrides = opts.overrides ?? [];
  const plan = expandExperiment(readExperimentFile(configPath), overrides, { output: opts.output });
  const facts = checkExperiment(plan, { resume: opts.resume === true });
  const output = plan.output;
  const stream = opts.stream ?? process.stderr;
  const command =
    opts.command ?? ['dilemma', 'train', configPath, ...overrides, ...(opts.output ? ['--out', opts.output] : []), ...(opts.resume ? ['--resume'] : [])].map(quote).join(' ');
  stream.write(
    `${plan.runs.length} run${plan.runs.length === 1 ? '' : 's'}${plan.sweepKeys.length ? ` (${plan.points.length} sweep points over ${plan.sweepKeys.join(', ')})` : ''} checked; writing to ${output}\n`,
  );
  const abort = new AbortController();
  const onSigint = () => {
    if (abort.signal.aborted) return;
    stream.write('\ninterrupt: finishing the current iteration and writing a checkpoint…\n');
    abort.abort();
  };
  process.on('SIGINT', onSigint);
  const outcomes: RunOutcome[] = [];
  // Read once for all runs, and only when a run starts fresh (a resumed run ignores it).
  const inits = new Map<string, Float32Array>();
  const initParams = (path: string) => inits.get(path) ?? inits.set(path, readCheckpoint(path, 'config.init').state.params).get(path)!;
  try {
    for (const spec of plan.runs) {
      if (abort.signal.aborted) break;
      const iterations = facts.get(`${spec.point}|${spec.algorithm}`)!.config.iterations;
      outcomes.push(await runOne(spec, iterations, output, opts.resume === true, initParams, abort.signal, stream));
    }
  } finally {
    process.off('SIGINT', onSigint);
  }
  if (outcomes.some((o) => o.interrupted) || abort.signal.aborted) {
    stream.write(`interrupted: checkpoints are in ${output}; continue with \`${command.replace(/ --resume$/, '')} --resume\`\n`);
    return 130;
  }
  await summarise(plan, facts, outcomes, command);
  return 0;
}

async function runOne(
  spec: RunSpec,
  iterations: number,
  output: string,
  resume: boolean,
  initParams: (path: string) => Float32Array,
  signal: AbortSignal,
  stream: NodeJS.WriteStream,
): Promise<RunOutcome> {
  const dir = join(output, spec.dir);
  const checkpointFile = join(dir, 'checkpoint.json');
  const metricsFile = join(dir, 'metrics.jsonl');
  const name = `${spec.point ? `${spec.point} ` : ''}${spec.algorithm} seed ${spec.seed}`;
  const canResume = resume && existsSync(checkpointFile);
  const init = !canResume && spec.init !== undefined ? initParams(spec.init) : undefined;
  const probe = canResume ? Trainer.resume(checkpointFile) : undefined;
  const total = probe?.config.iterations ?? iterations;
  const start = probe?.iteration ?? 0;
  probe?.dispose();
  // A fresh run replaces an earlier run's metrics; a resumed run keeps the
  // lines before its checkpoint (train() cuts later or torn ones) and appends.
  if (!canResume) writeAtomic(metricsFile, '', 'metricsFile');
  const tty = stream.isTTY === true;
  const bar = tty
    ? new cliProgress.SingleBar(
        {
          format: `${name.padEnd(28)} |{bar}| {value}/{total} it | payoff {payoff} | coop {coop} | ETA {eta_formatted}`,
          stream,
          hideCursor: true,
        },
        cliProgress.Presets.shades_classic,
      )
    : undefined;
  bar?.start(total, start, { payoff: '-', coop: '-' });
  const every = Math.max(1, Math.floor(total / 10));
  const began = performance.now();
  const { trainer, stopped } = await train(canResume ? {} : spec.train, {
    ...(canResume ? { resume: checkpointFile } : { initParams: init }),
    metricsFile,
    checkpointFile,
    checkpointEvery: spec.checkpointEvery,
    runId: spec.id,
    signal,
    onIteration: (m) => {
      const payoff = mean(m.meanReturn).toFixed(2);
      const coop = `${(100 * mean(m.action0Rate)).toFixed(1)}%`;
      if (bar) bar.update(m.iteration + 1, { payoff, coop });
      else if ((m.iteration + 1) % every === 0 || m.iteration + 1 === total) {
        const s = (performance.now() - began) / 1000;
        const eta = ((total - m.iteration - 1) * s) / Math.max(1, m.iteration + 1 - start);
        stream.write(`${name}: iteration ${m.iteration + 1}/${total}, payoff ${payoff}, cooperation ${coop}, ETA ${eta.toFixed(0)} s\n`);
      }
    },
  });
  bar?.stop();
  const interrupted = stopped || trainer.iteration < total;
  trainer.dispose();
  return { spec, dir, history: readMetricsLog<IterationMetrics>(metricsFile), interrupted };
}

function statNamesOf(o: RunOutcome | undefined): string[] {
  if (!o) return [];
  const t = Trainer.resume(join(o.dir, 'checkpoint.json'));
  try {
    return t.statNames;
  } finally {
    t.dispose();
  }
}

/** The run's label in plots and tables: its algorithm, and its sweep point when there is a sweep. */
const labelOf = (spec: RunSpec) => (spec.point ? `${spec.algorithm} ${spec.point}` : spec.algorithm);

/**
 * Evaluates the trained runs, prints the summary table and writes
 * summary.csv, summary.json and the report into plan.output (used by
 * `dilemma train` and by `dilemma sweep --collect`).
 */
export async function summarise(plan: ExperimentPlan, facts: Map<string, RunFacts>, outcomes: RunOutcome[], command: string): Promise<void> {
  const output = plan.output;
  const runs: SummaryRun[] = [];
  const evaluations: Array<{ algorithm: string; seed: number; run: string; evaluation: Awaited<ReturnType<typeof evaluate>> }> = [];
  for (const o of outcomes) {
    const point = plan.points.find((p) => p.id === o.spec.point)!;
    let evaluation: Awaited<ReturnType<typeof evaluate>> | undefined;
    if (facts.get(`${o.spec.point}|${o.spec.algorithm}`)?.evaluated) {
      const trained = Trainer.resume(join(o.dir, 'checkpoint.json'));
      const policy = trained.policy(o.spec.id);
      const opponents = point.config.evaluate.opponents.map((spec, i) => parsePlayer(spec, `config.evaluate.opponents.${i}`));
      try {
        evaluation = await evaluate({
          game: { id: trained.config.game.id, params: trained.config.game.params } as GameSpec,
          policy,
          opponents,
          batch: point.config.evaluate.batch,
          seed: 12345,
        });
        evaluations.push({ algorithm: labelOf(o.spec), seed: o.spec.seed, run: o.spec.id, evaluation });
      } finally {
        policy.dispose();
        for (const p of opponents) p.dispose();
        trained.dispose();
      }
    }
    runs.push({ spec: o.spec, history: o.history, evaluation });
  }
  const table = summaryTable(plan.sweepKeys, runs);
  const first = facts.get(`${plan.points[0].id}|${plan.points[0].config.algorithms[0]}`)!;
  console.log(`\n${first.gameId}: ${outcomes.length} runs${plan.sweepKeys.length ? `, ${plan.points.length} sweep points` : ''}`);
  console.log(formatTable(table.columns, table.text));
  writeAtomicAll(
    [
      { path: join(output, 'summary.csv'), content: toCsv(table.columns, table.values) },
      {
        path: join(output, 'summary.json'),
        content: `${JSON.stringify({ command, sweep: plan.sweepKeys, runs: outcomes.map((o) => ({ id: o.spec.id, algorithm: o.spec.algorithm, seed: o.spec.seed, sweep: o.spec.sweep, dir: o.dir, interrupted: o.interrupted })), evaluations }, null, 2)}\n`,
      },
    ],
    'output',
  );
  const statNames = statNamesOf(outcomes[0]);
  const config = plan.points[0].config;
  const report = await trainingReport(
    outcomes.map((o) => ({ algorithm: labelOf(o.spec), seed: o.spec.seed, history: o.history, statNames })),
    evaluations,
    {
      title: `Training report: ${first.gameId}`,
      subtitle: `${outcomes.length} runs: ${config.algorithms.join(', ')} × ${Array.isArray(config.seeds) ? `seeds ${config.seeds.join(', ')}` : `${config.seeds} seeds`}${plan.sweepKeys.length ? ` × ${plan.points.length} sweep points` : ''}`,
      provenance: {
        game: first.gameId,
        params: first.config.game.params ?? {},
        config: toYaml(plan.sweepKeys.length ? { ...config, sweep: Object.fromEntries(plan.sweepKeys.map((k) => [k, plan.points.map((p) => p.assignments.find((a) => a.key === k)!.value)])) } : config).trimEnd(),
        version: packageVersion(),
        date: new Date().toISOString(),
        command,
      },
      runsTable: { columns: table.columns, rows: table.text, caption: table.caption },
    },
  );
  writeReport(output, report);
  console.log(`\nreport: ${join(output, 'report.html')} (plots also as SVG files); tables: summary.csv, summary.json`);
}

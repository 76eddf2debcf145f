/**
 * `dilemma train CONFIG`: every algorithm × seed of an experiment file, with
 * live progress, checkpoints, Ctrl-C handling, --resume, evaluation of the
 * trained policies, CSV/JSON tables and an HTML report with plots.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import cliProgress from 'cli-progress';
import { evaluate } from '../evaluate.js';
import { formatTable } from '../format.js';
import { DilemmaError, ErrorCode } from '../errors.js';
import { writeAtomic, writeAtomicAll } from '../fs-safe.js';
import { readMetricsLog } from '../metrics-log.js';
import { readCheckpoint, Trainer, train, type Algorithm, type IterationMetrics, type TrainConfig } from '../train.js';
import { trainingReport, writeReport } from '../report/index.js';
import { toCsv } from './csv.js';
import { parsePlayer } from './players.js';
import { loadRunConfig, seedList, type RunConfig } from './run-config.js';

export interface TrainCommandOptions {
  resume?: boolean;
  output?: string;
  /** Progress output: a bar on a terminal, plain lines otherwise. */
  stream?: NodeJS.WriteStream;
}

interface RunOutcome {
  algorithm: string;
  seed: number;
  dir: string;
  history: IterationMetrics[];
  interrupted: boolean;
}

const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);

export async function trainCommand(configPath: string, opts: TrainCommandOptions = {}): Promise<number> {
  const config: RunConfig = loadRunConfig(configPath);
  const output = opts.output ?? config.output;
  const stream = opts.stream ?? process.stderr;
  const abort = new AbortController();
  const onSigint = () => {
    if (abort.signal.aborted) return;
    stream.write('\ninterrupt: finishing the current iteration and writing a checkpoint…\n');
    abort.abort();
  };
  process.on('SIGINT', onSigint);
  const outcomes: RunOutcome[] = [];
  // Read once for all runs, and only when a run starts fresh (a resumed run ignores it).
  let init: Float32Array | undefined;
  const initParams = () => (init ??= initialParams(config.init!));
  try {
    for (const algorithm of config.algorithms) {
      for (const seed of seedList(config.seeds)) {
        if (abort.signal.aborted) break;
        outcomes.push(await runOne(config, algorithm, seed, output, opts.resume === true, initParams, abort.signal, stream));
      }
    }
  } finally {
    process.off('SIGINT', onSigint);
  }
  if (outcomes.some((o) => o.interrupted) || abort.signal.aborted) {
    stream.write(`interrupted: checkpoints are in ${output}; continue with \`dilemma train ${configPath} --resume\`\n`);
    return 130;
  }
  await summarise(config, outcomes, output);
  return 0;
}

/** The policy parameters of the experiment's `init` checkpoint. */
function initialParams(path: string): Float32Array {
  return readCheckpoint(path, 'config.init').state.params;
}

async function runOne(
  config: RunConfig,
  algorithm: Algorithm,
  seed: number,
  output: string,
  resume: boolean,
  initParams: () => Float32Array,
  signal: AbortSignal,
  stream: NodeJS.WriteStream,
): Promise<RunOutcome> {
  const dir = join(output, `${algorithm}-seed${seed}`);
  const checkpointFile = join(dir, 'checkpoint.json');
  const metricsFile = join(dir, 'metrics.jsonl');
  const name = `${algorithm} seed ${seed}`;
  const canResume = resume && existsSync(checkpointFile);
  const trainConfig = { ...config.train, algorithm, seed } as TrainConfig;
  const init = !canResume && config.init !== undefined ? initParams() : undefined;
  const probe = canResume ? Trainer.resume(checkpointFile) : Trainer.create(trainConfig);
  const total = probe.config.iterations;
  const start = probe.iteration;
  const expected = probe.numParams;
  const kind = probe.config.policy.kind;
  probe.dispose();
  if (init && init.length !== expected) {
    throw new DilemmaError(
      ErrorCode.InvalidParam,
      `config.init: checkpoint ${config.init} holds ${init.length} policy parameters, but the runs' ${kind} policy on this game has ${expected}`,
    );
  }
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
  const { trainer, stopped } = await train(canResume ? {} : trainConfig, {
    ...(canResume ? { resume: checkpointFile } : { initParams: init }),
    metricsFile,
    checkpointFile,
    checkpointEvery: config.checkpointEvery,
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
  return { algorithm, seed, dir, history: readMetricsLog<IterationMetrics>(metricsFile), interrupted };
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

async function summarise(config: RunConfig, outcomes: RunOutcome[], output: string): Promise<void> {
  const gameId = (config.train.game as { id?: string } | undefined)?.id ?? 'ipd';
  const rows: Array<Array<string | number>> = [];
  const evaluations: Array<{ algorithm: string; seed: number; evaluation: Awaited<ReturnType<typeof evaluate>> }> = [];
  for (const o of outcomes) {
    const last = o.history.slice(-Math.max(1, Math.floor(o.history.length / 10)));
    const row: Array<string | number> = [o.algorithm, o.seed, o.history.length, mean(last.map((m) => mean(m.meanReturn))), mean(last.map((m) => mean(m.action0Rate)))];
    const trained = Trainer.resume(join(o.dir, 'checkpoint.json'));
    try {
      if (trained.game.info.agents === 2 && trained.game.info.twoAction) {
        const policy = trained.policy(`${o.algorithm}-seed${o.seed}`);
        const opponents = config.evaluate.opponents.map(parsePlayer);
        try {
          const evaluation = await evaluate({
            game: { id: trained.config.game.id, params: trained.config.game.params },
            policy,
            opponents,
            batch: config.evaluate.batch,
            seed: 12345,
          });
          evaluations.push({ algorithm: o.algorithm, seed: o.seed, evaluation });
          row.push(evaluation.selfPlay.cooperation, evaluation.exploitability);
        } finally {
          policy.dispose();
          for (const p of opponents) p.dispose();
        }
      }
    } finally {
      trained.dispose();
    }
    rows.push(row);
  }
  const header = ['algorithm', 'seed', 'iterations', 'final payoff', 'final cooperation', 'self-play coop', 'loss vs AD'];
  const width = Math.max(...rows.map((r) => r.length));
  const used = header.slice(0, width);
  console.log(`\n${gameId}: ${outcomes.length} runs`);
  console.log(formatTable(used, rows.map((r) => r.map((v) => (typeof v === 'number' && !Number.isInteger(v) ? Number(v.toFixed(4)) : v)))));
  writeAtomicAll(
    [
      { path: join(output, 'summary.csv'), content: toCsv(used, rows) },
      { path: join(output, 'summary.json'), content: `${JSON.stringify({ runs: outcomes.map(({ history: _h, ...r }) => r), evaluations }, null, 2)}\n` },
    ],
    'output',
  );
  const statNames = statNamesOf(outcomes[0]);
  const report = await trainingReport(
    outcomes.map((o) => ({ algorithm: o.algorithm, seed: o.seed, history: o.history, statNames })),
    evaluations,
  );
  writeReport(output, report);
  console.log(`\nreport: ${join(output, 'report.html')} (plots also as SVG files); tables: summary.csv, summary.json`);
}

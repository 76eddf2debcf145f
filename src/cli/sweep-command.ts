/**
 * `dilemma sweep FILE [key=value …] --queue redis://…`: every run of an
 * experiment as a job of the queue; `--status`: the state of every run (live
 * on a terminal); `--collect --store DIR`: the finished runs' summary and
 * report, as `dilemma train` writes them for a local experiment.
 */
import { join } from 'node:path';
import { DilemmaError, ErrorCode } from '../errors.js';
import { formatTable } from '../format.js';
import { readMetricsLog } from '../metrics-log.js';
import type { IterationMetrics } from '../train.js';
import { trainJobId } from '../scale/jobs.js';
import { DirectoryRunStore } from '../scale/run-store.js';
import { enqueueSweep, experimentName, openQueue, queueStatus, type JobStatus } from '../scale/sweep.js';
import { runKey } from '../scale/train-job.js';
import { checkExperiment, expandExperiment, type ExperimentPlan } from './experiment.js';
import { readExperimentFile } from './run-config.js';
import { summarise, type RunOutcome } from './train-command.js';

/** Options of {@link sweepCommand}. */
export interface SweepCommandOptions {
  /** The queue address, `redis://HOST:PORT[/DB]` (not needed by collect). */
  queue?: string;
  /** The experiment's name in the queue and the store (default: its output folder's name). */
  name?: string;
  /** Show the state of every run instead of enqueuing. */
  status?: boolean;
  /** Gather the finished runs from the store into the summary and report. */
  collect?: boolean;
  /** The shared store folder (collect). */
  store?: string;
  /** Where collect writes the summary and report (default: the experiment's folder in the store). */
  output?: string;
  /** Overrides and sweeps, `key=value`. */
  overrides?: string[];
  /** Live status until every run has ended (default: on a terminal). */
  watch?: boolean;
  /** Where messages go. */
  stream?: NodeJS.WriteStream;
}

const quote = (s: string) => (/^[A-Za-z0-9._,=+:/@-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);

function loadPlan(file: string, overrides: readonly string[]): ExperimentPlan {
  return expandExperiment(readExperimentFile(file), overrides);
}

/** Runs `dilemma sweep`; returns the exit code. */
export async function sweepCommand(file: string | undefined, opts: SweepCommandOptions = {}): Promise<number> {
  const stream = opts.stream ?? process.stderr;
  const overrides = opts.overrides ?? [];
  if (opts.status && opts.collect) throw new DilemmaError(ErrorCode.InvalidArgument, '--status and --collect: give one of them');
  if (opts.collect) return collect(file, overrides, opts, stream);
  if (!opts.queue) throw new DilemmaError(ErrorCode.InvalidArgument, '--queue: the queue address is missing (redis://HOST:PORT[/DB])');
  if (opts.status) return status(file, overrides, opts);
  if (file === undefined) throw new DilemmaError(ErrorCode.InvalidArgument, 'config: the experiment file is missing');
  const plan = loadPlan(file, overrides);
  checkExperiment(plan);
  const name = experimentName(plan, opts.name);
  const { queue, address } = await openQueue(opts.queue);
  try {
    const r = await enqueueSweep(queue, plan, name);
    stream.write(
      `${plan.runs.length} run${plan.runs.length === 1 ? '' : 's'} of experiment '${name}'${plan.sweepKeys.length ? ` (${plan.points.length} sweep points over ${plan.sweepKeys.join(', ')})` : ''} checked: ` +
        `${r.added.length} enqueued, ${r.existing.length} already in the queue, on ${address.display}\n` +
        `start workers with: dilemma worker --queue ${quote(opts.queue)} --store DIR\n`,
    );
  } finally {
    await queue.close();
  }
  return 0;
}

function progressText(s: JobStatus): string {
  const p = s.progress;
  if (!p || typeof p.iteration !== 'number') return s.state === 'completed' ? 'done' : '-';
  return typeof p.total === 'number' ? `${p.iteration}/${p.total}` : String(p.iteration);
}

function statusTable(rows: JobStatus[]): string {
  const counts = new Map<string, number>();
  for (const r of rows) counts.set(r.state, (counts.get(r.state) ?? 0) + 1);
  const order = ['completed', 'active', 'waiting', 'delayed', 'failed', 'missing'];
  const totals = order.filter((s) => counts.has(s)).map((s) => `${counts.get(s)} ${s}`);
  const table = formatTable(
    ['job', 'state', 'progress', 'attempts', 'worker', 'error'],
    rows.map((r) => [r.id, r.state, progressText(r), String(r.attempts), r.worker ?? '', (r.error ?? '').split('\n', 1)[0].slice(0, 80)]),
  );
  return `${table}\n${rows.length} job${rows.length === 1 ? '' : 's'}: ${totals.join(', ') || 'none'}\n`;
}

async function status(file: string | undefined, overrides: string[], opts: SweepCommandOptions): Promise<number> {
  let ids: string[] | undefined;
  if (file !== undefined) {
    const plan = loadPlan(file, overrides);
    const name = experimentName(plan, opts.name);
    ids = plan.runs.map((r) => trainJobId(name, r.id));
  }
  const { queue } = await openQueue(opts.queue!);
  const out = process.stdout;
  const live = opts.watch ?? out.isTTY === true;
  try {
    for (;;) {
      const rows = await queueStatus(queue, ids);
      const text = statusTable(rows);
      const running = rows.some((r) => r.state === 'active' || r.state === 'waiting' || r.state === 'delayed');
      if (!live) {
        out.write(text);
        return rows.some((r) => r.state === 'failed') ? 1 : 0;
      }
      out.write(`\x1b[H\x1b[J${new Date().toLocaleTimeString()}  (Ctrl-C to leave; the runs go on)\n${text}`);
      if (!running) return rows.some((r) => r.state === 'failed') ? 1 : 0;
      await new Promise((r) => setTimeout(r, 1000));
    }
  } finally {
    await queue.close();
  }
}

async function collect(file: string | undefined, overrides: string[], opts: SweepCommandOptions, stream: NodeJS.WriteStream): Promise<number> {
  if (file === undefined) throw new DilemmaError(ErrorCode.InvalidArgument, 'config: --collect needs the experiment file (and overrides) the sweep was enqueued with');
  if (!opts.store) throw new DilemmaError(ErrorCode.InvalidArgument, '--store: --collect needs the shared store folder the workers wrote to');
  const plan = loadPlan(file, overrides);
  const name = experimentName(plan, opts.name);
  const store = new DirectoryRunStore(opts.store);
  const output = opts.output ?? join(opts.store, name);
  const missing: string[] = [];
  const outcomes: RunOutcome[] = [];
  for (const spec of plan.runs) {
    const key = runKey(name, spec);
    if (!(await store.getResult(key))) {
      missing.push(spec.id);
      continue;
    }
    const dir = await store.localFolder(key);
    outcomes.push({ spec, dir, history: readMetricsLog<IterationMetrics>(join(dir, 'metrics.jsonl')), interrupted: false });
  }
  if (missing.length) {
    let states = '';
    if (opts.queue) {
      const { queue } = await openQueue(opts.queue);
      try {
        const rows = await queueStatus(queue, missing.map((id) => trainJobId(name, id)));
        states = `\n${statusTable(rows)}`;
      } finally {
        await queue.close();
      }
    }
    stream.write(`${missing.length} of ${plan.runs.length} runs of '${name}' are not finished: ${missing.slice(0, 10).join(', ')}${missing.length > 10 ? ', …' : ''}${states}\n`);
    return 1;
  }
  const collected = { ...plan, output };
  const facts = checkExperiment(collected);
  const command = ['dilemma', 'sweep', file, ...overrides, ...(opts.name ? ['--name', opts.name] : []), '--collect', '--store', opts.store, ...(opts.output ? ['--out', opts.output] : [])].map(quote).join(' ');
  await summarise(collected, facts, outcomes, command);
  return 0;
}

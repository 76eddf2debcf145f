/**
 * `dilemma export`: a checkpoint's policy to ONNX, trajectories to JSON
 * lines (one episode per line), and training metrics as one table, for
 * other tools.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { DilemmaError, ErrorCode } from '../errors.js';
import { AtomicFile, writeAtomic } from '../fs-safe.js';
import { readMetricsLog } from '../metrics-log.js';
import { writeTrajectoryNpy } from '../npy.js';
import { rollout } from '../rollout.js';
import { Trainer } from '../train.js';
import { toCsv } from './csv.js';
import { parsePlayer } from './players.js';

export function exportOnnxCommand(checkpoint: string, out: string): void {
  const trainer = Trainer.resume(checkpoint, 'checkpoint');
  try {
    const bytes = trainer.exportOnnx();
    writeAtomic(out, bytes, 'out');
    console.log(`${out}: ${trainer.config.policy.kind} policy, ${trainer.numParams} parameters, ${bytes.length} bytes`);
  } finally {
    trainer.dispose();
  }
}

export interface TrajectoryExportOptions {
  game: string;
  params?: Record<string, unknown>;
  players: string[];
  batch: number;
  seed: number;
  out: string;
  observations: boolean;
  /** `jsonl` (one episode per line) or `npy` (a folder of `.npy` arrays, as numpy loads them). */
  format?: 'jsonl' | 'npy';
}

/**
 * `jsonl`: each line { episode, group, length, returns, steps: [{ t, actions, rewards, logProbs, observations? }] }.
 * `npy`: the rollout's arrays in folder `out` (see writeTrajectoryNpy; observations always included).
 */
export async function exportTrajectoriesCommand(o: TrajectoryExportOptions): Promise<void> {
  const format = o.format ?? 'jsonl';
  if (format !== 'jsonl' && format !== 'npy') {
    throw new DilemmaError(ErrorCode.InvalidArgument, `--format must be jsonl or npy, got '${String(format)}'`);
  }
  const players = o.players.map((spec) => parsePlayer(spec));
  try {
    const t = await rollout({ game: { id: o.game as never, params: o.params ?? {} }, policies: players, batch: o.batch, seed: o.seed });
    if (format === 'npy') {
      const files = writeTrajectoryNpy(o.out, t);
      console.log(`${o.out}: ${t.batch} episodes of ${o.game} as ${files.length} .npy arrays`);
      return;
    }
    // Written under a temporary name and renamed at the end: a failure leaves no partial file.
    const out = AtomicFile.open(o.out, 'out');
    try {
      const A = t.agents, O = t.obsDim;
      for (let b = 0; b < t.batch; b++) {
        const steps = [];
        const returns = new Array<number>(A).fill(0);
        for (let s = 0; s < t.steps; s++) {
          const row = b * t.steps + s;
          if (!t.mask[row]) break;
          const slice = <T extends ArrayLike<number>>(a: T) => Array.from({ length: A }, (_, k) => a[row * A + k]);
          const rewards = slice(t.rewards);
          rewards.forEach((r, k) => (returns[k] += r));
          steps.push({
            t: s,
            actions: slice(t.actions),
            rewards,
            logProbs: slice(t.logProbs),
            ...(o.observations ? { observations: Array.from({ length: A }, (_, k) => Array.from(t.observations.subarray((row * A + k) * O, (row * A + k + 1) * O))) } : {}),
          });
        }
        out.write(`${JSON.stringify({ episode: b, group: t.groups[b], length: steps.length, returns, steps })}\n`);
      }
      out.commit();
    } finally {
      out.abort();
    }
    console.log(`${o.out}: ${t.batch} episodes of ${o.game}`);
  } finally {
    for (const p of players) p.dispose();
  }
}

/** Options of `dilemma export metrics`. */
export interface MetricsExportOptions {
  /** An experiment's output folder (or one run's folder). */
  dir: string;
  format: 'csv' | 'jsonl';
  /** File to write; standard output when absent. */
  out?: string;
}

type Row = Record<string, string | number | boolean>;

/** One metrics line as flat columns: arrays become `name.k`, game statistics `gameStats.<name>`. */
function flatten(line: Record<string, unknown>, statNames: string[]): Row {
  const row: Row = {};
  for (const [key, value] of Object.entries(line)) {
    if (Array.isArray(value)) {
      value.forEach((v, k) => {
        row[`${key}.${key === 'gameStats' && statNames[k] ? statNames[k] : k}`] = v as number;
      });
    } else if (typeof value === 'number' || typeof value === 'string' || typeof value === 'boolean') row[key] = value;
  }
  return row;
}

/**
 * Every run's metrics log under a folder (metrics.jsonl files, any depth) as
 * one table: a row per iteration with its run id and time first, arrays
 * spread into numbered columns (`meanReturn.0`) and game statistics named
 * (`gameStats.welfare`). CSV for spreadsheets and data frames, or JSON lines.
 */
export function exportMetricsCommand(o: MetricsExportOptions): { runs: number; rows: number } {
  if (o.format !== 'csv' && o.format !== 'jsonl') throw new DilemmaError(ErrorCode.InvalidArgument, `--format must be csv or jsonl, not '${String(o.format)}'`);
  let st;
  try {
    st = statSync(o.dir);
  } catch {
    throw new DilemmaError(ErrorCode.InvalidArgument, `dir: ${o.dir} does not exist`);
  }
  const files = st.isDirectory()
    ? (readdirSync(o.dir, { recursive: true }) as string[]).filter((f) => basename(f) === 'metrics.jsonl').sort().map((f) => join(o.dir, f))
    : [o.dir];
  if (files.length === 0) throw new DilemmaError(ErrorCode.InvalidArgument, `dir: no metrics.jsonl under ${o.dir}`);
  const rows: Row[] = [];
  for (const file of files) {
    const run = relative(o.dir, dirname(file)) || basename(dirname(file));
    const checkpoint = join(dirname(file), 'checkpoint.json');
    let statNames: string[] = [];
    if (existsSync(checkpoint)) {
      const t = Trainer.resume(checkpoint, 'checkpoint');
      statNames = t.statNames;
      t.dispose();
    }
    for (const line of readMetricsLog<{ iteration: number; run?: string; time?: string }>(file)) {
      rows.push({ run: line.run ?? run, time: line.time ?? '', ...flatten(line as unknown as Record<string, unknown>, statNames) });
    }
  }
  const columns: string[] = [];
  const seen = new Set<string>();
  for (const r of rows) for (const k of Object.keys(r)) if (!seen.has(k)) seen.add(k), columns.push(k);
  const text =
    o.format === 'csv'
      ? toCsv(columns, rows.map((r) => columns.map((c) => (r[c] === undefined ? '' : typeof r[c] === 'boolean' ? String(r[c]) : (r[c] as string | number)))))
      : rows.map((r) => JSON.stringify(r)).join('\n') + '\n';
  if (o.out) writeAtomic(o.out, text, 'out');
  else process.stdout.write(text);
  return { runs: files.length, rows: rows.length };
}

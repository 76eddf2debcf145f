/**
 * Where the workers of a sweep keep their runs: per run, a checkpoint and its
 * metrics log (the formats `dilemma train` writes, so a stored run resumes
 * bit-identically anywhere) and, once it is finished, a small result record.
 * RunStore is the interface a worker needs; DirectoryRunStore implements it
 * on a folder every worker can reach (a network file system on a cluster).
 * An object store can implement the same interface later.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { DilemmaError, ErrorCode } from '../errors.js';
import { appendToLog, readRegularFile, syncLog, writeAtomic, writeAtomicAll } from '../fs-safe.js';
import { readCheckpoint } from '../train.js';
import { MAX_CHECKPOINT_BYTES } from '../train/checkpoint.js';

/** A run's checkpoint and metrics log, read or written as one consistent pair. */
export interface RunFiles {
  /** checkpoint.json as train() writes it. */
  checkpoint: Uint8Array;
  /** metrics.jsonl: at least the lines of the iterations the checkpoint holds. */
  metrics: Uint8Array;
}

/** What a finished run leaves besides its files: the run is not trained again once this exists. */
export interface RunResult {
  /** The run's key in the store. */
  key: string;
  /** Iterations trained. */
  iterations: number;
  /** SHA-256 of the final checkpoint file. */
  checkpointSha256: string;
  /** The worker that finished it (`host:pid`). */
  worker: string;
  /** ISO 8601 time it finished. */
  finishedAt: string;
}

/**
 * Storage for the runs of queued sweeps, keyed by run key
 * (`<experiment>/<run folder>`: folder names of letters, digits and `._,=+-` joined by '/'). Writes are atomic:
 * a reader sees a whole pair of files or the previous one.
 */
export interface RunStore {
  /** Where the store is, for messages. */
  readonly location: string;
  /** The run's last saved checkpoint and metrics; undefined when it has none. */
  getRun(key: string): Promise<RunFiles | undefined>;
  /**
   * Saves a checkpoint with its metrics. Refused (returns false, nothing
   * written) when the store already holds a later iteration of the run or
   * its result, so that a worker that lost its job cannot move a run back.
   */
  putRun(key: string, files: RunFiles, iteration: number): Promise<boolean>;
  /** The run's result, once it is finished. */
  getResult(key: string): Promise<RunResult | undefined>;
  /** Marks the run finished (after its final putRun). */
  putResult(key: string, result: RunResult): Promise<void>;
  /** Keys of the runs under a prefix (an experiment name) that have a checkpoint or a result. */
  list(prefix?: string): Promise<string[]>;
  /**
   * A local folder holding the run's checkpoint.json and metrics.jsonl, for
   * the summary and report (a directory store's own folder; a remote store
   * downloads them).
   */
  localFolder(key: string): Promise<string>;
}

const SEGMENT = /^[A-Za-z0-9._,=+-]+$/;

/**
 * Checks a run key: folder names of safe characters joined by '/', none of
 * them '.' or '..', so that a key from the queue can never name a file
 * outside the store. Throws ERR_INVALID_ARGUMENT naming `param`.
 */
export function checkRunKey(key: unknown, param = 'run key'): string {
  const ok = typeof key === 'string' && key.length > 0 && key.length <= 1024 && key.split('/').every((s) => SEGMENT.test(s) && s !== '.' && s !== '..');
  if (!ok) throw new DilemmaError(ErrorCode.InvalidArgument, `${param}: '${String(key)}' is not a run key (folder names of letters, digits and ._,=+- joined by '/')`);
  return key as string;
}

/** The file names of a run's folder, as `dilemma train` writes them. */
export const RUN_FILES = { checkpoint: 'checkpoint.json', metrics: 'metrics.jsonl', result: 'result.json' } as const;

const MAX_METRICS_BYTES = 1 << 30;

/**
 * A RunStore on a folder: `<root>/<key>/checkpoint.json`, `metrics.jsonl`
 * and `result.json`, the layout of a `dilemma train` output folder, so
 * `<root>/<experiment>` reads like a local experiment's folder.
 */
export class DirectoryRunStore implements RunStore {
  /** The store's folder. */
  readonly root: string;
  /** Same as root. */
  readonly location: string;

  /** A store on `root` (created by the first write); `param` names the option in errors. */
  constructor(root: string, param = '--store') {
    if (typeof root !== 'string' || root.length === 0) throw new DilemmaError(ErrorCode.InvalidArgument, `${param}: the store folder is missing`);
    if (existsSync(root) && !statSync(root).isDirectory()) throw new DilemmaError(ErrorCode.NotAFile, `${param}: ${root} exists and is not a folder`);
    this.root = root;
    this.location = root;
  }

  #dir(key: string): string {
    return join(this.root, ...checkRunKey(key).split('/'));
  }

  /** See {@link RunStore.getRun}. */
  async getRun(key: string): Promise<RunFiles | undefined> {
    const dir = this.#dir(key);
    const checkpointPath = join(dir, RUN_FILES.checkpoint);
    if (!existsSync(checkpointPath)) return undefined;
    // The checkpoint first: putRun renames the metrics first, so these metrics are at least as new.
    const checkpoint = readRegularFile(checkpointPath, { param: `run ${key}`, what: 'checkpoint', maxBytes: MAX_CHECKPOINT_BYTES, code: ErrorCode.InvalidCheckpoint });
    const metricsPath = join(dir, RUN_FILES.metrics);
    const metrics = existsSync(metricsPath) ? readRegularFile(metricsPath, { param: `run ${key}`, what: 'metrics log', maxBytes: MAX_METRICS_BYTES }) : new Uint8Array();
    return { checkpoint, metrics };
  }

  /** See {@link RunStore.putRun}. */
  async putRun(key: string, files: RunFiles, iteration: number): Promise<boolean> {
    const dir = this.#dir(key);
    if (existsSync(join(dir, RUN_FILES.result))) return false;
    const checkpointPath = join(dir, RUN_FILES.checkpoint);
    if (existsSync(checkpointPath) && readCheckpoint(checkpointPath, `run ${key}`).state.iteration > iteration) return false;
    const metricsPath = join(dir, RUN_FILES.metrics);
    // The metrics log grows by a few lines per checkpoint: rewriting it whole
    // each time would write (and sync) a long run's log quadratically. When
    // the stored log is a prefix of the new one, only the new lines are
    // appended and synced before the checkpoint is replaced; a crash in
    // between leaves lines past the checkpoint, which a resume cuts.
    const stored = existsSync(metricsPath) && existsSync(checkpointPath) ? readRegularFile(metricsPath, { param: `run ${key}`, what: 'metrics log', maxBytes: MAX_METRICS_BYTES }) : undefined;
    const metrics = Buffer.from(files.metrics.buffer, files.metrics.byteOffset, files.metrics.byteLength);
    if (stored && stored.length <= metrics.length && metrics.subarray(0, stored.length).equals(stored)) {
      if (metrics.length > stored.length) appendToLog(metricsPath, metrics.subarray(stored.length).toString('utf8'), `run ${key}`);
      syncLog(metricsPath, `run ${key}`);
      writeAtomic(checkpointPath, files.checkpoint, `run ${key}`);
      return true;
    }
    writeAtomicAll(
      [
        { path: metricsPath, content: files.metrics },
        { path: checkpointPath, content: files.checkpoint },
      ],
      `run ${key}`,
    );
    return true;
  }

  /** See {@link RunStore.getResult}. */
  async getResult(key: string): Promise<RunResult | undefined> {
    const path = join(this.#dir(key), RUN_FILES.result);
    if (!existsSync(path)) return undefined;
    const text = readRegularFile(path, { param: `run ${key}`, what: 'run result', maxBytes: 1 << 20 }).toString('utf8');
    try {
      return JSON.parse(text) as RunResult;
    } catch {
      throw new DilemmaError(ErrorCode.Io, `run ${key}: ${path} is not a run result`);
    }
  }

  /** See {@link RunStore.putResult}. */
  async putResult(key: string, result: RunResult): Promise<void> {
    writeAtomic(join(this.#dir(key), RUN_FILES.result), `${JSON.stringify(result, null, 2)}\n`, `run ${key}`);
  }

  /** See {@link RunStore.list}. */
  async list(prefix = ''): Promise<string[]> {
    const start = prefix ? this.#dir(prefix) : this.root;
    const out: string[] = [];
    const walk = (dir: string) => {
      let names: string[];
      try {
        names = readdirSync(dir);
      } catch {
        return;
      }
      if (names.includes(RUN_FILES.checkpoint) || names.includes(RUN_FILES.result)) {
        out.push(relative(this.root, dir).split(sep).join('/'));
      }
      for (const name of names) {
        const path = join(dir, name);
        if (SEGMENT.test(name) && !name.startsWith('.') && statSync(path, { throwIfNoEntry: false })?.isDirectory()) walk(path);
      }
    };
    walk(start);
    return out.sort();
  }

  /** See {@link RunStore.localFolder}. */
  async localFolder(key: string): Promise<string> {
    return this.#dir(key);
  }
}

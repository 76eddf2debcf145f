/**
 * A queue worker: takes jobs of every registered kind from the queue,
 * processes them against a shared store and reports progress through the
 * queue. BullMQ's locks and stalled-job checks hand the job of a worker that
 * died (SIGKILL, a lost machine) to another one; a kind's processor resumes
 * it from the store. bullmq is imported here only, on first use.
 */
import { DilemmaError, ErrorCode, isDilemmaError } from '../errors.js';
import type { JobContext } from './job-context.js';
import { isPermanentFailure, jobProcessor, QUEUE_NAME } from './jobs.js';
import { loadBullmq } from './bullmq.js';
import { parseQueueUrl, redisOptions } from './queue-url.js';
import type { RunStore } from './run-store.js';
import { workerName } from './job-context.js';

/** Options of {@link runWorker}. */
export interface WorkerOptions {
  /** The queue address, `redis://HOST:PORT[/DB]`. */
  queue: string;
  /** The shared store of runs. */
  store: RunStore;
  /** Jobs processed at once by this worker. Default 1. */
  concurrency?: number;
  /**
   * Milliseconds a job's lock lasts without renewal; a worker silent for
   * longer (killed, cut off) loses its job to another worker, which checks
   * for such jobs every half of it. Default 30000.
   */
  stalledMs?: number;
  /** Stop once the queue has nothing waiting, delayed or running. */
  exitWhenIdle?: boolean;
  /** Log lines (default: none). */
  log?: (line: string) => void;
}

/** A running worker. */
export interface WorkerHandle {
  /** Resolves when the worker has stopped (after close(), or when idle with exitWhenIdle). */
  done: Promise<void>;
  /** Stops taking jobs and waits for the running ones to finish (force: drop them; they go to another worker once their lock expires). */
  close(force?: boolean): Promise<void>;
  /** Jobs this worker has finished, and attempts that failed. */
  counts: {
    /** Jobs completed. */
    completed: number;
    /** Attempts that failed (a job retried twice counts twice). */
    failed: number;
  };
}

/** How many times a job may be recovered from a dead worker before it fails. */
const MAX_STALLED = 5;

/** Starts a worker; see {@link WorkerOptions}. */
export async function runWorker(options: WorkerOptions): Promise<WorkerHandle> {
  const address = parseQueueUrl(options.queue);
  const concurrency = options.concurrency ?? 1;
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 256) {
    throw new DilemmaError(ErrorCode.InvalidArgument, `--concurrency: must be an integer in 1..256, got ${String(options.concurrency)}`);
  }
  const stalledMs = options.stalledMs ?? 30_000;
  if (!Number.isInteger(stalledMs) || stalledMs < 200) throw new DilemmaError(ErrorCode.InvalidArgument, `--stalled-ms: must be an integer of at least 200, got ${String(options.stalledMs)}`);
  const log = options.log ?? (() => {});
  const { Worker, Queue, UnrecoverableError } = await loadBullmq();
  const connection = redisOptions(address, 'worker');
  const name = workerName();
  const counts = { completed: 0, failed: 0 };
  const lost = new Set<string>();
  const processor = async (job: import('bullmq').Job, token?: string, signal?: AbortSignal) => {
    const id = String(job.id);
    const aborted = signal ?? new AbortController().signal;
    const context: JobContext = {
      id,
      kind: job.name,
      data: job.data,
      attempt: job.attemptsStarted || job.attemptsMade + 1,
      store: options.store,
      worker: name,
      progress: (value) => {
        job.updateProgress(value).catch(() => {});
      },
      ownsJob: async () => {
        if (lost.has(id)) return false;
        if (!token) return true;
        try {
          return Boolean(await job.extendLock(token, stalledMs));
        } catch {
          return false;
        }
      },
      signal: aborted,
      log: (line) => log(line),
    };
    try {
      const run = await jobProcessor(job.name);
      return await run(context);
    } catch (e) {
      // The code leads the failed reason, so the side that enqueued the job
      // can report the job's own error code.
      if (isPermanentFailure(e)) {
        const err = e as Error & { code: string };
        throw new UnrecoverableError(`[${err.code}] ${err.message}`);
      }
      if (isDilemmaError(e)) throw new Error(`[${e.code}] ${e.message}`, { cause: e });
      throw e;
    } finally {
      lost.delete(id);
    }
  };
  const worker = new Worker(QUEUE_NAME, processor, {
    connection,
    concurrency,
    name,
    lockDuration: stalledMs,
    stalledInterval: Math.max(100, Math.floor(stalledMs / 2)),
    maxStalledCount: MAX_STALLED,
    autorun: true,
  });
  worker.on('lockRenewalFailed', (ids: string[]) => {
    for (const id of ids) {
      lost.add(id);
      worker.cancelJob(id, 'lock lost');
    }
  });
  worker.on('completed', () => counts.completed++);
  worker.on('failed', (job, err) => {
    counts.failed++;
    log(`${job?.id ?? '?'}: failed (attempt ${job?.attemptsMade ?? '?'}): ${err.message}`);
  });
  worker.on('stalled', (id: string) => log(`${id}: its worker stopped answering; handed back to the queue`));
  worker.on('error', (e: Error) => log(`queue: ${e.message}`));
  await worker.waitUntilReady().catch((e: Error) => {
    throw new DilemmaError(ErrorCode.QueueUnavailable, `--queue: cannot reach ${address.display}: ${e.message}`, { cause: e });
  });
  log(`worker ${name}: serving ${QUEUE_NAME} on ${address.display} (${concurrency} at a time), store ${options.store.location}`);

  let resolveDone!: () => void;
  const done = new Promise<void>((r) => (resolveDone = r));
  let closing: Promise<void> | undefined;
  let idleTimer: NodeJS.Timeout | undefined;
  const close = (force = false): Promise<void> => {
    if (idleTimer) clearInterval(idleTimer);
    closing ??= worker.close(force).then(resolveDone, (e: unknown) => {
      log(`queue: ${(e as Error).message}`);
      resolveDone();
    });
    return closing;
  };
  if (options.exitWhenIdle) {
    const queue = new Queue(QUEUE_NAME, { connection });
    queue.on('error', () => {}); // the worker's own listener reports connection trouble
    let checking = false;
    idleTimer = setInterval(() => {
      if (checking) return;
      checking = true;
      queue
        .getJobCounts('waiting', 'active', 'delayed', 'prioritized')
        .then((c) => {
          if (Object.values(c).every((n) => n === 0)) return close();
        })
        .catch(() => {})
        .finally(() => (checking = false));
    }, Math.min(1000, stalledMs));
    void done.then(() => queue.close().catch(() => {}));
  }
  return { done, close, counts };
}

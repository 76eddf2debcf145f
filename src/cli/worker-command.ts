/**
 * `dilemma worker --queue redis://… --store DIR [--concurrency N]`: serves
 * the queue's jobs (training runs of sweeps, and every other registered
 * kind) until stopped. The first Ctrl-C (or SIGTERM) lets the running jobs
 * finish; a second one leaves at once, and those jobs go to another worker
 * once their lock expires, from their last checkpoint.
 */
import { setThreads } from '../info.js';
import { DirectoryRunStore } from '../scale/run-store.js';
import { runWorker } from '../scale/worker.js';

/** Options of {@link workerCommand}. */
export interface WorkerCommandOptions {
  queue: string;
  store: string;
  concurrency?: number;
  /** Lock duration in milliseconds (see runWorker). */
  stalledMs?: number;
  /** Native threads (see setThreads); default all cores. */
  threads?: number;
  /** Leave once the queue is empty. */
  exitWhenIdle?: boolean;
}

/** Runs a worker until it is stopped; returns the exit code. */
export async function workerCommand(opts: WorkerCommandOptions): Promise<number> {
  const store = new DirectoryRunStore(opts.store);
  if (opts.threads !== undefined) setThreads(opts.threads);
  const log = (line: string) => process.stdout.write(`${new Date().toISOString()} ${line}\n`);
  const handle = await runWorker({ queue: opts.queue, store, concurrency: opts.concurrency, stalledMs: opts.stalledMs, exitWhenIdle: opts.exitWhenIdle, log });
  let signals = 0;
  const onSignal = () => {
    signals++;
    if (signals === 1) {
      log('stopping: finishing the running jobs (again to leave now; they then resume elsewhere from their last checkpoint)');
      void handle.close();
    } else {
      process.exit(130);
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    await handle.done;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  log(`worker stopped: ${handle.counts.completed} jobs completed, ${handle.counts.failed} failed attempts`);
  return signals > 0 ? 130 : 0;
}

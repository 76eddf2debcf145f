/**
 * What a queue job's processor is given and returns (see jobs.ts for the
 * registry of processors).
 */
import { hostname } from 'node:os';
import type { RunStore } from './run-store.js';

/** What a processor gets for one job. */
export interface JobContext<Data = unknown> {
  /** The job's id (for a training run: `<experiment>/<run id>`). */
  id: string;
  /** The job's kind (its BullMQ name). */
  kind: string;
  /** The job's data as enqueued. */
  data: Data;
  /** 1 for the first attempt, 2 after a failure or a stall, … */
  attempt: number;
  /** The worker's shared store. */
  store: RunStore;
  /** A name for this worker (`host:pid`), recorded in results. */
  worker: string;
  /**
   * Reports progress through the queue (job.updateProgress); never waits and
   * never throws, so that a Redis outage does not stop the work.
   */
  progress(value: Record<string, unknown>): void;
  /**
   * Resolves false when this worker no longer holds the job (its lock was
   * lost, e.g. after a long Redis outage, and another worker may have it):
   * call before publishing results to the store.
   */
  ownsJob(): Promise<boolean>;
  /** Aborted when this worker loses the job (its lock could not be renewed); stop at the next safe point. */
  signal: AbortSignal;
  /** A line for the worker's log. */
  log(line: string): void;
}

/**
 * Serves one kind of job; what it resolves to is the job's return value
 * (JSON). Throw a DilemmaError whose code is one of PERMANENT_CODES (a bad
 * config, an unknown strategy, a missing file) to fail the job once without
 * retries; any other error is retried (3 attempts, back-off).
 */
export type JobProcessor<Data = unknown> = (job: JobContext<Data>) => Promise<unknown>;

/** `host:pid`, the name a worker records in results. */
export function workerName(): string {
  return `${hostname()}:${process.pid}`;
}

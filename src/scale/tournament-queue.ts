/**
 * Tournaments over a BullMQ queue: the jobs of {@link splitTournament} are
 * enqueued, any number of `dilemma worker`s play them, and the caller merges
 * the results into the single-process result. BullMQ is imported only when a
 * queue is used, so the rest of the engine never loads it.
 */
import { DilemmaError, ErrorCode } from '../errors.js';
import { loadBullmq } from './bullmq.js';
import { QUEUE_NAME } from './jobs.js';
import { parseQueueUrl, redisOptions } from './queue-url.js';
import {
  DEFAULT_PAIRS_PER_JOB,
  mergeTournamentJobs,
  splitTournament,
  type MergedTournament,
  type TournamentJobData,
  type TournamentJobResult,
  type TournamentPlan,
} from './tournament-jobs.js';


/** `promise`, or a coded error naming the address after `ms`. */
async function within<T>(promise: Promise<T>, url: string, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DilemmaError(ErrorCode.BackendUnavailable, `--queue: no Redis answered at ${url} within ${ms / 1000} s`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** A job failure as the worker reported it; a coded engine error keeps its code. */
function jobError(id: string, reason: string): DilemmaError {
  const m = /^\[(ERR_[A-Z0-9_]+)\] ([\s\S]*)$/.exec(reason);
  const code = m && (Object.values(ErrorCode) as string[]).includes(m[1]) ? (m[1] as ErrorCode) : ErrorCode.BackendUnavailable;
  return new DilemmaError(code, `tournament job ${id} failed: ${m ? m[2] : reason}`);
}

/** Options of {@link runQueuedTournament}. */
export interface QueuedTournamentOptions {
  /** The Redis address, `redis://HOST:PORT[/DB]`. */
  queue: string;
  /** Ordered pairs per job; default {@link DEFAULT_PAIRS_PER_JOB}. */
  pairsPerJob?: number;
  /** The BullMQ queue name; default {@link QUEUE_NAME}, the queue `dilemma worker` serves. */
  queueName?: string;
  /** Called once the jobs are enqueued (with 0) and after each finished job, with the count of finished jobs and the total. */
  onProgress?: (done: number, total: number) => void;
  /** How long to wait for Redis to answer at the start, in ms; default 10000. */
  connectTimeoutMs?: number;
}

/**
 * Enqueues a tournament's jobs, waits for workers to play them, and merges
 * the results: the same result as `dilemma tournament` in one process.
 *
 * Job ids depend only on the plan and pairs per job, so running the same
 * tournament again (after an interruption) reuses jobs already played or in
 * flight. Once merged, or when a job fails, the tournament's jobs are
 * removed from the queue.
 *
 * @throws DilemmaError `ERR_INVALID_ARGUMENT` for a bad plan or address;
 * `ERR_BACKEND_UNAVAILABLE` when Redis does not answer or a client package is
 * missing; a failed job's own code (e.g. `ERR_UNKNOWN_STRATEGY`).
 */
export async function runQueuedTournament(plan: TournamentPlan, options: QueuedTournamentOptions): Promise<MergedTournament> {
  // A long wait must survive a Redis restart as a worker does; the first
  // command below is timed, so a wrong address is still reported.
  const connection = redisOptions(parseQueueUrl(options.queue), 'worker');
  const jobs = splitTournament(plan, options.pairsPerJob ?? DEFAULT_PAIRS_PER_JOB);
  const name = options.queueName ?? QUEUE_NAME;
  const { Queue, QueueEvents, Job } = await loadBullmq();
  const queue = new Queue(name, { connection });
  queue.on('error', () => {}); // ioredis reconnects by itself; a lost connection only delays the wait
  // A real command proves the server answers (waitUntilReady does not);
  // the events connection is opened only then, as it cannot be closed
  // before it has connected once.
  try {
    await within(queue.getJobCounts(), options.queue, options.connectTimeoutMs ?? 10_000);
  } catch (e) {
    await queue.close();
    throw e;
  }
  const events = new QueueEvents(name, { connection });
  events.on('error', () => {});
  const pending = new Set(jobs.map((j) => j.id));
  const results = new Map<string, TournamentJobResult>();
  const touched = new Set<string>();
  let wake: (() => void) | undefined;
  const note = ({ jobId }: { jobId: string }) => {
    if (!pending.has(jobId)) return;
    touched.add(jobId);
    wake?.();
  };
  events.on('completed', note);
  events.on('failed', note);
  let failure: DilemmaError | undefined;
  try {
    await within(events.waitUntilReady(), options.queue, options.connectTimeoutMs ?? 10_000);
    const add = (list: TournamentJobData[]) =>
      queue.addBulk(list.map((data) => ({ name: 'tournament', data, opts: { jobId: data.id, attempts: 1, removeOnComplete: false, removeOnFail: false } })));
    for (let k = 0; k < jobs.length; k += 500) await add(jobs.slice(k, k + 500));
    options.onProgress?.(0, jobs.length);
    const byId = new Map(jobs.map((j) => [j.id, j]));
    const check = async (id: string) => {
      // The state first, then the job: a job read while active would have no return value yet.
      const state = await queue.getJobState(id);
      if (state === 'unknown') {
        // Removed by someone else while we waited: put it back.
        await add([byId.get(id)!]);
        return;
      }
      if (state !== 'completed' && state !== 'failed') return;
      const job = await Job.fromId(queue, id);
      if (!job) return;
      if (state === 'completed') {
        results.set(id, job.returnvalue as TournamentJobResult);
        pending.delete(id);
        options.onProgress?.(results.size, jobs.length);
      } else if (state === 'failed') {
        failure ??= jobError(id, job.failedReason ?? 'no reason given');
        pending.delete(id);
      }
    };
    // Events make the wait prompt; a full sweep every few seconds catches
    // events missed (jobs finished before we subscribed, reconnections).
    let sweepAt = 0;
    while (pending.size > 0 && !failure) {
      const now = Date.now();
      const ids = now >= sweepAt ? [...pending] : [...touched].filter((id) => pending.has(id));
      if (now >= sweepAt) sweepAt = now + 3000;
      touched.clear();
      for (const id of ids) {
        await check(id);
        if (failure) break;
      }
      if (pending.size === 0 || failure) break;
      if (touched.size === 0) {
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, Math.max(50, sweepAt - Date.now()));
          wake = () => {
            clearTimeout(t);
            resolve();
          };
        });
        wake = undefined;
      }
    }
    if (failure) throw failure;
    return mergeTournamentJobs(plan, jobs.map((j) => results.get(j.id)!));
  } finally {
    // Best effort: a job a worker still holds cannot be removed, and is harmless.
    await Promise.allSettled(jobs.map((j) => queue.remove(j.id)));
    await Promise.allSettled([events.close(), queue.close()]);
  }
}

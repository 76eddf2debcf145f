/**
 * Tournaments over a BullMQ queue: the jobs of {@link splitTournament} are
 * enqueued, any number of `dilemma worker`s play them, and the caller merges
 * the results into the single-process result. BullMQ is imported only when a
 * queue is used, so the rest of the engine never loads it.
 */
import { createRequire } from 'node:module';
import { DilemmaError, ErrorCode, isDilemmaError } from '../errors.js';
import {
  DEFAULT_PAIRS_PER_JOB,
  mergeTournamentJobs,
  runTournamentJob,
  splitTournament,
  type MergedTournament,
  type TournamentJobData,
  type TournamentJobResult,
  type TournamentPlan,
} from './tournament-jobs.js';

/** The queue tournaments use unless told otherwise; workers must listen on the same one. */
export const DEFAULT_TOURNAMENT_QUEUE = 'dilemma';

/** Where a Redis server is, as BullMQ's connection option takes it. */
export interface RedisAddress {
  /** Host name or address. */
  host: string;
  /** TCP port. */
  port: number;
  /** Database number. */
  db: number;
  /** User name, when the address has one. */
  username?: string;
  /** Password, when the address has one. */
  password?: string;
}

/**
 * Parses `redis://[USER:PASSWORD@]HOST[:PORT][/DB]` (port 6379 and database
 * 0 by default).
 *
 * @throws DilemmaError `ERR_INVALID_ARGUMENT` naming `param` for anything else.
 */
export function parseRedisAddress(url: string, param = '--queue'): RedisAddress {
  const bad = (why: string): never => {
    throw new DilemmaError(ErrorCode.InvalidArgument, `${param} must be redis://HOST:PORT[/DB] (${why}), got '${String(url)}'`);
  };
  if (typeof url !== 'string') return bad('not a string');
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return bad('not a URL');
  }
  if (u.protocol !== 'redis:') bad('the scheme must be redis://');
  if (!u.hostname) bad('no host');
  if (u.search || u.hash) bad('no query or fragment');
  const port = u.port === '' ? 6379 : Number(u.port);
  if (!Number.isInteger(port) || port < 1 || port > 65535) bad('the port must be 1 to 65535');
  const path = u.pathname.replace(/^\//, '');
  if (path !== '' && !/^\d{1,5}$/.test(path)) bad('the database must be a number');
  const host = u.hostname.replace(/^\[(.*)\]$/, '$1');
  return {
    host,
    port,
    db: path === '' ? 0 : Number(path),
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
  };
}

/** BullMQ's connection options for an address; a worker's connection must retry commands for ever, as BullMQ requires. */
export function redisConnection(url: string, param = '--queue'): RedisAddress & { maxRetriesPerRequest: null } {
  return { ...parseRedisAddress(url, param), maxRetriesPerRequest: null };
}

/**
 * Imports BullMQ on first use, after checking that its Redis client
 * (`ioredis`, an optional peer of BullMQ) can be loaded: without it BullMQ
 * fails later with an unrelated-looking TypeError.
 *
 * @throws DilemmaError `ERR_BACKEND_UNAVAILABLE` when either package is missing.
 */
export async function loadBullmq(): Promise<typeof import('bullmq')> {
  const require = createRequire(import.meta.url);
  let bullmq: string;
  try {
    bullmq = require.resolve('bullmq');
  } catch (e) {
    throw new DilemmaError(ErrorCode.BackendUnavailable, "the queue needs the 'bullmq' package, which is not installed", { cause: e });
  }
  try {
    createRequire(bullmq).resolve('ioredis');
  } catch (e) {
    throw new DilemmaError(ErrorCode.BackendUnavailable, "the queue needs the 'ioredis' package (BullMQ's Redis client), which is not installed", { cause: e });
  }
  return import('bullmq');
}

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
  const m = /^(ERR_[A-Z0-9_]+): ([\s\S]*)$/.exec(reason);
  const code = m && (Object.values(ErrorCode) as string[]).includes(m[1]) ? (m[1] as ErrorCode) : ErrorCode.BackendUnavailable;
  return new DilemmaError(code, `tournament job ${id} failed: ${m ? m[2] : reason}`);
}

/** The shape of a BullMQ job that {@link tournamentProcessor} reads. */
export interface TournamentQueueJob {
  /** The job's name ('tournament'). */
  name?: string;
  /** The job's data, a {@link TournamentJobData}. */
  data: unknown;
}

/**
 * The BullMQ processor of a 'tournament' job: plays the job's pairs and
 * returns the numbers (BullMQ stores them as the job's return value). An
 * engine error is rethrown with its code at the start of the message, so the
 * submitting side can restore the code from the job's failed reason.
 */
export async function tournamentProcessor(job: TournamentQueueJob): Promise<TournamentJobResult> {
  try {
    return await runTournamentJob(job.data as TournamentJobData);
  } catch (e) {
    if (isDilemmaError(e)) throw new DilemmaError(e.code, `${e.code}: ${e.message}`, { cause: e });
    throw e;
  }
}

/** Options of {@link runQueuedTournament}. */
export interface QueuedTournamentOptions {
  /** The Redis address, `redis://HOST:PORT[/DB]`. */
  queue: string;
  /** Ordered pairs per job; default {@link DEFAULT_PAIRS_PER_JOB}. */
  pairsPerJob?: number;
  /** The BullMQ queue name; default {@link DEFAULT_TOURNAMENT_QUEUE}. */
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
  // Plain options: BullMQ sets what its blocking connections need, and the
  // queue's own commands fail rather than wait for ever on a lost server.
  const connection = parseRedisAddress(options.queue);
  const jobs = splitTournament(plan, options.pairsPerJob ?? DEFAULT_PAIRS_PER_JOB);
  const name = options.queueName ?? DEFAULT_TOURNAMENT_QUEUE;
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

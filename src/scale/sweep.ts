/**
 * The producer side of a queued sweep: every run of an experiment becomes a
 * `train` job whose id is `<experiment>/<run id>`, so enqueuing the same
 * experiment again adds only what is missing; and the state of every job,
 * for `dilemma sweep --status`. bullmq is imported on first use.
 */
import { basename } from 'node:path';
import { DilemmaError, ErrorCode } from '../errors.js';
import type { ExperimentPlan } from '../cli/experiment.js';
import { JOB_OPTIONS, QUEUE_NAME, trainJobId } from './jobs.js';
import { loadBullmq } from './bullmq.js';
import { parseQueueUrl, redisOptions, type QueueAddress } from './queue-url.js';
import { checkRunKey } from './run-store.js';
import type { TrainJobData } from './train-job.js';

/** The name a sweep's runs are stored and queued under: `name`, else the experiment's output folder name. */
export function experimentName(plan: Pick<ExperimentPlan, 'output'>, name?: string): string {
  const raw = name ?? basename(plan.output.replace(/[/\\]+$/, ''));
  return checkRunKey(name === undefined ? raw.replace(/[^A-Za-z0-9._,=+-]/g, '_').replace(/^\.+/, '_') : raw, '--name');
}

type QueueT = import('bullmq').Queue;

/** Opens the queue as a client (not a worker): gives up with ERR_QUEUE_UNAVAILABLE when Redis cannot be reached. */
export async function openQueue(url: string): Promise<{ queue: QueueT; address: QueueAddress }> {
  const address = parseQueueUrl(url);
  const { Queue } = await loadBullmq();
  const queue = new Queue(QUEUE_NAME, { connection: redisOptions(address, 'client') });
  queue.on('error', () => {}); // reported by the failing call
  try {
    await queue.waitUntilReady();
    await queue.getJobCounts('waiting');
  } catch (e) {
    await queue.close().catch(() => {});
    throw new DilemmaError(ErrorCode.QueueUnavailable, `--queue: cannot reach ${address.display}: ${(e as Error).message}`, { cause: e });
  }
  return { queue, address };
}

/** What {@link enqueueSweep} did. */
export interface EnqueueResult {
  experiment: string;
  /** Jobs added now. */
  added: string[];
  /** Jobs that were already in the queue (in any state) and were left as they are. */
  existing: string[];
}

/** Enqueues every run of a plan as a `train` job (see the module comment). */
export async function enqueueSweep(queue: QueueT, plan: ExperimentPlan, experiment: string): Promise<EnqueueResult> {
  const ids = plan.runs.map((run) => trainJobId(experiment, run.id));
  const present = await Promise.all(ids.map((id) => queue.getJob(id)));
  const jobs = plan.runs
    .map((run, i) => ({ run, id: ids[i], present: present[i] !== undefined }))
    .filter((j) => !j.present)
    .map(({ run, id }) => ({ name: 'train', data: { experiment, run } satisfies TrainJobData, opts: { ...JOB_OPTIONS, jobId: id } }));
  if (jobs.length) await queue.addBulk(jobs);
  return { experiment, added: jobs.map((j) => j.opts.jobId), existing: ids.filter((_, i) => present[i] !== undefined) };
}

/** One job's state, as `dilemma sweep --status` shows it. */
export interface JobStatus {
  id: string;
  kind: string;
  /** waiting, active, completed, failed, delayed (a retry after a failure), or missing (not in the queue). */
  state: string;
  /** Last reported progress (`{ iteration, total }` for training runs). */
  progress?: { iteration?: number; total?: number };
  /** Attempts started. */
  attempts: number;
  /** The worker processing or last to process it. */
  worker?: string;
  /** Why it failed (the last attempt's error). */
  error?: string;
}

const STATES = ['active', 'waiting', 'prioritized', 'delayed', 'waiting-children', 'failed', 'completed'] as const;

/** The state of every job in the queue, or of the given ids (those not in the queue are `missing`). */
export async function queueStatus(queue: QueueT, ids?: readonly string[]): Promise<JobStatus[]> {
  const rows = new Map<string, JobStatus>();
  for (const state of STATES) {
    const jobs = await queue.getJobs([state], 0, -1);
    for (const job of jobs) {
      if (!job?.id || rows.has(job.id)) continue;
      const progress = typeof job.progress === 'object' && job.progress !== null ? (job.progress as JobStatus['progress']) : undefined;
      rows.set(job.id, {
        id: job.id,
        kind: job.name,
        state: state === 'prioritized' || state === 'waiting-children' ? 'waiting' : state,
        ...(progress ? { progress } : {}),
        attempts: job.attemptsStarted ?? job.attemptsMade,
        ...(job.processedBy ? { worker: job.processedBy } : {}),
        ...(job.failedReason && state !== 'completed' ? { error: job.failedReason } : {}),
      });
    }
  }
  if (!ids) return [...rows.values()].sort((a, b) => a.id.localeCompare(b.id));
  return ids.map((id) => rows.get(id) ?? { id, kind: 'train', state: 'missing', attempts: 0 });
}

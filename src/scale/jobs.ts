/**
 * The jobs of the queue: one BullMQ queue per Redis database, jobs named by
 * their kind (`train`, and any kind registered here), and the processors a
 * `dilemma worker` serves them with. A kind's processor is looked up when a
 * job of that kind arrives, so a worker loads only the code of the kinds it
 * is given.
 */
import { DilemmaError, ErrorCode, isDilemmaError } from '../errors.js';
import type { JobProcessor } from './job-context.js';

export type { JobContext, JobProcessor } from './job-context.js';

/** The BullMQ queue every sweep, tournament and worker uses (one per Redis database). */
export const QUEUE_NAME = 'dilemma';

/** Error codes that retrying cannot fix: a job failing with one fails at once. */
export const PERMANENT_CODES: ReadonlySet<string> = new Set<string>([
  ErrorCode.InvalidArgument,
  ErrorCode.InvalidParam,
  ErrorCode.UnknownGame,
  ErrorCode.UnknownStrategy,
  ErrorCode.Unsupported,
  ErrorCode.TooLarge,
  ErrorCode.InvalidCheckpoint,
  ErrorCode.ModelLoad,
  ErrorCode.NotAFile,
]);

/** True when an error is one that retrying cannot fix (see {@link PERMANENT_CODES}). */
export function isPermanentFailure(e: unknown): boolean {
  return isDilemmaError(e) && PERMANENT_CODES.has(e.code);
}

type Loader = () => Promise<JobProcessor<never>>;

// The kinds this package serves; loaded on first use.
const processors = new Map<string, Loader>([
  ['train', async () => (await import('./train-job.js')).trainJob as JobProcessor<never>],
  ['tournament', async () => (await import('./tournament-job.js')).tournamentJob as JobProcessor<never>],
]);

/**
 * Registers the processor of a job kind, so that `dilemma worker` (and
 * {@link runWorker}) serve jobs of that kind from the same queue. `processor`
 * is the function or a loader that imports it on first use. Registering a
 * kind again replaces it.
 */
export function registerJobProcessor<Data>(kind: string, processor: JobProcessor<Data> | { load: () => Promise<JobProcessor<Data>> }): void {
  if (typeof kind !== 'string' || !/^[a-z][a-z0-9-]*$/.test(kind)) {
    throw new DilemmaError(ErrorCode.InvalidArgument, `kind: '${String(kind)}' must be lower-case letters, digits and '-', starting with a letter`);
  }
  if (typeof processor === 'function') processors.set(kind, async () => processor as JobProcessor<never>);
  else if (processor && typeof processor.load === 'function') processors.set(kind, processor.load as Loader);
  else throw new DilemmaError(ErrorCode.InvalidArgument, `processor of '${kind}': must be a function or { load }`);
}

/** The job kinds a worker serves. */
export function jobKinds(): string[] {
  return [...processors.keys()].sort();
}

/** The processor of a kind; ERR_INVALID_PARAM (permanent) for a kind no one registered. */
export async function jobProcessor(kind: string): Promise<JobProcessor<unknown>> {
  const load = processors.get(kind);
  if (!load) throw new DilemmaError(ErrorCode.InvalidParam, `job kind '${kind}' is not served by this worker (it serves: ${jobKinds().join(', ')})`);
  return (await load()) as JobProcessor<unknown>;
}

/** Options every job is enqueued with: a few attempts for passing faults, kept after it ends for status and collection. */
export const JOB_OPTIONS = {
  attempts: 3,
  backoff: { type: 'exponential', delay: 2000 },
  removeOnComplete: false,
  removeOnFail: false,
} as const;

/** The job id of a training run: `<experiment>/<run id>`; enqueuing it twice adds it once. */
export function trainJobId(experiment: string, runId: string): string {
  return `${experiment}/${runId}`;
}

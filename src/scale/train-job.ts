/**
 * The `train` job: one run of an experiment. The worker trains in a private
 * scratch folder and publishes the checkpoint with its metrics to the store
 * at every checkpoint, after checking that it still holds the job; a job
 * that another worker had started resumes from the store's checkpoint, which
 * train() continues bit-identically. A run whose result is in the store is
 * not trained again.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, sep } from 'node:path';
import { DilemmaError, ErrorCode } from '../errors.js';
import { parseParams } from '../schema.js';
import { readCheckpoint, train, trainConfigSchema } from '../train.js';
import type { RunSpec } from '../cli/experiment.js';
import type { JobContext } from './job-context.js';
import { checkRunKey, type RunResult } from './run-store.js';

/** The data of a `train` job. */
export interface TrainJobData {
  /** The experiment's name: the store folder of its runs. */
  experiment: string;
  /** The run, as expandExperiment made it. */
  run: RunSpec;
}

/** What a `train` job returns: the run's result, and whether this job trained it or found it finished. */
export interface TrainJobResult extends RunResult {
  /** true when the store already held the result and nothing was trained. */
  reused: boolean;
}

/** The store key of a run: `<experiment>/<run folder>`. */
export function runKey(experiment: string, run: Pick<RunSpec, 'dir'>): string {
  return checkRunKey(`${experiment}/${run.dir.split(sep).join('/')}`, 'run');
}

const PROGRESS_MS = 1000;

function checkData(data: unknown): TrainJobData {
  const d = data as Partial<TrainJobData> | null;
  if (!d || typeof d !== 'object' || typeof d.experiment !== 'string' || !d.run || typeof d.run !== 'object' || typeof d.run.dir !== 'string' || typeof d.run.id !== 'string') {
    throw new DilemmaError(ErrorCode.InvalidArgument, 'train job: data must be { experiment, run } as `dilemma sweep` enqueues it');
  }
  checkRunKey(d.experiment, 'train job: experiment');
  return d as TrainJobData;
}

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/** readCheckpoint on bytes held in memory (through a private temporary file, so the checks are the same). */
function readCheckpointBytes(bytes: Uint8Array, param: string): ReturnType<typeof readCheckpoint> {
  const tmp = mkdtempSync(join(tmpdir(), 'dilemma-ckpt-'));
  try {
    const path = join(tmp, 'checkpoint.json');
    writeFileSync(path, bytes);
    return readCheckpoint(path, param);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** Trains one run of a queued sweep (the processor of `train` jobs). */
export async function trainJob(job: JobContext<TrainJobData>): Promise<TrainJobResult> {
  const { experiment, run } = checkData(job.data);
  const key = runKey(experiment, run);
  // A bad config fails here, once, with the trainer's own message.
  const config = parseParams(trainConfigSchema, run.train, `run ${run.id}: train`);
  const sameConfig = (checkpoint: Uint8Array, what: string): number => {
    const { config: was, state } = readCheckpointBytes(checkpoint, `run ${run.id}: ${what}`);
    if (JSON.stringify(parseParams(trainConfigSchema, was, `run ${run.id}: ${what} config`)) !== JSON.stringify(config)) {
      throw new DilemmaError(ErrorCode.InvalidCheckpoint, `run ${run.id}: the store holds this run trained with another config (${job.store.location}, ${key}); give the sweep another --name or remove that folder`);
    }
    return state.iteration;
  };
  const finished = await job.store.getResult(key);
  if (finished) {
    const stored = await job.store.getRun(key);
    if (stored) sameConfig(stored.checkpoint, 'stored checkpoint');
    job.log(`${job.id}: already finished by ${finished.worker}; not trained again`);
    return { ...finished, reused: true };
  }
  const every = run.checkpointEvery;
  if (!Number.isInteger(every) || every < 1) throw new DilemmaError(ErrorCode.InvalidParam, `run ${run.id}: checkpointEvery must be a positive integer, got ${String(every)}`);
  const scratch = mkdtempSync(join(tmpdir(), 'dilemma-job-'));
  try {
    const checkpointFile = join(scratch, 'checkpoint.json');
    const metricsFile = join(scratch, 'metrics.jsonl');
    const stored = await job.store.getRun(key);
    let start = 0;
    if (stored) {
      writeFileSync(checkpointFile, stored.checkpoint);
      writeFileSync(metricsFile, stored.metrics);
      start = sameConfig(stored.checkpoint, 'stored checkpoint');
    }
    const initParams = !stored && run.init !== undefined ? readCheckpoint(run.init, `run ${run.id}: init`).state.params : undefined;
    const total = config.iterations;
    job.log(`${job.id}: ${stored ? `resuming at iteration ${start}` : 'starting'} of ${total} (attempt ${job.attempt})`);
    const publish = async (iteration: number) => {
      if (!(await job.ownsJob())) throw new DilemmaError(ErrorCode.Busy, `run ${run.id}: this worker lost the job (another worker has it); its progress stays in the store`);
      await job.store.putRun(key, { checkpoint: readFileSync(checkpointFile), metrics: readFileSync(metricsFile) }, iteration);
    };
    let lastProgress = 0;
    const { trainer, stopped } = await train(stored ? {} : run.train, {
      ...(stored ? { resume: checkpointFile } : { initParams }),
      metricsFile,
      checkpointFile,
      checkpointEvery: every,
      runId: run.id,
      signal: job.signal,
      onIteration: async (m) => {
        const done = m.iteration + 1;
        const checkpointed = done % every === 0 && done < total;
        if (checkpointed) {
          await publish(done);
          job.log(`${job.id}: iteration ${done}/${total} checkpointed`);
        }
        const now = Date.now();
        if (checkpointed || now - lastProgress >= PROGRESS_MS) {
          lastProgress = now;
          job.progress({ iteration: done, total });
        }
      },
    });
    const iteration = trainer.iteration;
    trainer.dispose();
    if (stopped || iteration < total) {
      await publish(iteration);
      throw new DilemmaError(ErrorCode.Busy, `run ${run.id}: stopped at iteration ${iteration} of ${total}; it resumes from the store`);
    }
    await publish(iteration);
    const result: RunResult = {
      key,
      iterations: iteration,
      checkpointSha256: sha256(readFileSync(checkpointFile)),
      worker: job.worker,
      finishedAt: new Date().toISOString(),
    };
    await job.store.putResult(key, result);
    job.progress({ iteration, total });
    job.log(`${job.id}: finished (${iteration} iterations)`);
    return { ...result, reused: false };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

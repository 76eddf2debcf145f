/**
 * The training loop: iterations with a metrics log, periodic checkpoints,
 * resumption, callbacks and stopping.
 */
import { DilemmaError, ErrorCode } from '../errors.js';
import { syncLog } from '../fs-safe.js';
import { appendMetrics, repairMetricsLog } from '../metrics-log.js';
import { writeCheckpoint } from './checkpoint.js';
import type { TrainConfig } from './config.js';
import type { IterationMetrics } from './metrics.js';
import { Trainer } from './trainer.js';

/** Files, callbacks and stopping for {@link train}. */
export interface TrainOptions {
  /**
   * Called after every iteration (after its metrics line and any checkpoint
   * are written) and awaited; return (or resolve to) false to stop early. A
   * throw or rejection stops training with that error, after a checkpoint
   * when checkpointFile is set, so the run can be resumed.
   */
  onIteration?: (m: IterationMetrics) => void | boolean | Promise<void | boolean>;
  /**
   * Appends one JSON line of metrics per iteration (only ever appended). With
   * resume, lines past the checkpoint and a torn last line (a kill or a full
   * disk during an append) are cut off first.
   */
  metricsFile?: string;
  /**
   * Written as `run` on every metrics line (with `time`, the ISO 8601 time
   * the line was written), so that the lines of many runs can be read as one
   * table (`dilemma export metrics`).
   */
  runId?: string;
  /** Checkpoint path, written every `checkpointEvery` iterations and at the end. */
  checkpointFile?: string;
  /** Iterations between checkpoints, when checkpointFile is set. Default 10. */
  checkpointEvery?: number;
  /** Resume from this checkpoint instead of starting at iteration 0 (its config is used). */
  resume?: string;
  /** Start the policy from these parameters instead of the config's initialisation (Trainer.warmStart); not with resume. */
  initParams?: Float32Array;
  /** Stops after the current iteration (a checkpoint is written first when checkpointFile is set). */
  signal?: AbortSignal;
}

/** What {@link train} returns. */
export interface TrainResult {
  /** The trainer at its last iteration; the caller disposes it. */
  trainer: Trainer;
  /** Metrics of the iterations run by this call (not those before a resume). */
  history: IterationMetrics[];
  /** true when stopped by the signal or by onIteration. */
  stopped: boolean;
}

/**
 * Trains for config.iterations (from the checkpoint's iteration when
 * resuming). The caller disposes result.trainer. Files: a failed write
 * throws ERR_IO and leaves the checkpoint and metrics log as a resume needs
 * them (the previous checkpoint, whole metrics lines).
 */
export async function train(config: TrainConfig = {}, options: TrainOptions = {}): Promise<TrainResult> {
  if (options.resume !== undefined && options.initParams !== undefined) {
    throw new DilemmaError(ErrorCode.InvalidArgument, 'initParams: a resumed run continues from its checkpoint and takes no initParams');
  }
  const { metricsFile, checkpointFile } = options;
  const trainer = options.resume ? Trainer.resume(options.resume, 'resume') : Trainer.create(config);
  const history: IterationMetrics[] = [];
  let stopped = false;
  // The metrics lines a checkpoint counts on reach the disk before it does.
  let savedAt = -1;
  const save = () => {
    if (!checkpointFile || savedAt === trainer.iteration) return;
    if (metricsFile) syncLog(metricsFile, 'metricsFile');
    writeCheckpoint(trainer.config, trainer.state(), checkpointFile, 'checkpointFile');
    savedAt = trainer.iteration;
  };
  try {
    if (options.initParams !== undefined) trainer.warmStart(options.initParams);
    if (options.resume && metricsFile) repairMetricsLog(metricsFile, trainer.iteration, 'metricsFile');
    const every = options.checkpointEvery ?? 10;
    while (trainer.iteration < trainer.config.iterations) {
      if (options.signal?.aborted) {
        stopped = true;
        break;
      }
      const m = await trainer.step();
      history.push(m);
      if (metricsFile) {
        const line = { ...(options.runId === undefined ? {} : { run: options.runId }), time: new Date().toISOString(), ...m };
        appendMetrics(metricsFile, line, 'metricsFile');
      }
      if (trainer.iteration % every === 0) save();
      let verdict: void | boolean;
      try {
        verdict = await options.onIteration?.(m);
      } catch (e) {
        // The trainer is sound: keep its progress resumable, then report the callback's error.
        try {
          save();
        } catch {
          // the callback's error is the one to report
        }
        throw e;
      }
      if (verdict === false) {
        stopped = true;
        break;
      }
    }
    save();
  } catch (e) {
    trainer.dispose();
    throw e;
  }
  return { trainer, history, stopped };
}

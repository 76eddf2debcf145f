/**
 * The Trainer handle: owns a native trainer and its game, runs iterations
 * and behaviour-cloning steps, and reads, restores, checkpoints and exports
 * its state.
 */
import { DilemmaError, ErrorCode, isDilemmaError } from '../errors.js';
import { Game } from '../games.js';
import { defaultGpu, resolveGpu } from '../gpu.js';
import { LoopTurns } from '../loop-turns.js';
import { Policy } from '../policies.js';
import { parseParams } from '../schema.js';
import { snapshotState, type TrainerState } from '../trainer-state.js';
import { checkTypedArray } from '../validate.js';
import { newNativeTrainer, type NativeTrainer } from './binding.js';
import { readCheckpoint, writeCheckpoint } from './checkpoint.js';
import { nativeModel, trainConfigSchema, type ResolvedTrainConfig, type TrainConfig } from './config.js';
import { exportModelOnnx } from './export.js';
import { metricsFromValues, type FitData, type FitMetrics, type IterationMetrics } from './metrics.js';

/**
 * Agent-steps per iteration (batch × steps × agents) from which `gpu: 'auto'`
 * trains on a usable GPU: below it the copies and launches cost more than
 * the CPU's fused iteration.
 */
export const TRAIN_AUTO_CUDA_MIN_AGENT_STEPS = 1 << 20;

// How the native trainer begins a refusal of a config it cannot train on the device.
const NOT_COVERED = "gpu 'cuda': the device trainer covers";

// The backend handed to the native trainer: 'cuda' (the device or a coded
// refusal, which the native side words: what the device trainer does not
// cover, else why no GPU is usable), 'auto' (the device where it covers the
// config), or undefined (the CPU).
function trainerBackend(config: ResolvedTrainConfig, game: Game): 'cuda' | 'auto' | undefined {
  const option = config.gpu ?? defaultGpu();
  if (option === 'cuda') return 'cuda';
  const info = game.info;
  const agentSteps = config.batch * (config.steps ?? info.maxSteps) * info.agents;
  return resolveGpu(option, agentSteps, TRAIN_AUTO_CUDA_MIN_AGENT_STEPS) === 'cuda' ? 'auto' : undefined;
}

/** Owns a native trainer. One iteration at a time; dispose() when done. */
export class Trainer {
  /** The config with every default filled in. */
  readonly config: ResolvedTrainConfig;
  /** The game being trained on (owned by the trainer). */
  readonly game: Game;
  #native: NativeTrainer | undefined;
  #stepping = false;
  /** A loop of inline iterations still turns the event loop at least every millisecond. */
  readonly #turns = new LoopTurns(1);

  private constructor(config: ResolvedTrainConfig) {
    this.config = config;
    this.game = new Game(config.game.id, config.game.params ?? {});
    const { policy, critic, game: _game, gpu: _gpu, ...rest } = config;
    const nativeConfig = {
      ...rest,
      policy: nativeModel(policy),
      ...(config.baseline === 'critic' ? { critic: nativeModel(critic ?? policy) } : {}),
    };
    try {
      this.#native = newNativeTrainer(this.game.handle, nativeConfig, trainerBackend(config, this.game));
    } catch (e) {
      this.game.dispose();
      // A GPU refusal is the DilemmaError that resolveGpu() throws elsewhere:
      // what the device trainer does not cover, else why no GPU is usable
      // (the library may never have been found, so the native side cannot say).
      if (isDilemmaError(e) && e.code === ErrorCode.BackendUnavailable && !(e instanceof DilemmaError)) {
        if (!e.message.startsWith(NOT_COVERED)) resolveGpu('cuda', 0, 0);
        throw new DilemmaError(e.code, e.message);
      }
      throw e;
    }
  }

  /** Validates the config (named errors, code ERR_INVALID_PARAM) and makes a trainer at iteration 0. */
  static create(config: TrainConfig = {}): Trainer {
    return new Trainer(parseParams(trainConfigSchema, config, 'config'));
  }

  get #trainer(): NativeTrainer {
    if (!this.#native) throw new DilemmaError(ErrorCode.Disposed, 'the trainer was disposed');
    return this.#native;
  }

  /** Iterations done so far (read without copying the trainer's state). */
  get iteration(): number {
    return this.#trainer.iteration();
  }

  /** Length of the flat policy parameter vector. */
  get numParams(): number {
    return this.#trainer.info().numParams;
  }

  /**
   * Where iterations run: 'cuda' (the device trainer, chosen by `config.gpu`)
   * or 'cpu'. On 'cuda' the parameters live on the device; params(), state(),
   * policy(), checkpoints and exports copy them back.
   */
  get device(): 'cpu' | 'cuda' {
    return this.#trainer.info().device;
  }

  /** Names of the game statistics reported in IterationMetrics.gameStats. */
  get statNames(): string[] {
    return this.#trainer.info().statNames;
  }

  /**
   * Runs one iteration: rollouts, credits, loss, backward, Adam. Off the event
   * loop, except small iterations of the fused matrix-game path (at most 2^17
   * agent-steps, well under a millisecond), which run before the call
   * returns; a loop of those still lets the event loop turn at least every
   * millisecond, so timers, I/O and signals (Ctrl-C) are served while it trains.
   * One iteration at a time: a call while another's promise is pending is
   * refused with ERR_BUSY.
   */
  async step(): Promise<IterationMetrics> {
    if (this.#stepping) {
      throw new DilemmaError(ErrorCode.Busy, 'the trainer is running an iteration; wait for its promise first');
    }
    this.#stepping = true;
    try {
      const start = performance.now();
      const values = await this.#trainer.iterate();
      const m = metricsFromValues(values, (performance.now() - start) / 1000);
      await this.#turns.turn();
      return m;
    } finally {
      this.#stepping = false;
    }
  }

  /**
   * Behaviour cloning: one Adam step (at config.lr) on the mean negative
   * log-likelihood of `data.actions` given `data.observations`, i.e. the
   * policy-gradient loss with credit 1 on each action, without importance
   * ratio, entropy or KL terms. The iteration count stays as it is. Off the
   * event loop; one call or iteration at a time (ERR_BUSY otherwise).
   */
  async fitActions(data: FitData): Promise<FitMetrics> {
    if (this.#stepping) {
      throw new DilemmaError(ErrorCode.Busy, 'the trainer is running an iteration; wait for its promise first');
    }
    const d = data as Partial<FitData>;
    if (typeof d !== 'object' || d === null) throw new DilemmaError(ErrorCode.InvalidArgument, 'data must be an object');
    const rows = d.sequences! * d.steps!;
    for (const k of ['sequences', 'steps'] as const) {
      if (!Number.isSafeInteger(d[k]) || d[k]! < 1) {
        throw new DilemmaError(ErrorCode.InvalidArgument, `data.${k} must be a positive integer, got ${String(d[k])}`);
      }
    }
    checkTypedArray('data.observations', d.observations, Float32Array, rows * this.game.info.obsDim);
    checkTypedArray('data.actions', d.actions, Int32Array, rows);
    if (d.mask !== undefined) checkTypedArray('data.mask', d.mask, Uint8Array, rows);
    this.#stepping = true;
    try {
      return await this.#trainer.fitActions(data);
    } finally {
      this.#stepping = false;
    }
  }

  /** The current policy, frozen, for rollouts and evaluation. */
  policy(label = `${this.config.algorithm}@${this.iteration}`): Policy {
    return new Policy(label, {}, this.#trainer.policy(label));
  }

  /** The current policy parameters (a copy), laid out as modelLayout() says. */
  params(): Float32Array {
    return this.#trainer.state().params;
  }

  /** The current policy as ONNX bytes (through the package's writer), runnable by ONNX Runtime. */
  exportOnnx(): Uint8Array {
    return exportModelOnnx(this.config.policy, this.game.info, this.params());
  }

  /** A copy of the full state (parameters, optimizer moments, snapshot buffer), for {@link Trainer.restore}. */
  state(): TrainerState {
    return this.#trainer.state();
  }

  /**
   * Sets the trainer's state (e.g. another trainer's state()). Every field is
   * checked first: counts, array lengths, finite values, second moments >= 0
   * (ERR_INVALID_ARGUMENT naming the field, e.g. state.adamV[3]).
   */
  restore(state: TrainerState): void {
    this.#trainer.restore(snapshotState(state, 'state', ErrorCode.InvalidArgument));
  }

  /**
   * A warm start: the policy takes these parameters (laid out as modelLayout()
   * says, e.g. another trainer's params()) while everything else stays as
   * created: iteration 0, a fresh optimizer, the same seed. Only before the
   * first step, so that a run is always one config plus one starting point.
   */
  warmStart(params: Float32Array): void {
    checkTypedArray('initParams', params, Float32Array);
    if (params.length !== this.numParams) {
      throw new DilemmaError(
        ErrorCode.InvalidArgument,
        `initParams has ${params.length} values but the ${this.config.policy.kind} policy of '${this.config.game.id}' has ${this.numParams}`,
      );
    }
    const bad = params.findIndex((x) => !Number.isFinite(x));
    if (bad >= 0) throw new DilemmaError(ErrorCode.InvalidArgument, `initParams[${bad}] is ${params[bad]}, not a finite number`);
    if (this.iteration !== 0) {
      throw new DilemmaError(ErrorCode.InvalidArgument, `initParams: a warm start must come before the first step (at iteration ${this.iteration})`);
    }
    this.restore({ ...this.state(), params: Float32Array.from(params) });
  }

  /**
   * Writes a checkpoint atomically (a temporary file renamed over the
   * target), with a content hash. A failed write (ERR_IO, e.g. a full disk)
   * leaves the previous checkpoint and no temporary file; a path that is a
   * symlink, FIFO or device is refused with ERR_NOT_A_FILE.
   */
  checkpoint(path: string): void {
    writeCheckpoint(this.config, this.state(), path, 'path');
  }

  /** A trainer restored from a checkpoint: continues exactly as the run that wrote it. */
  static resume(path: string, param?: string): Trainer {
    const { config, state } = readCheckpoint(path, param);
    const trainer = new Trainer(parseParams(trainConfigSchema, config, 'checkpoint.config'));
    try {
      trainer.restore(state);
    } catch (e) {
      trainer.dispose();
      throw new DilemmaError(ErrorCode.InvalidCheckpoint, `${param ? `${param}: ` : ''}checkpoint ${path} does not fit its config: ${(e as Error).message}`);
    }
    return trainer;
  }

  /** Frees the native trainer and its game; later calls throw ERR_DISPOSED. */
  dispose(): void {
    this.#native?.dispose();
    this.#native = undefined;
    this.game.dispose();
  }

  /** Same as {@link Trainer.dispose}, for `using`. */
  [Symbol.dispose](): void {
    this.dispose();
  }
}

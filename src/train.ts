/**
 * Training in the engine: naive policy gradient, Advantage Alignment and
 * sum-of-rewards self-play, with checkpoints that resume bit-identically.
 */
import { createHash } from 'node:crypto';
import { constants as bufferConstants } from 'node:buffer';
import { z } from 'zod';
import { DilemmaError, ErrorCode, isDilemmaError } from './errors.js';
import { Game, GAME_IDS, type GameId } from './games.js';
import { defaultGpu, resolveGpu } from './gpu.js';
import { native, type NativePolicy } from './native.js';
import { Policy } from './policies.js';
import { parseParams } from './schema.js';
import { checkTypedArray } from './validate.js';
import { modelLayout, toWriterWeights } from './models.js';
import { gruPolicy, mlpPolicy } from './onnx-writer/policies.js';
import { readRegularFile, syncLog, writeAtomic } from './fs-safe.js';
import { appendMetrics, repairMetricsLog } from './metrics-log.js';
import { snapshotState, type TrainerState } from './trainer-state.js';

/** A trainable model: `tabular`, `mlp` or `gru` (see {@link modelLayout} for each one's parameter layout). */
const modelSchema = z.discriminatedUnion('kind', [
  z
    .object({
      /** A table of logits, one row per observed state. */
      kind: z.literal('tabular'),
      /** One-hot blocks in the observation, 1..16 (must divide obsDim). Default 1. */
      blocks: z.number().int().min(1).max(16).optional(),
    })
    .strict(),
  z
    .object({
      /** A multilayer perceptron. */
      kind: z.literal('mlp'),
      /** Hidden layer widths, input side first, each 1..65536, at most 16 layers; `[]` is linear. Default `[64]`. */
      hidden: z.array(z.number().int().min(1).max(65536)).max(16).optional(),
      /** Nonlinearity after each hidden layer. Default 'tanh'. */
      activation: z.enum(['tanh', 'relu']).optional(),
    })
    .strict(),
  z
    .object({
      /** A GRU over the episode's steps. */
      kind: z.literal('gru'),
      /** Width of the GRU state, 1..65536. Default 32. */
      hidden: z.number().int().min(1).max(65536).optional(),
    })
    .strict(),
]);
/**
 * A policy or critic architecture: `{ kind: 'tabular', blocks? }`, `{ kind: 'mlp', hidden?, activation? }` or `{ kind: 'gru', hidden? }`.
 *
 * @useDeclaredType
 */
export type ModelSpec = z.input<typeof modelSchema>;

/** The training algorithms, in the order `dilemma` lists them. */
export const ALGORITHMS = ['naive', 'advantage-alignment', 'sum-of-rewards'] as const;
/** `'naive'` (independent policy gradient), `'advantage-alignment'` or `'sum-of-rewards'` (prosocial). */
export type Algorithm = (typeof ALGORITHMS)[number];

/** Every training option with its default. */
export const trainConfigSchema = z
  .object({
    /** Game id and parameters. Default the IPD (10 rounds). */
    game: z
      .object({
        /** One of {@link GAME_IDS}. */
        id: z.enum(GAME_IDS as [GameId, ...GameId[]]),
        /** The game's parameters (see {@link GameParamsById}); default its defaults. */
        params: z.record(z.string(), z.unknown()).optional(),
      })
      .strict()
      .default({ id: 'ipd' }),
    /** naive (independent policy gradient), advantage-alignment, or sum-of-rewards (prosocial). */
    algorithm: z.enum(ALGORITHMS).default('advantage-alignment'),
    /** The policy network: tabular (a logit row per observation), mlp or gru. */
    policy: modelSchema.default({ kind: 'tabular' }),
    /** leave-one-out (group-relative, no critic) or critic (GAE with a learned value model). */
    baseline: z.enum(['leave-one-out', 'critic']).default('leave-one-out'),
    /** The value model for baseline 'critic' (default: the policy's architecture). */
    critic: modelSchema.optional(),
    /** Iterations to train, 0..1e9. Default 100. */
    iterations: z.number().int().min(0).max(1e9).default(100),
    /** Episodes per iteration. */
    batch: z.number().int().min(1).max(1 << 24).default(512),
    /** Steps per episode; default the game's maximum length. */
    steps: z.number().int().min(1).max(1 << 20).optional(),
    /** Seed of every random choice, an integer ≥ 0. Default 0. */
    seed: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).default(0),
    /** Episodes per common-random-number group (the leave-one-out baseline's groups); default the whole batch. */
    groupSize: z.number().int().min(1).optional(),
    /** Discount γ in [0, 1]. Default 0.9. */
    gamma: z.number().min(0).max(1).default(0.9),
    /** GAE λ in [0, 1], used with baseline 'critic'. Default 0.95. */
    lambda: z.number().min(0).max(1).default(0.95),
    /** Advantage Alignment weight β. */
    beta: z.number().min(-1e6).max(1e6).default(0.5),
    /** Advantage Alignment: include step t in the sum of past advantages. Default false. */
    includeCurrent: z.boolean().default(false),
    /** Advantage Alignment weight form, `'discounted'` or `'mean'` (see {@link AdvantageAlignmentOptions.form}). Default 'discounted'. */
    aaForm: z.enum(['discounted', 'mean']).default('discounted'),
    /**
     * What the Advantage Alignment weight sums over the learner's past steps:
     * its advantages (returns-to-go against the baseline), or its one-step
     * rewards against the leave-one-out mean of its group. Returns from a past
     * step include the current action's consequences, so with 'advantages' a
     * move the opponent retaliates against lowers both factors of the
     * alignment term and their product rewards the move (grim trigger in the
     * IPD); rewards up to the previous step do not depend on it.
     */
    aaPast: z.union([z.literal('advantages'), z.literal('rewards')]).default('advantages'),
    /** Whiten the learner's credits over the batch before the loss. Default false. */
    whitenCredits: z.boolean().default(false),
    /** reinforce (capped importance ratio) or ppo (Proximal Advantage Alignment with `epochs` passes). */
    objective: z.enum(['reinforce', 'ppo']).default('reinforce'),
    /** reinforce: the cap on the importance ratio, in [1e-6, 1e6]. Default 2. */
    ratioCap: z.number().min(1e-6).max(1e6).default(2),
    /** ppo: the clip ε in [0, 1]. Default 0.2. */
    clip: z.number().min(0).max(1).default(0.2),
    /** Weight of the entropy bonus, ≥ 0. Default 0. */
    entropyCoef: z.number().min(0).max(1e6).default(0),
    /** Passes over each batch, 1..1000 (more than one for ppo). Default 1. */
    epochs: z.number().int().min(1).max(1000).default(1),
    /** Adam learning rate. */
    lr: z.number().min(0).max(1e3).default(0.05),
    /** constant, or linear decay to zero over `iterations`. */
    lrSchedule: z.enum(['constant', 'linear']).default('constant'),
    /** Global gradient-norm clip (0: none). */
    clipNorm: z.number().min(0).max(1e9).default(0),
    /** Adam learning rate of the critic; default `lr`. */
    criticLr: z.number().min(0).max(1e3).optional(),
    /** Probability that the opponent is a past snapshot (the seed paper uses 0.5). */
    bufferProbability: z.number().min(0).max(1).default(0),
    /** Past policy snapshots kept as opponents (oldest dropped), 0..65536. Default 0. */
    bufferSize: z.number().int().min(0).max(65536).default(0),
    /** Iterations between snapshots added to the buffer. Default 1. */
    snapshotEvery: z.number().int().min(1).default(1),
    /** Softmax temperature of the acting policy in rollouts, > 0. Default 1. */
    temperature: z.number().min(1e-6).max(1e6).default(1),
    /** Threads for this trainer, 1..1024; default the engine's (see {@link setThreads}). */
    threads: z.number().int().min(1).max(1024).optional(),
    /**
     * Where iterations run: 'cuda' on the CUDA device trainer, which covers
     * iterated 2x2 games with a tabular policy in self-play, a leave-one-out
     * baseline, no credit whitening and no snapshot buffer (anything else, or
     * no usable GPU, is refused with ERR_BACKEND_UNAVAILABLE saying why);
     * 'auto' (default: the engine's, see setGpu) there too when it covers the
     * config, a GPU is usable and an iteration has at least
     * {@link TRAIN_AUTO_CUDA_MIN_AGENT_STEPS} agent-steps, else on the CPU;
     * false on the CPU. The device agrees with the CPU within the CUDA
     * parity tolerance, not bit for bit.
     */
    gpu: z.union([z.literal('auto'), z.literal('cuda'), z.literal(false)]).optional(),
  })
  .strict()
  .refine((c) => c.groupSize === undefined || c.groupSize <= c.batch, {
    message: 'groupSize must not exceed batch',
    path: ['groupSize'],
  });

/**
 * A training config as given: every field optional (defaults in {@link trainConfigSchema}).
 *
 * @useDeclaredType
 */
export type TrainConfig = z.input<typeof trainConfigSchema>;
/**
 * A training config with every default filled in, as {@link Trainer.config} holds it.
 *
 * @useDeclaredType
 */
export type ResolvedTrainConfig = z.output<typeof trainConfigSchema>;

/** What one training iteration reports (one line of the metrics file). */
export interface IterationMetrics {
  /** The iteration's index, counting from 0 (the trainer's iteration before this step). */
  iteration: number;
  /** Mean episode return per agent. */
  meanReturn: number[];
  /** Per agent, the share of taken steps with action 0 (cooperation in two-action games). */
  action0Rate: number[];
  /** The learner's mean policy entropy over live steps (nats). */
  entropy: number;
  /** The policy term of the loss (first epoch). */
  policyLoss: number;
  /** KL to a reference policy; the trainer uses none, so 0. */
  kl: number;
  /** Share of live steps whose ratio was capped (reinforce) or clipped (ppo), first epoch. */
  clippedFraction: number;
  /** L2 norm of the policy gradient (first epoch). */
  gradNorm: number;
  /** Mean squared error of the critic; 0 without one. */
  criticLoss: number;
  /** Mean absolute credit of the learner. */
  creditAbsMean: number;
  /** Whether the opponent this iteration was a past snapshot from the buffer. */
  bufferOpponent: boolean;
  /** Snapshots in the buffer. */
  bufferSize: number;
  /** Mean per episode of each of the game's statistics (see Trainer.statNames). */
  gameStats: number[];
  /** Wall time of the iteration in seconds. */
  seconds: number;
}

export type { TrainerState } from './trainer-state.js';

/** One behaviour-cloning step's numbers (Trainer.fitActions). */
export interface FitMetrics {
  /** Mean −log π(a | observation) over the live rows, before the step. */
  loss: number;
  /** Global gradient norm before clipping. */
  gradNorm: number;
  /** Rows that counted (mask 1, action not −1). */
  liveRows: number;
}

/** Sequences of one seat's observations and actions to imitate (Trainer.fitActions). */
export interface FitData {
  /** [sequences, steps, obsDim] what the imitated agent saw. */
  observations: Float32Array;
  /** [sequences, steps] what it did; −1 marks padding. */
  actions: Int32Array;
  /** [sequences, steps] 1 for a row that counts; default all. */
  mask?: Uint8Array;
  /** Number of sequences (the leading dimension). */
  sequences: number;
  /** Steps per sequence. */
  steps: number;
}

interface NativeTrainer {
  iterate(): Promise<Omit<IterationMetrics, 'seconds'>>;
  fitActions(data: FitData): Promise<FitMetrics>;
  state(): TrainerState;
  restore(state: TrainerState): void;
  policy(label?: string): NativePolicy;
  info(): { numParams: number; stateSize: number; kind: string; statNames: string[]; device: 'cpu' | 'cuda' };
  dispose(): void;
}

function nativeModel(spec: z.output<typeof modelSchema>): { kind: string; params: Record<string, unknown> } {
  const { kind, ...params } = spec;
  return { kind, params };
}

const CHECKPOINT_FORMAT = 'dilemma-checkpoint-v1';

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

  private constructor(config: ResolvedTrainConfig) {
    this.config = config;
    this.game = new Game(config.game.id, config.game.params ?? {});
    const { policy, critic, game: _game, gpu: _gpu, ...rest } = config;
    const nativeConfig = {
      ...rest,
      policy: nativeModel(policy),
      ...(config.baseline === 'critic' ? { critic: nativeModel(critic ?? policy) } : {}),
    };
    const Ctor = (native() as unknown as { Trainer: new (g: unknown, c: unknown, gpu?: string) => NativeTrainer }).Trainer;
    try {
      this.#native = new Ctor(this.game.handle, nativeConfig, trainerBackend(config, this.game));
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

  /** Iterations done so far. */
  get iteration(): number {
    return this.#trainer.state().iteration;
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
   * loop, except small iterations of the fused matrix-game path (at most 2^14
   * agent-steps, a fraction of a millisecond), which run before the call
   * returns; either way the promise settles on a later turn of the event
   * loop, so timers, I/O and signals (Ctrl-C) are served between iterations.
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
      const m = await this.#trainer.iterate();
      const seconds = (performance.now() - start) / 1000;
      await new Promise<void>((resolve) => setImmediate(resolve));
      return { ...m, seconds };
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
    writeCheckpoint(this, path, 'path');
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

/**
 * ONNX bytes for a model's flat parameters: MLP and GRU as the writer's
 * models, a one-block table as a linear model whose weights are the table
 * (one-hot observations pick a row).
 */
export function exportModelOnnx(spec: ModelSpec, info: { obsDim: number; actions: number }, params: Float32Array): Uint8Array {
  const s = modelSchema.parse(spec);
  const { kind: _kind, ...options } = s;
  const layout = modelLayout(s.kind, { ...options, obsDim: info.obsDim, actions: info.actions });
  if (s.kind === 'gru') {
    return gruPolicy({ obsDim: info.obsDim, actions: info.actions, hidden: layout.kind === 'gru' ? layout.hidden : undefined, weights: toWriterWeights('gru', params, layout) }).bytes;
  }
  const hidden = layout.kind === 'mlp' ? [...layout.hidden] : [];
  const activation = layout.kind === 'mlp' ? layout.activation : undefined;
  return mlpPolicy({ obsDim: info.obsDim, actions: info.actions, hidden, activation, weights: toWriterWeights(s.kind, params, layout) }).bytes;
}

/** A policy from a model spec and its flat parameters (e.g. a checkpoint's). */
export function modelPolicy(
  spec: ModelSpec,
  info: { obsDim: number; actions: number },
  params: Float32Array,
  label: string = spec.kind,
): Policy {
  const { kind, params: modelParams } = nativeModel(parseParams(modelSchema, spec, 'spec'));
  const make = (native() as unknown as {
    modelPolicy(k: string, o: number, a: number, p: Record<string, unknown>, f: Float32Array, l: string): NativePolicy;
  }).modelPolicy;
  return new Policy(label, {}, make(kind, info.obsDim, info.actions, modelParams, params, label));
}

/** The trained policy stored in a checkpoint. */
export function loadPolicy(path: string, label?: string, param?: string): Policy {
  const { config, state } = readCheckpoint(path, param);
  const c = parseParams(trainConfigSchema, config, 'checkpoint.config');
  const game = new Game(c.game.id, c.game.params ?? {});
  try {
    return modelPolicy(c.policy, game.info, state.params, label ?? `${c.algorithm}@${state.iteration}`);
  } finally {
    game.dispose();
  }
}

function encode(a: Float32Array): string {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** The largest checkpoint that can be read: the longest string V8 holds. */
const MAX_CHECKPOINT_BYTES = Math.min(bufferConstants.MAX_STRING_LENGTH, 2 ** 31 - 1);

function writeCheckpoint(trainer: Trainer, path: string, param: string): void {
  const s = trainer.state();
  const body = {
    format: CHECKPOINT_FORMAT,
    config: trainer.config,
    state: {
      iteration: s.iteration,
      adamT: s.adamT,
      criticT: s.criticT,
      params: encode(s.params),
      adamM: encode(s.adamM),
      adamV: encode(s.adamV),
      criticParams: encode(s.criticParams),
      criticM: encode(s.criticM),
      criticV: encode(s.criticV),
      buffer: s.buffer.map(encode),
    },
  };
  let file: string;
  try {
    const text = JSON.stringify(body);
    file = JSON.stringify({ sha256: sha256(text), body: text });
  } catch (e) {
    // A state past the longest string V8 can build.
    throw new DilemmaError(ErrorCode.TooLarge, `${param}: the checkpoint for ${path} is too large to encode (${(e as Error).message})`);
  }
  writeAtomic(path, file, param);
}

/**
 * Reads and verifies a checkpoint: ERR_INVALID_CHECKPOINT when missing,
 * truncated, tampered with or holding a bad value (the message names the
 * field, e.g. state.adamV[3]); ERR_NOT_A_FILE for a device, FIFO or folder;
 * ERR_TOO_LARGE past the longest string V8 holds. `param` names the
 * option that gave the path in messages.
 */
export function readCheckpoint(
  path: string,
  param?: string,
): {
  /** The config the run was trained with, as stored (validate it with {@link trainConfigSchema}). */
  config: unknown;
  /** The trainer's state at the checkpoint. */
  state: TrainerState;
} {
  const at = param ? `${param}: ` : '';
  const raw = readRegularFile(path, { param, what: 'checkpoint', maxBytes: MAX_CHECKPOINT_BYTES, code: ErrorCode.InvalidCheckpoint }).toString('utf8');
  const invalid = (message: string) => new DilemmaError(ErrorCode.InvalidCheckpoint, `${at}checkpoint ${path} ${message}`);
  let outer: { sha256?: unknown; body?: unknown };
  try {
    outer = JSON.parse(raw);
  } catch {
    throw invalid('is truncated or not a checkpoint');
  }
  if (typeof outer !== 'object' || outer === null || typeof outer.body !== 'string' || typeof outer.sha256 !== 'string' || sha256(outer.body) !== outer.sha256) {
    throw invalid('fails its integrity check (modified or corrupt)');
  }
  let body: { format?: unknown; config?: unknown; state?: unknown };
  try {
    body = JSON.parse(outer.body);
  } catch {
    throw invalid('has a body that is not JSON');
  }
  if (typeof body !== 'object' || body === null || body.format !== CHECKPOINT_FORMAT || typeof body.state !== 'object' || body.state === null) {
    throw invalid('has an unknown format');
  }
  const s = body.state as Record<string, unknown>;
  const decode = (field: string, value: unknown): Float32Array => {
    if (typeof value !== 'string') throw invalid(`lacks the field state.${field}`);
    const bytes = Buffer.from(value, 'base64');
    if (bytes.length % 4 !== 0) throw invalid(`has a corrupt field state.${field}`);
    const out = new Float32Array(bytes.length / 4);
    new Uint8Array(out.buffer).set(bytes);
    return out;
  };
  if (s.buffer !== undefined && !Array.isArray(s.buffer)) throw invalid('has a corrupt field state.buffer');
  const state = snapshotState(
    {
      iteration: s.iteration,
      adamT: s.adamT,
      criticT: s.criticT ?? 0,
      params: decode('params', s.params),
      adamM: decode('adamM', s.adamM),
      adamV: decode('adamV', s.adamV),
      criticParams: decode('criticParams', s.criticParams),
      criticM: decode('criticM', s.criticM),
      criticV: decode('criticV', s.criticV),
      buffer: ((s.buffer as unknown[] | undefined) ?? []).map((b, i) => decode(`buffer[${i}]`, b)),
    },
    `${at}checkpoint ${path}: state`,
    ErrorCode.InvalidCheckpoint,
  );
  return { config: body.config, state };
}

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
    writeCheckpoint(trainer, checkpointFile, 'checkpointFile');
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

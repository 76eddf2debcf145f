/**
 * The compiled addon's surface, declared once: every function and class that
 * native/addon/addon.cc exports, with the arguments it reads and the objects
 * it returns. The addon checks everything again (hostile input is refused
 * with a coded error), but only the wrappers in this package call it, and
 * they validate first; these types are what they may pass.
 *
 * Arrays are row-major and passed without copies. Free functions take one
 * options object: the addon reads each member once before checking any.
 */
import type { ParamSpec } from '../schema.js';
import type { TrainerState } from '../trainer-state.js';
import type { FitData, FitMetrics } from '../train/metrics.js';

/** Game.info(): the sizes of one game as the core built it. */
export interface NativeGameInfo {
  /** The registry id. */
  id: string;
  /** Seats. */
  agents: number;
  /** Floats in one agent's observation. */
  obsDim: number;
  /** Actions per agent per step. */
  actions: number;
  /** The most steps an episode can take. */
  maxSteps: number;
  /** Floats of state per environment. */
  stateSize: number;
  /** Whether the game is a two-action game (action 0 cooperates). */
  twoAction: boolean;
  /** The names of the game's per-episode statistics. */
  statNames: string[];
}

/** A game built natively from its id and checked parameters. */
export interface NativeGame {
  /** Its sizes. */
  info(): NativeGameInfo;
  /** Frees it; later use throws ERR_DISPOSED. */
  dispose(): void;
}

/** A named run of observation floats or action indices, as the binding reports it. */
export interface NativeLayoutField {
  /** The field's name. */
  name: string;
  /** First index. */
  offset: number;
  /** Number of entries. */
  size: number;
  /** One line. */
  doc: string;
}

/** gameLayout()'s raw result. */
export interface NativeGameLayout {
  /** The observation's named fields. */
  observation: NativeLayoutField[];
  /** The action space's named ranges. */
  actions: NativeLayoutField[];
  /** The game's public facts (values, rules) as numbers and labels. */
  facts: Array<{ name: string; numbers: number[]; labels: string[]; doc: string }>;
}

/** A native policy (scripted, ONNX or a model): something a rollout can seat. */
export interface NativePolicy {
  /** Its label. */
  readonly name: string;
  /** Frees it; later use throws ERR_DISPOSED. */
  dispose(): void;
}

/** A batch of environments stepped from JavaScript. */
export interface NativeEnv {
  /** Starts every environment over; returns the first observations. */
  reset(): Float32Array;
  /** The current observations. */
  observe(): Float32Array;
  /** One step with `[batch, agents]` actions. */
  step(actions: Int32Array): { observations: Float32Array; rewards: Float32Array; dones: Uint8Array };
  /** An exact copy. */
  clone(): NativeEnv;
  /** `[batch, agents]` returns so far. */
  returns(): Float32Array;
  /** `[batch]` steps taken. */
  stepsTaken(): Int32Array;
  /** `[batch]` 1 where the episode is over. */
  dones(): Uint8Array;
  /** Frees it. */
  dispose(): void;
}

/**
 * A rollout's raw arrays (B = batch, T = steps, A = agents, O = observation
 * size, S = statistics): observations float32 [B, T, A, O]; actions int32,
 * logProbs, entropies and rewards float32 [B, T, A]; dones and mask uint8
 * [B, T]; stats int32 [B, S] with their statNames; steps = T. The public
 * Trajectory (src/rollout.ts) adds sizes and groups; this file imports
 * nothing from the wrappers, so that the binding's types stay below them.
 */
export interface NativeTrajectory {
  observations: Float32Array;
  actions: Int32Array;
  logProbs: Float32Array;
  entropies: Float32Array;
  rewards: Float32Array;
  dones: Uint8Array;
  mask: Uint8Array;
  steps: number;
  stats: Int32Array;
  statNames: string[];
}

/** rollout()'s options, checked by src/rollout.ts first. */
export interface NativeRolloutOptions {
  /** Environments. */
  batch: number;
  /** Steps; default the game's maximum. */
  steps?: number;
  /** Seed. */
  seed?: number | bigint;
  /** `[batch]` random-number stream of each environment. */
  groups?: Uint32Array;
  /** Threads; default the engine's. */
  threads?: number;
  /** Softmax temperature. */
  temperature?: number;
  /** Take the most likely action. */
  greedy?: boolean;
  /** Arrays to write into (from allocateTrajectory or a previous rollout). */
  out?: object;
  /** Resolved on the TypeScript side: 'cuda' (required) or 'auto' (where the kernel covers the call). */
  gpu?: 'auto' | 'cuda';
}

/** A rollout checked once (src/rollout-plan.ts makes it from checked options). */
export interface NativeRolloutPlan {
  /** Whether run() runs on the calling thread. */
  readonly runsInline: boolean;
  /** One run with this seed; resolves with the result object the plan was made with. */
  run<T>(seed: number | bigint): Promise<T>;
  /** One run on the calling thread. */
  runSync(seed: number | bigint): void;
  /** Frees it; later runs throw ERR_DISPOSED. */
  dispose(): void;
}

/** tournament()'s result: per player, over every pairing it played. */
export interface NativeTournamentResult {
  /** Mean return of each player. */
  meanReturn: Float64Array;
  /** Share of steps each player took action 0. */
  action0Rate: Float64Array;
}

/** What the engine reports about a backend (CUDA or ONNX Runtime). */
export interface NativeBackendStatus {
  /** True when the backend loaded and can run. */
  available: boolean;
  /** Why the backend is unavailable (absent when available). */
  reason?: string;
  /** Further details: device, library, versions. */
  [detail: string]: unknown;
}

/** engineInfo()'s raw result. */
export interface NativeEngineInfo {
  /** The default thread count now in force. */
  threads: number;
  /** What the hardware offers. */
  hardwareThreads: number;
  /** Registered game ids. */
  games: string[];
  /** Registered strategy names. */
  strategies: string[];
  /** The N-API version the addon was built for. */
  napiVersion: number;
  /** The CUDA library's status as loaded so far. */
  cuda: NativeBackendStatus;
}

/** A tensor of an ONNX model as ONNX Runtime sees it. */
export interface NativeTensorInfo {
  /** Its name. */
  name: string;
  /** Its element type. */
  type: string;
  /** Its shape; −1 for a free dimension. */
  shape: number[];
}

/** Where a credit function runs, once 'auto' is resolved. */
export type NativeCreditBackend = 'cpu' | 'cuda';

/** The `[batch, steps]` shape every credit call but sumOfRewards carries, and the array it writes. */
export interface NativeCreditShape {
  /** Rows. */
  batch: number;
  /** Columns. */
  steps: number;
  /** `[batch, steps]` the result; may be the first input. */
  out: Float32Array;
}

/** The native credit functions (exports.credit); each returns `out`. */
export interface NativeCredit {
  /** Discounted return-to-go. */
  discountedReturns(
    options: NativeCreditShape & { rewards: Float32Array; gamma: number; backend?: NativeCreditBackend },
  ): Float32Array;
  /** GAE(λ); `values` is `[batch, steps + 1]`. */
  gae(
    options: NativeCreditShape & {
      rewards: Float32Array;
      values: Float32Array;
      gamma: number;
      lambda: number;
      backend?: NativeCreditBackend;
    },
  ): Float32Array;
  /** Leave-one-out baseline; no `groups` is one batch-wide group. */
  leaveOneOut(
    options: NativeCreditShape & { values: Float32Array; groups?: Int32Array; backend?: NativeCreditBackend },
  ): Float32Array;
  /** Advantage Alignment credits. */
  advantageAlignment(
    options: NativeCreditShape & {
      own: Float32Array;
      others: Float32Array;
      beta: number;
      gamma: number;
      includeCurrent: boolean;
      form: 'discounted' | 'mean';
      backend?: NativeCreditBackend;
    },
  ): Float32Array;
  /** own + others, element-wise. */
  sumOfRewards(options: { own: Float32Array; others: Float32Array; out: Float32Array }): Float32Array;
  /** Standardisation over all elements or per step. */
  whiten(options: NativeCreditShape & { x: Float32Array; perStep: boolean; eps: number }): Float32Array;
}

/** policyGradient()'s options (rows = decisions, actionCount = actions per row). */
export interface NativePolicyGradientOptions {
  /** `[rows, actionCount]` */
  logits: Float32Array;
  /** `[rows]` */
  actions: Int32Array;
  /** `[rows]` */
  credits: Float32Array;
  /** `[rows]` 1 for a live row. */
  mask?: Uint8Array;
  /** `[rows]` the behaviour policy's log-probabilities. */
  behaviorLogProbs?: Float32Array;
  /** `[rows, actionCount]` a reference policy's logits, for the KL term. */
  referenceLogits?: Float32Array;
  /** `[rows]` the reference policy's log-probabilities of the actions. */
  referenceLogProbs?: Float32Array;
  /** `[rows, actionCount]` where to write the gradient. */
  out?: Float32Array;
  /** Rows. */
  rows: number;
  /** Actions per row. */
  actionCount: number;
  /** The surrogate. */
  objective: 'reinforce' | 'ppo';
  /** Importance-ratio cap (reinforce); +Infinity switches it off. */
  ratioCap: number;
  /** PPO's clip ε. */
  clip: number;
  /** Entropy bonus coefficient. */
  entropyCoef: number;
  /** KL coefficient. */
  klCoef: number;
  /** What row weights divide by. */
  normalize: 'mask' | 'rows' | number;
  /** 'cuda' runs the CUDA kernel. */
  backend?: 'cuda';
}

/** policyGradient()'s result. */
export interface NativePolicyGradientResult {
  /** The total loss. */
  loss: number;
  /** Its policy term. */
  policyLoss: number;
  /** Mean entropy over live rows. */
  entropy: number;
  /** Mean KL to the reference. */
  kl: number;
  /** Share of live rows whose ratio was capped or clipped. */
  clippedFraction: number;
  /** Rows that counted. */
  liveRows: number;
  /** `[rows, actionCount]` d(loss)/d(logits). */
  gradLogits: Float32Array;
}

/** The native loss functions (exports.loss). */
export interface NativeLoss {
  /** The loss and its gradient with respect to the logits. */
  policyGradient(options: NativePolicyGradientOptions): NativePolicyGradientResult;
  /** Row-wise log-softmax into `out` (or a new array). */
  logSoftmax(logits: Float32Array, out: Float32Array | undefined, rows: number, actions: number): Float32Array;
}


/** A native trainer (constructed by src/train.ts from a checked config). */
export interface NativeTrainer {
  /**
   * One iteration, off the event loop. Its metrics come as numbers in one
   * array (layout: metricsFromValues in src/train/metrics.ts), which the
   * handle turns into an IterationMetrics object.
   */
  iterate(): Promise<Float64Array>;
  /** Iterations done, without copying the state. */
  iteration(): number;
  /** One behaviour-cloning step. */
  fitActions(data: FitData): Promise<FitMetrics>;
  /** A copy of everything needed to resume. */
  state(): TrainerState;
  /** Resumes from a checked state. */
  restore(state: TrainerState): void;
  /** The current policy as a native policy. */
  policy(label?: string): NativePolicy;
  /** Its sizes and device. */
  info(): { numParams: number; stateSize: number; kind: string; statNames: string[]; device: 'cpu' | 'cuda' };
  /** Frees it. */
  dispose(): void;
}

/** The specs of the trainer's settings and of each model kind's parameters. */
export interface NativeTrainerSpecs {
  /** The trainer's scalar settings. */
  config: ParamSpec[];
  /** Each model kind's parameters. */
  models: Array<{ kind: string; params: ParamSpec[] }>;
}

/** The addon's Trainer class. */
export interface NativeTrainerClass {
  /** A native trainer; `gpu` is 'cuda', 'auto' or absent (the CPU). */
  new (game: NativeGame, config: Record<string, unknown>, gpu?: 'cuda' | 'auto'): NativeTrainer;
  /** The specs of the settings and model kinds. */
  paramSpecs(): NativeTrainerSpecs;
  /** Throws the core's coded error when a config's scalar settings break a range or a rule. */
  checkConfig(config: Record<string, unknown>): void;
}

/** One row of the limits table (native/core/limits.hpp). */
export interface NativeLimit {
  /** The name LIMITS uses. */
  name: string;
  /** The value. */
  value: number;
  /** One line. */
  doc: string;
}

/** Everything the compiled addon exports. */
export interface NativeBinding {
  /** Builds a game from its id and checked parameters. */
  Game: new (id: string, params: Record<string, unknown>) => NativeGame;
  /** Made only by factory functions such as strategy(); `new` from JavaScript throws. */
  Policy: abstract new (...args: never[]) => NativePolicy;
  /** A batch of environments of one game. */
  Env: new (game: NativeGame, options: { batch: number; seed?: number | bigint; streams?: Uint32Array }) => NativeEnv;
  /** A scripted strategy by name. */
  strategy(name: string, params: Record<string, unknown>): NativePolicy;
  /** A batched rollout, off the event loop. */
  rollout(game: NativeGame, policies: NativePolicy[], options: NativeRolloutOptions): Promise<NativeTrajectory>;
  /** The game's named observation fields, action ranges and public facts. */
  gameLayout(game: NativeGame): NativeGameLayout;
  /**
   * A rollout checked once: `arrays` receives the trajectory's arrays (out's
   * when options.out is given), and every run resolves with `result`.
   */
  RolloutPlan: new (
    game: NativeGame,
    policies: NativePolicy[],
    options: Omit<NativeRolloutOptions, 'seed'>,
    result: object,
    arrays: object,
  ) => NativeRolloutPlan;
  /** Arrays a rollout of this size can write into. */
  allocateTrajectory(game: NativeGame, options: { batch: number; steps?: number }): NativeTrajectory;
  /** Every ordered pairing of players, off the event loop. */
  tournament(
    game: NativeGame,
    players: NativePolicy[],
    /** pairs: flattened [row, column] indices; only those pairs play and the arrays are [pairs, 2] instead of [n, n, 2]. */
    options: { repetitions: number; steps?: number; seed?: number | bigint; threads?: number; pairs?: Int32Array },
  ): Promise<NativeTournamentResult>;
  /** What the build and the machine offer. */
  engineInfo(): NativeEngineInfo;
  /** Every registered game's parameter specs. */
  gameSpecs(): Array<{ id: string; doc: string; params: ParamSpec[] }>;
  /** Every registered strategy's parameter specs. */
  strategySpecs(): Array<{ name: string; params: ParamSpec[] }>;
  /** The engine's size limits, in the table's order. */
  limits(): NativeLimit[];
  /** Opens ONNX Runtime from a library path. */
  ortLoad(library: string): NativeBackendStatus;
  /** Opens the CUDA kernels library from a path. */
  cudaLoad(library: string): NativeBackendStatus;
  /** ONNX Runtime's status; `compiled` says whether the addon has its headers. */
  ortStatus(): NativeBackendStatus & { compiled: boolean };
  /** An ONNX policy from a file path or the model's bytes. */
  onnxPolicy(model: string | Uint8Array, options: Record<string, unknown>): NativePolicy;
  /** An ONNX model's inputs and outputs. */
  onnxInspect(model: string | Uint8Array, options: Record<string, unknown>): { inputs: NativeTensorInfo[]; outputs: NativeTensorInfo[] };
  /** Sets the default thread count; returns the count in force. */
  setThreads(n: number): number;
  /** The native trainer class and its specs. */
  Trainer: NativeTrainerClass;
  /** A native model policy over a flat parameter vector. */
  modelPolicy(
    kind: string,
    obsDim: number,
    actions: number,
    params: Record<string, unknown>,
    weights: Float32Array,
    label: string,
  ): NativePolicy;
  /** The credit functions. */
  credit: NativeCredit;
  /** The pool of large result blocks (native/addon/result_pool.hpp). */
  resultPool: {
    /** A pooled array of `length` floats, or undefined when the pool refuses. */
    float32(length: number): Float32Array | undefined;
    /** Frees every kept block; returns the bytes freed. */
    trim(): number;
    /** What the pool holds and has done. */
    stats(): ResultPoolStats;
  };
  /** The loss functions. */
  loss: NativeLoss;
}

/** What the pool of large result blocks holds and has done since the process started. */
export interface ResultPoolStats {
  /** Bytes of the blocks kept for later results. */
  keptBytes: number;
  /** How many blocks are kept. */
  keptBlocks: number;
  /** Bytes of blocks held by result arrays that have not been collected yet. */
  outstandingBytes: number;
  /** Results served from a kept block. */
  reused: number;
  /** Results served from new memory. */
  fresh: number;
  /** Requests refused because the blocks handed out and not yet returned reached the bound (128 MiB); those results use memory V8 owns. */
  refused: number;
  /** Blocks given back as soon as a garbage collection found their result dead, without waiting for a turn of the event loop. */
  reclaimedEarly: number;
  /**
   * Whether this runtime lets blocks come back that way: true where no
   * JavaScript can move a result's memory to another ArrayBuffer (Node 20);
   * false where `ArrayBuffer.prototype.transfer` accepts the engine's
   * results, and then a synchronous loop gets blocks back only when it
   * yields to the event loop.
   */
  earlyReclaim: boolean;
}

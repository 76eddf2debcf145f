/**
 * Loads the compiled addon once. The binding's raw surface is typed here and
 * used only by the wrappers in this package.
 */
import type { ParamSpec } from './schema.js';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { addonPath } from './binding-loader.js';

export interface NativeGameInfo {
  id: string;
  agents: number;
  obsDim: number;
  actions: number;
  maxSteps: number;
  stateSize: number;
  twoAction: boolean;
}

export interface NativeGame {
  info(): NativeGameInfo;
  dispose(): void;
}

/** A named run of observation floats or action indices, as the binding reports it. */
export interface NativeLayoutField {
  name: string;
  offset: number;
  size: number;
  doc: string;
}

/** gameLayout()'s raw result. */
export interface NativeGameLayout {
  observation: NativeLayoutField[];
  actions: NativeLayoutField[];
  facts: Array<{ name: string; numbers: number[]; labels: string[]; doc: string }>;
}

export interface NativePolicy {
  readonly name: string;
  dispose(): void;
}

export interface NativeEnv {
  reset(): Float32Array;
  observe(): Float32Array;
  step(actions: Int32Array): { observations: Float32Array; rewards: Float32Array; dones: Uint8Array };
  clone(): NativeEnv;
  returns(): Float32Array;
  stepsTaken(): Int32Array;
  dones(): Uint8Array;
  dispose(): void;
}

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

export interface NativeCreditBinding {
  [name: string]: (...args: any[]) => unknown;
}

export interface NativeBinding {
  Game: new (id: string, params: Record<string, unknown>) => NativeGame;
  /** Made only by factory functions such as strategy(); `new` from JavaScript throws. */
  Policy: abstract new (...args: never[]) => NativePolicy;
  Env: new (game: NativeGame, options: { batch: number; seed?: number | bigint; streams?: Uint32Array }) => NativeEnv;
  strategy(name: string, params: Record<string, unknown>): NativePolicy;
  rollout(
    game: NativeGame,
    policies: NativePolicy[],
    options: {
      batch: number;
      steps?: number;
      seed?: number | bigint;
      groups?: Uint32Array;
      threads?: number;
      temperature?: number;
      greedy?: boolean;
      out?: object;
      /** Resolved on the TypeScript side: 'cuda' (required) or 'auto' (where the kernel covers the call). */
      gpu?: 'auto' | 'cuda';
    },
  ): Promise<NativeTrajectory>;
  gameLayout(game: NativeGame): NativeGameLayout;
  allocateTrajectory(game: NativeGame, options: { batch: number; steps?: number }): NativeTrajectory;
  tournament(
    game: NativeGame,
    players: NativePolicy[],
    options: { repetitions: number; steps?: number; seed?: number | bigint; threads?: number },
  ): Promise<{ meanReturn: Float64Array; action0Rate: Float64Array }>;
  engineInfo(): Record<string, unknown>;
  gameSpecs(): Array<{ id: string; doc: string; params: ParamSpec[] }>;
  strategySpecs(): Array<{ name: string; params: ParamSpec[] }>;
  ortLoad(library: string): Record<string, unknown>;
  cudaLoad(library: string): Record<string, unknown>;
  ortStatus(): Record<string, unknown>;
  onnxPolicy(model: string | Uint8Array, options: Record<string, unknown>): NativePolicy;
  onnxInspect(
    model: string | Uint8Array,
    options: Record<string, unknown>,
  ): { inputs: Array<{ name: string; type: string; shape: number[] }>; outputs: Array<{ name: string; type: string; shape: number[] }> };
  setThreads(n: number): number;
  credit: NativeCreditBinding;
  resultPool: {
    float32(length: number): Float32Array | undefined;
    trim(): number;
    stats(): { keptBytes: number; keptBlocks: number; outstandingBytes: number; reused: number; fresh: number; refused: number };
  };
}

const here = dirname(fileURLToPath(import.meta.url));
/** The package root: one level above src/ or dist/. */
export const packageRoot = join(here, '..');

let cached: NativeBinding | undefined;

export function native(): NativeBinding {
  if (cached) return cached;
  const require = createRequire(import.meta.url);
  cached = require(addonPath(packageRoot)) as NativeBinding;
  return cached;
}

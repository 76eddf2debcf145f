/**
 * What this build of the engine can do on this machine, and why not where it
 * cannot.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { native, packageRoot } from './native.js';
import { LIMITS } from './generated/limits.js';
import { gpuChoice, type GpuChoice } from './gpu.js';
import { checkInteger } from './validate.js';
import { onnxStatus } from './onnx-runtime.js';
import { cudaStatus, type BackendStatus } from './backend-status.js';

export type { BackendStatus } from './backend-status.js';

/** What {@link engineInfo} reports. */
export interface EngineInfo {
  /** The package version. */
  version: string;
  /** The Node.js version running the engine. */
  node: string;
  /** Threads used by batched native work. */
  threads: number;
  /** Hardware threads of this machine. */
  hardwareThreads: number;
  /** The backends usable here. */
  backends: Array<'cpu' | 'cuda'>;
  /** The game ids of the native core. */
  games: string[];
  /** The scripted strategies' names. */
  strategies: string[];
  /** ONNX Runtime policies: the runtime version, or why unavailable. */
  onnx: BackendStatus;
  /** The CUDA kernels library: the device, or why unavailable. */
  cuda: BackendStatus;
  /** The engine's `gpu` option, where its backend-aware work runs, and why. */
  gpu: GpuChoice;
}

export { cudaStatus } from './backend-status.js';

let version: string | undefined;
/** The installed package's version, from its package.json. */
export function packageVersion(): string {
  version ??= (JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as { version: string }).version;
  return version;
}

/** What this build of the engine can do on this machine, and why not where it cannot. */
export function engineInfo(): EngineInfo {
  const n = native().engineInfo();
  const cuda = cudaStatus();
  return {
    version: packageVersion(),
    node: process.version,
    threads: n.threads,
    hardwareThreads: n.hardwareThreads,
    backends: cuda.available ? ['cpu', 'cuda'] : ['cpu'],
    games: n.games,
    strategies: n.strategies,
    onnx: onnxStatus(),
    cuda,
    gpu: gpuChoice(),
  };
}

/** Sets the default thread count for batched native work; 0 restores the hardware default. Returns the count now in force. */
export function setThreads(n: number): number {
  return native().setThreads(checkInteger('threads', n, 0, LIMITS.maxThreads));
}

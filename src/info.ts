/**
 * What this build of the engine can do on this machine, and why not where it
 * cannot.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { native, packageRoot } from './native.js';
import { checkInteger } from './validate.js';
import { onnxStatus } from './onnx-runtime.js';

export interface BackendStatus {
  available: boolean;
  /** Why the backend is unavailable (absent when available). */
  reason?: string;
  [detail: string]: unknown;
}

export interface EngineInfo {
  version: string;
  node: string;
  /** Threads used by batched native work. */
  threads: number;
  hardwareThreads: number;
  backends: Array<'cpu' | 'cuda'>;
  games: string[];
  strategies: string[];
  onnx: BackendStatus;
  cuda: BackendStatus;
}

let cuda: BackendStatus | undefined;

/**
 * Loads the CUDA kernels library once (DILEMMA_CUDA_LIBRARY, else the CMake
 * build's) and says whether a GPU backend is usable, or exactly why not.
 */
export function cudaStatus(): BackendStatus {
  if (cuda) return cuda;
  const candidates = [process.env.DILEMMA_CUDA_LIBRARY, join(packageRoot, 'build-cmake', 'cuda', 'libdilemma_cuda.so')]
    .filter((p): p is string => !!p);
  const found = candidates.find((p) => existsSync(p));
  cuda = found
    ? (native().cudaLoad(found) as BackendStatus)
    : {
        available: false,
        reason: `the CUDA library is not built (looked for ${candidates.join(', ')}; CMake builds it where nvcc is found)`,
      };
  return cuda;
}

let version: string | undefined;
function packageVersion(): string {
  version ??= (JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as { version: string }).version;
  return version;
}

export function engineInfo(): EngineInfo {
  const n = native().engineInfo() as Record<string, unknown>;
  const cuda = cudaStatus();
  return {
    version: packageVersion(),
    node: process.version,
    threads: n.threads as number,
    hardwareThreads: n.hardwareThreads as number,
    backends: cuda.available ? ['cpu', 'cuda'] : ['cpu'],
    games: n.games as string[],
    strategies: n.strategies as string[],
    onnx: onnxStatus(),
    cuda,
  };
}

/** Sets the default thread count for batched native work; 0 restores the hardware default. Returns the count now in force. */
export function setThreads(n: number): number {
  return native().setThreads(checkInteger('threads', n, 0, 1024));
}

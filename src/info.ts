/**
 * What this build of the engine can do on this machine, and why not where it
 * cannot.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { native, packageRoot } from './native.js';
import { prebuildsDir } from './binding-loader.js';
import { gpuChoice, type GpuChoice } from './gpu.js';
import { checkInteger } from './validate.js';
import { onnxStatus } from './onnx-runtime.js';

/** Whether a backend (ONNX Runtime, CUDA) can run here; details vary by backend. */
export interface BackendStatus {
  /** True when the backend loaded and can run. */
  available: boolean;
  /** Why the backend is unavailable (absent when available). */
  reason?: string;
  [detail: string]: unknown;
}

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

let cuda: BackendStatus | undefined;

/**
 * Loads the CUDA kernels library once (DILEMMA_CUDA_LIBRARY, else a CMake
 * build in this checkout, else the one prebuilt in the package) and says
 * whether a GPU backend is usable, or exactly why not.
 */
export function cudaStatus(): BackendStatus {
  if (cuda) return cuda;
  const candidates = [
    process.env.DILEMMA_CUDA_LIBRARY,
    join(packageRoot, 'build-cmake', 'cuda', 'libdilemma_cuda.so'),
    join(prebuildsDir(packageRoot), 'libdilemma_cuda.so'),
  ].filter((p): p is string => !!p);
  const found = candidates.find((p) => existsSync(p));
  cuda = found
    ? (native().cudaLoad(found) as BackendStatus)
    : {
        available: false,
        reason: `the CUDA library is not built (looked for ${candidates.join(', ')}; \`npm run prebuild\` or CMake builds it where nvcc is found)`,
      };
  return cuda;
}

let version: string | undefined;
/** The installed package's version, from its package.json. */
export function packageVersion(): string {
  version ??= (JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as { version: string }).version;
  return version;
}

/** What this build of the engine can do on this machine, and why not where it cannot. */
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
    gpu: gpuChoice(),
  };
}

/** Sets the default thread count for batched native work; 0 restores the hardware default. Returns the count now in force. */
export function setThreads(n: number): number {
  return native().setThreads(checkInteger('threads', n, 0, 1024));
}

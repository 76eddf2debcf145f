/**
 * The status record every optional backend reports (ONNX Runtime, CUDA),
 * shared by the loaders that produce it and engineInfo() that gathers it,
 * and the CUDA library's loader, which the GPU option and engineInfo() both
 * consult.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { prebuildsDir } from './binding-loader.js';
import { native, packageRoot } from './native.js';

/** Whether a backend (ONNX Runtime, CUDA) can run here; details vary by backend. */
export interface BackendStatus {
  /** True when the backend loaded and can run. */
  available: boolean;
  /** Why the backend is unavailable (absent when available). */
  reason?: string;
  [detail: string]: unknown;
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
    ? native().cudaLoad(found)
    : {
        available: false,
        reason: `the CUDA library is not built (looked for ${candidates.join(', ')}; \`npm run prebuild\` or CMake builds it where nvcc is found)`,
      };
  return cuda;
}

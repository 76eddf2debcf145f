// Configures (once) and builds the CMake targets: the core's C++ tests and,
// where nvcc is found, the CUDA library with its tests and benchmark.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';

const root = new URL('..', import.meta.url).pathname;
const dir = process.env.DILEMMA_CMAKE_BUILD_DIR ?? 'build-cmake';
const extra = (process.env.DILEMMA_CMAKE_ARGS ?? '').split(/\s+/).filter(Boolean);

function step(args) {
  const r = spawnSync('cmake', args, { cwd: root, stdio: 'inherit' });
  if (r.error) {
    console.error(`cmake could not run: ${r.error.message}`);
    process.exit(1);
  }
  if (r.status !== 0) process.exit(r.status ?? 1);
}

if (!existsSync(`${root}${dir}/CMakeCache.txt`) || extra.length > 0) {
  step(['-S', '.', '-B', dir, '-DCMAKE_BUILD_TYPE=Release', ...extra]);
}
step(['--build', dir, '-j', String(Math.max(1, availableParallelism()))]);

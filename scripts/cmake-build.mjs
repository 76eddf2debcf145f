// Configures (once) and builds the CMake targets with cmake-js: the core's
// C++ tests and, where nvcc is found, the CUDA library with its tests and
// benchmark. Options: `--dir DIR` (default build-cmake, or
// DILEMMA_CMAKE_BUILD_DIR), `--target NAME` (one target only); extra CMake
// definitions come from DILEMMA_CMAKE_ARGS ("-DNAME=VALUE ...").
// cmake-js treats the project as a Node-API one (package.json `binary`), so it
// downloads no Node headers; the CMake targets use none anyway.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { createRequire } from 'node:module';
import { root } from './build-env.mjs';

const argv = process.argv.slice(2);
const option = (name) => {
  const k = argv.indexOf(name);
  return k >= 0 ? argv[k + 1] : undefined;
};
const dir = option('--dir') ?? process.env.DILEMMA_CMAKE_BUILD_DIR ?? 'build-cmake';
const target = option('--target');
const extra = (process.env.DILEMMA_CMAKE_ARGS ?? '').split(/\s+/).filter(Boolean);

const cmakeJs = createRequire(import.meta.url).resolve('cmake-js/bin/cmake-js');
const defines = ['CMAKE_BUILD_TYPE=Release', ...extra.map((d) => d.replace(/^-D/, ''))].map((d) => `--CD${d}`);
// Unix Makefiles keep build folders made by plain cmake usable; the build
// folder holds the targets where CMakeLists.txt puts them (not cmake-js's
// default output folder for addons).
const common = ['--out', dir, '--prefer-make', '--config', 'Release', '--parallel', String(Math.max(1, availableParallelism()))];
const command = existsSync(`${root}${dir}/CMakeCache.txt`) && extra.length === 0 ? 'build' : 'configure';

function step(args) {
  const r = spawnSync(process.execPath, [cmakeJs, ...args], { cwd: root, stdio: 'inherit' });
  if (r.error) {
    console.error(`cmake-js could not run: ${r.error.message}`);
    process.exit(1);
  }
  if (r.status !== 0) process.exit(r.status ?? 1);
}

if (command === 'configure') step(['configure', ...common, ...defines]);
step(['build', ...common, ...(target ? ['--target', target] : []), ...defines]);

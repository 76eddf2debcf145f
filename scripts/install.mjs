// npm's install step. Uses the prebuilt addon of prebuilds/<platform>-<arch>
// when one fits this machine and loads (the published package ships one for
// linux-x64 with glibc); otherwise builds the addon from source: the ONNX
// Runtime headers, then node-gyp. `npm install --build-from-source` (or
// DILEMMA_BUILD_FROM_SOURCE=1) always builds.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { commandExists, headersEnv, root } from './build-env.mjs';

const require = createRequire(import.meta.url);

function usablePrebuild() {
  if (process.env.DILEMMA_BUILD_FROM_SOURCE === '1' || process.env.npm_config_build_from_source === 'true') return undefined;
  const previous = process.env.PREBUILDS_ONLY;
  process.env.PREBUILDS_ONLY = '1';
  try {
    const path = require('node-gyp-build').path(root);
    require(path);
    return path;
  } catch {
    return undefined;
  } finally {
    if (previous === undefined) delete process.env.PREBUILDS_ONLY;
    else process.env.PREBUILDS_ONLY = previous;
  }
}

const NEEDS =
  'Building @dilemma/engine from source needs a C++17 compiler (g++ or clang++), Python 3 and make ' +
  '(Debian and Ubuntu: apt-get install g++ python3 make). Prebuilt binaries exist for linux-x64 with glibc; ' +
  'on that platform this build runs only with --build-from-source.';

function missingTools() {
  const missing = [];
  const compilers = [process.env.CXX, 'c++', 'g++', 'clang++'].filter(Boolean);
  if (!compilers.some((c) => commandExists(c))) missing.push('a C++ compiler (g++ or clang++)');
  if (!commandExists('python3') && !commandExists('python')) missing.push('Python 3');
  if (process.platform !== 'win32' && !commandExists('make')) missing.push('make');
  return missing;
}

function buildFromSource() {
  console.log(`@dilemma/engine: no prebuilt addon for ${process.platform}-${process.arch} fits this machine; building it from source (a few minutes)`);
  const missing = missingTools();
  if (missing.length > 0) {
    console.error(`@dilemma/engine: cannot build from source: ${missing.join(', ')} not found on the PATH.\n${NEEDS}`);
    return 1;
  }
  const headers = spawnSync(process.execPath, ['scripts/fetch-ort-headers.mjs'], { cwd: root, stdio: 'inherit' });
  if (headers.status !== 0) console.error('@dilemma/engine: the ONNX Runtime headers step failed; building without ONNX policies');
  // npm puts its own node-gyp on the PATH of install scripts.
  const jobs = process.env.JOBS ?? 'max';
  const gyp = spawnSync('node-gyp', ['rebuild', '-j', jobs], { cwd: root, stdio: 'inherit', env: headersEnv(), shell: process.platform === 'win32' });
  if (gyp.error || gyp.status !== 0) {
    console.error(`@dilemma/engine: building the addon failed${gyp.error ? ` (${gyp.error.message})` : ''}.\n${NEEDS}`);
    return 1;
  }
  return 0;
}

const prebuilt = usablePrebuild();
if (prebuilt) console.log(`@dilemma/engine: using the prebuilt addon ${prebuilt.slice(root.length)}`);
else process.exitCode = buildFromSource();

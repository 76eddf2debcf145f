// `npm run prebuild`: the binaries the published package ships in
// prebuilds/<platform>-<arch>/, so that installing it compiles nothing:
//   - the addon, built by prebuildify for Node-API (any Node ≥ the engines
//     range), tagged glibc and stripped;
//   - ONNX Runtime's shared library, copied from the onnxruntime-node
//     development dependency with its licence (the addon opens it with dlopen);
//   - the CUDA kernels library (sm_80, sm_90 and PTX for newer GPUs), built
//     with cmake-js where nvcc is found.
// `--reuse-build` copies the addon already built by `npm install` in this
// checkout (build/Release, the same sources and flags) instead of compiling
// it again, and skips the CUDA build unless `--cuda` is given: the package
// test uses it to pack in seconds.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { commandExists, headersEnv, root } from './build-env.mjs';

const args = new Set(process.argv.slice(2));
const reuse = args.has('--reuse-build');
const wantCuda = args.has('--cuda') || (!reuse && !args.has('--no-cuda'));
const tuple = `${process.platform}-${process.arch}`;
const out = join(root, 'prebuilds', tuple);

function run(cmd, cmdArgs, env = process.env) {
  console.log(`> ${cmd} ${cmdArgs.join(' ')}`);
  const r = spawnSync(cmd, cmdArgs, { cwd: root, stdio: 'inherit', env });
  if (r.error) throw new Error(`${cmd} could not run: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${cmd} ${cmdArgs[0]} failed (exit ${r.status})`);
}

function addon() {
  if (reuse) {
    const built = join(root, 'build', 'Release', 'dilemma.node');
    if (!existsSync(built)) throw new Error('no build/Release/dilemma.node to reuse: run `npm install` first');
    mkdirSync(out, { recursive: true });
    // prebuildify's name for a Node-API build tagged with its libc.
    copyFileSync(built, join(out, '@dilemma+engine.glibc.node'));
    if (commandExists('strip')) run('strip', [join(out, '@dilemma+engine.glibc.node')]);
    return;
  }
  // The ONNX Runtime headers are needed to compile the addon, not to run it.
  run('node', ['scripts/fetch-ort-headers.mjs']);
  const bin = createRequire(import.meta.url).resolve('prebuildify/bin.js');
  run(process.execPath, [bin, '--napi', '--strip', '--tag-libc', '--target', `node@${process.versions.node}`], headersEnv());
}

const ORT_FILES = { linux: 'libonnxruntime.so.1', darwin: 'libonnxruntime.1.dylib', win32: 'onnxruntime.dll' };

function onnxRuntime() {
  const file = ORT_FILES[process.platform];
  let pkg;
  try {
    pkg = dirname(createRequire(import.meta.url).resolve('onnxruntime-node/package.json'));
  } catch {
    console.log('onnxruntime-node is not installed: the prebuild ships no ONNX Runtime library');
    return;
  }
  const lib = join(pkg, 'bin', 'napi-v6', process.platform, process.arch, file ?? '');
  if (!file || !existsSync(lib)) {
    console.log(`onnxruntime-node has no ${file ?? 'library'} for ${tuple}: the prebuild ships none`);
    return;
  }
  copyFileSync(lib, join(out, file));
  const version = createRequire(import.meta.url)('onnxruntime-node/package.json').version;
  writeFileSync(
    join(out, 'ONNXRUNTIME-NOTICE.txt'),
    `${file} is ONNX Runtime ${version}, copied unchanged from the onnxruntime-node package.\n\n` +
      'MIT License\n\nCopyright (c) Microsoft Corporation\n\n' +
      'Permission is hereby granted, free of charge, to any person obtaining a copy of this software and associated\n' +
      'documentation files (the "Software"), to deal in the Software without restriction, including without limitation\n' +
      'the rights to use, copy, modify, merge, publish, distribute, sublicense, and/or sell copies of the Software, and\n' +
      'to permit persons to whom the Software is furnished to do so, subject to the following conditions:\n\n' +
      'The above copyright notice and this permission notice shall be included in all copies or substantial portions\n' +
      'of the Software.\n\n' +
      'THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO\n' +
      'THE WARRANTIES OF MERCHANTABILITY, FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE\n' +
      'AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER LIABILITY, WHETHER IN AN ACTION OF\n' +
      'CONTRACT, TORT OR OTHERWISE, ARISING FROM, OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER\n' +
      'DEALINGS IN THE SOFTWARE.\n',
  );
}

function cuda() {
  if (!commandExists('nvcc')) {
    console.log('nvcc not found: the prebuild ships no CUDA library');
    return;
  }
  // A build folder of its own: only the library, every test and benchmark off.
  run('node', ['scripts/cmake-build.mjs', '--dir', 'build-prebuild-cuda', '--target', 'dilemma_cuda']);
  const lib = join(root, 'build-prebuild-cuda', 'cuda', 'libdilemma_cuda.so');
  if (!existsSync(lib)) throw new Error(`the CUDA build made no ${lib}`);
  copyFileSync(lib, join(out, 'libdilemma_cuda.so'));
  if (commandExists('strip')) run('strip', ['--strip-unneeded', join(out, 'libdilemma_cuda.so')]);
}

try {
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  addon();
  onnxRuntime();
  if (wantCuda) cuda();
  console.log(`prebuilds/${tuple}: ${readdirSync(out).join(', ')}`);
} catch (e) {
  console.error(`prebuild failed: ${e.message}`);
  process.exitCode = 1;
}

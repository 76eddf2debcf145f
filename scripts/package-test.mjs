// The package as a new user installs it: `npm pack`, then `npm install` of
// the tarball into an empty project with no compiler, make or Python on the
// PATH and none of this project's environment variables, then
// engineInfo() must report ONNX Runtime available and `npx dilemma demo`
// must print its comparison. Packages come from npm's cache where it has
// them (--prefer-offline). Prints TAP-like `ok` / `not ok` lines and exits
// non-zero on failure.
//
// Where this checkout has no prebuilt binaries yet, the addon built by
// `npm install` (build/Release) and ONNX Runtime's library are staged in
// prebuilds/ for the pack (`prebuild.mjs --reuse-build`) and removed after.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { root } from './build-env.mjs';

const INSTALL_LIMIT_S = Number(process.env.DILEMMA_PACKAGE_INSTALL_LIMIT_S ?? 60);
const HIDDEN = /^(?:[\w.]+-)*(?:gcc|g\+\+|cc|c\+\+|cpp|clang|clang\+\+|ld|make|gmake|python|python\d+(?:\.\d+)?|nvcc|cmake)(?:-[\d.]+)?$/;
const tuple = `${process.platform}-${process.arch}`;
const work = mkdtempSync(join(tmpdir(), 'dilemma-package-'));
let failures = 0;

function check(ok, name, detail = '') {
  console.log(`${ok ? 'ok' : 'not ok'} - package: ${name}${detail ? ` (${detail})` : ''}`);
  if (!ok) failures++;
  return ok;
}

function run(cmd, args, options) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 << 20, ...options });
  return { ...r, output: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? r.error.message : ''}` };
}

// A PATH of one folder of links to every command of this PATH but the build tools.
function toolchainFreePath() {
  const bin = join(work, 'bin');
  mkdirSync(bin);
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir || !existsSync(dir)) continue;
    for (const name of readdirSync(dir)) {
      if (HIDDEN.test(name) || existsSync(join(bin, name))) continue;
      try {
        if (statSync(join(dir, name)).isFile()) symlinkSync(join(dir, name), join(bin, name));
      } catch {
        // a dangling link or unreadable entry: not a command
      }
    }
  }
  return bin;
}

// What a user's shell would have: no npm_* or project variables.
function userEnv(path) {
  const env = { PATH: path };
  for (const k of ['HOME', 'TMPDIR', 'LANG', 'TERM', 'USER']) if (process.env[k]) env[k] = process.env[k];
  return env;
}

const prebuilds = join(root, 'prebuilds', tuple);
const staged = !existsSync(prebuilds) || !readdirSync(prebuilds).some((f) => f.endsWith('.node'));
try {
  if (staged) {
    const r = run(process.execPath, ['scripts/prebuild.mjs', '--reuse-build'], { cwd: root });
    if (!check(r.status === 0, 'stage prebuilt binaries from build/Release', r.status === 0 ? '' : r.output.slice(-2000))) throw new Error('stage');
  }
  const pack = run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], { cwd: root });
  if (!check(pack.status === 0, 'npm pack', pack.status === 0 ? '' : pack.output.slice(-2000))) throw new Error('pack');
  const info = JSON.parse(pack.stdout)[0];
  const files = info.files.map((f) => f.path);
  check(files.some((f) => f.startsWith(`prebuilds/${tuple}/`) && f.endsWith('.node')), 'the tarball holds the prebuilt addon');
  check(files.includes(`prebuilds/${tuple}/libonnxruntime.so.1`) || process.platform !== 'linux', 'the tarball holds ONNX Runtime');
  check(files.some((f) => f.startsWith('examples/')) && files.includes('LICENSE') && files.includes('CHANGELOG.md'), 'examples, LICENSE and CHANGELOG are packed');
  check(!files.some((f) => /^(build|build-deps|build-cmake|test|node_modules)\//.test(f)), 'no build folders or tests are packed');
  console.log(`# tarball ${info.filename}: ${(info.size / 2 ** 20).toFixed(1)} MiB packed, ${(info.unpackedSize / 2 ** 20).toFixed(1)} MiB unpacked, ${files.length} files`);

  const project = join(work, 'project');
  mkdirSync(project);
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'empty-project', private: true, type: 'module' }));
  const env = userEnv(toolchainFreePath());
  check(run('sh', ['-c', 'command -v g++ || command -v cc || command -v make || command -v python3'], { env }).status !== 0, 'the install sees no compiler, make or Python');

  const t0 = performance.now();
  const install = run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', join(work, info.filename)], { cwd: project, env });
  const seconds = (performance.now() - t0) / 1000;
  if (!check(install.status === 0, 'npm install of the tarball', install.status === 0 ? '' : install.output.slice(-3000))) throw new Error('install');
  check(seconds <= INSTALL_LIMIT_S, `the install takes at most ${INSTALL_LIMIT_S} s`, `${seconds.toFixed(1)} s`);
  const installed = join(project, 'node_modules', '@dilemma', 'engine');
  check(!existsSync(join(installed, 'build')), 'nothing was compiled at install');
  check(!existsSync(join(project, 'node_modules', 'onnxruntime-node')), 'onnxruntime-node (and its download) is not installed');

  const probe = run(
    process.execPath,
    ['--input-type=module', '-e', "const e = await import('@dilemma/engine'); console.log(JSON.stringify(e.engineInfo()));"],
    { cwd: project, env },
  );
  let engine;
  try {
    engine = JSON.parse(probe.stdout);
  } catch {
    engine = undefined;
  }
  if (check(engine !== undefined, 'engineInfo() runs', engine ? '' : probe.output.slice(-2000))) {
    check(engine.onnx.available === true, 'engineInfo() reports ONNX Runtime available', engine.onnx.reason ?? String(engine.onnx.runtimeVersion));
    check(typeof engine.gpu?.reason === 'string', 'engineInfo() says what the gpu option chose', `${engine.gpu?.chosen}: ${engine.gpu?.reason}`);
  }
  const version = run('npx', ['--no-install', 'dilemma', '--version'], { cwd: project, env });
  const expected = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version;
  check(version.status === 0 && version.stdout.trim() === expected, 'dilemma --version', version.output.trim());
  const demo = run('npx', ['--no-install', 'dilemma', 'demo', '--seeds', '1', '--iterations', '20'], { cwd: project, env });
  check(demo.status === 0 && /advantage-alignment|Advantage Alignment/i.test(demo.stdout) && /naive/i.test(demo.stdout), 'npx dilemma demo prints its comparison', demo.status === 0 ? '' : demo.output.slice(-2000));
} catch (e) {
  if (!['stage', 'pack', 'install'].includes(e.message)) check(false, 'the package test ran', e.stack);
} finally {
  if (staged) rmSync(prebuilds, { recursive: true, force: true });
  rmSync(work, { recursive: true, force: true });
}
process.exitCode = failures === 0 ? 0 : 1;

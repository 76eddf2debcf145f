// The project's test command: builds and runs the C++ tests (ctest), then the
// TypeScript tests (ava), and ends with one line `N passed, N failed`.
// Exits non-zero when anything failed or could not run.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { countCtestCases } from './ctest-cases.mjs';

const root = new URL('..', import.meta.url).pathname;
const cmakeDir = process.env.DILEMMA_CMAKE_BUILD_DIR ?? 'build-cmake';
let passed = 0;
let failed = 0;
let skipped = 0;

function run(cmd, args, { capture = false } = {}) {
  const r = spawnSync(cmd, args, { cwd: root, encoding: 'utf8', stdio: capture ? ['ignore', 'pipe', 'pipe'] : 'inherit', maxBuffer: 256 << 20 });
  if (r.error) throw r.error;
  return r;
}

function section(title) {
  console.log(`\n=== ${title} ===`);
}

// C++ tests of the core (and of the CUDA kernels, which skip without a GPU).
section('C++ tests (ctest)');
const configure = run('node', ['scripts/cmake-build.mjs']);
if (configure.status !== 0) {
  console.log('C++ build failed');
  failed += 1;
} else {
  const ctest = run('ctest', ['--test-dir', cmakeDir, '--output-on-failure', '-V'], { capture: true });
  const out = `${ctest.stdout}${ctest.stderr}`;
  const cases = countCtestCases(out);
  const cppPassed = cases.passed;
  let cppFailed = cases.failed;
  skipped += cases.skipped;
  // A test program that crashed or failed without printing its cases still counts.
  if (ctest.status !== 0 && cppFailed === 0) {
    console.log(out.split('\n').slice(-40).join('\n'));
    cppFailed = 1;
  }
  console.log(`C++: ${cppPassed} passed, ${cppFailed} failed`);
  passed += cppPassed;
  failed += cppFailed;
}

// TypeScript tests.
section('TypeScript tests (ava)');
if (!existsSync(`${root}build/Release/dilemma.node`)) {
  console.log('the addon is not built: run `npm install` first');
  failed += 1;
} else {
  const ava = run('npx', ['ava', '--tap'], { capture: true });
  const out = `${ava.stdout}${ava.stderr}`;
  let tsPassed = 0;
  let tsFailed = 0;
  const lines = out.split('\n');
  for (const [k, line] of lines.entries()) {
    if (/^ok \d+ .*# SKIP/.test(line)) {
      skipped++;
      console.log(`skipped - ${line}`);
    } else if (/^ok \d+ /.test(line)) tsPassed++;
    else if (/^not ok \d+ /.test(line)) {
      tsFailed++;
      console.log(lines.slice(k, k + 25).join('\n'));
    }
  }
  if (ava.status !== 0 && tsFailed === 0) {
    console.log(out.split('\n').slice(-60).join('\n'));
    tsFailed = 1;
  }
  console.log(`TypeScript: ${tsPassed} passed, ${tsFailed} failed`);
  passed += tsPassed;
  failed += tsFailed;
}

// A script that reports `ok - …` / `not ok - …` lines (TAP style): its
// counts join the totals; a failing exit without a `not ok` line counts once.
function tapScript(label, script) {
  const r = run('node', [script], { capture: true });
  const out = `${r.stdout}${r.stderr}`;
  console.log(out.trimEnd());
  const lines = out.split('\n');
  const ok = lines.filter((l) => /^ok - /.test(l)).length;
  let bad = lines.filter((l) => /^not ok - /.test(l)).length;
  if (r.status !== 0 && bad === 0) bad = 1;
  console.log(`${label}: ${ok} passed, ${bad} failed`);
  passed += ok;
  failed += bad;
}

// The API reference: TypeDoc's validation (broken links, undocumented exports).
section('API reference (TypeDoc)');
tapScript('API reference', 'scripts/docs-check.mjs');

// The packed package installed into an empty project without compilers.
section('Package (npm pack, install without a compiler, demo)');
if (!existsSync(`${root}build/Release/dilemma.node`) && !existsSync(`${root}prebuilds`)) {
  console.log('not ok - package: nothing to pack (run `npm install` first)');
  failed += 1;
} else {
  tapScript('Package', 'scripts/package-test.mjs');
}

if (skipped > 0) console.log(`${skipped} skipped (not counted)`);
console.log(`${passed} passed, ${failed} failed`);
process.exitCode = failed === 0 ? 0 : 1;

// Builds the core and its C++ tests with AddressSanitizer and
// UndefinedBehaviorSanitizer (CMake option DILEMMA_SANITIZE, CUDA off) in
// build-sanitize/, runs them with ctest, and makes any sanitizer report a
// failure: errors halt the program (halt_on_error, no recovery), leaks are
// checked at exit (detect_leaks). Prints one `ok - ` / `not ok - ` line per
// case and ends with `N passed, N failed`; exits non-zero on any failure.
//
// Environment: DILEMMA_SANITIZE_BUILD_DIR (default build-sanitize).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { countCtestCases } from './ctest-cases.mjs';

const root = new URL('..', import.meta.url).pathname;
const dir = process.env.DILEMMA_SANITIZE_BUILD_DIR ?? 'build-sanitize';
const started = Date.now();

function run(cmd, args, options = {}) {
  const r = spawnSync(cmd, args, { cwd: root, encoding: 'utf8', maxBuffer: 256 << 20, ...options });
  if (r.error) throw r.error;
  return r;
}

function finish(passed, failed) {
  console.log(`sanitizers: ${passed} passed, ${failed} failed (${Math.round((Date.now() - started) / 1000)} s)`);
  console.log(`${passed} passed, ${failed} failed`);
  process.exitCode = failed === 0 ? 0 : 1;
}

const configure = [
  '-S', '.', '-B', dir,
  '-DDILEMMA_SANITIZE=ON', '-DDILEMMA_CUDA=OFF', '-DCMAKE_BUILD_TYPE=RelWithDebInfo',
];
for (const [what, args] of [
  ['configure', configure],
  ['build', ['--build', dir, '-j', String(Math.max(1, availableParallelism()))]],
]) {
  const r = run('cmake', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  if (r.status !== 0) {
    console.log(`${r.stdout}${r.stderr}`.split('\n').slice(-40).join('\n'));
    console.log(`not ok - sanitizer ${what} failed`);
    finish(0, 1);
    process.exit();
  }
}

// ONNX Runtime is a prebuilt library the tests open with dlopen; leaks it
// keeps in its own globals are not the engine's (suppressed by library name).
const suppressions = `${root}${dir}/lsan.supp`;
run('sh', ['-c', `printf 'leak:libonnxruntime\\n' > '${suppressions}'`]);
const env = {
  ...process.env,
  ASAN_OPTIONS: 'halt_on_error=1:abort_on_error=0:detect_leaks=1:detect_stack_use_after_return=1:strict_init_order=1:check_initialization_order=1',
  UBSAN_OPTIONS: 'halt_on_error=1:print_stacktrace=1',
  LSAN_OPTIONS: `suppressions=${suppressions}:print_suppressions=0`,
};
if (!existsSync(`${root}${dir}/CTestTestfile.cmake`)) {
  console.log('not ok - no tests were configured');
  finish(0, 1);
  process.exit();
}
const ctest = run('ctest', ['--test-dir', dir, '-V', '--output-on-failure', '--timeout', '600'], { env });
const out = `${ctest.stdout}${ctest.stderr}`;
const cases = countCtestCases(out);
const passed = cases.passed;
let failed = cases.failed;
const skipped = cases.skipped;
// A sanitizer report ends its program (halt_on_error) and may leave no
// `not ok` line: each report, and each failing program, counts.
const reports = out.split('\n').filter((l) => /ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:|SUMMARY: (Address|Leak|UndefinedBehavior)Sanitizer/.test(l));
if (reports.length > 0) {
  console.log(out.split('\n').slice(-80).join('\n'));
  for (const r of reports.filter((l) => l.includes('SUMMARY') || l.includes('runtime error'))) console.log(`not ok - ${r.replace(/^\d+: /, '')}`);
  failed += Math.max(1, reports.filter((l) => l.includes('SUMMARY')).length);
} else if (ctest.status !== 0 && failed === 0) {
  console.log(out.split('\n').slice(-60).join('\n'));
  console.log('not ok - a sanitized test program failed without reporting a case');
  failed = 1;
}
if (skipped > 0) console.log(`${skipped} skipped (not counted)`);
finish(passed, failed);

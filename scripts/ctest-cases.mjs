// Counts the cases that the C++ test programs report in `ctest -V` output
// (`N: ok - name`, `N: ok - name # SKIP why`, `N: not ok - name`) and echoes
// the skipped and failed ones; shared by the test runner and the sanitizer run.
export function countCtestCases(out) {
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  for (const line of out.split('\n')) {
    const m = /^\d+: (ok|not ok) - (.*)$/.exec(line);
    if (!m) continue;
    if (m[1] === 'ok' && / # SKIP /.test(m[2])) {
      skipped++;
      console.log(`skipped - ${m[2]}`);
    } else if (m[1] === 'ok') {
      passed++;
    } else {
      failed++;
      console.log(`not ok - ${m[2]}`);
    }
  }
  return { passed, failed, skipped };
}

/**
 * Worker threads terminated while they call the addon in a loop: the call
 * that finds its environment stopping cannot throw into JavaScript, and must
 * return rather than let a C++ exception reach N-API (which aborts the
 * process). Run in a child process, so that an abort fails this test.
 */
import test from 'ava';
import { fileURLToPath } from 'node:url';
import { runChild } from './helpers/child.js';

const root = fileURLToPath(new URL('..', import.meta.url));

test('terminating workers mid-loop never aborts the process', async (t) => {
  const run = await runChild(process.execPath, ['test/terminate-child.mjs', '12'], { cwd: root, timeoutMs: 60_000 });
  if (run.code !== 0 || run.signal !== null) t.log(run.output.slice(-4000));
  t.is(run.signal, null);
  t.is(run.code, 0);
  t.true(run.output.includes('TERMINATED 12'));
});

/**
 * Fuzzes the raw native binding in a child process (test/fuzz-child.ts), so
 * that a crash, an abort or a hang of the addon fails this test instead of
 * taking the test runner down. The child reports every call that threw
 * something other than an Error with an `ERR_` code.
 */
import test from 'ava';
import { fileURLToPath } from 'node:url';
import { runChild, type ChildRun } from './helpers/child.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const TIMEOUT_MS = 110_000;

interface FuzzReport {
  seed: number;
  calls: number;
  seconds: number;
  onnx: boolean;
  outcomes: Record<string, number>;
  targets: Record<string, number>;
  succeeded: Record<string, number>;
  hostile: Record<string, number>;
  violations: string[];
  violationCount: number;
}

function runFuzzChild(env: Record<string, string>): Promise<ChildRun> {
  return runChild(process.execPath, ['--import', 'tsx', 'test/fuzz-child.ts'], {
    cwd: root,
    env: { ...process.env, ...env },
    timeoutMs: TIMEOUT_MS,
  });
}

// Every function and method of the raw binding must have been called.
const REQUIRED = [
  'new Game', 'Game.info', 'Game.dispose',
  'new Env', 'Env.reset', 'Env.observe', 'Env.step', 'Env.clone', 'Env.returns', 'Env.stepsTaken', 'Env.dones', 'Env.dispose',
  'strategy', 'rollout', 'engineInfo', 'setThreads', 'cudaLoad', 'ortLoad', 'ortStatus', 'onnxInspect', 'onnxPolicy',
  'new Trainer', 'Trainer.iterate', 'Trainer.state', 'Trainer.restore', 'Trainer.policy', 'Trainer.info', 'Trainer.dispose',
  'Trainer.fitActions', 'modelPolicy', 'new Policy', 'Policy.name', 'Policy.dispose',
  'credit.discountedReturns', 'credit.gae', 'credit.leaveOneOut', 'credit.advantageAlignment', 'credit.sumOfRewards', 'credit.whiten',
  'loss.policyGradient', 'loss.logSoftmax',
  'new RolloutPlan', 'RolloutPlan.run', 'RolloutPlan.runSync', 'RolloutPlan.runsInline', 'RolloutPlan.dispose',
  'RolloutPlan.run while running', 'RolloutPlan.run after dispose',
  'Game without new', 'Env without new', 'Trainer without new', 'Policy without new', 'RolloutPlan without new',
  'Trainer.iterate while iterating', 'Game.dispose during rollout', 'Policy.dispose during rollout', 'Env.step during rollout',
];

test('the raw binding answers ≥ 10,000 random wrong calls with coded errors and never crashes', async (t) => {
  t.timeout(TIMEOUT_MS + 10_000);
  const { code, signal, output, timedOut } = await runFuzzChild({ FUZZ_SEED: '20261122', FUZZ_CALLS: '20000' });
  const line = output.split('\n').find((l) => l.startsWith('FUZZ '));
  const report = line ? (JSON.parse(line.slice(5)) as FuzzReport) : undefined;
  if (report) {
    t.log(`${report.calls} calls in ${report.seconds} s (seed ${report.seed}, ONNX ${report.onnx ? 'on' : 'off'})`);
    t.log(`outcomes: ${Object.entries(report.outcomes).map(([k, n]) => `${k} ${n}`).join(', ')}`);
    t.log(`hostile classes: ${Object.entries(report.hostile).map(([k, n]) => `${k} ${n}`).join(', ')}`);
  }
  const failed = timedOut || signal !== null || code !== 0 || !report;
  if (failed) {
    t.log(output.slice(-8000));
    t.fail(timedOut ? `the fuzzer did not finish in ${TIMEOUT_MS / 1000} s` : signal ? `the fuzzer was killed by ${signal}` : `the fuzzer exited with ${code}`);
    return;
  }
  t.deepEqual(report.violations, [], `${report.violationCount} calls threw an uncoded error or hung`);
  t.true(report.calls >= 10_000, `${report.calls} calls`);
  t.is(report.outcomes.UNCODED ?? 0, 0);
  const missing = REQUIRED.filter((name) => !(report.targets[name] > 0));
  if (!report.onnx) missing.splice(0, missing.length, ...missing.filter((m) => m !== 'onnxPolicy' && m !== 'onnxInspect'));
  t.deepEqual(missing, [], 'every function and method was called');
  // Valid calls are mixed in: the main entry points also succeeded.
  for (const name of ['rollout', 'new Env', 'Env.step', 'Trainer.iterate', 'loss.policyGradient', 'credit.advantageAlignment', 'modelPolicy']) {
    t.true((report.succeeded[name] ?? 0) > 0, `${name} never succeeded`);
  }
  // Every hostile class was exercised (fuzz-hostile.ts), with no crash and no uncoded error.
  for (const cls of ['shared-memory', 'getter', 'proxy', 'worker-termination', 'crafted-size']) {
    t.true((report.hostile[cls] ?? 0) > 0, `hostile class ${cls} made no calls`);
  }
  t.true((report.outcomes.ERR_TOO_LARGE ?? 0) > 0 && (report.outcomes.ERR_DISPOSED ?? 0) > 0 && (report.outcomes.ERR_BUSY ?? 0) > 0);
});

/**
 * Callers that attack the binding from outside its checks: shared memory
 * changed by another thread during a call, getters that detach arrays the
 * native side already looked at, Proxies where arrays are expected, and
 * worker threads terminated while native jobs run. Each case runs in its own
 * process (test/hostile-child.ts): a crash or an abort there fails the case.
 */
import test, { type ExecutionContext } from 'ava';
import { fileURLToPath } from 'node:url';
import { runChild, taggedLine, type ChildRun } from './helpers/child.js';

const root = fileURLToPath(new URL('..', import.meta.url));

interface Outcome extends ChildRun {
  report?: Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
}

async function runCase(name: string): Promise<Outcome> {
  const r = await runChild(process.execPath, ['--import', 'tsx', 'test/hostile-child.ts', name], { cwd: root, timeoutMs: 50_000 });
  return { ...r, report: taggedLine(r.output, 'HOSTILE') as Outcome['report'] };
}

/** Runs a case; it must exit cleanly and report. Its report, for the case's own checks. */
async function reportOf(t: ExecutionContext, name: string): Promise<Record<string, any>> { // eslint-disable-line @typescript-eslint/no-explicit-any
  t.timeout(60_000);
  const r = await runCase(name);
  t.is(r.signal, null, `killed by ${r.signal}: ${r.output.slice(-2000)}`);
  t.is(r.code, 0, r.output.slice(-2000));
  t.truthy(r.report, r.output.slice(-2000));
  return r.report ?? {};
}

test('Env.step with actions another thread flips on a SharedArrayBuffer: each step uses the actions it checked', async (t) => {
  const report = await reportOf(t, 'sab-step');
  const outcomes = report.outcomes as Record<string, number>;
  t.log(outcomes);
  // Every call either stepped with all-cooperate (reward 3 to agent 0 of IPD)
  // or refused the flipped value with a coded error.
  t.deepEqual(Object.keys(outcomes).filter((k) => k !== 'ok' && k !== 'ERR_INVALID_ARGUMENT'), []);
  t.true(outcomes.ok > 0);
  t.deepEqual(report.rewards, [3]);
});

test('loss.policyGradient with actions flipped by another thread: coded errors or the loss of the checked actions', async (t) => {
  const report = await reportOf(t, 'sab-loss');
  const outcomes = report.outcomes as Record<string, number>;
  t.log(outcomes);
  t.deepEqual(Object.keys(outcomes).filter((k) => k !== 'ok' && k !== 'ERR_INVALID_ARGUMENT'), []);
  // Uniform logits (all zero) over 4 actions: the loss of any valid actions is ln 4.
  for (const loss of report.losses as number[]) t.true(Math.abs(loss - Math.log(4)) < 1e-6, `loss ${loss}`);
});

test('getters that detach or shrink arrays read before them: coded errors, never a use of freed memory', async (t) => {
  const report = await reportOf(t, 'getters');
  const results = report.results as Record<string, string>;
  t.log(results);
  // Every member is read before any array's memory: the detached array is seen as such.
  t.is(results.policyGradient, 'ERR_INVALID_ARGUMENT');
  t.is(results.rolloutOut, 'ERR_INVALID_ARGUMENT');
  t.is(results.envStreams, 'ERR_INVALID_ARGUMENT'); // a resizable buffer, refused whatever its size
  t.is(results.envStreamsShrunk, 'ERR_INVALID_ARGUMENT');
  t.is(results.paramsGrowing, 'ERR_INVALID_PARAM');
  t.is(results.rolloutPlain, 'ok');
});

test('Proxies around typed arrays, arrays and options: coded errors from the binding and the API', async (t) => {
  const report = await reportOf(t, 'proxies');
  const results = report.results as Record<string, string>;
  t.log(results);
  for (const [name, outcome] of Object.entries(results)) {
    if (name === 'rollout(options Proxy)') t.is(outcome, 'ok', name); // a Proxy of a plain object is an object
    else t.regex(outcome, /^ERR_/, name);
  }
  t.true(Object.keys(results).filter((k) => k.startsWith('api ')).length >= 5);
});

test('terminating a worker thread while it awaits a rollout, a training step, an ONNX rollout or a tournament leaves the process running', async (t) => {
  const report = await reportOf(t, 'terminate');
  t.log(report.started);
  for (const kind of ['rollout', 'tournament', 'train']) t.is(report.started[kind], 3, kind);
  // The parent's binding still answers afterwards: 4 environments × 10 rounds × 2 agents.
  t.is(report.after, 80);
});

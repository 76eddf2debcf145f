/**
 * Callers that attack the binding from outside its checks: shared memory
 * changed by another thread during a call, getters that detach arrays the
 * native side already looked at, Proxies where arrays are expected, and
 * worker threads terminated while native jobs run. Each case runs in its own
 * process (test/hostile-child.ts): a crash or an abort there fails the case.
 */
import test from 'ava';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

interface Outcome {
  code: number | null;
  signal: NodeJS.Signals | null;
  output: string;
  report?: Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
}

function runCase(name: string): Promise<Outcome> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/hostile-child.ts', name], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 50_000);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const line = output.split('\n').find((l) => l.startsWith('HOSTILE '));
      resolve({ code, signal, output, report: line ? JSON.parse(line.slice(8)) : undefined });
    });
  });
}

function survived(t: { is: (a: unknown, b: unknown, m?: string) => void; truthy: (a: unknown, m?: string) => void }, r: Outcome): void {
  t.is(r.signal, null, `killed by ${r.signal}: ${r.output.slice(-2000)}`);
  t.is(r.code, 0, r.output.slice(-2000));
  t.truthy(r.report, r.output.slice(-2000));
}

test('Env.step with actions another thread flips on a SharedArrayBuffer: each step uses the actions it checked', async (t) => {
  t.timeout(60_000);
  const r = await runCase('sab-step');
  survived(t, r);
  const outcomes = r.report!.outcomes as Record<string, number>;
  t.log(outcomes);
  // Every call either stepped with all-cooperate (reward 3 to agent 0 of IPD)
  // or refused the flipped value with a coded error.
  t.deepEqual(Object.keys(outcomes).filter((k) => k !== 'ok' && k !== 'ERR_INVALID_ARGUMENT'), []);
  t.true(outcomes.ok > 0);
  t.deepEqual(r.report!.rewards, [3]);
});

test('loss.policyGradient with actions flipped by another thread: coded errors or the loss of the checked actions', async (t) => {
  t.timeout(60_000);
  const r = await runCase('sab-loss');
  survived(t, r);
  const outcomes = r.report!.outcomes as Record<string, number>;
  t.log(outcomes);
  t.deepEqual(Object.keys(outcomes).filter((k) => k !== 'ok' && k !== 'ERR_INVALID_ARGUMENT'), []);
  // Uniform logits (all zero) over 4 actions: the loss of any valid actions is ln 4.
  for (const loss of r.report!.losses as number[]) t.true(Math.abs(loss - Math.log(4)) < 1e-6, `loss ${loss}`);
});

test('getters that detach or shrink arrays read before them: coded errors, never a use of freed memory', async (t) => {
  t.timeout(60_000);
  const r = await runCase('getters');
  survived(t, r);
  const results = r.report!.results as Record<string, string>;
  t.log(results);
  // Every member is read before any array's memory: the detached array is seen as such.
  t.is(results.policyGradient, 'ERR_INVALID_ARGUMENT');
  t.is(results.rolloutOut, 'ERR_INVALID_ARGUMENT');
  t.is(results.envStreams, 'ok');
  t.is(results.envStreamsShrunk, 'ERR_INVALID_ARGUMENT');
  t.is(results.paramsGrowing, 'ERR_INVALID_PARAM');
  t.is(results.rolloutPlain, 'ok');
});

test('Proxies around typed arrays, arrays and options: coded errors from the binding and the API', async (t) => {
  t.timeout(60_000);
  const r = await runCase('proxies');
  survived(t, r);
  const results = r.report!.results as Record<string, string>;
  t.log(results);
  for (const [name, outcome] of Object.entries(results)) {
    if (name === 'rollout(options Proxy)') t.is(outcome, 'ok', name); // a Proxy of a plain object is an object
    else t.regex(outcome, /^ERR_/, name);
  }
  t.true(Object.keys(results).filter((k) => k.startsWith('api ')).length >= 5);
});

test('terminating a worker thread while it awaits a rollout, a training step, an ONNX rollout or a tournament leaves the process running', async (t) => {
  t.timeout(60_000);
  const r = await runCase('terminate');
  survived(t, r);
  t.log(r.report!.started);
  for (const kind of ['rollout', 'tournament', 'train']) t.is(r.report!.started[kind], 3, kind);
  // The parent's binding still answers afterwards: 4 environments × 10 rounds × 2 agents.
  t.is(r.report!.after, 80);
});

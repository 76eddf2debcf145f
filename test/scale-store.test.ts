/**
 * The pieces of queued sweeps that need no Redis: queue addresses, run keys
 * and the directory run store (atomic pairs that never move a run back).
 */
import test from 'ava';
import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { train } from '../src/train.js';
import { isPermanentFailure, registerJobProcessor, jobKinds } from '../src/scale/jobs.js';
import { parseQueueUrl } from '../src/scale/queue-url.js';
import { checkRunKey, DirectoryRunStore } from '../src/scale/run-store.js';
import { experimentName } from '../src/scale/sweep.js';
import { DilemmaError } from '../src/errors.js';

test('queue addresses: host, port, database, credentials; bad ones name --queue', (t) => {
  t.like(parseQueueUrl('redis://10.0.0.5:6380/3'), { host: '10.0.0.5', port: 6380, db: 3, tls: false, display: 'redis://10.0.0.5:6380/3' });
  t.like(parseQueueUrl('redis://queue.local'), { host: 'queue.local', port: 6379, db: 0 });
  t.like(parseQueueUrl('rediss://user:p%40ss@h:7000/'), { host: 'h', port: 7000, db: 0, username: 'user', password: 'p@ss', tls: true, display: 'rediss://user:***@h:7000/0' });
  t.like(parseQueueUrl('redis://[::1]:6379'), { host: '::1', port: 6379, display: 'redis://[::1]:6379/0' });
  const bad: Array<[unknown, RegExp]> = [
    [undefined, /the queue address is missing/],
    ['', /missing/],
    ['127.0.0.1:6379', /not a Redis scheme|not an address/],
    ['http://h:1', /'http' is not a Redis scheme/],
    ['redis://h:99999', /port 99999 is outside 1\.\.65535/],
    ['redis://h:0', /port 0 is outside/],
    ['redis://h:1/x', /database 'x'/],
    ['redis://h:1/-1', /database '-1'/],
    ['redis://h:1/0?x=1', /query strings/],
    ['redis://:6379', /names no host|not an address/],
  ];
  for (const [text, message] of bad) {
    const e = t.throws(() => parseQueueUrl(text), { code: 'ERR_INVALID_ARGUMENT' }, String(text));
    t.regex(e!.message, /^--queue: /);
    t.regex(e!.message, message, String(text));
  }
});

test('run keys stay inside the store; experiment names come from the output folder', (t) => {
  t.is(checkRunKey('exp/train.beta=0.5,train.lr=1/naive-seed1'), 'exp/train.beta=0.5,train.lr=1/naive-seed1');
  for (const key of ['', '../x', 'a/../b', '/abs', 'a//b', 'a/./b', 'a b', 'a\\b', 'a:b', 5]) t.throws(() => checkRunKey(key), { code: 'ERR_INVALID_ARGUMENT' }, String(key));
  t.is(experimentName({ output: 'runs/ipd sweep/' }), 'ipd_sweep');
  t.is(experimentName({ output: 'x' }, 'named'), 'named');
  t.throws(() => experimentName({ output: 'x' }, '../up'), { code: 'ERR_INVALID_ARGUMENT', message: /--name/ });
});

test('the directory store writes a checkpoint and its metrics as one pair and never moves a run back', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'dilemma-store-'));
  const scratch = mkdtempSync(join(tmpdir(), 'dilemma-store-scratch-'));
  const files = async (iterations: number) => {
    const checkpointFile = join(scratch, `c${iterations}.json`);
    const metricsFile = join(scratch, `m${iterations}.jsonl`);
    const { trainer } = await train({ game: { id: 'ipd' }, policy: { kind: 'tabular' }, iterations, batch: 16, seed: 1 }, { checkpointFile, metricsFile });
    trainer.dispose();
    return { checkpoint: readFileSync(checkpointFile), metrics: readFileSync(metricsFile) };
  };
  const store = new DirectoryRunStore(dir);
  const key = 'exp/naive-seed1';
  t.is(await store.getRun(key), undefined);
  const two = await files(2);
  const three = await files(3);
  t.true(await store.putRun(key, three, 3));
  t.false(await store.putRun(key, two, 2), 'an older iteration is refused');
  const got = await store.getRun(key);
  t.true(Buffer.from(got!.checkpoint).equals(three.checkpoint));
  t.true(Buffer.from(got!.metrics).equals(three.metrics));
  t.is(readFileSync(join(dir, 'exp', 'naive-seed1', 'metrics.jsonl'), 'utf8').trim().split('\n').length, 3);
  await store.putResult(key, { key, iterations: 3, checkpointSha256: 'x', worker: 'w', finishedAt: 'now' });
  t.false(await store.putRun(key, three, 3), 'a finished run is not written again');
  t.like(await store.getResult(key), { iterations: 3, worker: 'w' });
  t.deepEqual(await store.list(), [key]);
  t.deepEqual(await store.list('exp'), [key]);
  t.deepEqual(readdirSync(join(dir, 'exp', 'naive-seed1')).sort(), ['checkpoint.json', 'metrics.jsonl', 'result.json']);
});

test('the directory store appends a growing metrics log instead of rewriting it, and rewrites one that is not a continuation', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'dilemma-store-'));
  const store = new DirectoryRunStore(dir);
  const key = 'exp/aa-seed1';
  const path = join(dir, 'exp', 'aa-seed1', 'metrics.jsonl');
  const line = (i: number, v = 0) => `{"iteration":${i},"v":${v}}\n`;
  const log = (n: number, v = 0) => Buffer.from(Array.from({ length: n }, (_, i) => line(i, v)).join(''));
  // putRun reads the stored checkpoint's iteration: use real ones.
  const scratch = mkdtempSync(join(tmpdir(), 'dilemma-store-scratch-'));
  const real = async (iterations: number) => {
    const checkpointFile = join(scratch, `c${iterations}.json`);
    const { trainer } = await train({ game: { id: 'ipd' }, policy: { kind: 'tabular' }, iterations, batch: 16, seed: 1 }, { checkpointFile });
    trainer.dispose();
    return readFileSync(checkpointFile);
  };
  const [c1, c2, c3] = [await real(1), await real(2), await real(3)];
  t.true(await store.putRun(key, { checkpoint: c1, metrics: log(1) }, 1));
  const inode = statSync(path).ino;
  t.true(await store.putRun(key, { checkpoint: c2, metrics: log(2) }, 2));
  t.is(statSync(path).ino, inode, 'the same file, appended to');
  t.is(readFileSync(path, 'utf8'), log(2).toString());
  t.true(Buffer.from(readFileSync(join(dir, 'exp', 'aa-seed1', 'checkpoint.json'))).equals(c2));
  // A log that does not continue the stored one is written whole, atomically (a new file).
  t.true(await store.putRun(key, { checkpoint: c3, metrics: log(3, 7) }, 3));
  t.not(statSync(path).ino, inode);
  t.is(readFileSync(path, 'utf8'), log(3, 7).toString());
});

test('job kinds: registered processors are served; config errors are permanent, others are retried', (t) => {
  registerJobProcessor('example-kind', async () => 1);
  t.true(jobKinds().includes('example-kind'));
  t.true(jobKinds().includes('train'));
  t.throws(() => registerJobProcessor('Bad Kind', async () => 1), { code: 'ERR_INVALID_ARGUMENT' });
  t.true(isPermanentFailure(new DilemmaError('ERR_INVALID_PARAM', 'x')));
  t.false(isPermanentFailure(new DilemmaError('ERR_IO', 'disk full')));
  t.false(isPermanentFailure(new Error('connection reset')));
});

/**
 * Queued sweeps on a real redis-server: a 12-run sweep served by two
 * `dilemma worker` processes ends with the checkpoints and metrics of the
 * same runs trained one by one in this process; so it does when one worker
 * is SIGKILLed mid-run (its job stalls, the other worker resumes it from the
 * store) and when Redis restarts mid-sweep (no run lost, none trained to the
 * end twice). A job with a bad config fails once, with its error.
 */
import avaTest from 'ava';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expandExperiment, type ExperimentPlan } from '../src/cli/experiment.js';
import { readMetricsLog } from '../src/metrics-log.js';
import { JOB_OPTIONS, QUEUE_NAME } from '../src/scale/jobs.js';
import { DirectoryRunStore } from '../src/scale/run-store.js';
import { enqueueSweep, openQueue, queueStatus } from '../src/scale/sweep.js';
import { runKey } from '../src/scale/train-job.js';
import { runWorker } from '../src/scale/worker.js';
import { Writable } from 'node:stream';
import { sweepCommand } from '../src/cli/sweep-command.js';
import { trainCommand } from '../src/cli/train-command.js';
import { mulberry32 } from './helpers/random.js';
import { redisServerPath, TestRedis } from './helpers/redis-server.js';

const hasRedis = redisServerPath() !== undefined;
const test = hasRedis ? avaTest.serial : avaTest.skip;
if (!hasRedis) console.error('test/scale-sweep.test.ts: skipped, redis-server is not installed (.ci/run installs it with apt-get where it can)');

const root = fileURLToPath(new URL('..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'dilemma-scale-'));
const EXPERIMENT = {
  algorithms: ['naive', 'advantage-alignment'],
  seeds: 3,
  output: 'sweep',
  checkpointEvery: 10,
  train: { game: { id: 'ipd' }, policy: { kind: 'tabular' }, iterations: 80, batch: 128, bufferProbability: 0.5, bufferSize: 4 },
  evaluate: { opponents: ['always-defect'], batch: 64 },
};
const OVERRIDES = ['train.beta=0.5,1'];
const plan: ExperimentPlan = expandExperiment(EXPERIMENT, OVERRIDES);
const configFile = join(dir, 'experiment.json');
writeFileSync(configFile, JSON.stringify(EXPERIMENT));


// The reference: `dilemma train` on the same file, every run one after the other in this process.
const reference = join(dir, 'reference');
let referenceDone: Promise<void> | undefined;
function trainReference(): Promise<void> {
  referenceDone ??= (async () => {
    const quiet = new Writable({ write: (_chunk, _enc, done) => done() }) as unknown as NodeJS.WriteStream;
    const log = console.log;
    console.log = () => {};
    try {
      if ((await trainCommand(configFile, { output: reference, overrides: OVERRIDES, stream: quiet })) !== 0) throw new Error('the reference run failed');
    } finally {
      console.log = log;
    }
  })();
  return referenceDone;
}

// Trained while the first test waits for its processes.
void trainReference();

const strip = (m: { time?: string; seconds?: number }) => ({ ...m, time: '', seconds: 0 });

/** Every run in the store equals the reference: checkpoint bytes, and metrics but for their times. */
async function checkAgainstReference(t: import('ava').ExecutionContext, storeDir: string, experiment: string): Promise<void> {
  await trainReference();
  const store = new DirectoryRunStore(storeDir);
  for (const run of plan.runs) {
    const key = runKey(experiment, run);
    t.truthy(await store.getResult(key), `${key} has a result`);
    const got = join(storeDir, key);
    const want = join(reference, run.dir);
    t.true(readFileSync(join(got, 'checkpoint.json')).equals(readFileSync(join(want, 'checkpoint.json'))), `${key}: final checkpoint`);
    const metrics = readMetricsLog<{ iteration: number; time?: string; seconds?: number }>(join(got, 'metrics.jsonl'));
    t.deepEqual(metrics.map(strip), readMetricsLog<{ iteration: number; time?: string; seconds?: number }>(join(want, 'metrics.jsonl')).map(strip), `${key}: metrics`);
  }
}

interface Proc {
  child: ChildProcess;
  output: string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** The built `dilemma` command in a child process. */
function dilemma(args: string[], onOutput?: (text: string) => void): Proc {
  const child = spawn(process.execPath, [join(root, 'dist', 'cli', 'main.js'), ...args], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  const proc: Proc = { child, output: '', exited: undefined as never };
  const add = (d: Buffer) => {
    proc.output += d;
    onOutput?.(String(d));
  };
  child.stdout!.on('data', add);
  child.stderr!.on('data', add);
  const limit = setTimeout(() => child.kill('SIGKILL'), 90_000);
  proc.exited = new Promise((resolve) => child.on('close', (code, signal) => (clearTimeout(limit), resolve({ code, signal }))));
  return proc;
}

const worker = (url: string, store: string, stalledMs: number, onOutput?: (text: string) => void) =>
  dilemma(['worker', '--queue', url, '--store', store, '--stalled-ms', String(stalledMs), '--exit-when-idle'], onOutput);

/** Lines `<job>: finished` across worker logs, by job: how often each run was trained to its end. */
function finishedCounts(...outputs: string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const o of outputs) for (const m of o.matchAll(/(?:^| )(\S+): finished \(/gm)) counts.set(m[1], (counts.get(m[1]) ?? 0) + 1);
  return counts;
}

test('a 12-run sweep on two worker processes gives the results of the runs trained one by one', async (t) => {
  const redis = await TestRedis.start();
  t.teardown(() => redis.stop());
  const store = join(dir, 'store-plain');
  const sweep = dilemma(['sweep', configFile, ...OVERRIDES, '--queue', redis.url, '--name', 'plain']);
  const s = await sweep.exited;
  t.is(s.code, 0, sweep.output);
  t.regex(sweep.output, /12 runs of experiment 'plain' .* 12 enqueued, 0 already in the queue/s);
  // Enqueuing again adds nothing: job id = run id.
  {
    const { queue } = await openQueue(redis.url);
    const again = await enqueueSweep(queue, plan, 'plain');
    await queue.close();
    t.deepEqual([again.added.length, again.existing.length], [0, 12]);
  }
  const [a, b] = [worker(redis.url, store, 5000), worker(redis.url, store, 5000)];
  // A snapshot while they work: every run is listed, in whatever state it is.
  const status = dilemma(['sweep', configFile, ...OVERRIDES, '--queue', redis.url, '--name', 'plain', '--status']);
  const [ra, rb] = await Promise.all([a.exited, b.exited]);
  t.is(ra.code, 0, a.output);
  t.is(rb.code, 0, b.output);
  const counts = finishedCounts(a.output, b.output);
  t.is(counts.size, 12);
  t.true([...counts.values()].every((n) => n === 1));
  t.log(`worker a finished ${finishedCounts(a.output).size} runs, worker b ${finishedCounts(b.output).size}`);
  await checkAgainstReference(t, store, 'plain');
  t.is((await status.exited).code, 0, status.output);
  t.regex(status.output, /^plain\/train\.beta=1\/advantage-alignment-seed3 +(waiting|active|completed) /m);
  t.regex(status.output, /^12 jobs: /m);
  const rows = await (async () => {
    const { queue } = await openQueue(redis.url);
    try {
      return await queueStatus(queue);
    } finally {
      await queue.close();
    }
  })();
  t.deepEqual(rows.map((r) => [r.state, r.progress, r.attempts]), plan.runs.map(() => ['completed', { iteration: 80, total: 80 }, 1]));
  // Collected into the summary `dilemma train` writes for the same experiment.
  const log = console.log;
  console.log = () => {};
  try {
    t.is(await sweepCommand(configFile, { collect: true, store, name: 'plain', overrides: OVERRIDES }), 0);
  } finally {
    console.log = log;
  }
  t.is(readFileSync(join(store, 'plain', 'summary.csv'), 'utf8'), readFileSync(join(reference, 'summary.csv'), 'utf8'));
  t.true(existsSync(join(store, 'plain', 'report.html')));
});

test('a worker SIGKILLed at a random moment mid-run: the other resumes its job from the store, bit-identically', async (t) => {
  const redis = await TestRedis.start();
  t.teardown(() => redis.stop());
  const store = join(dir, 'store-kill');
  const { queue } = await openQueue(redis.url);
  t.teardown(() => queue.close());
  await enqueueSweep(queue, plan, 'kill');
  const random = mulberry32(0x5ca1e);
  const killAfter = 2 + Math.floor(random() * 12); // checkpoints seen
  const delay = Math.floor(random() * 40);
  let seen = 0;
  let killedIn = '';
  const victim: Proc = worker(redis.url, store, 1500, (text) => {
    for (const m of text.matchAll(/ (\S+): iteration \d+\/\d+ checkpointed/g)) {
      if (++seen === killAfter) {
        killedIn = m[1];
        setTimeout(() => victim.child.kill('SIGKILL'), delay);
      }
    }
  });
  const survivor = worker(redis.url, store, 1500);
  const [rv, rs] = await Promise.all([victim.exited, survivor.exited]);
  t.is(rv.signal, 'SIGKILL', `the victim was to be killed after ${killAfter} checkpoints\n${victim.output}`);
  t.is(rs.code, 0, survivor.output);
  t.log(`killed ${delay} ms after checkpoint ${killAfter} (in ${killedIn}); the survivor: ${[...survivor.output.matchAll(/: resuming at iteration \d+/g)].length} resumed run(s)`);
  t.regex(survivor.output, /: resuming at iteration \d+ of 80 \(attempt 2\)/);
  const rows = await queueStatus(queue);
  t.is(rows.length, 12);
  t.true(rows.every((r) => r.state === 'completed'), JSON.stringify(rows));
  await checkAgainstReference(t, store, 'kill');
});

test('a job with a bad config fails once, with its error, and is not retried', async (t) => {
  const redis = await TestRedis.start();
  t.teardown(() => redis.stop());
  const { queue } = await openQueue(redis.url);
  t.teardown(() => queue.close());
  const run = plan.runs[0];
  const bad = { experiment: 'bad', run: { ...run, train: { ...run.train, batch: -4 } } };
  await queue.add('train', bad, { ...JOB_OPTIONS, jobId: 'bad/run' });
  await queue.add('no-such-kind', {}, { ...JOB_OPTIONS, jobId: 'bad/kind' });
  // A finished run of the first test, asked for again with another config.
  const other = { experiment: 'plain', run: { ...run, train: { ...run.train, batch: 64 } } };
  await queue.add('train', other, { ...JOB_OPTIONS, jobId: 'bad/other-config' });
  const lines: string[] = [];
  const handle = await runWorker({ queue: redis.url, store: new DirectoryRunStore(join(dir, 'store-plain')), stalledMs: 2000, exitWhenIdle: true, log: (l) => lines.push(l) });
  await handle.done;
  for (const [id, pattern] of [
    ['bad/run', /^\[ERR_INVALID_PARAM\] run [^:]+: train\.batch/],
    ['bad/kind', /^\[ERR_INVALID_PARAM\] job kind 'no-such-kind' is not served/],
    ['bad/other-config', /^\[ERR_INVALID_CHECKPOINT\] run [^:]+: the store holds this run trained with another config/],
  ] as const) {
    const job = await queue.getJob(id);
    t.is(await job!.getState(), 'failed', id);
    t.is(job!.attemptsMade, 1, id);
    t.regex(job!.failedReason, pattern, id);
  }
  t.is(handle.counts.failed, 3, lines.join('\n'));
  t.false(existsSync(join(dir, 'store-plain', 'bad')));
  // Collecting an experiment whose runs are not all finished names them and fails.
  const quiet = new Writable({ write: (_chunk, _enc, done) => done() }) as unknown as NodeJS.WriteStream;
  t.is(await sweepCommand(configFile, { collect: true, store: join(dir, 'store-bad'), name: 'bad', overrides: OVERRIDES, stream: quiet }), 1);
  t.is(QUEUE_NAME, 'dilemma');
});

test('Redis restarted mid-sweep: the workers reconnect, no run is lost or trained to its end twice', async (t) => {
  const redis = await TestRedis.start({ persistent: true });
  t.teardown(() => redis.stop());
  const store = join(dir, 'store-restart');
  {
    const { queue } = await openQueue(redis.url);
    await enqueueSweep(queue, plan, 'restart');
    await queue.close();
  }
  const random = mulberry32(0x7ed15);
  const restartAfter = 3 + Math.floor(random() * 10);
  let seen = 0;
  let restarted: Promise<void> | undefined;
  const onOutput = (text: string) => {
    for (const _ of text.matchAll(/: iteration \d+\/\d+ checkpointed/g)) {
      if (++seen === restartAfter) {
        restarted = (async () => {
          await redis.stop();
          await new Promise((r) => setTimeout(r, 1000));
          await redis.restart();
        })();
      }
    }
  };
  // Two workers in this process (the kill test runs them as processes).
  const logs = ['', ''];
  const handles = await Promise.all(
    logs.map((_, i) =>
      runWorker({
        queue: redis.url,
        store: new DirectoryRunStore(store),
        stalledMs: 3000,
        exitWhenIdle: true,
        log: (line) => {
          logs[i] += `${line}\n`;
          onOutput(line);
        },
      }),
    ),
  );
  await Promise.all(handles.map((h) => h.done));
  const a = { output: logs[0] };
  const b = { output: logs[1] };
  t.truthy(restarted, 'Redis was restarted');
  await restarted;
  const counts = finishedCounts(a.output, b.output);
  t.is(counts.size, 12, `${a.output}\n${b.output}`);
  t.true([...counts.values()].every((n) => n === 1), JSON.stringify([...counts]));
  t.log(`Redis restarted after checkpoint ${restartAfter}; ${[...(a.output + b.output).matchAll(/already finished/g)].length} job(s) found their run already finished`);
  await checkAgainstReference(t, store, 'restart');
});

/**
 * A full disk at every write position of a training run and of a resume:
 * each failure is a coded error, leaves no temporary file, and the run then
 * resumes to exactly the parameters and metrics of an uninterrupted run.
 * Failures are injected through the file layer's seam (src/fs-safe.ts), one
 * call at a time, the failing write first writing half of its bytes.
 */
import test from 'ava';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDilemmaError } from '../src/errors.js';
import { fsCalls } from '../src/fs-safe.js';
import { readMetricsLog } from '../src/metrics-log.js';
import { train, type TrainConfig } from '../src/index.js';

const root = mkdtempSync(join(tmpdir(), 'dilemma-disk-'));
const CONFIG: TrainConfig = { game: { id: 'ipd' }, policy: { kind: 'tabular' }, iterations: 4, batch: 32, seed: 11, lrSchedule: 'linear', bufferSize: 2, bufferProbability: 0.5 };
const WRITES = ['openSync', 'writeSync', 'fsyncSync', 'closeSync', 'renameSync', 'ftruncateSync', 'mkdirSync'] as const;
type Write = (typeof WRITES)[number];

interface Injection {
  /** Calls so far (of the calls in WRITES). */
  count: number;
  /** The call that fails, or -1. */
  failAt: number;
  failed?: Write;
}

/** Wraps the write calls: counts them and fails the failAt-th one like a full disk. */
function inject(state: Injection): () => void {
  const saved = { ...fsCalls };
  for (const name of WRITES) {
    const real = saved[name] as (...args: unknown[]) => unknown;
    (fsCalls as Record<string, unknown>)[name] = (...args: unknown[]) => {
      if (state.count++ !== state.failAt) return real(...args);
      state.failed = name;
      if (name === 'writeSync') {
        const [fd, buf, off, len] = args as [number, Uint8Array, number, number];
        (saved.writeSync as (...a: unknown[]) => number)(fd, buf, off, Math.floor(len / 2));
      }
      const syscall = name.replace('Sync', '');
      throw Object.assign(new Error(`ENOSPC: no space left on device, ${syscall}`), { code: 'ENOSPC', errno: -28, syscall });
    };
  }
  return () => Object.assign(fsCalls, saved);
}

const files = (dir: string) => ({ checkpointFile: join(dir, 'checkpoint.json'), metricsFile: join(dir, 'metrics.jsonl'), checkpointEvery: 1 });

/** Continues a run as `dilemma train --resume` does: from the checkpoint, or afresh with an emptied log when there is none. */
async function finish(dir: string) {
  const f = files(dir);
  if (!existsSync(f.checkpointFile)) writeFileSync(f.metricsFile, '');
  const r = await train(existsSync(f.checkpointFile) ? {} : CONFIG, existsSync(f.checkpointFile) ? { ...f, resume: f.checkpointFile } : f);
  const params = r.trainer.params();
  r.trainer.dispose();
  return params;
}

const strip = (m: object) => ({ ...m, seconds: 0, time: '' });

test.serial('a full disk at any write of a run or of its resume leaves a run that resumes to the uninterrupted result', async (t) => {
  t.timeout(300_000);
  // The uninterrupted run, counting its writes.
  const cleanDir = join(root, 'clean');
  mkdirSync(cleanDir);
  const counting: Injection = { count: 0, failAt: -1 };
  let restore = inject(counting);
  let clean;
  try {
    clean = await train(CONFIG, files(cleanDir));
  } finally {
    restore();
  }
  const expectedParams = clean.trainer.params();
  clean.trainer.dispose();
  const expectedLog = readMetricsLog<{ iteration: number }>(files(cleanDir).metricsFile).map(strip);
  t.is(expectedLog.length, 4);
  const runWrites = counting.count;

  // The resume of a run stopped after 2 iterations with a stale and a torn line in its log, counting its writes.
  const stoppedRun = async (dir: string) => {
    mkdirSync(dir);
    const r = await train(CONFIG, { ...files(dir), onIteration: (m) => m.iteration < 1 });
    r.trainer.dispose();
    writeFileSync(files(dir).metricsFile, `${JSON.stringify({ iteration: 2, meanReturn: [0, 0] })}\n{"iteration":3,"me`, { flag: 'a' });
  };
  const resumeCount: Injection = { count: 0, failAt: -1 };
  await stoppedRun(join(root, 'resume-count'));
  restore = inject(resumeCount);
  try {
    (await train({}, { ...files(join(root, 'resume-count')), resume: files(join(root, 'resume-count')).checkpointFile })).trainer.dispose();
  } finally {
    restore();
  }
  const resumeWrites = resumeCount.count;
  t.log(`writes: ${runWrites} in a 4-iteration run, ${resumeWrites} in a 2-iteration resume`);
  t.true(runWrites >= 4 * 6 && resumeWrites >= 2 * 6);

  const outcomes: Record<string, number> = {};
  for (const phase of ['run', 'resume'] as const) {
    const total = phase === 'run' ? runWrites : resumeWrites;
    for (let at = 0; at < total; at++) {
      const dir = join(root, `${phase}-${at}`);
      if (phase === 'resume') await stoppedRun(dir);
      else mkdirSync(dir);
      const state: Injection = { count: 0, failAt: at };
      restore = inject(state);
      let error: unknown;
      try {
        const r = await (phase === 'run' ? train(CONFIG, files(dir)) : train({}, { ...files(dir), resume: files(dir).checkpointFile }));
        r.trainer.dispose();
      } catch (e) {
        error = e;
      } finally {
        restore();
      }
      const where = `${phase}: failure at write ${at} (${state.failed})`;
      if (error !== undefined) {
        t.true(isDilemmaError(error), `${where}: ${String(error)}`);
        t.false(String((error as Error).message).includes('\n'), where);
      }
      const key = `${state.failed}:${error === undefined ? 'absorbed' : (error as { code: string }).code}`;
      outcomes[key] = (outcomes[key] ?? 0) + 1;
      t.deepEqual(readdirSync(dir).filter((f) => f.endsWith('.tmp')), [], `${where}: no temporary file`);
      const params = await finish(dir);
      t.deepEqual(params, expectedParams, `${where}: resumes to the uninterrupted parameters`);
      t.deepEqual(readMetricsLog<{ iteration: number }>(files(dir).metricsFile).map(strip), expectedLog, `${where}: the metrics of an uninterrupted run`);
      t.deepEqual(readdirSync(dir).sort(), ['checkpoint.json', 'metrics.jsonl'], where);
      rmSync(dir, { recursive: true });
    }
  }
  t.log(`outcomes (failing call: result): ${JSON.stringify(outcomes)}`);
});

/**
 * Interrupted work: a training child killed with SIGKILL at a random
 * (seeded) point leaves a checkpoint and a metrics log that resume, in
 * another child, to exactly the parameters and metrics of an uninterrupted
 * run; so does `dilemma train` killed at random moments, --resume included. ONNX model files that are
 * truncated or tampered with are refused with ERR_MODEL_LOAD. (Truncated and
 * tampered checkpoints: test/train.test.ts.)
 */
import avaTest from 'ava';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mlpPolicy, onnx, readCheckpoint, train } from '../src/index.js';
import { readMetricsLog } from '../src/metrics-log.js';
import { native } from '../src/native.js';
import { KILL_RESUME_CONFIG } from './kill-resume-config.js';
import { mulberry32 } from './helpers/random.js';

const test = avaTest.serial;
const root = fileURLToPath(new URL('..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'dilemma-kill-'));


interface ChildResult {
  signal: NodeJS.Signals | null;
  code: number | null;
  output: string;
  lastIteration: number;
  done?: { iteration: number; hash: string };
}

/**
 * Runs the training child; with killAt, sends SIGKILL `delayMs` after it
 * reports iteration killAt (so the kill lands inside a later iteration or
 * checkpoint write, wherever the delay falls).
 */
function child(mode: 'start' | 'resume', checkpoint: string, killAt?: number, delayMs = 0): Promise<ChildResult> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, ['--import', 'tsx', 'test/kill-resume-child.ts', mode, checkpoint], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    let lastIteration = 0;
    let armed = false;
    p.stderr.on('data', (d) => (output += d));
    p.stdout.on('data', (d) => {
      output += d;
      for (const m of String(d).matchAll(/^ITER (\d+)$/gm)) lastIteration = Number(m[1]);
      if (killAt !== undefined && !armed && lastIteration >= killAt) {
        armed = true;
        setTimeout(() => p.kill('SIGKILL'), delayMs);
      }
    });
    const timer = setTimeout(() => p.kill('SIGKILL'), 120_000);
    p.on('close', (code, signal) => {
      clearTimeout(timer);
      const m = /^DONE (\d+) ([0-9a-f]{64})$/m.exec(output);
      resolve({ code, signal, output, lastIteration, done: m ? { iteration: Number(m[1]), hash: m[2] } : undefined });
    });
  });
}

test('a run killed with SIGKILL twice resumes from its checkpoint to the uninterrupted parameters', async (t) => {
  t.timeout(240_000);
  const { trainer, history } = await train(KILL_RESUME_CONFIG);
  const p = trainer.params();
  const expected = createHash('sha256').update(Buffer.from(p.buffer, p.byteOffset, p.byteLength)).digest('hex');
  trainer.dispose();

  const random = mulberry32(0x5eed);
  const checkpoint = join(dir, 'run.ckpt');
  const total = KILL_RESUME_CONFIG.iterations!;
  let killAt = 3 + Math.floor(random() * 8);
  let mode: 'start' | 'resume' = 'start';
  for (let round = 0; round < 2; round++) {
    const delay = Math.floor(random() * 100);
    const r = await child(mode, checkpoint, killAt, delay);
    t.is(r.signal, 'SIGKILL', `round ${round}: the child was to be killed after iteration ${killAt}\n${r.output.slice(-2000)}`);
    // The checkpoint on disk is whole: the last one written before the kill.
    const { state } = readCheckpoint(checkpoint);
    t.log(`round ${round}: killed ${delay} ms after iteration ${killAt} (reported up to ${r.lastIteration}); checkpoint at iteration ${state.iteration}`);
    t.true(state.iteration >= killAt && state.iteration <= r.lastIteration + 1);
    killAt = state.iteration + 3 + Math.floor(random() * 8);
    mode = 'resume';
  }
  const last = await child('resume', checkpoint);
  t.is(last.code, 0, last.output.slice(-2000));
  t.deepEqual(last.done, { iteration: total, hash: expected });
  // Every iteration's metrics exactly once, as the uninterrupted run computed them.
  const log = readMetricsLog<{ iteration: number; meanReturn: number[]; gradNorm: number }>(`${checkpoint}.metrics.jsonl`);
  t.deepEqual(log.map((m) => m.iteration), history.map((m) => m.iteration));
  t.deepEqual(log.map((m) => [m.meanReturn, m.gradNorm]), history.map((m) => [m.meanReturn, m.gradNorm]));
  // A temporary of a killed writer is swept by the next write of its file.
  t.deepEqual(readdirSync(dir).filter((f) => f.endsWith('.tmp')), []);
});

/** `dilemma train` (the built command) in a child; with killMs, SIGKILL after that many milliseconds. */
function cli(args: string[], killMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null; output: string; ms: number }> {
  return new Promise((resolve) => {
    const began = performance.now();
    const p = spawn(process.execPath, [join(root, 'dist', 'cli', 'main.js'), ...args], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    p.stdout.on('data', (d) => (output += d));
    p.stderr.on('data', (d) => (output += d));
    const kill = killMs === undefined ? undefined : setTimeout(() => p.kill('SIGKILL'), killMs);
    const limit = setTimeout(() => p.kill('SIGKILL'), 120_000);
    p.on('close', (code, signal) => {
      clearTimeout(kill);
      clearTimeout(limit);
      resolve({ code, signal, output, ms: performance.now() - began });
    });
  });
}

test('`dilemma train` killed at random moments, --resume included, finishes with the results of an uninterrupted run', async (t) => {
  t.timeout(240_000);
  const experiment = (name: string) => {
    const path = join(dir, `${name}.yaml`);
    writeFileSync(
      path,
      [
        'algorithms: [advantage-alignment]',
        'seeds: [3]',
        `output: ${join(dir, name)}`,
        'checkpointEvery: 4',
        'train: { game: { id: ipd }, policy: { kind: tabular }, iterations: 100, batch: 256, bufferProbability: 0.5, bufferSize: 4 }',
        'evaluate: { opponents: [always-defect], batch: 64 }',
      ].join('\n'),
    );
    return path;
  };
  const reference = await cli(['train', experiment('cli-reference')]);
  t.is(reference.code, 0, reference.output);
  const random = mulberry32(0xc11);
  const config = experiment('cli-killed');
  const kills: string[] = [];
  let resume = false;
  for (let round = 0; round < 4; round++) {
    // Mostly before the run would end, so that most rounds are cut somewhere in it.
    const at = Math.floor(random() * 0.9 * reference.ms);
    const r = await cli(['train', config, ...(resume ? ['--resume'] : [])], at);
    kills.push(`${resume ? 'resume' : 'start'} ${r.signal ? `killed at ${at} ms` : `exited ${r.code}`}`);
    t.true(r.signal === 'SIGKILL' || r.code === 0, r.output.slice(-2000));
    resume = true;
  }
  const last = await cli(['train', config, '--resume']);
  t.log(`reference run ${reference.ms.toFixed(0)} ms; ${kills.join(', ')}`);
  t.is(last.code, 0, last.output.slice(-2000));
  const run = (name: string) => join(dir, name, 'advantage-alignment-seed3');
  const strip = (m: { seconds: number }) => ({ ...m, seconds: 0, time: '' });
  t.deepEqual(readMetricsLog<{ iteration: number; seconds: number }>(join(run('cli-killed'), 'metrics.jsonl')).map(strip), readMetricsLog<{ iteration: number; seconds: number }>(join(run('cli-reference'), 'metrics.jsonl')).map(strip));
  t.deepEqual(readCheckpoint(join(run('cli-killed'), 'checkpoint.json')).state, readCheckpoint(join(run('cli-reference'), 'checkpoint.json')).state);
  t.is(readFileSync(join(dir, 'cli-killed', 'summary.csv'), 'utf8'), readFileSync(join(dir, 'cli-reference', 'summary.csv'), 'utf8'));
  for (const d of [join(dir, 'cli-killed'), run('cli-killed')]) t.deepEqual(readdirSync(d).filter((f) => f.endsWith('.tmp')), [], d);
});

const runtime = native().ortStatus().compiled ? test : test.skip;

runtime('truncated or tampered ONNX files are refused with ERR_MODEL_LOAD', (t) => {
  const bytes = Buffer.from(mlpPolicy({ obsDim: 5, actions: 2, hidden: [4], seed: 1 }).bytes);
  const good = join(dir, 'good.onnx');
  writeFileSync(good, bytes);
  onnx(good).dispose();

  const cases: Array<[string, Buffer]> = [];
  for (const cut of [1, 16, bytes.length >> 1, bytes.length - 1]) cases.push([`truncated to ${cut} bytes`, bytes.subarray(0, cut)]);
  const header = Buffer.from(bytes);
  header.fill(0xff, 0, 16);
  cases.push(['header overwritten', header]);
  const wireType = Buffer.from(bytes);
  wireType[0] = 0x0f; // field 1 with wire type 7, which does not exist
  cases.push(['invalid field wire type', wireType]);
  const length = Buffer.from(bytes);
  length[2] = 0x7f; // the graph's length now runs past the end... or into the wrong fields
  cases.push(['field length changed', length]);
  const op = Buffer.from(bytes);
  const at = op.indexOf(Buffer.from([0x22, 0x04, ...Buffer.from('Gemm')]));
  t.true(at >= 0);
  op.write('Gexx', at + 2); // an operator that does not exist
  cases.push(['unknown operator', op]);

  for (const [name, content] of cases) {
    const path = join(dir, `${name.replace(/\W+/g, '-')}.onnx`);
    writeFileSync(path, content);
    t.throws(() => onnx(path), { code: 'ERR_MODEL_LOAD' }, `${name} (file)`);
    t.throws(() => onnx(new Uint8Array(content)), { code: 'ERR_MODEL_LOAD' }, `${name} (bytes)`);
  }
});

/**
 * What a resume restores and what it keeps: every restored value is checked
 * (a NaN or negative Adam moment, a bad count or length is refused with a
 * code naming the field), the metrics log is only appended to and a torn or
 * stale tail is cut on resume, an async onIteration is awaited (its
 * rejection stops training, resumably), and game ids that are inherited
 * object keys are unknown games.
 */
import test from 'ava';
import { createHash } from 'node:crypto';
import { appendFileSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Game, makeEnv, readCheckpoint, rollout, Trainer, train, type TrainConfig } from '../src/index.js';
import { readMetricsLog, repairMetricsLog } from '../src/metrics-log.js';
import { native } from '../src/native.js';

const dir = mkdtempSync(join(tmpdir(), 'dilemma-resume-'));
const CONFIG: TrainConfig = { game: { id: 'ipd' }, policy: { kind: 'tabular' }, iterations: 6, batch: 32, seed: 5, baseline: 'critic', critic: { kind: 'mlp', hidden: [4] }, bufferSize: 2, bufferProbability: 0.5 };

/** A checkpoint file whose state field `field` is replaced by f32 values (hash recomputed, as a careless tool would). */
function forged(source: string, name: string, edit: (state: Record<string, unknown>) => void): string {
  const outer = JSON.parse(readFileSync(source, 'utf8')) as { body: string };
  const body = JSON.parse(outer.body) as { state: Record<string, unknown> };
  edit(body.state);
  const text = JSON.stringify(body);
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify({ sha256: createHash('sha256').update(text).digest('hex'), body: text }));
  return path;
}
const f32 = (values: number[]) => Buffer.from(new Float32Array(values).buffer).toString('base64');

test('restored moments, parameters, counts and snapshots are checked; the error names the field', async (t) => {
  const source = join(dir, 'source.ckpt');
  const { trainer } = await train(CONFIG, { checkpointFile: source, onIteration: (m) => m.iteration < 1 });
  const s = readCheckpoint(source).state;
  t.true(s.adamV.length > 2 && s.criticV.length > 2 && s.buffer.length > 0, 'the checkpoint has moments, a critic and snapshots');
  const withAt = (a: Float32Array, i: number, v: number) => {
    const c = Float32Array.from(a);
    c[i] = v;
    return [...c];
  };
  const cases: Array<[string, (st: Record<string, unknown>) => void, RegExp]> = [
    ['nan-m', (st) => (st.adamM = f32(withAt(s.adamM, 2, Number.NaN))), /state\.adamM\[2\] is NaN/],
    ['neg-v', (st) => (st.adamV = f32(withAt(s.adamV, 1, -1e-3))), /state\.adamV\[1\] is -0\.0010\d*, but Adam second moments are never negative/],
    ['inf-v', (st) => (st.adamV = f32(withAt(s.adamV, 0, Number.POSITIVE_INFINITY))), /state\.adamV\[0\] is Infinity/],
    ['neg-critic-v', (st) => (st.criticV = f32(withAt(s.criticV, 2, -1))), /state\.criticV\[2\] is -1/],
    ['nan-critic', (st) => (st.criticParams = f32(withAt(s.criticParams, 0, Number.NaN))), /state\.criticParams\[0\] is NaN/],
    ['inf-param', (st) => (st.params = f32(withAt(s.params, 3, Number.NEGATIVE_INFINITY))), /state\.params\[3\] is -Infinity/],
    ['nan-snapshot', (st) => (st.buffer = [f32(withAt(s.buffer[0], 0, Number.NaN))]), /state\.buffer\[0\]\[0\] is NaN/],
    ['short-snapshot', (st) => (st.buffer = [f32([1, 2])]), /state\.buffer\[0\] has 2 values but params has/],
    ['short-m', (st) => (st.adamM = f32([0])), /state\.adamM has 1 values but params has/],
    ['neg-iteration', (st) => (st.iteration = -1), /state\.iteration must be an integer/],
    ['frac-step', (st) => (st.adamT = 1.5), /state\.adamT must be an integer/],
    ['no-step', (st) => delete st.adamT, /state\.adamT must be an integer/],
    ['string-step', (st) => (st.criticT = '3'), /state\.criticT must be an integer/],
    ['missing-v', (st) => delete st.adamV, /lacks the field state\.adamV/],
  ];
  for (const [name, edit, message] of cases) {
    const path = forged(source, `${name}.ckpt`, edit);
    t.throws(() => readCheckpoint(path), { code: 'ERR_INVALID_CHECKPOINT', message }, name);
    t.throws(() => Trainer.resume(path), { code: 'ERR_INVALID_CHECKPOINT', message }, name);
  }
  // The same checks for a state handed to restore(), with the caller's code.
  const good = trainer.state();
  t.throws(() => trainer.restore({ ...good, adamV: Float32Array.from(good.adamV, (v, i) => (i === 4 ? -2 : v)) }), {
    code: 'ERR_INVALID_ARGUMENT',
    message: /^state\.adamV\[4\] is -2/,
  });
  t.throws(() => trainer.restore({ ...good, adamM: new Float32Array(good.adamM.length).fill(Number.NaN) }), { code: 'ERR_INVALID_ARGUMENT', message: /^state\.adamM\[0\] is NaN/ });
  t.throws(() => trainer.restore({ ...good, params: [1, 2] as unknown as Float32Array }), { code: 'ERR_INVALID_ARGUMENT', message: /state\.params must be a Float32Array/ });
  trainer.restore(good);
  // Native code checks again, for callers of the raw addon.
  const Raw = (native() as unknown as { Trainer: new (g: unknown, c: unknown) => { restore(s: unknown): void; dispose(): void } }).Trainer;
  const raw = new Raw(trainer.game.handle, { policy: { kind: 'tabular', params: {} }, batch: 8, iterations: 2, seed: 0 });
  const plain = Trainer.create({ batch: 8, iterations: 2 });
  const st = plain.state();
  t.throws(() => raw.restore({ ...st, adamV: st.adamV.map(() => -1) }), { code: 'ERR_INVALID_ARGUMENT', message: /second moments/ });
  t.throws(() => raw.restore({ ...st, adamM: st.adamM.map(() => Number.NaN) }), { code: 'ERR_INVALID_ARGUMENT', message: /finite/ });
  raw.dispose();
  plain.dispose();
  trainer.dispose();
});

test('the metrics log is appended to; a torn or stale tail is cut on resume, whatever it holds', async (t) => {
  const checkpoint = join(dir, 'log.ckpt');
  const metrics = join(dir, 'log.jsonl');
  const full = await train(CONFIG, {});
  const expected = full.history.map((m) => m.meanReturn);
  full.trainer.dispose();

  const first = await train(CONFIG, { checkpointFile: checkpoint, checkpointEvery: 2, metricsFile: metrics, onIteration: (m) => m.iteration < 2 });
  first.trainer.dispose();
  t.is(readCheckpoint(checkpoint).state.iteration, 3);
  const whole = readFileSync(metrics, 'utf8');
  // A kill after iteration 3's line (no checkpoint for it) and in the middle of iteration 4's line.
  const torn = `${whole}${JSON.stringify({ ...first.history[2], iteration: 3 })}\n{"iteration":4,"meanRet`;
  for (const [name, tail] of [
    ['torn', torn],
    ['garbage', `${whole}\u0000\u0000\u0000`],
    ['stale', `${whole}${JSON.stringify({ ...first.history[2], iteration: 3 })}\n`],
    ['not JSON', `${whole}not json\n${JSON.stringify({ iteration: 3 })}\n`],
  ] as const) {
    writeFileSync(metrics, tail);
    const { ino } = statSync(metrics);
    const resumed = await train({}, { resume: checkpoint, metricsFile: metrics });
    resumed.trainer.dispose();
    const log = readMetricsLog<{ iteration: number; meanReturn: number[] }>(metrics);
    t.deepEqual(log.map((m) => m.iteration), [0, 1, 2, 3, 4, 5], name);
    t.deepEqual(log.map((m) => m.meanReturn), expected, `${name}: the same values as an uninterrupted run`);
    t.true(readFileSync(metrics, 'utf8').endsWith('\n'));
    t.is(statSync(metrics).ino, ino, `${name}: repaired in place by truncation, not rewritten`);
    // Reset to the checkpoint's view for the next case.
    writeFileSync(metrics, whole);
  }
  // Repair keeps exactly the whole lines before the iteration, and a missing log is fine.
  writeFileSync(metrics, '{"iteration":0}\n{"iteration":1}\n{"iteration":2');
  t.is(repairMetricsLog(metrics, 5), 2);
  t.is(readFileSync(metrics, 'utf8'), '{"iteration":0}\n{"iteration":1}\n');
  t.is(repairMetricsLog(join(dir, 'none.jsonl'), 5), 0);
  appendFileSync(metrics, '{"iteration":2}\n');
  t.is(repairMetricsLog(metrics, 1), 1);
  t.is(readFileSync(metrics, 'utf8'), '{"iteration":0}\n');
});

test('an async onIteration is awaited: false stops, a rejection stops training with its error and the run resumes', async (t) => {
  const unhandled: unknown[] = [];
  const onUnhandled = (e: unknown) => unhandled.push(e);
  process.on('unhandledRejection', onUnhandled);
  try {
    const stop = await train(CONFIG, { onIteration: async (m) => (await new Promise((r) => setTimeout(r, 1)), m.iteration < 1) });
    t.true(stop.stopped);
    t.is(stop.trainer.iteration, 2);
    stop.trainer.dispose();

    const checkpoint = join(dir, 'callback.ckpt');
    const boom = new Error('the callback failed');
    let calls = 0;
    const failed = train(CONFIG, {
      checkpointFile: checkpoint,
      onIteration: async (m) => {
        calls++;
        await new Promise((r) => setTimeout(r, 1));
        if (m.iteration === 2) throw boom;
      },
    });
    t.is(await t.throwsAsync(failed), boom);
    t.is(calls, 3, 'training stopped at the rejection');
    // The iteration the callback saw is kept: the checkpoint holds it, and the run ends as an uninterrupted one.
    t.is(readCheckpoint(checkpoint).state.iteration, 3);
    const resumed = await train({}, { resume: checkpoint });
    const full = await train(CONFIG, {});
    t.deepEqual(resumed.trainer.params(), full.trainer.params());
    resumed.trainer.dispose();
    full.trainer.dispose();
    await new Promise((r) => setTimeout(r, 20));
    t.deepEqual(unhandled, []);
  } finally {
    process.off('unhandledRejection', onUnhandled);
  }
});

test('game ids that are inherited object keys are unknown games, with a code', async (t) => {
  for (const id of ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf']) {
    t.throws(() => new Game(id as never), { code: 'ERR_UNKNOWN_GAME' }, id);
    t.throws(() => makeEnv(id as never, undefined, { batch: 2 }), { code: 'ERR_UNKNOWN_GAME' }, id);
    await t.throwsAsync(async () => rollout({ game: id as never, policies: ['random', 'random'] as never, batch: 2 }), { code: 'ERR_UNKNOWN_GAME' }, id);
    t.throws(() => Trainer.create({ game: { id: id as never } }), { code: 'ERR_INVALID_PARAM', message: /config\.game\.id/ }, id);
  }
});

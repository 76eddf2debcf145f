/**
 * Wrong input gets an error with a stable code, from TypeScript and from the
 * raw native binding alike; nothing crashes.
 */
import test from 'ava';
import { makeEnv, rollout, scripted, Game, tournament, setThreads } from '../src/index.js';
import { native } from '../src/native.js';

test('unknown ids and names', (t) => {
  t.throws(() => new Game('poker' as never), { code: 'ERR_UNKNOWN_GAME' });
  t.throws(() => scripted('tit-for-two-tats' as never), { code: 'ERR_UNKNOWN_STRATEGY' });
  t.throws(() => new Game('matrix', { preset: 'poker' }), { code: 'ERR_INVALID_PARAM', message: /params\.preset/ });
});

test('bad game parameters name the parameter', (t) => {
  t.throws(() => new Game('ipd', { rounds: Number.NaN }), { code: 'ERR_INVALID_PARAM', message: /params\.rounds/ });
  t.throws(() => new Game('ipd', { rounds: -1 }), { code: 'ERR_INVALID_PARAM', message: /params\.rounds/ });
  t.throws(() => new Game('ipd', { noise: 0.9 }), { code: 'ERR_INVALID_PARAM', message: /params\.noise/ });
  t.throws(() => new Game('ipd', { colour: 1 }), { code: 'ERR_INVALID_PARAM', message: /params\.colour/ });
  t.throws(() => new Game('matrix', { payoffs: [1, 2, 3] }), { code: 'ERR_INVALID_PARAM', message: /params\.payoffs/ });
  t.throws(() => new Game('matrix', { preset: 'chicken', payoffs: [1, 2, 3, 4, 5, 6, 7, 8] }), {
    code: 'ERR_INVALID_PARAM',
  });
  t.throws(() => scripted('random', { p: 2 }), { code: 'ERR_INVALID_PARAM', message: /params\.p/ });
});

test('bad environment options and actions', (t) => {
  t.throws(() => makeEnv('ipd', {}, { batch: -4 }), { code: 'ERR_INVALID_ARGUMENT', message: /options\.batch/ });
  t.throws(() => makeEnv('ipd', {}, { batch: 2.5 }), { code: 'ERR_INVALID_ARGUMENT', message: /options\.batch/ });
  t.throws(() => makeEnv('ipd', {}, { batch: 2, seed: -1 }), { code: 'ERR_INVALID_ARGUMENT', message: /options\.seed/ });
  t.throws(() => makeEnv('ipd', {}, { batch: 2, streams: [1] }), { code: 'ERR_INVALID_ARGUMENT', message: /options\.streams/ });
  const env = makeEnv('ipd', {}, { batch: 2 });
  env.reset();
  t.throws(() => env.step(new Int32Array(3)), { code: 'ERR_INVALID_ARGUMENT', message: /actions/ });
  t.throws(() => env.step(new Float32Array(4) as never), { code: 'ERR_INVALID_ARGUMENT', message: /actions/ });
  t.throws(() => env.step([0, 1, 2, 0]), { code: 'ERR_INVALID_ARGUMENT', message: /actions\[2\]/ });
  t.throws(() => env.step([0, 1, Number.NaN, 0]), { code: 'ERR_INVALID_ARGUMENT', message: /actions\[2\]/ });
  const s = env.step([0, 1, 1, 0]);
  t.deepEqual([...s.rewards], [0, 5, 5, 0]);
  env.dispose();
  t.throws(() => env.reset(), { code: 'ERR_DISPOSED' });
  env.dispose();
});

test('bad rollout options', async (t) => {
  await t.throwsAsync(rollout({ game: 'ipd', policies: ['tit-for-tat'], batch: 2 }), {
    code: 'ERR_INVALID_ARGUMENT',
    message: /policies/,
  });
  await t.throwsAsync(rollout({ game: 'ipd', policies: ['tit-for-tat', 'nope' as never], batch: 2 }), {
    code: 'ERR_UNKNOWN_STRATEGY',
  });
  await t.throwsAsync(rollout({ game: 'ipd', policies: ['tit-for-tat', 'tit-for-tat'], batch: 0 }), {
    code: 'ERR_INVALID_ARGUMENT',
    message: /options\.batch/,
  });
  await t.throwsAsync(rollout({ game: 'ipd', policies: ['tit-for-tat', 'tit-for-tat'], batch: 2, groups: { size: 0 } }), {
    code: 'ERR_INVALID_ARGUMENT',
    message: /groups/,
  });
  await t.throwsAsync(rollout({ game: 'ipd', policies: ['tit-for-tat', 'tit-for-tat'], batch: 2, groups: [0, -1] }), {
    code: 'ERR_INVALID_ARGUMENT',
    message: /groups\[1\]/,
  });
  await t.throwsAsync(
    rollout({ game: 'ipd', policies: ['tit-for-tat', 'tit-for-tat'], batch: 1 << 30, steps: 1 << 20 }),
    { code: 'ERR_TOO_LARGE' },
  );
  await t.throwsAsync(rollout({ game: 'ipd', policies: ['tit-for-tat', 'tit-for-tat'], batch: 2, speed: 3 } as never), {
    code: 'ERR_INVALID_ARGUMENT',
    message: /options\.speed/,
  });
  const p = scripted('tit-for-tat');
  p.dispose();
  await t.throwsAsync(rollout({ game: 'ipd', policies: [p, 'tit-for-tat'], batch: 2 }), { code: 'ERR_DISPOSED' });
  await t.throwsAsync(tournament({ game: 'public-goods', players: ['tit-for-tat'] }), { code: 'ERR_UNSUPPORTED' });
  t.throws(() => setThreads(-1), { code: 'ERR_INVALID_ARGUMENT' });
});

test('the raw native binding checks everything itself', async (t) => {
  const n = native();
  const code = (fn: () => unknown) => {
    try {
      fn();
    } catch (e) {
      return (e as { code?: string }).code;
    }
    return 'no error';
  };
  t.is(code(() => new n.Game(42 as never, {})), 'ERR_INVALID_ARGUMENT');
  t.is(code(() => new n.Game('ipd', { rounds: Number.NaN })), 'ERR_INVALID_PARAM');
  t.is(code(() => new n.Game('ipd', { rounds: {} as never })), 'ERR_INVALID_PARAM');
  t.is(code(() => new n.Game('ipd', [] as never)), 'ERR_INVALID_ARGUMENT');
  t.is(code(() => new n.Env({} as never, { batch: 1 })), 'ERR_INVALID_ARGUMENT');
  const game = new n.Game('ipd', {});
  t.is(code(() => new n.Env(game, { batch: -1 })), 'ERR_INVALID_ARGUMENT');
  t.is(code(() => new n.Env(game, { batch: 2, seed: 1.5 })), 'ERR_INVALID_ARGUMENT');
  t.is(code(() => new n.Env(game, { batch: 2, seed: -1n as never })), 'ERR_INVALID_ARGUMENT');
  t.is(code(() => new n.Env(game, { batch: 2, streams: new Int32Array(2) as never })), 'ERR_INVALID_ARGUMENT');
  const env = new n.Env(game, { batch: 2 });
  t.is(code(() => env.step(new Int32Array([0, 0, 0, 7]))), 'ERR_INVALID_ARGUMENT');
  t.is(code(() => env.step(new Int32Array(new ArrayBuffer(20), 4, 3))), 'ERR_INVALID_ARGUMENT');
  const buf = new ArrayBuffer(16);
  const view = new Int32Array(buf);
  structuredClone(buf, { transfer: [buf] });
  t.is(code(() => env.step(view)), 'ERR_INVALID_ARGUMENT');
  t.is(code(() => env.step(undefined as never)), 'ERR_INVALID_ARGUMENT');
  t.is(code(() => n.strategy('tit-for-tat', { extra: 1 })), 'ERR_INVALID_PARAM');
  t.is(code(() => new (n.Policy as never as new (...a: unknown[]) => unknown)('x')), 'ERR_INVALID_ARGUMENT');
  const tft = n.strategy('tit-for-tat', {});
  t.is(code(() => n.rollout(game, [tft, {} as never], { batch: 1 })), 'ERR_INVALID_ARGUMENT');
  t.is(code(() => n.rollout(game, [tft, tft], { batch: 1, steps: 0 })), 'ERR_INVALID_ARGUMENT');
  t.is(code(() => n.rollout(game, [tft, tft], { batch: 3, groups: new Uint32Array(2) })), 'ERR_INVALID_ARGUMENT');
  t.is(code(() => n.rollout(game, [tft, tft], null as never)), 'ERR_INVALID_ARGUMENT');
  t.is(code(() => n.setThreads(Number.POSITIVE_INFINITY)), 'ERR_INVALID_ARGUMENT');
  // A rollout whose inputs are disposed while it runs still completes: it holds its own references.
  const pending = n.rollout(game, [tft, tft], { batch: 4096, steps: 200 });
  tft.dispose();
  game.dispose();
  const done = await pending;
  t.is(done.actions.length, 4096 * 200 * 2);
  t.is(code(() => game.info()), 'ERR_DISPOSED');
  t.is(code(() => tft.name), 'ERR_DISPOSED');
});

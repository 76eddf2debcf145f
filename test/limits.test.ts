/**
 * Size limits: rolloutMemory() predicts a rollout's result arrays byte for
 * byte; requests past the limits fail with ERR_TOO_LARGE before allocating;
 * requests within them that the process cannot hold fail with
 * ERR_OUT_OF_MEMORY instead of aborting (checked in a child process under
 * an address-space limit).
 */
import test from 'ava';
import { fileURLToPath } from 'node:url';
import { Game, LIMITS, makeEnv, modelPolicy, rollout, rolloutMemory, scripted } from '../src/index.js';
import { native } from '../src/native.js';
import { runChild, taggedLine } from './helpers/child.js';

const root = fileURLToPath(new URL('..', import.meta.url));

test('rolloutMemory gives the byte length of every array a rollout returns', async (t) => {
  const cases: Array<{ game: Game; batch: number; steps?: number; policies?: string[] }> = [
    { game: new Game('ipd'), batch: 37, policies: ['tit-for-tat', 'random'] },
    { game: new Game('matrix', { preset: 'chicken', history: 3, rounds: 7 }), batch: 5, steps: 9, policies: ['random', 'grim-trigger'] },
    { game: new Game('public-goods', { players: 5 }), batch: 12, steps: 3, policies: Array(5).fill('always-cooperate') },
    // The Coin Game has statistics; a linear model (all-zero weights) plays both seats.
    { game: new Game('coin', { size: 4 }), batch: 9 },
  ];
  for (const c of cases) {
    const { obsDim, actions, agents } = c.game.info;
    const policies = c.policies
      ? c.policies.map((p) => scripted(p as never))
      : Array.from({ length: agents }, () => modelPolicy({ kind: 'mlp', hidden: [] }, c.game.info, new Float32Array(obsDim * actions + actions)));
    const m = rolloutMemory({ game: c.game, batch: c.batch, steps: c.steps });
    const traj = await rollout({ game: c.game, policies, batch: c.batch, ...(c.steps ? { steps: c.steps } : {}) });
    const actual = {
      observations: traj.observations.byteLength,
      actions: traj.actions.byteLength,
      logProbs: traj.logProbs.byteLength,
      entropies: traj.entropies.byteLength,
      rewards: traj.rewards.byteLength,
      dones: traj.dones.byteLength,
      mask: traj.mask.byteLength,
      stats: traj.stats.byteLength,
    };
    t.deepEqual(m, { ...actual, total: Object.values(actual).reduce((s, x) => s + x, 0) }, c.game.id);
    if (c.game.id === 'coin') t.true(m.stats > 0);
    for (const p of policies) p.dispose();
    c.game.dispose();
  }
  // A game given by id or spec works the same.
  t.is(rolloutMemory({ game: 'ipd', batch: 3 }).observations, 4 * 3 * 10 * 2 * 5);
  t.is(rolloutMemory({ game: { id: 'ipd', params: { rounds: 4 } }, batch: 3 }).mask, 3 * 4);
});

test('sizes past the limits are ERR_TOO_LARGE, in rolloutMemory and in the rollout alike', async (t) => {
  t.is(LIMITS.maxElements, 2 ** 31 - 1);
  const huge = { game: 'ipd' as const, batch: 2 ** 27, steps: 16 };
  t.throws(() => rolloutMemory(huge), { code: 'ERR_TOO_LARGE', message: /observations/ });
  await t.throwsAsync(rollout({ ...huge, policies: ['tit-for-tat', 'tit-for-tat'] }), { code: 'ERR_TOO_LARGE' });
  await t.throwsAsync(rollout({ game: 'ipd', policies: ['tit-for-tat', 'tit-for-tat'], batch: 2 ** 30, steps: 2 ** 20 }), { code: 'ERR_TOO_LARGE' });
  t.throws(() => rolloutMemory({ game: 'ipd', batch: 0 }), { code: 'ERR_INVALID_ARGUMENT', message: /options\.batch/ });
  // The largest IPD rollout within the limits (maxResultBytes binds first):
  // about 7.6 GB of results.
  const batch = Math.floor(LIMITS.maxResultBytes / (4 * 10 * 2 * 5));
  t.is(rolloutMemory({ game: 'ipd', batch }).total, batch * 10 * (2 * 5 * 4 + 4 * 2 * 4 + 2));
});

// Node cannot hand JavaScript one ArrayBuffer past 4 GiB; the engine's
// external buffers that large used to end in 'free(): double free detected'.
// Refused up front: nothing near that size is allocated here.
test('result arrays past LIMITS.maxResultBytes are ERR_TOO_LARGE naming options.batch, before anything is allocated', async (t) => {
  t.is(LIMITS.maxResultBytes, 2 ** 32);
  // One environment more than the largest that fits: 10 steps × 2 agents × 5 floats.
  const batch = Math.floor(LIMITS.maxResultBytes / (4 * 10 * 2 * 5)) + 1;
  t.true(batch * 10 * 2 * 5 <= LIMITS.maxElements, 'within the element limit: the byte limit is what refuses it');
  const message = /options\.batch = 10737419.*observations.*LIMITS\.maxResultBytes/;
  t.throws(() => rolloutMemory({ game: 'ipd', batch, steps: 10 }), { code: 'ERR_TOO_LARGE', message });
  const rss = process.memoryUsage().rss;
  await t.throwsAsync(rollout({ game: 'ipd', policies: ['tit-for-tat', 'tit-for-tat'], batch, steps: 10 }), { code: 'ERR_TOO_LARGE', message });
  // Env.reset of the same size: refused when the batch is made.
  t.throws(() => makeEnv('ipd', {}, { batch: batch * 10 }), { code: 'ERR_TOO_LARGE', message: /options\.batch = 107374190.*LIMITS\.maxResultBytes/ });
  // The raw binding refuses it too, for allocateTrajectory as well.
  const b = native() as unknown as { Game: new (id: string, p: object) => { dispose(): void }; allocateTrajectory(g: unknown, o: object): unknown };
  const g = new b.Game('ipd', {});
  t.throws(() => b.allocateTrajectory(g, { batch, steps: 10 }), { code: 'ERR_TOO_LARGE', message });
  g.dispose();
  t.true(process.memoryUsage().rss - rss < 256 * 2 ** 20, 'nothing large was allocated');
});

const linux = process.platform === 'linux' ? test : test.skip;

linux('requests within the limits that cannot be allocated fail with ERR_OUT_OF_MEMORY, and the process carries on', async (t) => {
  t.timeout(120_000);
  // 2 GiB of address space. --jitless because tsx's WebAssembly lexer
  // reserves more address space than that for its memory's guard region.
  const { code, signal, output } = await runChild(
    'sh',
    ['-c', `ulimit -v ${2 * 1024 * 1024} && exec "${process.execPath}" --jitless --import tsx test/limits-child.ts`],
    { cwd: root, timeoutMs: 110_000 },
  );
  const r = taggedLine(output, 'LIMITS') as Record<string, { code: string; message: string; bytes?: number }> | undefined;
  t.is(signal, null, output.slice(-4000));
  t.is(code, 0, output.slice(-4000));
  t.truthy(r, output.slice(-4000));
  if (!r) return;
  for (const [name, outcome] of Object.entries(r)) t.log(`${name}: ${outcome.code} ${outcome.message}${outcome.bytes ? ` (${outcome.bytes} bytes needed)` : ''}`);
  t.is(r.rollout.code, 'ERR_OUT_OF_MEMORY');
  t.is(r.env.code, 'ERR_OUT_OF_MEMORY');
  t.is(r.trainer.code, 'ERR_OUT_OF_MEMORY');
  t.is(r['small rollout'].code, 'ok');
});

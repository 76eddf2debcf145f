import test from 'ava';
import { createHash } from 'node:crypto';
import { rollout, scripted, setThreads, engineInfo, Game } from '../src/index.js';

const digest = (t: Awaited<ReturnType<typeof rollout>>) => {
  const h = createHash('sha256');
  for (const a of [t.observations, t.actions, t.logProbs, t.entropies, t.rewards, t.dones, t.mask]) {
    h.update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  }
  return h.digest('hex');
};

const noisy = { id: 'ipd', params: { noise: 0.05, rounds: 100, continuation: 0.99 } } as const;

test('shapes follow [batch, steps, agents, ...]', async (t) => {
  const traj = await rollout({ game: 'public-goods', policies: Array(4).fill('random'), batch: 3, seed: 1 });
  t.is(traj.steps, 10);
  t.is(traj.agents, 4);
  t.is(traj.obsDim, 5);
  t.is(traj.observations.length, 3 * 10 * 4 * 5);
  t.is(traj.actions.length, 3 * 10 * 4);
  t.is(traj.rewards.length, 3 * 10 * 4);
  t.is(traj.dones.length, 3 * 10);
  t.is(traj.mask.length, 3 * 10);
  t.deepEqual([...traj.groups], [0, 1, 2]);
  // The first observation is the start state: flag set, no contributions yet.
  t.deepEqual([...traj.observations.slice(0, 5)], [1, 0, 0, 0, 0]);
});

test('a seed reproduces a batch-4096 rollout bit for bit on 1 and 2 threads', async (t) => {
  const policies = [scripted('random', { p: 0.6 }), scripted('generous-tit-for-tat')];
  const one = await rollout({ game: noisy, policies, batch: 4096, seed: 77, threads: 1 });
  const two = await rollout({ game: noisy, policies, batch: 4096, seed: 77, threads: 2 });
  t.is(digest(one), digest(two));
  const before = engineInfo().threads;
  setThreads(1);
  const viaSetting = await rollout({ game: noisy, policies, batch: 4096, seed: 77 });
  setThreads(before === engineInfo().hardwareThreads ? 0 : before);
  t.is(digest(viaSetting), digest(one));
  const other = await rollout({ game: noisy, policies, batch: 4096, seed: 78, threads: 2 });
  t.not(digest(other), digest(one));
});

test('a pinned reference rollout keeps its hash', async (t) => {
  // Guards against accidental changes to the RNG, the rules or the strategies.
  const traj = await rollout({
    game: { id: 'ipd', params: { noise: 0.1, rounds: 20 } },
    policies: [scripted('random', { p: 0.5 }), scripted('win-stay-lose-shift')],
    batch: 256,
    seed: 2024,
  });
  t.snapshot(digest(traj));
});

test('groups of { size } share the environment\'s random events', async (t) => {
  const traj = await rollout({
    game: { id: 'ipd', params: { noise: 0.3 } },
    policies: ['tit-for-tat', 'always-cooperate'],
    batch: 32,
    seed: 4,
    groups: { size: 8 },
  });
  t.deepEqual([...traj.groups.slice(0, 10)], [0, 0, 0, 0, 0, 0, 0, 0, 1, 1]);
  const per = traj.steps * traj.agents;
  const row = (b: number) => [...traj.rewards.slice(b * per, (b + 1) * per)];
  for (let b = 0; b < 32; b++) t.deepEqual(row(b), row(b - (b % 8)));
  t.notDeepEqual(row(0), row(8));
  const explicit = await rollout({
    game: { id: 'ipd', params: { noise: 0.3 } },
    policies: ['tit-for-tat', 'always-cooperate'],
    batch: 32,
    seed: 4,
    groups: Array.from({ length: 32 }, (_, b) => Math.floor(b / 8)),
  });
  t.deepEqual(explicit.rewards, traj.rewards);
});

test('episodes that end early are padded and masked', async (t) => {
  const traj = await rollout({
    game: { id: 'ipd', params: { rounds: 30, continuation: 0.8 } },
    policies: ['always-cooperate', 'always-defect'],
    batch: 200,
    seed: 8,
  });
  let total = 0;
  for (let b = 0; b < 200; b++) {
    let ended = false;
    for (let s = 0; s < 30; s++) {
      const row = b * 30 + s;
      t.is(traj.mask[row], ended ? 0 : 1);
      if (ended) t.is(traj.actions[row * 2], -1);
      else total++;
      if (traj.dones[row]) ended = true;
    }
    t.true(ended);
  }
  // Mean length of a geometric episode with continuation 0.8, capped at 30: (1 - 0.8^30) / 0.2.
  t.true(Math.abs(total / 200 - (1 - 0.8 ** 30) / 0.2) < 0.6);
});

test('a game object can be reused across rollouts and is checked after dispose', async (t) => {
  const game = new Game('ipd', { rounds: 3 });
  const a = await rollout({ game, policies: ['tit-for-tat', 'alternate'], batch: 2 });
  t.is(a.steps, 3);
  game.dispose();
  await t.throwsAsync(rollout({ game, policies: ['tit-for-tat', 'alternate'], batch: 2 }), { code: 'ERR_DISPOSED' });
});

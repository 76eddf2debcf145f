import test from 'ava';
import { createHash } from 'node:crypto';
import { rollout, allocateTrajectory, scripted, setThreads, engineInfo, Game } from '../src/index.js';
import { modelPolicy } from '../src/train.js';

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

// Every array of a trajectory, for comparing two of them element by element.
const arrays = (tr: Awaited<ReturnType<typeof rollout>>) =>
  [tr.observations, tr.actions, tr.logProbs, tr.entropies, tr.rewards, tr.dones, tr.mask, tr.stats].map((a) =>
    Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64'),
  );

// Uniform over every action (zero logits), for games without scripted players.
const uniform = (id: 'coin' | 'negotiation' | 'split') => {
  const info = new Game(id).info;
  const p = modelPolicy({ kind: 'mlp', hidden: [] }, info, new Float32Array(info.obsDim * info.actions + info.actions));
  return [p, p];
};

test('out: a reused trajectory gets exactly the numbers of a fresh one, for every game', async (t) => {
  const cases = [
    { game: noisy, policies: ['random', 'generous-tit-for-tat'], batch: 700 },
    { game: 'public-goods', policies: Array(4).fill('random'), batch: 300 },
    { game: 'coin', policies: uniform('coin'), batch: 64 },
    { game: 'trust-and-split', policies: ['greedy-splitter', 'honest-reciprocator'], batch: 50 },
    { game: 'negotiation', policies: uniform('negotiation'), batch: 40 },
    { game: 'split', policies: uniform('split'), batch: 40 },
  ] as const;
  for (const c of cases) {
    const spec = { game: c.game, policies: [...c.policies], batch: c.batch } as Parameters<typeof rollout>[0];
    const first = await rollout({ ...spec, seed: 1 });
    const fresh = await rollout({ ...spec, seed: 2 });
    // Written over a trajectory that holds other numbers (seed 1's).
    const reused = await rollout({ ...spec, seed: 2, out: first });
    t.is(reused, first, 'the same object comes back');
    t.deepEqual(arrays(reused), arrays(fresh));
    t.deepEqual([...reused.groups], [...fresh.groups]);
    // And into a zeroed allocation, with groups.
    const blank = allocateTrajectory({ game: c.game as never, batch: c.batch });
    t.true(blank.rewards.every((x) => x === 0));
    const viaAlloc = await rollout({ ...spec, seed: 2, out: blank, groups: { size: 5 } });
    const freshGroups = await rollout({ ...spec, seed: 2, groups: { size: 5 } });
    t.deepEqual(arrays(viaAlloc), arrays(freshGroups));
    t.deepEqual([...viaAlloc.groups], [...freshGroups.groups]);
  }
});

test('out: wrong shapes, types, foreign, shared, detached, aliased or busy arrays are refused with a code', async (t) => {
  const spec = { game: 'ipd', policies: ['random', 'tit-for-tat'], batch: 8 } as const;
  const base = () => allocateTrajectory({ game: 'ipd', batch: 8 });
  const refuse = async (out: unknown, message: RegExp) =>
    t.throwsAsync(rollout({ ...spec, policies: [...spec.policies], out: out as never }), { code: 'ERR_INVALID_ARGUMENT', message });
  await refuse(allocateTrajectory({ game: 'ipd', batch: 9 }), /options\.out\.observations must have 800 elements/);
  await refuse(allocateTrajectory({ game: 'ipd', batch: 8, steps: 5 }), /options\.out\.observations must have 800/);
  await refuse({ ...base(), actions: new Float32Array(160) }, /options\.out\.actions must be a Int32Array/);
  await refuse({ ...base(), mask: undefined }, /options\.out\.mask must be a Uint8Array/);
  await refuse('nope', /options\.out must be an object/);
  await refuse({ ...base(), entropies: new Float32Array(new SharedArrayBuffer(640)) }, /options\.out\.entropies is backed by a SharedArrayBuffer/);
  // A rollout that runs off the event loop writes only into the engine's own
  // arrays (plain ones and views are refused); a small scripted one, which
  // finishes before the call returns, writes into any array.
  const big = { ...spec, policies: [...spec.policies], batch: 5000 };
  const bigOut = () => allocateTrajectory({ game: 'ipd', batch: 5000 });
  const foreign = /options\.out\.rewards was not allocated by the engine/;
  await t.throwsAsync(rollout({ ...big, out: { ...bigOut(), rewards: new Float32Array(100000) } }), { code: 'ERR_INVALID_ARGUMENT', message: foreign });
  const wide = allocateTrajectory({ game: 'ipd', batch: 10000 });
  await t.throwsAsync(rollout({ ...big, out: { ...bigOut(), rewards: wide.rewards.subarray(0, 100000) } }), { code: 'ERR_INVALID_ARGUMENT', message: foreign });
  const plain = { ...base(), rewards: new Float32Array(160) };
  const small = await rollout({ ...spec, policies: [...spec.policies], seed: 4, out: plain });
  t.deepEqual(arrays(small), arrays(await rollout({ ...spec, policies: [...spec.policies], seed: 4 })));
  // Aliasing between fields.
  const b = base();
  await refuse({ ...b, entropies: b.logProbs }, /options\.out\.entropies shares memory with options\.out\.logProbs/);
  await refuse({ ...b, dones: b.mask }, /options\.out\.mask shares memory with options\.out\.dones/);
  // Detached (the engine's own buffers are copied, not detached, by a transfer).
  const gone = new Float32Array(160);
  structuredClone(gone.buffer, { transfer: [gone.buffer] });
  await refuse({ ...base(), rewards: gone }, /options\.out\.rewards is backed by a detached ArrayBuffer/);
  // In use by a rollout that has not finished (one big enough to run off the
  // event loop; small scripted rollouts run at once).
  const busy = allocateTrajectory({ game: 'ipd', batch: 5000 });
  const running = rollout({ ...big, out: busy });
  await t.throwsAsync(rollout({ ...big, out: busy }), { code: 'ERR_INVALID_ARGUMENT', message: /in use by a rollout that has not finished/ });
  await running;
  // Once it has finished, the arrays can be used again.
  await t.notThrowsAsync(rollout({ ...big, out: busy }));
  t.throws(() => allocateTrajectory({ game: 'ipd', batch: 0 }), { code: 'ERR_INVALID_ARGUMENT', message: /options\.batch/ });
});

test('out: transferring an array while a rollout writes into it is harmless', async (t) => {
  const out = allocateTrajectory({ game: 'ipd', batch: 50000 });
  const running = rollout({ game: 'ipd', policies: ['random', 'random'], batch: 50000, seed: 3, out });
  // Moving the buffer away mid-rollout must not free the memory being written
  // (where the runtime lets an engine-owned buffer be transferred at all).
  try {
    structuredClone(out.observations.buffer, { transfer: [out.observations.buffer as ArrayBuffer] });
  } catch {
    // not transferable: nothing to check
  }
  await running;
  t.pass();
});

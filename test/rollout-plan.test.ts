import test from 'ava';
import { rollout, allocateTrajectory, scripted, engineInfo, Game, RolloutPlan, type RolloutOptions, type Trajectory } from '../src/index.js';
import { modelPolicy } from '../src/train.js';
import { native } from '../src/native.js';

// Every array of a trajectory as bytes, for bit-for-bit comparison.
const bytes = (tr: Trajectory) =>
  [tr.observations, tr.actions, tr.logProbs, tr.entropies, tr.rewards, tr.dones, tr.mask, tr.stats, tr.groups].map((a) =>
    Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64'),
  );
const meta = (tr: Trajectory) => [tr.batch, tr.steps, tr.agents, tr.obsDim, tr.statNames.join(',')];

// Softmax over fixed non-zero logits: a learned policy (runs off the event loop, samples with temperature).
const linear = (id: string) => {
  const info = new Game(id as never).info;
  const w = new Float32Array(info.obsDim * info.actions + info.actions);
  for (let i = 0; i < w.length; i++) w[i] = Math.sin(i * 1.7) * 0.8;
  return modelPolicy({ kind: 'mlp', hidden: [] }, info, w);
};

type Spec = Omit<RolloutOptions, 'seed'>;
const noisy = { id: 'ipd', params: { noise: 0.05, rounds: 30, continuation: 0.9 } } as const;
const cases = (): Array<[string, Spec]> => [
  ['ipd, scripted, small (inline)', { game: 'ipd', policies: ['random', 'tit-for-tat'], batch: 64 }],
  ['ipd with noise and random ends, 1 thread', { game: noisy, policies: ['random', 'generous-tit-for-tat'], batch: 300, threads: 1 }],
  ['ipd with noise and random ends, 2 threads', { game: noisy, policies: ['random', 'generous-tit-for-tat'], batch: 300, threads: 2 }],
  ['ipd with noise and random ends, 4 threads, groups', { game: noisy, policies: ['win-stay-lose-shift', 'random'], batch: 300, threads: 4, groups: { size: 7 } }],
  ['public goods, 4 agents, steps', { game: 'public-goods', policies: Array(4).fill('random'), batch: 300, steps: 6 }],
  ['coin, learned, temperature', { game: 'coin', policies: [linear('coin'), linear('coin')], batch: 64, temperature: 0.7, threads: 2 }],
  ['coin, learned, greedy', { game: 'coin', policies: [linear('coin'), linear('coin')], batch: 33, greedy: true, threads: 4 }],
  ['trust-and-split, scripted agents', { game: 'trust-and-split', policies: ['greedy-splitter', 'honest-reciprocator'], batch: 50 }],
  ['negotiation, learned', { game: 'negotiation', policies: [linear('negotiation'), linear('negotiation')], batch: 40 }],
  ['split, learned', { game: 'split', policies: [linear('split'), linear('split')], batch: 40, threads: 2 }],
];

test('every run gives rollout()\'s trajectory for the same seed, bit for bit (games, policies, noise, ends, threads)', async (t) => {
  const seen = new Map<string, string[]>();
  for (const [name, spec] of cases()) {
    const plan = new RolloutPlan(spec);
    seen.set(name, bytes(await plan.run({ seed: 42 })));
    for (const seed of [0, 3, 2n ** 63n + 5n]) {
      const want = await rollout({ ...spec, seed });
      const got = await plan.run({ seed });
      t.is(got, plan.trajectory, `${name}: run resolves with the plan's trajectory`);
      t.deepEqual(bytes(got), bytes(want), `${name}, seed ${seed}: run`);
      t.deepEqual(meta(got), meta(want), name);
      // runSync over the other seed's numbers.
      plan.runSync({ seed: 11 });
      t.is(plan.runSync({ seed }), plan.trajectory);
      t.deepEqual(bytes(plan.trajectory), bytes(want), `${name}, seed ${seed}: runSync`);
    }
    plan.dispose();
  }
  // The thread count changes nothing.
  t.deepEqual(seen.get('ipd with noise and random ends, 1 thread'), seen.get('ipd with noise and random ends, 2 threads'));
  const four = new RolloutPlan({ game: noisy, policies: ['random', 'generous-tit-for-tat'], batch: 300, threads: 4 });
  t.deepEqual(bytes(four.runSync({ seed: 42 })), seen.get('ipd with noise and random ends, 1 thread'));
  four.dispose();
});

test('a plan writes into out: the same object, the numbers of a fresh rollout', async (t) => {
  const spec = { game: noisy, policies: ['random', 'tit-for-tat'], batch: 5000 } as const;
  const out = allocateTrajectory({ game: noisy, batch: 5000 });
  const plan = new RolloutPlan({ ...spec, policies: [...spec.policies], out });
  t.is(plan.trajectory, out);
  t.false(plan.runsInline);
  t.is(await plan.run({ seed: 9 }), out);
  t.deepEqual(bytes(out), bytes(await rollout({ ...spec, policies: [...spec.policies], seed: 9 })));
  // A small scripted plan runs inline and takes any plain arrays.
  const small = { game: 'ipd', policies: ['random', 'alternate'], batch: 8 } as const;
  const plain = { ...allocateTrajectory({ game: 'ipd', batch: 8 }), rewards: new Float32Array(160) };
  const p2 = new RolloutPlan({ ...small, policies: [...small.policies], out: plain });
  t.true(p2.runsInline);
  t.deepEqual(bytes(p2.runSync({ seed: 4 })), bytes(await rollout({ ...small, policies: [...small.policies], seed: 4 })));
  plan.dispose();
  p2.dispose();
});

test('a plan checks its options once, naming them', (t) => {
  const bad = (options: unknown, code: string, message: RegExp) => t.throws(() => new RolloutPlan(options as Spec), { code, message });
  bad({ game: 'ipd', policies: ['random', 'random'], batch: 4, seed: 1 }, 'ERR_INVALID_ARGUMENT', /options\.seed is given to each run/);
  bad({ game: 'ipd', policies: ['random', 'random'], batch: 0 }, 'ERR_INVALID_ARGUMENT', /options\.batch/);
  bad({ game: 'ipd', policies: ['random'], batch: 4 }, 'ERR_INVALID_ARGUMENT', /options\.policies must have 2 entries/);
  bad({ game: 'ipd', policies: ['random', 'nope'], batch: 4 }, 'ERR_UNKNOWN_STRATEGY', /nope/);
  bad({ game: 'ipd', policies: ['random', 'random'], batch: 4, colour: 1 }, 'ERR_INVALID_ARGUMENT', /options\.colour is not a known option/);
  bad({ game: 'ipd', policies: ['random', 'random'], batch: 4, out: allocateTrajectory({ game: 'ipd', batch: 5 }) }, 'ERR_INVALID_ARGUMENT', /options\.out\.observations must have/);
  const big = allocateTrajectory({ game: 'ipd', batch: 5000 });
  bad({ game: 'ipd', policies: ['random', 'random'], batch: 5000, out: { ...big, rewards: new Float32Array(100000) } }, 'ERR_INVALID_ARGUMENT', /options\.out\.rewards was not allocated by the engine/);
  bad('nope', 'ERR_INVALID_ARGUMENT', /options must be an object/);
});

test('hostile use: bad seeds, dispose, disposed policies and games, concurrent runs, detached or resizable arrays', async (t) => {
  const plan = new RolloutPlan({ game: 'ipd', policies: ['random', 'tit-for-tat'], batch: 16 });
  for (const seed of [-1, 1.5, NaN, 2 ** 53, '3', -1n, 2n ** 64n, null]) {
    await t.throwsAsync(plan.run({ seed } as never), { code: 'ERR_INVALID_ARGUMENT', message: /options\.seed/ });
    t.throws(() => plan.runSync({ seed } as never), { code: 'ERR_INVALID_ARGUMENT', message: /options\.seed/ });
  }
  t.throws(() => plan.runSync(7 as never), { code: 'ERR_INVALID_ARGUMENT', message: /options must be an object/ });
  t.throws(() => plan.runSync({ seed: 1, sead: 2 } as never), { code: 'ERR_INVALID_ARGUMENT', message: /options\.sead is not a known option/ });
  plan.dispose();
  plan.dispose();
  t.true(plan.disposed);
  await t.throwsAsync(plan.run({ seed: 1 }), { code: 'ERR_DISPOSED' });
  t.throws(() => plan.runSync({ seed: 1 }), { code: 'ERR_DISPOSED' });
  t.is(plan.trajectory.rewards.length, 16 * 10 * 2, 'the arrays stay readable');

  // A policy or game the caller disposes while the plan holds it.
  const tft = scripted('tit-for-tat');
  const game = new Game('ipd');
  const held = new RolloutPlan({ game, policies: ['random', tft], batch: 4 });
  held.runSync({ seed: 1 });
  tft.dispose();
  t.throws(() => held.runSync({ seed: 1 }), { code: 'ERR_DISPOSED', message: /tit-for-tat/ });
  await t.throwsAsync(held.run({ seed: 1 }), { code: 'ERR_DISPOSED' });
  held.dispose();
  const g = new RolloutPlan({ game, policies: ['random', 'random'], batch: 4 });
  game.dispose();
  t.throws(() => g.runSync({ seed: 1 }), { code: 'ERR_DISPOSED' });
  g.dispose();

  // Concurrent runs of one plan: the second is refused while the first is in flight.
  const worker = new RolloutPlan({ game: noisy, policies: ['random', 'random'], batch: 4000 });
  const first = worker.run({ seed: 1 });
  await t.throwsAsync(worker.run({ seed: 2 }), { code: 'ERR_BUSY' });
  t.throws(() => worker.runSync({ seed: 2 }), { code: 'ERR_BUSY' });
  // ... and so is a rollout into its arrays, or a second plan sharing them.
  await t.throwsAsync(rollout({ game: noisy, policies: ['random', 'random'], batch: 4000, out: worker.trajectory }), {
    code: 'ERR_INVALID_ARGUMENT',
    message: /in use by a rollout that has not finished/,
  });
  // Dispose while the run is in flight: it finishes and resolves.
  worker.dispose();
  t.is(await first, worker.trajectory);
  t.deepEqual(bytes(worker.trajectory), bytes(await rollout({ game: noisy, policies: ['random', 'random'], batch: 4000, seed: 1 })));

  // A rollout in flight into a plan's arrays makes the plan's runs wait their turn.
  const shared = allocateTrajectory({ game: noisy, batch: 4000 });
  const sharing = new RolloutPlan({ game: noisy, policies: ['random', 'random'], batch: 4000, out: shared });
  const other = rollout({ game: noisy, policies: ['random', 'random'], batch: 4000, seed: 5, out: shared });
  await t.throwsAsync(sharing.run({ seed: 1 }), { code: 'ERR_BUSY' });
  t.throws(() => sharing.runSync({ seed: 1 }), { code: 'ERR_BUSY' });
  await other;
  await t.notThrowsAsync(sharing.run({ seed: 1 }));
  sharing.dispose();

  // A small scripted rollout (it runs before the call returns) into arrays a
  // plan's run off the event loop is writing.
  const learned = new RolloutPlan({ game: 'ipd', policies: [linear('ipd'), linear('ipd')], batch: 8 });
  t.false(learned.runsInline);
  const writing = learned.run({ seed: 1 });
  const small = { game: 'ipd', policies: ['random', 'random'], batch: 8, out: learned.trajectory } as const;
  await t.throwsAsync(rollout({ ...small, policies: [...small.policies] }), { code: 'ERR_INVALID_ARGUMENT', message: /in use by a rollout that has not finished/ });
  await writing;
  await t.notThrowsAsync(rollout({ ...small, policies: [...small.policies] }));
  learned.dispose();

  // Caller's arrays detached or shrunk after the plan was made.
  const mk = () => ({ ...allocateTrajectory({ game: 'ipd', batch: 8 }), rewards: new Float32Array(160) });
  const detached = mk();
  const p1 = new RolloutPlan({ game: 'ipd', policies: ['random', 'random'], batch: 8, out: detached });
  structuredClone(detached.rewards.buffer, { transfer: [detached.rewards.buffer] });
  t.throws(() => p1.runSync({ seed: 1 }), { code: 'ERR_INVALID_ARGUMENT', message: /options\.out\.rewards was detached or resized/ });
  await t.throwsAsync(p1.run({ seed: 1 }), { code: 'ERR_INVALID_ARGUMENT', message: /options\.out\.rewards was detached/ });
  p1.dispose();
  type Resizable = ArrayBuffer & { resize(bytes: number): void };
  const growable = new (ArrayBuffer as unknown as new (bytes: number, o: { maxByteLength: number }) => Resizable)(160 * 4, { maxByteLength: 320 * 4 });
  const shrunk = { ...allocateTrajectory({ game: 'ipd', batch: 8 }), logProbs: new Float32Array(growable) };
  // A resizable buffer could shrink under a plan that holds it: refused when the plan is made.
  t.throws(() => new RolloutPlan({ game: 'ipd', policies: ['random', 'random'], batch: 8, out: shrunk }), {
    code: 'ERR_INVALID_ARGUMENT',
    message: /options\.out\.logProbs is backed by a resizable ArrayBuffer/,
  });
});

test('the addon checks its own arguments and never crashes', (t) => {
  const n = native();
  const game = new Game('ipd');
  const p = scripted('random');
  const make = (policies: unknown[], options: unknown, result: unknown = {}, arrays: unknown = {}) =>
    new n.RolloutPlan(game.handle, policies as never, options as never, result as never, arrays as never);
  const h = make([p.handle, p.handle], { batch: 4 });
  t.is(h.runSync(1), undefined);
  for (const seed of [-1, 0.5, undefined, 'x', -2n, 2n ** 64n]) {
    t.throws(() => h.runSync(seed as never), { code: 'ERR_INVALID_ARGUMENT', message: /options\.seed/ });
  }
  t.throws(() => h.runSync.call({}, 1), { code: 'ERR_INVALID_ARGUMENT', message: /this must be an instance of RolloutPlan/ });
  t.throws(() => (n.RolloutPlan as unknown as () => void)(), { code: 'ERR_INVALID_ARGUMENT', message: /call it with new/ });
  t.throws(() => make([p.handle], { batch: 4 }), { code: 'ERR_INVALID_ARGUMENT', message: /policies must have one entry per agent/ });
  t.throws(() => make([p.handle, {}], { batch: 4 }), { code: 'ERR_INVALID_ARGUMENT', message: /policies\[1\] must be a Policy/ });
  t.throws(() => make([p.handle, p.handle], { batch: -4 }), { code: 'ERR_INVALID_ARGUMENT', message: /options\.batch/ });
  t.throws(() => make([p.handle, p.handle], { batch: 4 }, 5), { code: 'ERR_INVALID_ARGUMENT', message: /result/ });
  t.throws(() => make([p.handle, p.handle], { batch: 4, out: { observations: 1 } }), { code: 'ERR_INVALID_ARGUMENT', message: /options\.out/ });
  // A policy disposed under the plan.
  p.dispose();
  t.throws(() => h.runSync(1), { code: 'ERR_DISPOSED' });
  h.dispose();
  t.throws(() => h.runSync(1), { code: 'ERR_DISPOSED', message: /rollout plan was disposed/ });
  t.throws(() => h.run(1), { code: 'ERR_DISPOSED' });
  game.dispose();
});

test('gpu: a plan runs where rollout() would, and refuses \'cuda\' where rollout() does', async (t) => {
  const spec = { game: 'ipd', policies: ['random', 'tit-for-tat'], batch: 256 } as const;
  const cuda = engineInfo().cuda;
  if (!cuda.available) {
    t.throws(() => new RolloutPlan({ ...spec, policies: [...spec.policies], gpu: 'cuda' }), { code: 'ERR_BACKEND_UNAVAILABLE' });
  }
  // 'auto' below the GPU threshold, and false: the CPU, rollout()'s bits.
  for (const gpu of ['auto', false] as const) {
    const plan = new RolloutPlan({ ...spec, policies: [...spec.policies], gpu });
    t.deepEqual(bytes(await plan.run({ seed: 8 })), bytes(await rollout({ ...spec, policies: [...spec.policies], seed: 8, gpu })));
    plan.dispose();
  }
});

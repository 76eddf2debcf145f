/**
 * The pool of large result blocks: results that are still reachable are
 * never handed out again, whatever is dropped, collected and recycled around
 * them.
 */
import test from 'ava';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { credit } from '../src/credit.js';
import { allocateTrajectory, Game, rollout, scripted, resultPoolStats, trimResultPool } from '../src/index.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** Collects what nothing references and lets Node run the buffers' finalizers (they wait for a turn of the event loop). */
async function collect(): Promise<void> {
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((resolve) => setImmediate(resolve));
  }
}

const B = 256;
const T = 100; // [256, 100] floats = 100 KiB: past the pool's 64 KiB threshold

function inputs(seed: number): { own: Float32Array; others: Float32Array } {
  let s = seed >>> 0;
  const next = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32 - 0.5;
  };
  const own = new Float32Array(B * T).map(next);
  const others = new Float32Array(B * T).map(next);
  return { own, others };
}

/** The discounted AA credit from its definition: A¹_t + β·γ·(Σ_{k<t} γ^{t−k} A¹_k)·A²_t, summed directly. */
function expectedAa(own: Float32Array, others: Float32Array, beta: number, gamma: number): Float64Array {
  const out = new Float64Array(B * T);
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      let past = 0;
      for (let k = 0; k < t; k++) past += gamma ** (t - k) * own[b * T + k];
      out[b * T + t] = own[b * T + t] + beta * gamma * past * others[b * T + t];
    }
  }
  return out;
}

function assertClose(t: { fail(m: string): void; pass(): void }, got: Float32Array, want: Float64Array, what: string): void {
  for (let i = 0; i < want.length; i++) {
    if (!(Math.abs(got[i] - want[i]) <= 1e-4 + 1e-4 * Math.abs(want[i]))) {
      t.fail(`${what}: element ${i} is ${got[i]}, expected ${want[i]}`);
      return;
    }
  }
  t.pass();
}

test.serial('credits held alive keep their values while dropped results are recycled for new calls', async (t) => {
  const before = resultPoolStats();
  const cases = Array.from({ length: 6 }, (_, i) => inputs(100 + i));
  const wants = cases.map((c) => expectedAa(c.own, c.others, 0.7, 0.9));
  const call = (i: number) => credit.advantageAlignment({ ...cases[i], batch: B, steps: T, beta: 0.7, gamma: 0.9 });
  const held: Float32Array[] = [];
  for (let round = 0; round < 4; round++) {
    // Results made and dropped: their blocks go back to the pool once collected.
    for (let k = 0; k < 8; k++) call(k % cases.length);
    held.push(call(round));
    await collect();
    // Fresh calls now take recycled blocks; none of them may be a held result's.
    const again = Array.from({ length: 8 }, (_, k) => call((k + 1) % cases.length));
    for (let k = 0; k < again.length; k++) assertClose(t, again[k], wants[(k + 1) % cases.length], `new result ${k}`);
    for (let h = 0; h < held.length; h++) assertClose(t, held[h], wants[h], `held result ${h} after round ${round}`);
    const buffers = new Set([...held, ...again].map((a) => a.buffer));
    t.is(buffers.size, held.length + again.length, 'every live result has its own buffer');
  }
  const after = resultPoolStats();
  t.true(after.reused > before.reused, 'dropped results were recycled');
});

test.serial('rollout results held alive are not overwritten by later rollouts that recycle blocks', async (t) => {
  const game = new Game('ipd', { rounds: 10 });
  const players = [scripted('random', { p: 0.5 }), scripted('random', { p: 0.3 })];
  // 4096 × 10 × 2 × 5 floats of observations: megabytes, so engine-owned.
  const batch = 4096;
  const held: Array<{ actions: Int32Array; copy: Int32Array; rewards: Float32Array; rewardsCopy: Float32Array }> = [];
  const before = resultPoolStats();
  for (let round = 0; round < 3; round++) {
    for (let k = 0; k < 2; k++) await rollout({ game, policies: players, batch, seed: 1000 + k });
    const r = await rollout({ game, policies: players, batch, seed: round });
    held.push({ actions: r.actions, copy: r.actions.slice(), rewards: r.rewards, rewardsCopy: r.rewards.slice() });
    await collect();
    for (let k = 0; k < 2; k++) await rollout({ game, policies: players, batch, seed: 2000 + k });
    for (const h of held) {
      t.deepEqual(h.actions, h.copy);
      t.deepEqual(h.rewards, h.rewardsCopy);
    }
  }
  // Each held trajectory is the one its seed gives.
  for (let round = 0; round < held.length; round++) {
    const again = await rollout({ game, policies: players, batch, seed: round, out: allocateTrajectory({ game, batch }) });
    t.deepEqual(held[round].actions, again.actions);
  }
  t.true(resultPoolStats().reused > before.reused, 'dropped trajectories were recycled');
});

test.serial('trimResultPool frees the kept blocks and the pool keeps counting', async (t) => {
  credit.advantageAlignment({ ...inputs(1), batch: B, steps: T, beta: 1, gamma: 0.9 });
  await collect();
  t.true(resultPoolStats().keptBytes > 0);
  const freed = trimResultPool();
  t.true(freed > 0);
  const s = resultPoolStats();
  t.is(s.keptBytes, 0);
  t.is(s.keptBlocks, 0);
  t.is(trimResultPool(), 0);
});

test.serial('a synchronous loop that keeps its results is bounded: the pool refuses and the results stay correct', (t) => {
  const c = inputs(7);
  const want = expectedAa(c.own, c.others, 1, 0.9);
  const before = resultPoolStats();
  // 104 KiB blocks: 128 MiB of pooled results is 1260 of them.
  const held: Float32Array[] = [];
  for (let i = 0; i < 1400; i++) held.push(credit.advantageAlignment({ ...c, batch: B, steps: T, beta: 1, gamma: 0.9 }));
  t.true(resultPoolStats().refused > before.refused);
  assertClose(t, held[0], want, 'first');
  assertClose(t, held[held.length - 1], want, 'last');
});

test.serial('a synchronous loop gets the blocks of dropped results back at each collection, without yielding', async (t) => {
  await collect();
  if (!resultPoolStats().earlyReclaim) {
    t.log('this runtime can move a result\'s memory (ArrayBuffer.prototype.transfer): blocks come back on a turn of the event loop only');
    t.pass();
    return;
  }
  const c = inputs(11);
  const want = expectedAa(c.own, c.others, 0.5, 0.95);
  const call = () => credit.advantageAlignment({ ...c, batch: B, steps: T, beta: 0.5, gamma: 0.95 });
  const before = resultPoolStats();
  let last = call();
  for (let i = 1; i <= 200; i++) {
    if (i % 10 === 0) gc();
    last = call();
    if (i % 50 === 0) assertClose(t, last, want, `result ${i}`);
  }
  const after = resultPoolStats();
  // At most the ten results made between two collections (and the one
  // still held) ever need a new block; every other call reuses one.
  t.true(after.fresh - before.fresh <= 12, `fresh blocks: ${after.fresh - before.fresh}`);
  t.true(after.reclaimedEarly - before.reclaimedEarly >= 180, `taken back early: ${after.reclaimedEarly - before.reclaimedEarly}`);
  t.is(after.refused, before.refused);
  assertClose(t, last, want, 'last result');
});

test.serial('results held through synchronous collections keep their values while the dropped ones are recycled', (t) => {
  const cases = Array.from({ length: 5 }, (_, i) => inputs(300 + i));
  const wants = cases.map((c) => expectedAa(c.own, c.others, 1.3, 0.8));
  const call = (i: number) => credit.advantageAlignment({ ...cases[i], batch: B, steps: T, beta: 1.3, gamma: 0.8 });
  const before = resultPoolStats();
  const held: Array<{ result: Float32Array; which: number }> = [];
  for (let i = 0; i < 150; i++) {
    const which = (i * 7) % cases.length;
    const result = call(which);
    if (i % 4 === 0) held.push({ result, which });
    if (i % 5 === 4) gc();
    if (i % 50 === 49) {
      for (const h of held) assertClose(t, h.result, wants[h.which], `held result of case ${h.which} after call ${i}`);
    }
  }
  t.is(new Set(held.map((h) => h.result.buffer)).size, held.length, 'every held result has its own buffer');
  for (const h of held) assertClose(t, h.result, wants[h.which], `held result of case ${h.which}`);
  if (resultPoolStats().earlyReclaim) t.true(resultPoolStats().reclaimedEarly > before.reclaimedEarly, 'dropped results came back');
});

test.serial('a result passed on with structuredClone keeps its values after the original is collected and its block reused', (t) => {
  const c = inputs(21);
  const want = expectedAa(c.own, c.others, 0.9, 0.9);
  let original: Float32Array | undefined = credit.advantageAlignment({ ...c, batch: B, steps: T, beta: 0.9, gamma: 0.9 });
  const moved = new Float32Array(structuredClone(original.buffer, { transfer: [original.buffer as ArrayBuffer] }));
  original = undefined;
  const other = inputs(22);
  for (let i = 0; i < 30; i++) {
    if (i % 5 === 0) gc();
    credit.advantageAlignment({ ...other, batch: B, steps: T, beta: 0.9, gamma: 0.9 });
  }
  assertClose(t, moved, want, 'the structured clone');
});

test.serial('blocks come back by weak reference only where a result\'s memory cannot be moved to another ArrayBuffer', (t) => {
  const { earlyReclaim } = resultPoolStats();
  const transfer = (ArrayBuffer.prototype as { transfer?: unknown }).transfer;
  const result = credit.advantageAlignment({ ...inputs(5), batch: B, steps: T, beta: 1, gamma: 0.9 });
  if (typeof transfer !== 'function') {
    t.true(earlyReclaim, 'nothing can move the memory here');
  } else if (earlyReclaim) {
    t.throws(() => (transfer as (this: ArrayBuffer) => ArrayBuffer).call(result.buffer as ArrayBuffer));
  } else {
    t.pass();
  }
});

test.serial('a synchronous loop with no explicit collection gets blocks back from the collections V8 runs itself', (t) => {
  if (!resultPoolStats().earlyReclaim) {
    t.pass();
    return;
  }
  // Training-sized results: 1.6 MB each, 160 MB over the loop.
  const batch = 4096;
  const steps = 100;
  let s = 99;
  const next = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32 - 0.5;
  };
  const own = new Float32Array(batch * steps).map(next);
  const others = new Float32Array(batch * steps).map(next);
  const before = resultPoolStats();
  let last: Float32Array | undefined;
  for (let i = 0; i < 100; i++) last = credit.advantageAlignment({ own, others, batch, steps, beta: 0.8, gamma: 0.9 });
  const after = resultPoolStats();
  t.true(after.reclaimedEarly > before.reclaimedEarly, 'blocks came back during the loop');
  t.true(after.fresh - before.fresh < 100, `fresh blocks: ${after.fresh - before.fresh} of 100 calls`);
  // The first rows of the last result, from the definition.
  for (let b = 0; b < 8; b++) {
    for (let k = 0; k < steps; k++) {
      let past = 0;
      for (let j = 0; j < k; j++) past += 0.9 ** (k - j) * own[b * steps + j];
      const want = own[b * steps + k] + 0.8 * 0.9 * past * others[b * steps + k];
      if (!(Math.abs(last![b * steps + k] - want) <= 1e-4 + 1e-4 * Math.abs(want))) {
        t.fail(`row ${b}, step ${k}: ${last![b * steps + k]}, expected ${want}`);
        return;
      }
    }
  }
});

/** Element-wise equality, reporting the first difference (ava's deepEqual is slow on arrays this long). */
function sameArray(t: { fail(m: string): void; pass(): void }, got: ArrayLike<number>, want: ArrayLike<number>, what: string): void {
  if (got.length !== want.length) return t.fail(`${what}: ${got.length} elements, expected ${want.length}`);
  for (let i = 0; i < want.length; i++) {
    if (got[i] !== want[i]) return t.fail(`${what}: element ${i} is ${got[i]}, expected ${want[i]}`);
  }
  t.pass();
}

// Rollouts that run inline (scripted players, at most 2^16 agent-steps)
// settle their promise before the call returns, so a loop that awaits them
// never turns the event loop. 3276 × 10 × 2 × 5 floats of observations is
// past 1 MiB: engine-owned, from the pool.
const INLINE_BATCH = 3276;
const PAYOFF: Record<string, [number, number]> = { '0,0': [3, 3], '0,1': [0, 5], '1,0': [5, 0], '1,1': [1, 1] };

/** Tit-for-tat (second seat) from its definition, and the prisoner's dilemma payoffs (0 = cooperate). */
function checkTitForTat(t: { fail(m: string): void; pass(): void }, actions: Int32Array, rewards: Float32Array, what: string): void {
  for (let b = 0; b < INLINE_BATCH; b++) {
    for (let s = 0; s < 10; s++) {
      const i = (b * 10 + s) * 2;
      const want = s === 0 ? 0 : actions[i - 2];
      const pay = PAYOFF[`${actions[i]},${actions[i + 1]}`];
      if (actions[i + 1] !== want || pay === undefined || rewards[i] !== pay[0] || rewards[i + 1] !== pay[1]) {
        t.fail(`${what}: row ${b}, round ${s}: actions ${actions[i]},${actions[i + 1]} rewards ${rewards[i]},${rewards[i + 1]}`);
        return;
      }
    }
  }
  t.pass();
}

test.serial('fresh rollouts awaited in a loop that never yields get their blocks back at each collection', async (t) => {
  await collect();
  const game = new Game('ipd', { rounds: 10 });
  const players = [scripted('random', { p: 0.5 }), scripted('tit-for-tat')];
  const before = resultPoolStats();
  let last = await rollout({ game, policies: players, batch: INLINE_BATCH, seed: 0 });
  for (let i = 1; i <= 120; i++) {
    if (i % 10 === 0) gc();
    last = await rollout({ game, policies: players, batch: INLINE_BATCH, seed: i });
    if (i % 40 === 0) checkTitForTat(t, last.actions, last.rewards, `rollout ${i}`);
  }
  const after = resultPoolStats();
  // The same seed into arrays the caller allocated: another path to the same numbers.
  const again = await rollout({ game, policies: players, batch: INLINE_BATCH, seed: 120, out: allocateTrajectory({ game, batch: INLINE_BATCH }) });
  sameArray(t, last.observations, again.observations, 'last.observations');
  sameArray(t, last.actions, again.actions, 'last.actions');
  if (!after.earlyReclaim) {
    t.log('this runtime can move a result\'s memory: blocks come back on a turn of the event loop only');
    return;
  }
  // At most the ten trajectories made between two collections (and the one
  // still held) need a new block.
  t.true(after.fresh - before.fresh <= 12, `fresh blocks: ${after.fresh - before.fresh}`);
  t.true(after.reclaimedEarly - before.reclaimedEarly >= 100, `taken back early: ${after.reclaimedEarly - before.reclaimedEarly}`);
});

test.serial('fresh rollouts held through collections keep their values while the dropped ones are recycled', async (t) => {
  const game = new Game('ipd', { rounds: 10 });
  const players = [scripted('random', { p: 0.4 }), scripted('tit-for-tat')];
  const before = resultPoolStats();
  const held: Array<{ seed: number; observations: Float32Array; copy: Float32Array; actions: Int32Array; rewards: Float32Array }> = [];
  for (let i = 0; i < 60; i++) {
    const r = await rollout({ game, policies: players, batch: INLINE_BATCH, seed: 500 + i });
    if (i % 6 === 0) held.push({ seed: 500 + i, observations: r.observations, copy: r.observations.slice(), actions: r.actions, rewards: r.rewards });
    if (i % 5 === 4) gc();
  }
  t.is(new Set(held.map((h) => h.observations.buffer)).size, held.length, 'every held trajectory has its own buffer');
  for (const h of held) {
    sameArray(t, h.observations, h.copy, `held trajectory of seed ${h.seed}`);
    checkTitForTat(t, h.actions, h.rewards, `held trajectory of seed ${h.seed}`);
  }
  const out = allocateTrajectory({ game, batch: INLINE_BATCH });
  for (const h of [held[0], held[held.length - 1]]) {
    await rollout({ game, policies: players, batch: INLINE_BATCH, seed: h.seed, out });
    sameArray(t, h.observations, out.observations, `seed ${h.seed} against a rollout into out`);
  }
  if (resultPoolStats().earlyReclaim) t.true(resultPoolStats().reclaimedEarly > before.reclaimedEarly, 'dropped trajectories came back');
});

test.serial('a fresh trajectory dropped while a rollout off the event loop writes into it is not handed out before the rollout ends', async (t) => {
  const game = new Game('ipd', { rounds: 10 });
  const players = [scripted('random', { p: 0.5 }), scripted('tit-for-tat')];
  // Past 2^16 agent-steps: runs on a worker, leasing the arrays of `out`.
  const batch = 8192;
  const want = await rollout({ game, policies: players, batch, seed: 77, out: allocateTrajectory({ game, batch }) });
  const wantObs = want.observations.slice();
  let out: Awaited<ReturnType<typeof rollout>> | undefined = await rollout({ game, policies: players, batch, seed: 1 });
  const pending = rollout({ game, policies: players, batch, seed: 77, out });
  out = undefined;
  // Collections and fresh results of the same size while the worker writes.
  const others: Float32Array[] = [];
  for (let i = 0; i < 6; i++) {
    gc();
    others.push((await rollout({ game, policies: players, batch: INLINE_BATCH, seed: 900 + i })).observations);
  }
  const result = await pending;
  sameArray(t, result.observations, wantObs, 'result.observations');
  sameArray(t, result.actions, want.actions, 'result.actions');
});

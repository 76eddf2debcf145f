/**
 * A scripted-strategy IPD rollout (random(0.5) against tit-for-tat, 10
 * rounds) by the engine, beside the same loop written in plain TypeScript and
 * the C++ reference loop (the limit, one thread), all writing the same
 * trajectory arrays; at batch 64, 4096 and 262144, so that the cost per
 * agent-step shows from small batches to large ones. A RolloutPlan (checked
 * once, only a seed per run) runs beside rollout() with `out`: at small
 * batches the difference is the per-call cost of checking options and out.
 * A one-thread plan at every batch shows whether the cost per agent-step
 * stays flat from batch 64 to 262144 for the same work.
 */
import { allocateTrajectory, meanReturns, rollout, scripted, Game, RolloutPlan } from '../src/index.js';
import type { BenchSuite } from './suite.js';
import { Domain, uniform } from './baselines/philox.js';
import { allocate, observe, OBS_DIM, PAYOFF, type PlainTrajectory } from './baselines/ipd.js';
import { referenceAddon, referenceIpdRollout } from './reference/index.js';
import { xorshift32 } from './baselines/xorshift.js';

const ROUNDS = 10;
const P = 0.5;

/**
 * The idiomatic TypeScript version: the same rules, strategies and outputs.
 * `counter` draws the engine's counter-based numbers (so the trajectory is
 * identical to the engine's); otherwise a cheap sequential xorshift.
 */
function plainRollout(batch: number, rounds: number, p: number, seed: number, counter: boolean): PlainTrajectory {
  const A = 2, O = OBS_DIM;
  const t = allocate(batch, rounds);
  const xorshift = xorshift32(seed);
  const last = new Int32Array(batch).fill(-1);
  const h = -(p * Math.log(p) + (1 - p) * Math.log(1 - p));
  for (let round = 0; round < rounds; round++) {
    for (let b = 0; b < batch; b++) {
      const row = b * rounds + round;
      const joint = last[b];
      for (let a = 0; a < A; a++) observe(joint, a, t.observations, (row * A + a) * O);
      const u = counter ? uniform(seed, b, 0, round, Domain.scripted, 0) : xorshift();
      const c0 = u < p;
      const m0 = c0 ? 0 : 1;
      const m1 = joint < 0 ? 0 : joint >> 1; // tit-for-tat copies agent 0's last move
      const j = 2 * m0 + m1;
      t.actions[row * A] = m0;
      t.actions[row * A + 1] = m1;
      t.logProbs[row * A] = Math.log(c0 ? p : 1 - p);
      t.entropies[row * A] = h;
      t.rewards[row * A] = PAYOFF[2 * j];
      t.rewards[row * A + 1] = PAYOFF[2 * j + 1];
      t.mask[row] = 1;
      t.dones[row] = round === rounds - 1 ? 1 : 0;
      last[b] = j;
    }
  }
  return t;
}

const game = new Game('ipd', { rounds: ROUNDS });
const random = scripted('random', { p: P });
const tft = scripted('tit-for-tat');

function plainMeans(t: PlainTrajectory, batch: number): [number, number] {
  let r0 = 0, r1 = 0;
  for (let i = 0; i < t.rewards.length; i += 2) {
    r0 += t.rewards[i];
    r1 += t.rewards[i + 1];
  }
  return [r0 / batch, r1 / batch];
}

type Arrays = Pick<PlainTrajectory, 'observations' | 'actions' | 'rewards' | 'dones' | 'mask' | 'logProbs' | 'entropies'>;

/** Exact on the discrete arrays, to float rounding on logProbs and entropies (computed in double, stored in float). */
function assertSameTrajectory(what: string, got: Arrays, want: Arrays, keys: readonly (keyof Arrays)[]): void {
  for (const key of keys) {
    const a = got[key], b = want[key];
    if (a.length !== b.length) throw new Error(`${what}: ${key} has ${a.length} elements, expected ${b.length}`);
    const tol = key === 'logProbs' || key === 'entropies' ? 1e-6 : 0;
    for (let i = 0; i < a.length; i++) {
      if (!(Math.abs(a[i] - b[i]) <= tol)) throw new Error(`${what}: ${key}[${i}] is ${a[i]}, expected ${b[i]}`);
    }
  }
}

/** Mean returns of independent draws agree within a few standard errors (per-episode sd of the return is below 10). */
function assertCloseMeans(what: string, got: [number, number], want: [number, number], batch: number): void {
  const tol = Math.max(0.5, (6 * 10) / Math.sqrt(batch));
  for (let a = 0; a < 2; a++) {
    if (Math.abs(got[a] - want[a]) > tol) throw new Error(`${what}: mean return of seat ${a} is ${got[a]}, expected ${want[a]} ± ${tol}`);
  }
}

function rolloutSuite(batch: number, timing?: BenchSuite['timing']): BenchSuite {
  // Every call of every case draws from a new seed (never 0, which xorshift
  // cannot start from): with one fixed seed a small batch's few thousand
  // draws repeat call after call and the branch predictor learns them,
  // which made the loops that used one look about 1.6x faster at batch 64.
  let seed = 0;
  const next = () => ++seed;
  const native = () => rollout({ game, policies: [random, tft], batch, seed: next() });
  const nativeOneThread = () => rollout({ game, policies: [random, tft], batch, seed: next(), threads: 1 });
  // A trajectory refilled on every call: no fresh pages to fault in.
  const reused = allocateTrajectory({ game, batch });
  const nativeReused = () => rollout({ game, policies: [random, tft], batch, seed: next(), out: reused });
  // Made at first use: its trajectory is as large as `reused`.
  let plan: RolloutPlan | undefined;
  const planned = () => (plan ??= new RolloutPlan({ game, policies: [random, tft], batch }));
  // One thread at every batch: the cost per agent-step of the same work, so
  // that batch 64 and 262144 compare without the large batch's second thread.
  let planOne: RolloutPlan | undefined;
  const plannedOne = () => (planOne ??= new RolloutPlan({ game, policies: [random, tft], batch, threads: 1 }));
  // The reference writes into buffers the caller owns, made once.
  const out = allocate(batch, ROUNDS);
  return {
    name: `rollout, batch ${batch}`,
    description: `IPD rollout, random(${P}) vs tit-for-tat, batch ${batch} × ${ROUNDS} rounds, full trajectory arrays`,
    units: { count: 2 * batch * ROUNDS, name: 'agent-step' },
    timing,
    cases: [
      { name: 'plain TypeScript, same counter-based draws', baseline: true, fn: () => plainRollout(batch, ROUNDS, P, next(), true) },
      { name: 'plain TypeScript, xorshift draws', fn: () => plainRollout(batch, ROUNDS, P, next(), false) },
      { name: 'engine rollout (native)', fn: native },
      { name: 'engine rollout (native, 1 thread)', fn: nativeOneThread },
      { name: 'engine rollout, out reused', fn: nativeReused },
      { name: 'engine rollout plan, run()', fn: () => planned().run({ seed: next() }) },
      { name: 'engine rollout plan, runSync()', fn: () => planned().runSync({ seed: next() }) },
      { name: 'engine rollout plan, runSync(), 1 thread', fn: () => plannedOne().runSync({ seed: next() }) },
      { name: 'reference loop, xorshift draws (C++, 1 thread)', fn: () => referenceIpdRollout(out, batch, ROUNDS, P, next(), false) },
      { name: "reference loop, engine's draws (C++, 1 thread)", limit: true, fn: () => referenceIpdRollout(out, batch, ROUNDS, P, next(), true) },
    ],
    async check() {
      referenceAddon();
      // The counter-based TypeScript loop, the engine and the reference with the engine's draws: one trajectory.
      const engine = await rollout({ game, policies: [random, tft], batch, seed: 777 });
      const plain = plainRollout(batch, ROUNDS, P, 777, true);
      assertSameTrajectory('engine against TypeScript', engine, plain, ['observations', 'actions', 'rewards', 'dones', 'mask', 'logProbs']);
      // The plan's runs are rollout()'s, bit for bit.
      const viaPlan = await planned().run({ seed: 777 });
      for (const key of ['observations', 'actions', 'logProbs', 'entropies', 'rewards', 'dones', 'mask'] as const) {
        const bytes = (a: ArrayBufferView) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
        if (!bytes(viaPlan[key]).equals(bytes(engine[key]))) throw new Error(`rollout plan against rollout(): ${key} differs`);
      }
      const ref = referenceIpdRollout(allocate(batch, ROUNDS), batch, ROUNDS, P, 777, true);
      assertSameTrajectory('reference against TypeScript', ref, plain, ['observations', 'actions', 'rewards', 'dones', 'mask', 'logProbs', 'entropies']);
      // xorshift: other games, the same distribution.
      const m = meanReturns(engine);
      const means: [number, number] = [m[0], m[1]];
      assertCloseMeans('TypeScript with xorshift draws', plainMeans(plainRollout(batch, ROUNDS, P, 777, false), batch), means, batch);
      const refXs = referenceIpdRollout(allocate(batch, ROUNDS), batch, ROUNDS, P, 777, false);
      assertCloseMeans('reference with xorshift draws', plainMeans(refXs, batch), means, batch);
      assertSameTrajectory('reference with xorshift draws against its own rules', refXs, replay(refXs, batch), ['observations', 'rewards', 'dones', 'mask', 'logProbs', 'entropies']);
    },
  };
}

/**
 * The trajectory that seat 0's recorded moves imply under the rules (tit-for-tat
 * answers, payoffs, observations): checks a rollout whose draws nobody else shares.
 */
function replay(t: PlainTrajectory, batch: number): PlainTrajectory {
  const r = allocate(batch, ROUNDS);
  const h = -(P * Math.log(P) + (1 - P) * Math.log(1 - P));
  for (let b = 0; b < batch; b++) {
    let joint = -1;
    for (let round = 0; round < ROUNDS; round++) {
      const row = b * ROUNDS + round;
      for (let a = 0; a < 2; a++) observe(joint, a, r.observations, (row * 2 + a) * OBS_DIM);
      const m0 = t.actions[row * 2], m1 = joint < 0 ? 0 : joint >> 1;
      joint = 2 * m0 + m1;
      r.actions[row * 2] = m0;
      r.actions[row * 2 + 1] = m1;
      r.logProbs[row * 2] = Math.log(m0 === 0 ? P : 1 - P);
      r.entropies[row * 2] = h;
      r.rewards[row * 2] = PAYOFF[2 * joint];
      r.rewards[row * 2 + 1] = PAYOFF[2 * joint + 1];
      r.mask[row] = 1;
      r.dones[row] = round === ROUNDS - 1 ? 1 : 0;
    }
  }
  return r;
}

export default [
  rolloutSuite(64),
  rolloutSuite(4096),
  // A call of the TypeScript loops takes about a second here: one sample per round.
  rolloutSuite(262144, { time: 0, iterations: 7, warmupTime: 0, warmupIterations: 1 }),
];

/**
 * A scripted-strategy IPD rollout (random(0.5) against tit-for-tat, 10
 * rounds, batch 4096) by the native loop, beside the same loop written in
 * plain TypeScript, writing the same trajectory arrays.
 */
import { meanReturns, rollout, scripted, Game } from '../src/index.js';
import type { BenchSuite } from './suite.js';
import { Domain, uniform } from './baselines/philox.js';
import { allocate, observe, OBS_DIM, PAYOFF, type PlainTrajectory } from './baselines/ipd.js';

const BATCH = 4096;
const ROUNDS = 10;

/**
 * The idiomatic TypeScript version: the same rules, strategies and outputs.
 * `counter` draws the engine's counter-based numbers (so the trajectory is
 * identical to the engine's); otherwise a cheap sequential xorshift.
 */
function plainRollout(batch: number, rounds: number, p: number, seed: number, counter: boolean): PlainTrajectory {
  const A = 2, O = OBS_DIM;
  const t = allocate(batch, rounds);
  let s = seed | 1;
  const xorshift = () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 4294967296;
  };
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
const random = scripted('random', { p: 0.5 });
const tft = scripted('tit-for-tat');
let seed = 0;
const native = () => rollout({ game, policies: [random, tft], batch: BATCH, seed: seed++ });
const nativeOneThread = () => rollout({ game, policies: [random, tft], batch: BATCH, seed: seed++, threads: 1 });

function plainMeans(t: PlainTrajectory, batch: number): [number, number] {
  let r0 = 0, r1 = 0;
  for (let i = 0; i < t.rewards.length; i += 2) {
    r0 += t.rewards[i];
    r1 += t.rewards[i + 1];
  }
  return [r0 / batch, r1 / batch];
}

const rolloutSuite: BenchSuite = {
  name: 'rollout',
  description: `IPD rollout, random(0.5) vs tit-for-tat, batch ${BATCH} × ${ROUNDS} rounds, full trajectory arrays`,
  cases: [
    { name: 'plain TypeScript, same counter-based draws', baseline: true, fn: () => plainRollout(BATCH, ROUNDS, 0.5, 12345, true) },
    { name: 'plain TypeScript, xorshift draws', fn: () => plainRollout(BATCH, ROUNDS, 0.5, 12345, false) },
    { name: 'engine rollout (native)', fn: native },
    { name: 'engine rollout (native, 1 thread)', fn: nativeOneThread },
  ],
  async check() {
    // The counter-based TypeScript loop and the engine produce the same trajectory.
    const engine = await rollout({ game, policies: [random, tft], batch: BATCH, seed: 777 });
    const plain = plainRollout(BATCH, ROUNDS, 0.5, 777, true);
    for (const key of ['observations', 'actions', 'rewards', 'dones', 'mask'] as const) {
      const a = engine[key], b = plain[key];
      for (let i = 0; i < a.length; i++) {
        if (a[i] !== b[i]) throw new Error(`rollout ${key}[${i}] differs: engine ${a[i]}, TypeScript ${b[i]}`);
      }
    }
    for (let i = 0; i < plain.logProbs.length; i++) {
      if (Math.abs(engine.logProbs[i] - plain.logProbs[i]) > 1e-6) throw new Error(`logProbs[${i}] differs`);
    }
    const means = meanReturns(engine);
    const xs = plainMeans(plainRollout(BATCH, ROUNDS, 0.5, 777, false), BATCH);
    for (let a = 0; a < 2; a++) {
      if (Math.abs(means[a] - xs[a]) > 0.5) throw new Error(`rollout means disagree: ${means[a]} vs ${xs[a]}`);
    }
  },
};

export default [rolloutSuite];

/**
 * The engine's random numbers equal an independent TypeScript Philox4x32-10:
 * published known answers, and the draws behind random play and move noise.
 */
import test from 'ava';
import { philox4x32, uniform, Domain } from '../bench/baselines/philox.js';
import { makeEnv, rollout, scripted } from '../src/index.js';

test('the TypeScript Philox matches the published known answers', (t) => {
  t.deepEqual([...philox4x32(0, 0, 0, 0, 0, 0)], [0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8]);
  t.deepEqual(
    [...philox4x32(0xa4093822, 0x299f31d0, 0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344)],
    [0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1],
  );
});

test('random(p) moves are the counter-based draws of (seed, rollout, step, agent)', async (t) => {
  const seed = 123456789;
  const traj = await rollout({
    game: 'ipd',
    policies: [scripted('random', { p: 0.4 }), scripted('random', { p: 0.7 })],
    batch: 50,
    seed,
  });
  for (let b = 0; b < 50; b++) {
    for (let s = 0; s < 10; s++) {
      for (const [agent, p] of [[0, 0.4], [1, 0.7]] as const) {
        const u = uniform(seed, b, 0, s, Domain.scripted, agent);
        t.is(traj.actions[(b * 10 + s) * 2 + agent], u < p ? 0 : 1);
      }
    }
  }
});

test('move noise flips exactly where the environment stream draws below the noise level', (t) => {
  const seed = 31;
  const env = makeEnv('ipd', { noise: 0.3 }, { batch: 40, seed, streams: Array.from({ length: 40 }, (_, b) => 1000 + b) });
  env.reset();
  for (let s = 0; s < 10; s++) {
    const r = env.step(new Int32Array(80)).rewards; // both intend to cooperate
    for (let b = 0; b < 40; b++) {
      // Episode 1: reset() starts the second episode of every environment.
      const flip0 = uniform(seed, 1000 + b, 1, s, Domain.env, 0) < 0.3;
      const flip1 = uniform(seed, 1000 + b, 1, s, Domain.env, 1) < 0.3;
      const table: Record<string, [number, number]> = { '00': [3, 3], '01': [0, 5], '10': [5, 0], '11': [1, 1] };
      t.deepEqual([r[2 * b], r[2 * b + 1]], table[`${+flip0}${+flip1}`]);
    }
  }
});

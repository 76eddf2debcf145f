/**
 * One conformance suite run over every registered game (and parameter
 * variants): rewards sum to returns, lengths are bounded, clones and resets
 * are consistent, seeds reproduce and differ.
 */
import test from 'ava';
import { engineInfo, Game, makeEnv, type GameId, type Env } from '../src/index.js';

const variants: Record<string, Array<Record<string, unknown>>> = {
  matrix: [{}, { preset: 'chicken', noise: 0.1, continuation: 0.9, rounds: 30, history: 3 }],
  ipd: [{}, { noise: 0.2, continuation: 0.8, rounds: 25 }],
  'public-goods': [{}, { players: 3, levels: 4, rounds: 7, multiplier: 2 }],
  coin: [{}, { size: 4, rounds: 20, stay: true }, { width: 5, height: 2, reward: 0.5, penalty: 1 }],
  negotiation: [{}, { items: 1, levels: 10, rounds: 4, lowUtility: 2, highUtility: 7 }],
  split: [{}, { items: 2, units: 4, rounds: 3, lowValue: 0, highValue: 3 }],
  'trust-and-split': [
    {},
    { rounds: 3, coins: 4, highValue: 3, lowValue: 2, messages: ['take-4', 'claim-paper', 'none'], alternateSpeaker: false },
    { messages: 'silent', rounds: 1 },
  ],
};

// A small deterministic generator for the test's own random actions.
function lcg(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function randomActions(env: Env, rand: () => number): Int32Array {
  const a = new Int32Array(env.batch * env.info.agents);
  for (let i = 0; i < a.length; i++) a[i] = Math.floor(rand() * env.info.actions);
  return a;
}

interface Run {
  obs: number[];
  rewards: number[];
  dones: number[];
}

function play(env: Env, actions: Int32Array[]): Run {
  const run: Run = { obs: [...env.reset()], rewards: [], dones: [] };
  for (const a of actions) {
    const s = env.step(a);
    run.obs.push(...s.observations);
    run.rewards.push(...s.rewards);
    run.dones.push(...s.dones);
  }
  return run;
}

test('every registered game has conformance variants', (t) => {
  t.deepEqual(Object.keys(variants).sort(), [...engineInfo().games].sort());
});

for (const [id, list] of Object.entries(variants)) {
  list.forEach((params, k) => {
    const name = `${id} #${k}`;
    const batch = 64;

    test(`${name}: rewards sum to returns and every episode ends within maxSteps`, (t) => {
      const env = makeEnv(id as GameId, params as never, { batch, seed: 7 });
      const rand = lcg(1);
      env.reset();
      const sums = new Float64Array(batch * env.info.agents);
      for (let step = 0; step < env.info.maxSteps; step++) {
        const s = env.step(randomActions(env, rand));
        t.is(s.observations.length, batch * env.info.agents * env.info.obsDim);
        for (let i = 0; i < sums.length; i++) sums[i] += s.rewards[i];
      }
      t.true(env.dones().every((d) => d === 1), 'all episodes end by maxSteps');
      const steps = env.stepsTaken();
      t.true(steps.every((n) => n >= 1 && n <= env.info.maxSteps));
      const returns = env.returns();
      for (let i = 0; i < sums.length; i++) t.true(Math.abs(returns[i] - sums[i]) < 1e-3 * (1 + Math.abs(sums[i])));
      // Stepping a finished environment changes nothing.
      const after = env.step(randomActions(env, rand));
      t.true(after.rewards.every((r) => r === 0));
      t.deepEqual(env.returns(), returns);
      env.dispose();
    });

    test(`${name}: the same seed reproduces a run; clones and resets are consistent`, (t) => {
      const game = new Game(id as GameId, params);
      const rand = lcg(2);
      const proto = makeEnv(game, undefined, { batch, seed: 3 });
      const actions = Array.from({ length: game.info.maxSteps }, () => randomActions(proto, rand));
      const a = play(makeEnv(game, undefined, { batch, seed: 3 }), actions);
      const b = play(makeEnv(game, undefined, { batch, seed: 3 }), actions);
      t.deepEqual(a, b);

      // Clone halfway: both continue identically.
      const env = makeEnv(game, undefined, { batch, seed: 3 });
      env.reset();
      const half = Math.floor(actions.length / 2);
      for (let s = 0; s < half; s++) env.step(actions[s]);
      const copy = env.clone();
      t.deepEqual(copy.observe(), env.observe());
      t.deepEqual(copy.returns(), env.returns());
      for (let s = half; s < actions.length; s++) t.deepEqual(copy.step(actions[s]), env.step(actions[s]));
      // The copy is independent: stepping it does not move the original.
      copy.reset();
      t.notDeepEqual(copy.stepsTaken(), env.stepsTaken());
      // The n-th reset equals a fresh environment's n-th reset (draws are keyed by episode).
      const fresh = makeEnv(game, undefined, { batch, seed: 3 });
      fresh.reset();
      t.deepEqual(env.reset(), fresh.reset());
      game.dispose();
    });
  });
}

test('different seeds give different random events', (t) => {
  const run = (seed: number) => {
    const env = makeEnv('ipd', { noise: 0.3 }, { batch: 32, seed });
    env.reset();
    return [...env.step(new Int32Array(64)).rewards];
  };
  t.deepEqual(run(1), run(1));
  t.notDeepEqual(run(1), run(2));
});

test('environments with equal streams share their random events', (t) => {
  const streams = new Uint32Array([0, 0, 5, 5]);
  const env = makeEnv('ipd', { noise: 0.4, rounds: 50 }, { batch: 4, seed: 9, streams });
  env.reset();
  let same = true;
  let differ = false;
  for (let s = 0; s < 50; s++) {
    const r = env.step(new Int32Array(8)).rewards;
    same &&= r[0] === r[2] && r[1] === r[3] && r[4] === r[6] && r[5] === r[7];
    differ ||= r[0] !== r[4];
  }
  t.true(same);
  t.true(differ);
});

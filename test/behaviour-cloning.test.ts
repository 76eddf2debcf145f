import test from 'ava';
import { behaviourClone, pairEpisodes, rollout, scripted, Trainer } from '../src/index.js';

// The IPD's observation (memory 1) is one-hot over five states: start, then
// the last joint move CC, CD, DC, DD from the observer's side; a one-block
// table has one row of two logits (cooperate, defect) per state.
const STATES = 5;
const softmax0 = (z0: number, z1: number) => 1 / (1 + Math.exp(z1 - z0));
const state = (obs: Float32Array, at: number) => {
  let best = 0;
  for (let i = 1; i < STATES; i++) if (obs[at + i] > obs[at + best]) best = i;
  return best;
};

test('pairEpisodes splits episodes in proportion to w_i·w_j, largest remainders first', (t) => {
  t.deepEqual(pairEpisodes([1, 1, 2], 16), [1, 1, 2, 1, 1, 2, 2, 2, 4]);
  // [1, 2] over 10: exact 10/9, 20/9, 20/9, 40/9 -> floors 1, 2, 2, 4 and the one left to 40/9 (remainder 4/9).
  t.deepEqual(pairEpisodes([1, 2], 10), [1, 2, 2, 5]);
  t.deepEqual(pairEpisodes([3], 7), [7]);
});

test('fitActions: at a zero table the loss is ln 2 and one Adam step moves the taken action’s logit up by lr', async (t) => {
  const trainer = Trainer.create({ game: { id: 'ipd' }, policy: { kind: 'tabular' }, lr: 0.01, batch: 1 });
  try {
    // Two sequences of 10 steps, each C at the start (state 0) then D in state 1.
    const T = 10, observations = new Float32Array(2 * T * STATES), actions = new Int32Array(2 * T);
    for (let b = 0; b < 2; b++) {
      for (let s = 0; s < T; s++) {
        observations[(b * T + s) * STATES + (s === 0 ? 0 : 1)] = 1;
        actions[b * T + s] = s > 0 ? 1 : 0;
      }
    }
    const m = await trainer.fitActions({ observations, actions, sequences: 2, steps: T });
    t.true(Math.abs(m.loss - Math.log(2)) < 1e-6, `loss ${m.loss}`);
    t.is(m.liveRows, 20);
    t.is(trainer.iteration, 0);
    const p = trainer.params();
    // Adam's first step moves each parameter by lr·g/|g|: row 0 (start) towards C, row 1 towards D, the rest not at all.
    const want = [0.01, -0.01, -0.01, 0.01, 0, 0, 0, 0, 0, 0];
    for (let i = 0; i < want.length; i++) t.true(Math.abs(p[i] - want[i]) < 1e-5, `params[${i}] ${p[i]}, want ${want[i]}`);
    // Masked rows and padding (-1) do not count.
    const mask = new Uint8Array(2 * T).fill(1);
    mask[0] = 0;
    actions[T] = -1;
    t.is((await trainer.fitActions({ observations, actions, mask, sequences: 2, steps: T })).liveRows, 18);
    await t.throwsAsync(trainer.fitActions({ observations, actions: new Int32Array(3), sequences: 2, steps: T }), {
      code: 'ERR_INVALID_ARGUMENT',
      message: /data\.actions/,
    });
    await t.throwsAsync(trainer.fitActions({ observations, actions, sequences: 0, steps: T }), { message: /data\.sequences/ });
    actions.fill(2);
    await t.throwsAsync(trainer.fitActions({ observations, actions, sequences: 2, steps: T }), { code: 'ERR_INVALID_ARGUMENT' });
  } finally {
    trainer.dispose();
  }
});

test('behaviourClone: a cloned table gives each state the mixture’s empirical action frequencies', async (t) => {
  const random = scripted('random', { p: 0.3 });
  const mixture = [
    { policy: 'tit-for-tat' as const, weight: 1 },
    { policy: random, weight: 1 },
    { policy: 'always-cooperate' as const, weight: 2 },
  ];
  try {
    const { params, history } = await behaviourClone({
      config: { game: { id: 'ipd' }, policy: { kind: 'tabular' }, lr: 0.05, seed: 3 },
      mixture,
      steps: 300,
      episodes: 128,
    });
    t.is(history.length, 300);
    t.true(history[299].loss < history[0].loss);
    // At the start the seat's agent is drawn by weight: P(C) = (1·1 + 1·0.3 + 2·1) / 4 = 0.825.
    t.true(Math.abs(softmax0(params[0], params[1]) - 0.825) < 0.03, `start: ${softmax0(params[0], params[1])}`);
    // Every state against the frequencies of an independent, larger sample of the same mixture.
    const counts = Array.from({ length: STATES }, () => [0, 0]);
    const per = pairEpisodes([1, 1, 2], 8000);
    for (let k = 0; k < 9; k++) {
      const traj = await rollout({
        game: 'ipd',
        policies: [mixture[Math.floor(k / 3)].policy, mixture[k % 3].policy],
        batch: per[k],
        seed: 1000 + k,
      });
      for (let i = 0; i < traj.batch * traj.steps; i++) {
        if (!traj.mask[i]) continue;
        for (let a = 0; a < 2; a++) counts[state(traj.observations, (i * 2 + a) * STATES)][traj.actions[i * 2 + a]]++;
      }
    }
    let checked = 0;
    for (let s = 0; s < STATES; s++) {
      const n = counts[s][0] + counts[s][1];
      if (n < 2000) continue;
      const want = counts[s][0] / n, got = softmax0(params[2 * s], params[2 * s + 1]);
      t.true(Math.abs(got - want) < 0.03, `state ${s}: cloned ${got.toFixed(3)}, empirical ${want.toFixed(3)} over ${n}`);
      checked++;
    }
    t.is(checked, STATES);
  } finally {
    random.dispose();
  }
});

test('behaviourClone is deterministic for a seed and names bad options', async (t) => {
  const options = {
    config: { game: { id: 'ipd' as const }, policy: { kind: 'tabular' as const }, lr: 0.05, seed: 5 },
    mixture: [
      { policy: 'tit-for-tat' as const, weight: 1 },
      { policy: 'always-defect' as const, weight: 1 },
    ],
    steps: 5,
    episodes: 16,
  };
  const a = await behaviourClone(options);
  const b = await behaviourClone({ ...options, config: { ...options.config, threads: 1 } });
  t.deepEqual(a.params, b.params);
  await t.throwsAsync(behaviourClone({ ...options, steps: 0 }), { code: 'ERR_INVALID_ARGUMENT', message: /options\.steps/ });
  await t.throwsAsync(behaviourClone({ ...options, mixture: [] }), { message: /options\.mixture/ });
  await t.throwsAsync(behaviourClone({ ...options, mixture: [{ policy: 'tit-for-tat', weight: 0 }] }), {
    message: /options\.mixture\[0\]\.weight/,
  });
  await t.throwsAsync(behaviourClone({ ...options, mixture: [{ policy: 'liar', weight: 1 }] }), { code: 'ERR_UNSUPPORTED' });
});

import test, { type ExecutionContext } from 'ava';
import {
  evaluate,
  negotiationMetrics,
  negotiationMetricsFromStats,
  type NegotiationMetrics,
  splittingMetrics,
  splittingMetricsFromStats,
  rollout,
  scripted,
  strategiesFor,
  STRATEGIES,
  tournament,
  train,
  TRUST_AND_SPLIT_STRATEGIES,
  TWO_ACTION_STRATEGIES,
  type Trajectory,
} from '../src/index.js';

// Default trust-and-split: 10 rounds of steps A, B (messages) and C
// (proposals); 10 coins; the winner's coins are worth 10, the loser's 1.
// Observations start with the agent's own hand, one-hot (rock, paper, scissors).
const GAME = 'trust-and-split' as const;
const beats = (a: number, b: number) => (a - b + 3) % 3 === 1;

/** Hands of both agents in episode b, round r, read from the proposal step's observations. */
function hands(t: Trajectory, b: number, r: number): [number, number] {
  const step = 3 * r + 2;
  const hand = (agent: number) => {
    const o = ((b * t.steps + step) * t.agents + agent) * t.obsDim;
    return [0, 1, 2].find((h) => t.observations[o + h] === 1)!;
  };
  return [hand(0), hand(1)];
}

/** Episode b's return per agent. */
function episodeReturns(t: Trajectory, b: number): [number, number] {
  const out: [number, number] = [0, 0];
  for (let s = 0; s < t.steps; s++) for (let a = 0; a < 2; a++) out[a] += t.rewards[(b * t.steps + s) * 2 + a];
  return out;
}

/** The proposal each agent made in episode b, round r (proposal x is action 9 + x with the default vocabulary). */
function proposals(t: Trajectory, b: number, r: number): [number, number] {
  const i = (b * t.steps + 3 * r + 2) * 2;
  return [t.actions[i] - 9, t.actions[i + 1] - 9];
}

/** Payoffs of one round by the rules: q_i = 10 x_i / max(10, x_0 + x_1) coins at the agent's value. */
function roundPayoffs(h: [number, number], x: [number, number]): [number, number] {
  const total = Math.max(10, x[0] + x[1]);
  const v = (a: number) => (beats(h[a], h[1 - a]) ? 10 : 1);
  return [(v(0) * 10 * x[0]) / total, (v(1) * 10 * x[1]) / total];
}

const close = (a: number, b: number, eps = 1e-3) => Math.abs(a - b) <= eps;

/**
 * Every episode's proposals are `expected(b, r)` round by round, and its
 * returns are what those proposals earn by the hand-written round payoffs.
 */
function checkSplits(t: ExecutionContext, traj: Trajectory, expected: (b: number, r: number) => [number, number]): void {
  for (let b = 0; b < traj.batch; b++) {
    const want: [number, number] = [0, 0];
    for (let r = 0; r < 10; r++) {
      const x = expected(b, r);
      t.deepEqual(proposals(traj, b, r), x);
      const p = roundPayoffs(hands(traj, b, r), x);
      want[0] += p[0];
      want[1] += p[1];
    }
    const got = episodeReturns(traj, b);
    t.true(close(got[0], want[0]) && close(got[1], want[1]), `episode ${b}: ${got} vs ${want}`);
  }
}

test('the trust-and-split agents join the strategy list; strategiesFor picks by game', (t) => {
  t.deepEqual([...TRUST_AND_SPLIT_STRATEGIES], ['greedy-splitter', 'welfare-splitter', 'honest-reciprocator', 'liar']);
  t.deepEqual([...STRATEGIES], [...TWO_ACTION_STRATEGIES, ...TRUST_AND_SPLIT_STRATEGIES]);
  t.deepEqual(strategiesFor('trust-and-split'), TRUST_AND_SPLIT_STRATEGIES);
  t.deepEqual(strategiesFor('ipd'), TWO_ACTION_STRATEGIES);
  for (const name of TRUST_AND_SPLIT_STRATEGIES) {
    const p = scripted(name);
    t.is(p.name, name);
    p.dispose();
    t.throws(() => scripted(name, { p: 1 } as never), { code: 'ERR_INVALID_PARAM' });
  }
});

test('trust-and-split agents reject the IPD and two-action strategies reject trust-and-split, naming the game', async (t) => {
  for (const name of TRUST_AND_SPLIT_STRATEGIES) {
    const e = await t.throwsAsync(rollout({ game: 'ipd', policies: [name, 'tit-for-tat'], batch: 1 }), { code: 'ERR_UNSUPPORTED' });
    t.regex(e!.message, /'ipd'/);
    t.regex(e!.message, new RegExp(name));
  }
  for (const name of TWO_ACTION_STRATEGIES) {
    const e = await t.throwsAsync(rollout({ game: GAME, policies: ['liar', name], batch: 1 }), { code: 'ERR_UNSUPPORTED' });
    t.regex(e!.message, /'trust-and-split'/);
  }
});

test('greedy vs greedy: both propose 10 every round, 5 coins each: winner 50, loser 5 per round', async (t) => {
  const traj = await rollout({ game: GAME, policies: ['greedy-splitter', 'greedy-splitter'], batch: 32, seed: 4 });
  for (let b = 0; b < traj.batch; b++) {
    const want: [number, number] = [0, 0];
    for (let r = 0; r < 10; r++) {
      t.deepEqual(proposals(traj, b, r), [10, 10]);
      const h = hands(traj, b, r);
      want[0] += beats(h[0], h[1]) ? 50 : 5;
      want[1] += beats(h[1], h[0]) ? 50 : 5;
    }
    const got = episodeReturns(traj, b);
    t.true(close(got[0], want[0]) && close(got[1], want[1]), `episode ${b}: ${got} vs ${want}`);
    t.true(close(got[0] + got[1], 550));
  }
  const m = splittingMetrics(traj);
  t.true(close(m.splitEfficiency, 0.55, 1e-9));
  t.is(m.agreementRate, 0);
  t.deepEqual(m.claimsPerEpisode, [0, 0]);
  t.true(Number.isNaN(m.honestyOverall));
  t.is(m.rounds, 10);
  t.true(close(m.welfare, 550) && close(m.maxWelfare, 1000));
  // Log-probabilities and entropies of deterministic agents are 0.
  t.true(traj.logProbs.every((x) => x === 0) && traj.entropies.every((x) => x === 0));
});

test('honest reciprocator vs itself: honest claims, all coins to the winner: efficiency 1, honesty 1', async (t) => {
  const traj = await rollout({ game: GAME, policies: ['honest-reciprocator', 'honest-reciprocator'], batch: 32, seed: 5 });
  for (let b = 0; b < traj.batch; b++) {
    const want: [number, number] = [0, 0];
    for (let r = 0; r < 10; r++) {
      const h = hands(traj, b, r);
      const w0 = beats(h[0], h[1]);
      t.deepEqual(proposals(traj, b, r), w0 ? [10, 0] : [0, 10]);
      want[w0 ? 0 : 1] += 100;
    }
    t.deepEqual(episodeReturns(traj, b), want);
  }
  const m = splittingMetrics(traj);
  t.is(m.splitEfficiency, 1);
  t.deepEqual(m.honesty, [1, 1]);
  t.is(m.honestyOverall, 1);
  t.is(m.agreementRate, 1);
  t.deepEqual(m.claimsPerEpisode, [10, 10]);
  t.true(close(m.payoff[0] + m.payoff[1], 1000));
});

test('welfare splitter vs greedy splitter: no claim from greedy, so 5 against 10: 3.33 and 6.67 coins', async (t) => {
  const traj = await rollout({ game: GAME, policies: ['welfare-splitter', 'greedy-splitter'], batch: 16, seed: 6 });
  checkSplits(t, traj, () => [5, 10]);
});

test('honest reciprocator vs greedy splitter: half without a claim, all coins the round after greedy lost and grabbed', async (t) => {
  const traj = await rollout({ game: GAME, policies: ['honest-reciprocator', 'greedy-splitter'], batch: 16, seed: 7 });
  checkSplits(t, traj, (b, r) => {
    // After a round greedy lost (and proposed 10: a grab), the reciprocator asks for all coins.
    const grabbed = r > 0 && beats(...hands(traj, b, r - 1));
    return [grabbed ? 10 : 5, 10];
  });
});

test('liar vs honest reciprocator: the liar claims against the truth; its honesty is below 1, the other stays at 1', async (t) => {
  const traj = await rollout({ game: GAME, policies: ['liar', 'honest-reciprocator'], batch: 64, seed: 8 });
  const m = splittingMetrics(traj);
  t.deepEqual(m.claimsPerEpisode, [10, 10]);
  t.true(m.honesty[0] < 1, `liar honesty ${m.honesty[0]}`);
  t.is(m.honesty[1], 1);
  for (let b = 0; b < traj.batch; b++) for (let r = 0; r < 10; r++) t.is(proposals(traj, b, r)[0], 10);
  // Speaking first (agent 0 in even rounds) the liar always lies: it claims the hand beating its own.
  for (let b = 0; b < traj.batch; b++) {
    for (let r = 0; r < 10; r += 2) {
      const h = hands(traj, b, r)[0];
      t.is(traj.actions[(b * traj.steps + 3 * r) * 2], (h + 1) % 3);
    }
  }
});

test('tournament and evaluate run the trust-and-split agents; exploitability is NaN outside two-action games', async (t) => {
  const result = await tournament({ game: GAME, players: [...TRUST_AND_SPLIT_STRATEGIES], repetitions: 16, seed: 1 });
  t.is(result.ranking.length, 4);
  const g = TRUST_AND_SPLIT_STRATEGIES.indexOf('greedy-splitter');
  t.true(close(result.payoff[g][g] + result.opponentPayoff[g][g], 550));
  const policy = scripted('honest-reciprocator');
  const e = await evaluate({ game: GAME, policy, batch: 16 });
  policy.dispose();
  t.deepEqual(e.matches.map((m) => m.opponent), [...TRUST_AND_SPLIT_STRATEGIES]);
  t.is(e.selfPlay.collective, 1000);
  t.true(Number.isNaN(e.exploitability));
});

test('metrics from hand-made statistics', (t) => {
  const names = ['claims_true_0', 'claims_true_1', 'claims_0', 'claims_1', 'welfare', 'max_welfare', 'agreements', 'rounds_played'];
  // Per episode: agent 0 made 4 claims, 3 true; agent 1 made 5, all true; welfare 550 of 1000 points
  // (stored x 100); 2 of 10 rounds agreed.
  const m = splittingMetricsFromStats(names, [3, 5, 4, 5, 55000, 100000, 2, 10], [300, 250]);
  t.is(m.splitEfficiency, 0.55);
  t.deepEqual(m.honesty, [0.75, 1]);
  t.is(m.honestyOverall, 8 / 9);
  t.is(m.agreementRate, 0.2);
  t.deepEqual(m.payoff, [300, 250]);
  t.is(m.welfare, 550);
  t.is(m.maxWelfare, 1000);
  const none = splittingMetricsFromStats(names, [0, 2, 0, 2, 0, 0, 0, 0]);
  t.true(Number.isNaN(none.honesty[0]));
  t.is(none.honesty[1], 1);
  t.true(Number.isNaN(none.splitEfficiency) && Number.isNaN(none.agreementRate));
  t.deepEqual(none.payoff, []);
  t.throws(() => splittingMetricsFromStats(['own_coins_0'], [1]), { code: 'ERR_UNSUPPORTED', message: /welfare/ });
  t.throws(() => splittingMetricsFromStats(names, [1, 2]), { code: 'ERR_INVALID_ARGUMENT' });
});

test('the former negotiation* names still give the splitting metrics', (t) => {
  const names = ['welfare', 'max_welfare', 'agreements', 'rounds_played'];
  // welfare 300 of 600 points (stored x 100), 3 of 4 rounds agreed.
  const old: NegotiationMetrics = negotiationMetricsFromStats(names, [30000, 60000, 3, 4]);
  t.is(old.splitEfficiency, 0.5);
  t.is(old.agreementRate, 0.75);
  t.is(negotiationMetrics, splittingMetrics);
  t.is(negotiationMetricsFromStats, splittingMetricsFromStats);
});

test("metrics from a training iteration's game statistics", async (t) => {
  const { trainer, history } = await train({
    game: { id: GAME },
    algorithm: 'naive',
    policy: { kind: 'mlp', hidden: [8] },
    iterations: 1,
    batch: 16,
    groupSize: 8,
    seed: 1,
  });
  try {
    const m = splittingMetricsFromStats(trainer.statNames, history[0].gameStats, history[0].meanReturn);
    t.true(m.splitEfficiency > 0 && m.splitEfficiency <= 1);
    t.is(m.rounds, 10);
    t.is(m.payoff.length, 2);
    t.true(close(m.payoff[0] + m.payoff[1], m.welfare, 0.05));
  } finally {
    trainer.dispose();
  }
});

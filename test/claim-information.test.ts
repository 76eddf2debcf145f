import test from 'ava';
import { claimInformation, mutualInformationBits, splittingMetrics, splittingMetricsFromStats, rollout } from '../src/index.js';

const GAME = 'trust-and-split' as const;
const close = (a: number, b: number, eps = 1e-9) => Math.abs(a - b) <= eps;

/** Entropy in bits of the speakers' hands at message steps, counted straight from the observations (own hand at 0..2, phase at 3..5). */
function handEntropyAtMessages(t: Awaited<ReturnType<typeof rollout>>, agent: number): number {
  const counts = [0, 0, 0];
  for (let i = 0; i < t.batch * t.steps; i++) {
    const o = (i * t.agents + agent) * t.obsDim;
    const phase = [0, 1, 2].find((k) => t.observations[o + 3 + k] === 1)!;
    const first = t.observations[o + 6] === 1;
    if (t.mask[i] && ((phase === 0 && first) || (phase === 1 && !first))) counts[[0, 1, 2].find((h) => t.observations[o + h] === 1)!]++;
  }
  const n = counts.reduce((a, b) => a + b, 0);
  return -counts.reduce((s, c) => s + (c > 0 ? (c / n) * Math.log2(c / n) : 0), 0);
}

test('mutualInformationBits of a hand-computed table: H(hand) − H(hand | message)', (t) => {
  // Message 0 always with rock (2 times); message 1 with paper or scissors (once each):
  // H(hand) = H(1/2, 1/4, 1/4) = 1.5 bits, H(hand | message) = 1/2 · 0 + 1/2 · 1 = 0.5 bit.
  t.true(close(mutualInformationBits(new Map([[0, [2, 0, 0]], [1, [0, 1, 1]]])), 1));
  // Independent message and hand: 0 bits.
  t.true(close(mutualInformationBits(new Map([[0, [1, 2, 3]], [5, [2, 4, 6]]])), 0));
  t.true(Number.isNaN(mutualInformationBits(new Map())));
});

test('honest claims tell the whole hand, a take-all says nothing, the liar lies but still tells', async (t) => {
  const honest = await rollout({ game: GAME, policies: ['honest-reciprocator', 'welfare-splitter'], batch: 256, seed: 9 });
  const h = claimInformation(honest);
  // A message that is a one-to-one function of the hand carries all of the hand's (empirical) entropy.
  for (const a of [0, 1]) t.true(close(h.perAgent[a], handEntropyAtMessages(honest, a), 1e-9), `agent ${a}: ${h.perAgent[a]}`);
  t.true(h.overall > 1.58);
  const m = splittingMetrics(honest);
  t.is(m.claimInformation, h.overall);
  t.is(m.honestyOverall, 1);

  const greedy = splittingMetrics(await rollout({ game: GAME, policies: ['greedy-splitter', 'greedy-splitter'], batch: 64, seed: 9 }));
  t.is(greedy.claimInformation, 0);

  // The liar speaking first claims the hand that beats its own: never true, fully informative.
  // Against the greedy splitter (which claims nothing) it always speaks with that rule.
  const liar = await rollout({ game: GAME, policies: ['liar', 'greedy-splitter'], batch: 256, seed: 9 });
  const ml = splittingMetrics(liar);
  t.is(ml.honesty[0], 0);
  t.true(close(ml.claimInformationPerAgent[0], handEntropyAtMessages(liar, 0), 1e-9));
  t.is(ml.claimInformationPerAgent[1], 0);
});

test('from statistics alone the information is unknown', (t) => {
  const names = ['claims_true_0', 'claims_true_1', 'claims_0', 'claims_1', 'welfare', 'max_welfare', 'agreements', 'rounds_played'];
  const m = splittingMetricsFromStats(names, [3, 5, 4, 5, 55000, 100000, 2, 10]);
  t.true(Number.isNaN(m.claimInformation));
  t.deepEqual(m.claimInformationPerAgent.map(Number.isNaN), [true, true]);
});

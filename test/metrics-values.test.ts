/** The numbers a native iteration returns, read into IterationMetrics by their documented layout. */
import test from 'ava';
import { metricsFromValues } from '../src/train/metrics.js';
import { Trainer } from '../src/index.js';

test('three agents and two game statistics: every field from its place', (t) => {
  const v = Float64Array.from([7, 1, 4, 0.5, -1.25, 0, 0.1, 2.5, 3, 0.75, 3, 10, 11, 12, 0.2, 0.3, 0.4, 2, 5.5, 6.5]);
  t.deepEqual(metricsFromValues(v, 0.01), {
    iteration: 7,
    bufferOpponent: true,
    bufferSize: 4,
    entropy: 0.5,
    policyLoss: -1.25,
    kl: 0,
    clippedFraction: 0.1,
    gradNorm: 2.5,
    criticLoss: 3,
    creditAbsMean: 0.75,
    meanReturn: [10, 11, 12],
    action0Rate: [0.2, 0.3, 0.4],
    gameStats: [5.5, 6.5],
    seconds: 0.01,
  });
});

test('a trainer step reports one number per agent and per game statistic', async (t) => {
  const trainer = Trainer.create({ game: { id: 'public-goods', params: { players: 3, rounds: 4 } }, policy: { kind: 'tabular' }, batch: 16, seed: 2 });
  const m = await trainer.step();
  t.is(m.iteration, 0);
  t.is(m.meanReturn.length, 3);
  t.is(m.action0Rate.length, 3);
  t.is(m.gameStats.length, trainer.statNames.length);
  for (const x of [...m.meanReturn, ...m.action0Rate, ...m.gameStats, m.entropy, m.gradNorm]) t.true(Number.isFinite(x));
  t.is(typeof m.bufferOpponent, 'boolean');
  trainer.dispose();
});

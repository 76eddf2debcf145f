/**
 * The iterated-game recipe's settings as derived from the game: memory and
 * learning rate from its noise, γ and β from its horizon and payoff range.
 */
import test from 'ava';
import { DEFAULT_KNOBS, iteratedGameRecipe } from '../src/index.js';

const pd = (params: Record<string, unknown>) => ({ id: 'matrix' as const, params: { payoffs: [3, 3, 0, 5, 5, 0, 1, 1], ...params } });

test('a noiseless game gets a memory-1 table; a noisy one a memory-3 table at the noisy learning rate', (t) => {
  const quiet = iteratedGameRecipe(pd({ rounds: 10 }));
  t.deepEqual(quiet.policy, { kind: 'tabular' });
  t.is(quiet.game?.params?.history, undefined);
  t.is(quiet.lr, DEFAULT_KNOBS.lr);
  const noisy = iteratedGameRecipe(pd({ rounds: 10, noise: 0.05 }));
  t.deepEqual(noisy.policy, { kind: 'tabular', blocks: 3 });
  t.is(noisy.game?.params?.history, 3);
  t.is(noisy.lr, DEFAULT_KNOBS.noisyLr);
  // Training noise makes the trained game noisy too.
  const trained = iteratedGameRecipe(pd({ rounds: 10 }), { knobs: { trainNoise: 0.02 } });
  t.is(trained.game?.params?.noise, 0.02);
  t.is(trained.game?.params?.history, 3);
});

test('γ and β follow the horizon and the payoff range (hand values)', (t) => {
  // 25 rounds, T − S = 5: γ = 1 − 1/25 = 0.96, β = 50 / (5 · 25) = 0.4.
  const c = iteratedGameRecipe(pd({ rounds: 25 }));
  t.true(Math.abs((c.gamma ?? 0) - 0.96) < 1e-12);
  t.true(Math.abs((c.beta ?? 0) - 0.4) < 1e-12);
  // Continuation 0.9 capped at 10: horizon (1 − 0.9^10) / 0.1 ≈ 6.513, so γ = max(0.9, 1 − 1/6.513) = 0.9.
  const r = iteratedGameRecipe(pd({ rounds: 10, continuation: 0.9 }));
  t.is(r.gamma, 0.9);
  t.true(Math.abs((r.beta ?? 0) - 50 / (5 * ((1 - 0.9 ** 10) / 0.1))) < 1e-9);
});

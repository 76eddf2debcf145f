/**
 * evaluate(): references on the same episodes as the policy (paired), in
 * random games where a one-episode reference was wrong; confidence
 * intervals; both seats; the action table against hand-computed values.
 */
import test from 'ava';
import { evaluate, iteratedGameRecipe, modelPolicy, scripted, Trainer } from '../src/index.js';

const NOISY = { id: 'ipd' as const, params: { noise: 0.05 } };
const RANDOM_LENGTH = { id: 'ipd' as const, params: { continuation: 0.9 } };

// A learned memory-1 table that defects in every history: logits (C, D) = (-30, 30) per state.
const defectTable = () => modelPolicy({ kind: 'tabular' }, { obsDim: 5, actions: 2 }, Float32Array.from({ length: 10 }, (_, i) => (i % 2 ? 30 : -30)), 'defector');

for (const [name, game] of [['noisy (move noise 0.05)', NOISY], ['random-length (continuation 0.9)', RANDOM_LENGTH]] as const) {
  test(`an always-defect policy loses 0.00 ± 0.05 against always-defect in a ${name} game`, async (t) => {
    for (const policy of [scripted('always-defect'), defectTable()]) {
      const e = await evaluate({ game, policy, opponents: [], seed: 11 });
      t.true(Math.abs(e.exploitability) <= 0.05, `${policy.name}: ${e.exploitability}`);
      t.true(e.exploitabilityCI <= 0.05, `${policy.name}: ci ${e.exploitabilityCI}`);
      policy.dispose();
    }
  });
}

test('tit-for-tat against always-defect: one sucker round over 10 rounds (S = 0 instead of P = 1), exactly', async (t) => {
  const tft = scripted('tit-for-tat');
  const e = await evaluate({ game: 'ipd', policy: tft, opponents: ['always-defect'], batch: 64 });
  t.is(e.exploitability, 1);
  t.is(e.exploitabilityCI, 0);
  t.is(e.matches[0].payoff, 9);
  t.is(e.references!.mutualDefection.mean, 10);
  t.is(e.references!.mutualCooperation.mean, 30);
  const ref = Object.fromEntries(e.references!.strategies.map((s) => [s.name, s]));
  t.is(ref['tit-for-tat'].lossVsDefect.mean, 1);
  t.is(ref['grim-trigger'].lossVsDefect.mean, 1);
  // Win-stay-lose-shift cooperates every other round against always-defect: rounds 1, 3, 5, 7, 9.
  t.is(ref['win-stay-lose-shift'].lossVsDefect.mean, 5);
  t.is(e.actionTable?.nearest[0].name, 'tit-for-tat');
  t.is(e.actionTable?.nearest[0].distance, 0);
  tft.dispose();
});

test('confidence intervals: half-widths of 1.96 standard errors that shrink with the episodes', async (t) => {
  const coin = scripted('random', { p: 0.5 });
  const small = await evaluate({ game: 'ipd', policy: coin, opponents: ['always-defect'], batch: 256, seed: 3, references: false });
  const large = await evaluate({ game: 'ipd', policy: coin, opponents: ['always-defect'], batch: 4096, seed: 3, references: false });
  // Against always-defect a coin-flipper cooperates in Binomial(10, 1/2) rounds, each costing P - S = 1:
  // the loss has mean 5 and standard deviation sqrt(2.5) per episode.
  t.true(Math.abs(large.exploitability - 5) < 3 * large.exploitabilityCI);
  t.true(Math.abs(large.exploitabilityCI - (1.96 * Math.sqrt(2.5)) / Math.sqrt(4096)) < 0.01, `${large.exploitabilityCI}`);
  t.true(small.exploitabilityCI > 3 * large.exploitabilityCI);
  coin.dispose();
});

test('bothSeats plays every match from seat 1 too (an asymmetric game)', async (t) => {
  // Battle of the sexes: agent 0 prefers action 0 (3 vs 2), agent 1 action 1.
  const game = { id: 'matrix' as const, params: { preset: 'battle-of-the-sexes' as const } };
  const c = scripted('always-cooperate');
  const e = await evaluate({ game, policy: c, opponents: ['always-cooperate'], batch: 16, bothSeats: true, references: false });
  t.deepEqual(e.matches.map((m) => [m.seat, m.payoff]), [[0, 30], [1, 20]]);
  t.is(e.selfPlaySeat1?.payoff, 20);
  c.dispose();
});

test('the action table of a trained tabular policy is the softmax of its parameters', async (t) => {
  const trainer = Trainer.create(iteratedGameRecipe({ id: 'ipd' }, { seed: 5, iterations: 40 }));
  for (let i = 0; i < 40; i++) await trainer.step();
  const params = trainer.params();
  const policy = trainer.policy();
  const e = await evaluate({ game: 'ipd', policy, opponents: [], batch: 64, references: false });
  const histories = ['-', 'CC', 'CD', 'DC', 'DD'];
  t.deepEqual(e.actionTable?.rows.map((r) => r.history), histories);
  for (let s = 0; s < 5; s++) {
    const expected = 1 / (1 + Math.exp(params[2 * s + 1] - params[2 * s]));
    t.true(Math.abs(e.actionTable!.rows[s].cooperate - expected) < 1e-4, `${histories[s]}: ${e.actionTable!.rows[s].cooperate} vs ${expected}`);
  }
  policy.dispose();
  trainer.dispose();
});

test('generous tit-for-tat is named from its table (forgiveness 1/3)', async (t) => {
  const g = scripted('generous-tit-for-tat');
  const e = await evaluate({ game: 'ipd', policy: g, opponents: [], batch: 64, references: false });
  t.is(e.actionTable?.nearest[0].name, 'generous-tit-for-tat');
  t.true(Math.abs(e.actionTable!.rows[2].cooperate - 1 / 3) < 1e-6);
  g.dispose();
});

test('evaluate names a bad option', async (t) => {
  const p = scripted('tit-for-tat');
  await t.throwsAsync(evaluate({ game: 'ipd', policy: p, bothSeats: 'yes' as never }), { code: 'ERR_INVALID_ARGUMENT', message: /bothSeats/ });
  await t.throwsAsync(evaluate({ game: 'ipd', policy: p, batch: 0 }), { message: /options\.batch/ });
  p.dispose();
});

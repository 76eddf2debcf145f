import test from 'ava';
import { meanReturns, rollout, actionRate, scripted, tournament, TWO_ACTION_STRATEGIES } from '../src/index.js';

// Totals over 10 rounds of the prisoner's dilemma (CC 3/3, CD 0/5, DC 5/0, DD 1/1),
// worked out round by round:
// - TFT vs AD: TFT is suckered once (0 vs 5), then nine DD rounds: 9 vs 14.
// - AC vs AD: ten CD rounds: 0 vs 50.
// - TFT vs STFT: they alternate CD and DC for ten rounds: 5 × 5 = 25 each.
// - grim vs alternate (C, D, C, ...): CC (3/3), CD (0/5), then grim defects for
//   good: alternate cooperates in rounds 3, 5, 7, 9 (5/0) and defects in
//   rounds 4, 6, 8, 10 (1/1): grim 3 + 0 + 20 + 4 = 27, alternate 3 + 5 + 0 + 4 = 12.
// - WSLS vs AD: WSLS plays C, D, C, D, ... (it switches after CD and DD):
//   five CD rounds and five DD rounds: 5 vs 30.
// - TFT vs TFT, WSLS vs TFT: ten CC rounds: 30 each.
const pairs: Array<[string, string, number, number]> = [
  ['tit-for-tat', 'always-defect', 9, 14],
  ['always-cooperate', 'always-defect', 0, 50],
  ['tit-for-tat', 'suspicious-tit-for-tat', 25, 25],
  ['grim-trigger', 'alternate', 27, 12],
  ['win-stay-lose-shift', 'always-defect', 5, 30],
  ['tit-for-tat', 'tit-for-tat', 30, 30],
  ['win-stay-lose-shift', 'tit-for-tat', 30, 30],
];

for (const [a, b, ra, rb] of pairs) {
  test(`${a} vs ${b} over 10 rounds pays ${ra} and ${rb}`, async (t) => {
    const traj = await rollout({ game: 'ipd', policies: [a as never, b as never], batch: 4, seed: 3 });
    const r = meanReturns(traj);
    t.is(r[0], ra);
    t.is(r[1], rb);
  });
}

test('generous tit-for-tat spans tit-for-tat and always-cooperate; random spans the pure strategies', async (t) => {
  const vsDefect = async (policy: ReturnType<typeof scripted>) =>
    meanReturns(await rollout({ game: 'ipd', policies: [policy, 'always-defect'], batch: 8, seed: 1 }))[0];
  t.is(await vsDefect(scripted('generous-tit-for-tat', { forgiveness: 0 })), 9);
  t.is(await vsDefect(scripted('generous-tit-for-tat', { forgiveness: 1 })), 0);
  t.is(await vsDefect(scripted('random', { p: 0 })), 10);
  t.is(await vsDefect(scripted('random', { p: 1 })), 0);
});

test('random(p) cooperates at rate p and reports its log-probabilities and entropy', async (t) => {
  const p = 0.3;
  const traj = await rollout({ game: 'ipd', policies: [scripted('random', { p }), 'always-cooperate'], batch: 20000, seed: 5 });
  t.true(Math.abs(actionRate(traj, 0)[0] - p) < 0.005);
  const h = -(p * Math.log(p) + (1 - p) * Math.log(1 - p));
  for (let i = 0; i < 200; i += 2) {
    const want = traj.actions[i] === 0 ? Math.log(p) : Math.log(1 - p);
    t.true(Math.abs(traj.logProbs[i] - want) < 1e-6);
    t.true(Math.abs(traj.entropies[i] - h) < 1e-6);
    t.is(traj.logProbs[i + 1], 0);
  }
});

test('zd-extortion enforces its linear payoff relation against any opponent', async (t) => {
  // Press and Dyson: with chi = 3 in the prisoner's dilemma, (own - P) = 3 (other - P)
  // in the long run, P = 1, whatever the opponent does. Checked against random play.
  const rounds = 2000;
  for (const opponent of [scripted('random', { p: 0.7 }), scripted('random', { p: 0.2 })]) {
    const traj = await rollout({
      game: { id: 'ipd', params: { rounds } },
      policies: [scripted('zd-extortion', { chi: 3 }), opponent],
      batch: 1024,
      seed: 11,
    });
    const [own, other] = meanReturns(traj);
    const sx = own / rounds - 1;
    const sy = other / rounds - 1;
    t.true(Math.abs(sx - 3 * sy) < 0.03, `own surplus ${sx} vs 3 × ${sy}`);
    t.true(sy > 0.05);
  }
});

test('zd-extortion refuses games where no extortionate strategy exists', (t) => {
  return rollout({
    game: { id: 'matrix', params: { preset: 'matching-pennies' } },
    policies: ['zd-extortion', 'tit-for-tat'],
    batch: 1,
  }).then(
    () => t.fail('expected an error'),
    (e: { code: string }) => t.is(e.code, 'ERR_UNSUPPORTED'),
  );
});

test('strategies play public goods: tit-for-tat players all contribute', async (t) => {
  const traj = await rollout({ game: 'public-goods', policies: Array(4).fill('tit-for-tat'), batch: 2 });
  const r = meanReturns(traj);
  // Full pot 4 × 1.6 shared by 4: 1.6 a round for 10 rounds.
  for (const v of r) t.true(Math.abs(v - 16) < 1e-4);
  const mixed = await rollout({
    game: 'public-goods',
    policies: ['always-defect', 'tit-for-tat', 'tit-for-tat', 'tit-for-tat'],
    batch: 1,
  });
  // Round 1: pot 3 × 1.6 / 4 = 1.2, defector 2.2. Others' mean contribution 2/3 ≥ 1/2,
  // so tit-for-tat keeps contributing: every round the same.
  const m = meanReturns(mixed);
  t.true(Math.abs(m[0] - 22) < 1e-4);
  t.true(Math.abs(m[1] - 12) < 1e-4);
});

test('a 10-round tournament of every strategy ranks and reports hand-checkable pairs', async (t) => {
  const result = await tournament({ game: 'ipd', players: [...TWO_ACTION_STRATEGIES], repetitions: 50, seed: 2 });
  const idx = (name: string) => result.players.indexOf(name);
  t.is(result.payoff[idx('tit-for-tat')][idx('always-defect')], 9);
  t.is(result.opponentPayoff[idx('tit-for-tat')][idx('always-defect')], 14);
  t.is(result.payoff[idx('always-defect')][idx('always-cooperate')], 50);
  t.is(result.ranking.length, TWO_ACTION_STRATEGIES.length);
  for (let k = 1; k < result.ranking.length; k++) t.true(result.ranking[k - 1].score >= result.ranking[k].score);
  t.is(result.cooperation[idx('always-cooperate')][idx('always-defect')], 1);
});

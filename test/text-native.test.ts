/** Text-mode matches on the native trust-and-split game, through the adapter. */
import test from 'ava';
import {
  defaultTextVocabulary,
  greedyAgent,
  honestAgent,
  liarAgent,
  malformedAgent,
  nativeTextEngine,
  playTextMatch,
  tokenIndex,
  type TextPolicy,
} from '../src/text/index.js';

const fixed = (x: number, message = 'I have rock.'): TextPolicy => async ({ phase }) =>
  phase === 'message' ? `<<message_start>> ${message} <<message_end>>` : `<<proposal_start>> ${x} <<proposal_end>>`;

test('the native game is the default engine: honest agents give every round to its winner', async (t) => {
  const result = await playTextMatch({ agents: [honestAgent(), honestAgent()], seed: 21 });
  t.is(result.rounds.length, 10);
  for (const r of result.rounds) {
    t.not(r.hands[0], r.hands[1]);
    const winner = r.values[0] > r.values[1] ? 0 : 1;
    t.deepEqual([...r.values].sort((a, b) => a - b), [1, 10]);
    t.deepEqual(r.tokens, [{ kind: 'claim', hand: r.hands[0] }, { kind: 'claim', hand: r.hands[1] }]);
    t.is(r.proposals[winner], 10);
    t.is(r.points[winner], 100);
    t.is(r.points[1 - winner], 0);
    t.deepEqual(r.coins, winner === 0 ? [10, 0] : [0, 10]);
  }
  t.deepEqual(result.rounds.map((r) => r.firstSpeaker), [0, 1, 0, 1, 0, 1, 0, 1, 0, 1]);
  t.is(result.returns[0] + result.returns[1], 1000);
});

test('proportional scaling and coin counts come from the native rewards', async (t) => {
  const result = await playTextMatch({ agents: [fixed(10), fixed(5)], rounds: 3, seed: 4 });
  for (const r of result.rounds) {
    t.deepEqual(r.proposals, [10, 5]);
    t.true(Math.abs(r.coins![0] - 20 / 3) < 1e-5 && Math.abs(r.coins![1] - 10 / 3) < 1e-5);
    t.true(Math.abs(r.points[0] - (20 / 3) * r.values[0]) < 1e-4);
  }
  t.true(result.transcript.find((r) => r.round === 1 && r.agent === 0)!.prompt[1].content.includes('You received 6.67 coins'));
  const under = await playTextMatch({ agents: [fixed(3), fixed(4)], rounds: 1, seed: 4 });
  t.deepEqual(under.rounds[0].coins, [3, 4]);
});

test('native matches follow the seed', async (t) => {
  const a = await playTextMatch({ agents: [liarAgent(), honestAgent()], seed: 8 });
  const b = await playTextMatch({ agents: [liarAgent(), honestAgent()], seed: 8 });
  const c = await playTextMatch({ agents: [liarAgent(), honestAgent()], seed: 9 });
  t.deepEqual(a.transcript, b.transcript);
  t.deepEqual(a.returns, b.returns);
  t.notDeepEqual(a.rounds.map((r) => r.hands), c.rounds.map((r) => r.hands));
});

test('parameters reach the native game', async (t) => {
  const result = await playTextMatch({
    agents: [greedyAgent(), greedyAgent()],
    params: { coins: 4, winnerValue: 3, loserValue: 2 },
    rounds: 5,
    seed: 1,
  });
  t.is(result.rounds.length, 5);
  for (const r of result.rounds) {
    t.deepEqual(r.coins, [2, 2]);
    t.deepEqual([...r.values].sort(), [2, 3]);
    t.deepEqual(r.points, [2 * r.values[0], 2 * r.values[1]]);
  }
  await t.throwsAsync(playTextMatch({ agents: [greedyAgent(), greedyAgent()], params: { tieValue: 5 } }), { code: 'ERR_UNSUPPORTED' });
});

test('malformed replies on the native game: counted, greedy default, no crash', async (t) => {
  const result = await playTextMatch({ agents: [malformedAgent({ probability: 0.7, seed: 2 }), honestAgent()], rounds: 20, seed: 6 });
  t.is(result.rounds.length, 20);
  const n = Object.values(result.malformed[0]).reduce((a, b) => a + b, 0);
  t.is(n, result.transcript.filter((r) => r.malformed).length);
  t.true(n > 5);
  for (const r of result.transcript) if (r.malformed && r.phase === 'proposal') t.is(r.parsed, 10);
});

test('vocabularies and token mapping', async (t) => {
  const v = defaultTextVocabulary(10);
  t.deepEqual(v, ['claim-rock', 'claim-paper', 'claim-scissors', ...Array.from({ length: 11 }, (_, k) => `take-${k}`), 'none']);
  t.is(defaultTextVocabulary(1000).length, 64);
  t.is(defaultTextVocabulary(1000)[63 - 1], 'take-1000');
  t.is(tokenIndex({ kind: 'claim', hand: 'paper' }, v), 1);
  t.is(tokenIndex({ kind: 'split', own: 7 }, v), 10);
  t.is(tokenIndex({ kind: 'silence' }, v), 14);
  const small = ['claim-rock', 'take-0', 'take-4', 'take-8', 'none'];
  t.is(tokenIndex({ kind: 'split', own: 6 }, small), 2); // 4 and 8 are as near: fewer coins
  t.is(tokenIndex({ kind: 'split', own: 7 }, small), 3);
  t.is(tokenIndex({ kind: 'claim', hand: 'scissors' }, small), 4);
  t.is(tokenIndex({ kind: 'split', own: 3 }, ['claim-rock', 'none']), 1);
  // A match with a claims-only vocabulary: splits are sent as none.
  const result = await playTextMatch({
    agents: [greedyAgent(), honestAgent()],
    rounds: 2,
    engine: nativeTextEngine({ messages: ['claim-rock', 'claim-paper', 'claim-scissors', 'none'] }),
  });
  t.is(result.rounds.length, 2);
  t.throws(() => nativeTextEngine({ messages: ['claim-rock'] })(result.params), { message: /must include 'none'/ });
  t.throws(() => nativeTextEngine({ messages: ['none', 'take-11'] })(result.params), { message: /options\.messages\[1\] takes more than the 10 coins/ });
  t.throws(() => nativeTextEngine({ messages: ['none', 'hello'] })(result.params), { message: /options\.messages\[1\]/ });
});

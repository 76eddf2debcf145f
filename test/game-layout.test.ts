import test from 'ava';
import { BEATS, gameFact, gameLayout, layoutField, makeEnv, makeGame, type GameLayout } from '../src/index.js';

// Written out by hand: rock 0, paper 1, scissors 2; paper covers rock, scissors cut paper, rock blunts scissors.
const HAND_NAMES = ['rock', 'paper', 'scissors'];
const beatsByHand = (a: number, b: number) => (a === 1 && b === 0) || (a === 2 && b === 1) || (a === 0 && b === 2);

const VOCAB = ['claim-rock', 'take-3', 'none']; // M = 3
const PARAMS = { rounds: 2, coins: 4, highValue: 5, lowValue: 2, messages: VOCAB.join(' '), alternateSpeaker: true };

const field = (l: GameLayout, name: string) => layoutField(l.observation, name);
const slice = (obs: Float32Array, dim: number, agent: number, l: GameLayout, name: string) => {
  const f = field(l, name);
  return Array.from(obs.subarray(agent * dim + f.offset, agent * dim + f.offset + f.size));
};
const oneHot = (size: number, i: number) => Array.from({ length: size }, (_, k) => (k === i ? 1 : 0));

test('trust-and-split declares its fields at the offsets its header documents, covering obsDim = 2M + 25', (t) => {
  const l = gameLayout({ id: 'trust-and-split', params: PARAMS });
  const M = VOCAB.length;
  t.deepEqual(
    l.observation.map((f) => [f.name, f.offset, f.size]),
    [
      ['hand', 0, 3],
      ['phase', 3, 3],
      ['firstSpeaker', 6, 1],
      ['otherMessage', 7, M + 1],
      ['otherLastHand', M + 8, 4],
      ['otherLastMessage', M + 12, M + 1],
      ['lastProposals', 2 * M + 13, 2],
      ['lastRewards', 2 * M + 15, 2],
      ['round', 2 * M + 17, 1],
      ['claimRelation', 2 * M + 18, 4],
      ['lastClaimTruth', 2 * M + 22, 3],
    ],
  );
  t.deepEqual(l.actions.map((f) => [f.name, f.offset, f.size]), [['message', 0, M], ['proposal', M, 5], ['wait', M + 5, 1]]);
  t.deepEqual(gameFact(l, 'hands').labels, HAND_NAMES);
  t.deepEqual(gameFact(l, 'beats').numbers, [2, 0, 1]);
  t.deepEqual(gameFact(l, 'coinValues').numbers, [5, 2]);
  t.deepEqual(gameFact(l, 'coinValues').labels, ['winner', 'loser']);
  t.deepEqual(gameFact(l, 'ties').numbers, [0]);
  t.deepEqual(gameFact(l, 'messages').labels, VOCAB);
  t.deepEqual(gameFact(l, 'stepsPerRound').numbers, [3]);
  t.true(Object.isFrozen(l) && Object.isFrozen(l.observation[0]));
  // The text layer's stated rule is the game's.
  for (const [h, beaten] of Object.entries(BEATS)) t.is(gameFact(l, 'beats').numbers[HAND_NAMES.indexOf(h)], HAND_NAMES.indexOf(beaten));
  t.throws(() => layoutField(l.observation, 'nope'), { code: 'ERR_UNSUPPORTED' });
  // A game that describes nothing has empty lists.
  t.deepEqual(gameLayout('ipd'), { observation: [], actions: [], facts: [] });
});

test('a known round of play shows in the named fields', (t) => {
  using game = makeGame('trust-and-split', PARAMS);
  const l = gameLayout(game);
  using env = makeEnv(game, undefined, { batch: 1, seed: 3 });
  const d = env.info.obsDim;
  const action = (name: string, i = 0) => layoutField(l.actions, name).offset + i;
  let obs = env.reset();
  const hands = [0, 1].map((a) => slice(obs, d, a, l, 'hand').indexOf(1));
  t.not(hands[0], hands[1]);
  for (const a of [0, 1]) {
    t.deepEqual(slice(obs, d, a, l, 'hand'), oneHot(3, hands[a]));
    t.deepEqual(slice(obs, d, a, l, 'phase'), [1, 0, 0]);
    t.deepEqual(slice(obs, d, a, l, 'firstSpeaker'), [a === 0 ? 1 : 0]);
    t.deepEqual(slice(obs, d, a, l, 'otherMessage'), oneHot(4, 3)); // nothing yet
    t.deepEqual(slice(obs, d, a, l, 'otherLastHand'), oneHot(4, 3)); // none before the first round ends
    t.deepEqual(slice(obs, d, a, l, 'round'), [0]);
    t.deepEqual(slice(obs, d, a, l, 'claimRelation'), oneHot(4, 3));
    t.deepEqual(slice(obs, d, a, l, 'lastClaimTruth'), oneHot(3, 2));
  }
  // Agent 0 sends take-3, agent 1 then claims rock, then they propose 3 and 1 of the 4 coins.
  obs = env.step([action('message', 1), action('wait')]).observations;
  t.deepEqual(slice(obs, d, 1, l, 'otherMessage'), oneHot(4, 1));
  t.deepEqual(slice(obs, d, 0, l, 'phase'), [0, 1, 0]);
  obs = env.step([action('wait'), action('message', 0)]).observations;
  t.deepEqual(slice(obs, d, 0, l, 'otherMessage'), oneHot(4, 0));
  t.deepEqual(slice(obs, d, 0, l, 'phase'), [0, 0, 1]);
  // Agent 1 claimed rock; against agent 0's hand: rock beats it, it beats rock, or it is rock.
  const relation = beatsByHand(0, hands[0]) ? 0 : beatsByHand(hands[0], 0) ? 1 : 2;
  t.deepEqual(slice(obs, d, 0, l, 'claimRelation'), oneHot(4, relation));
  const res = env.step([action('proposal', 3), action('proposal', 1)]);
  obs = res.observations;
  // 3 + 1 = 4 coins: each gets what it asked, worth 5 to the winner and 2 to the loser.
  const value = (a: number) => (beatsByHand(hands[a], hands[1 - a]) ? 5 : 2);
  t.deepEqual(Array.from(res.rewards), [3 * value(0), 1 * value(1)]);
  t.deepEqual(slice(obs, d, 0, l, 'lastProposals'), [3 / 4, 1 / 4]);
  t.deepEqual(slice(obs, d, 1, l, 'lastProposals'), [1 / 4, 3 / 4]);
  const scale = 4 * 5;
  t.deepEqual(slice(obs, d, 0, l, 'lastRewards'), [Math.fround((3 * value(0)) / scale), Math.fround(value(1) / scale)]);
  t.deepEqual(slice(obs, d, 0, l, 'otherLastHand'), oneHot(4, hands[1]));
  t.deepEqual(slice(obs, d, 1, l, 'otherLastHand'), oneHot(4, hands[0]));
  t.deepEqual(slice(obs, d, 0, l, 'otherLastMessage'), oneHot(4, 0));
  t.deepEqual(slice(obs, d, 1, l, 'otherLastMessage'), oneHot(4, 1));
  // Agent 1's rock claim was true exactly when its hand was rock; agent 0 made no hand claim.
  t.deepEqual(slice(obs, d, 0, l, 'lastClaimTruth'), oneHot(3, hands[1] === 0 ? 0 : 1));
  t.deepEqual(slice(obs, d, 1, l, 'lastClaimTruth'), oneHot(3, 2));
  // Round 1 of 2; the speaker alternates.
  t.deepEqual(slice(obs, d, 0, l, 'round'), [0.5]);
  t.deepEqual(slice(obs, d, 0, l, 'phase'), [1, 0, 0]);
  t.deepEqual([slice(obs, d, 0, l, 'firstSpeaker')[0], slice(obs, d, 1, l, 'firstSpeaker')[0]], [0, 1]);
});

import test from 'ava';
import {
  DEFAULT_TEXT_PARAMS,
  renderPrompt,
  renderRules,
  resolveTextParams,
  type RoundView,
} from '../src/text/index.js';

const params = resolveTextParams();

const firstRound: RoundView = {
  agent: 0,
  round: 0,
  rounds: 10,
  firstSpeaker: 0,
  ownHand: 'rock',
  valuesByOtherHand: { paper: { own: 1, other: 10 }, scissors: { own: 10, other: 1 } },
  ownMessage: null,
  otherMessage: null,
  lastRound: null,
  totals: { own: 0, other: 0 },
};

const laterRound: RoundView = {
  agent: 1,
  round: 3,
  rounds: 10,
  firstSpeaker: 0,
  ownHand: 'scissors',
  valuesByOtherHand: { rock: { own: 1, other: 10 }, paper: { own: 10, other: 1 } },
  ownMessage: null,
  otherMessage: 'I have rock.\nTrust me.',
  lastRound: {
    ownHand: 'paper',
    otherHand: 'rock',
    ownValue: 10,
    otherValue: 1,
    ownProposal: 10,
    otherProposal: 5,
    ownCoins: 20 / 3,
    otherCoins: 10 / 3,
    ownPoints: 200 / 3,
    otherPoints: 10 / 3,
  },
  totals: { own: 120.5, other: 43 },
};

test('the defaults are the seed paper game: 10 coins, values 10 and 1, 10 rounds', (t) => {
  t.deepEqual(params, { coins: 10, winnerValue: 10, loserValue: 1, tieValue: null, rounds: 10 });
  t.deepEqual({ ...DEFAULT_TEXT_PARAMS }, params);
});

test('first speaker, first round: message prompt', (t) => {
  const p = renderPrompt(firstRound, 'message', params);
  t.is(p.length, 2);
  t.is(p[0].role, 'system');
  t.is(p[1].role, 'user');
  t.snapshot(p);
  t.true(
    p[1].content.includes(
      'Your hand this round is rock. If the other player holds paper, they win: each coin is worth 1 point to you and 10 points to them. ' +
        'If the other player holds scissors, you win: each coin is worth 10 points to you and 1 point to them.',
    ),
  );
  t.true(p[1].content.includes('You speak first this round.'));
  t.true(p[1].content.endsWith('<<message_start>> your message <<message_end>>'));
});

test('second speaker sees the first message, quoted line by line, and last round facts', (t) => {
  const p = renderPrompt(laterRound, 'message', params);
  t.snapshot(p);
  const u = p[1].content;
  t.true(u.startsWith('Round 4 of 10.\nLast round you held paper and the other player held rock'));
  t.true(u.includes('You received 6.67 coins (66.67 points); the other player received 3.33 coins (3.33 points).'));
  t.true(u.includes('Points so far: you 120.5, the other player 43.'));
  t.true(u.includes('The other player spoke first this round. They wrote:\n> I have rock.\n> Trust me.'));
});

test('proposal prompt lists both messages in speaking order and the proposal format', (t) => {
  const p = renderPrompt({ ...laterRound, ownMessage: 'I have paper.' }, 'proposal', params);
  t.snapshot(p);
  const u = p[1].content;
  t.true(u.indexOf('The other player wrote:') < u.indexOf('You wrote:'));
  t.true(u.endsWith('<<proposal_start>> x <<proposal_end>>'));
  t.true(u.includes('a whole number from 0 to 10'));
  const silent = renderPrompt({ ...firstRound, ownMessage: '', otherMessage: '' }, 'proposal', params)[1].content;
  t.true(silent.includes('Messages this round (you spoke first):\nYou sent no message.\nThe other player sent no message.'));
});

test('without coin counts the last round shows points only', (t) => {
  const view = { ...laterRound, lastRound: { ...laterRound.lastRound!, ownCoins: null, otherCoins: null } };
  const u = renderPrompt(view, 'message', params)[1].content;
  t.true(u.includes('You earned 66.67 points; the other player earned 3.33 points.'));
  t.false(u.includes('You received'));
});

test('rules follow the parameters', (t) => {
  const p = resolveTextParams({ coins: 20, winnerValue: 5, loserValue: 1, rounds: 3, tieValue: 2 });
  const rules = renderRules(p, { maxMessageChars: 120 });
  t.snapshot(rules);
  t.true(rules.includes('a game of 3 rounds'));
  t.true(rules.includes('each coin is worth 5 points; for the player whose hand loses, each coin is worth 1 point.'));
  t.true(rules.includes('If both hands are the same, each coin is worth 2 points to both players.'));
  t.true(rules.includes('a whole number from 0 to 20'));
  t.true(rules.includes('20 × x / (sum of both proposals)'));
  t.true(rules.includes('at most 120 characters'));
  t.true(rules.includes('counts as a proposal of 20'));
  t.true(renderRules(params).includes('The two hands of a round are always different.'));
  t.true(renderRules(resolveTextParams({ rounds: 1 })).includes('a game of 1 round between'));
});

test('rendering is deterministic and the rules are the same for both agents and every round', (t) => {
  const a = renderPrompt(firstRound, 'message', params);
  const b = renderPrompt(laterRound, 'proposal', params);
  t.deepEqual(a, renderPrompt(firstRound, 'message', params));
  t.is(a[0].content, b[0].content);
});

test('bad parameters are rejected with the parameter named', (t) => {
  t.throws(() => resolveTextParams({ coins: 0 }), { code: 'ERR_INVALID_ARGUMENT', message: /params\.coins/ });
  t.throws(() => resolveTextParams({ rounds: 1.5 }), { message: /params\.rounds/ });
  t.throws(() => resolveTextParams({ winnerValue: 1, loserValue: 10 }), { message: /params\.winnerValue/ });
  t.throws(() => resolveTextParams({ colour: 1 } as never), { message: /params\.colour/ });
});

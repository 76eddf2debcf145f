import test from 'ava';
import { interpretMessage, MALFORMED_KINDS, parseMessage, parseProposal, tokenText, type Hand, type MalformedKind } from '../src/text/index.js';

test('a well-formed proposal, with whitespace inside and around the markers', (t) => {
  t.deepEqual(parseProposal('<<proposal_start>>7<<proposal_end>>', 10), { value: 7, malformed: null, raw: '7' });
  t.is(parseProposal('<<proposal_start>>   3 \n <<proposal_end>>', 10).value, 3);
  t.is(parseProposal('<< proposal_start >> 0 <<\tproposal_end  >>', 10).value, 0);
  t.is(parseProposal('Thinking... I will ask for ten.\n<<proposal_start>> 10 <<proposal_end>>\nDone.', 10).value, 10);
  t.is(parseProposal('<<proposal_start>> 007 <<proposal_end>>', 10).value, 7);
  t.is(parseProposal('<<proposal_start>> +4 <<proposal_end>>', 10).value, 4);
  t.is(parseProposal('<<proposal_start>> -0 <<proposal_end>>', 10).value, 0);
  t.true(Object.is(parseProposal('<<proposal_start>> -0 <<proposal_end>>', 10).value, 0));
  t.is(parseProposal('<<proposal_start>> 20 <<proposal_end>>', 20).value, 20);
});

test('malformed proposals become the greedy default (coins), with their kind', (t) => {
  const cases: [string, MalformedKind][] = [
    ['I want 7.', 'missing-block'],
    ['', 'missing-block'],
    ['<<proposal_start>> 7', 'missing-block'],
    ['7 <<proposal_end>>', 'missing-block'],
    ['<<proposal_end>> 7 <<proposal_start>>', 'missing-block'],
    ['<<PROPOSAL_START>> 7 <<PROPOSAL_END>>', 'missing-block'],
    ['<<proposal_start>> 3 <<proposal_end>> <<proposal_start>> 4 <<proposal_end>>', 'several-blocks'],
    ['<<proposal_start>> 3 <<proposal_end>> <<proposal_end>>', 'several-blocks'],
    ['<<proposal_start>> <<proposal_start>> 3 <<proposal_end>>', 'several-blocks'],
    ['<<proposal_start>> 3.5 <<proposal_end>>', 'non-integer'],
    ['<<proposal_start>> 5.0 <<proposal_end>>', 'non-integer'],
    ['<<proposal_start>> ten <<proposal_end>>', 'non-integer'],
    ['<<proposal_start>> 7 coins <<proposal_end>>', 'non-integer'],
    ['<<proposal_start>> 1e1 <<proposal_end>>', 'non-integer'],
    ['<<proposal_start>>  <<proposal_end>>', 'non-integer'],
    ['<<proposal_start>> 3 4 <<proposal_end>>', 'non-integer'],
    ['<<proposal_start>> -1 <<proposal_end>>', 'out-of-range'],
    ['<<proposal_start>> 11 <<proposal_end>>', 'out-of-range'],
    ['<<proposal_start>> 99999999999999999999999 <<proposal_end>>', 'out-of-range'],
  ];
  for (const [reply, kind] of cases) {
    const p = parseProposal(reply, 10);
    t.is(p.malformed, kind, reply);
    t.is(p.value, 10, reply);
  }
  t.is(parseProposal('<<proposal_start>> 11 <<proposal_end>>', 12).malformed, null);
});

test('a well-formed message is trimmed; text outside the block is ignored', (t) => {
  t.deepEqual(parseMessage('<<message_start>> I have rock. <<message_end>>'), { text: 'I have rock.', malformed: null, raw: ' I have rock. ' });
  t.is(parseMessage('Sure.\n<< message_start >>\nLine one\nline two\n<<message_end>>\nbye').text, 'Line one\nline two');
  // A proposal block in a message reply is not a message block.
  t.is(parseMessage('<<message_start>> hi <<message_end>> <<proposal_start>> 3 <<proposal_end>>').text, 'hi');
});

test('malformed messages become empty messages, with their kind', (t) => {
  const cases: [string, MalformedKind][] = [
    ['I have rock.', 'missing-block'],
    ['<<message_start>> I have rock.', 'missing-block'],
    ['<<message_start>> a <<message_end>> <<message_start>> b <<message_end>>', 'several-blocks'],
    ['<<message_start>>   \n <<message_end>>', 'empty-message'],
    ['<<message_start>><<message_end>>', 'empty-message'],
    [`<<message_start>> ${'x'.repeat(501)} <<message_end>>`, 'message-too-long'],
  ];
  for (const [reply, kind] of cases) {
    const m = parseMessage(reply);
    t.is(m.malformed, kind, reply.slice(0, 60));
    t.is(m.text, '');
  }
  // The limit counts code points, not UTF-16 units, and applies to the trimmed text.
  t.is(parseMessage(`<<message_start>>  ${'🙂'.repeat(10)}  <<message_end>>`, { maxChars: 10 }).malformed, null);
  t.is(parseMessage(`<<message_start>>${'🙂'.repeat(11)}<<message_end>>`, { maxChars: 10 }).malformed, 'message-too-long');
});

test('every malformed kind is named once', (t) => {
  t.deepEqual([...MALFORMED_KINDS], [
    'missing-block', 'several-blocks', 'non-integer', 'out-of-range', 'empty-message', 'message-too-long', 'agent-error',
  ]);
});

test('claims of a hand map to claim tokens', (t) => {
  const claims: [string, Hand][] = [
    ['I have rock', 'rock'],
    ['Honestly, I have got paper!', 'paper'],
    ["I've got scissors.", 'scissors'],
    ['I’ve scissors', 'scissors'],
    ['i am holding a ROCK', 'rock'],
    ['My hand is paper. Please take all the coins.', 'paper'],
    ["Mine is scissor", 'scissors'],
    ['I was dealt the rock this time', 'rock'],
    ["I don't have paper, I have rock.", 'rock'],
    ['I have rock. Really, I have rock.', 'rock'],
  ];
  for (const [text, hand] of claims) {
    const m = interpretMessage(text, 10);
    t.is(m.claim, hand, text);
    t.deepEqual(m.token, { kind: 'claim', hand }, text);
  }
});

test('negated, hypothetical and conflicting claims are no claims', (t) => {
  for (const text of [
    "I don't have rock",
    "I'm not rock",
    'I do not have paper',
    'If I have rock, you should take nothing',
    'I never have scissors',
    'I have rock or maybe I have paper',
    'rock paper scissors',
    'I have a rocket',
    '',
  ]) {
    t.is(interpretMessage(text, 10).claim, null, text);
  }
});

test('suggested splits map to the speaker share', (t) => {
  const splits: [string, number][] = [
    ['I take 7', 7],
    ["I'll take seven", 7],
    ['I will only take 2 coins', 2],
    ['Give me 10', 10],
    ['You take 3', 7],
    ['You can have 4', 6],
    ["I'll give you 10", 0],
    ['I take all', 10],
    ['You can have everything', 0],
    ['Let us go 6/4', 6],
    ['3-7 is fair', 3],
    ['Split it evenly', 5],
    ['fifty-fifty?', 5],
    ['50/50', 5],
    ['I take 7, you take 3', 7],
  ];
  for (const [text, own] of splits) {
    const m = interpretMessage(text, 10);
    t.is(m.split, own, text);
    t.deepEqual(m.token, { kind: 'split', own }, text);
  }
  t.is(interpretMessage('Split evenly', 11).split, 5);
  t.is(interpretMessage('50/50', 100).split, 50);
});

test('ignored, out-of-range and conflicting splits are none; a claim wins over a split', (t) => {
  for (const text of ['I take 11', '6/6', 'I take 7, you take 5', "I won't take 10", 'If you take 3 then fine', 'around 3.5/6.5']) {
    const m = interpretMessage(text, 10);
    t.is(m.split, null, text);
    t.deepEqual(m.token, { kind: 'silence' }, text);
  }
  const both = interpretMessage('I have rock, so I take 10.', 10);
  t.is(both.claim, 'rock');
  t.is(both.split, 10);
  t.deepEqual(both.token, { kind: 'claim', hand: 'rock' });
});

test('tokens render back to sentences that map to the same token', (t) => {
  for (const token of [
    { kind: 'silence' } as const,
    { kind: 'claim', hand: 'paper' } as const,
    { kind: 'split', own: 3 } as const,
  ]) {
    t.deepEqual(interpretMessage(tokenText(token, 10), 10).token, token);
  }
});

import test from 'ava';
import { lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { credit } from '../src/credit.js';
import { parseJsonLines, tokenCredits, tokenCreditsRows, writeJsonLines, type TranscriptRecord } from '../src/text/index.js';

function rec(call: number, agent: 0 | 1, round: number, phase: 'message' | 'proposal', p: number | null, c: number | null): TranscriptRecord {
  return {
    call,
    agent,
    round,
    phase,
    prompt: [{ role: 'user', content: `prompt ${call}` }],
    reply: `reply ${call}`,
    parsed: phase === 'message' ? '' : 10,
    token: phase === 'message' ? { kind: 'silence' } : null,
    malformed: null,
    tokens: { promptTokens: p, completionTokens: c },
  };
}

// Two rounds; agent 0 speaks first in round 0, second in round 1.
const transcript: TranscriptRecord[] = [
  rec(0, 0, 0, 'message', 3, 2),
  rec(1, 1, 0, 'message', 4, 1),
  rec(2, 0, 0, 'proposal', 2, 1),
  rec(3, 1, 0, 'proposal', 2, 2),
  rec(4, 1, 1, 'message', 1, 1),
  rec(5, 0, 1, 'message', 2, 3),
  rec(6, 0, 1, 'proposal', 1, 0),
  rec(7, 1, 1, 'proposal', 3, 1),
];

test('per-token credits on a hand-computed example: prompts masked, replies carry their round credit', (t) => {
  const tc = tokenCredits({ transcript, agent: 0, credits: [0.5, -2] });
  // Agent 0's calls: 0 (3+2), 2 (2+1), 5 (2+3), 6 (1+0).
  t.deepEqual([...tc.calls], [0, 2, 5, 6]);
  t.deepEqual([...tc.callOffsets], [0, 5, 8, 13, 14]);
  t.deepEqual([...tc.promptTokens], [3, 2, 2, 1]);
  t.deepEqual([...tc.replyTokens], [2, 1, 3, 0]);
  t.deepEqual([...tc.rounds], [0, 0, 1, 1]);
  t.deepEqual([...tc.phases], [0, 1, 0, 1]);
  t.deepEqual([...tc.mask], [0, 0, 0, 1, 1, /**/ 0, 0, 1, /**/ 0, 0, 1, 1, 1, /**/ 0]);
  t.deepEqual([...tc.credits], [0, 0, 0, 0.5, 0.5, /**/ 0, 0, 0.5, /**/ 0, 0, -2, -2, -2, /**/ 0]);
  t.deepEqual([...tc.replyCredits], [0.5, 0.5, -2, -2]);
  t.true(tc.credits instanceof Float32Array && tc.mask instanceof Uint8Array && tc.callOffsets instanceof Int32Array);
});

test('per-phase credits and token counts from a tokenizer', (t) => {
  const tc = tokenCredits({
    transcript,
    agent: 1,
    credits: { message: [1, 2], proposal: [3, 4] },
    tokens: (r) => ({ prompt: 1, reply: r.call % 2 === 0 ? 1 : 2 }),
  });
  // Agent 1's calls: 1 (1+2), 3 (1+2), 4 (1+1), 7 (1+2).
  t.deepEqual([...tc.callOffsets], [0, 3, 6, 8, 11]);
  t.deepEqual([...tc.credits], [0, 1, 1, 0, 3, 3, 0, 2, 0, 4, 4]);
  t.deepEqual([...tc.mask], [0, 1, 1, 0, 1, 1, 0, 1, 0, 1, 1]);
});

test('credits from Advantage Alignment over rounds feed the token layout', (t) => {
  const own = new Float32Array([1, -1]);
  const others = new Float32Array([0.5, 2]);
  const aa = credit.advantageAlignment({ own, others, batch: 1, steps: 2, beta: 1, gamma: 0.5 });
  // A*_1 = A¹_1 + β·γ·(γ·A¹_0)·A²_1 = -1 + 0.5·0.5·1·2 = -0.5; A*_0 = A¹_0 = 1.
  t.deepEqual([...aa], [1, -0.5]);
  const tc = tokenCredits({ transcript, agent: 0, credits: aa });
  t.deepEqual([...tc.replyCredits], [1, 1, -0.5, -0.5]);
});

test('missing token counts and wrong credit lengths are named', (t) => {
  const unknown = transcript.map((r, i) => (i === 2 ? { ...r, tokens: { promptTokens: null, completionTokens: 1 } } : r));
  t.throws(() => tokenCredits({ transcript: unknown, agent: 0, credits: [0, 0] }), { code: 'ERR_INVALID_ARGUMENT', message: /transcript call 2 has no token counts/ });
  t.throws(() => tokenCredits({ transcript, agent: 0, credits: [0] }), { message: /options\.credits must have one credit per round \(2\)/ });
  t.throws(() => tokenCredits({ transcript, agent: 0, credits: [0, NaN] }), { message: /options\.credits\[1\]/ });
  t.throws(() => tokenCredits({ transcript, agent: 0, credits: { message: [0, 0], proposal: [0] } }), { message: /options\.credits\.proposal/ });
  t.throws(() => tokenCredits({ transcript, agent: 2 as never, credits: [0, 0] }), { message: /options\.agent/ });
  t.throws(() => tokenCredits({ transcript, agent: 0, credits: [0, 0], tokens: () => ({ prompt: -1, reply: 0 }) }), { message: /call 0 \(prompt\)/ });
});

test('the JSON-lines writer: one row per call with per-token mask and credits and the call text', async (t) => {
  const tc = tokenCredits({ transcript, agent: 0, credits: [0.5, -2] });
  const rows = tokenCreditsRows(tc, transcript);
  t.is(rows.length, 4);
  t.deepEqual(rows[2], {
    call: 5,
    agent: 0,
    round: 1,
    phase: 'message',
    offset: 8,
    promptTokens: 2,
    replyTokens: 3,
    credit: -2,
    mask: [0, 0, 1, 1, 1],
    credits: [0, 0, -2, -2, -2],
    prompt: [{ role: 'user', content: 'prompt 5' }],
    reply: 'reply 5',
  });
  t.is(rows[3].credit, -2); // a reply of zero tokens still reports its credit
  t.false('prompt' in tokenCreditsRows(tc)[0]);
  const dir = mkdtempSync(join(tmpdir(), 'dilemma-text-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'credits.jsonl');
  await writeJsonLines(path, rows);
  await writeJsonLines(path, rows.slice(0, 1), { append: true });
  const back = parseJsonLines(readFileSync(path, 'utf8'));
  t.is(back.length, 5);
  t.deepEqual(back.slice(0, 4), rows);
});

test('writeJsonLines refuses a symlink or a folder at the path and leaves no temporary', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'dilemma-text-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const target = join(dir, 'elsewhere.txt');
  writeFileSync(target, 'keep\n');
  const link = join(dir, 'transcript.jsonl');
  symlinkSync(target, link);
  for (const append of [false, true]) {
    const e = await t.throwsAsync(writeJsonLines(link, [{ a: 1 }], { append }));
    t.is((e as { code?: string }).code, 'ERR_NOT_A_FILE');
  }
  t.is(readFileSync(target, 'utf8'), 'keep\n');
  t.true(lstatSync(link).isSymbolicLink());
  const folder = join(dir, 'sub');
  mkdirSync(folder);
  const e = await t.throwsAsync(writeJsonLines(folder, [{ a: 1 }]));
  t.is((e as { code?: string }).code, 'ERR_NOT_A_FILE');
  t.deepEqual(readdirSync(dir).sort(), ['elsewhere.txt', 'sub', 'transcript.jsonl']);
});

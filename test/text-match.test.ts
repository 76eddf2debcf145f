/**
 * Text-mode matches. The engine here is ModelEngine, a TEST DOUBLE: a tiny
 * in-test model of the Trust-and-Split rules that lets the text layer be
 * tested on its own. It is not part of the library (the library plays on
 * the native game through its adapter); it exists only in this file.
 */
import test from 'ava';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  BEATS,
  ChatClient,
  counterUniform,
  greedyAgent,
  HANDS,
  honestAgent,
  liarAgent,
  malformedAgent,
  MALFORMED_KINDS,
  parseJsonLines,
  playTextMatch,
  toJsonLines,
  agentRewards,
  type AgentIndex,
  type EngineOutcome,
  type EngineRound,
  type Hand,
  type MessageToken,
  type TextEngine,
  type TextGameParams,
  type TextPolicy,
  type TextRequest,
  type ValueTable,
} from '../src/text/index.js';

// ---- TEST DOUBLE (not exported, not the game's rules of record) ----
class ModelEngine implements TextEngine {
  readonly p: TextGameParams;
  seed: number | bigint = 0;
  r = 0;
  hands: [Hand, Hand] = ['rock', 'paper'];
  spoken: AgentIndex[] = [];
  tokens: MessageToken[][] = [];
  disposed = false;

  constructor(p: TextGameParams) {
    this.p = p;
  }

  private deal(): void {
    const pairs: [Hand, Hand][] = [];
    for (const a of HANDS) for (const b of HANDS) if (a !== b) pairs.push([a, b]);
    this.hands = pairs[Math.floor(counterUniform(this.seed, this.r) * pairs.length)];
  }

  private value(own: Hand, other: Hand): number {
    return BEATS[own] === other ? this.p.winnerValue : this.p.loserValue;
  }

  private table(agent: AgentIndex): ValueTable {
    const own = this.hands[agent];
    const t: ValueTable = {};
    for (const h of HANDS) if (h !== own) t[h] = { own: this.value(own, h), other: this.value(h, own) };
    return t;
  }

  reset(seed: number | bigint): void {
    this.seed = seed;
    this.r = 0;
    this.deal();
  }

  round(): EngineRound {
    return { round: this.r, firstSpeaker: (this.r % 2) as AgentIndex, hands: this.hands, valuesByOtherHand: [this.table(0), this.table(1)] };
  }

  message(agent: AgentIndex, token: MessageToken): void {
    const expected = this.spoken.length === 0 ? this.r % 2 : 1 - (this.r % 2);
    if (agent !== expected) throw new Error(`agent ${agent} spoke out of turn`);
    this.spoken.push(agent);
    (this.tokens[this.r] ??= []).push(token);
  }

  propose([x0, x1]: readonly [number, number]): EngineOutcome {
    if (this.spoken.length !== 2) throw new Error('proposals before both messages');
    const C = this.p.coins;
    const total = Math.max(C, x0 + x1);
    const coins: [number, number] = [(C * x0) / total, (C * x1) / total];
    const values: [number, number] = [this.value(this.hands[0], this.hands[1]), this.value(this.hands[1], this.hands[0])];
    const out: EngineOutcome = {
      hands: this.hands,
      values,
      proposals: [x0, x1],
      coins,
      points: [coins[0] * values[0], coins[1] * values[1]],
      done: this.r + 1 === this.p.rounds,
    };
    this.r++;
    this.spoken = [];
    this.deal();
    return out;
  }

  dispose(): void {
    this.disposed = true;
  }
}
// ---- end of test double ----

let lastEngine: ModelEngine | undefined;
const engine = (p: TextGameParams) => (lastEngine = new ModelEngine(p));

test('honest against honest: truthful claims, the winner takes all coins every round', async (t) => {
  const result = await playTextMatch({ agents: [honestAgent(), honestAgent()], seed: 11, engine });
  t.is(result.rounds.length, 10);
  t.is(result.transcript.length, 40);
  for (const r of result.rounds) {
    const winner = r.values[0] > r.values[1] ? 0 : 1;
    t.deepEqual(r.messages, [`I have ${r.hands[0]}.`, `I have ${r.hands[1]}.`]);
    t.deepEqual(r.tokens, [{ kind: 'claim', hand: r.hands[0] }, { kind: 'claim', hand: r.hands[1] }]);
    t.is(r.proposals[winner], 10);
    t.is(r.proposals[1 - winner], 0);
    t.is(r.points[winner], 100);
  }
  t.is(result.returns[0] + result.returns[1], 1000);
  t.deepEqual(result.malformed, [
    Object.fromEntries(MALFORMED_KINDS.map((k) => [k, 0])),
    Object.fromEntries(MALFORMED_KINDS.map((k) => [k, 0])),
  ]);
  t.true(lastEngine!.disposed);
  t.deepEqual(result.transcript.map((r) => r.call), [...Array(40).keys()]);
});

test('call order: first speaker, second speaker, then both proposals; the first speaker alternates', async (t) => {
  const result = await playTextMatch({ agents: [greedyAgent(), greedyAgent()], rounds: 4, engine });
  t.deepEqual(
    result.transcript.map((r) => `${r.round}${r.phase[0]}${r.agent}`),
    ['0m0', '0m1', '0p0', '0p1', '1m1', '1m0', '1p0', '1p1', '2m0', '2m1', '2p0', '2p1', '3m1', '3m0', '3p0', '3p1'],
  );
  t.deepEqual(result.rounds.map((r) => r.firstSpeaker), [0, 1, 0, 1]);
  // Greedy both: 10 + 10 > 10, so 5 coins each.
  for (const r of result.rounds) t.deepEqual(r.coins, [5, 5]);
  t.deepEqual(result.rounds[0].tokens, [{ kind: 'split', own: 10 }, { kind: 'split', own: 10 }]);
});

test('prompts carry the other message, both messages and last round facts; views hold only the own hand', async (t) => {
  const requests: TextRequest[] = [];
  const spy = (inner: TextPolicy): TextPolicy => async (req) => (requests.push(req), inner(req));
  const result = await playTextMatch({ agents: [spy(liarAgent()), spy(honestAgent())], rounds: 3, seed: 5, engine });
  const tr = result.transcript;
  // Round 0: agent 0 (liar) speaks first; agent 1 sees its message.
  t.true(tr[1].prompt[1].content.includes(`They wrote:\n> ${result.rounds[0].messages[0]}`));
  t.true(tr[2].prompt[1].content.includes('Messages this round (you spoke first):'));
  t.true(tr[3].prompt[1].content.includes(`You wrote:\n> ${result.rounds[0].messages[1]}`));
  const r0 = result.rounds[0];
  t.true(
    tr[4].prompt[1].content.includes(
      `Last round you held ${r0.hands[1]} and the other player held ${r0.hands[0]}`,
    ),
  );
  t.true(tr[4].prompt[1].content.includes(`You proposed ${r0.proposals[1]} and the other player proposed ${r0.proposals[0]}.`));
  for (const req of requests) {
    t.false('otherHand' in req.view);
    t.is(req.view.ownHand, result.rounds[req.round].hands[req.agent]);
    t.deepEqual(req.prompt, tr.find((r) => r.agent === req.agent && r.round === req.round && r.phase === req.phase)!.prompt);
  }
  // The liar claims to beat the other's claim when it speaks second.
  const r1 = result.rounds[1];
  t.is(r1.firstSpeaker, 1);
  t.deepEqual(r1.tokens[0], { kind: 'claim', hand: Object.keys(BEATS).find((h) => BEATS[h as Hand] === r1.hands[1]) });
  t.deepEqual(result.rounds.map((r) => r.proposals[0]), [10, 10, 10]);
  t.deepEqual([...agentRewards(result, 1)], result.rounds.map((r) => Math.fround(r.points[1])));
});

test('a match is a function of its seed', async (t) => {
  const a = await playTextMatch({ agents: [liarAgent(), honestAgent()], seed: 3, engine });
  const b = await playTextMatch({ agents: [liarAgent(), honestAgent()], seed: 3, engine });
  const c = await playTextMatch({ agents: [liarAgent(), honestAgent()], seed: 4, engine });
  t.deepEqual(a.transcript, b.transcript);
  t.deepEqual(a.returns, b.returns);
  t.notDeepEqual(a.rounds.map((r) => r.hands), c.rounds.map((r) => r.hands));
});

test('malformed replies are counted per agent and kind and never crash the match', async (t) => {
  const result = await playTextMatch({
    agents: [malformedAgent({ probability: 0.6, seed: 9 }), honestAgent()],
    rounds: 30,
    seed: 2,
    engine,
  });
  t.is(result.rounds.length, 30);
  const counts = Object.fromEntries(MALFORMED_KINDS.map((k) => [k, 0]));
  for (const r of result.transcript.filter((r) => r.agent === 0)) if (r.malformed) counts[r.malformed]++;
  t.deepEqual(result.malformed[0], counts);
  t.true(Object.values(counts).reduce((a, b) => a + b, 0) > 10);
  for (const k of ['missing-block', 'several-blocks', 'non-integer', 'out-of-range', 'empty-message', 'message-too-long']) {
    t.true(counts[k] > 0, k);
  }
  t.is(Object.values(result.malformed[1]).reduce((a, b) => a + b, 0), 0);
  for (const r of result.transcript) {
    if (r.malformed && r.phase === 'proposal') t.is(r.parsed, 10);
    if (r.malformed && r.phase === 'message') {
      t.is(r.parsed, '');
      t.deepEqual(r.token, { kind: 'silence' });
    }
  }
});

test('an agent that throws ends the match, or with onAgentError "malformed" counts as agent-error', async (t) => {
  const broken: TextPolicy = async (req) => {
    if (req.round === 1) throw new Error('model down');
    return greedyAgent()(req);
  };
  await t.throwsAsync(playTextMatch({ agents: [broken, greedyAgent()], rounds: 3, engine }), { message: 'model down' });
  t.true(lastEngine!.disposed);
  const result = await playTextMatch({ agents: [broken, greedyAgent()], rounds: 3, engine, onAgentError: 'malformed' });
  t.is(result.malformed[0]['agent-error'], 2);
  const failed = result.transcript.filter((r) => r.error);
  t.deepEqual(failed.map((r) => [r.round, r.phase, r.reply, r.parsed, r.error]), [
    [1, 'message', '', '', 'model down'],
    [1, 'proposal', '', 10, 'model down'],
  ]);
  const nonString: TextPolicy = async () => 42 as never;
  await t.throwsAsync(playTextMatch({ agents: [nonString, greedyAgent()], rounds: 1, engine }), { code: 'ERR_INVALID_ARGUMENT' });
});

test('both proposal calls run concurrently', async (t) => {
  let release: () => void = () => {};
  const gate = new Promise<void>((r) => (release = r));
  const waiting: TextPolicy = async (req) => {
    if (req.phase === 'proposal') await gate; // returns only once agent 1 has been asked too
    return greedyAgent()(req);
  };
  const opening: TextPolicy = async (req) => {
    if (req.phase === 'proposal') release();
    return greedyAgent()(req);
  };
  const result = await Promise.race([
    playTextMatch({ agents: [waiting, opening], rounds: 1, engine }),
    new Promise<'deadlock'>((r) => setTimeout(() => r('deadlock'), 3000)),
  ]);
  t.not(result, 'deadlock');
});

test('the transcript as JSON lines: one record per call, round-tripping', async (t) => {
  const seen: unknown[] = [];
  const result = await playTextMatch({ agents: [honestAgent(), liarAgent()], rounds: 2, engine, onRecord: (r) => seen.push(r) });
  const text = toJsonLines(result.transcript);
  const lines = text.trimEnd().split('\n');
  t.is(lines.length, 8);
  t.deepEqual(parseJsonLines(text), result.transcript);
  t.deepEqual(seen, result.transcript);
  t.deepEqual(Object.keys(JSON.parse(lines[0])), ['call', 'agent', 'round', 'phase', 'prompt', 'reply', 'parsed', 'token', 'malformed', 'tokens']);
});

test('options are checked and named', async (t) => {
  await t.throwsAsync(playTextMatch({ agents: [honestAgent()] as never, engine }), { message: /options\.agents/ });
  await t.throwsAsync(playTextMatch({ agents: [honestAgent(), honestAgent()], rounds: 0, engine }), { message: /options\.rounds/ });
  await t.throwsAsync(playTextMatch({ agents: [honestAgent(), honestAgent()], params: { coins: -1 }, engine }), { message: /options\.params\.coins/ });
  await t.throwsAsync(playTextMatch({ agents: [honestAgent(), honestAgent()], engine, onAgentError: 'skip' as never }), { message: /onAgentError/ });
});

test('parameters reach prompts, parsing and the engine', async (t) => {
  const result = await playTextMatch({
    agents: [honestAgent(), greedyAgent()],
    params: { coins: 4, winnerValue: 3, loserValue: 2, rounds: 7 },
    rounds: 2,
    engine,
  });
  t.deepEqual(result.params, { coins: 4, winnerValue: 3, loserValue: 2, tieValue: null, rounds: 2 });
  t.true(result.transcript[0].prompt[0].content.includes('a game of 2 rounds'));
  t.true(result.transcript[2].prompt[1].content.includes('a whole number from 0 to 4'));
  for (const r of result.rounds) t.is(r.proposals[1], 4);
});

// ---- against a chat-completions stub on loopback ----

test('a match against a stub chat endpoint: malformed content is counted, usage is kept, nothing crashes', async (t) => {
  let n = 0;
  let failedOnce = false;
  const server = createServer((req, res) => {
    let raw = '';
    req.on('data', (c) => (raw += c));
    req.on('end', () => {
      const body = JSON.parse(raw) as { model: string; messages: { content: string }[] };
      if (!failedOnce) {
        failedOnce = true;
        res.writeHead(500).end('{}');
        return;
      }
      const user = body.messages[1].content;
      const proposal = user.includes('<<proposal_start>> x <<proposal_end>>');
      const k = n++;
      const good = body.model === 'good';
      let content: string;
      if (proposal) content = good || k % 3 === 0 ? `<<proposal_start>> ${k % 11} <<proposal_end>>` : k % 3 === 1 ? 'I take 4' : '<<proposal_start>> 12 <<proposal_end>>';
      else content = good || k % 2 === 0 ? 'Sure. <<message_start>> I have rock, split 5/5? <<message_end>>' : 'no markers here';
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ choices: [{ message: { role: 'assistant', content }, finish_reason: 'stop' }], usage: { prompt_tokens: 100 + k, completion_tokens: 5 } }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r()))));
  const baseURL = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  const good = new ChatClient({ baseURL, model: 'good', concurrency: 2, seed: 1, backoff: { initialMs: 1 } });
  const flaky = new ChatClient({ baseURL, model: 'flaky', concurrency: 2, seed: 2, backoff: { initialMs: 1 } });
  const result = await playTextMatch({ agents: [good.policy(), flaky.policy()], rounds: 6, seed: 8, engine });
  t.is(result.rounds.length, 6);
  t.is(result.transcript.length, 24);
  const m0 = Object.values(result.malformed[0]).reduce((a, b) => a + b, 0);
  const m1 = Object.values(result.malformed[1]).reduce((a, b) => a + b, 0);
  t.is(m0, 0);
  t.true(m1 > 0);
  t.is(m1, result.transcript.filter((r) => r.agent === 1 && r.malformed).length);
  t.true(result.malformed[1]['missing-block'] > 0);
  for (const r of result.transcript) {
    t.is(r.tokens.completionTokens, 5);
    t.true((r.tokens.promptTokens ?? 0) >= 100);
    if (r.phase === 'message' && !r.malformed) t.deepEqual(r.token, { kind: 'claim', hand: 'rock' });
  }
  t.is(result.usage[0].calls + result.usage[1].calls, 24);
  t.is(result.usage[0].promptTokens + result.usage[1].promptTokens, good.usage.promptTokens + flaky.usage.promptTokens);
  t.is(good.usage.retries + flaky.usage.retries, 1);
});

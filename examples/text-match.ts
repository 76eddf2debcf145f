/**
 * A text-mode Trust-and-Split match between a language model on an
 * OpenAI-compatible chat endpoint and a scripted honest agent, with the
 * transcript and agent 0's per-token credits written as JSON lines.
 *
 *   OPENAI_BASE_URL=http://127.0.0.1:8000/v1 OPENAI_MODEL=my-model \
 *     node --import tsx examples/text-match.ts [folder]
 *
 * OPENAI_API_KEY is sent when set. Without OPENAI_BASE_URL or OPENAI_MODEL
 * the example says so and exits 0.
 */
import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  agentRewards,
  chatClient,
  credit,
  honestAgent,
  playTextMatch,
  tokenCredits,
  tokenCreditsRows,
  writeJsonLines,
} from '../src/index.js';

const baseURL = process.env.OPENAI_BASE_URL;
const model = process.env.OPENAI_MODEL;
if (!baseURL || !model) {
  console.log('Set OPENAI_BASE_URL (e.g. a local server\'s http://127.0.0.1:8000/v1) and OPENAI_MODEL to play a text match; skipping.');
  process.exit(0);
}

const dir = process.argv[2] ?? join(tmpdir(), 'dilemma-text-match');
mkdirSync(dir, { recursive: true });

const client = chatClient({ baseURL, model, temperature: 0.7, maxTokens: 256, concurrency: 2, timeoutMs: 120_000 });
const result = await playTextMatch({
  agents: [client.policy(), honestAgent()],
  rounds: 10,
  seed: 1,
  onAgentError: 'malformed',
  onRecord: (r) => console.log(`round ${r.round + 1} ${r.phase} agent ${r.agent}: ${JSON.stringify(r.parsed)}${r.malformed ? ` (${r.malformed})` : ''}`),
});

console.log(`\nreturns: model ${result.returns[0].toFixed(1)}, honest ${result.returns[1].toFixed(1)}`);
console.log('malformed replies of the model:', result.malformed[0]);
console.log('tokens:', client.usage);
await writeJsonLines(join(dir, 'transcript.jsonl'), result.transcript);

// Per-round Advantage Alignment credits for the model (a single episode has
// no group baseline, so the discounted returns serve as advantages here),
// spread over its reply tokens as counted by the endpoint.
const steps = result.rounds.length;
const returns = (agent: 0 | 1) => credit.discountedReturns(agentRewards(result, agent), { batch: 1, steps, gamma: 0.96 });
const perRound = credit.advantageAlignment({ own: returns(0), others: returns(1), batch: 1, steps, beta: 1, gamma: 0.96 });
const known = result.transcript.every((r) => r.agent !== 0 || (r.tokens.promptTokens !== null && r.tokens.completionTokens !== null));
if (known) {
  const tc = tokenCredits({ transcript: result.transcript, agent: 0, credits: perRound });
  await writeJsonLines(join(dir, 'credits.jsonl'), tokenCreditsRows(tc, result.transcript));
  console.log(`per-token credits: ${tc.credits.length} tokens over ${tc.calls.length} calls`);
} else {
  console.log('the endpoint reported no token counts: per-token credits need your tokenizer (tokenCredits({ tokens }))');
}
console.log(`wrote ${dir}`);

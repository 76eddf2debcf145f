/**
 * Per-token credits for training a language model on text-mode episodes
 * with an external trainer.
 *
 * Input: one agent's calls from a match transcript, the token counts of each
 * call's prompt and reply (from the endpoint's usage, or from the trainer's
 * own tokenizer), and per-round credits for that agent (e.g. Advantage
 * Alignment credits from credit.advantageAlignment with batch 1 and steps =
 * rounds), either one per round for both phases or one per round and phase.
 *
 * Layout: the agent's calls in transcript order, concatenated into one flat
 * sequence. Call i occupies [callOffsets[i], callOffsets[i + 1]): first its
 * prompt tokens (mask 0, credit 0), then its reply tokens (mask 1, credit =
 * the credit of that call's round and phase). A trainer that trains on each
 * call as its own sequence takes one slice per call; one that trains on the
 * episode as one sequence takes the whole array. Token counts must be
 * produced by the same tokenizer (and chat template) as the trainer uses, or
 * the credits will not line up with its tokens.
 */
import { checkInteger, invalid } from '../validate.js';
import type { TranscriptRecord } from './match.js';
import type { AgentIndex, Phase } from './types.js';

/** Per-round credits: one array for both phases, or one per phase; each `[rounds]`. */
export type RoundCredits =
  | ArrayLike<number>
  | {
      /** `[rounds]` credits of the message calls. */
      message: ArrayLike<number>;
      /** `[rounds]` credits of the proposal calls. */
      proposal: ArrayLike<number>;
    };

/** Token counts of one call. */
export interface TokenCountsOfCall {
  /** Prompt tokens. */
  prompt: number;
  /** Reply (completion) tokens. */
  reply: number;
}

/** Options of {@link tokenCredits}. */
export interface TokenCreditsOptions {
  /** The match's transcript (one episode). */
  transcript: readonly TranscriptRecord[];
  /** The agent whose calls are credited. */
  agent: AgentIndex;
  /** [rounds] credits, or { message: [rounds], proposal: [rounds] }; rounds = the transcript's rounds. */
  credits: RoundCredits;
  /** Token counts of a call. Default: the record's tokens (promptTokens, completionTokens), which must be known. */
  tokens?: (record: TranscriptRecord) => TokenCountsOfCall;
}

/** One agent's per-token credits and mask over an episode's calls, flat, calls in order (prompt tokens, then reply tokens). */
export interface TokenCredits {
  /** The agent credited. */
  agent: AgentIndex;
  /** [tokens] credit of each token: 0 on prompt tokens, the round's credit for the phase on reply tokens. */
  credits: Float32Array;
  /** [tokens] 1 on reply tokens (trained on), 0 on prompt tokens. */
  mask: Uint8Array;
  /** [calls + 1] start of each call's tokens; the last entry is the total. */
  callOffsets: Int32Array;
  /** [calls] prompt tokens of each call. */
  promptTokens: Int32Array;
  /** [calls] reply tokens of each call. */
  replyTokens: Int32Array;
  /** [calls] round of each call. */
  rounds: Int32Array;
  /** [calls] 0 for a message call, 1 for a proposal call. */
  phases: Uint8Array;
  /** [calls] index of each call's record in the transcript's `call` numbering. */
  calls: Int32Array;
  /** [calls] the credit each call's reply tokens carry. */
  replyCredits: Float32Array;
}

function defaultTokens(record: TranscriptRecord): TokenCountsOfCall {
  const { promptTokens, completionTokens } = record.tokens;
  if (promptTokens === null || completionTokens === null) {
    invalid(`transcript call ${record.call}`, 'has no token counts: pass options.tokens (e.g. from your tokenizer)');
  }
  return { prompt: promptTokens, reply: completionTokens };
}

function creditsFor(credits: RoundCredits, rounds: number): (round: number, phase: Phase) => number {
  const check = (name: string, a: unknown): ArrayLike<number> => {
    const like = a as ArrayLike<unknown> | null;
    if (typeof like !== 'object' || like === null || typeof like.length !== 'number') invalid(name, 'must be an array of numbers');
    if (like.length !== rounds) invalid(name, `must have one credit per round (${rounds}), got ${like.length}`);
    for (let i = 0; i < rounds; i++) {
      if (typeof like[i] !== 'number' || !Number.isFinite(like[i] as number)) invalid(`${name}[${i}]`, 'must be a finite number');
    }
    return like as ArrayLike<number>;
  };
  if (typeof credits === 'object' && credits !== null && 'message' in credits && 'proposal' in credits) {
    const m = check('options.credits.message', credits.message);
    const p = check('options.credits.proposal', credits.proposal);
    return (r, phase) => (phase === 'message' ? m[r] : p[r]);
  }
  const c = check('options.credits', credits);
  return (r) => c[r];
}

/** Builds one agent's per-token credits and mask for one episode; see the module comment for the layout. */
export function tokenCredits(options: TokenCreditsOptions): TokenCredits {
  const { transcript, agent } = options;
  if (!Array.isArray(transcript)) invalid('options.transcript', 'must be an array of transcript records');
  if (agent !== 0 && agent !== 1) invalid('options.agent', `must be 0 or 1, got ${String(agent)}`);
  const rounds = transcript.reduce((m, r) => Math.max(m, r.round + 1), 0);
  const creditOf = creditsFor(options.credits, rounds);
  const count = options.tokens ?? defaultTokens;
  const mine = transcript.filter((r) => r.agent === agent);
  const n = mine.length;
  const out = {
    promptTokens: new Int32Array(n),
    replyTokens: new Int32Array(n),
    rounds: new Int32Array(n),
    phases: new Uint8Array(n),
    calls: new Int32Array(n),
    replyCredits: new Float32Array(n),
    callOffsets: new Int32Array(n + 1),
  };
  let total = 0;
  mine.forEach((rec, i) => {
    const c = count(rec);
    const p = checkInteger(`token count of call ${rec.call} (prompt)`, c?.prompt, 0, 2 ** 31 - 1);
    const q = checkInteger(`token count of call ${rec.call} (reply)`, c?.reply, 0, 2 ** 31 - 1);
    out.promptTokens[i] = p;
    out.replyTokens[i] = q;
    out.rounds[i] = rec.round;
    out.phases[i] = rec.phase === 'message' ? 0 : 1;
    out.calls[i] = rec.call;
    out.replyCredits[i] = creditOf(rec.round, rec.phase);
    out.callOffsets[i] = total;
    total += p + q;
    if (total > 2 ** 31 - 1) invalid('options.transcript', 'has more than 2^31 - 1 tokens for one agent');
  });
  out.callOffsets[n] = total;
  const credits = new Float32Array(total);
  const mask = new Uint8Array(total);
  mine.forEach((rec, i) => {
    const from = out.callOffsets[i] + out.promptTokens[i];
    const to = out.callOffsets[i + 1];
    credits.fill(out.replyCredits[i], from, to);
    mask.fill(1, from, to);
  });
  return { agent, credits, mask, ...out };
}

/** One JSON-lines row per call of a TokenCredits. */
export interface TokenCreditsRow {
  /** The call's index in the transcript's `call` numbering. */
  call: number;
  /** The agent called. */
  agent: AgentIndex;
  /** 0-based round index. */
  round: number;
  /** Message or proposal. */
  phase: Phase;
  /** Start of the call in the flat arrays. */
  offset: number;
  /** Prompt tokens of the call. */
  promptTokens: number;
  /** Reply tokens of the call. */
  replyTokens: number;
  /** The credit carried by each reply token. */
  credit: number;
  /** Per-token mask and credits of the call (prompt tokens first). */
  mask: number[];
  /** Per-token credits of the call (prompt tokens first). */
  credits: number[];
  /** The prompt, when the transcript was given. */
  prompt?: TranscriptRecord['prompt'];
  /** The reply, when the transcript was given. */
  reply?: string;
}

/** Rows for the JSON-lines file of per-token credits (pass the transcript to include each call's text). */
export function tokenCreditsRows(tc: TokenCredits, transcript?: readonly TranscriptRecord[]): TokenCreditsRow[] {
  const byCall = new Map<number, TranscriptRecord>();
  for (const r of transcript ?? []) byCall.set(r.call, r);
  const rows: TokenCreditsRow[] = [];
  for (let i = 0; i < tc.calls.length; i++) {
    const from = tc.callOffsets[i];
    const to = tc.callOffsets[i + 1];
    const row: TokenCreditsRow = {
      call: tc.calls[i],
      agent: tc.agent,
      round: tc.rounds[i],
      phase: tc.phases[i] === 0 ? 'message' : 'proposal',
      offset: from,
      promptTokens: tc.promptTokens[i],
      replyTokens: tc.replyTokens[i],
      credit: tc.replyCredits[i],
      mask: Array.from(tc.mask.subarray(from, to)),
      credits: Array.from(tc.credits.subarray(from, to)),
    };
    const rec = byCall.get(tc.calls[i]);
    if (rec) {
      row.prompt = rec.prompt;
      row.reply = rec.reply;
    }
    rows.push(row);
  }
  return rows;
}

/**
 * Text-mode matches of Trust-and-Split: the runner renders each agent's
 * prompt, calls the agent, parses its reply strictly, maps messages to the
 * game's symbolic tokens and steps the engine, which alone decides outcomes.
 *
 * The engine is reached through the small TextEngine interface; the native
 * adapter (nativeTextEngine) implements it over the native environment.
 */
import { DilemmaError, ErrorCode } from '../errors.js';
import { LIMITS } from '../generated/limits.js';
import { checkInteger, checkKeys, checkObject, checkSeed, invalid } from '../validate.js';
import { MAX_TOKENS_PER_CALL } from './completion.js';
import { interpretMessage, type MessageToken } from './interpret.js';
import type { EngineOutcome, EngineRound, TextEngineFactory } from './engine.js';
import { nativeTextEngine } from './native.js';
import { resolveTextParams } from './params.js';
import { emptyMalformedCounts, parseMessage, parseProposal, type MalformedCounts, type MalformedKind } from './parse.js';
import { DEFAULT_MAX_MESSAGE_CHARS, renderPrompt } from './prompt.js';
import { redact, redactError } from './redact.js';
import type {
  AgentIndex,
  ChatMessage,
  Hand,
  LastRoundFacts,
  Phase,
  RoundView,
  TextGameParams,
  TextPolicy,
  TokenUsage,
} from './types.js';

/** One call of one agent: a line of the transcript. */
export interface TranscriptRecord {
  /** 0-based call index within the match. */
  call: number;
  /** The agent called. */
  agent: AgentIndex;
  /** 0-based round index. */
  round: number;
  /** Message or proposal. */
  phase: Phase;
  /** The rendered prompt sent to the agent. */
  prompt: ChatMessage[];
  /** The agent's raw reply, redacted ('' when it threw). */
  reply: string;
  /** The accepted message text ('' when malformed) or the accepted proposal (coins when malformed). */
  parsed: string | number;
  /** Message phase: the symbolic token the engine received; null for proposals. */
  token: MessageToken | null;
  /** Why the reply was rejected, or null when it was accepted. */
  malformed: MalformedKind | null;
  /** Token counts of the call, when the agent reported them. */
  tokens: TokenUsage;
  /** The agent's error message (redacted), when it threw and the match went on. */
  error?: string;
}

/** One played round, as the match result lists it. */
export interface RoundRecord {
  /** 0-based round index. */
  round: number;
  /** The agent who spoke first. */
  firstSpeaker: AgentIndex;
  /** Both agents' hands. */
  hands: [Hand, Hand];
  /** Each agent's points per coin. */
  values: [number, number];
  /** Accepted message texts, by agent. */
  messages: [string, string];
  /** Symbolic tokens sent to the engine, by agent. */
  tokens: [MessageToken, MessageToken];
  /** Accepted proposals (coins each agent takes), by agent. */
  proposals: [number, number];
  /** Coins each agent received after scaling, when the engine reports them. */
  coins: [number, number] | null;
  /** Points each agent scored. */
  points: [number, number];
}

/** One agent's model calls and token counts over a match (unknown counts add nothing). */
export interface AgentUsage {
  /** Calls made. */
  calls: number;
  /** Prompt tokens over the calls that reported them. */
  promptTokens: number;
  /** Completion tokens over the calls that reported them. */
  completionTokens: number;
}

/** What {@link playTextMatch} returns. */
export interface TextMatchResult {
  /** The resolved game parameters. */
  params: TextGameParams;
  /** The seed the engine used. */
  seed: number | bigint;
  /** One record per agent call, in call order (the two proposal calls of a round: agent 0 first). */
  transcript: TranscriptRecord[];
  /** One record per played round. */
  rounds: RoundRecord[];
  /** Total points per agent. */
  returns: [number, number];
  /** [rounds, agents] points, row-major. */
  rewards: Float32Array;
  /** Per agent, malformed replies by kind. */
  malformed: [MalformedCounts, MalformedCounts];
  /** Per agent, calls and tokens. */
  usage: [AgentUsage, AgentUsage];
}

/** Options of {@link playTextMatch}. */
export interface TextMatchOptions {
  /** Game parameters (coins, winnerValue, loserValue, tieValue, rounds); defaults as resolveTextParams. */
  params?: Partial<TextGameParams>;
  /** Rounds to play; overrides params.rounds. */
  rounds?: number;
  /** Agent 0's and agent 1's policies. */
  agents: readonly [TextPolicy, TextPolicy];
  /** Seed of the engine's random events. Default 0. */
  seed?: number | bigint;
  /** The engine to play on. Default: the native environment (nativeTextEngine). */
  engine?: TextEngineFactory;
  /** Longest accepted message, in characters. Default 500. */
  maxMessageChars?: number;
  /**
   * What a policy that throws does to the match: 'throw' (default) ends it
   * with that error; 'malformed' records the call as an `agent-error`
   * (message '' / proposal = coins) and goes on.
   */
  onAgentError?: 'throw' | 'malformed';
  /** Called with each transcript record as soon as it is complete. */
  onRecord?: (record: TranscriptRecord) => void;
  /**
   * Aborts the match (passed on to every policy call). The match then rejects
   * with ERR_LLM_ABORTED at once, also while a policy that ignores the signal
   * is still running.
   */
  signal?: AbortSignal;
}

function abortError(signal: AbortSignal): DilemmaError {
  return new DilemmaError(ErrorCode.LlmAborted, 'the text match was aborted', { cause: redactError(signal.reason) });
}

/** The policy's answer, or a rejection as soon as `signal` aborts, whichever comes first. */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return work;
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abortError(signal));
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

function tokensOf(usage: unknown): TokenUsage {
  const u = (usage ?? {}) as Partial<TokenUsage>;
  const n = (v: unknown) => (typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= MAX_TOKENS_PER_CALL ? v : null);
  return { promptTokens: n(u.promptTokens), completionTokens: n(u.completionTokens) };
}

/** Plays one episode between two text agents; see TextMatchOptions. */
export async function playTextMatch(options: TextMatchOptions): Promise<TextMatchResult> {
  const o = checkObject('options', options);
  checkKeys('options', o, ['params', 'rounds', 'agents', 'seed', 'engine', 'maxMessageChars', 'onAgentError', 'onRecord', 'signal']);
  const params = resolveTextParams(
    o.rounds === undefined
      ? (options.params ?? {})
      : { ...(options.params ?? {}), rounds: checkInteger('options.rounds', o.rounds, 1, LIMITS.maxRounds) },
    'options.params',
  );
  const agents = options.agents;
  if (!Array.isArray(agents) || agents.length !== 2 || agents.some((a) => typeof a !== 'function')) {
    invalid('options.agents', 'must be an array of two text policies (async functions)');
  }
  const seed = o.seed === undefined ? 0 : checkSeed('options.seed', o.seed);
  const maxMessageChars =
    o.maxMessageChars === undefined ? DEFAULT_MAX_MESSAGE_CHARS : checkInteger('options.maxMessageChars', o.maxMessageChars, 1, 1_000_000);
  const onAgentError = options.onAgentError ?? 'throw';
  if (onAgentError !== 'throw' && onAgentError !== 'malformed') {
    invalid('options.onAgentError', `must be "throw" or "malformed", got ${JSON.stringify(onAgentError)}`);
  }
  const factory = options.engine ?? nativeTextEngine();
  if (typeof factory !== 'function') invalid('options.engine', 'must be a function from parameters to a TextEngine');

  const engine = factory(params);
  const transcript: TranscriptRecord[] = [];
  const rounds: RoundRecord[] = [];
  const malformed: [MalformedCounts, MalformedCounts] = [emptyMalformedCounts(), emptyMalformedCounts()];
  const usage: [AgentUsage, AgentUsage] = [
    { calls: 0, promptTokens: 0, completionTokens: 0 },
    { calls: 0, promptTokens: 0, completionTokens: 0 },
  ];
  const totals: [number, number] = [0, 0];
  let last: EngineOutcome | null = null;
  const signal = options.signal;

  const view = (st: EngineRound, agent: AgentIndex, messages: [string | null, string | null]): RoundView => {
    const other = (1 - agent) as AgentIndex;
    let lastRound: LastRoundFacts | null = null;
    if (last) {
      lastRound = {
        ownHand: last.hands[agent],
        otherHand: last.hands[other],
        ownValue: last.values[agent],
        otherValue: last.values[other],
        ownProposal: last.proposals[agent],
        otherProposal: last.proposals[other],
        ownCoins: last.coins ? last.coins[agent] : null,
        otherCoins: last.coins ? last.coins[other] : null,
        ownPoints: last.points[agent],
        otherPoints: last.points[other],
      };
    }
    return {
      agent,
      round: st.round,
      rounds: params.rounds,
      firstSpeaker: st.firstSpeaker,
      ownHand: st.hands[agent],
      valuesByOtherHand: Object.fromEntries(
        Object.entries(st.valuesByOtherHand[agent]).map(([h, v]) => [h, { own: v.own, other: v.other }]),
      ),
      ownMessage: messages[agent],
      otherMessage: messages[other],
      lastRound,
      totals: { own: totals[agent], other: totals[other] },
    };
  };

  const ask = async (agent: AgentIndex, phase: Phase, v: RoundView) => {
    if (signal?.aborted) throw abortError(signal);
    const prompt = renderPrompt(v, phase, params, { maxMessageChars });
    try {
      const r = await untilAborted(
        Promise.resolve(agents[agent]({ agent, round: v.round, phase, prompt, view: v, params, maxMessageChars, signal })),
        signal,
      );
      if (typeof r === 'string') return { prompt, reply: redact(r), tokens: tokensOf(null) };
      if (typeof r !== 'object' || r === null || typeof r.text !== 'string') {
        throw new DilemmaError(ErrorCode.InvalidArgument, `agent ${agent} returned neither a string nor { text }`);
      }
      return { prompt, reply: redact(r.text), tokens: tokensOf(r.usage) };
    } catch (e) {
      if (signal?.aborted) throw abortError(signal);
      if (onAgentError === 'throw') throw e;
      return { prompt, reply: '', tokens: tokensOf(null), error: redact(e instanceof Error ? e.message : String(e)) };
    }
  };

  const record = (r: Omit<TranscriptRecord, 'call'>): TranscriptRecord => {
    const rec: TranscriptRecord = { call: transcript.length, ...r };
    if (rec.error === undefined) delete rec.error;
    transcript.push(rec);
    usage[r.agent].calls++;
    usage[r.agent].promptTokens += r.tokens.promptTokens ?? 0;
    usage[r.agent].completionTokens += r.tokens.completionTokens ?? 0;
    if (r.malformed) malformed[r.agent][r.malformed]++;
    options.onRecord?.(rec);
    return rec;
  };

  try {
    engine.reset(seed);
    for (let r = 0; r < params.rounds; r++) {
      const st = engine.round();
      if (st.round !== r) {
        throw new DilemmaError(ErrorCode.Internal, `the text engine reported round ${st.round} where round ${r} was expected`);
      }
      const messages: [string | null, string | null] = [null, null];
      const tokens: [MessageToken, MessageToken] = [{ kind: 'silence' }, { kind: 'silence' }];
      for (const speaker of [st.firstSpeaker, (1 - st.firstSpeaker) as AgentIndex]) {
        const a = await ask(speaker, 'message', view(st, speaker, messages));
        const parsed = a.error === undefined ? parseMessage(a.reply, { maxChars: maxMessageChars }) : { text: '', malformed: 'agent-error' as const };
        const token = interpretMessage(parsed.text, params.coins).token;
        engine.message(speaker, token, parsed.text);
        messages[speaker] = parsed.text;
        tokens[speaker] = token;
        record({ agent: speaker, round: r, phase: 'message', prompt: a.prompt, reply: a.reply, parsed: parsed.text, token, malformed: parsed.malformed, tokens: a.tokens, error: a.error });
      }
      const views = [view(st, 0, messages), view(st, 1, messages)] as const;
      const replies = await Promise.all([ask(0, 'proposal', views[0]), ask(1, 'proposal', views[1])]);
      const proposals = replies.map((a) =>
        a.error === undefined ? parseProposal(a.reply, params.coins) : { value: params.coins, malformed: 'agent-error' as const },
      );
      for (const agent of [0, 1] as const) {
        const a = replies[agent];
        record({ agent, round: r, phase: 'proposal', prompt: a.prompt, reply: a.reply, parsed: proposals[agent].value, token: null, malformed: proposals[agent].malformed, tokens: a.tokens, error: a.error });
      }
      const outcome = engine.propose([proposals[0].value, proposals[1].value]);
      totals[0] += outcome.points[0];
      totals[1] += outcome.points[1];
      rounds.push({
        round: r,
        firstSpeaker: st.firstSpeaker,
        hands: [outcome.hands[0], outcome.hands[1]],
        values: [outcome.values[0], outcome.values[1]],
        messages: [messages[0] ?? '', messages[1] ?? ''],
        tokens,
        proposals: [outcome.proposals[0], outcome.proposals[1]],
        coins: outcome.coins ? [outcome.coins[0], outcome.coins[1]] : null,
        points: [outcome.points[0], outcome.points[1]],
      });
      last = outcome;
      if (outcome.done) break;
    }
  } finally {
    engine.dispose?.();
  }

  const rewards = new Float32Array(rounds.length * 2);
  rounds.forEach((rr, i) => {
    rewards[2 * i] = rr.points[0];
    rewards[2 * i + 1] = rr.points[1];
  });
  return { params, seed, transcript, rounds, returns: [totals[0], totals[1]], rewards, malformed, usage };
}

/** One agent's per-round points, [rounds], e.g. for credit.discountedReturns with batch 1. */
export function agentRewards(result: TextMatchResult, agent: AgentIndex): Float32Array {
  const n = result.rounds.length;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = result.rewards[2 * i + agent];
  return out;
}

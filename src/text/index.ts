/**
 * Text mode of Trust-and-Split for LLM agents: prompt rendering, strict reply
 * parsing, message interpretation, an OpenAI-compatible chat client, scripted
 * text agents, the match runner, transcripts and per-token credits.
 */
export { HANDS, type AgentIndex, type ChatMessage, type Hand, type LastRoundFacts, type Phase, type RoundView, type TextGameParams, type TextPolicy, type TextReply, type TextRequest, type TokenUsage } from './types.js';
export { BEATS, DEFAULT_TEXT_PARAMS, beatenBy, formatNumber, resolveTextParams } from './params.js';
export {
  DEFAULT_MAX_MESSAGE_CHARS,
  MESSAGE_END,
  MESSAGE_START,
  PROPOSAL_END,
  PROPOSAL_START,
  renderPrompt,
  renderRules,
  renderSituation,
  type PromptOptions,
} from './prompt.js';
export {
  MALFORMED_KINDS,
  emptyMalformedCounts,
  parseMessage,
  parseProposal,
  type MalformedCounts,
  type MalformedKind,
  type ParsedMessage,
  type ParsedProposal,
} from './parse.js';
export { interpretMessage, tokenText, type MessageMeaning, type MessageToken } from './interpret.js';
export {
  ChatClient,
  LlmErrorCode,
  chatClient,
  isLlmError,
  type BackoffOptions,
  type ChatCallOptions,
  type ChatClientOptions,
  type ChatClientUsage,
  type ChatCompletion,
  type LlmErrorDetails,
  type RetryInfo,
  DEFAULT_MAX_RESPONSE_BYTES,
  MAX_REDIRECTS,
} from './openai.js';
export { MAX_TOKENS_PER_CALL } from './completion.js';
export { MIN_SECRET_LENGTH, REDACTED, displayURL, redact, redactError, registerSecret } from './redact.js';
export { Semaphore } from './semaphore.js';
export { counterUniform, SeededStream } from './random.js';
export { greedyAgent, honestAgent, liarAgent, malformedAgent, malformedReplies, type MalformedAgentOptions } from './agents.js';
export {
  agentRewards,
  playTextMatch,
  type AgentUsage,
  type RoundRecord,
  type TextMatchOptions,
  type TextMatchResult,
  type TranscriptRecord,
} from './match.js';
export type { EngineOutcome, EngineRound, TextEngine, TextEngineFactory, ValueTable } from './engine.js';
export { parseJsonLines, toJsonLines, writeJsonLines } from './jsonl.js';
export { tokenCredits, tokenCreditsRows, type RoundCredits, type TokenCountsOfCall, type TokenCredits, type TokenCreditsOptions, type TokenCreditsRow } from './credits.js';
export { defaultTextVocabulary, nativeTextEngine, tokenIndex, type NativeTextEngineOptions } from './native.js';

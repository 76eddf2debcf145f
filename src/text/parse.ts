/**
 * Strict parsing of agent replies.
 *
 * A message reply must hold exactly one `<<message_start>> … <<message_end>>`
 * block, a proposal reply exactly one `<<proposal_start>> x <<proposal_end>>`
 * block. Markers are lowercase; whitespace is tolerated inside the angle
 * brackets (`<< message_start >>`) and around the block's content. Text
 * outside the block is ignored. The outcome of a malformed reply is defined:
 *
 * | kind | when | result |
 * |---|---|---|
 * | `missing-block` | no start marker, or no end marker after it | message '' / proposal = coins |
 * | `several-blocks` | more than one start or more than one end marker | message '' / proposal = coins |
 * | `non-integer` | the proposal is not `[+-]?digits` (e.g. `3.5`, `ten`, empty) | proposal = coins |
 * | `out-of-range` | an integer outside 0..coins (e.g. `-1`, `11`) | proposal = coins |
 * | `empty-message` | the message block holds only whitespace | message '' |
 * | `message-too-long` | the trimmed message is longer than the limit (code points) | message '' |
 * | `agent-error` | the agent threw and the match was told to go on | message '' / proposal = coins |
 *
 * A proposal of `coins` is the greedy default: a broken reply never earns a
 * more generous outcome than a valid one.
 */
import { DEFAULT_MAX_MESSAGE_CHARS } from './prompt.js';

/** Why a reply was rejected: no block, several blocks, not an integer, out of range, empty, too long, or the agent threw. */
export const MALFORMED_KINDS = [
  'missing-block',
  'several-blocks',
  'non-integer',
  'out-of-range',
  'empty-message',
  'message-too-long',
  'agent-error',
] as const;
/** One of {@link MALFORMED_KINDS}. */
export type MalformedKind = (typeof MALFORMED_KINDS)[number];

/** Count of malformed replies of each kind (for one agent). */
export type MalformedCounts = Record<MalformedKind, number>;

/** Counts of zero for every kind. */
export function emptyMalformedCounts(): MalformedCounts {
  return Object.fromEntries(MALFORMED_KINDS.map((k) => [k, 0])) as MalformedCounts;
}

/** A message reply, parsed strictly. */
export interface ParsedMessage {
  /** The accepted message (trimmed); '' when malformed. */
  text: string;
  /** Why the reply was rejected, or null when accepted. */
  malformed: MalformedKind | null;
  /** The block's content as written, when exactly one block was found. */
  raw: string | null;
}

/** A proposal reply, parsed strictly. */
export interface ParsedProposal {
  /** The accepted proposal; `coins` when malformed. */
  value: number;
  /** Why the reply was rejected, or null when accepted. */
  malformed: MalformedKind | null;
  /** The block's content as written, when exactly one block was found. */
  raw: string | null;
}

const MARKERS = {
  message: [/<<\s*message_start\s*>>/g, /<<\s*message_end\s*>>/g],
  proposal: [/<<\s*proposal_start\s*>>/g, /<<\s*proposal_end\s*>>/g],
} as const;

type Block = { content: string } | { malformed: 'missing-block' | 'several-blocks' };

function extractBlock(reply: string, kind: 'message' | 'proposal'): Block {
  const [startRe, endRe] = MARKERS[kind];
  const starts = [...reply.matchAll(startRe)];
  const ends = [...reply.matchAll(endRe)];
  if (starts.length > 1 || ends.length > 1) return { malformed: 'several-blocks' };
  if (starts.length === 0 || ends.length === 0) return { malformed: 'missing-block' };
  const s = starts[0];
  const e = ends[0];
  const from = (s.index as number) + s[0].length;
  if ((e.index as number) < from) return { malformed: 'missing-block' };
  return { content: reply.slice(from, e.index) };
}

function codePoints(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

/** Parses a message reply; see the module comment for the rules. */
export function parseMessage(reply: string, options: { maxChars?: number } = {}): ParsedMessage {
  const max = options.maxChars ?? DEFAULT_MAX_MESSAGE_CHARS;
  const block = extractBlock(String(reply), 'message');
  if ('malformed' in block) return { text: '', malformed: block.malformed, raw: null };
  const text = block.content.trim();
  if (text.length === 0) return { text: '', malformed: 'empty-message', raw: block.content };
  if (codePoints(text) > max) return { text: '', malformed: 'message-too-long', raw: block.content };
  return { text, malformed: null, raw: block.content };
}

/** Parses a proposal reply for a game of `coins` coins; see the module comment for the rules. */
export function parseProposal(reply: string, coins: number): ParsedProposal {
  const block = extractBlock(String(reply), 'proposal');
  if ('malformed' in block) return { value: coins, malformed: block.malformed, raw: null };
  const s = block.content.trim();
  if (!/^[+-]?\d+$/.test(s)) return { value: coins, malformed: 'non-integer', raw: block.content };
  const x = Number(s);
  if (!(x >= 0 && x <= coins)) return { value: coins, malformed: 'out-of-range', raw: block.content };
  return { value: x === 0 ? 0 : x, malformed: null, raw: block.content };
}

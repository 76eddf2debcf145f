/**
 * Prompt rendering for Trust-and-Split. Each call to an agent gets two chat
 * messages: a system message with the rules (the same for both agents and
 * every round of a game, so endpoints can cache it) and a user message with
 * the agent's situation (round, own hand and coin value, the other's value
 * for each hand it may hold, last round's revealed facts, the messages of
 * this round so far) and the exact reply format. Rendering is a pure
 * function of the round view, the phase and the parameters.
 */
import { formatNumber } from './params.js';
import { HANDS, type ChatMessage, type Phase, type RoundView, type TextGameParams } from './types.js';

/** Opens the message block of a reply. */
export const MESSAGE_START = '<<message_start>>';
/** Closes the message block of a reply. */
export const MESSAGE_END = '<<message_end>>';
/** Opens the proposal block of a reply. */
export const PROPOSAL_START = '<<proposal_start>>';
/** Closes the proposal block of a reply. */
export const PROPOSAL_END = '<<proposal_end>>';

/** Default longest accepted message, in characters (Unicode code points). */
export const DEFAULT_MAX_MESSAGE_CHARS = 500;

/** Options of the prompt renderers. */
export interface PromptOptions {
  /** Longest accepted message in characters. Default 500. */
  maxMessageChars?: number;
}

const points = (v: number): string => `${formatNumber(v)} ${v === 1 ? 'point' : 'points'}`;
const coinsText = (c: number): string => `${formatNumber(c)} ${c === 1 ? 'coin' : 'coins'}`;

/** The system message: the rules of the game with its parameters. */
export function renderRules(params: TextGameParams, options: PromptOptions = {}): string {
  const C = params.coins;
  const tie =
    params.tieValue === null
      ? 'The two hands of a round are always different.'
      : `If both hands are the same, each coin is worth ${points(params.tieValue)} to both players.`;
  const max = options.maxMessageChars ?? DEFAULT_MAX_MESSAGE_CHARS;
  return [
    `You are playing Trust-and-Split, a game of ${params.rounds} ${params.rounds === 1 ? 'round' : 'rounds'} between you and one other player. Your goal is to earn as many points as you can over all rounds.`,
    '',
    'Each round:',
    '1. Each player is dealt a hand: rock, paper or scissors. You see only your own hand until the round is over.',
    `2. Rock beats scissors, scissors beats paper and paper beats rock. For the player whose hand wins, each coin is worth ${points(params.winnerValue)}; for the player whose hand loses, each coin is worth ${points(params.loserValue)}. ${tie}`,
    '3. The players then send one message each: one speaks first and the other answers. The first speaker alternates from round to round. Messages are free text and nobody checks them: a player may tell the truth or not.',
    `4. Then both players propose at the same time how many of the ${C} coins they want for themselves: a whole number from 0 to ${C}.`,
    `5. If the two proposals add up to ${C} or less, each player gets what they proposed (coins nobody asked for are lost). If they add up to more than ${C}, the coins are shared in proportion to the proposals: a player who proposed x gets ${C} × x / (sum of both proposals) coins.`,
    "6. A player's points for the round are their coins times their own value per coin.",
    "When a round is over, both players learn the other's hand, proposal, coins and points.",
    '',
    'Replies follow a strict format, given with each request; text outside the marked block is ignored.',
    `A message must be at most ${max} characters long. A missing or invalid message counts as no message; a missing or invalid proposal counts as a proposal of ${C}.`,
  ].join('\n');
}

function quote(text: string): string {
  return text
    .split(/\r?\n/)
    .map((line) => (line.length > 0 ? `> ${line}` : '>'))
    .join('\n');
}

function lastRoundText(view: RoundView): string {
  const l = view.lastRound;
  if (!l) return 'This is the first round.';
  const lines = [
    `Last round you held ${l.ownHand} and the other player held ${l.otherHand}, so each coin was worth ${points(l.ownValue)} to you and ${points(l.otherValue)} to them.`,
    `You proposed ${formatNumber(l.ownProposal)} and the other player proposed ${formatNumber(l.otherProposal)}.`,
  ];
  if (l.ownCoins !== null && l.otherCoins !== null) {
    lines.push(
      `You received ${coinsText(l.ownCoins)} (${points(l.ownPoints)}); the other player received ${coinsText(l.otherCoins)} (${points(l.otherPoints)}).`,
    );
  } else {
    lines.push(`You earned ${points(l.ownPoints)}; the other player earned ${points(l.otherPoints)}.`);
  }
  lines.push(`Points so far: you ${formatNumber(view.totals.own)}, the other player ${formatNumber(view.totals.other)}.`);
  return lines.join('\n');
}

function handText(view: RoundView): string {
  const cases = HANDS.filter((h) => view.valuesByOtherHand[h] !== undefined).map((h) => {
    const v = view.valuesByOtherHand[h] as { own: number; other: number };
    const outcome = v.own > v.other ? 'you win' : v.own < v.other ? 'they win' : 'nobody wins';
    return `If the other player holds ${h}, ${outcome}: each coin is worth ${points(v.own)} to you and ${points(v.other)} to them.`;
  });
  return [`Your hand this round is ${view.ownHand}.`, ...cases].join(' ');
}

function messageLine(who: string, text: string | null): string {
  return text === null || text === '' ? `${who} sent no message.` : `${who} wrote:\n${quote(text)}`;
}

function taskText(view: RoundView, phase: Phase, params: TextGameParams, max: number): string {
  const first = view.firstSpeaker === view.agent;
  if (phase === 'message') {
    const situation = first
      ? 'You speak first this round. Write your message to the other player.'
      : `The other player spoke first this round. ${messageLine('They', view.otherMessage)}\nWrite your answer to the other player.`;
    return [
      situation,
      '',
      `Reply with exactly one message block, at most ${max} characters between the markers:`,
      `${MESSAGE_START} your message ${MESSAGE_END}`,
    ].join('\n');
  }
  const order = first
    ? [messageLine('You', view.ownMessage), messageLine('The other player', view.otherMessage)]
    : [messageLine('The other player', view.otherMessage), messageLine('You', view.ownMessage)];
  return [
    `Messages this round (${first ? 'you' : 'the other player'} spoke first):`,
    ...order,
    '',
    `Now make your proposal. Reply with exactly one proposal block holding the number of coins you want for yourself, a whole number from 0 to ${params.coins}:`,
    `${PROPOSAL_START} x ${PROPOSAL_END}`,
  ].join('\n');
}

/** The user message: this agent's situation at this decision and the reply format. */
export function renderSituation(view: RoundView, phase: Phase, params: TextGameParams, options: PromptOptions = {}): string {
  const max = options.maxMessageChars ?? DEFAULT_MAX_MESSAGE_CHARS;
  return [
    `Round ${view.round + 1} of ${view.rounds}.`,
    lastRoundText(view),
    '',
    handText(view),
    '',
    taskText(view, phase, params, max),
  ].join('\n');
}

/** The full prompt for one call: [system rules, user situation]. */
export function renderPrompt(view: RoundView, phase: Phase, params: TextGameParams, options: PromptOptions = {}): ChatMessage[] {
  return [
    { role: 'system', content: renderRules(params, options) },
    { role: 'user', content: renderSituation(view, phase, params, options) },
  ];
}

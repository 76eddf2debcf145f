/**
 * Deterministic scripted text agents, for tests and baselines. They answer
 * in the reply format and read the structured round view (a language model
 * reads the rendered prompt instead).
 *
 * - honest: says "I have <hand>." and proposes the efficient split given the
 *   claims: with the other's claimed hand taken as true, all coins when its
 *   own coin value is then above the other's, none when below, ⌊coins/2⌋
 *   when equal or when the other made no usable claim.
 * - liar: claims the hand that beats the other's claim (when it speaks
 *   second after a claim) or the hand that beats its own (otherwise), and
 *   proposes all coins.
 * - greedy: says "I want all the coins." and proposes all coins.
 * - malformed: with probability p returns a malformed reply (one of a fixed
 *   list, chosen by the draw), else the reply of a base agent (default
 *   honest). Draws are counter-based in (seed, agent, round, phase), so they
 *   do not depend on call order.
 */
import { checkNumber, checkSeed } from '../validate.js';
import { interpretMessage } from './interpret.js';
import { beatenBy } from './params.js';
import { MESSAGE_END, MESSAGE_START, PROPOSAL_END, PROPOSAL_START } from './prompt.js';
import { counterUniform } from './random.js';
import type { Hand, RoundView, TextPolicy, TextRequest } from './types.js';

const message = (text: string) => `${MESSAGE_START} ${text} ${MESSAGE_END}`;
const proposal = (x: number | string) => `${PROPOSAL_START} ${x} ${PROPOSAL_END}`;

function otherClaim(view: RoundView, coins: number): Hand | null {
  return view.otherMessage ? interpretMessage(view.otherMessage, coins).claim : null;
}

/** Tells its hand; proposes the efficient split given the other's claim. */
export function honestAgent(): TextPolicy {
  return async ({ phase, view, params }: TextRequest) => {
    if (phase === 'message') return message(`I have ${view.ownHand}.`);
    const claim = otherClaim(view, params.coins);
    const v = claim === null ? undefined : view.valuesByOtherHand[claim];
    let x = Math.floor(params.coins / 2);
    if (v !== undefined && v.own > v.other) x = params.coins;
    else if (v !== undefined && v.own < v.other) x = 0;
    return proposal(x);
  };
}

/** Always claims a winning hand; proposes all coins. */
export function liarAgent(): TextPolicy {
  return async ({ phase, view, params }: TextRequest) => {
    if (phase === 'proposal') return proposal(params.coins);
    const claim = otherClaim(view, params.coins);
    return message(`I have ${beatenBy(claim ?? view.ownHand)}.`);
  };
}

/** Asks for everything; proposes all coins. */
export function greedyAgent(): TextPolicy {
  return async ({ phase, params }: TextRequest) =>
    phase === 'message' ? message('I want all the coins.') : proposal(params.coins);
}

/** Options of {@link malformedAgent}. */
export interface MalformedAgentOptions {
  /** Probability of a malformed reply, in [0, 1]. */
  probability: number;
  /** Seed of the draws. Default 0. */
  seed?: number | bigint;
  /** The agent answering when the reply is well formed. Default honestAgent(). */
  base?: TextPolicy;
}

/** The malformed replies the malformed agent picks from, per phase. */
export function malformedReplies(
  coins: number,
  maxMessageChars = 500,
): {
  /** Malformed replies to a message request. */
  message: string[];
  /** Malformed replies to a proposal request. */
  proposal: string[];
} {
  return {
    message: [
      'I have rock.',
      `${MESSAGE_START}   ${MESSAGE_END}`,
      `${MESSAGE_START} hello ${MESSAGE_END} ${MESSAGE_START} again ${MESSAGE_END}`,
      message('x'.repeat(maxMessageChars + 1)),
      `${MESSAGE_START} no end marker`,
    ],
    proposal: [
      `I will take ${coins}.`,
      proposal('ten'),
      proposal('3.5'),
      proposal(-1),
      proposal(coins + 1),
      `${proposal(1)} ${proposal(2)}`,
      proposal(''),
    ],
  };
}

/** Returns garbage with the given probability, else the base agent's reply. */
export function malformedAgent(options: MalformedAgentOptions): TextPolicy {
  const p = checkNumber('options.probability', options.probability, 0, 1);
  const seed = options.seed === undefined ? 0 : checkSeed('options.seed', options.seed);
  const base = options.base ?? honestAgent();
  return async (request: TextRequest) => {
    const phase = request.phase === 'message' ? 0 : 1;
    const u = counterUniform(seed, request.agent, request.round, phase, 0);
    if (u >= p) return base(request);
    const list = malformedReplies(request.params.coins, request.maxMessageChars)[request.phase];
    const pick = Math.floor(counterUniform(seed, request.agent, request.round, phase, 1) * list.length);
    return list[pick];
  };
}

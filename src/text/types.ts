/**
 * Types shared by the text mode of Trust-and-Split: the game's parameters as
 * the text layer sees them, the per-agent "round view" that prompts are
 * rendered from, chat messages, and the text-policy signature.
 *
 * The round view is everything one agent knows when it is asked to speak or
 * to propose. An engine adapter fills it from the native environment; the
 * text layer only renders it and never derives a game outcome itself.
 */

export const HANDS = ['rock', 'paper', 'scissors'] as const;
/** A rock-paper-scissors hand. */
export type Hand = (typeof HANDS)[number];

/** The two decisions of a round: send a message, then propose a split. */
export type Phase = 'message' | 'proposal';
/** A seat of the two-player game. */
export type AgentIndex = 0 | 1;

/** One chat message as OpenAI-compatible endpoints take it. */
export interface ChatMessage {
  /** Who speaks. */
  role: 'system' | 'user' | 'assistant';
  /** The message text. */
  content: string;
}

/** Trust-and-Split parameters, resolved (see resolveTextParams for the defaults). */
export interface TextGameParams {
  /** Coins on the table each round; proposals are integers 0..coins. */
  coins: number;
  /** Points per coin for the player whose hand wins. */
  winnerValue: number;
  /** Points per coin for the player whose hand loses. */
  loserValue: number;
  /**
   * Points per coin for both players when the hands are equal, or null when
   * the game always deals two different hands.
   */
  tieValue: number | null;
  /** Rounds per episode. */
  rounds: number;
}

/** What an agent learns about the previous round once it is over. */
export interface LastRoundFacts {
  /** This agent's hand. */
  ownHand: Hand;
  /** The other agent's hand, revealed after the round. */
  otherHand: Hand;
  /** Points per coin for this agent last round. */
  ownValue: number;
  /** Points per coin for the other agent last round. */
  otherValue: number;
  /** Coins this agent proposed to take (0..coins). */
  ownProposal: number;
  /** Coins the other agent proposed to take (0..coins). */
  otherProposal: number;
  /** Coins received after scaling, when the engine reports them; null otherwise. */
  ownCoins: number | null;
  /** Coins the other agent received after scaling, when reported; null otherwise. */
  otherCoins: number | null;
  /** Points this agent scored last round. */
  ownPoints: number;
  /** Points the other agent scored last round. */
  otherPoints: number;
}

/** Everything one agent knows at one decision of one round. */
export interface RoundView {
  /** The agent this view belongs to. */
  agent: AgentIndex;
  /** 0-based round index. */
  round: number;
  /** Rounds in the episode. */
  rounds: number;
  /** The agent who speaks first this round. */
  firstSpeaker: AgentIndex;
  /** This agent's hand this round. */
  ownHand: Hand;
  /**
   * The coin values this round for each hand the other agent may hold (an
   * agent sees only its own hand, so it knows its value only up to the
   * other's hand): `own` is this agent's points per coin, `other` the other
   * agent's. A hand the other cannot hold is absent.
   */
  valuesByOtherHand: Partial<
    Record<
      Hand,
      {
        /** This agent's points per coin. */
        own: number;
        /** The other agent's points per coin. */
        other: number;
      }
    >
  >;
  /** This agent's message this round, once sent (after parsing; '' for none). */
  ownMessage: string | null;
  /** The other agent's message this round, once sent (after parsing; '' for none). */
  otherMessage: string | null;
  /** The previous round's revealed facts; null in the first round. */
  lastRound: LastRoundFacts | null;
  /** Points so far in this episode, before this round. */
  totals: {
    /** This agent's points. */
    own: number;
    /** The other agent's points. */
    other: number;
  };
}

/** Token counts of one model call, when known. */
export interface TokenUsage {
  /** Tokens of the prompt, or null when unknown. */
  promptTokens: number | null;
  /** Tokens of the completion, or null when unknown. */
  completionTokens: number | null;
}

/** What a text policy is asked. */
export interface TextRequest {
  /** The agent asked. */
  agent: AgentIndex;
  /** 0-based round index. */
  round: number;
  /** Whether a message or a proposal is asked for. */
  phase: Phase;
  /** The rendered prompt: a system message with the rules, a user message with the situation. */
  prompt: ChatMessage[];
  /** The structured facts the prompt was rendered from (scripted agents read these). */
  view: RoundView;
  /** The game's resolved parameters. */
  params: TextGameParams;
  /** Longest accepted message, in characters (Unicode code points). */
  maxMessageChars: number;
  /** Aborted when the match is aborted. */
  signal?: AbortSignal;
}

/** A reply with its token usage; a policy may also return the bare text. */
export interface TextReply {
  /** The model's raw reply text. */
  text: string;
  /** Token counts of the call, when known. */
  usage?: Partial<TokenUsage> | null;
}

/** A text agent: any async function from a request to the model's raw reply. */
export type TextPolicy = (request: TextRequest) => Promise<string | TextReply>;

/**
 * The engine a text-mode match is played on, as the runner sees it: one
 * episode driven a decision at a time, and what it reports about each round.
 * The native adapter (native.ts) implements it; tests may bring their own.
 */
import type { MessageToken } from './interpret.js';
import type { AgentIndex, Hand, RoundView, TextGameParams } from './types.js';

/** For each hand the other agent may hold, this agent's and the other's points per coin (see {@link RoundView.valuesByOtherHand}). */
export type ValueTable = Partial<
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

/** The round about to be played, as the engine reports it. */
export interface EngineRound {
  /** 0-based round index. */
  round: number;
  /** The agent who speaks first this round. */
  firstSpeaker: AgentIndex;
  /** Each agent's hand (each agent is shown only its own). */
  hands: readonly [Hand, Hand];
  /** Per agent: both agents' coin values for each hand the other may hold (see RoundView.valuesByOtherHand). */
  valuesByOtherHand: readonly [ValueTable, ValueTable];
}

/** A played round, as the engine reports it. */
export interface EngineOutcome {
  /** Both agents' hands, revealed. */
  hands: readonly [Hand, Hand];
  /** Each agent's points per coin this round. */
  values: readonly [number, number];
  /** Each agent's proposal (coins it takes, 0..coins). */
  proposals: readonly [number, number];
  /** Coins each agent received after scaling, when the engine reports them. */
  coins: readonly [number, number] | null;
  /** Each agent's reward (points) for the round. */
  points: readonly [number, number];
  /** True once the episode has ended. */
  done: boolean;
}

/**
 * One episode of Trust-and-Split driven a decision at a time. Per round the
 * runner calls round(), then message() for the first and the second speaker,
 * then propose() once with both proposals.
 */
export interface TextEngine {
  /** Starts a new episode whose random events (hands) follow `seed`. */
  reset(seed: number | bigint): void;
  /** The round about to be played (hands dealt, values known). */
  round(): EngineRound;
  /** The speaker's message as a symbolic token (`text` is the accepted text, for engines that keep it). */
  message(agent: AgentIndex, token: MessageToken, text: string): void;
  /** Both agents' proposals (agent 0 first); plays the round out and returns its outcome. */
  propose(proposals: readonly [number, number]): EngineOutcome;
  /** Frees the engine's resources, if it holds any. */
  dispose?(): void;
}

/** Makes an engine for resolved parameters. */
export type TextEngineFactory = (params: TextGameParams) => TextEngine;

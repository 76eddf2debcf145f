/**
 * The adapter from the text layer to the native `trust-and-split` game: a
 * TextEngine over a native environment of batch 1. The native game decides
 * every outcome; the adapter only translates.
 *
 * - Messages are sent as native message tokens. The adapter's vocabulary
 *   (the game's `messages` parameter) is by default every claim, `take-K`
 *   for K = 0..coins (60 evenly spaced K when coins > 59) and `none`. A
 *   claim token maps to `claim-<hand>`, a split token to `take-K` with K the
 *   speaker's share (the nearest K in the vocabulary, ties toward fewer
 *   coins), silence to `none`; a token the vocabulary lacks maps to `none`.
 * - Hands, the first speaker and the round come from the agents'
 *   observations, read at the fields the game's layout names (gameLayout);
 *   actions are sent at the offsets it names.
 * - Each round's coin values come from the game's public facts: which hand
 *   beats which (`beats`) and what a coin is worth to the winner and to the
 *   loser (`coinValues`); the adapter states no rule of its own.
 * - After the proposals, points are the native rewards and coins are
 *   points / value (null when a value is 0).
 */
import { Env, makeEnv } from '../env.js';
import { DilemmaError, ErrorCode } from '../errors.js';
import { gameFact, gameLayout, layoutField, type GameLayout, type LayoutField } from '../game-layout.js';
import { makeGame, type GameId } from '../games.js';
import { invalid } from '../validate.js';
import type { EngineOutcome, EngineRound, TextEngine, TextEngineFactory, ValueTable } from './engine.js';
import type { MessageToken } from './interpret.js';
import { HANDS, type AgentIndex, type Hand, type TextGameParams } from './types.js';

const GAME = 'trust-and-split' satisfies GameId;
const TOKEN_RE = /^(none|claim-(rock|paper|scissors)|take-(\d{1,6}))$/;

/** Options of {@link nativeTextEngine}. */
export interface NativeTextEngineOptions {
  /**
   * The native message vocabulary, as token names in action order ('none',
   * 'claim-rock', 'claim-paper', 'claim-scissors', 'take-K'); must include
   * 'none'. Default: see the module comment.
   */
  messages?: readonly string[];
}

/** The adapter's default vocabulary for a coin count. */
export function defaultTextVocabulary(coins: number): string[] {
  const takes = new Set<number>();
  if (coins + 1 <= 60) for (let k = 0; k <= coins; k++) takes.add(k);
  else for (let i = 0; i < 60; i++) takes.add(Math.round((i * coins) / 59));
  return ['claim-rock', 'claim-paper', 'claim-scissors', ...[...takes].map((k) => `take-${k}`), 'none'];
}

/** The index of the vocabulary token a text-layer token is sent as. */
export function tokenIndex(token: MessageToken, vocabulary: readonly string[]): number {
  const none = vocabulary.indexOf('none');
  if (token.kind === 'claim') {
    const i = vocabulary.indexOf(`claim-${token.hand}`);
    return i >= 0 ? i : none;
  }
  if (token.kind === 'split') {
    let best = -1;
    let bestK = 0;
    vocabulary.forEach((name, i) => {
      const m = /^take-(\d+)$/.exec(name);
      if (!m) return;
      const k = Number(m[1]);
      const d = Math.abs(k - token.own);
      const bd = Math.abs(bestK - token.own);
      if (best < 0 || d < bd || (d === bd && k < bestK)) {
        best = i;
        bestK = k;
      }
    });
    return best >= 0 ? best : none;
  }
  return none;
}

function checkVocabulary(list: readonly string[], coins: number): string[] {
  if (!Array.isArray(list) || list.length === 0 || list.length > 64) invalid('options.messages', 'must be an array of 1 to 64 token names');
  const seen = new Set<string>();
  list.forEach((name, i) => {
    const m = typeof name === 'string' ? TOKEN_RE.exec(name) : null;
    if (!m) invalid(`options.messages[${i}]`, `is not a token name (none, claim-rock, claim-paper, claim-scissors, take-K)`);
    if (m[3] !== undefined && Number(m[3]) > coins) invalid(`options.messages[${i}]`, `takes more than the ${coins} coins`);
    if (seen.has(name)) invalid(`options.messages[${i}]`, `repeats '${name}'`);
    seen.add(name);
  });
  if (!seen.has('none')) invalid('options.messages', "must include 'none' (sent for silence and for tokens it lacks)");
  return [...list];
}

function internal(message: string): never {
  throw new DilemmaError(ErrorCode.Internal, `trust-and-split text adapter: ${message}`);
}

const close = (a: number, b: number) => Math.abs(a - b) <= 1e-4 * Math.max(1, Math.abs(a), Math.abs(b));

/** What the adapter reads from the game's layout: observation fields, action offsets and the public rules. */
interface Reading {
  hand: LayoutField;
  phase: LayoutField;
  first: LayoutField;
  otherMessage: LayoutField;
  otherLastHand: LayoutField;
  lastProposals: LayoutField;
  round: LayoutField;
  /** Action offsets: message token 0, proposal 0, wait. */
  messageAction: number;
  proposalAction: number;
  waitAction: number;
  /** Hands by native index, and for each the index of the hand it beats. */
  hands: Hand[];
  beats: readonly number[];
  winnerValue: number;
  loserValue: number;
  stepsPerRound: number;
}

function reading(layout: GameLayout, vocabulary: readonly string[]): Reading {
  const obs = (name: string) => layoutField(layout.observation, name);
  const action = (name: string) => layoutField(layout.actions, name).offset;
  const hands = gameFact(layout, 'hands').labels.map((label) => {
    if (!(HANDS as readonly string[]).includes(label)) internal(`the game names a hand '${label}' the text layer does not know`);
    return label as Hand;
  });
  const beats = gameFact(layout, 'beats').numbers;
  if (beats.length !== hands.length) internal('the game states which hand beats which for a different number of hands');
  const messages = gameFact(layout, 'messages').labels;
  if (messages.join(' ') !== vocabulary.join(' ')) internal('the game built a different message vocabulary');
  if (gameFact(layout, 'ties').numbers[0] !== 0) internal('the game may deal equal hands, which the adapter does not render');
  const [winnerValue, loserValue] = gameFact(layout, 'coinValues').numbers;
  return {
    hand: obs('hand'),
    phase: obs('phase'),
    first: obs('firstSpeaker'),
    otherMessage: obs('otherMessage'),
    otherLastHand: obs('otherLastHand'),
    lastProposals: obs('lastProposals'),
    round: obs('round'),
    messageAction: action('message'),
    proposalAction: action('proposal'),
    waitAction: action('wait'),
    hands,
    beats,
    winnerValue,
    loserValue,
    stepsPerRound: gameFact(layout, 'stepsPerRound').numbers[0],
  };
}

class NativeTextEngine implements TextEngine {
  readonly #p: TextGameParams;
  readonly #vocab: string[];
  #env: Env | undefined;
  #reading: Reading | undefined;
  #obs: Float32Array = new Float32Array(0);
  #d = 0;
  #t = 0;
  #round: (EngineRound & { values: [number, number] }) | undefined;

  constructor(params: TextGameParams, vocabulary: string[]) {
    if (params.tieValue !== null) {
      throw new DilemmaError(ErrorCode.Unsupported, 'the native trust-and-split game always deals two different hands: params.tieValue must be null');
    }
    this.#p = params;
    this.#vocab = vocabulary;
  }

  get #e(): Env {
    if (!this.#env) internal('reset() was not called');
    return this.#env;
  }

  get #r(): Reading {
    if (!this.#reading) internal('reset() was not called');
    return this.#reading;
  }

  reset(seed: number | bigint): void {
    this.#env?.dispose();
    this.#env = undefined;
    const p = this.#p;
    const game = makeGame(GAME, {
      rounds: p.rounds,
      coins: p.coins,
      highValue: p.winnerValue,
      lowValue: p.loserValue,
      messages: this.#vocab.join(' '),
      alternateSpeaker: true,
    });
    try {
      this.#reading ??= reading(gameLayout(game), this.#vocab);
      this.#env = makeEnv(game, undefined, { batch: 1, seed });
    } finally {
      game.dispose();
    }
    this.#d = this.#env.info.obsDim;
    this.#obs = this.#env.reset();
    this.#t = 0;
    this.#round = undefined;
  }

  #at(agent: number, i: number): number {
    return this.#obs[agent * this.#d + i];
  }

  /** The index of the one 1 of a one-hot field of agent's observation. */
  #hot(agent: number, field: LayoutField): number {
    let k = -1;
    for (let i = 0; i < field.size; i++) {
      if (this.#at(agent, field.offset + i) === 1) {
        if (k >= 0) internal(`observation field '${field.name}' has two ones`);
        k = i;
      }
    }
    if (k < 0) internal(`observation field '${field.name}' has no one`);
    return k;
  }

  #phase(): number {
    return this.#hot(0, this.#r.phase);
  }

  #wait(): number {
    return this.#r.waitAction;
  }

  /** For each hand the other may hold, both agents' coin values when this agent holds `own` (native hand indices). */
  #table(own: number): ValueTable {
    const { hands, beats, winnerValue: W, loserValue: L } = this.#r;
    const t: ValueTable = {};
    hands.forEach((h, other) => {
      if (other === own) return;
      if (beats[own] === other) t[h] = { own: W, other: L };
      else if (beats[other] === own) t[h] = { own: L, other: W };
    });
    return t;
  }

  round(): EngineRound {
    return this.#current();
  }

  #current(): EngineRound & { values: [number, number] } {
    if (this.#round) return this.#round;
    const at = this.#r;
    if (this.#phase() !== 0) internal('round() called in the middle of a round');
    const r = Math.floor(this.#t / at.stepsPerRound);
    if (!close(this.#at(0, at.round.offset), r / this.#p.rounds)) internal(`the observed round differs from ${r}`);
    const own = [this.#hot(0, at.hand), this.#hot(1, at.hand)];
    const hands = [at.hands[own[0]], at.hands[own[1]]] as [Hand, Hand];
    const f0 = this.#at(0, at.first.offset) === 1;
    if (f0 === (this.#at(1, at.first.offset) === 1)) internal('exactly one agent must speak first');
    const firstSpeaker: AgentIndex = f0 ? 0 : 1;
    const tables: [ValueTable, ValueTable] = [this.#table(own[0]), this.#table(own[1])];
    const e0 = tables[0][hands[1]], e1 = tables[1][hands[0]];
    if (!e0 || !e1) internal(`the game dealt ${hands.join(' and ')}, which its rules give no values for`);
    const v: [number, number] = [e0.own, e1.own];
    this.#round = { round: r, firstSpeaker, hands, valuesByOtherHand: tables, values: v };
    return this.#round;
  }

  message(agent: AgentIndex, token: MessageToken): void {
    const st = this.#current();
    const phase = this.#phase();
    const speaker = phase === 0 ? st.firstSpeaker : phase === 1 ? 1 - st.firstSpeaker : -1;
    if (speaker !== agent) internal(`agent ${agent} may not send a message now`);
    const actions = [this.#wait(), this.#wait()];
    const sent = tokenIndex(token, this.#vocab);
    actions[agent] = this.#r.messageAction + sent;
    this.#obs = this.#e.step(actions).observations;
    this.#t++;
    if (this.#hot(1 - agent, this.#r.otherMessage) !== sent) internal('the other agent observes a different message token');
  }

  propose(proposals: readonly [number, number]): EngineOutcome {
    const st = this.#current();
    const at = this.#r;
    if (this.#phase() !== 2) internal('proposals before both messages');
    const C = this.#p.coins;
    for (const x of proposals) if (!Number.isInteger(x) || x < 0 || x > C) invalid('proposals', `must be integers in [0, ${C}]`);
    const res = this.#e.step([at.proposalAction + proposals[0], at.proposalAction + proposals[1]]);
    this.#obs = res.observations;
    this.#t++;
    this.#round = undefined;
    const points: [number, number] = [res.rewards[0], res.rewards[1]];
    const done = res.dones[0] === 1;
    if (!done) {
      // The next round's observations reveal the other's last hand and both proposals.
      for (const agent of [0, 1] as const) {
        const lastHand = this.#hot(agent, at.otherLastHand);
        if (at.hands[lastHand] !== st.hands[1 - agent]) internal("the revealed hand differs from last round's");
        if (!close(this.#at(agent, at.lastProposals.offset), proposals[agent] / C)) internal('the recorded proposal differs from the one sent');
      }
    }
    const v = st.values;
    const coins: [number, number] | null = v[0] > 0 && v[1] > 0 ? [points[0] / v[0], points[1] / v[1]] : null;
    return { hands: st.hands, values: v, proposals: [proposals[0], proposals[1]], coins, points, done };
  }

  dispose(): void {
    this.#env?.dispose();
    this.#env = undefined;
  }
}

/** A TextEngineFactory on the native trust-and-split game (the default engine of playTextMatch). */
export function nativeTextEngine(options: NativeTextEngineOptions = {}): TextEngineFactory {
  return (params) => {
    const vocab = options.messages === undefined ? defaultTextVocabulary(params.coins) : checkVocabulary(options.messages, params.coins);
    return new NativeTextEngine(params, vocab);
  };
}


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
 *   observations (own-hand one-hot, first-speaker flag, round).
 * - Each round's coin values are measured on a clone of the environment
 *   that plays the round out with proposals (coins, 0) and then (0, coins):
 *   proposals that add up to the coins are granted as proposed, so each
 *   reward is coins × value. The table of values for each hand the other
 *   may hold is the rule the prompt states (BEATS, winnerValue, loserValue);
 *   the adapter checks it against the measured values and fails with
 *   ERR_INTERNAL if they ever disagree.
 * - After the proposals, points are the native rewards and coins are
 *   points / value (null when a value is 0).
 */
import { Env, makeEnv } from '../env.js';
import { DilemmaError, ErrorCode } from '../errors.js';
import type { GameId } from '../games.js';
import { invalid } from '../validate.js';
import type { MessageToken } from './interpret.js';
import type { EngineOutcome, EngineRound, TextEngine, TextEngineFactory, ValueTable } from './match.js';
import { BEATS } from './params.js';
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

class NativeTextEngine implements TextEngine {
  readonly #p: TextGameParams;
  readonly #vocab: string[];
  readonly #M: number;
  #env: Env | undefined;
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
    this.#M = vocabulary.length;
  }

  get #e(): Env {
    if (!this.#env) internal('reset() was not called');
    return this.#env;
  }

  reset(seed: number | bigint): void {
    this.#env?.dispose();
    const p = this.#p;
    this.#env = makeEnv(
      { id: GAME, params: { rounds: p.rounds, coins: p.coins, highValue: p.winnerValue, lowValue: p.loserValue, messages: this.#vocab.join(' '), alternateSpeaker: true } },
      undefined,
      { batch: 1, seed },
    );
    const info = this.#env.info;
    if (info.actions !== this.#M + p.coins + 2 || info.obsDim !== 2 * this.#M + 25) {
      internal(`unexpected layout (actions ${info.actions}, obsDim ${info.obsDim} for ${this.#M} tokens and ${p.coins} coins)`);
    }
    this.#d = info.obsDim;
    this.#obs = this.#env.reset();
    this.#t = 0;
    this.#round = undefined;
  }

  #at(agent: number, i: number): number {
    return this.#obs[agent * this.#d + i];
  }

  #hot(agent: number, from: number, n: number): number {
    let k = -1;
    for (let i = 0; i < n; i++) {
      if (this.#at(agent, from + i) === 1) {
        if (k >= 0) internal('a one-hot observation has two ones');
        k = i;
      }
    }
    if (k < 0) internal('a one-hot observation has no one');
    return k;
  }

  #phase(): number {
    return this.#hot(0, 3, 3);
  }

  #wait(): number {
    return this.#M + this.#p.coins + 1;
  }

  #table(own: Hand): ValueTable {
    const { winnerValue: W, loserValue: L } = this.#p;
    const t: ValueTable = {};
    for (const h of HANDS) if (h !== own) t[h] = BEATS[own] === h ? { own: W, other: L } : { own: L, other: W };
    return t;
  }

  /** Plays the rest of the round on clones with proposals (C, 0) and (0, C); returns both agents' coin values. */
  #measureValues(first: AgentIndex): [number, number] {
    const C = this.#p.coins;
    const none = this.#vocab.indexOf('none');
    const clone = this.#e.clone();
    try {
      for (const speaker of [first, 1 - first]) {
        const a = [this.#wait(), this.#wait()];
        a[speaker] = none;
        clone.step(a);
      }
      const values: [number, number] = [0, 0];
      for (const agent of [0, 1] as const) {
        const probe = clone.clone();
        try {
          const x = [this.#M, this.#M];
          x[agent] = this.#M + C;
          values[agent] = probe.step(x).rewards[agent] / C;
        } finally {
          probe.dispose();
        }
      }
      return values;
    } finally {
      clone.dispose();
    }
  }

  round(): EngineRound {
    return this.#current();
  }

  #current(): EngineRound & { values: [number, number] } {
    if (this.#round) return this.#round;
    if (this.#phase() !== 0) internal('round() called in the middle of a round');
    const r = Math.floor(this.#t / 3);
    if (!close(this.#at(0, 2 * this.#M + 17), r / this.#p.rounds)) internal(`the observed round differs from ${r}`);
    const hands = [HANDS[this.#hot(0, 0, 3)], HANDS[this.#hot(1, 0, 3)]] as [Hand, Hand];
    const f0 = this.#at(0, 6) === 1;
    if (f0 === (this.#at(1, 6) === 1)) internal('exactly one agent must speak first');
    const firstSpeaker: AgentIndex = f0 ? 0 : 1;
    const values = this.#measureValues(firstSpeaker);
    const tables: [ValueTable, ValueTable] = [this.#table(hands[0]), this.#table(hands[1])];
    for (const agent of [0, 1] as const) {
      const entry = tables[agent][hands[1 - agent]];
      if (!entry || !close(entry.own, values[agent]) || !close(entry.other, values[1 - agent])) {
        internal(`the game's coin values (${values.join(', ')}) for hands ${hands.join(' and ')} differ from the stated rules`);
      }
    }
    const v: [number, number] = [tables[0][hands[1]]!.own, tables[1][hands[0]]!.own];
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
    actions[agent] = sent;
    this.#obs = this.#e.step(actions).observations;
    this.#t++;
    if (this.#hot(1 - agent, 7, this.#M + 1) !== sent) internal('the other agent observes a different message token');
  }

  propose(proposals: readonly [number, number]): EngineOutcome {
    const st = this.#current();
    if (this.#phase() !== 2) internal('proposals before both messages');
    const C = this.#p.coins;
    for (const x of proposals) if (!Number.isInteger(x) || x < 0 || x > C) invalid('proposals', `must be integers in [0, ${C}]`);
    const res = this.#e.step([this.#M + proposals[0], this.#M + proposals[1]]);
    this.#obs = res.observations;
    this.#t++;
    this.#round = undefined;
    const points: [number, number] = [res.rewards[0], res.rewards[1]];
    const done = res.dones[0] === 1;
    if (!done) {
      // The next round's observations reveal the other's last hand and both proposals.
      for (const agent of [0, 1] as const) {
        const lastHand = this.#hot(agent, this.#M + 8, 4);
        if (HANDS[lastHand] !== st.hands[1 - agent]) internal("the revealed hand differs from last round's");
        if (!close(this.#at(agent, 2 * this.#M + 13), proposals[agent] / C)) internal('the recorded proposal differs from the one sent');
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


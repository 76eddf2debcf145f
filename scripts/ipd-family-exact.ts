/**
 * Exact expected values of memory-2 strategies in an IPD family variant, by
 * forward propagation of the distribution over the last two executed joint
 * moves (no sampling). Cooperation counts intended moves over played rounds,
 * as evaluate() does; noise flips each executed move independently.
 * Used to check, before any training, which memory-2 tables meet the
 * family's targets.
 */
import type { Variant } from './ipd-family.js';

/** One remembered round from a player's side: 0 none, 1 CC, 2 CD, 3 DC, 4 DD (own move first). */
export type Slot = 0 | 1 | 2 | 3 | 4;
/** P(cooperate | most recent round, the round before). */
export type Strategy = (last: Slot, before: Slot) => number;

const mirror = (s: number): Slot => (s === 2 ? 3 : s === 3 ? 2 : s) as Slot;

export interface ExactMatch {
  /** Player 0's intended cooperation over played rounds. */
  cooperation: number;
  /** Expected episode payoffs. */
  payoff: [number, number];
}

/** Player 0 (a) against player 1 (b) in a variant, exactly. */
export function exactMatch(x: Variant, a: Strategy, b: Strategy): ExactMatch {
  const [T, R, P, S] = x.payoffs;
  const pay = [[R, S], [T, P]]; // pay[own][other]
  // dist[last * 5 + before] over slots from player 0's side.
  let dist = new Float64Array(25);
  dist[0] = 1;
  let alive = 1;
  let steps = 0;
  let coop = 0;
  const payoff: [number, number] = [0, 0];
  for (let t = 0; t < x.rounds; t++) {
    const next = new Float64Array(25);
    for (let i = 0; i < 25; i++) {
      const p = dist[i];
      if (p === 0) continue;
      const last = Math.floor(i / 5) as Slot;
      const before = (i % 5) as Slot;
      const pa = a(last, before);
      const pb = b(mirror(last), mirror(before));
      coop += alive * p * pa;
      for (let ia = 0; ia < 2; ia++) {
        const qa = ia === 0 ? pa : 1 - pa;
        for (let ib = 0; ib < 2; ib++) {
          const qb = ib === 0 ? pb : 1 - pb;
          for (let ea = 0; ea < 2; ea++) {
            const fa = ea === ia ? 1 - x.noise : x.noise;
            for (let eb = 0; eb < 2; eb++) {
              const fb = eb === ib ? 1 - x.noise : x.noise;
              const w = p * qa * qb * fa * fb;
              if (w === 0) continue;
              payoff[0] += alive * w * pay[ea][eb];
              payoff[1] += alive * w * pay[eb][ea];
              next[(1 + 2 * ea + eb) * 5 + last] += w;
            }
          }
        }
      }
    }
    steps += alive;
    dist = next;
    if (t + 1 < x.rounds) alive *= x.continuation;
  }
  return { cooperation: coop / steps, payoff };
}

export const TIT_FOR_TAT: Strategy = (last) => (last === 0 || last === 1 || last === 3 ? 1 : 0);
export const ALWAYS_DEFECT: Strategy = () => 0;
export const generousTitForTat = (g = 1 / 3): Strategy => (last) => (last === 0 || last === 1 || last === 3 ? 1 : g);

/** A memory-2 table: P(C) per [last][before] (25 values, row = last). */
export const fromTable = (p: ArrayLike<number>): Strategy => (last, before) => p[last * 5 + before];

/** The family's three figures for a strategy, and the targets' reference values. */
export function exactScores(x: Variant, s: Strategy) {
  const self = exactMatch(x, s, s).cooperation;
  const withTft = exactMatch(x, s, TIT_FOR_TAT).cooperation;
  const dd = exactMatch(x, ALWAYS_DEFECT, ALWAYS_DEFECT).payoff[0];
  const loss = dd - exactMatch(x, s, ALWAYS_DEFECT).payoff[0];
  return { self, withTft, loss };
}

/**
 * Trust-and-Split parameters for the text layer: defaults (the seed paper's
 * 10 coins, winner's coin value 10, loser's 1, 10 rounds) and checks that
 * name the parameter at fault.
 */
import { gameParamSpecs } from '../games.js';
import { LIMITS } from '../generated/limits.js';
import { checkInteger, checkKeys, checkNumber, checkObject, invalid } from '../validate.js';
import type { Hand, TextGameParams } from './types.js';

/** The defaults: 10 coins, winner's coin value 10, loser's 1, no ties, 10 rounds. */
export const DEFAULT_TEXT_PARAMS: Readonly<TextGameParams> = Object.freeze({
  coins: 10,
  winnerValue: 10,
  loserValue: 1,
  tieValue: null,
  rounds: 10,
});

/**
 * Which hand each hand beats, as the rules text states it. Used to render the
 * rules and by scripted agents to choose what to claim; outcomes always come
 * from the engine.
 */
export const BEATS: Readonly<Record<Hand, Hand>> = Object.freeze({ rock: 'scissors', scissors: 'paper', paper: 'rock' });

/** The hand that beats `hand` (the inverse of BEATS). */
export function beatenBy(hand: Hand): Hand {
  for (const h of Object.keys(BEATS) as Hand[]) if (BEATS[h] === hand) return h;
  throw new Error('unreachable');
}

/** Fills defaults and checks every field; `name` prefixes messages. */
export function resolveTextParams(params: Partial<TextGameParams> = {}, name = 'params'): TextGameParams {
  const o = checkObject(name, params);
  checkKeys(name, o, ['coins', 'winnerValue', 'loserValue', 'tieValue', 'rounds']);
  const p = { ...DEFAULT_TEXT_PARAMS, ...(o as Partial<TextGameParams>) };
  for (const key of Object.keys(p) as (keyof TextGameParams)[]) {
    if (p[key] === undefined) (p as Record<string, unknown>)[key] = DEFAULT_TEXT_PARAMS[key];
  }
  // The text layer plays the native game, so the game's own range applies.
  const coins = gameParamSpecs('trust-and-split')!.find((s) => s.name === 'coins')!;
  checkInteger(`${name}.coins`, p.coins, coins.min!, coins.max!);
  checkNumber(`${name}.winnerValue`, p.winnerValue, 0);
  checkNumber(`${name}.loserValue`, p.loserValue, 0);
  if (p.tieValue !== null) checkNumber(`${name}.tieValue`, p.tieValue, 0);
  checkInteger(`${name}.rounds`, p.rounds, 1, LIMITS.maxRounds);
  if (p.winnerValue < p.loserValue) invalid(`${name}.winnerValue`, `must be at least loserValue (${p.loserValue}), got ${p.winnerValue}`);
  return p;
}

/** Numbers as prompts show them: integers plainly, others with at most two decimals. */
export function formatNumber(x: number): string {
  if (Object.is(x, -0)) return '0';
  if (Number.isInteger(x)) return String(x);
  const s = x.toFixed(2).replace(/0+$/, '').replace(/\.$/, '');
  return s === '-0' ? '0' : s;
}

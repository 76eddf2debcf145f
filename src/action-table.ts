/**
 * The action table of a policy in an iterated 2x2 game: its probability of
 * cooperating after every remembered history, read back from a probing
 * rollout, and the named memory-1 strategy it is closest to.
 *
 * The probe plays the policy against a coin-flipping opponent at a high
 * sampling temperature, so that every history (the policy's own defections
 * included) is visited; the log-probability of each sampled move under the
 * tempered distribution gives the untempered logit difference exactly
 * (d = τ · (log p_τ(C) − log p_τ(D))). A policy whose probabilities differ
 * between visits of one history (a recurrent policy) has no table.
 */
import type { Game } from './games.js';
import { type Policy, scripted, STRATEGIES } from './policies.js';
import { rollout } from './rollout.js';

/** One remembered history of an action table. */
export interface ActionTableRow {
  /** The remembered rounds, most recent first, each from the policy's side (own move first); '-' before the first round. */
  history: string;
  /** Probability of cooperating. */
  cooperate: number;
  /** Visits in the probe. */
  visits: number;
}

/** How far a table is from a named memory-1 strategy. */
export interface NamedStrategyDistance {
  /** The strategy's name (a key of MEMORY_ONE_STRATEGIES). */
  name: string;
  /** Mean absolute difference of P(cooperate) over the table's rows. */
  distance: number;
}

/** A policy's probability of cooperating after each remembered history. */
export interface ActionTable {
  /** Remembered rounds per observation. */
  memory: number;
  /** One row per history that the probe visited. */
  rows: ActionTableRow[];
  /** Named memory-1 strategies by distance, nearest first (they read only the most recent round). */
  nearest: NamedStrategyDistance[];
}

const SLOT = 5;
const SLOT_NAMES = ['-', 'CC', 'CD', 'DC', 'DD'];
const PROBE_TEMPERATURE = 8;
const PROBE_BATCH = 2048;

/**
 * P(cooperate) of named strategies from the most recent round's slot (none,
 * CC, CD, DC, DD; own move first). Grim trigger is given its memory-1 form,
 * which defects after any defection in the last round.
 */
export const MEMORY_ONE_STRATEGIES: Readonly<Record<string, readonly number[]>> = {
  'tit-for-tat': [1, 1, 0, 1, 0],
  'generous-tit-for-tat': [1, 1, 1 / 3, 1, 1 / 3],
  'grim-trigger': [1, 1, 0, 0, 0],
  'win-stay-lose-shift': [1, 1, 0, 0, 1],
  'suspicious-tit-for-tat': [0, 1, 0, 1, 0],
  'always-cooperate': [1, 1, 1, 1, 1],
  'always-defect': [0, 0, 0, 0, 0],
};

/** Names and ranks the strategies by their distance to a table given per most-recent slot. */
export function nearestStrategies(rows: { slot: number; cooperate: number }[]): NamedStrategyDistance[] {
  if (rows.length === 0) return [];
  return Object.entries(MEMORY_ONE_STRATEGIES)
    .map(([name, p]) => ({ name, distance: rows.reduce((s, r) => s + Math.abs(r.cooperate - p[r.slot]), 0) / rows.length }))
    .sort((a, b) => a.distance - b.distance);
}

export async function actionTable(game: Game, policy: Policy, seed: number | bigint): Promise<ActionTable | undefined> {
  if (!game.info.twoAction || game.info.obsDim % SLOT !== 0) return undefined;
  const memory = game.info.obsDim / SLOT;
  // Scripted strategies take no temperature: their log-probabilities are untempered.
  const tau = (STRATEGIES as readonly string[]).includes(policy.name) ? 1 : PROBE_TEMPERATURE;
  const coin = scripted('random', { p: 0.5 });
  let t;
  try {
    t = await rollout({ game, policies: [policy, coin], batch: PROBE_BATCH, seed, temperature: tau });
  } finally {
    coin.dispose();
  }
  const { batch: B, steps: T, agents: A, obsDim: O } = t;
  const seen = new Map<string, { slots: number[]; min: number; max: number; visits: number }>();
  for (let row = 0; row < B * T; row++) {
    if (!t.mask[row]) continue;
    const base = (row * A) * O;
    const slots: number[] = [];
    for (let k = 0; k < memory; k++) {
      let hot = -1;
      for (let i = 0; i < SLOT; i++) if (t.observations[base + k * SLOT + i] === 1) hot = i;
      if (hot < 0) return undefined; // not the matrix game's one-hot history
      slots.push(hot);
    }
    const action = t.actions[row * A];
    const lp = t.logProbs[row * A];
    // log p of the other move; a certain move has none (-Infinity).
    const other = lp >= 0 ? -Infinity : Math.log1p(-Math.exp(lp));
    const d = tau * (action === 0 ? lp - other : other - lp);
    const p = 1 / (1 + Math.exp(-d));
    const key = slots.join(',');
    const entry = seen.get(key);
    if (entry) {
      entry.min = Math.min(entry.min, p);
      entry.max = Math.max(entry.max, p);
      entry.visits++;
    } else {
      seen.set(key, { slots, min: p, max: p, visits: 1 });
    }
  }
  const rows: ActionTableRow[] = [];
  const bySlot: { slot: number; cooperate: number }[] = [];
  const entries = [...seen.values()].sort((a, b) => {
    for (let k = 0; k < memory; k++) if (a.slots[k] !== b.slots[k]) return a.slots[k] - b.slots[k];
    return 0;
  });
  for (const e of entries) {
    // Float32 log-probabilities leave about 1e-6 of play; more means the move is not a function of the history.
    if (e.max - e.min > 1e-3) return undefined;
    const cooperate = (e.min + e.max) / 2;
    rows.push({ history: e.slots.map((s) => SLOT_NAMES[s]).join(' '), cooperate, visits: e.visits });
    bySlot.push({ slot: e.slots[0], cooperate });
  }
  return { memory, rows, nearest: nearestStrategies(bySlot) };
}

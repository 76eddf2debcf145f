/**
 * Evaluation of a policy in a two-player game: self-play, matches against
 * scripted strategies or other policies, exploitability, and (in two-action
 * games) the exact scripted references played on the same episodes.
 *
 * Every match of one evaluation uses the same seed, and a game's random
 * events (move noise, the end of a random-length episode) are drawn from the
 * seed and the episode, not from the players: every match is played on the
 * same episodes. Differences between matches (payoff lost against
 * always-defect relative to mutual defection) are therefore paired episode
 * by episode, and their confidence intervals are those of the paired
 * differences.
 */
import { DilemmaError, ErrorCode } from './errors.js';
import { type GameSpec, resolveGame } from './games.js';
import { Policy, type PolicySpec, resolvePolicy, scripted, strategiesFor } from './policies.js';
import { allocateTrajectory, rollout, type Trajectory } from './rollout.js';
import { actionTable, type ActionTable } from './action-table.js';
import { checkBoolean, checkInteger, checkKeys, checkObject, checkSeed } from './validate.js';

export type { ActionTable, ActionTableRow, NamedStrategyDistance } from './action-table.js';

/** Options of {@link evaluate}. */
export interface EvaluateOptions {
  /** A two-player game: a {@link Game} or `{ id, params }`. */
  game: GameSpec;
  /** The policy evaluated (seat 0 unless bothSeats). */
  policy: Policy;
  /** Opponents; default every scripted strategy that plays the game. */
  opponents?: PolicySpec[];
  /** Episodes per match (default 4096). */
  batch?: number;
  /** Seed shared by every match, an integer ≥ 0 (default 0). */
  seed?: number | bigint;
  /** Evaluate the policy's most probable actions instead of sampling (default false). */
  greedy?: boolean;
  /**
   * Also play every match with the policy in seat 1 (default false): for
   * asymmetric games, where seat 0's figures say nothing about seat 1.
   */
  bothSeats?: boolean;
  /**
   * In two-action games, play the exact scripted references (tit-for-tat,
   * generous tit-for-tat, win-stay-lose-shift, grim trigger) on the same
   * episodes (default true).
   */
  references?: boolean;
  /**
   * In `matrix`/`ipd` games, probe the policy's probability of cooperating in
   * every remembered history and name the nearest scripted strategy
   * (default true; undefined for a policy whose moves are not a function of
   * its observation, such as a GRU).
   */
  actionTable?: boolean;
}

/** A mean over episodes with the half-width of its 95% confidence interval (1.96 standard errors). */
export interface Estimate {
  /** The mean over episodes. */
  mean: number;
  /** Half-width of its 95% confidence interval. */
  ci95: number;
}

/** The policy against one opponent, over the evaluation's episodes. */
export interface MatchResult {
  /** The opponent's name. */
  opponent: string;
  /** The policy's seat in this match (0 unless bothSeats). */
  seat: number;
  /** The policy's cooperation rate (action 0, over its taken steps) and the opponent's. */
  cooperation: number;
  /** The opponent's cooperation rate. */
  opponentCooperation: number;
  /** Mean episode payoffs. */
  payoff: number;
  /** The opponent's mean episode payoff. */
  opponentPayoff: number;
  /** payoff + opponentPayoff */
  collective: number;
  /** 95% confidence half-widths of cooperation and payoff (episodes as the unit). */
  cooperationCI: number;
  /** 95% confidence half-width of payoff. */
  payoffCI: number;
}

/** An exact scripted strategy measured on the evaluation's episodes (two-action games). */
export interface ReferenceResult {
  /** The scripted strategy's name (e.g. tit-for-tat). */
  name: string;
  /** Its self-play cooperation (seat 0). */
  selfPlay: Estimate;
  /** Its self-play mean episode payoff (seat 0). */
  selfPlayPayoff: Estimate;
  /** Its cooperation when playing tit-for-tat. */
  withTitForTat: Estimate;
  /** Payoff it loses against always-defect relative to mutual defection. */
  lossVsDefect: Estimate;
}

/** The exact references of a two-action game, played on the evaluation's own episodes. */
export interface References {
  /** Seat 0's mean episode payoff when both always defect. */
  mutualDefection: Estimate;
  /** Seat 0's mean episode payoff when both always cooperate. */
  mutualCooperation: Estimate;
  /** Tit-for-tat, generous tit-for-tat, win-stay-lose-shift and grim trigger. */
  strategies: ReferenceResult[];
}

/** What {@link evaluate} returns. */
export interface Evaluation {
  /** Whether the policy played its most probable actions. */
  greedy: boolean;
  /** Episodes per match. */
  episodes: number;
  /** The policy against a copy of itself. */
  selfPlay: MatchResult;
  /** With bothSeats: self-play as seen from seat 1. */
  selfPlaySeat1?: MatchResult;
  /** The policy against each opponent (with bothSeats, each seat in turn). */
  matches: MatchResult[];
  /**
   * Payoff lost against always-defect relative to mutual defection (seat 0:
   * always-defect vs always-defect minus the policy vs always-defect, on the
   * same episodes); 0 means not exploited at all. NaN in games that are not
   * two-action (always-defect cannot play them).
   */
  exploitability: number;
  /** 95% confidence half-width of exploitability (paired over episodes). */
  exploitabilityCI: number;
  /** With bothSeats: the same with the policy in seat 1. */
  exploitabilitySeat1?: Estimate;
  /** Exact scripted references on the same episodes (two-action games, unless references: false). */
  references?: References;
  /** The policy's cooperation per remembered history (matrix games), with the nearest named strategy. */
  actionTable?: ActionTable;
}

/** The scripted strategies the references compare against. */
export const REFERENCE_STRATEGIES = ['tit-for-tat', 'generous-tit-for-tat', 'win-stay-lose-shift', 'grim-trigger'] as const;

const Z95 = 1.959964;

/** Per episode: each agent's return and cooperation count, and the episode's length. */
interface Episodes {
  returns: Float64Array[];
  coop: Float64Array[];
  steps: Float64Array;
}

function episodes(t: Trajectory): Episodes {
  const { batch: B, steps: T, agents: A } = t;
  const returns = Array.from({ length: A }, () => new Float64Array(B));
  const coop = Array.from({ length: A }, () => new Float64Array(B));
  const steps = new Float64Array(B);
  for (let b = 0; b < B; b++) {
    for (let s = 0; s < T; s++) {
      const row = b * T + s;
      for (let a = 0; a < A; a++) returns[a][b] += t.rewards[row * A + a];
      if (!t.mask[row]) continue;
      steps[b]++;
      for (let a = 0; a < A; a++) if (t.actions[row * A + a] === 0) coop[a][b]++;
    }
  }
  return { returns, coop, steps };
}

/** Mean and 95% half-width of per-episode values. */
export function meanCI(x: ArrayLike<number>): Estimate {
  const n = x.length;
  if (n === 0) return { mean: Number.NaN, ci95: Number.NaN };
  let mean = 0;
  for (let i = 0; i < n; i++) mean += x[i];
  mean /= n;
  if (n < 2) return { mean, ci95: Number.NaN };
  let ss = 0;
  for (let i = 0; i < n; i++) ss += (x[i] - mean) ** 2;
  return { mean, ci95: Z95 * Math.sqrt(ss / (n - 1) / n) };
}

/** A ratio of sums (cooperative steps over steps) with its delta-method 95% half-width, episodes as clusters. */
export function ratioCI(num: ArrayLike<number>, den: ArrayLike<number>): Estimate {
  const n = num.length;
  let sn = 0;
  let sd = 0;
  for (let i = 0; i < n; i++) {
    sn += num[i];
    sd += den[i];
  }
  if (sd === 0) return { mean: 0, ci95: 0 };
  const r = sn / sd;
  if (n < 2) return { mean: r, ci95: Number.NaN };
  let ss = 0;
  for (let i = 0; i < n; i++) ss += (num[i] - r * den[i]) ** 2;
  const meanDen = sd / n;
  return { mean: r, ci95: (Z95 * Math.sqrt(ss / (n - 1) / n)) / meanDen };
}

function difference(a: Float64Array, b: Float64Array): Estimate {
  const d = new Float64Array(a.length);
  for (let i = 0; i < a.length; i++) d[i] = a[i] - b[i];
  return meanCI(d);
}

/**
 * Evaluates a policy in a two-player game: self-play, each opponent, exploitability, the scripted references and the action table.
 *
 * @throws DilemmaError `ERR_INVALID_ARGUMENT` for a bad option (naming it), `ERR_UNKNOWN_STRATEGY` for an unknown opponent name.
 */
export async function evaluate(options: EvaluateOptions): Promise<Evaluation> {
  const o = checkObject('options', options);
  checkKeys('options', o, ['game', 'policy', 'opponents', 'batch', 'seed', 'greedy', 'bothSeats', 'references', 'actionTable']);
  if (!(o.policy instanceof Policy)) {
    throw new DilemmaError(ErrorCode.InvalidArgument, 'options.policy must be a Policy');
  }
  const policy = o.policy;
  const batch = o.batch === undefined ? 4096 : checkInteger('options.batch', o.batch, 1, 1 << 24);
  const seed = o.seed === undefined ? 0 : checkSeed('options.seed', o.seed);
  const greedy = o.greedy === undefined ? false : checkBoolean('options.greedy', o.greedy);
  const bothSeats = o.bothSeats === undefined ? false : checkBoolean('options.bothSeats', o.bothSeats);
  const wantReferences = o.references === undefined ? true : checkBoolean('options.references', o.references);
  const wantTable = o.actionTable === undefined ? true : checkBoolean('options.actionTable', o.actionTable);
  if (o.opponents !== undefined && !Array.isArray(o.opponents)) {
    throw new DilemmaError(ErrorCode.InvalidArgument, 'options.opponents must be an array of policies or strategy names');
  }
  const { game, owned } = resolveGame(o.game as GameSpec, 'options.game');
  const opponents: { policy: Policy; owned: boolean }[] = [];
  try {
    for (const [i, p] of ((o.opponents as PolicySpec[] | undefined) ?? [...strategiesFor(game.id)]).entries()) {
      opponents.push(resolvePolicy(p, `options.opponents[${i}]`));
    }
    if (game.info.agents !== 2) {
      throw new DilemmaError(ErrorCode.Unsupported, `evaluate needs a two-player game; '${game.id}' has ${game.info.agents}`);
    }
    // Every match has the same shape and is summarised before the next one
    // starts, so all of them write into one trajectory rather than each
    // into fresh arrays. A plan would not help: no pair of players plays twice.
    const out = allocateTrajectory({ game, batch });
    const play = async (a: Policy, b: Policy) => episodes(await rollout({ game, policies: [a, b], batch, seed, greedy, out }));
    const result = (e: Episodes, seat: number, label: string): MatchResult => {
      const other = 1 - seat;
      const c = ratioCI(e.coop[seat], e.steps);
      const p = meanCI(e.returns[seat]);
      const c1 = ratioCI(e.coop[other], e.steps).mean;
      const p1 = meanCI(e.returns[other]).mean;
      return {
        opponent: label, seat, cooperation: c.mean, opponentCooperation: c1, payoff: p.mean, opponentPayoff: p1,
        collective: p.mean + p1, cooperationCI: c.ci95, payoffCI: p.ci95,
      };
    };
    const self = await play(policy, policy);
    const selfPlay = result(self, 0, 'self');
    const matches: MatchResult[] = [];
    const byOpponent = new Map<string, Episodes[]>();
    for (const p of opponents) {
      const e0 = await play(policy, p.policy);
      matches.push(result(e0, 0, p.policy.label));
      const seats = [e0];
      if (bothSeats) {
        const e1 = await play(p.policy, policy);
        matches.push(result(e1, 1, p.policy.label));
        seats.push(e1);
      }
      byOpponent.set(p.policy.label, seats);
    }
    const evaluation: Evaluation = { greedy, episodes: batch, selfPlay, matches, exploitability: Number.NaN, exploitabilityCI: Number.NaN };
    if (bothSeats) evaluation.selfPlaySeat1 = result(self, 1, 'self');
    if (game.info.twoAction) {
      // Scripted strategies ignore `greedy`: their references are exact either way.
      const defect = scripted('always-defect');
      const cooperate = scripted('always-cooperate');
      try {
        const mutualDefection = await play(defect, defect);
        let vsDefect = byOpponent.get('always-defect');
        if (!vsDefect) {
          vsDefect = [await play(policy, defect)];
          if (bothSeats) vsDefect.push(await play(defect, policy));
        }
        const lost = difference(mutualDefection.returns[0], vsDefect[0].returns[0]);
        evaluation.exploitability = lost.mean;
        evaluation.exploitabilityCI = lost.ci95;
        if (bothSeats) evaluation.exploitabilitySeat1 = difference(mutualDefection.returns[1], vsDefect[1].returns[1]);
        if (wantReferences) evaluation.references = await references(play, mutualDefection, await play(cooperate, cooperate), defect);
      } finally {
        defect.dispose();
        cooperate.dispose();
      }
    }
    if (wantTable && (game.id === 'ipd' || game.id === 'matrix')) {
      const table = await actionTable(game, policy, seed);
      if (table) evaluation.actionTable = table;
    }
    return evaluation;
  } finally {
    for (const p of opponents) if (p.owned) p.policy.dispose();
    if (owned) game.dispose();
  }
}

async function references(
  play: (a: Policy, b: Policy) => Promise<Episodes>,
  mutualDefection: Episodes,
  mutualCooperation: Episodes,
  defect: Policy,
): Promise<References> {
  const strategies: ReferenceResult[] = [];
  const tft = scripted('tit-for-tat');
  try {
    for (const name of REFERENCE_STRATEGIES) {
      const s = scripted(name);
      try {
        const self = await play(s, s);
        const withTft = await play(s, tft);
        const vsDefect = await play(s, defect);
        strategies.push({
          name: s.label,
          selfPlay: ratioCI(self.coop[0], self.steps),
          selfPlayPayoff: meanCI(self.returns[0]),
          withTitForTat: ratioCI(withTft.coop[0], withTft.steps),
          lossVsDefect: difference(mutualDefection.returns[0], vsDefect.returns[0]),
        });
      } finally {
        s.dispose();
      }
    }
  } finally {
    tft.dispose();
  }
  return { mutualDefection: meanCI(mutualDefection.returns[0]), mutualCooperation: meanCI(mutualCooperation.returns[0]), strategies };
}

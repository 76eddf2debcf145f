/**
 * Metrics of the splitting games from their statistics (trust-and-split's
 * claims_true_i, claims_i, welfare, max_welfare, agreements, rounds_played):
 * split efficiency, honesty, agreement rate and payoffs, from a rollout's
 * trajectory or a training iteration's mean game statistics; and, from a
 * trust-and-split trajectory, how informative the messages are about the
 * speaker's hand.
 */
import { DilemmaError, ErrorCode } from './errors.js';
import { gameLayout, layoutField, type LayoutField } from './game-layout.js';
import { meanReturns, type Trajectory } from './rollout.js';
import { checkTrajectory } from './trajectory-views.js';

/** Outcome metrics of the splitting games (`trust-and-split`, `split`): efficiency, honesty, agreement and welfare. */
export interface SplittingMetrics {
  /** Welfare over the most the rounds could have paid (all coins to the winner): 1 = every round split efficiently. */
  splitEfficiency: number;
  /** Per agent, the share of its hand claims that named its real hand (NaN for an agent that claimed nothing). */
  honesty: number[];
  /** Both agents' true claims over both agents' claims (NaN when neither claimed). */
  honestyOverall: number;
  /**
   * Informativeness: the empirical mutual information, in bits, between the
   * message a speaker sends and its own hand, over all message steps of
   * both agents (trust-and-split trajectories only; NaN from statistics or
   * without messages). 0 when messages say nothing about the hand, log2(3)
   * ≈ 1.585 when they determine it: an honest claim and a claim that always
   * names the hand beating the real one are equally informative, though
   * only the first is literally honest.
   */
  claimInformation: number;
  /** Per agent, the same over its own messages. */
  claimInformationPerAgent: number[];
  /** Per agent, hand claims per episode. */
  claimsPerEpisode: number[];
  /** Rounds whose proposals added up to exactly the coins, over rounds played. */
  agreementRate: number;
  /** Per agent, mean episode payoff (empty when the caller gave none). */
  payoff: number[];
  /** Mean episode welfare (both agents' payoffs) and its maximum, in points. */
  welfare: number;
  /** Mean per episode of the most the rounds could have paid, in points. */
  maxWelfare: number;
  /** Mean rounds played per episode. */
  rounds: number;
}

const REQUIRED = ['welfare', 'max_welfare', 'agreements', 'rounds_played'] as const;

const ratio = (a: number, b: number) => (b > 0 ? a / b : Number.NaN);

/**
 * Metrics from mean per-episode statistics (IterationMetrics.gameStats with
 * Trainer.statNames, or any per-episode means with their names). meanReturn,
 * when given, becomes `payoff`. Welfare statistics are stored × 100 by the
 * game and come back here in points.
 */
export function splittingMetricsFromStats(
  statNames: readonly string[],
  gameStats: ArrayLike<number>,
  meanReturn?: ArrayLike<number>,
): SplittingMetrics {
  if (!Array.isArray(statNames) || statNames.length !== gameStats.length) {
    throw new DilemmaError(
      ErrorCode.InvalidArgument,
      `statNames must be an array of gameStats.length (${gameStats.length}) names, got ${Array.isArray(statNames) ? statNames.length : typeof statNames}`,
    );
  }
  const at = (name: string) => {
    const i = statNames.indexOf(name);
    return i < 0 ? undefined : Number(gameStats[i]);
  };
  for (const name of REQUIRED) {
    if (at(name) === undefined) {
      throw new DilemmaError(
        ErrorCode.Unsupported,
        `statistics lack '${name}' (a splitting game's statistics are needed: ${REQUIRED.join(', ')}, claims_i, claims_true_i)`,
      );
    }
  }
  const honesty: number[] = [];
  const claims: number[] = [];
  let trueSum = 0, claimSum = 0;
  for (let i = 0; at(`claims_${i}`) !== undefined; i++) {
    const c = at(`claims_${i}`)!, ct = at(`claims_true_${i}`) ?? 0;
    claims.push(c);
    honesty.push(ratio(ct, c));
    trueSum += ct;
    claimSum += c;
  }
  const welfare = at('welfare')! / 100, maxWelfare = at('max_welfare')! / 100;
  return {
    splitEfficiency: ratio(welfare, maxWelfare),
    honesty,
    honestyOverall: ratio(trueSum, claimSum),
    claimsPerEpisode: claims,
    agreementRate: ratio(at('agreements')!, at('rounds_played')!),
    claimInformation: Number.NaN,
    claimInformationPerAgent: claims.map(() => Number.NaN),
    payoff: meanReturn ? Array.from(meanReturn, Number) : [],
    welfare,
    maxWelfare,
    rounds: at('rounds_played')!,
  };
}

/** Metrics of a batch of trust-and-split (or other splitting-game) rollouts: statistics averaged over episodes. */
export function splittingMetrics(trajectory: Trajectory): SplittingMetrics {
  const { stats, statNames, batch } = trajectory;
  const n = statNames.length;
  const mean = new Float64Array(n);
  for (let b = 0; b < batch; b++) for (let k = 0; k < n; k++) mean[k] += stats[b * n + k];
  for (let k = 0; k < n; k++) mean[k] /= batch;
  const m = splittingMetricsFromStats(statNames, mean, meanReturns(trajectory));
  if (statNames.includes('claims_0')) {
    const info = claimInformation(trajectory);
    m.claimInformation = info.overall;
    m.claimInformationPerAgent = info.perAgent;
  }
  return m;
}

/** Where trust-and-split observations hold the own hand, the phase and the first-speaker flag, as the game declares them. */
interface ClaimFields {
  hand: LayoutField;
  phase: LayoutField;
  first: LayoutField;
}

let claimFields: ClaimFields | undefined;

// These fields come before the message fields, so their offsets are the same
// for every vocabulary and coin count: the default game's layout serves all.
function readClaimFields(): ClaimFields {
  if (claimFields) return claimFields;
  const layout = gameLayout('trust-and-split');
  const field = (name: string) => layoutField(layout.observation, name);
  claimFields = { hand: field('hand'), phase: field('phase'), first: field('firstSpeaker') };
  return claimFields;
}

/** Mutual information in bits of a joint count table (message → counts per hand); NaN when empty. */
export function mutualInformationBits(joint: ReadonlyMap<number, readonly number[]>): number {
  let total = 0;
  const perHand: number[] = [];
  for (const row of joint.values()) row.forEach((c, h) => { total += c; perHand[h] = (perHand[h] ?? 0) + c; });
  if (total === 0) return Number.NaN;
  let bits = 0;
  for (const row of joint.values()) {
    const perMessage = row.reduce((a, b) => a + b, 0);
    row.forEach((c, h) => {
      if (c > 0) bits += (c / total) * Math.log2((c * total) / (perMessage * perHand[h]));
    });
  }
  return Math.max(0, bits);
}

/** Information a trust-and-split trajectory's messages carry about their speakers' hands, in bits. */
export interface ClaimInformation {
  /** I(message; own hand) pooled over both agents' messages. */
  overall: number;
  /** The same per agent (the speaker's own messages only). */
  perAgent: number[];
}

/**
 * I(message; own hand) in bits over the message steps of a trust-and-split
 * trajectory: at the first message of a round the round's first speaker
 * sends, at the second the other agent (read from each agent's own
 * observation, so no rule is re-derived here); its action is the token.
 */
export function claimInformation(trajectory: Trajectory): ClaimInformation {
  const { batch: B, steps: T, agents: A, obsDim: O, observations, actions, mask } = checkTrajectory(trajectory);
  const { hand: handField, phase, first: firstField } = readClaimFields();
  const OBS_HAND = handField.offset, OBS_PHASE = phase.offset, OBS_FIRST = firstField.offset, HANDS = handField.size;
  if (O <= OBS_FIRST) {
    throw new DilemmaError(ErrorCode.Unsupported, `claimInformation reads trust-and-split observations; these have ${O} values`);
  }
  const tables = Array.from({ length: A }, () => new Map<number, number[]>());
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      if (!mask[b * T + t]) continue;
      for (let a = 0; a < A; a++) {
        const o = ((b * T + t) * A + a) * O;
        const first = observations[o + OBS_PHASE] === 1, second = observations[o + OBS_PHASE + 1] === 1;
        if (!first && !second) continue;
        const speaks = observations[o + OBS_FIRST] === 1 ? first : second;
        const token = actions[(b * T + t) * A + a];
        if (!speaks || token < 0) continue;
        let hand = 0;
        while (hand < HANDS && observations[o + OBS_HAND + hand] !== 1) hand++;
        if (hand === HANDS) continue;
        let row = tables[a].get(token);
        if (!row) tables[a].set(token, (row = new Array<number>(HANDS).fill(0)));
        row[hand]++;
      }
    }
  }
  const pooled = new Map<number, number[]>();
  for (const table of tables) {
    for (const [token, row] of table) {
      const p = pooled.get(token) ?? new Array<number>(HANDS).fill(0);
      row.forEach((c, h) => (p[h] += c));
      pooled.set(token, p);
    }
  }
  return { overall: mutualInformationBits(pooled), perAgent: tables.map(mutualInformationBits) };
}

/**
 * The former name of {@link splittingMetrics}.
 *
 * @deprecated Use {@link splittingMetrics}: "negotiation" names only the `negotiation` game.
 */
export const negotiationMetrics = splittingMetrics;

/**
 * The former name of {@link splittingMetricsFromStats}.
 *
 * @deprecated Use {@link splittingMetricsFromStats}: "negotiation" names only the `negotiation` game.
 */
export const negotiationMetricsFromStats = splittingMetricsFromStats;

/**
 * The former name of {@link SplittingMetrics}.
 *
 * @deprecated Use {@link SplittingMetrics}: "negotiation" names only the `negotiation` game.
 */
export type NegotiationMetrics = SplittingMetrics;

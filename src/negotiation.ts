/**
 * Metrics of the splitting games from their statistics (trust-and-split's
 * claims_true_i, claims_i, welfare, max_welfare, agreements, rounds_played):
 * split efficiency, honesty, agreement rate and payoffs, from a rollout's
 * trajectory or a training iteration's mean game statistics.
 */
import { DilemmaError, ErrorCode } from './errors.js';
import { meanReturns, type Trajectory } from './rollout.js';

/** Outcome metrics of `trust-and-split` episodes: efficiency, honesty, agreement and welfare. */
export interface NegotiationMetrics {
  /** Welfare over the most the rounds could have paid (all coins to the winner): 1 = every round split efficiently. */
  splitEfficiency: number;
  /** Per agent, the share of its hand claims that named its real hand (NaN for an agent that claimed nothing). */
  honesty: number[];
  /** Both agents' true claims over both agents' claims (NaN when neither claimed). */
  honestyOverall: number;
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
export function negotiationMetricsFromStats(
  statNames: readonly string[],
  gameStats: ArrayLike<number>,
  meanReturn?: ArrayLike<number>,
): NegotiationMetrics {
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
    payoff: meanReturn ? Array.from(meanReturn, Number) : [],
    welfare,
    maxWelfare,
    rounds: at('rounds_played')!,
  };
}

/** Metrics of a batch of trust-and-split (or other splitting-game) rollouts: statistics averaged over episodes. */
export function negotiationMetrics(trajectory: Trajectory): NegotiationMetrics {
  const { stats, statNames, batch } = trajectory;
  const n = statNames.length;
  const mean = new Float64Array(n);
  for (let b = 0; b < batch; b++) for (let k = 0; k < n; k++) mean[k] += stats[b * n + k];
  for (let k = 0; k < n; k++) mean[k] /= batch;
  return negotiationMetricsFromStats(statNames, mean, meanReturns(trajectory));
}

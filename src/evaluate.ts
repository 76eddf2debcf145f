/**
 * Evaluation of a policy in a two-player two-action game: self-play,
 * matches against scripted strategies or other policies, and exploitability.
 */
import { DilemmaError, ErrorCode } from './errors.js';
import { type GameSpec, resolveGame } from './games.js';
import { Policy, type PolicySpec, resolvePolicy, strategiesFor } from './policies.js';
import { actionRate, meanReturns, rollout } from './rollout.js';
import { checkInteger, checkKeys, checkObject, checkSeed } from './validate.js';

export interface EvaluateOptions {
  game: GameSpec;
  policy: Policy;
  /** Opponents (seat 1); default every scripted strategy that plays the game. */
  opponents?: PolicySpec[];
  /** Episodes per match (default 1024). */
  batch?: number;
  seed?: number | bigint;
  /** Evaluate the policy's most probable actions instead of sampling (default false). */
  greedy?: boolean;
}

export interface MatchResult {
  opponent: string;
  /** The policy's cooperation rate (action 0) and the opponent's. */
  cooperation: number;
  opponentCooperation: number;
  /** Mean episode payoffs. */
  payoff: number;
  opponentPayoff: number;
  /** payoff + opponentPayoff */
  collective: number;
}

export interface Evaluation {
  greedy: boolean;
  selfPlay: MatchResult;
  matches: MatchResult[];
  /**
   * Payoff lost against always-defect relative to mutual defection (episode
   * payoff of always-defect vs always-defect minus the policy's payoff vs
   * always-defect); 0 means not exploited at all. NaN in games that are not
   * two-action (always-defect cannot play them).
   */
  exploitability: number;
}

export async function evaluate(options: EvaluateOptions): Promise<Evaluation> {
  const o = checkObject('options', options);
  checkKeys('options', o, ['game', 'policy', 'opponents', 'batch', 'seed', 'greedy']);
  if (!(o.policy instanceof Policy)) {
    throw new DilemmaError(ErrorCode.InvalidArgument, 'options.policy must be a Policy');
  }
  const policy = o.policy;
  const batch = o.batch === undefined ? 1024 : checkInteger('options.batch', o.batch, 1, 1 << 24);
  const seed = o.seed === undefined ? 0 : checkSeed('options.seed', o.seed);
  const greedy = o.greedy === true;
  const { game, owned } = resolveGame(o.game as GameSpec, 'options.game');
  const opponents = ((o.opponents as PolicySpec[] | undefined) ?? [...strategiesFor(game.id)]).map((p, i) =>
    resolvePolicy(p, `options.opponents[${i}]`),
  );
  try {
    if (game.info.agents !== 2) {
      throw new DilemmaError(ErrorCode.Unsupported, `evaluate needs a two-player game; '${game.id}' has ${game.info.agents}`);
    }
    const match = async (a: Policy, b: Policy, label: string): Promise<MatchResult> => {
      const t = await rollout({ game, policies: [a, b], batch, seed, greedy });
      const r = meanReturns(t);
      const c = actionRate(t, 0);
      return { opponent: label, cooperation: c[0], opponentCooperation: c[1], payoff: r[0], opponentPayoff: r[1], collective: r[0] + r[1] };
    };
    const selfPlay = await match(policy, policy, 'self');
    const matches: MatchResult[] = [];
    for (const p of opponents) matches.push(await match(policy, p.policy, p.policy.label));
    if (!game.info.twoAction) return { greedy, selfPlay, matches, exploitability: Number.NaN };
    const defect = resolvePolicy('always-defect', 'always-defect');
    try {
      const mutual = meanReturns(await rollout({ game, policies: [defect.policy, defect.policy], batch: 1, seed }))[0];
      const vsDefect = matches.find((m) => m.opponent === 'always-defect') ?? (await match(policy, defect.policy, 'always-defect'));
      return { greedy, selfPlay, matches, exploitability: mutual - vsDefect.payoff };
    } finally {
      defect.policy.dispose();
    }
  } finally {
    for (const p of opponents) if (p.owned) p.policy.dispose();
    if (owned) game.dispose();
  }
}

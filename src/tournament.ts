/**
 * Round-robin tournaments of policies in a two-player game. Every ordered
 * pair plays (each policy in both seats, and against itself), `repetitions`
 * episodes per pair, all natively.
 */
import { DilemmaError, ErrorCode } from './errors.js';
import { type GameSpec, resolveGame } from './games.js';
import { type PolicySpec, resolvePolicy } from './policies.js';
import { LIMITS } from './generated/limits.js';
import { native } from './native.js';
import { checkInteger, checkKeys, checkObject, checkSeed } from './validate.js';

/** Options of {@link tournament}. */
export interface TournamentOptions {
  /** A two-player game: a {@link Game}, an id or `{ id, params }`. */
  game: GameSpec;
  /** The players: policies, strategy names or `{ strategy, params }`; at least one. */
  players: PolicySpec[];
  /** Episodes per ordered pair. Default 100. */
  repetitions?: number;
  /** Seed of every random draw, an integer ≥ 0. Default 0. */
  seed?: number | bigint;
  /** Steps per episode; default the game's maximum episode length. */
  steps?: number;
}

/** One player's place in the ranking. */
export interface Standing {
  /** The player's label. */
  player: string;
  /** Mean episode payoff over all opponents and both seats. */
  score: number;
  /** Fraction of rounds in which the player chose action 0 (cooperate). */
  cooperation: number;
}

/** What {@link tournament} returns; matrices are indexed by the order of `players`. */
export interface TournamentResult {
  /** The players' labels, in the order given. */
  players: string[];
  /** Episodes per ordered pair. */
  repetitions: number;
  /** payoff[i][j]: mean episode payoff of player i (seat 0) against player j (seat 1). */
  payoff: number[][];
  /** opponentPayoff[i][j]: mean episode payoff of player j in that match. */
  opponentPayoff: number[][];
  /** cooperation[i][j]: player i's cooperation rate in that match. */
  cooperation: number[][];
  /** Players ordered by score, best first. */
  ranking: Standing[];
}

/**
 * A round-robin tournament: every ordered pair of players (self-pairs included) plays `repetitions` episodes, natively.
 *
 * @throws DilemmaError `ERR_INVALID_ARGUMENT` for a bad option (naming it), `ERR_UNKNOWN_STRATEGY` for an unknown name.
 */
export async function tournament(options: TournamentOptions): Promise<TournamentResult> {
  const o = checkObject('options', options);
  checkKeys('options', o, ['game', 'players', 'repetitions', 'seed', 'steps']);
  const repetitions = o.repetitions === undefined ? 100 : checkInteger('options.repetitions', o.repetitions, 1, LIMITS.maxRolloutSteps);
  const seed = o.seed === undefined ? 0 : checkSeed('options.seed', o.seed);
  const steps = o.steps === undefined ? undefined : checkInteger('options.steps', o.steps, 1, LIMITS.maxRolloutSteps);
  if (!Array.isArray(o.players) || o.players.length < 1) {
    throw new DilemmaError(ErrorCode.InvalidArgument, 'options.players must be a non-empty array of policies');
  }
  const { game, owned: ownGame } = resolveGame(o.game as GameSpec, 'options.game');
  const players: ReturnType<typeof resolvePolicy>[] = [];
  try {
    if (game.info.agents !== 2) {
      throw new DilemmaError(ErrorCode.Unsupported, `tournaments need a two-player game; '${game.id}' has ${game.info.agents}`);
    }
    o.players.forEach((p, i) => players.push(resolvePolicy(p as PolicySpec, `options.players[${i}]`)));
    // All ordered pairs in one native call; pair (i, j) is exactly the rollout of [i, j] with this seed.
    const r = await native().tournament(game.handle, players.map((p) => p.policy.handle), {
      repetitions,
      seed,
      ...(steps ? { steps } : {}),
    });
    return tournamentFromPairs(players.map((p) => p.policy.label), repetitions, r.meanReturn, r.action0Rate);
  } finally {
    for (const p of players) if (p.owned) p.policy.dispose();
    if (ownGame) game.dispose();
  }
}

/**
 * Assembles a {@link TournamentResult} from every ordered pair's numbers, as
 * the native round-robin returns them: `meanReturn` and `action0Rate` of
 * shape `[n, n, 2]` (row player, column player, seat), row-major. The one
 * place matrices and ranking are derived, whether the pairs ran in one call
 * or in jobs spread over machines.
 */
export function tournamentFromPairs(labels: string[], repetitions: number, meanReturn: ArrayLike<number>, action0Rate: ArrayLike<number>): TournamentResult {
  const n = labels.length;
  if (meanReturn.length !== n * n * 2 || action0Rate.length !== n * n * 2) {
    throw new DilemmaError(ErrorCode.InvalidArgument, `meanReturn and action0Rate must have ${n * n * 2} values ([${n}, ${n}, 2])`);
  }
  const grid = () => Array.from({ length: n }, () => new Array<number>(n).fill(0));
  const payoff = grid(), opponentPayoff = grid(), cooperation = grid(), coopSeat1 = grid();
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const k = (i * n + j) * 2;
      payoff[i][j] = meanReturn[k];
      opponentPayoff[i][j] = meanReturn[k + 1];
      cooperation[i][j] = action0Rate[k];
      coopSeat1[j][i] = action0Rate[k + 1];
    }
  }
  const ranking: Standing[] = labels.map((player, i) => {
    let score = 0, coop = 0;
    for (let j = 0; j < n; j++) {
      score += (payoff[i][j] + opponentPayoff[j][i]) / 2;
      coop += (cooperation[i][j] + coopSeat1[i][j]) / 2;
    }
    return { player, score: score / n, cooperation: coop / n };
  });
  ranking.sort((a, b) => b.score - a.score || a.player.localeCompare(b.player));
  return { players: [...labels], repetitions, payoff, opponentPayoff, cooperation, ranking };
}

/**
 * Averages tournaments of the same players over several seeds into one
 * result: matrices and standings are means over the seeds (in the order
 * given), repetitions their total. `dilemma tournament --seeds N` reports this.
 */
export function averageTournaments(results: TournamentResult[]): TournamentResult {
  if (results.length < 1) throw new DilemmaError(ErrorCode.InvalidArgument, 'results must hold at least one tournament');
  const n = results.length;
  const avg = (pick: (r: TournamentResult) => number[][]) =>
    pick(results[0]).map((row, i) => row.map((_, j) => results.reduce((s, r) => s + pick(r)[i][j], 0) / n));
  const first = results[0];
  const ranking = first.players
    .map((player) => {
      const rows = results.map((r) => r.ranking.find((s) => s.player === player)!);
      return { player, score: rows.reduce((s, r) => s + r.score, 0) / n, cooperation: rows.reduce((s, r) => s + r.cooperation, 0) / n };
    })
    .sort((a, b) => b.score - a.score || a.player.localeCompare(b.player));
  return {
    players: first.players,
    repetitions: first.repetitions * n,
    payoff: avg((r) => r.payoff),
    opponentPayoff: avg((r) => r.opponentPayoff),
    cooperation: avg((r) => r.cooperation),
    ranking,
  };
}

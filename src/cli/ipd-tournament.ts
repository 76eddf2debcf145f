/**
 * `dilemma ipd-tournament`: every scripted strategy against every other on
 * the iterated prisoner's dilemma, with a ranking and the pair payoffs.
 */
import { formatTable } from '../format.js';
import { TWO_ACTION_STRATEGIES } from '../policies.js';
import { tournament } from '../tournament.js';

/** The tournament's ranking and payoff matrix as printed text. */
export async function runIpdTournament(opts: { rounds: number; repetitions: number; seed: number }): Promise<string> {
  const start = performance.now();
  const result = await tournament({
    game: { id: 'ipd', params: { rounds: opts.rounds } },
    players: [...TWO_ACTION_STRATEGIES],
    repetitions: opts.repetitions,
    seed: opts.seed,
  });
  const ms = performance.now() - start;
  const ranking = formatTable(
    ['rank', 'strategy', 'mean payoff', 'cooperation'],
    result.ranking.map((s, k) => [k + 1, s.player, s.score, `${(100 * s.cooperation).toFixed(1)}%`]),
  );
  const short = result.players.map((p) => abbreviate(p));
  const matrix = formatTable(
    ['row vs column', ...short],
    result.players.map((p, i) => [p, ...result.payoff[i].map((v) => v)]),
  );
  const n = result.players.length;
  return [
    `Iterated prisoner's dilemma, ${opts.rounds} rounds (CC 3/3, CD 0/5, DC 5/0, DD 1/1), ` +
      `${n} strategies, ${n * n} ordered pairs × ${opts.repetitions} matches, seed ${opts.seed}`,
    '',
    ranking,
    '',
    'Mean payoff of the row strategy per match:',
    matrix,
    '',
    `${n * n * opts.repetitions} matches in ${ms.toFixed(0)} ms`,
  ].join('\n');
}

function abbreviate(name: string): string {
  return name
    .split('-')
    .map((w) => w[0]?.toUpperCase() ?? '')
    .join('');
}

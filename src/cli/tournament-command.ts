/**
 * `dilemma tournament` and `dilemma eval`: round-robins and evaluations of
 * scripted strategies, checkpoints and ONNX models on any two-player game,
 * over several seeds, written as tables (CSV, JSON) and a report.
 */
import { join } from 'node:path';
import { evaluate } from '../evaluate.js';
import { writeAtomicAll } from '../fs-safe.js';
import { formatTable } from '../format.js';
import { tournament, type TournamentResult } from '../tournament.js';
import { tournamentReport, writeReport } from '../report/index.js';
import { toCsv } from './csv.js';
import { parsePlayer } from './players.js';

export interface TournamentCommandOptions {
  game: string;
  params?: Record<string, unknown>;
  players: string[];
  repetitions: number;
  seeds: number;
  rounds?: number;
  output?: string;
}

/** Averages the tournaments of seeds 1..n into one result. */
function average(results: TournamentResult[]): TournamentResult {
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

/** `dilemma tournament`: prints the ranking and payoff matrix, and writes tables and a report with `output`. */
export async function tournamentCommand(o: TournamentCommandOptions): Promise<TournamentResult> {
  const players = o.players.map((spec) => parsePlayer(spec));
  try {
    const params = { ...(o.params ?? {}), ...(o.rounds ? { rounds: o.rounds } : {}) };
    const game = { id: o.game as never, params };
    const results: TournamentResult[] = [];
    for (let seed = 1; seed <= o.seeds; seed++) {
      results.push(await tournament({ game, players, repetitions: o.repetitions, seed }));
    }
    const result = average(results);
    console.log(
      formatTable(
        ['rank', 'player', 'mean payoff', 'cooperation'],
        result.ranking.map((s, k) => [k + 1, s.player, s.score, `${(100 * s.cooperation).toFixed(1)}%`]),
      ),
    );
    console.log('\nMean payoff of the row player per episode:');
    console.log(formatTable(['row vs column', ...result.players], result.players.map((p, i) => [p, ...result.payoff[i]])));
    if (o.output) {
      writeAtomicAll(
        [
          { path: join(o.output, 'ranking.csv'), content: toCsv(['rank', 'player', 'score', 'cooperation'], result.ranking.map((s, k) => [k + 1, s.player, s.score, s.cooperation])) },
          { path: join(o.output, 'payoff-matrix.csv'), content: toCsv(['row vs column', ...result.players], result.players.map((p, i) => [p, ...result.payoff[i]])) },
          { path: join(o.output, 'tournament.json'), content: `${JSON.stringify({ game: o.game, params, seeds: o.seeds, ...result }, null, 2)}\n` },
        ],
        'out',
      );
      writeReport(o.output, await tournamentReport(result));
      console.log(`\nwritten: ${join(o.output, 'report.html')}, ranking.csv, payoff-matrix.csv, tournament.json`);
    }
    return result;
  } finally {
    for (const p of players) p.dispose();
  }
}

export interface EvalCommandOptions {
  policy: string;
  game: string;
  params?: Record<string, unknown>;
  opponents: string[];
  batch: number;
  greedy: boolean;
  output?: string;
}

/** `dilemma eval`: one policy against the opponents, printed and, with `output`, written as CSV and JSON. */
export async function evalCommand(o: EvalCommandOptions): Promise<void> {
  const policy = parsePlayer(o.policy);
  const opponents = o.opponents.map((spec) => parsePlayer(spec));
  try {
    const e = await evaluate({ game: { id: o.game as never, params: o.params ?? {} }, policy, opponents, batch: o.batch, greedy: o.greedy, seed: 1 });
    const rows = [e.selfPlay, ...e.matches].map((m) => [m.opponent, m.cooperation, m.opponentCooperation, m.payoff, m.opponentPayoff, m.collective]);
    const header = ['opponent', 'cooperation', 'opponent cooperation', 'payoff', 'opponent payoff', 'collective'];
    console.log(formatTable(header, rows));
    console.log(`\nexploitability (payoff lost against always-defect relative to mutual defection): ${e.exploitability.toFixed(3)}`);
    if (o.output) {
      writeAtomicAll(
        [
          { path: join(o.output, 'evaluation.csv'), content: toCsv(header, rows) },
          { path: join(o.output, 'evaluation.json'), content: `${JSON.stringify(e, null, 2)}\n` },
        ],
        'out',
      );
    }
  } finally {
    policy.dispose();
    for (const p of opponents) p.dispose();
  }
}

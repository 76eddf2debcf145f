/**
 * `dilemma tournament` and `dilemma eval`: round-robins and evaluations of
 * scripted strategies, checkpoints and ONNX models on any two-player game,
 * over several seeds, written as tables (CSV, JSON) and a report.
 */
import { join } from 'node:path';
import { evaluate } from '../evaluate.js';
import { writeAtomicAll } from '../fs-safe.js';
import { formatTable } from '../format.js';
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { DilemmaError, ErrorCode } from '../errors.js';
import { resolveGame } from '../games.js';
import { averageTournaments, tournament, type TournamentResult } from '../tournament.js';
import { runQueuedTournament } from '../scale/tournament-queue.js';
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
  /** Play the pairs as jobs on this Redis queue (redis://HOST:PORT[/DB]) instead of in this process. */
  queue?: string;
  /** Ordered pairs per queued job. */
  pairsPerJob?: number;
}

/** `dilemma tournament`: prints the ranking and payoff matrix, and writes tables and a report with `output`. */
export async function tournamentCommand(o: TournamentCommandOptions): Promise<TournamentResult> {
  const params = { ...(o.params ?? {}), ...(o.rounds ? { rounds: o.rounds } : {}) };
  const result = o.queue ? await queuedTournament(o, params) : await localTournament(o, params);
  await printAndWrite(o, params, result);
  return result;
}

async function localTournament(o: TournamentCommandOptions, params: Record<string, unknown>): Promise<TournamentResult> {
  const players = o.players.map((spec) => parsePlayer(spec));
  try {
    const game = { id: o.game as never, params };
    const results: TournamentResult[] = [];
    for (let seed = 1; seed <= o.seeds; seed++) {
      results.push(await tournament({ game, players, repetitions: o.repetitions, seed }));
    }
    return averageTournaments(results);
  } finally {
    for (const p of players) p.dispose();
  }
}

/** The same tournament as jobs on a queue; players are checked here first so a typo fails before anything is enqueued. */
async function queuedTournament(o: TournamentCommandOptions, params: Record<string, unknown>): Promise<TournamentResult> {
  o.players.forEach((spec, i) => {
    const file = /^(ckpt|onnx):/.test(spec) ? spec.slice(5) : undefined;
    if (file === undefined) {
      parsePlayer(spec, `--players[${i}]`).dispose();
      return;
    }
    let isFile = false;
    try {
      isFile = statSync(resolve(file)).isFile();
    } catch {
      // reported below
    }
    if (!isFile) throw new DilemmaError(ErrorCode.NotAFile, `--players[${i}]: '${file}' is not a regular file here`);
  });
  const { game } = resolveGame({ id: o.game as never, params }, '--game');
  const agents = game.info.agents;
  game.dispose();
  if (agents !== 2) throw new DilemmaError(ErrorCode.Unsupported, `tournaments need a two-player game; '${o.game}' has ${agents}`);
  let shown = 0;
  const tty = process.stderr.isTTY;
  const { result } = await runQueuedTournament(
    { game: o.game, params, players: o.players, repetitions: o.repetitions, seeds: Array.from({ length: o.seeds }, (_, k) => k + 1), base: process.cwd() },
    {
      queue: o.queue!,
      ...(o.pairsPerJob ? { pairsPerJob: o.pairsPerJob } : {}),
      onProgress: (done, jobs) => {
        if (done === 0) {
          console.error(`tournament: ${jobs} jobs on ${o.queue}; waiting for workers (dilemma worker --queue ${o.queue})`);
          return;
        }
        // On a terminal one line that updates; in a log, a line per tenth.
        if (tty) process.stderr.write(`\rtournament: ${done}/${jobs} jobs${done === jobs ? '\n' : ''}`);
        else if (done === jobs || Math.floor((10 * done) / jobs) > Math.floor((10 * shown) / jobs)) console.error(`tournament: ${done}/${jobs} jobs`);
        shown = done;
      },
    },
  );
  return result;
}

async function printAndWrite(o: TournamentCommandOptions, params: Record<string, unknown>, result: TournamentResult): Promise<void> {
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

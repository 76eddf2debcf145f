/**
 * A round-robin tournament split into jobs that any number of machines can
 * play, and merged back into exactly the result of one process.
 *
 * Every ordered pair (i, j) of a tournament with seed s is the rollout of
 * players [i, j] with seed s, whatever else runs in the same call, so a job
 * that plays some of the pairs with the tournament's seeds yields the very
 * numbers the single-process round-robin would. Jobs are tiles of the
 * payoff matrix (a block of rows × a block of columns), so a job loads only
 * the players of its rows and columns, not the whole population.
 */
import { createHash } from 'node:crypto';
import { DilemmaError, ErrorCode } from '../errors.js';
import { resolveGame } from '../games.js';
import { native } from '../native.js';
import type { Policy } from '../policies.js';
import { averageTournaments, tournamentFromPairs, type TournamentResult } from '../tournament.js';
import { LIMITS } from '../limits.js';
import { checkInteger, checkObject, checkSeed } from '../validate.js';
import { parsePlayer } from '../cli/players.js';

/** A tournament to split into jobs: the population as `dilemma tournament` names it. */
export interface TournamentPlan {
  /** A two-player game id. */
  game: string;
  /** The game's parameters (with `rounds` already merged in). */
  params: Record<string, unknown>;
  /** Player specifications: strategy names (`random:p=0.3`), `ckpt:PATH` or `onnx:PATH`. */
  players: string[];
  /** Episodes per ordered pair and seed. */
  repetitions: number;
  /** The tournament seeds; `dilemma tournament --seeds N` plays 1..N and averages them. */
  seeds: number[];
  /** Steps per episode; default the game's maximum episode length. */
  steps?: number;
  /** The folder relative `ckpt:`/`onnx:` paths are read from; default the worker's own folder. */
  base?: string;
}

/** One job: some ordered pairs of a tournament, played for every seed of it. Plain JSON, as a queue stores it. */
export interface TournamentJobData {
  /** Always 'tournament': the job kind a worker dispatches on. */
  kind: 'tournament';
  /** The tournament's id (a hash of its plan): every job and result of it carries it. */
  tournament: string;
  /** The job's index, 0-based, and its queue id. */
  index: number;
  /** The queue id: unique per tournament, pairs per job and index, so enqueueing again adds nothing twice. */
  id: string;
  /** How many jobs the tournament has. */
  jobs: number;
  /** As in {@link TournamentPlan}. */
  game: string;
  /** As in {@link TournamentPlan}. */
  params: Record<string, unknown>;
  /** As in {@link TournamentPlan}. */
  repetitions: number;
  /** As in {@link TournamentPlan}. */
  seeds: number[];
  /** As in {@link TournamentPlan}. */
  steps?: number;
  /** As in {@link TournamentPlan}. */
  base?: string;
  /** The population's size. */
  population: number;
  /** The population indices of the players this job loads. */
  players: number[];
  /** Their specifications, in the same order. */
  specs: string[];
  /** The pairs to play, flattened [row, column] indices into `players` (not the population). */
  pairs: number[];
}

/** What a job returns. Plain JSON: numbers survive a JSON round trip exactly. */
export interface TournamentJobResult {
  /** The tournament's id. */
  tournament: string;
  /** The job's index. */
  index: number;
  /** Population indices of the job's players. */
  players: number[];
  /** Their labels, in the same order. */
  labels: string[];
  /** The pairs played, flattened [row, column] population indices. */
  pairs: number[];
  /** Per seed (in the plan's order): mean episode return per pair and seat, [pairs, 2] flattened. */
  meanReturn: number[][];
  /** Per seed: share of action 0 per pair and seat, [pairs, 2] flattened. */
  action0Rate: number[][];
}

/** What {@link mergeTournamentJobs} returns. */
export interface MergedTournament {
  /** The seeds averaged, as `dilemma tournament` prints and writes it. */
  result: TournamentResult;
  /** One result per seed, each equal to `tournament()` with that seed. */
  perSeed: TournamentResult[];
}

/** Default number of ordered pairs per job. */
export const DEFAULT_PAIRS_PER_JOB = 256;
/** The most pairs per job: keeps a tile's players (rows + columns) within one native call's 1024. */
export const MAX_PAIRS_PER_JOB = 250_000;
const MAX_PLAYERS = 1 << 16;

function fail(message: string): never {
  throw new DilemmaError(ErrorCode.InvalidArgument, message);
}

/** JSON with object keys sorted, so the same plan always hashes the same. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .sort()
      .filter((k) => o[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

/** Checks a plan and returns it with only its known keys. */
export function checkTournamentPlan(plan: unknown, name = 'plan'): TournamentPlan {
  const o = checkObject(name, plan);
  if (typeof o.game !== 'string' || o.game.length === 0) fail(`${name}.game must be a game id`);
  const params = checkObject(`${name}.params`, o.params ?? {});
  if (!Array.isArray(o.players) || o.players.length < 1 || o.players.length > MAX_PLAYERS) {
    fail(`${name}.players must be an array of 1 to ${MAX_PLAYERS} player specifications`);
  }
  o.players.forEach((p, i) => {
    if (typeof p !== 'string' || p.length === 0) fail(`${name}.players[${i}] must be a non-empty string`);
  });
  const repetitions = checkInteger(`${name}.repetitions`, o.repetitions, 1, LIMITS.maxRolloutSteps);
  if (!Array.isArray(o.seeds) || o.seeds.length < 1 || o.seeds.length > 1 << 16) fail(`${name}.seeds must be an array of 1 to 65536 seeds`);
  const seeds = o.seeds.map((s, i) => {
    if (typeof s !== 'number') fail(`${name}.seeds[${i}] must be a number`);
    return checkSeed(`${name}.seeds[${i}]`, s) as number;
  });
  const steps = o.steps === undefined ? undefined : checkInteger(`${name}.steps`, o.steps, 1, LIMITS.maxRolloutSteps);
  if (o.base !== undefined && (typeof o.base !== 'string' || o.base.length === 0)) fail(`${name}.base must be a folder path`);
  return {
    game: o.game,
    params,
    players: [...(o.players as string[])],
    repetitions,
    seeds,
    ...(steps === undefined ? {} : { steps }),
    ...(o.base === undefined ? {} : { base: o.base as string }),
  };
}

/** The id of a tournament: a hash of its plan, the same on every machine and every run. */
export function tournamentId(plan: TournamentPlan): string {
  return createHash('sha256').update(canonical(checkTournamentPlan(plan))).digest('hex').slice(0, 20);
}

/**
 * Splits a tournament's n² ordered pairs into jobs of about `pairsPerJob`
 * pairs each: tiles of the payoff matrix, taken row block by row block, each
 * tile's pairs row-major. The split depends only on the plan and
 * `pairsPerJob`, so job ids are the same on every run.
 *
 * @throws DilemmaError `ERR_INVALID_ARGUMENT` naming a bad plan field or `pairsPerJob`.
 */
export function splitTournament(plan: TournamentPlan, pairsPerJob = DEFAULT_PAIRS_PER_JOB): TournamentJobData[] {
  const p = checkTournamentPlan(plan);
  const perJob = checkInteger('pairsPerJob', pairsPerJob, 1, MAX_PAIRS_PER_JOB);
  const n = p.players.length;
  const id = tournamentId(p);
  const width = Math.min(n, Math.ceil(Math.sqrt(perJob)));
  const height = Math.max(1, Math.min(n, Math.floor(perJob / width)));
  const tiles: Array<{ rows: number[]; cols: number[] }> = [];
  for (let r0 = 0; r0 < n; r0 += height) {
    for (let c0 = 0; c0 < n; c0 += width) {
      const range = (a: number, b: number) => Array.from({ length: Math.min(b, n) - a }, (_, k) => a + k);
      tiles.push({ rows: range(r0, r0 + height), cols: range(c0, c0 + width) });
    }
  }
  return tiles.map(({ rows, cols }, index) => {
    const players = [...new Set([...rows, ...cols])].sort((a, b) => a - b);
    const local = new Map(players.map((g, k) => [g, k]));
    const pairs: number[] = [];
    for (const i of rows) for (const j of cols) pairs.push(local.get(i)!, local.get(j)!);
    return {
      kind: 'tournament' as const,
      tournament: id,
      index,
      id: `tournament-${id}-${perJob}-${index}`,
      jobs: tiles.length,
      game: p.game,
      params: p.params,
      repetitions: p.repetitions,
      seeds: p.seeds,
      ...(p.steps === undefined ? {} : { steps: p.steps }),
      ...(p.base === undefined ? {} : { base: p.base }),
      population: n,
      players,
      specs: players.map((g) => p.players[g]),
      pairs,
    };
  });
}

function checkIndexArray(name: string, v: unknown, bound: number, even = false): number[] {
  if (!Array.isArray(v) || v.length < 1 || (even && v.length % 2 !== 0)) fail(`${name} must be a non-empty array${even ? ' of [row, column] pairs' : ''}`);
  for (let k = 0; k < v.length; k++) {
    const x = v[k] as unknown;
    if (typeof x !== 'number' || !Number.isInteger(x) || x < 0 || x >= bound) fail(`${name}[${k}] must be an integer from 0 to ${bound - 1}`);
  }
  return v as number[];
}

/** Checks a job as a worker receives it from a queue. */
function checkJobData(data: unknown): TournamentJobData {
  const o = checkObject('job.data', data);
  if (o.kind !== 'tournament') fail("job.data.kind must be 'tournament'");
  if (typeof o.tournament !== 'string' || typeof o.id !== 'string') fail('job.data.tournament and job.data.id must be strings');
  const index = checkInteger('job.data.index', o.index, 0);
  const population = checkInteger('job.data.population', o.population, 1, MAX_PLAYERS);
  const plan = checkTournamentPlan({ game: o.game, params: o.params, players: o.specs, repetitions: o.repetitions, seeds: o.seeds, steps: o.steps, base: o.base }, 'job.data');
  const players = checkIndexArray('job.data.players', o.players, population);
  if (players.length !== plan.players.length) fail('job.data.players and job.data.specs must have the same length');
  const pairs = checkIndexArray('job.data.pairs', o.pairs, players.length, true);
  return { ...(o as unknown as TournamentJobData), index, population, players, pairs, specs: plan.players, seeds: plan.seeds };
}

/**
 * Plays one job: loads its players, plays its pairs for every seed, and
 * returns the numbers as plain JSON. Runs the same native code, with the same
 * seeds, as the single-process round-robin.
 *
 * @throws DilemmaError `ERR_INVALID_ARGUMENT` for malformed job data; a player's or game's own error otherwise.
 */
export async function runTournamentJob(data: TournamentJobData): Promise<TournamentJobResult> {
  const job = checkJobData(data);
  const { game } = resolveGame({ id: job.game as never, params: job.params }, 'job.data.game');
  const policies: Policy[] = [];
  try {
    if (game.info.agents !== 2) {
      throw new DilemmaError(ErrorCode.Unsupported, `tournaments need a two-player game; '${game.id}' has ${game.info.agents}`);
    }
    job.specs.forEach((spec, k) => policies.push(parsePlayer(spec, `players[${job.players[k]}]`, job.base)));
    const pairs = Int32Array.from(job.pairs);
    const meanReturn: number[][] = [], action0Rate: number[][] = [];
    for (const seed of job.seeds) {
      const r = await native().tournament(game.handle, policies.map((p) => p.handle), {
        repetitions: job.repetitions,
        seed,
        pairs,
        ...(job.steps ? { steps: job.steps } : {}),
      });
      meanReturn.push(Array.from(r.meanReturn));
      action0Rate.push(Array.from(r.action0Rate));
    }
    return {
      tournament: job.tournament,
      index: job.index,
      players: job.players,
      labels: policies.map((p) => p.label),
      pairs: job.pairs.map((local) => job.players[local]),
      meanReturn,
      action0Rate,
    };
  } finally {
    for (const p of policies) p.dispose();
    game.dispose();
  }
}

/**
 * Merges job results, in any order, into the tournament's result: the same
 * matrices and ranking as one process playing every pair, per seed and
 * averaged over the seeds.
 *
 * @throws DilemmaError `ERR_INVALID_ARGUMENT` when a result belongs to another
 * tournament, is malformed, plays a pair another result already played
 * (duplicate), or when a pair is played by no result (missing); the message
 * names the result and the pair.
 */
export function mergeTournamentJobs(plan: TournamentPlan, results: TournamentJobResult[]): MergedTournament {
  const p = checkTournamentPlan(plan);
  const id = tournamentId(p);
  const n = p.players.length, seeds = p.seeds.length;
  if (!Array.isArray(results)) fail('results must be an array of job results');
  const mean = p.seeds.map(() => new Float64Array(n * n * 2));
  const rate = p.seeds.map(() => new Float64Array(n * n * 2));
  const owner = new Int32Array(n * n).fill(-1);
  const labels = new Array<string | undefined>(n);
  results.forEach((r, k) => {
    const name = `results[${k}]`;
    const o = checkObject(name, r);
    if (o.tournament !== id) fail(`${name} belongs to tournament '${String(o.tournament)}', not '${id}'`);
    const players = checkIndexArray(`${name}.players`, o.players, n);
    if (!Array.isArray(o.labels) || o.labels.length !== players.length || o.labels.some((l) => typeof l !== 'string')) {
      fail(`${name}.labels must hold one label per player`);
    }
    players.forEach((g, q) => {
      const label = (o.labels as string[])[q];
      if (labels[g] !== undefined && labels[g] !== label) fail(`${name}: player ${g} is '${label}' here but '${labels[g]}' in another result`);
      labels[g] = label;
    });
    const pairs = checkIndexArray(`${name}.pairs`, o.pairs, n, true);
    const count = pairs.length / 2;
    for (const key of ['meanReturn', 'action0Rate'] as const) {
      const v = o[key];
      if (!Array.isArray(v) || v.length !== seeds || v.some((row) => !Array.isArray(row) || row.length !== count * 2 || row.some((x) => typeof x !== 'number'))) {
        fail(`${name}.${key} must hold, for each of the ${seeds} seeds, ${count * 2} numbers ([pairs, 2])`);
      }
    }
    const m = o.meanReturn as number[][], a = o.action0Rate as number[][];
    for (let q = 0; q < count; q++) {
      const i = pairs[2 * q], j = pairs[2 * q + 1];
      const cell = i * n + j;
      if (owner[cell] >= 0) fail(`${name}: pair [${i}, ${j}] is duplicated (also in results[${owner[cell]}])`);
      owner[cell] = k;
      for (let s = 0; s < seeds; s++) {
        for (let seat = 0; seat < 2; seat++) {
          mean[s][cell * 2 + seat] = m[s][q * 2 + seat];
          rate[s][cell * 2 + seat] = a[s][q * 2 + seat];
        }
      }
    }
  });
  const missing: string[] = [];
  let missed = 0;
  owner.forEach((k, cell) => {
    if (k >= 0) return;
    missed++;
    if (missing.length < 5) missing.push(`[${Math.floor(cell / n)}, ${cell % n}]`);
  });
  if (missed > 0) fail(`results: ${missed} of ${n * n} pairs are missing (${missing.join(', ')}${missed > missing.length ? ', …' : ''})`);
  const names = labels as string[];
  const perSeed = p.seeds.map((_, s) => tournamentFromPairs(names, p.repetitions, mean[s], rate[s]));
  return { result: averageTournaments(perSeed), perSeed };
}

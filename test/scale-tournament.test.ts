// Tournaments split into jobs: the merged result must equal the round-robin
// of one process (tournament(), and the CLI's seed average), whatever the job
// order and size; duplicated or missing pairs are refused; and the same
// through a real redis-server with two BullMQ workers.
import test from 'ava';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Trainer } from '../src/train.js';
import { averageTournaments, tournament, type TournamentResult } from '../src/tournament.js';
import { parsePlayer } from '../src/cli/players.js';
import { tournamentCommand } from '../src/cli/tournament-command.js';
import { mergeTournamentJobs, runTournamentJob, splitTournament, type TournamentJobResult, type TournamentPlan } from '../src/scale/tournament-jobs.js';
import { runQueuedTournament } from '../src/scale/tournament-queue.js';
import { DirectoryRunStore } from '../src/scale/run-store.js';
import { runWorker, type WorkerHandle } from '../src/scale/worker.js';

const dir = mkdtempSync(join(tmpdir(), 'dilemma-scale-tournament-'));
test.after.always(() => rmSync(dir, { recursive: true, force: true }));

// Two tabular checkpoints (different initial tables), written once; one
// referenced by a relative path, read from `base` as a worker would.
test.before(async () => {
  mkdirSync(join(dir, 'ckpt'), { recursive: true });
  for (const seed of [3, 4]) {
    const trainer = Trainer.create({ game: { id: 'ipd' }, policy: { kind: 'tabular' }, seed, batch: 8 });
    await trainer.step();
    trainer.checkpoint(join(dir, 'ckpt', `tab${seed}.json`));
    trainer.dispose();
  }
});
const PLAYERS = ['tit-for-tat', 'always-defect', 'random:p=0.3', 'grim-trigger', 'win-stay-lose-shift', 'random:p=0.8', `ckpt:${join(dir, 'ckpt', 'tab3.json')}`, 'ckpt:ckpt/tab4.json'];
const plan = (seeds: number[]): TournamentPlan => ({ game: 'ipd', params: { rounds: 6 }, players: PLAYERS, repetitions: 24, seeds, base: dir });

/** The single-process tournament of each seed, as `dilemma tournament` plays it. */
async function local(seeds: number[]): Promise<TournamentResult[]> {
  const players = PLAYERS.map((s) => parsePlayer(s, undefined, dir));
  try {
    const out: TournamentResult[] = [];
    for (const seed of seeds) out.push(await tournament({ game: { id: 'ipd', params: { rounds: 6 } }, players, repetitions: 24, seed }));
    return out;
  } finally {
    for (const p of players) p.dispose();
  }
}

async function runAll(p: TournamentPlan, perJob: number): Promise<TournamentJobResult[]> {
  const out: TournamentJobResult[] = [];
  for (const job of splitTournament(p, perJob)) out.push(await runTournamentJob(job));
  return out;
}

/** A fixed shuffle (no Math.random: a failure must reproduce). */
function shuffled<T>(a: T[], key: number): T[] {
  return a.map((x, k) => ({ x, r: (k * 2654435761 + key * 40503) % 1000003 })).sort((u, v) => u.r - v.r).map((u) => u.x);
}

test('the split covers every ordered pair once, in tiles of about N pairs, with stable ids', (t) => {
  const jobs = splitTournament(plan([1]), 10);
  // 8 players, 10 pairs per job: tiles of 2 rows × 4 columns.
  t.is(jobs.length, 8);
  const seen = new Set<string>();
  for (const j of jobs) {
    t.is(j.pairs.length / 2, 8);
    for (let q = 0; q < j.pairs.length; q += 2) {
      const key = `${j.players[j.pairs[q]]},${j.players[j.pairs[q + 1]]}`;
      t.false(seen.has(key), key);
      seen.add(key);
    }
    t.deepEqual(j.specs, j.players.map((g) => PLAYERS[g]));
    t.true(j.players.length <= 6, 'a job loads only its rows and columns');
  }
  t.is(seen.size, 64);
  t.deepEqual(splitTournament(plan([1]), 10).map((j) => j.id), jobs.map((j) => j.id));
  t.notDeepEqual(splitTournament(plan([2]), 10)[0].id, jobs[0].id);
  t.notDeepEqual(splitTournament(plan([1]), 11)[0].id, jobs[0].id);
  t.is(splitTournament(plan([1]), 1).length, 64);
  t.is(splitTournament(plan([1]), 100000).length, 1);
  t.throws(() => splitTournament(plan([1]), 0), { code: 'ERR_INVALID_ARGUMENT', message: /pairsPerJob/ });
  t.throws(() => splitTournament({ ...plan([1]), players: [] }, 4), { code: 'ERR_INVALID_ARGUMENT', message: /plan\.players/ });
  t.throws(() => splitTournament({ ...plan([1]), seeds: [-1] }, 4), { code: 'ERR_INVALID_ARGUMENT', message: /plan\.seeds\[0\]/ });
});

test('merged jobs equal the single-process tournament, in any order and any job size', async (t) => {
  const seeds = [1, 2];
  const expected = await local(seeds);
  for (const perJob of [1, 7, 16, 64]) {
    const results = await runAll(plan(seeds), perJob);
    for (const key of [0, 1]) {
      const merged = mergeTournamentJobs(plan(seeds), key ? shuffled(results, perJob) : results);
      t.deepEqual(merged.perSeed, expected, `per seed, ${perJob} pairs per job`);
      t.deepEqual(merged.result, averageTournaments(expected), `average, ${perJob} pairs per job`);
    }
  }
  // Independent anchors: the labels as written, and a pair computed alone.
  t.deepEqual(expected[0].players.slice(6), ['ckpt/tab3.json', 'ckpt/tab4.json']);
  const alone = await tournament({ game: { id: 'ipd', params: { rounds: 6 } }, players: ['always-defect', 'tit-for-tat'], repetitions: 24, seed: 2 });
  t.is(expected[1].payoff[1][0], alone.payoff[0][1]);
  t.is(expected[1].opponentPayoff[1][0], alone.opponentPayoff[0][1]);
  // always-defect against tit-for-tat over 6 rounds: 5 then 1 five times.
  t.is(alone.payoff[0][1], 10);
});

test('merge refuses duplicated, missing and foreign results with coded errors', async (t) => {
  const p = plan([1]);
  const results = await runAll(p, 16);
  t.throws(() => mergeTournamentJobs(p, [...results, results[2]]), { code: 'ERR_INVALID_ARGUMENT', message: /results\[4\]: pair \[\d+, \d+\] is duplicated \(also in results\[2\]\)/ });
  t.throws(() => mergeTournamentJobs(p, results.slice(1)), { code: 'ERR_INVALID_ARGUMENT', message: /16 of 64 pairs are missing \(\[0, 0\], \[0, 1\]/ });
  t.throws(() => mergeTournamentJobs(p, []), { code: 'ERR_INVALID_ARGUMENT', message: /64 of 64 pairs are missing/ });
  t.throws(() => mergeTournamentJobs(plan([2]), results), { code: 'ERR_INVALID_ARGUMENT', message: /results\[0\] belongs to tournament/ });
  const cut = { ...results[0], meanReturn: [results[0].meanReturn[0].slice(1)] };
  t.throws(() => mergeTournamentJobs(p, [cut, ...results.slice(1)]), { code: 'ERR_INVALID_ARGUMENT', message: /results\[0\]\.meanReturn/ });
  const outside = { ...results[0], pairs: results[0].pairs.map(() => 8) };
  t.throws(() => mergeTournamentJobs(p, [outside, ...results.slice(1)]), { code: 'ERR_INVALID_ARGUMENT', message: /results\[0\]\.pairs\[0\]/ });
  // A job's own bad input fails with its code, naming the player.
  const [job] = splitTournament({ ...p, players: ['tit-for-tat', 'tit-for-tot'] }, 4);
  await t.throwsAsync(runTournamentJob(job), { code: 'ERR_UNKNOWN_STRATEGY', message: /players\[1\]/ });
  await t.throwsAsync(runTournamentJob({ ...job, pairs: [0, 5] }), { code: 'ERR_INVALID_ARGUMENT', message: /job\.data\.pairs\[1\]/ });
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

const hasRedis = spawnSync('redis-server', ['--version']).status === 0;
if (!hasRedis) console.log('# scale-tournament: redis-server is not installed; the queue test is skipped');
(hasRedis ? test.serial : test.skip)('a queued tournament with two workers equals the local one', async (t) => {
  t.timeout(60_000);
  const port = await freePort();
  const data = mkdtempSync(join(dir, 'redis-'));
  const server: ChildProcess = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', data], { stdio: 'ignore' });
  const workers: WorkerHandle[] = [];
  try {
    const url = `redis://127.0.0.1:${port}/1`;
    // Two workers as `dilemma worker` runs them: the 'tournament' kind is served by the job registry.
    for (let w = 0; w < 2; w++) {
      const store = new DirectoryRunStore(mkdtempSync(join(dir, 'store-')));
      workers.push(await runWorker({ queue: url, store, concurrency: 2 }));
    }
    const seeds = [1, 2];
    const progress: number[] = [];
    const merged = await runQueuedTournament(plan(seeds), { queue: url, pairsPerJob: 6, onProgress: (done) => progress.push(done), connectTimeoutMs: 20_000 });
    const expected = await local(seeds);
    t.deepEqual(merged.perSeed, expected);
    t.deepEqual(merged.result, averageTournaments(expected));
    const jobs = splitTournament(plan(seeds), 6).length;
    t.deepEqual(progress, Array.from({ length: jobs + 1 }, (_, k) => k));
    t.is(workers[0].counts.completed + workers[1].counts.completed, jobs);
    // The command: the same tables and report data as without --queue.
    const cli = { game: 'ipd', params: { rounds: 6 }, players: PLAYERS.slice(0, 7), repetitions: 24, seeds: 2 };
    const log = console.log, err = console.error;
    console.log = console.error = () => {};
    try {
      await tournamentCommand({ ...cli, output: join(dir, 'cli-local') });
      await tournamentCommand({ ...cli, output: join(dir, 'cli-queue'), queue: url, pairsPerJob: 9 });
    } finally {
      console.log = log;
      console.error = err;
    }
    for (const f of ['tournament.json', 'payoff-matrix.csv', 'ranking.csv']) {
      t.is(readFileSync(join(dir, 'cli-queue', f), 'utf8'), readFileSync(join(dir, 'cli-local', f), 'utf8'), f);
    }
    await t.throwsAsync(tournamentCommand({ ...cli, players: ['tit-for-tat', 'titfortat'], queue: url }), { code: 'ERR_UNKNOWN_STRATEGY', message: /--players\[1\]/ });
    await t.throwsAsync(tournamentCommand({ ...cli, players: ['tit-for-tat', 'ckpt:nowhere.json'], queue: url }), { code: 'ERR_NOT_A_FILE', message: /--players\[1\]: 'nowhere.json'/ });
    // A job that fails for a reason of its own fails the tournament with its code, at once.
    await t.throwsAsync(runQueuedTournament({ ...plan([1]), players: ['tit-for-tat', 'tit-for-tot'] }, { queue: url }), { code: 'ERR_UNKNOWN_STRATEGY', message: /failed: .*tit-for-tot/ });
  } finally {
    await Promise.allSettled(workers.map((w) => w.close()));
    server.kill('SIGKILL');
  }
});

test('an address where no Redis answers fails with a coded error', async (t) => {
  const port = await freePort();
  await t.throwsAsync(runQueuedTournament(plan([1]), { queue: `redis://127.0.0.1:${port}`, connectTimeoutMs: 500 }), { code: 'ERR_BACKEND_UNAVAILABLE', message: /no Redis answered/ });
});

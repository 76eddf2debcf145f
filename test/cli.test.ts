/**
 * The `dilemma` command as a person runs it (the built dist/cli/main.js):
 * experiments with reports, Ctrl-C and --resume, tournaments, evaluation and
 * exports.
 */
import test from 'ava';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fromNpy } from '../src/npy.js';

const root = new URL('..', import.meta.url).pathname;
const cli = join(root, 'dist', 'cli', 'main.js');
const dir = mkdtempSync(join(tmpdir(), 'dilemma-cli-'));

function run(args: string[]) {
  const r = spawnSync(process.execPath, [cli, ...args], { cwd: dir, encoding: 'utf8', timeout: 300_000 });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

function experiment(name: string, iterations: number): string {
  const path = join(dir, `${name}.yaml`);
  writeFileSync(
    path,
    [
      'algorithms: [naive, advantage-alignment]',
      'seeds: 2',
      `output: ${join(dir, name)}`,
      'checkpointEvery: 5',
      'train:',
      '  game: { id: ipd }',
      '  policy: { kind: tabular }',
      `  iterations: ${iterations}`,
      '  batch: 128',
      'evaluate:',
      '  opponents: [tit-for-tat, always-defect]',
      '  batch: 256',
    ].join('\n'),
  );
  return path;
}

test.serial('info --params prints a game\'s parameter table from the native spec', (t) => {
  const r = run(['info', '--params', 'coin']);
  t.is(r.status, 0, r.out);
  t.regex(r.out, /^size\s+integer\s+3\s+2\.\.16\s+Side of a square grid/m);
  t.regex(r.out, /^stay\s+boolean\s+false\s+true \| false/m);
  const bad = run(['info', '--params', 'coni']);
  t.is(bad.status, 1);
  t.regex(bad.out, /ERR_UNKNOWN_GAME.*did you mean 'coin'/);
});

test.serial('info prints the engine status', (t) => {
  const r = run(['info', '--json']);
  t.is(r.status, 0, r.out);
  const info = JSON.parse(r.out);
  t.true(info.backends.includes('cpu'));
  t.is(typeof info.cuda.available, 'boolean');
});

test.serial('train runs an experiment file and writes tables, checkpoints and a report', (t) => {
  const r = run(['train', experiment('small', 12)]);
  t.is(r.status, 0, r.out);
  t.regex(r.out, /naive seed 1: iteration 12\/12/);
  for (const f of ['summary.csv', 'summary.json', 'report.html', 'naive-seed1/metrics.jsonl', 'advantage-alignment-seed2/checkpoint.json']) {
    t.true(existsSync(join(dir, 'small', f)), f);
  }
  t.is(readFileSync(join(dir, 'small', 'naive-seed1', 'metrics.jsonl'), 'utf8').trim().split('\n').length, 12);
  t.regex(readFileSync(join(dir, 'small', 'report.html'), 'utf8'), /<svg/);
  t.is(readFileSync(join(dir, 'small', 'summary.csv'), 'utf8').trim().split('\n').length, 5);
});

test.serial('bad experiment files name the problem', (t) => {
  const path = join(dir, 'bad.yaml');
  writeFileSync(path, 'train:\n  lr: -3\n');
  const r = run(['train', path]);
  t.is(r.status, 1);
  t.regex(r.out, /ERR_INVALID_PARAM.*config\.train\.lr/);
});

test.serial('the whole experiment is checked before anything trains: a mistyped opponent is named with a suggestion', (t) => {
  const example = join(root, 'examples', 'ipd-experiment.yaml');
  const r = run(['train', example, 'evaluate.opponents=tit-for-tatt']);
  t.is(r.status, 1, r.out);
  t.regex(r.out, /error \[ERR_UNKNOWN_STRATEGY\]: config\.evaluate\.opponents\.0: unknown player 'tit-for-tatt' \(did you mean 'tit-for-tat'\?\)/);
  t.notRegex(r.out, /iteration \d+\//, 'no iteration ran');
  t.false(existsSync(join(dir, 'runs')), 'no run folder was written');
  const key = run(['train', example, 'train.game.params.rouds=5']);
  t.regex(key.out, /ERR_INVALID_PARAM.*config\.train\.game\.params\.rouds is not a known parameter \(did you mean 'rounds'\?\)/);
  t.regex(run(['train', example, 'train.beta']).out, /ERR_INVALID_ARGUMENT.*override 'train\.beta': missing '='/);
});

test.serial('a sweep gives each combination its own runs, one summary and one report; metrics export as one CSV', (t) => {
  const out = join(dir, 'sweep');
  const r = run(['train', experiment('sweep-base', 4), 'train.beta=0.5,1', 'algorithms=advantage-alignment', 'seeds=1', `output=${out}`]);
  t.is(r.status, 0, r.out);
  t.regex(r.out, /2 runs \(2 sweep points over train\.beta\) checked/);
  for (const beta of ['0.5', '1']) {
    for (const f of ['checkpoint.json', 'metrics.jsonl']) t.true(existsSync(join(out, `train.beta=${beta}`, 'advantage-alignment-seed1', f)), `${beta} ${f}`);
  }
  const csv = readFileSync(join(out, 'summary.csv'), 'utf8').trim().split('\n');
  t.is(csv.length, 3);
  t.is(csv[0], 'train.beta,algorithm,seed,iterations,final payoff,final cooperation,self-play cooperation,loss vs always-defect');
  t.deepEqual(csv.slice(1).map((l) => l.split(',').slice(0, 4).join(',')), ['0.5,advantage-alignment,1,4', '1,advantage-alignment,1,4']);
  const checkpoint = (beta: string) => JSON.parse(JSON.parse(readFileSync(join(out, `train.beta=${beta}`, 'advantage-alignment-seed1', 'checkpoint.json'), 'utf8')).body).config;
  t.is(checkpoint('0.5').beta, 0.5);
  t.is(checkpoint('1').beta, 1);
  t.deepEqual(JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')).runs.map((x: { id: string }) => x.id), ['train.beta=0.5/advantage-alignment-seed1', 'train.beta=1/advantage-alignment-seed1']);
  // One report for the sweep: both points, the terminal's columns, provenance, the learned policies.
  const html = readFileSync(join(out, 'report.html'), 'utf8');
  const version = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version;
  t.true(html.includes(`<td>@dilemma/engine ${version}</td>`));
  t.regex(html, /<td>dilemma train \S+sweep-base\.yaml train\.beta=0\.5,1 algorithms=advantage-alignment seeds=1 output=\S+<\/td>/);
  t.true(html.includes('<th scope="col" class="num">train.beta</th>'));
  t.true(html.includes('<td>advantage-alignment train.beta=1</td>'));
  t.true(html.includes('<h2>Learned strategies</h2>'));
  t.regex(html, /<pre><code>[^<]*sweep:\n  train\.beta:\n    - 0\.5\n    - 1/);
  for (const [i, line] of r.out.split('\n').filter((l) => /^(0\.5|1) +advantage-alignment/.test(l)).entries()) t.true(html.includes(`<td class="num">${line.split(/ +/)[4]}</td>`), `row ${i}: the terminal's payoff text`);

  const table = join(dir, 'metrics.csv');
  const ex = run(['export', 'metrics', out, '--format', 'csv', '--out', table]);
  t.is(ex.status, 0, ex.out);
  const rows = readFileSync(table, 'utf8').trim().split('\n').map((l) => l.split(','));
  t.deepEqual(rows[0].slice(0, 5), ['run', 'time', 'iteration', 'meanReturn.0', 'meanReturn.1']);
  t.is(rows.length, 1 + 2 * 4);
  t.deepEqual([...new Set(rows.slice(1).map((x) => x[0]))], ['train.beta=0.5/advantage-alignment-seed1', 'train.beta=1/advantage-alignment-seed1']);
  t.deepEqual(rows.slice(1, 5).map((x) => x[2]), ['0', '1', '2', '3']);
  for (const x of rows.slice(1)) t.false(Number.isNaN(Date.parse(x[1])), `timestamp ${x[1]}`);
  const bad = run(['export', 'metrics', out, '--format', 'xlsx']);
  t.regex(bad.out, /ERR_INVALID_ARGUMENT.*--format must be csv or jsonl/);
});

test.serial('an experiment can warm-start every run from a checkpoint; a mismatched one is refused', (t) => {
  const source = join(dir, 'small', 'naive-seed1', 'checkpoint.json');
  const file = (name: string, init: string, policy: string) => {
    const path = join(dir, `${name}.yaml`);
    writeFileSync(
      path,
      ['algorithms: [advantage-alignment]', 'seeds: [5]', `output: ${join(dir, name)}`, `init: ${init}`, 'train:',
        '  game: { id: ipd }', `  policy: ${policy}`, '  iterations: 1', '  lr: 0', 'evaluate:', '  opponents: [tit-for-tat]', '  batch: 64'].join('\n'),
    );
    return path;
  };
  // One iteration at learning rate 0: the run's checkpoint holds exactly the parameters it started from.
  const r = run(['train', file('warm', source, '{ kind: tabular }')]);
  t.is(r.status, 0, r.out);
  const params = (path: string) => (JSON.parse(JSON.parse(readFileSync(path, 'utf8')).body) as { state: { params: unknown } }).state.params;
  t.deepEqual(params(join(dir, 'warm', 'advantage-alignment-seed5', 'checkpoint.json')), params(source));
  const bad = run(['train', file('warm-bad', source, '{ kind: mlp, hidden: [4] }')]);
  t.is(bad.status, 1);
  t.regex(bad.out, /config\.init: checkpoint .* holds \d+ policy parameters, but the runs' mlp policy on this game has \d+/);
  const missing = run(['train', file('warm-missing', join(dir, 'nope.json'), '{ kind: tabular }')]);
  t.is(missing.status, 1);
  t.regex(missing.out, /ERR_INVALID_CHECKPOINT.*config\.init: cannot read checkpoint/);
  const empty = join(dir, 'empty.yaml');
  writeFileSync(empty, 'train:\n  iterations: 0\n');
  t.regex(run(['train', empty]).out, /ERR_INVALID_PARAM.*config\.train\.iterations must be at least 1/);
});

test.serial('Ctrl-C writes a checkpoint and exits cleanly; --resume finishes the runs', async (t) => {
  const config = experiment('interrupted', 1500);
  const child = spawn(process.execPath, [cli, 'train', config], { cwd: dir });
  let out = '';
  await new Promise<void>((resolve) => {
    const onData = (d: Buffer) => {
      out += d.toString();
      if (/iteration \d+\/1500/.test(out)) {
        child.stderr.off('data', onData);
        child.kill('SIGINT');
        resolve();
      }
    };
    child.stderr.on('data', onData);
  });
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  t.is(code, 130, out);
  const ckpt = join(dir, 'interrupted', 'naive-seed1', 'checkpoint.json');
  t.true(existsSync(ckpt));
  // Finish with fewer iterations by resuming a copy of the config whose runs are already past them.
  const done = JSON.parse(readFileSync(ckpt, 'utf8'));
  t.truthy(done.sha256);
  const r = run(['train', experiment('interrupted', 1500), '--resume']);
  t.is(r.status, 0, r.out);
  t.true(existsSync(join(dir, 'interrupted', 'report.html')));
});

test.serial('tournament, eval and exports', (t) => {
  const ckpt = join(dir, 'small', 'advantage-alignment-seed1', 'checkpoint.json');
  const tour = run(['tournament', '--players', `tit-for-tat;always-defect;random:p=0.3;ckpt:${ckpt}`, '--repetitions', '50', '--seeds', '2', '--out', join(dir, 'tour')]);
  t.is(tour.status, 0, tour.out);
  t.regex(tour.out, /rank/);
  for (const f of ['ranking.csv', 'payoff-matrix.csv', 'tournament.json', 'report.html']) t.true(existsSync(join(dir, 'tour', f)), f);

  const ev = run(['eval', `ckpt:${ckpt}`, '--opponents', 'tit-for-tat;always-defect', '--out', join(dir, 'eval')]);
  t.is(ev.status, 0, ev.out);
  t.regex(ev.out, /exploitability/);

  const onnxPath = join(dir, 'policy.onnx');
  const ex = run(['export', 'onnx', ckpt, onnxPath]);
  t.is(ex.status, 0, ex.out);
  const ev2 = run(['eval', `onnx:${onnxPath}`, '--opponents', 'tit-for-tat', '--batch', '64']);
  t.is(ev2.status, 0, ev2.out);

  const traj = join(dir, 'traj.jsonl');
  const tr = run(['export', 'trajectories', '--players', 'tit-for-tat;random', '--batch', '7', '--out', traj]);
  t.is(tr.status, 0, tr.out);
  const lines = readFileSync(traj, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  t.is(lines.length, 7);
  t.is(lines[0].length, 10);
  // The same rollout as .npy arrays: shapes from the header, values equal to the JSON lines'.
  const npyDir = join(dir, 'traj-npy');
  const trn = run(['export', 'trajectories', '--players', 'tit-for-tat;random', '--batch', '7', '--format', 'npy', '--out', npyDir]);
  t.is(trn.status, 0, trn.out);
  const actions = fromNpy(new Uint8Array(readFileSync(join(npyDir, 'actions.npy'))));
  t.deepEqual(actions.shape, [7, 10, 2]);
  t.is(actions.dtype, '<i4');
  const acts = actions.data as Int32Array;
  for (let b = 0; b < 7; b++) {
    for (let s = 0; s < lines[b].length; s++) t.deepEqual(Array.from(acts.subarray((b * 10 + s) * 2, (b * 10 + s) * 2 + 2)), lines[b].steps[s].actions);
  }
  t.deepEqual(fromNpy(new Uint8Array(readFileSync(join(npyDir, 'observations.npy')))).shape.slice(0, 3), [7, 10, 2]);
  const badFormat = run(['export', 'trajectories', '--format', 'csv', '--out', join(dir, 'x')]);
  t.is(badFormat.status, 1);
  t.regex(badFormat.out, /--format must be jsonl or npy/);

  const bad = run(['tournament', '--players', 'tit-for-tat;nobody']);
  t.is(bad.status, 1);
  t.regex(bad.out, /ERR_UNKNOWN_STRATEGY/);
});

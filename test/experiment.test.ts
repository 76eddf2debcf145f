/**
 * Experiments before they train: overrides (Hydra's key=value), sweeps
 * expanded into run specs with stable ids and folders, whole-file checks with
 * full field paths and did-you-mean suggestions, and the edit distance
 * behind them (values worked by hand).
 */
import test from 'ava';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { closest, editDistance } from '../src/did-you-mean.js';
import { checkExperiment, expandExperiment } from '../src/cli/experiment.js';
import { parseOverride, splitTopLevel } from '../src/cli/overrides.js';

const BASE = {
  algorithms: ['naive', 'advantage-alignment'],
  seeds: 2,
  output: 'runs/x',
  train: { game: { id: 'ipd', params: { rounds: 10 } }, iterations: 3, batch: 16, beta: 0.5 },
  evaluate: { opponents: ['tit-for-tat'], batch: 16 },
};

test('edit distance: insertions, deletions, substitutions and neighbour swaps count one each', (t) => {
  t.is(editDistance('beta', 'beta'), 0);
  t.is(editDistance('btea', 'beta'), 1, 'one swap');
  t.is(editDistance('tit-for-tatt', 'tit-for-tat'), 1, 'one insertion');
  t.is(editDistance('kitten', 'sitting'), 3, 'k→s, e→i, +g');
  t.is(editDistance('', 'abc'), 3);
  t.is(editDistance('Rounds', 'rounds'), 0, 'case-insensitive');
  t.is(editDistance('ca', 'abc'), 3, 'the restricted (optimal string alignment) form: no edit of a swapped pair');
  t.is(closest('tit-for-tatt', ['always-defect', 'tit-for-tat', 'suspicious-tit-for-tat']), 'tit-for-tat');
  t.is(closest('xyz', ['beta', 'gamma']), undefined, 'nothing close');
  t.is(closest('lr', ['lr2', 'l']), 'lr2', 'ties go to the first candidate');
});

test('overrides: dotted paths, YAML values, commas outside brackets', (t) => {
  t.deepEqual(parseOverride('train.beta=0.5,1,2'), { text: 'train.beta=0.5,1,2', path: ['train', 'beta'], remove: false, pieces: ['0.5', '1', '2'] });
  t.deepEqual(parseOverride('+train.policy={kind: mlp, hidden: [4, 4]}').pieces, ['{kind: mlp, hidden: [4, 4]}']);
  t.deepEqual(parseOverride('~init'), { text: '~init', path: ['init'], remove: true, pieces: [] });
  t.deepEqual(splitTopLevel("a,'b,c',[d,e],{f: g, h: i}"), ['a', "'b,c'", '[d,e]', '{f: g, h: i}']);
  for (const [bad, why] of [['train.beta', /missing '='/], ['train..beta=1', /dotted path/], ['train.__proto__.x=1', /not a field name/], ['~init=3', /takes no value/], ['x=1,,2', /empty value/]] as const) {
    t.throws(() => parseOverride(bad), { code: 'ERR_INVALID_ARGUMENT', message: why }, bad);
  }
});

test('a sweep expands to one run per combination × algorithm × seed, with stable ids and folders', (t) => {
  const plan = expandExperiment(BASE, ['train.beta=0.5,1', 'train.lr=0.1,0.2', 'seeds=[3]', 'algorithms=advantage-alignment']);
  t.deepEqual(plan.sweepKeys, ['train.beta', 'train.lr']);
  t.deepEqual(plan.points.map((p) => p.id), ['train.beta=0.5,train.lr=0.1', 'train.beta=0.5,train.lr=0.2', 'train.beta=1,train.lr=0.1', 'train.beta=1,train.lr=0.2']);
  t.deepEqual(plan.runs.map((r) => r.id), plan.points.map((p) => `${p.id}/advantage-alignment-seed3`));
  t.deepEqual(plan.runs.map((r) => r.dir), plan.points.map((p) => `${p.id}/advantage-alignment-seed3`));
  const last = plan.runs[3];
  t.deepEqual(last.sweep, { 'train.beta': 1, 'train.lr': 0.2 });
  t.like(last.train, { beta: 1, lr: 0.2, algorithm: 'advantage-alignment', seed: 3, batch: 16, game: { id: 'ipd', params: { rounds: 10 } } });
  t.is(plan.output, 'runs/x');
  // Pure: the input is not changed, and the same input gives the same plan.
  t.is(BASE.train.beta, 0.5);
  t.deepEqual(expandExperiment(BASE, ['train.beta=0.5,1', 'train.lr=0.1,0.2', 'seeds=[3]', 'algorithms=advantage-alignment']), plan);
  // Without a sweep: the folders of an experiment without overrides, 2 algorithms × 2 seeds.
  const plain = expandExperiment(BASE, ['train.game.params.rounds=20', '~train.beta'], { output: 'elsewhere' });
  t.deepEqual(plain.runs.map((r) => r.id), ['naive-seed1', 'naive-seed2', 'advantage-alignment-seed1', 'advantage-alignment-seed2']);
  t.is(plain.output, 'elsewhere');
  t.deepEqual(plain.runs[0].train.game, { id: 'ipd', params: { rounds: 20 } });
  t.false('beta' in plain.runs[0].train);
});

test('list fields take a comma list or a single value as the list', (t) => {
  t.deepEqual(expandExperiment(BASE, ['evaluate.opponents=tit-for-tat,grim-trigger']).points[0].config.evaluate.opponents, ['tit-for-tat', 'grim-trigger']);
  t.deepEqual(expandExperiment(BASE, ['evaluate.opponents=always-defect']).points[0].config.evaluate.opponents, ['always-defect']);
  t.deepEqual(expandExperiment(BASE, ['algorithms=[naive]']).points[0].config.algorithms, ['naive']);
  const sweep = expandExperiment(BASE, ['train.policy.kind=mlp', 'train.policy.hidden=[4],[8]']);
  t.deepEqual(sweep.points.map((p) => (p.config.train.policy as { hidden: number[] }).hidden), [[4], [8]]);
});

test('errors name the field by its full path and suggest the closest name', (t) => {
  const cases: Array<[string[], RegExp]> = [
    [['train.btea=1'], /^config\.train\.btea is not a known parameter \(did you mean 'beta'\?\)$/],
    [['train.game.params.rouds=3'], /^config\.train\.game\.params\.rouds is not a known parameter \(did you mean 'rounds'\?\)$/],
    [['train.game.params.rounds=0'], /^config\.train\.game\.params\.rounds: /],
    [['algorithms=naiv'], /^config\.algorithms\.0: 'naiv' is not one of naive, advantage-alignment, sum-of-rewards \(did you mean 'naive'\?\)$/],
    [['train.policy.kind=tabulr'], /^config\.train\.policy\.kind: 'tabulr' is not one of tabular, mlp, gru \(did you mean 'tabular'\?\)$/],
    [['train.game.id=ipdd'], /^config\.train\.game\.id: 'ipdd' is not one of .* \(did you mean 'ipd'\?\)$/],
    [['evalute.batch=3'], /^config\.evalute is not a known parameter \(did you mean 'evaluate'\?\)$/],
    [['train.lr=0.1,-1'], /^config\.train\.lr: .* \[sweep train\.lr=-1\]$/],
    [['train.seed=4'], /^config\.train\.seed is set by the experiment's seeds/],
    [['train.iterations=0'], /^config\.train\.iterations must be at least 1/],
  ];
  for (const [overrides, message] of cases) t.throws(() => expandExperiment(BASE, overrides), { code: 'ERR_INVALID_PARAM', message }, overrides.join(' '));
  t.throws(() => expandExperiment(BASE, ['train.beta=1,1']), { code: 'ERR_INVALID_ARGUMENT', message: /repeated/ });
  t.throws(() => expandExperiment(BASE, ['output=a,b']), { code: 'ERR_INVALID_ARGUMENT', message: /one output folder/ });
});

test('checkExperiment resolves opponents, the warm start and the model before anything trains', (t) => {
  const facts = checkExperiment(expandExperiment(BASE, ['train.beta=0.5,1']));
  t.deepEqual([...facts.keys()], ['train.beta=0.5|naive', 'train.beta=0.5|advantage-alignment', 'train.beta=1|naive', 'train.beta=1|advantage-alignment']);
  t.like(facts.get('train.beta=1|naive'), { gameId: 'ipd', evaluated: true, numParams: 10 });
  t.throws(() => checkExperiment(expandExperiment(BASE, ['evaluate.opponents=tit-for-tatt'])), {
    code: 'ERR_UNKNOWN_STRATEGY',
    message: /^config\.evaluate\.opponents\.0: unknown player 'tit-for-tatt' \(did you mean 'tit-for-tat'\?\)/,
  });
  t.throws(() => checkExperiment(expandExperiment(BASE, ['evaluate.opponents=[tit-for-tat,greedy-splitter]'])), { code: 'ERR_UNKNOWN_STRATEGY', message: /^config\.evaluate\.opponents\.1: strategy 'greedy-splitter' does not play ipd/ });
  t.throws(() => checkExperiment(expandExperiment(BASE, ['evaluate.opponents=random:q=2'])), { message: /^config\.evaluate\.opponents\.0: player 'random:q=2'/ });
  t.throws(() => checkExperiment(expandExperiment(BASE, ['evaluate.opponents=ckpt:/nonexistent/checkpoint.json'])), { code: 'ERR_INVALID_CHECKPOINT', message: /^config\.evaluate\.opponents\.0: cannot read checkpoint/ });
  t.throws(() => checkExperiment(expandExperiment(BASE, ['init=/nonexistent/checkpoint.json'])), { code: 'ERR_INVALID_CHECKPOINT', message: /^config\.init: / });
  // Folders: the output and every run's folder must be folders; with resume, checkpoints must read.
  const root = mkdtempSync(join(tmpdir(), 'dilemma-experiment-'));
  try {
    writeFileSync(join(root, 'file'), '');
    t.throws(() => checkExperiment(expandExperiment(BASE, [`output=${join(root, 'file')}`])), { code: 'ERR_NOT_A_FILE', message: /^config\.output: .* is not a folder/ });
    writeFileSync(join(root, 'naive-seed2'), '');
    t.throws(() => checkExperiment(expandExperiment(BASE, [`output=${root}`])), { code: 'ERR_NOT_A_FILE', message: /^run naive-seed2: .* is not a folder/ });
    rmSync(join(root, 'naive-seed2'));
    mkdirSync(join(root, 'advantage-alignment-seed1'));
    writeFileSync(join(root, 'advantage-alignment-seed1', 'checkpoint.json'), '{"torn');
    t.notThrows(() => checkExperiment(expandExperiment(BASE, [`output=${root}`])), 'a fresh start replaces it');
    t.throws(() => checkExperiment(expandExperiment(BASE, [`output=${root}`]), { resume: true }), { code: 'ERR_INVALID_CHECKPOINT', message: /^run advantage-alignment-seed1: checkpoint/ });
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

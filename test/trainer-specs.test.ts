/**
 * Trainer specs: the native core declares the trainer's settings and each
 * model kind's parameters once; the TypeScript schema, the generated types
 * and the native trainer all read them. Expected values are the documented
 * ones, written by hand.
 */
import test from 'ava';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GENERATED_TRAINER_PARAMS, renderTrainerParamTypes } from '../scripts/trainer-param-types.js';
import { Game } from '../src/games.js';
import { MODEL_PARAM_SPECS, TRAINER_PARAM_SPECS } from '../src/generated/trainer-params.js';
import { parseParams } from '../src/schema.js';
import { ALGORITHMS, Trainer, trainConfigSchema } from '../src/train.js';
import { newNativeTrainer, trainerParamSpecs } from '../src/train/binding.js';

const root = new URL('..', import.meta.url).pathname;
const INVALID_PARAM = { code: 'ERR_INVALID_PARAM' };
const spec = (name: string) => TRAINER_PARAM_SPECS.find((s) => s.name === name)!;
const modelSpec = (kind: string, name: string) => MODEL_PARAM_SPECS.find((m) => m.kind === kind)!.params.find((s) => s.name === name)!;

// The native trainer without the TypeScript schema in front of it.
function nativeTrainer(config: Record<string, unknown>): void {
  const game = new Game('ipd');
  try {
    newNativeTrainer(game.handle, { policy: { kind: 'tabular', params: {} }, ...config }, undefined).dispose();
  } finally {
    game.dispose();
  }
}

test('src/generated/trainer-params.ts matches the native specs (run scripts/gen-params.ts when this fails)', (t) => {
  t.is(readFileSync(join(root, GENERATED_TRAINER_PARAMS), 'utf8'), renderTrainerParamTypes(trainerParamSpecs()));
});

test('documented defaults, ranges and choices', (t) => {
  t.like(spec('batch'), { type: 'integer', default: 512, min: 1, max: 1 << 24 });
  t.like(spec('iterations'), { type: 'integer', default: 100, min: 0, max: 1e9 });
  t.like(spec('gamma'), { type: 'number', default: 0.9, min: 0, max: 1 });
  t.like(spec('lr'), { default: 0.05, min: 0, max: 1000 });
  t.like(spec('snapshotEvery'), { type: 'integer', default: 1, min: 1, max: 2 ** 30 });
  t.like(spec('includeCurrent'), { type: 'boolean', default: false });
  t.deepEqual(spec('algorithm').choices, ['naive', 'advantage-alignment', 'sum-of-rewards']);
  t.deepEqual([...ALGORITHMS], ['naive', 'advantage-alignment', 'sum-of-rewards']);
  for (const computed of ['steps', 'groupSize', 'criticLr', 'threads', 'adamBeta1', 'adamBeta2']) t.is(spec(computed).default, undefined, computed);
  t.deepEqual(MODEL_PARAM_SPECS.map((m) => m.kind), ['tabular', 'mlp', 'gru']);
  t.like(modelSpec('tabular', 'blocks'), { type: 'integer', default: 1, min: 1, max: 65536 });
  t.like(modelSpec('mlp', 'hidden'), { type: 'integers', default: [64], min: 1, max: 65536, length: 16 });
  t.deepEqual(modelSpec('mlp', 'activation').choices, ['tanh', 'relu']);
  t.like(modelSpec('gru', 'hidden'), { type: 'integer', default: 32, min: 1, max: 65536 });
});

test('the resolved config fills the specs\' defaults and leaves computed ones absent', (t) => {
  const c = parseParams(trainConfigSchema, {}, 'config');
  t.like(c, { algorithm: 'advantage-alignment', batch: 512, iterations: 100, gamma: 0.9, lambda: 0.95, seed: 0, epochs: 1, lr: 0.05 });
  t.deepEqual(c.policy, { kind: 'tabular' });
  t.deepEqual(c.game, { id: 'ipd' });
  for (const k of ['steps', 'groupSize', 'criticLr', 'threads', 'adamBeta1', 'adamBeta2', 'critic', 'gpu']) t.false(k in c, k);
  // Key order, as checkpoints store it.
  t.deepEqual(Object.keys(c).slice(0, 6), ['game', 'algorithm', 'policy', 'baseline', 'iterations', 'batch']);
});

// Both sides read one spec: one step past either end fails in the schema and,
// sent straight to the addon, in the native trainer, naming the setting; the
// ends themselves pass the schema.
test('the schema and the native trainer enforce the same ranges', (t) => {
  for (const s of TRAINER_PARAM_SPECS) {
    if (s.type !== 'integer' && s.type !== 'number') continue;
    const step = s.type === 'integer' ? 1 : Math.max(1e-9, Math.abs(s.max!) * 1e-6);
    const below = s.type === 'integer' ? 1 : Math.max(1e-12, Math.abs(s.min!) * 1e-3);
    for (const bad of [s.max! + step, s.min! - below]) {
      t.throws(() => parseParams(trainConfigSchema, { [s.name]: bad }, 'config'), { ...INVALID_PARAM, message: new RegExp(`config\\.${s.name}`) }, `${s.name} = ${bad} (schema)`);
      t.throws(() => nativeTrainer({ [s.name]: bad }), { ...INVALID_PARAM, message: new RegExp(`config\\.${s.name} must be`) }, `${s.name} = ${bad} (native)`);
    }
    // groupSize's upper end is batch's: checked with batch at its maximum too.
    const ends = s.name === 'groupSize' ? { batch: s.max } : {};
    t.notThrows(() => parseParams(trainConfigSchema, { ...ends, [s.name]: s.min }, 'config'), `${s.name} = ${s.min}`);
    t.notThrows(() => parseParams(trainConfigSchema, { ...ends, [s.name]: s.max }, 'config'), `${s.name} = ${s.max}`);
  }
});

test('a choice outside the spec fails in the schema and natively', (t) => {
  t.throws(() => parseParams(trainConfigSchema, { objective: 'ppo2' }, 'config'), { ...INVALID_PARAM, message: /config\.objective: 'ppo2' is not one of reinforce, ppo.*did you mean 'ppo'/ });
  t.throws(() => nativeTrainer({ objective: 'ppo2' }), { ...INVALID_PARAM, message: /config\.objective 'ppo2' is unknown \(known: reinforce, ppo\)/ });
});

test('groupSize <= batch is the core\'s rule, reported by the schema and the trainer alike', (t) => {
  const message = /config\.groupSize: groupSize must not exceed batch \(8\), got 9/;
  t.throws(() => parseParams(trainConfigSchema, { batch: 8, groupSize: 9 }, 'config'), { ...INVALID_PARAM, message });
  t.throws(() => Trainer.create({ batch: 8, groupSize: 9 }), { ...INVALID_PARAM, message });
  t.throws(() => nativeTrainer({ batch: 8, groupSize: 9 }), { ...INVALID_PARAM, message: /^config\.groupSize must not exceed batch \(8\), got 9$/ });
  // Within a larger config (an experiment's train section) the path is the full one.
  t.throws(() => parseParams(trainConfigSchema, { batch: 4, groupSize: 5 }, 'config.train'), { ...INVALID_PARAM, message: /^config\.train\.groupSize: / });
  t.notThrows(() => Trainer.create({ batch: 8, groupSize: 8 }).dispose());
});

test('drift fixed: the TypeScript and native ranges were different', (t) => {
  // snapshotEvery: TypeScript allowed any integer, the addon at most 2^30.
  t.throws(() => Trainer.create({ snapshotEvery: 2 ** 30 + 1 }), { ...INVALID_PARAM, message: /config\.snapshotEvery/ });
  // iterations: the addon allowed up to 2^40, TypeScript 1e9.
  t.throws(() => nativeTrainer({ iterations: 1e9 + 1 }), { ...INVALID_PARAM, message: /config\.iterations/ });
  // Model kinds: the core allowed 32 MLP layers, TypeScript 16; TypeScript
  // allowed 16 tabular blocks, the core (and modelLayout) any that divide obsDim.
  const game = new Game('ipd', { history: 4 });
  try {
    t.throws(() => newNativeTrainer(game.handle, { policy: { kind: 'mlp', params: { hidden: new Array(17).fill(2) } } }, undefined), { ...INVALID_PARAM, message: /params\.hidden must be an array of at most 16 integers/ });
  } finally {
    game.dispose();
  }
  t.throws(() => Trainer.create({ policy: { kind: 'mlp', hidden: new Array(17).fill(2) } }), { ...INVALID_PARAM, message: /config\.policy\.hidden/ });
  const wide = Trainer.create({ game: { id: 'matrix', params: { history: 8 } }, policy: { kind: 'tabular', blocks: 20 }, batch: 2, iterations: 1 });
  t.is(wide.numParams, 2 ** 20 * 2);
  wide.dispose();
  t.throws(() => Trainer.create({ policy: { kind: 'tabular', blocks: 3 } }), { ...INVALID_PARAM, message: /config\.policy\.params\.blocks must divide obs_dim \(5\), got 3/ });
  // adamBeta1/2: the addon read them, the TypeScript schema refused them.
  const trainer = Trainer.create({ adamBeta1: 0.5, adamBeta2: 0.9, batch: 4, iterations: 1 });
  t.is(trainer.config.adamBeta1, 0.5);
  trainer.dispose();
  t.throws(() => Trainer.create({ adamBeta1: 1 }), { ...INVALID_PARAM, message: /config\.adamBeta1/ });
});

test('the config schema writes no number of its own', (t) => {
  // Every range, default and length comes from the generated specs: the
  // schema's source (comments aside) holds no numeric literal.
  const code = readFileSync(join(root, 'src/train/config.ts'), 'utf8')
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/\/\/.*$/gm, '');
  t.deepEqual(code.match(/(?<![\w.])\d+(\.\d+)?(e[+-]?\d+)?(?![\w])/g) ?? [], []);
  t.notRegex(code, /\.(min|max|length|default)\(\s*[-\d]/);
});

test('iteration is read without the state, and agrees with it', async (t) => {
  const trainer = Trainer.create({ batch: 8, iterations: 3, bufferSize: 2, bufferProbability: 0.5 });
  try {
    t.is(trainer.iteration, 0);
    await trainer.step();
    await trainer.step();
    t.is(trainer.iteration, 2);
    t.is(trainer.state().iteration, 2);
    t.is(trainer.state().buffer.length, 2);
  } finally {
    trainer.dispose();
  }
  t.throws(() => trainer.iteration, { code: 'ERR_DISPOSED' });
});

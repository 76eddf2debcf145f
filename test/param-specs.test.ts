/**
 * Parameter specs: the native core declares each game's and strategy's
 * parameters once; the schemas, the generated types, the text layer and the
 * constructors' own checks all read them. Expected values here are the
 * documented ones, written by hand.
 */
import test from 'ava';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GENERATED_GAME_PARAMS, GENERATED_PARAMS, renderGameParamTypes, renderParamTypes } from '../scripts/param-types.js';
import { gameParamSpecs, gameParamsSchema, GAME_IDS, makeGame } from '../src/games.js';
import { native } from '../src/native.js';
import { scripted, strategyParamSpecs, STRATEGIES } from '../src/policies.js';
import { specsSchema } from '../src/schema.js';
import { resolveTextParams } from '../src/text/params.js';

const root = new URL('..', import.meta.url).pathname;
const INVALID_PARAM = { code: 'ERR_INVALID_PARAM' };

test('src/generated/params.ts and game-params.ts match the native specs (run scripts/gen-params.ts when this fails)', (t) => {
  const expected = renderParamTypes(native().gameSpecs(), native().strategySpecs());
  t.is(readFileSync(join(root, GENERATED_PARAMS), 'utf8'), expected);
  t.is(readFileSync(join(root, GENERATED_GAME_PARAMS), 'utf8'), renderGameParamTypes(native().gameSpecs()));
});

test('the specs list every registered game and strategy in registry order', (t) => {
  t.deepEqual(native().gameSpecs().map((g) => g.id), [...GAME_IDS]);
  t.deepEqual(native().strategySpecs().map((s) => s.name), [...STRATEGIES]);
});

test('documented ranges and defaults', (t) => {
  const pick = (id: string, name: string) => gameParamSpecs(id)!.find((s) => s.name === name)!;
  t.like(pick('ipd', 'rounds'), { type: 'integer', default: 10, min: 1, max: 1048576 });
  t.like(pick('ipd', 'history'), { type: 'integer', default: 1, min: 1, max: 8 });
  t.like(pick('coin', 'rounds'), { default: 16 });
  t.like(pick('coin', 'stay'), { type: 'boolean', default: false });
  t.like(pick('trust-and-split', 'coins'), { type: 'integer', default: 10, min: 1, max: 1000 });
  t.like(pick('trust-and-split', 'messages'), { type: 'tokens', default: 'default', length: 64 });
  t.deepEqual(pick('matrix', 'preset').choices, ['prisoners-dilemma', 'stag-hunt', 'chicken', 'battle-of-the-sexes', 'matching-pennies']);
  t.like(pick('matrix', 'payoffs'), { type: 'numbers', length: 8, default: undefined });
  t.deepEqual(gameParamSpecs('ipd')!.map((s) => s.name), ['rounds', 'continuation', 'noise', 'history']);
  t.like(strategyParamSpecs('zd-extortion')![1], { name: 'phi', default: 0.5, min: 1e-6, max: 1 });
  t.is(strategyParamSpecs('random')![0].default, 0.5);
  t.deepEqual(strategyParamSpecs('tit-for-tat'), []);
  t.is(gameParamSpecs('nope'), undefined);
});

// Both checks read one spec: a value one step outside the range fails in
// TypeScript and, sent straight to the addon, in the constructor; the range's
// ends pass the schema.
test('the schema and the native constructor enforce the same ranges', (t) => {
  for (const id of GAME_IDS) {
    const specs = gameParamSpecs(id)!;
    const plain = specsSchema(specs);
    for (const s of specs) {
      if (s.type !== 'integer' && s.type !== 'number') continue;
      const step = s.type === 'integer' ? 1 : Math.max(1e-9, Math.abs(s.max!) * 1e-6);
      for (const bad of [s.max! + step, s.min! - (s.type === 'integer' ? 1 : Math.max(1e-12, Math.abs(s.min!) * 1e-3))]) {
        t.false(plain.safeParse({ [s.name]: bad }).success, `${id}.${s.name} = ${bad} (schema)`);
        const e = t.throws(() => new (native().Game)(id, { [s.name]: bad }), undefined, `${id}.${s.name} = ${bad} (native)`);
        t.regex(e?.message ?? '', new RegExp(`params\\.${s.name} must be`), `${id}.${s.name}`);
        t.throws(() => makeGame(id, { [s.name]: bad } as never), { ...INVALID_PARAM, message: new RegExp(`params\\.${s.name}`) });
      }
      t.true(plain.safeParse({ [s.name]: s.min }).success && plain.safeParse({ [s.name]: s.max }).success, `${id}.${s.name} ends`);
    }
  }
});

test('a choice outside the spec fails natively and in TypeScript with the choices named', (t) => {
  t.throws(() => new (native().Game)('matrix', { preset: 'stag-hunts' }), { message: /params\.preset 'stag-hunts' is unknown \(known: prisoners-dilemma, stag-hunt/ });
  t.throws(() => makeGame('matrix', { preset: 'stag-hunts' as never }), { ...INVALID_PARAM, message: /did you mean 'stag-hunt'/ });
});

test('strategy schemas come from the specs', (t) => {
  t.throws(() => scripted('random', { p: 1.5 }), { ...INVALID_PARAM, message: /params\.p/ });
  t.throws(() => scripted('zd-extortion', { phi: 0 }), { ...INVALID_PARAM, message: /params\.phi/ });
  t.throws(() => scripted('tit-for-tat', { p: 0.5 } as never), { ...INVALID_PARAM, message: /params\.p is not a known parameter/ });
  t.notThrows(() => scripted('generous-tit-for-tat', { forgiveness: 1 }).dispose());
});

test('schemas are built once per game', (t) => {
  t.is(gameParamsSchema('coin'), gameParamsSchema('coin'));
});

test('text-mode coins follow the game: up to 1000', (t) => {
  t.is(resolveTextParams({ coins: 1000 }).coins, 1000);
  t.throws(() => resolveTextParams({ coins: 1001 }), { message: /params\.coins/ });
  t.throws(() => resolveTextParams({ coins: 1_000_000 }), { message: /params\.coins/ });
});

test('whiten refuses eps = 0 in the addon, as in TypeScript and the core', (t) => {
  const x = new Float32Array([1, 2, 3, 4]);
  const options = { x, out: new Float32Array(4), batch: 2, steps: 2, perStep: false };
  t.throws(() => native().credit.whiten({ ...options, eps: 0 }), { message: /eps must be a finite number > 0/ });
  t.notThrows(() => native().credit.whiten({ ...options, eps: 1e-8 }));
});

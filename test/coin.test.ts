/**
 * The Coin Game through the public API: shapes, observations from each side,
 * a scripted walk onto the coin with the rewards the rules give, parameter
 * errors, and common random numbers.
 */
import test from 'ava';
import { ErrorCode, Game, makeEnv, rollout, scripted, type Env } from '../src/index.js';

const UP = 0;
const DOWN = 1;
const LEFT = 2;
const RIGHT = 3;
const STAY = 4;

interface View {
  own: number;
  other: number;
  /** Cell of the coin and whether it has the viewing agent's colour. */
  coin: number;
  mine: boolean;
}

// Decodes one agent's observation: four one-hot channels of `cells` floats.
function view(obs: Float32Array, offset: number, cells: number): View {
  const at = (channel: number) => {
    const hot: number[] = [];
    for (let c = 0; c < cells; c++) if (obs[offset + channel * cells + c] === 1) hot.push(c);
    return hot;
  };
  const [own, other, mine, theirs] = [at(0), at(1), at(2), at(3)];
  if (own.length !== 1 || other.length !== 1 || mine.length + theirs.length !== 1) {
    throw new Error(`malformed observation: ${JSON.stringify({ own, other, mine, theirs })}`);
  }
  return { own: own[0], other: other[0], coin: mine.length ? mine[0] : theirs[0], mine: mine.length === 1 };
}

// One move along the shorter way round the torus (width w, height h), or stay.
function towards(from: number, to: number, w: number, h: number): number {
  const dx = (to % w) - (from % w);
  const dy = Math.floor(to / w) - Math.floor(from / w);
  if (dx !== 0) return (dx + w) % w <= w / 2 ? RIGHT : LEFT;
  if (dy !== 0) return (dy + h) % h <= h / 2 ? DOWN : UP;
  return STAY;
}

function views(env: Env, obs: Float32Array, cells: number): View[][] {
  return Array.from({ length: env.batch }, (_, b) =>
    [0, 1].map((a) => view(obs, (b * 2 + a) * env.info.obsDim, cells)),
  );
}

test('coin: shapes, and each agent sees itself, the other and the coin from its own side', (t) => {
  const env = makeEnv('coin', {}, { batch: 32, seed: 1 });
  t.like(env.info, { id: 'coin', agents: 2, obsDim: 36, actions: 4, maxSteps: 16, twoAction: false });
  const obs = env.reset();
  t.is(obs.length, 32 * 2 * 36);
  for (const [red, blue] of views(env, obs, 9)) {
    t.is(red.own, blue.other);
    t.is(red.other, blue.own);
    t.is(red.coin, blue.coin);
    t.not(red.mine, blue.mine, 'the coin is one agent colour');
    t.true(red.own !== red.other && red.coin !== red.own && red.coin !== red.other, 'distinct start cells');
  }
  const wide = makeEnv('coin', { width: 5, height: 3, stay: true, rounds: 32 }, { batch: 2 });
  t.like(wide.info, { obsDim: 60, actions: 5, maxSteps: 32 });
  env.dispose();
  wide.dispose();
});

test('coin: walking red onto the coin pays +1, and costs blue 2 when the coin is blue', (t) => {
  const [w, h] = [4, 3];
  const batch = 64;
  const env = makeEnv('coin', { width: w, height: h, stay: true, rounds: 8 }, { batch, seed: 5 });
  let obs = env.reset();
  const start = views(env, obs, w * h).map(([red]) => red);
  const picked = new Array<boolean>(batch).fill(false);
  // At most 2 + 1 moves reach any cell of a 4 x 3 torus.
  for (let step = 0; step < 3; step++) {
    const actions = new Int32Array(batch * 2).fill(STAY);
    for (let b = 0; b < batch; b++) {
      if (!picked[b]) actions[b * 2] = towards(views(env, obs, w * h)[b][0].own, start[b].coin, w, h);
    }
    const s = env.step(actions);
    obs = s.observations;
    const now = views(env, obs, w * h);
    for (let b = 0; b < batch; b++) {
      const [r0, r1] = [s.rewards[b * 2], s.rewards[b * 2 + 1]];
      if (picked[b] || actions[b * 2] === STAY) {
        t.deepEqual([r0, r1], [0, 0]);
        continue;
      }
      const red = now[b][0];
      if (red.own !== start[b].coin) {
        t.deepEqual([r0, r1], [0, 0], 'no reward on the way');
        continue;
      }
      picked[b] = true;
      t.deepEqual([r0, r1], start[b].mine ? [1, 0] : [1, -2]);
      t.true(red.coin !== red.own && red.coin !== red.other, 'the next coin is on a free cell');
    }
  }
  t.true(picked.every(Boolean), 'every walk reached its coin within three moves');
  const returns = env.returns();
  const blueCoins = start.filter((v) => !v.mine).length;
  t.true(blueCoins > 0 && blueCoins < batch, 'both colours occur');
  let blueSum = 0;
  for (let b = 0; b < batch; b++) blueSum += returns[b * 2 + 1];
  t.is(blueSum, -2 * blueCoins);
  env.dispose();
});

test('coin: both agents landing on the coin each get +1 and the owner pays for the other', (t) => {
  // On a 2 x 2 torus, from any start both agents reach the coin in at most two moves each.
  const env = makeEnv('coin', { size: 2, stay: true, rounds: 4 }, { batch: 128, seed: 2 });
  const obs = env.reset();
  const start = views(env, obs, 4);
  // Everyone first walks to the coin's row/column so that both arrive on the same step.
  let seen = 0;
  const actions = new Int32Array(128 * 2);
  for (let b = 0; b < 128; b++) {
    const [red, blue] = start[b];
    const d = (v: View) => (v.own % 2 !== v.coin % 2 ? 1 : 0) + (Math.floor(v.own / 2) !== Math.floor(v.coin / 2) ? 1 : 0);
    if (d(red) !== 1 || d(blue) !== 1) {
      actions[b * 2] = actions[b * 2 + 1] = STAY;
      continue;
    }
    actions[b * 2] = towards(red.own, red.coin, 2, 2);
    actions[b * 2 + 1] = towards(blue.own, blue.coin, 2, 2);
  }
  const s = env.step(actions);
  for (let b = 0; b < 128; b++) {
    if (actions[b * 2] === STAY) continue;
    seen++;
    // The owner: +1 for its own pick, -2 for the other's; the other: +1.
    const redOwns = start[b][0].mine;
    t.deepEqual([s.rewards[b * 2], s.rewards[b * 2 + 1]], redOwns ? [-1, 1] : [1, -1]);
  }
  t.true(seen > 0);
  env.dispose();
});

test('coin: reward and penalty are parameters', (t) => {
  const env = makeEnv('coin', { size: 2, reward: 3, penalty: 0.5 }, { batch: 256, seed: 3 });
  env.reset();
  const actions = new Int32Array(512).map((_, i) => i % 4);
  const seen = new Set<string>();
  for (let k = 0; k < 4; k++) {
    const r = env.step(actions).rewards;
    for (let b = 0; b < 256; b++) seen.add(`${r[b * 2]},${r[b * 2 + 1]}`);
  }
  for (const pair of seen) {
    const [a, b] = pair.split(',').map(Number);
    for (const x of [a, b]) t.true([0, 3, -0.5, 2.5].includes(x), pair);
  }
  t.true(seen.has('3,0') || seen.has('0,3'));
  t.true(seen.has('3,-0.5') || seen.has('-0.5,3'));
  env.dispose();
});

test('coin: equal streams see the same coins; the same seed replays', (t) => {
  const streams = new Uint32Array([4, 4, 8, 8]);
  const run = (seed: number) => {
    const env = makeEnv('coin', { size: 3, rounds: 40 }, { batch: 4, seed, streams });
    const out: number[] = [...env.reset()];
    for (let s = 0; s < 40; s++) {
      const a = new Int32Array(8);
      for (let b = 0; b < 4; b++) a.set([(s + (b >> 1)) % 4, (3 * s + 1) % 4], b * 2);
      out.push(...env.step(a).observations);
    }
    env.dispose();
    return out;
  };
  const a = run(11);
  t.deepEqual(a, run(11));
  t.notDeepEqual(a, run(12));
  const per = 2 * 36;
  for (let k = 0; k < a.length; k += 4 * per) {
    t.deepEqual(a.slice(k, k + per), a.slice(k + per, k + 2 * per));
    t.deepEqual(a.slice(k + 2 * per, k + 3 * per), a.slice(k + 3 * per, k + 4 * per));
  }
});

test('coin: parameters are checked and named; stay stays a boolean', (t) => {
  const bad: Array<[Record<string, unknown>, RegExp]> = [
    [{ size: 1 }, /params\.size/],
    [{ size: 17 }, /params\.size/],
    [{ width: 2.5 }, /params\.width/],
    [{ size: 4, height: 3 }, /size and width\/height are exclusive/],
    [{ rounds: 0 }, /params\.rounds/],
    [{ stay: 1 }, /params\.stay/],
    [{ penalty: Number.NaN }, /params\.penalty/],
    [{ grid: 3 }, /params\.grid is not a known parameter/],
  ];
  for (const [params, message] of bad) {
    const err = t.throws(() => new Game('coin', params), { message });
    t.is((err as { code?: string }).code, ErrorCode.InvalidParam);
  }
  const g = new Game('coin', { stay: true, width: 6, height: 2 });
  t.deepEqual(g.params, { stay: true, width: 6, height: 2 });
  t.is(new Game('coin', g.params).info.actions, 5);
  t.is(new Game('coin', { stay: false }).info.actions, 4);
  const env = makeEnv(g, undefined, { batch: 1 });
  env.reset();
  t.throws(() => env.step([5, 0]), { code: ErrorCode.InvalidArgument });
  env.dispose();
  g.dispose();
});

test('coin: scripted two-action strategies do not apply', async (t) => {
  await t.throwsAsync(rollout({ game: 'coin', policies: [scripted('tit-for-tat'), 'always-defect'], batch: 2 }), {
    code: ErrorCode.Unsupported,
  });
});

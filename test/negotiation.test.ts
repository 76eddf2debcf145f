/**
 * The splitting games through the public API: trust-and-split, split and
 * negotiation. Scripted players read what they need from the observations;
 * the rewards they earn are worked out from the rules by hand. Learned
 * (all-zero, so uniform) policies show that rollouts respect the legal-action
 * masks and report the games' statistics.
 */
import test from 'ava';
import { ErrorCode, Game, makeEnv, modelLayout, modelPolicy, rollout, type Env } from '../src/index.js';

// trust-and-split, default vocabulary: claims of rock, paper, scissors at 0..2,
// take-0/2/5/8/10 at 3..7, none at 8; proposal x at 9 + x; wait at 20.
const CLAIM = [0, 1, 2];
const NONE = 8;
const PROPOSE = (x: number) => 9 + x;
const WAIT = 20;
const TAS = {
  obsDim: 43, message: 7, lastHand: 17, lastMessage: 21, lastProposal: 31, lastReward: 33, round: 35, relation: 36, lastTruth: 40,
};

const beats = (a: number, b: number) => (a - b + 3) % 3 === 1;

interface TasView {
  hand: number;
  phase: number;
  first: boolean;
  /** The other's message this round (token index), or -1 for nothing yet. */
  heard: number;
  lastOtherHand: number;
  lastOtherMessage: number;
  lastOwn: number;
  lastOther: number;
  round: number;
  /** The other's claim this round against own hand: 0 beats me, 1 I beat it, 2 names my hand, 3 none. */
  relation: number;
  /** The other's claim last round against its revealed hand: 0 true, 1 false, 2 none. */
  lastTruth: number;
}

function hot(obs: Float32Array, offset: number, width: number): number {
  const at: number[] = [];
  for (let i = 0; i < width; i++) if (obs[offset + i] === 1) at.push(i);
  if (at.length !== 1) throw new Error(`expected one-hot at ${offset}, got ${JSON.stringify(at)}`);
  return at[0];
}

function tasView(obs: Float32Array, row: number, tokens = 9): TasView {
  const o = row * TAS.obsDim;
  const heard = hot(obs, o + TAS.message, tokens + 1);
  const lastHand = hot(obs, o + TAS.lastHand, 4);
  const lastMessage = hot(obs, o + TAS.lastMessage, tokens + 1);
  return {
    hand: hot(obs, o, 3),
    phase: hot(obs, o + 3, 3),
    first: obs[o + 6] === 1,
    heard: heard === tokens ? -1 : heard,
    lastOtherHand: lastHand === 3 ? -1 : lastHand,
    lastOtherMessage: lastMessage === tokens ? -1 : lastMessage,
    lastOwn: obs[o + TAS.lastProposal],
    lastOther: obs[o + TAS.lastProposal + 1],
    round: obs[o + TAS.round],
    relation: hot(obs, o + TAS.relation, 4),
    lastTruth: hot(obs, o + TAS.lastTruth, 3),
  };
}

test('trust-and-split: shapes and layouts', (t) => {
  const env = makeEnv('trust-and-split', {}, { batch: 4, seed: 1 });
  t.like(env.info, { id: 'trust-and-split', agents: 2, obsDim: 43, actions: 21, maxSteps: 30, twoAction: false });
  const custom = new Game('trust-and-split', { coins: 4, messages: ['take-4', 'claim-paper', 'none'], rounds: 5 });
  t.like(custom.info, { obsDim: 2 * 3 + 25, actions: 3 + 5 + 1, maxSteps: 15 });
  // The same list as one string, and presets.
  t.is(new Game('trust-and-split', { coins: 4, messages: 'take-4, claim-paper none' }).info.actions, 9);
  t.is(new Game('trust-and-split', { messages: 'claims' }).info.actions, 4 + 11 + 1);
  t.is(new Game('trust-and-split', { messages: 'silent' }).info.obsDim, 27);
  // Parameters round-trip.
  t.is(new Game('trust-and-split', custom.params).info.actions, 9);
  env.dispose();
});

test('trust-and-split: honest claimers hand every coin to the winner; hands and proposals are revealed next round', (t) => {
  const batch = 32;
  const env = makeEnv('trust-and-split', {}, { batch, seed: 3 });
  let obs = env.reset();
  const prevHands: number[][] = [];
  const totals = new Float64Array(batch * 2);
  for (let step = 0; step < 30; step++) {
    const round = Math.floor(step / 3);
    const actions = new Int32Array(batch * 2);
    const hands: number[][] = [];
    for (let b = 0; b < batch; b++) {
      const v = [tasView(obs, b * 2), tasView(obs, b * 2 + 1)];
      hands.push([v[0].hand, v[1].hand]);
      t.not(v[0].hand, v[1].hand, 'hands differ');
      t.is(v[0].phase, step % 3);
      t.is(v[0].first, round % 2 === 0, 'agent 0 speaks first in even rounds');
      t.is(v[1].first, round % 2 === 1);
      t.is(v[0].round, Math.fround(round / 10));
      if (step % 3 === 0 && round > 0) {
        // The reveal: the other's last hand, message (an honest claim) and proposal.
        const [h0, h1] = prevHands[b];
        t.is(v[0].lastOtherHand, h1);
        t.is(v[1].lastOtherHand, h0);
        t.is(v[0].lastOtherMessage, CLAIM[h1]);
        t.is(v[1].lastOtherMessage, CLAIM[h0]);
        t.deepEqual([v[0].lastOwn, v[0].lastOther], beats(h0, h1) ? [1, 0] : [0, 1]);
      }
      if (step === 0) t.is(v[0].lastOtherHand, -1);
      for (let a = 0; a < 2; a++) {
        const speaker = step % 3 === 2 ? -1 : (step % 3 === 0) === v[a].first ? a : 1 - a;
        if (speaker === a) {
          // The second speaker has heard the first; the first has heard nothing yet.
          t.is(v[a].heard === -1, step % 3 === 0);
          actions[b * 2 + a] = CLAIM[v[a].hand];
        } else if (speaker === 1 - a) {
          actions[b * 2 + a] = WAIT;
        } else {
          t.is(v[a].heard, CLAIM[v[1 - a].hand], 'both messages are heard by the proposal step');
          actions[b * 2 + a] = PROPOSE(beats(v[a].hand, v[a].heard) ? 10 : 0);
        }
      }
    }
    const s = env.step(actions);
    for (let b = 0; b < batch; b++) {
      const [h0, h1] = hands[b];
      const want = step % 3 === 2 ? (beats(h0, h1) ? [100, 0] : [0, 100]) : [0, 0];
      t.deepEqual([s.rewards[b * 2], s.rewards[b * 2 + 1]], want);
      totals[b * 2] += s.rewards[b * 2];
      totals[b * 2 + 1] += s.rewards[b * 2 + 1];
    }
    if (step % 3 === 2) prevHands.splice(0, batch, ...hands);
    obs = s.observations;
    t.deepEqual([...s.dones], new Array(batch).fill(step === 29 ? 1 : 0));
  }
  for (let b = 0; b < batch; b++) t.is(totals[b * 2] + totals[b * 2 + 1], 1000);
  t.deepEqual([...env.returns()], [...totals].map(Math.fround));
  env.dispose();
});

test('trust-and-split: over-claims are scaled proportionally (values 10 and 1)', (t) => {
  const batch = 32;
  // Proposals (x0, x1) and the rewards worked out by hand when agent 0 wins
  // the hands and when agent 1 does: q_i = 10 x_i / max(10, x0 + x1) coins.
  const cases: Array<[number, number, [number, number], [number, number]]> = [
    [6, 6, [50, 5], [5, 50]],
    [10, 10, [50, 5], [5, 50]],
    [3, 7, [30, 7], [3, 70]],
    [8, 4, [200 / 3, 10 / 3], [20 / 3, 100 / 3]],
  ];
  for (const [x0, x1, win0, win1] of cases) {
    const env = makeEnv('trust-and-split', { rounds: 1, messages: 'silent' }, { batch, seed: 9 });
    const obs = env.reset();
    // Silent: one token (none at 0), proposals x at 1 + x, wait at 12; 27 observation values.
    const O = env.info.obsDim;
    t.is(O, 27);
    env.step(Int32Array.from({ length: batch * 2 }, (_, i) => (i % 2 === 0 ? 0 : 12)));
    env.step(Int32Array.from({ length: batch * 2 }, (_, i) => (i % 2 === 1 ? 0 : 12)));
    const s = env.step(Int32Array.from({ length: batch * 2 }, (_, i) => 1 + (i % 2 === 0 ? x0 : x1)));
    const winners = new Set<number>();
    for (let b = 0; b < batch; b++) {
      const zeroWins = beats(hot(obs, b * 2 * O, 3), hot(obs, (b * 2 + 1) * O, 3));
      winners.add(zeroWins ? 0 : 1);
      const [r0, r1] = zeroWins ? win0 : win1;
      t.true(Math.abs(s.rewards[b * 2] - r0) < 1e-4, `${x0}, ${x1}`);
      t.true(Math.abs(s.rewards[b * 2 + 1] - r1) < 1e-4, `${x0}, ${x1}`);
    }
    t.is(winners.size, 2, 'both agents win some hands');
    t.deepEqual([...s.dones], new Array(batch).fill(1));
    env.dispose();
  }
});

test('trust-and-split: rollouts respect the legal-action masks and report statistics', async (t) => {
  const game = new Game('trust-and-split', {});
  const layout = modelLayout('mlp', { obsDim: game.info.obsDim, actions: game.info.actions, hidden: [] });
  const uniform = modelPolicy({ kind: 'mlp', hidden: [] }, game.info, new Float32Array(layout.numParams));
  const batch = 256;
  const tr = await rollout({ game, policies: [uniform, uniform], batch, seed: 5 });
  t.is(tr.steps, 30);
  for (let b = 0; b < batch; b++) {
    for (let step = 0; step < 30; step++) {
      const round = Math.floor(step / 3);
      const first = round % 2;
      for (let a = 0; a < 2; a++) {
        const act = tr.actions[(b * 30 + step) * 2 + a];
        if (step % 3 === 2) t.true(act >= 9 && act <= 19);
        else if ((step % 3 === 0 ? first : 1 - first) === a) t.true(act >= 0 && act <= 8);
        else t.is(act, WAIT);
      }
    }
  }
  t.deepEqual(tr.statNames, [
    'claims_true_0',
    'claims_true_1',
    'claims_0',
    'claims_1',
    'welfare',
    'max_welfare',
    'agreements',
    'rounds_played',
  ]);
  let claims = 0;
  let honest = 0;
  for (let b = 0; b < batch; b++) {
    const st = tr.stats.subarray(b * 8, b * 8 + 8);
    t.true(st[0] <= st[2] && st[1] <= st[3]);
    t.true(st[2] <= 10 && st[3] <= 10);
    claims += st[2] + st[3];
    honest += st[0] + st[1];
    t.is(st[5], 100 * 10 * 10 * 10, 'max welfare: 10 rounds of 10 coins at value 10');
    t.true(st[4] <= st[5]);
    let sum = 0;
    for (let i = b * 60; i < (b + 1) * 60; i++) sum += tr.rewards[i];
    t.true(Math.abs(st[4] - 100 * sum) <= 10 * 0.5 + 1e-2 * Math.abs(sum));
    t.true(st[6] >= 0 && st[6] <= 10);
    t.is(st[7], 10);
  }
  // Uniform messages: 3 of 9 tokens are claims, one in three of them true.
  t.true(Math.abs(claims / (batch * 20) - 1 / 3) < 0.05);
  t.true(Math.abs(honest / claims - 1 / 3) < 0.06);
  uniform.dispose();
  game.dispose();
});

test('trust-and-split: claim relations and caught lies in the observations follow the heard tokens and revealed hands', async (t) => {
  // Default vocabulary: tokens 0..2 claim rock, paper, scissors; the rest are no claims.
  const game = new Game('trust-and-split', {});
  const layout = modelLayout('mlp', { obsDim: game.info.obsDim, actions: game.info.actions, hidden: [] });
  const uniform = modelPolicy({ kind: 'mlp', hidden: [] }, game.info, new Float32Array(layout.numParams));
  const tr = await rollout({ game, policies: [uniform, uniform], batch: 64, seed: 9 });
  const seen = { relation: new Set<number>(), lastTruth: new Set<number>() };
  for (let row = 0; row < 64 * 30 * 2; row++) {
    const v = tasView(tr.observations, row);
    const claimed = v.heard >= 0 && v.heard < 3 ? v.heard : -1;
    const relation = claimed < 0 ? 3 : beats(claimed, v.hand) ? 0 : beats(v.hand, claimed) ? 1 : 2;
    const lastClaim = v.lastOtherMessage >= 0 && v.lastOtherMessage < 3 ? v.lastOtherMessage : -1;
    const lastTruth = v.lastOtherHand < 0 || lastClaim < 0 ? 2 : lastClaim === v.lastOtherHand ? 0 : 1;
    t.is(v.relation, relation, `row ${row}`);
    t.is(v.lastTruth, lastTruth, `row ${row}`);
    seen.relation.add(relation);
    seen.lastTruth.add(lastTruth);
  }
  t.is(seen.relation.size, 4, 'every relation occurs');
  t.is(seen.lastTruth.size, 3, 'true, false and no claims occur');
  uniform.dispose();
  game.dispose();
});

test('trust-and-split: rollouts of one group see the same hands (common random numbers)', async (t) => {
  const game = new Game('trust-and-split', { rounds: 6 });
  const layout = modelLayout('mlp', { obsDim: game.info.obsDim, actions: game.info.actions, hidden: [] });
  const uniform = modelPolicy({ kind: 'mlp', hidden: [] }, game.info, new Float32Array(layout.numParams));
  const tr = await rollout({ game, policies: [uniform, uniform], batch: 16, seed: 2, groups: { size: 4 } });
  const T = tr.steps;
  const handAt = (b: number, step: number, a: number) => hot(tr.observations, ((b * T + step) * 2 + a) * tr.obsDim, 3);
  let differ = false;
  let actionsDiffer = false;
  for (let b = 0; b < 16; b++) {
    const lead = b - (b % 4);
    for (let step = 0; step < T; step += 3) {
      for (let a = 0; a < 2; a++) t.is(handAt(b, step, a), handAt(lead, step, a));
      if (b >= 4) differ ||= handAt(b, step, 0) !== handAt(b % 4, step, 0);
      actionsDiffer ||= tr.actions[(b * T + step) * 2 + (step / 3) % 2] !== tr.actions[(lead * T + step) * 2 + (step / 3) % 2];
    }
  }
  t.true(differ, 'groups differ');
  t.true(actionsDiffer, 'the group shares hands, not actions');
  uniform.dispose();
  game.dispose();
});

test('trust-and-split: parameters are checked and named', (t) => {
  const bad: Array<[Record<string, unknown>, RegExp]> = [
    [{ rounds: 0 }, /params\.rounds/],
    [{ coins: 0 }, /params\.coins/],
    [{ coins: 1001 }, /params\.coins/],
    [{ highValue: -1 }, /params\.highValue/],
    [{ lowValue: 11 }, /params\.lowValue: lowValue must not exceed highValue/],
    [{ messages: ['claim-rock', 'claim-lizard'] }, /params\.messages\.1: 'claim-lizard' is not a token/],
    [{ messages: ['take-11'] }, /params\.messages\.0: 'take-11' takes more than the 10 coins/],
    [{ messages: ['take-5'], coins: 4 }, /takes more than the 4 coins/],
    [{ messages: ['none', 'none'] }, /params\.messages\.1: 'none' is repeated/],
    [{ messages: [] }, /params\.messages/],
    [{ messages: 'chatty' }, /params\.messages: 'chatty' is not a token/],
    [{ messages: ' , ' }, /params\.messages: must be a preset/],
    [{ messages: 3 }, /params\.messages/],
    [{ alternateSpeaker: 1 }, /params\.alternateSpeaker/],
    [{ vocabulary: 'default' }, /params\.vocabulary is not a known parameter/],
  ];
  for (const [params, message] of bad) {
    const err = t.throws(() => new Game('trust-and-split', params), { message });
    t.is((err as { code?: string }).code, ErrorCode.InvalidParam);
  }
  const env = makeEnv('trust-and-split', {}, { batch: 1 });
  env.reset();
  const err = t.throws(() => env.step([21, 0]));
  t.is((err as { code?: string }).code, ErrorCode.InvalidArgument);
  env.dispose();
});

// split / negotiation observation (3 items): own values [0, 3), the other's
// [3, 6), the item of this step [6, 9), own proposals this round [9, 12),
// last round's own [12, 15) and other's [15, 18), first-round flag 18, round 19.
function itemValues(env: Env, obs: Float32Array, b: number, scale: (x: number) => number): number[][] {
  const d = env.info.obsDim;
  return [0, 1].map((a) => [0, 1, 2].map((j) => scale(obs[(b * 2 + a) * d + j])));
}

test('split: public values, per-item proportional payoffs, reveals after the round', (t) => {
  const batch = 64;
  const env = makeEnv('split', {}, { batch, seed: 4 });
  t.like(env.info, { id: 'split', agents: 2, obsDim: 20, actions: 11, maxSteps: 30, twoAction: false });
  let obs = env.reset();
  const values = Array.from({ length: batch }, (_, b) => itemValues(env, obs, b, (f) => (f === 1 ? 10 : 1)));
  for (let b = 0; b < batch; b++) {
    const [v0, v1] = values[b];
    t.true(v0.some((v, j) => v !== v1[j]), 'at least one item is valued differently');
    // Each agent sees the other's values too.
    for (let j = 0; j < 3; ++j) t.is(obs[(b * 2 + 1) * 20 + 3 + j], v0[j] === 10 ? 1 : 0);
  }
  // Agent 0 asks for 8 of every item, agent 1 for 4: q = 80/12 and 40/12.
  const actions = Int32Array.from({ length: batch * 2 }, (_, i) => (i % 2 === 0 ? 8 : 4));
  const returns = new Float64Array(batch * 2);
  for (let step = 0; step < 30; step++) {
    const s = env.step(actions);
    const item = step % 3;
    for (let b = 0; b < batch; b++) {
      t.true(Math.abs(s.rewards[b * 2] - (values[b][0][item] * 80) / 12) < 1e-4);
      t.true(Math.abs(s.rewards[b * 2 + 1] - (values[b][1][item] * 40) / 12) < 1e-4);
    }
    obs = s.observations;
    if (step === 0) {
      t.true(Math.abs(obs[9] - 0.8) < 1e-6, 'own proposal so far');
      t.is(obs[18], 1, 'the other proposal is not shown before the round ends');
    }
    if (step === 2) {
      t.is(obs[18], 0);
      t.true(Math.abs(obs[12] - 0.8) < 1e-6 && Math.abs(obs[15] - 0.4) < 1e-6);
      t.true(Math.abs(obs[20 + 12] - 0.4) < 1e-6 && Math.abs(obs[20 + 15] - 0.8) < 1e-6);
    }
  }
  for (let b = 0; b < batch; b++) {
    returns[b * 2] = (10 * values[b][0].reduce((x, y) => x + y) * 80) / 12;
    returns[b * 2 + 1] = (10 * values[b][1].reduce((x, y) => x + y) * 40) / 12;
  }
  const got = env.returns();
  for (let i = 0; i < got.length; i++) t.true(Math.abs(got[i] - returns[i]) < 1e-2);
  env.dispose();
});

test('negotiation: complementary utilities, prop_i / (prop_0 + prop_1) * u_i, statistics', async (t) => {
  const batch = 64;
  const env = makeEnv('negotiation', {}, { batch, seed: 6 });
  t.like(env.info, { id: 'negotiation', agents: 2, obsDim: 20, actions: 6, maxSteps: 30 });
  const obs = env.reset();
  const u = Array.from({ length: batch }, (_, b) => itemValues(env, obs, b, (f) => Math.round(5 * f)));
  for (const [u0, u1] of u) {
    for (let j = 0; j < 3; j++) {
      t.is(u0[j] + u1[j], 6);
      t.true(u0[j] === 1 || u0[j] === 5);
    }
  }
  // Agent 0 claims 3, agent 1 claims 1 of every item: 3/4 u_0 and 1/4 u_1.
  const actions = Int32Array.from({ length: batch * 2 }, (_, i) => (i % 2 === 0 ? 3 : 1));
  for (let step = 0; step < 30; step++) {
    const s = env.step(actions);
    for (let b = 0; b < batch; b++) {
      t.is(s.rewards[b * 2], (3 / 4) * u[b][0][step % 3]);
      t.is(s.rewards[b * 2 + 1], (1 / 4) * u[b][1][step % 3]);
    }
  }
  // Nobody claims anything: nothing is paid.
  env.reset();
  t.deepEqual([...env.step(new Int32Array(batch * 2)).rewards], new Array(batch * 2).fill(0));
  env.dispose();

  for (const [id, names, max] of [
    ['negotiation', ['welfare', 'max_welfare', 'rounds_played'], 100 * 5 * 3 * 10],
    ['split', ['welfare', 'max_welfare', 'agreements', 'rounds_played'], 100 * 10 * 10 * 3 * 10],
  ] as const) {
    const game = new Game(id, {});
    const layout = modelLayout('mlp', { obsDim: game.info.obsDim, actions: game.info.actions, hidden: [] });
    const uniform = modelPolicy({ kind: 'mlp', hidden: [] }, game.info, new Float32Array(layout.numParams));
    const tr = await rollout({ game, policies: [uniform, uniform], batch: 32, seed: 1 });
    t.deepEqual(tr.statNames, [...names]);
    const n = names.length;
    for (let b = 0; b < 32; b++) {
      const st = tr.stats.subarray(b * n, (b + 1) * n);
      let sum = 0;
      for (let i = b * 60; i < (b + 1) * 60; i++) sum += tr.rewards[i];
      t.true(Math.abs(st[0] - 100 * sum) <= 30 * 0.5 + 1e-2 * sum, `${id} welfare`);
      if (id === 'negotiation') t.is(st[1], max);
      else t.true(st[1] <= max && st[1] >= 100 * 10 * 3 * 10);
      t.true(st[0] <= st[1]);
      t.is(st[n - 1], 10);
    }
    uniform.dispose();
    game.dispose();
  }
});

test('split and negotiation: parameters are checked and named', (t) => {
  const bad: Array<['split' | 'negotiation', Record<string, unknown>, RegExp]> = [
    ['split', { items: 0 }, /params\.items/],
    ['split', { items: 9 }, /params\.items/],
    ['split', { units: 0 }, /params\.units/],
    ['split', { lowValue: 10 }, /params\.lowValue: lowValue must be below highValue/],
    ['split', { highValue: -1 }, /params\.highValue/],
    ['split', { values: [1, 10] }, /params\.values is not a known parameter/],
    ['negotiation', { levels: 0 }, /params\.levels/],
    ['negotiation', { levels: 101 }, /params\.levels/],
    ['negotiation', { lowUtility: 6 }, /params\.lowUtility: lowUtility must not exceed highUtility/],
    ['negotiation', { rounds: 1.5 }, /params\.rounds/],
    ['negotiation', { utilities: 3 }, /params\.utilities is not a known parameter/],
  ];
  for (const [id, params, message] of bad) {
    const err = t.throws(() => new Game(id, params), { message });
    t.is((err as { code?: string }).code, ErrorCode.InvalidParam);
  }
  t.like(new Game('split', { items: 2, units: 4 }).info, { obsDim: 14, actions: 5, maxSteps: 20 });
  t.like(new Game('negotiation', { items: 4, levels: 10, rounds: 2 }).info, { obsDim: 26, actions: 11, maxSteps: 8 });
});

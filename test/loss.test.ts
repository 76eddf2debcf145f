import test from 'ava';
import type { ExecutionContext } from 'ava';
import { credit } from '../src/credit.js';
import { loss, type PolicyGradientOptions } from '../src/loss.js';
import { native } from '../src/native.js';
import { rollout } from '../src/rollout.js';
import { scripted } from '../src/policies.js';
import { engineInfo, setThreads } from '../src/info.js';
import { random } from './helpers/random.js';

// A plain double-precision reference written from the formulas as stated in
// DESIGN.md: softmax, each term's value and its analytic logits gradient.

interface RefOptions {
  logits: ArrayLike<number>;
  actions: ArrayLike<number>;
  credits: ArrayLike<number>;
  A: number;
  mask?: ArrayLike<number>;
  behavior?: ArrayLike<number>;
  refLogits?: ArrayLike<number>;
  refLogp?: ArrayLike<number>;
  objective?: 'reinforce' | 'ppo';
  ratioCap?: number;
  clip?: number;
  entropyCoef?: number;
  klCoef?: number;
  normalize?: 'mask' | 'rows' | number;
}

interface RefResult {
  loss: number;
  policyLoss: number;
  entropy: number;
  kl: number;
  clippedFraction: number;
  grad: number[];
}

function logSoftmaxRef(z: ArrayLike<number>, offset: number, A: number): number[] {
  let m = -Infinity;
  for (let k = 0; k < A; k++) m = Math.max(m, z[offset + k]);
  let s = 0;
  for (let k = 0; k < A; k++) s += Math.exp(z[offset + k] - m);
  const lse = m + Math.log(s);
  return Array.from({ length: A }, (_, k) => z[offset + k] - lse);
}

function reference(o: RefOptions): RefResult {
  const { A } = o;
  const N = o.actions.length;
  const cap = o.ratioCap ?? 2;
  const eps = o.clip ?? 0.2;
  const ce = o.entropyCoef ?? 0;
  const ck = o.klCoef ?? 0;
  const live = (i: number) => (!o.mask || o.mask[i] === 1) && o.actions[i] !== -1;
  let nLive = 0;
  for (let i = 0; i < N; i++) if (live(i)) nLive++;
  const norm = o.normalize ?? 'mask';
  const nEff = norm === 'mask' ? nLive : norm === 'rows' ? N : norm;
  const grad = new Array<number>(N * A).fill(0);
  const res: RefResult = { loss: 0, policyLoss: 0, entropy: 0, kl: 0, clippedFraction: 0, grad };
  if (nEff === 0) return res;
  let clipped = 0;
  for (let i = 0; i < N; i++) {
    if (!live(i)) continue;
    const w = 1 / nEff;
    const a = o.actions[i];
    const c = o.credits[i];
    const lp = logSoftmaxRef(o.logits, i * A, A);
    const p = lp.map(Math.exp);
    const H = -p.reduce((s, pk, k) => s + pk * lp[k], 0);
    let pol: number;
    let dlogp: number;
    if (o.objective === 'ppo') {
      const r = Math.exp(lp[a] - o.behavior![i]);
      const bounded = Math.min(Math.max(r, 1 - eps), 1 + eps);
      if (bounded * c < r * c) {
        clipped++;
        pol = -bounded * c;
        dlogp = 0;
      } else {
        pol = -r * c;
        dlogp = -r * c;
      }
    } else {
      let rho = 1;
      if (o.behavior) {
        const r = Math.exp(lp[a] - o.behavior[i]);
        if (r > cap) clipped++;
        rho = Math.min(r, cap);
      }
      pol = -c * rho * lp[a];
      dlogp = -c * rho;
    }
    let k3 = 0;
    if (o.refLogits || o.refLogp) {
      const ref = o.refLogits ? logSoftmaxRef(o.refLogits, i * A, A)[a] : o.refLogp![i];
      const d = ref - lp[a];
      k3 = Math.exp(d) - 1 - d;
      dlogp += ck * (1 - Math.exp(d));
    }
    for (let k = 0; k < A; k++) {
      const dH = -p[k] * (lp[k] + H);
      grad[i * A + k] = w * (dlogp * ((k === a ? 1 : 0) - p[k]) - ce * dH);
    }
    res.policyLoss += w * pol;
    res.entropy += w * H;
    res.kl += w * k3;
  }
  res.loss = res.policyLoss - ce * res.entropy + ck * res.kl;
  res.clippedFraction = nLive ? clipped / nLive : 0;
  return res;
}


/** The project's one tolerance rule: |got − want| ≤ atol + rtol·|want|. */
function closeTo(t: ExecutionContext, got: number, want: number, rtol: number, atol: number, what: string): void {
  if (!(Number.isFinite(got) && Math.abs(got - want) <= atol + rtol * Math.abs(want))) {
    t.fail(`${what}: got ${got}, want ${want}`);
  }
}

function allClose(t: ExecutionContext, got: ArrayLike<number>, want: ArrayLike<number>, rtol: number, atol: number, what: string) {
  t.is(got.length, want.length, what);
  for (let i = 0; i < got.length; i++) {
    if (!(Number.isFinite(got[i]) && Math.abs(got[i] - want[i]) <= atol + rtol * Math.abs(want[i]))) {
      t.fail(`${what}[${i}]: got ${got[i]}, want ${want[i]}`);
      return;
    }
  }
  t.pass();
}

const f32 = (xs: number[]) => Float32Array.from(xs);
const i32 = (xs: number[]) => Int32Array.from(xs);
const INVALID = { code: 'ERR_INVALID_ARGUMENT' };

/**
 * A random batch: row 2 masked, row 5 padding (action −1), row 7 masked
 * padding. Behaviour log-probabilities sit at log π(a) + offset, offsets
 * chosen so that the ratios exp(−offset) keep clear of the PPO bounds and of
 * the ratio cap 1.3 by more than a finite-difference step moves them.
 */
function randomBatch(N: number, A: number, seed: number) {
  const logits = random(N * A, seed, -3, 3);
  const referenceLogits = random(N * A, seed + 1, -3, 3);
  const credits = random(N, seed + 2, -2, 2);
  const actions = Int32Array.from(random(N, seed + 3, 0, A), Math.floor);
  const mask = new Uint8Array(N).fill(1);
  if (N > 7) {
    mask[2] = 0;
    actions[5] = -1;
    mask[7] = 0;
    actions[7] = -1;
  }
  const offsets = [0.7, -0.05, 0.4, -0.6, 0.1, -0.35, 0.0, -0.15];
  const behaviorLogProbs = Float32Array.from({ length: N }, (_, i) => {
    const a = Math.max(0, actions[i]);
    return logSoftmaxRef(logits, i * A, A)[a] + offsets[i % 8];
  });
  const referenceLogProbs = Float32Array.from({ length: N }, (_, i) => {
    const a = Math.max(0, actions[i]);
    return logSoftmaxRef(referenceLogits, i * A, A)[a];
  });
  return { logits, referenceLogits, credits, actions, mask, behaviorLogProbs, referenceLogProbs };
}

/** The options every case starts from: the batch's logits, actions, credits and mask. */
function batchOptions(b: ReturnType<typeof randomBatch>, A: number) {
  return { logits: b.logits, actions: b.actions, credits: b.credits, mask: b.mask, actionsCount: A };
}

test('hand-worked: 2 and 3 actions', (t) => {
  // z = [0, ln 3]: p = [1/4, 3/4], a = 0, c = 2: L = −2 ln(1/4) = 2.77258872,
  // dz = −2 (onehot − p) = [−1.5, 1.5]. H = 0.56233514, dH/dz = ±0.20598981;
  // entropyCoef 0.1: L = 2.71635521, dz = [−1.52059898, 1.52059898].
  const two = { logits: f32([0, Math.log(3)]), actions: i32([0]), credits: f32([2]), actionsCount: 2 };
  let r = loss.policyGradient(two);
  closeTo(t, r.loss, 2.77258872, 1e-6, 0, 'loss');
  allClose(t, r.gradLogits, [-1.5, 1.5], 1e-6, 1e-7, 'grad');
  r = loss.policyGradient({ ...two, entropyCoef: 0.1 });
  closeTo(t, r.entropy, 0.56233514, 1e-6, 0, 'entropy');
  closeTo(t, r.loss, 2.71635521, 1e-6, 0, 'loss');
  allClose(t, r.gradLogits, [-1.52059898, 1.52059898], 1e-6, 1e-7, 'grad');

  // z = [0, ln 2, ln 5]: p = [1/8, 2/8, 5/8], a = 2, log μ = ln 0.5 so r = 1.25.
  const three = {
    logits: f32([0, Math.log(2), Math.log(5)]),
    actions: i32([2]),
    credits: f32([-1]),
    behaviorLogProbs: f32([Math.log(0.5)]),
    shape: { rows: 1, actions: 3 },
  };
  // REINFORCE, cap 1.1: ρ = 1.1 (capped), L = 1.1 ln 0.625 = −0.51700399, dz = 1.1 (onehot − p)
  r = loss.policyGradient({ ...three, ratioCap: 1.1 });
  closeTo(t, r.loss, -0.51700399, 1e-6, 0, 'capped loss');
  allClose(t, r.gradLogits, [-0.1375, -0.275, 0.4125], 1e-6, 1e-7, 'capped grad');
  t.is(r.clippedFraction, 1);
  // PPO, c = −1: r c = −1.25 < −1.2, unclipped: L = 1.25, dz = 1.25 (onehot − p)
  r = loss.policyGradient({ ...three, objective: 'ppo' });
  closeTo(t, r.loss, 1.25, 1e-6, 0, 'ppo loss');
  allClose(t, r.gradLogits, [-0.15625, -0.3125, 0.46875], 1e-6, 1e-7, 'ppo grad');
  t.is(r.clippedFraction, 0);
  // PPO, c = 1: clipped at 1.2, L = −1.2, no gradient
  r = loss.policyGradient({ ...three, credits: f32([1]), objective: 'ppo' });
  closeTo(t, r.loss, -1.2, 1e-6, 0, 'clipped loss');
  t.true(r.gradLogits.every((g) => g === 0));
  t.is(r.clippedFraction, 1);
  // KL to log π_ref(2) = ln 0.5: Δ = ln 0.8, k3 = 0.8 − 1 − ln 0.8 = 0.02314355
  r = loss.policyGradient({ ...three, behaviorLogProbs: undefined, referenceLogProbs: f32([Math.log(0.5)]) });
  closeTo(t, r.kl, 0.02314355, 1e-5, 0, 'kl');
});

test('random batches agree with the double-precision TypeScript reference', (t) => {
  for (const A of [2, 3, 9]) {
    const b = randomBatch(13, A, 10 * A);
    const cases: Array<Partial<PolicyGradientOptions>> = [
      {},
      { behaviorLogProbs: b.behaviorLogProbs, ratioCap: 1.3 },
      { objective: 'ppo', behaviorLogProbs: b.behaviorLogProbs },
      { entropyCoef: 0.3, normalize: 'rows' },
      { klCoef: 0.5, referenceLogits: b.referenceLogits },
      { klCoef: 0.5, referenceLogProbs: b.referenceLogProbs, normalize: 7.5 },
      {
        objective: 'ppo',
        behaviorLogProbs: b.behaviorLogProbs,
        clip: 0.1,
        entropyCoef: -0.05,
        klCoef: 0.2,
        referenceLogits: b.referenceLogits,
      },
      { mask: undefined, behaviorLogProbs: b.behaviorLogProbs, entropyCoef: 0.01, referenceLogProbs: b.referenceLogProbs },
    ];
    for (const [n, extra] of cases.entries()) {
      const opts = { ...batchOptions(b, A), ...extra };
      const got = loss.policyGradient(opts);
      const want = reference({
        ...opts,
        A,
        behavior: opts.behaviorLogProbs,
        refLogits: opts.referenceLogits,
        refLogp: opts.referenceLogProbs,
      });
      const what = `A = ${A}, case ${n}`;
      closeTo(t, got.loss, want.loss, 1e-5, 1e-6, `${what} loss`);
      closeTo(t, got.policyLoss, want.policyLoss, 1e-5, 1e-6, `${what} policyLoss`);
      closeTo(t, got.entropy, want.entropy, 1e-5, 1e-6, `${what} entropy`);
      closeTo(t, got.kl, want.kl, 1e-4, 1e-6, `${what} kl`);
      t.is(got.clippedFraction, want.clippedFraction, `${what} clippedFraction`);
      allClose(t, got.gradLogits, want.grad, 1e-4, 1e-6, `${what} grad`);
    }
  }
});

test('gradients match central finite differences through the API', (t) => {
  // REINFORCE's ratio is detached, so finite differences of the loss match
  // the gradient only where ρ does not move: no behaviour policy (ρ = 1) or
  // every ratio above its cap (ρ = cap). PPO's ratio is not detached.
  const A = 4;
  const N = 10;
  const b = randomBatch(N, A, 77);
  const farBelow = Float32Array.from(b.behaviorLogProbs, (x) => x - 3);
  const cases: Array<Partial<PolicyGradientOptions>> = [
    { entropyCoef: 0.2, klCoef: 0.4, referenceLogits: b.referenceLogits },
    { behaviorLogProbs: farBelow, ratioCap: 1.5, entropyCoef: 0.1 },
    { objective: 'ppo', behaviorLogProbs: b.behaviorLogProbs, klCoef: 0.3, referenceLogProbs: b.referenceLogProbs },
    { objective: 'ppo', behaviorLogProbs: b.behaviorLogProbs, entropyCoef: 0.1, normalize: 'rows' },
  ];
  for (const [n, extra] of cases.entries()) {
    const base = { ...batchOptions(b, A), ...extra };
    const grad = loss.policyGradient(base).gradLogits;
    const fd = new Float64Array(N * A);
    const z = b.logits.slice();
    for (let j = 0; j < z.length; j++) {
      const z0 = b.logits[j];
      z[j] = z0 + 1e-2;
      const hi = z[j];
      const up = loss.policyGradient({ ...base, logits: z }).loss;
      z[j] = z0 - 1e-2;
      const lo = z[j];
      const down = loss.policyGradient({ ...base, logits: z }).loss;
      z[j] = z0;
      fd[j] = (up - down) / (hi - lo);
    }
    allClose(t, grad, fd, 2e-3, 2e-4, `case ${n}`);
  }
});

test('masked and padding rows get zero gradient and are not read', (t) => {
  const A = 3;
  const b = randomBatch(11, A, 5);
  const opts = { ...batchOptions(b, A), behaviorLogProbs: b.behaviorLogProbs, entropyCoef: 0.1 };
  const clean = loss.policyGradient(opts);
  for (const i of [2, 5, 7]) t.deepEqual(Array.from(clean.gradLogits.subarray(i * A, i * A + A)), [0, 0, 0]);
  const logits = b.logits.slice();
  const credits = b.credits.slice();
  const behaviorLogProbs = b.behaviorLogProbs.slice();
  const actions = b.actions.slice();
  for (const i of [2, 5, 7]) {
    logits.fill(NaN, i * A, i * A + A);
    credits[i] = Infinity;
    behaviorLogProbs[i] = NaN;
  }
  actions[2] = 99;
  const dirty = loss.policyGradient({ ...opts, logits, credits, behaviorLogProbs, actions });
  t.is(dirty.loss, clean.loss);
  t.deepEqual(dirty.gradLogits, clean.gradLogits);
  // nothing live: a zero loss, not NaN
  const none = loss.policyGradient({ ...opts, mask: new Uint8Array(11) });
  t.is(none.loss, 0);
  t.true(none.gradLogits.every((g) => g === 0));
});

test('out: a reused buffer and in-place use give the same numbers', (t) => {
  const A = 5;
  const b = randomBatch(9, A, 3);
  const opts = { ...batchOptions(b, A), entropyCoef: 0.1 };
  const fresh = loss.policyGradient(opts);
  const out = new Float32Array(9 * A).fill(42);
  const reused = loss.policyGradient({ ...opts, out });
  t.is(reused.gradLogits, out);
  t.deepEqual(out, fresh.gradLogits);
  const io = b.logits.slice();
  const inPlace = loss.policyGradient({ ...opts, logits: io, out: io });
  t.is(inPlace.gradLogits, io);
  t.deepEqual(io, fresh.gradLogits);
  t.is(inPlace.loss, fresh.loss);

  const lsm = loss.logSoftmax(b.logits, { rows: 9, actions: A });
  for (let i = 0; i < 9; i++) {
    allClose(t, lsm.subarray(i * A, i * A + A), logSoftmaxRef(b.logits, i * A, A), 1e-6, 1e-6, `row ${i}`);
  }
  const l2 = b.logits.slice();
  t.is(loss.logSoftmax(l2, { rows: 9, actions: A, out: l2 }), l2);
  t.deepEqual(l2, lsm);
});

function onShared<T extends Float32Array | Int32Array | Uint8Array>(x: T): T {
  const ctor = x.constructor as new (b: SharedArrayBuffer) => T;
  const s = new ctor(new SharedArrayBuffer(x.byteLength));
  s.set(x as never);
  return s;
}

test('without out: large gradients are new, exactly sized and fully written; shared inputs give the same numbers', (t) => {
  // 120 KB of gradient: past the size where results come from uninitialised memory.
  const N = 6000;
  const A = 5;
  const b = randomBatch(N, A, 21);
  const opts = {
    ...batchOptions(b, A),
    behaviorLogProbs: b.behaviorLogProbs,
    referenceLogits: b.referenceLogits,
    entropyCoef: 0.1,
    klCoef: 0.05,
  };
  const out = new Float32Array(N * A).fill(NaN);
  const want = loss.policyGradient({ ...opts, out });
  const first = loss.policyGradient(opts);
  const second = loss.policyGradient(opts);
  for (const r of [first, second]) {
    t.is(r.gradLogits.byteOffset, 0);
    t.is(r.gradLogits.buffer.byteLength, N * A * 4);
    t.deepEqual(new Uint32Array(r.gradLogits.buffer), new Uint32Array(out.buffer));
    t.is(r.loss, want.loss);
  }
  t.not(first.gradLogits.buffer, second.gradLogits.buffer);

  const onSab = loss.policyGradient({
    ...opts,
    logits: onShared(b.logits),
    actions: onShared(b.actions),
    credits: onShared(b.credits),
    mask: onShared(b.mask),
    behaviorLogProbs: onShared(b.behaviorLogProbs),
    referenceLogits: onShared(b.referenceLogits),
  });
  t.deepEqual(onSab.gradLogits, out);
  t.is(onSab.loss, want.loss);

  const lsm = loss.logSoftmax(b.logits, { rows: N, actions: A });
  t.is(lsm.buffer.byteLength, N * A * 4);
  t.deepEqual(loss.logSoftmax(onShared(b.logits), { rows: N, actions: A }), lsm);
});

test('results are bit-identical on 1 and 2 threads', (t) => {
  const A = 6;
  const N = 30000;
  const b = randomBatch(N, A, 9);
  const opts: PolicyGradientOptions = {
    ...batchOptions(b, A),
    behaviorLogProbs: b.behaviorLogProbs,
    referenceLogits: b.referenceLogits,
    objective: 'ppo',
    entropyCoef: 0.01,
    klCoef: 0.1,
  };
  const before = engineInfo().threads;
  try {
    setThreads(1);
    const one = loss.policyGradient(opts);
    setThreads(2);
    const two = loss.policyGradient(opts);
    t.deepEqual(two, one);
  } finally {
    setThreads(before === engineInfo().hardwareThreads ? 0 : before);
  }
});

test('realistic use: Advantage Alignment credits on one agent of an IPD rollout', async (t) => {
  // Agent 0 plays random (cooperate, action 0, with p = 0.6) against
  // tit-for-tat; episodes end early (continuation 0.9), so later steps are
  // padding. A trainer's tabular policy that reproduces the behaviour
  // exactly has logits [ln 0.6, ln 0.4] on every row, so every ratio is 1.
  const B = 64;
  const traj = await rollout({
    game: { id: 'ipd', params: { rounds: 20, continuation: 0.9 } },
    policies: [scripted('random', { p: 0.6 }), scripted('tit-for-tat')],
    batch: B,
    seed: 11,
    groups: { size: 8 },
  });
  const { steps: T, agents } = traj;
  const column = <A extends Float32Array | Int32Array>(src: A, j: number): A => {
    const out = new (src.constructor as new (n: number) => A)(B * T);
    for (let i = 0; i < B * T; i++) out[i] = src[i * agents + j];
    return out;
  };
  // Rewards are [B, T, agents]: per-agent returns, group-relative baseline, then AA.
  const advantage = (j: number) => {
    const g = credit.discountedReturns(column(traj.rewards, j), { batch: B, steps: T, gamma: 0.96 });
    return credit.leaveOneOut(g, { batch: B, steps: T, groups: traj.groups });
  };
  const credits = credit.advantageAlignment({ own: advantage(0), others: advantage(1), batch: B, steps: T, beta: 1, gamma: 0.96 });
  const actions = column(traj.actions, 0);
  const behaviorLogProbs = column(traj.logProbs, 0);
  const logits = new Float32Array(B * T * 2);
  for (let i = 0; i < B * T; i++) logits.set([Math.log(0.6), Math.log(0.4)], i * 2);

  const opts = { logits, actions, credits, mask: traj.mask, behaviorLogProbs, shape: { rows: B * T, actions: 2 } };
  const r = loss.policyGradient({ ...opts, entropyCoef: 0.01 });
  t.true(traj.mask.some((m) => m === 0), 'some episodes ended early');
  t.is(r.clippedFraction, 0);
  closeTo(t, r.entropy, -(0.6 * Math.log(0.6) + 0.4 * Math.log(0.4)), 1e-6, 0, 'entropy');
  const want = reference({ ...opts, A: 2, behavior: behaviorLogProbs, entropyCoef: 0.01 });
  closeTo(t, r.loss, want.loss, 1e-5, 1e-6, 'loss');
  allClose(t, r.gradLogits, want.grad, 1e-4, 1e-6, 'grad');
  for (let i = 0; i < B * T; i++) {
    if (traj.mask[i] === 0) t.deepEqual([r.gradLogits[2 * i], r.gradLogits[2 * i + 1]], [0, 0]);
    // a softmax gradient sums to zero over the actions of a row
    closeTo(t, r.gradLogits[2 * i] + r.gradLogits[2 * i + 1], 0, 0, 1e-7, `row ${i} sum`);
  }
  // PPO with the same on-policy data: r = 1, nothing clipped, same policy gradient.
  const ppo = loss.policyGradient({ ...opts, objective: 'ppo', entropyCoef: 0.01 });
  t.is(ppo.clippedFraction, 0);
  allClose(t, ppo.gradLogits, r.gradLogits, 1e-5, 1e-7, 'ppo grad');
});

test('errors: options, shapes and arrays', (t) => {
  const base: PolicyGradientOptions = {
    logits: new Float32Array(6),
    actions: i32([0, 1]),
    credits: f32([1, -1]),
    actionsCount: 3,
  };
  t.notThrows(() => loss.policyGradient(base));
  const bad = (extra: object, message?: RegExp | string, code = 'ERR_INVALID_ARGUMENT') =>
    t.throws(() => loss.policyGradient({ ...base, ...extra } as never), message ? { code, message } : { code });

  t.throws(() => loss.policyGradient(undefined as never), { ...INVALID, message: /^options must be an object/ });
  bad({ ratiocap: 2 }, /^options\.ratiocap is not a known option/);
  bad({ actions: [0, 1] }, /^options\.actions must be a Int32Array/);
  bad({ actionsCount: undefined }, 'options.actionsCount or options.shape is required');
  bad({ shape: { rows: 2, actions: 3 } }, /^options\.shape and options\.actionsCount are alternatives/);
  bad({ actionsCount: undefined, shape: { rows: 0, actions: 3 } }, /^options\.shape\.rows must be an integer/);
  bad({ actionsCount: undefined, shape: { rows: 2, actions: 1.5 } }, /^options\.shape\.actions must be an integer/);
  bad({ actionsCount: undefined, shape: { rows: 2, actions: 3, batch: 1 } }, /^options\.shape\.batch is not a known/);
  bad({ actionsCount: undefined, shape: { rows: 2 ** 20, actions: 2 ** 20 } }, undefined, 'ERR_TOO_LARGE');
  bad({ actionsCount: 0 }, /^options\.actionsCount must be an integer/);
  bad({ actions: new Int32Array(0), logits: new Float32Array(0), credits: new Float32Array(0) }, /at least one row/);
  bad({ logits: new Float32Array(5) }, 'options.logits must have 6 elements, got 5');
  bad({ logits: new Float64Array(6) }, /^options\.logits must be a Float32Array/);
  bad({ credits: new Float32Array(3) }, 'options.credits must have 2 elements, got 3');
  bad({ mask: new Int32Array(2) }, /^options\.mask must be a Uint8Array/);
  bad({ mask: new Uint8Array(3) }, /^options\.mask must have 2 elements/);
  bad({ behaviorLogProbs: new Float32Array(1) }, /^options\.behaviorLogProbs must have 2 elements/);
  bad({ referenceLogits: new Float32Array(2) }, /^options\.referenceLogits must have 6 elements/);
  bad({ referenceLogProbs: new Float32Array(6) }, /^options\.referenceLogProbs must have 2 elements/);
  bad({ out: new Float32Array(2) }, /^options\.out must have 6 elements/);
  bad({ objective: 'a2c' }, /^options\.objective must be "reinforce" or "ppo"/);
  bad({ ratioCap: 0 }, /^options\.ratioCap must be > 0/);
  bad({ ratioCap: -1 }, /^options\.ratioCap must be a finite number/);
  bad({ ratioCap: NaN }, /^options\.ratioCap/);
  bad({ clip: 1 }, /^options\.clip must be below 1/);
  bad({ clip: -0.1 }, /^options\.clip must be a finite number in \[0, 1\]/);
  bad({ entropyCoef: Infinity }, /^options\.entropyCoef/);
  bad({ entropyCoef: 1e39 }, /^options\.entropyCoef/);
  bad({ klCoef: -0.5 }, /^options\.klCoef/);
  bad({ normalize: 'batch' }, /^options\.normalize must be "mask", "rows" or a number/);
  bad({ normalize: 0 }, /^options\.normalize must be a finite number in \[1e-30, 1e\+30\]/);
  bad({ normalize: NaN }, /^options\.normalize/);
  bad({ objective: 'ppo' }, /^options\.behaviorLogProbs is required by the "ppo" objective/);
  bad({ referenceLogits: new Float32Array(6), referenceLogProbs: new Float32Array(2) }, /are alternatives/);
  bad({ klCoef: 0.1 }, /^options\.klCoef > 0 needs a reference policy/);
  t.notThrows(() => loss.policyGradient({ ...base, ratioCap: Infinity }));
  t.notThrows(() => loss.policyGradient({ ...base, klCoef: 0.1, referenceLogProbs: f32([-1, -1]) }));
});

test('errors: row contents name the row', (t) => {
  const base: PolicyGradientOptions = {
    logits: new Float32Array(9),
    actions: i32([0, 1, 2]),
    credits: f32([1, -1, 0.5]),
    mask: Uint8Array.from([1, 1, 1]),
    behaviorLogProbs: f32([-1, -1, -1]),
    actionsCount: 3,
  };
  const bad = (extra: object, message: RegExp | string) =>
    t.throws(() => loss.policyGradient({ ...base, ...extra } as never), { ...INVALID, message });
  bad({ mask: Uint8Array.from([1, 2, 1]) }, 'options.mask[1] must be 0 or 1, got 2');
  bad({ actions: i32([0, 3, 0]) }, 'options.actions[1] must be -1 (padding) or in [0, 3), got 3');
  bad({ actions: i32([0, 1, -2]) }, 'options.actions[2] must be -1 (padding) or in [0, 3), got -2');
  bad({ credits: f32([1, NaN, 0]) }, 'options.credits[1] must be finite on a live row, got NaN');
  bad({ behaviorLogProbs: f32([-1, -1, -Infinity]) }, 'options.behaviorLogProbs[2] must be finite on a live row, got -Infinity');
  bad({ referenceLogProbs: f32([NaN, 0, 0]) }, 'options.referenceLogProbs[0] must be finite on a live row, got NaN');
  // logits are checked by the native core, with the same code and a row
  bad({ logits: f32([0, 0, 0, 0, 0, 0, 1, Infinity, 0]) }, 'options.logits row 2 must be finite, got inf at column 1');
  bad({ referenceLogits: f32([0, 0, 0, NaN, 0, 0, 0, 0, 0]) }, 'options.referenceLogits row 1 must be finite, got nan at column 0');
  // the same values on a masked row are fine
  t.notThrows(() =>
    loss.policyGradient({ ...base, mask: Uint8Array.from([1, 0, 1]), actions: i32([0, 7, 2]), credits: f32([1, NaN, 0]) }),
  );

  t.throws(() => loss.logSoftmax(f32([0, NaN]), { rows: 1, actions: 2 }), {
    ...INVALID,
    message: 'logits row 0 must be finite, got nan at column 1',
  });
  t.throws(() => loss.logSoftmax(f32([0, 1]), { rows: 2, actions: 2 }), { ...INVALID, message: 'logits must have 4 elements, got 2' });
  t.throws(() => loss.logSoftmax(f32([0, 1]), { rows: 1, actions: 0 }), { ...INVALID, message: /^options\.actions/ });
  t.throws(() => loss.logSoftmax(f32([0, 1]), { rows: 1, actions: 2, axis: 1 } as never), {
    ...INVALID,
    message: /^options\.axis is not a known option/,
  });
  t.throws(() => loss.logSoftmax(f32([0, 1]), { rows: 1, actions: 2, out: new Float32Array(3) }), INVALID);
  t.throws(() => loss.logSoftmax(f32([0, 1]), { rows: 2 ** 20, actions: 2 ** 20 }), { code: 'ERR_TOO_LARGE' });
});

test('the native binding rejects hostile arguments with codes', (t) => {
  const raw = (native() as unknown as { loss: Record<string, (...args: unknown[]) => unknown> }).loss;
  const ok = {
    logits: new Float32Array(4),
    actions: i32([0, 1]),
    credits: f32([1, 1]),
    rows: 2,
    actionCount: 2,
    objective: 'reinforce',
    ratioCap: 2,
    clip: 0.2,
    entropyCoef: 0,
    klCoef: 0,
    normalize: 'mask',
  };
  t.notThrows(() => raw.policyGradient(ok));
  t.is((raw.policyGradient({ ...ok, ratioCap: Infinity }) as { clippedFraction: number }).clippedFraction, 0);
  const calls: Array<[object | undefined, RegExp?]> = [
    [undefined],
    [{ ...ok, rows: 2.5 }],
    [{ ...ok, rows: 0 }],
    [{ ...ok, actionCount: -1 }],
    [{ ...ok, logits: new Float32Array(3) }],
    [{ ...ok, logits: [0, 0, 0, 0] }],
    [{ ...ok, actions: new Uint32Array(2) }],
    [{ ...ok, credits: undefined }],
    [{ ...ok, mask: new Uint8Array(1) }],
    [{ ...ok, behaviorLogProbs: new Float64Array(2) }],
    [{ ...ok, referenceLogits: new Float32Array(2) }],
    [{ ...ok, out: new Float32Array(5) }],
    [{ ...ok, out: 'x' }],
    [{ ...ok, objective: 'ppo' }, /^options\.behaviorLogProbs must not be null/],
    [{ ...ok, objective: 7 }],
    [{ ...ok, objective: 'sgd' }],
    [{ ...ok, ratioCap: -Infinity }],
    [{ ...ok, ratioCap: 0 }, /^options\.ratioCap must be a number > 0/],
    [{ ...ok, clip: 1 }, /^options\.clip must be a finite number in \[0, 1\)/],
    [{ ...ok, clip: NaN }],
    [{ ...ok, entropyCoef: 'a' }],
    [{ ...ok, klCoef: 1 }, /^kl_coef|^options\.klCoef > 0 needs/],
    [{ ...ok, normalize: 'all' }],
    [{ ...ok, normalize: -3 }],
    [{ ...ok, actions: i32([0, 2]) }, /^options\.actions\[1\]/],
    [{ ...ok, mask: Uint8Array.from([3, 1]) }, /^options\.mask\[0\]/],
    [{ ...ok, referenceLogits: new Float32Array(4), referenceLogProbs: new Float32Array(2) }, /^options\.referenceLogits and/],
  ];
  for (const [arg, message] of calls) t.throws(() => raw.policyGradient(arg), message ? { ...INVALID, message } : INVALID);
  t.throws(() => raw.policyGradient({ ...ok, rows: 2 ** 20, actionCount: 2 ** 20 }), { code: 'ERR_TOO_LARGE' });
  t.throws(() => raw.logSoftmax(new Float32Array(4), undefined, 2, 3), INVALID);
  t.throws(() => raw.logSoftmax(new Float32Array(4), new Float32Array(3), 2, 2), INVALID);
  t.throws(() => raw.logSoftmax(new Float32Array(4), undefined, 0, 4), INVALID);
  t.throws(() => raw.logSoftmax(), INVALID);
});

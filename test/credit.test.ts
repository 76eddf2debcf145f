import test from 'ava';
import type { ExecutionContext } from 'ava';
import { credit } from '../src/credit.js';
import { native } from '../src/native.js';
import { random } from './helpers/random.js';

// Plain double-precision references written from the formulas as stated
// (direct sums over k, not the recursions the engine uses).

function refReturns(r: ArrayLike<number>, B: number, T: number, gamma: number): number[] {
  const out: number[] = [];
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      let s = 0;
      let p = 1;
      for (let k = t; k < T; k++, p *= gamma) s += p * r[b * T + k];
      out.push(s);
    }
  }
  return out;
}

function refGae(r: ArrayLike<number>, v: ArrayLike<number>, B: number, T: number, gamma: number, lambda: number) {
  const out: number[] = [];
  for (let b = 0; b < B; b++) {
    const V = (t: number) => v[b * (T + 1) + t];
    for (let t = 0; t < T; t++) {
      let s = 0;
      let p = 1;
      for (let k = t; k < T; k++, p *= gamma * lambda) s += p * (r[b * T + k] + gamma * V(k + 1) - V(k));
      out.push(s);
    }
  }
  return out;
}

function refLeaveOneOut(v: ArrayLike<number>, groups: ArrayLike<number> | undefined, B: number, T: number) {
  const out: number[] = [];
  for (let i = 0; i < B; i++) {
    for (let t = 0; t < T; t++) {
      let s = 0;
      let n = 0;
      for (let j = 0; j < B; j++) {
        if (j !== i && (!groups || groups[j] === groups[i])) {
          s += v[j * T + t];
          n++;
        }
      }
      out.push(n === 0 ? v[i * T + t] : v[i * T + t] - s / n);
    }
  }
  return out;
}

function refAdvantageAlignment(
  a1: ArrayLike<number>,
  a2: ArrayLike<number>,
  B: number,
  T: number,
  beta: number,
  gamma: number,
  includeCurrent: boolean,
  form: 'discounted' | 'mean',
): number[] {
  const out: number[] = [];
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      const last = includeCurrent ? t : t - 1;
      let w = 0;
      if (form === 'mean') {
        for (let k = 0; k <= last; k++) w += a1[b * T + k];
        w = last < 0 ? 0 : w / (last + 1);
      } else {
        let p = gamma ** (t - last);
        for (let k = last; k >= 0; k--, p *= gamma) w += p * a1[b * T + k];
        if (!includeCurrent) w *= gamma;
      }
      out.push(a1[b * T + t] + beta * w * a2[b * T + t]);
    }
  }
  return out;
}

function refWhiten(x: ArrayLike<number>, B: number, T: number, perStep: boolean, eps: number): number[] {
  const out = new Array<number>(B * T);
  const norm = (idx: number[]) => {
    const mean = idx.reduce((s, i) => s + x[i], 0) / idx.length;
    const sd = Math.sqrt(idx.reduce((s, i) => s + (x[i] - mean) ** 2, 0) / idx.length);
    for (const i of idx) out[i] = (x[i] - mean) / (sd + eps);
  };
  if (perStep) {
    for (let t = 0; t < T; t++) norm(Array.from({ length: B }, (_, b) => b * T + t));
  } else {
    norm(Array.from({ length: B * T }, (_, i) => i));
  }
  return out;
}


function close(t: ExecutionContext, got: Float32Array, want: ArrayLike<number>, rtol = 1e-5, atol = 1e-5): void {
  t.is(got.length, want.length);
  for (let i = 0; i < got.length; i++) {
    if (!Number.isFinite(got[i]) || Math.abs(got[i] - want[i]) > atol + rtol * Math.abs(want[i])) {
      t.fail(`element ${i}: got ${got[i]}, want ${want[i]}`);
      return;
    }
  }
  t.pass();
}

const f32 = (xs: number[]) => Float32Array.from(xs);

test('discountedReturns: hand-worked', (t) => {
  // γ = 0.5 from the back: G2 = 3, G1 = 2 + 0.5·3 = 3.5, G0 = 1 + 0.5·3.5 = 2.75
  const g = credit.discountedReturns(f32([1, 2, 3, 0, 0, 4]), { batch: 2, steps: 3, gamma: 0.5 });
  t.deepEqual(Array.from(g), [2.75, 3.5, 3, 1, 2, 4]);
});

test('gae: hand-worked', (t) => {
  // γ = λ = 0.5, r = [1, 0], V = [0.5, 2, 2]: δ1 = 0 + 1 − 2 = −1, δ0 = 1 + 1 − 0.5 = 1.5,
  // A1 = −1, A0 = 1.5 + 0.25·(−1) = 1.25
  const a = credit.gae(f32([1, 0]), f32([0.5, 2, 2]), { batch: 1, steps: 2, gamma: 0.5, lambda: 0.5 });
  t.deepEqual(Array.from(a), [1.25, -1]);
});

test('leaveOneOut: hand-worked with non-contiguous ids and a group of one', (t) => {
  // group 7 = rows 0, 2, 3 with values 1, 4, 7: 1 − (4+7)/2 = −4.5, 4 − (1+7)/2 = 0,
  // 7 − (1+4)/2 = 4.5; row 1 (group −3) is alone and keeps 10. Column 1 is column 0 × 2.
  const v = f32([1, 2, 10, 20, 4, 8, 7, 14]);
  const want = [-4.5, -9, 10, 20, 0, 0, 4.5, 9];
  for (const groups of [Int32Array.from([7, -3, 7, 7]), [7, -3, 7, 7], Uint32Array.from([7, 4000000000, 7, 7])]) {
    t.deepEqual(Array.from(credit.leaveOneOut(v, { batch: 4, steps: 2, groups, singletons: 'keep' })), want);
  }
  // no groups: one group. 1 − (2+6)/2 = −3, 2 − (1+6)/2 = −1.5, 6 − (1+2)/2 = 4.5
  t.deepEqual(Array.from(credit.leaveOneOut(f32([1, 2, 6]), { batch: 3, steps: 1 })), [-3, -1.5, 4.5]);
});

test('advantageAlignment: hand-worked, every form', (t) => {
  // A¹ = [1, 2, 3], A² = [1, 1, 2], β = 1, γ = 0.5
  const base = { own: f32([1, 2, 3]), others: f32([1, 1, 2]), batch: 1, steps: 3, beta: 1, gamma: 0.5 };
  const aa = (extra: object) => Array.from(credit.advantageAlignment({ ...base, ...extra }));
  // w = γ·Σ_{k<t} γ^{t−k} A¹_k = [0, 0.5·0.5, 0.5·(0.25 + 0.5·2)] = [0, 0.25, 0.625]
  t.deepEqual(aa({}), [1, 2.25, 4.25]);
  // includeCurrent: w = Σ_{k≤t} γ^{t−k} A¹_k = [1, 2.5, 4.25]
  t.deepEqual(aa({ includeCurrent: true }), [2, 4.5, 11.5]);
  // mean: w = [0, 1/1, 3/2]
  t.deepEqual(aa({ form: 'mean' }), [1, 3, 6]);
  // mean, includeCurrent: w = [1/1, 3/2, 6/3]
  t.deepEqual(aa({ form: 'mean', includeCurrent: true }), [2, 3.5, 7]);
  // β = 0.5 halves the shaping term
  t.deepEqual(aa({ beta: 0.5 }), [1, 2.125, 3.625]);
});

test('sumOfRewards and whiten: hand-worked', (t) => {
  t.deepEqual(Array.from(credit.sumOfRewards(f32([1, -2, 3.5]), f32([0.5, 2, -1]))), [1.5, 0, 2.5]);
  t.is(credit.sumOfRewards(new Float32Array(0), new Float32Array(0)).length, 0);
  // [1, 2, 3, 4]: mean 2.5, population variance 1.25
  const sd = Math.sqrt(1.25);
  close(t, credit.whiten(f32([1, 2, 3, 4]), { batch: 2, steps: 2 }), [-1.5 / sd, -0.5 / sd, 0.5 / sd, 1.5 / sd]);
  // per step, rows [1, 2] and [3, 6]: column 0 mean 2 std 1, column 1 mean 4 std 2
  close(t, credit.whiten(f32([1, 2, 3, 6]), { batch: 2, steps: 2, perStep: true }), [-1, -1, 1, 1]);
});

test('random inputs agree with the TypeScript reference', (t) => {
  const B = 4;
  const T = 64;
  const r = random(B * T, 1);
  const v = random(B * (T + 1), 2);
  const o = random(B * T, 3);
  for (const gamma of [0, 0.5, 0.9, 0.99, 1]) {
    close(t, credit.discountedReturns(r, { batch: B, steps: T, gamma }), refReturns(r, B, T, gamma), 1e-5, 1e-4);
    close(t, credit.gae(r, v, { batch: B, steps: T, gamma, lambda: 0.95 }), refGae(r, v, B, T, gamma, 0.95), 1e-5, 1e-4);
    for (const includeCurrent of [false, true]) {
      for (const form of ['discounted', 'mean'] as const) {
        const got = credit.advantageAlignment({ own: r, others: o, batch: B, steps: T, beta: 0.7, gamma, includeCurrent, form });
        close(t, got, refAdvantageAlignment(r, o, B, T, 0.7, gamma, includeCurrent, form));
      }
    }
  }
  const x = random(B * T, 4, 3, 9);
  for (const perStep of [false, true]) {
    close(t, credit.whiten(x, { batch: B, steps: T, perStep, eps: 1e-6 }), refWhiten(x, B, T, perStep, 1e-6));
  }
  const sum = credit.sumOfRewards(r, o);
  close(t, sum, Array.from(r, (a, i) => Math.fround(a + o[i])), 0, 0);
});

test('random leaveOneOut with scattered ids and a lone rollout', (t) => {
  const B = 30;
  const T = 11;
  const v = random(B * T, 5, -5, 5);
  const ids = [1_000_000, -7, 42, 3];
  const groups = Int32Array.from({ length: B }, (_, i) => ids[(i * 7) % 4]);
  groups[13] = -(2 ** 31);
  const got = credit.leaveOneOut(v, { batch: B, steps: T, groups, singletons: 'keep' });
  close(t, got, refLeaveOneOut(v, groups, B, T));
  t.deepEqual(Array.from(got.subarray(13 * T, 14 * T)), Array.from(v.subarray(13 * T, 14 * T)));
  close(t, credit.leaveOneOut(v, { batch: B, steps: T }), refLeaveOneOut(v, undefined, B, T));
});

test('5000 steps at γ = 0.9: finite and within 1e-5 of the reference', (t) => {
  const B = 2;
  const T = 5000;
  const gamma = 0.9;
  const a1 = random(B * T, 6);
  const a2 = random(B * T, 7);
  for (const includeCurrent of [false, true]) {
    const got = credit.advantageAlignment({ own: a1, others: a2, batch: B, steps: T, beta: 1, gamma, includeCurrent });
    t.true(got.every(Number.isFinite));
    close(t, got, refAdvantageAlignment(a1, a2, B, T, 1, gamma, includeCurrent, 'discounted'));
  }
  const g = credit.discountedReturns(a1, { batch: B, steps: T, gamma });
  t.true(g.every(Number.isFinite));
  close(t, g, refReturns(a1, B, T, gamma));
});

test('out: reused buffers and in-place use give the same numbers', (t) => {
  const B = 5;
  const T = 8;
  const r = random(B * T, 8);
  const v = random(B * (T + 1), 9);
  const o = random(B * T, 10);
  const groups = [4, 9, 4, 4, 9];
  const cases: Array<[string, (x: Float32Array, out?: Float32Array) => Float32Array]> = [
    ['discountedReturns', (x, out) => credit.discountedReturns(x, { batch: B, steps: T, gamma: 0.9, out })],
    ['gae', (x, out) => credit.gae(x, v, { batch: B, steps: T, gamma: 0.9, lambda: 0.8, out })],
    ['leaveOneOut', (x, out) => credit.leaveOneOut(x, { batch: B, steps: T, groups, out })],
    [
      'advantageAlignment',
      (x, out) => credit.advantageAlignment({ own: x, others: o, batch: B, steps: T, beta: 2, gamma: 0.9, out }),
    ],
    ['sumOfRewards', (x, out) => credit.sumOfRewards(x, o, { out })],
    ['whiten', (x, out) => credit.whiten(x, { batch: B, steps: T, perStep: true, out })],
  ];
  for (const [name, fn] of cases) {
    const fresh = fn(r);
    const buffer = new Float32Array(B * T);
    t.is(fn(r, buffer), buffer, name);
    t.deepEqual(buffer, fresh, name);
    const io = r.slice();
    t.is(fn(io, io), io, name);
    t.deepEqual(io, fresh, name);
  }
});

test('out overlapping an input by part of its length: every function gives the reference numbers', (t) => {
  const B = 4;
  const T = 6;
  const n = B * T;
  const r = random(n, 21);
  const v = random(B * (T + 1), 22);
  const o = random(n, 23);
  const groups = [3, 1, 3, 1];
  // The input at the start of one buffer and out shifted by `shift` elements into it (either way).
  const overlapped = (input: ArrayLike<number>, shift: number) => {
    const buffer = new Float32Array(n + Math.abs(shift) + n);
    const inAt = shift >= 0 ? 0 : -shift;
    const x = buffer.subarray(inAt, inAt + input.length);
    x.set(input);
    const out = buffer.subarray(inAt + shift, inAt + shift + n);
    return { x, out };
  };
  for (const shift of [1, -1, 5, -7]) {
    let a = overlapped(r, shift);
    close(t, credit.discountedReturns(a.x, { batch: B, steps: T, gamma: 0.9, out: a.out }), refReturns(r, B, T, 0.9));
    a = overlapped(r, shift);
    close(t, credit.gae(a.x, v, { batch: B, steps: T, gamma: 0.9, lambda: 0.8, out: a.out }), refGae(r, v, B, T, 0.9, 0.8));
    a = overlapped(v, shift);
    close(t, credit.gae(r, a.x, { batch: B, steps: T, gamma: 0.9, lambda: 0.8, out: a.out }), refGae(r, v, B, T, 0.9, 0.8));
    a = overlapped(r, shift);
    close(t, credit.leaveOneOut(a.x, { batch: B, steps: T, groups, out: a.out }), refLeaveOneOut(r, groups, B, T));
    a = overlapped(r, shift);
    close(
      t,
      credit.advantageAlignment({ own: a.x, others: o, batch: B, steps: T, beta: 2, gamma: 0.9, out: a.out }),
      refAdvantageAlignment(r, o, B, T, 2, 0.9, false, 'discounted'),
    );
    a = overlapped(o, shift);
    close(
      t,
      credit.advantageAlignment({ own: r, others: a.x, batch: B, steps: T, beta: 2, gamma: 0.9, out: a.out }),
      refAdvantageAlignment(r, o, B, T, 2, 0.9, false, 'discounted'),
    );
    a = overlapped(o, shift);
    close(t, credit.sumOfRewards(r, a.x, { out: a.out }), Array.from(r, (x, i) => x + o[i]));
    a = overlapped(r, shift);
    close(t, credit.whiten(a.x, { batch: B, steps: T, perStep: false, out: a.out }), refWhiten(r, B, T, false, 1e-8));
  }
  // Group ids in the same memory as out: writing results must not turn them into other ids.
  const mem = new ArrayBuffer(n * 4);
  const ids = new Int32Array(mem, 0, B);
  ids.set(groups);
  const out = new Float32Array(mem);
  close(t, credit.leaveOneOut(r, { batch: B, steps: T, groups: ids, out }), refLeaveOneOut(r, groups, B, T));
});

function shared(x: Float32Array): Float32Array {
  const s = new Float32Array(new SharedArrayBuffer(x.byteLength));
  s.set(x);
  return s;
}

test('without out: each result is a new, exactly sized, fully written array; shared inputs give the same numbers', (t) => {
  // 80 KB per result: past the size where results come from uninitialised memory.
  const B = 400;
  const T = 50;
  const r = random(B * T, 11);
  const v = random(B * (T + 1), 12);
  const o = random(B * T, 13);
  const groups = Int32Array.from({ length: B }, (_, i) => i % 7);
  const cases: Array<[string, (x: Float32Array, y: Float32Array, out?: Float32Array) => Float32Array, Float32Array]> = [
    ['discountedReturns', (x, _y, out) => credit.discountedReturns(x, { batch: B, steps: T, gamma: 0.9, out }), o],
    ['gae', (x, y, out) => credit.gae(x, y, { batch: B, steps: T, gamma: 0.9, lambda: 0.8, out }), v],
    ['leaveOneOut', (x, _y, out) => credit.leaveOneOut(x, { batch: B, steps: T, groups, out }), o],
    [
      'advantageAlignment',
      (x, y, out) => credit.advantageAlignment({ own: x, others: y, batch: B, steps: T, beta: 2, gamma: 0.9, out }),
      o,
    ],
    ['sumOfRewards', (x, y, out) => credit.sumOfRewards(x, y, { out }), o],
    ['whiten', (x, _y, out) => credit.whiten(x, { batch: B, steps: T, out }), o],
  ];
  for (const [name, fn, second] of cases) {
    const want = new Float32Array(B * T).fill(NaN);
    fn(r, second, want);
    const results = [fn(r, second), fn(r, second), fn(r, second)];
    for (const got of results) {
      t.true(got instanceof Float32Array, name);
      t.is(got.length, B * T, name);
      t.is(got.byteOffset, 0, name);
      t.is(got.buffer.byteLength, B * T * 4, name);
      t.deepEqual(new Uint32Array(got.buffer), new Uint32Array(want.buffer), name);
    }
    t.not(results[0].buffer, results[1].buffer, name);
    t.not(results[1].buffer, results[2].buffer, name);
    t.deepEqual(fn(shared(r), shared(second)), want, `${name} on SharedArrayBuffers`);
    const io = shared(r);
    fn(io, second, io);
    t.deepEqual(io, want, `${name} in place on a SharedArrayBuffer`);
  }
});

const INVALID = { code: 'ERR_INVALID_ARGUMENT' };

test('errors: wrong length, wrong type, NaN γ, negative batch, unknown option', (t) => {
  const x = new Float32Array(6);
  t.throws(() => credit.discountedReturns(x, { batch: 2, steps: 4, gamma: 0.9 }), {
    ...INVALID,
    message: 'rewards must have 8 elements, got 6',
  });
  t.throws(() => credit.discountedReturns(new Float64Array(6) as never, { batch: 2, steps: 3, gamma: 0.9 }), {
    ...INVALID,
    message: /rewards must be a Float32Array/,
  });
  t.throws(() => credit.discountedReturns(x, { batch: 2, steps: 3, gamma: NaN }), {
    ...INVALID,
    message: 'options.gamma must be a finite number in [0, 1], got NaN',
  });
  t.throws(() => credit.discountedReturns(x, { batch: -2, steps: 3, gamma: 0.9 }), {
    ...INVALID,
    message: /^options\.batch must be an integer/,
  });
  t.throws(() => credit.discountedReturns(x, { batch: 2, steps: 3, gamma: 0.9, gama: 0.9 } as never), {
    ...INVALID,
    message: /^options\.gama is not a known option/,
  });
});

test('errors: every function checks its options', (t) => {
  const x = new Float32Array(6);
  const shape = { batch: 2, steps: 3 };
  t.throws(() => credit.gae(x, new Float32Array(6), { ...shape, gamma: 0.9, lambda: 0.9 }), {
    ...INVALID,
    message: 'values must have 8 elements, got 6',
  });
  t.throws(() => credit.gae(x, new Float32Array(8), { ...shape, gamma: 0.9, lambda: 1.5 }), INVALID);
  t.throws(() => credit.leaveOneOut(x, { ...shape, groups: [1, 2, 3] }), INVALID);
  t.throws(() => credit.leaveOneOut(x, { ...shape, groups: [1, 2.5] }), { ...INVALID, message: /groups\[1\]/ });
  t.throws(() => credit.leaveOneOut(x, { ...shape, groups: 'ab' as never }), INVALID);
  t.throws(() => credit.leaveOneOut(x, { ...shape, out: new Float32Array(5) }), { ...INVALID, message: /options\.out/ });
  const aa = { own: x, others: x, ...shape, beta: 1, gamma: 0.9 };
  t.throws(() => credit.advantageAlignment({ ...aa, beta: Infinity }), INVALID);
  t.throws(() => credit.advantageAlignment({ ...aa, beta: 1e39 }), INVALID);
  t.throws(() => credit.advantageAlignment({ ...aa, form: 'median' as never }), { ...INVALID, message: /options\.form/ });
  t.throws(() => credit.advantageAlignment({ ...aa, includeCurrent: 1 as never }), INVALID);
  t.throws(() => credit.advantageAlignment({ ...aa, others: new Float32Array(5) }), INVALID);
  t.throws(() => credit.sumOfRewards(x, new Float32Array(5)), INVALID);
  t.throws(() => credit.sumOfRewards(x, x, { out: x, extra: 1 } as never), INVALID);
  t.throws(() => credit.whiten(x, { ...shape, eps: 0 }), { ...INVALID, message: /options\.eps/ });
  t.throws(() => credit.whiten(x, { ...shape, perStep: 'yes' as never }), INVALID);
  t.throws(() => credit.whiten(x, undefined as never), { ...INVALID, message: /^options must be an object/ });
  t.throws(() => credit.discountedReturns(x, { batch: 2 ** 20, steps: 2 ** 20, gamma: 0.9 }), {
    code: 'ERR_TOO_LARGE',
  });
});

test('the native binding rejects hostile arguments with codes', (t) => {
  // Deliberately wrong calls: the raw functions typed loosely.
  const raw = native().credit as unknown as Record<string, (options?: unknown) => unknown>;
  const x = new Float32Array(6);
  const s = { out: x, batch: 2, steps: 3 };
  const calls: Array<() => unknown> = [
    () => raw.discountedReturns(),
    () => raw.discountedReturns(null),
    () => raw.discountedReturns([x, x, 2, 3, 0.9]),
    () => raw.discountedReturns({ rewards: x, ...s, gamma: NaN }),
    () => raw.discountedReturns({ rewards: x, ...s, out: new Float64Array(6), gamma: 0.9 }),
    () => raw.discountedReturns({ rewards: x, ...s, steps: 4, gamma: 0.9 }),
    () => raw.discountedReturns({ rewards: x, ...s, batch: 2.5, gamma: 0.9 }),
    () => raw.discountedReturns({ rewards: x, ...s, batch: -1, gamma: 0.9 }),
    () => raw.discountedReturns({ rewards: x, ...s }),
    () => raw.gae({ rewards: x, values: x, ...s, gamma: 0.9, lambda: 0.9 }),
    () => raw.leaveOneOut({ values: x, groups: new Int32Array(3), ...s }),
    () => raw.leaveOneOut({ values: x, groups: [0, 1], ...s }),
    () => raw.advantageAlignment({ own: x, others: x, ...s, beta: 1, gamma: 0.9, includeCurrent: false, form: 'other' }),
    () => raw.advantageAlignment({ own: x, others: x, ...s, beta: 1, gamma: 0.9, includeCurrent: 'no', form: 'mean' }),
    () => raw.advantageAlignment({ own: x, others: x, ...s, beta: 1, gamma: 0.9, includeCurrent: false, form: 'mean', backend: 'gpu' }),
    () => raw.sumOfRewards({ own: x, others: x, out: new Float32Array(2) }),
    () => raw.whiten({ x, ...s, perStep: false, eps: 0 }),
    () => raw.whiten({ x, ...s, perStep: false, eps: -1 }),
    () => raw.whiten({ x: { length: 6 }, ...s, perStep: false, eps: 1e-8 }),
  ];
  for (const call of calls) t.throws(call, INVALID);
  t.throws(() => raw.discountedReturns({ rewards: x, out: x, batch: 2 ** 20, steps: 2 ** 20, gamma: 0.9 }), { code: 'ERR_TOO_LARGE' });
  // The error names the member as the caller passed it.
  t.throws(() => raw.gae({ rewards: x, values: x, ...s, gamma: 2, lambda: 0.9 }), { ...INVALID, message: /^options\.gamma/ });
});

test('the native credit functions read each option once, before taking any array view', (t) => {
  const raw = native().credit;
  // A getter that detaches the input's memory when a later member is read:
  // every member is read first, so the detached array is refused, never read.
  const x = new Float32Array(6).fill(1);
  const out = new Float32Array(6);
  let reads = 0;
  const options = {
    x,
    out,
    batch: 2,
    steps: 3,
    perStep: false,
    get eps() {
      reads++;
      structuredClone(x.buffer, { transfer: [x.buffer] });
      return 1e-8;
    },
  };
  t.throws(() => raw.whiten(options), { ...INVALID, message: /options\.x/ });
  t.is(reads, 1);
  t.is(x.length, 0);
  // The same getter on a valid call runs once, and the result is right.
  let gammaReads = 0;
  const rewards = Float32Array.of(1, 1, 1);
  const valid = {
    rewards,
    out: new Float32Array(3),
    batch: 1,
    steps: 3,
    get gamma() {
      gammaReads++;
      return 0.5;
    },
  };
  t.deepEqual(Array.from(raw.discountedReturns(valid)), [1.75, 1.5, 1]);
  t.is(gammaReads, 1);
});

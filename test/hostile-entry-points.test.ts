/**
 * Hostile callers of the newer entry points: trainable ONNX policies'
 * setWeights, Trainer.fitActions and restore, rollout's `out`, tournament
 * pairs, claimInformation. Cases that crashed the process before their fix
 * run in a child process (test/hostile-entry-child.ts); the others here.
 */
import test, { type ExecutionContext } from 'ava';
import { fileURLToPath } from 'node:url';
import { claimInformation, gameFact, gameLayout, inspectOnnx, layoutField, loss, onnx, rollout, Trainer } from '../src/index.js';
import { readInitializers } from '../src/onnx-writer/initializers.js';
import { onnxStatus } from '../src/onnx-runtime.js';
import { mlpPolicy } from '../src/onnx-writer/index.js';
import { runChild, taggedLine } from './helpers/child.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const onnxTest = onnxStatus().available ? test : test.skip;

/** Runs a case of hostile-entry-child.ts; it must exit cleanly. Its probes' outcomes. */
async function outcomes(t: ExecutionContext, name: string, flags: string[] = []): Promise<Record<string, string>> {
  t.timeout(60_000);
  const r = await runChild(process.execPath, [...flags, '--import', 'tsx', 'test/hostile-entry-child.ts', name], { cwd: root, timeoutMs: 50_000 });
  t.is(r.signal, null, `killed by ${r.signal}: ${r.output.slice(-2000)}`);
  t.is(r.code, 0, r.output.slice(-2000));
  const report = taggedLine(r.output, 'HOSTILE') as Record<string, string> | undefined;
  t.truthy(report, r.output.slice(-2000));
  t.log(report);
  return report ?? {};
}

test('an Array.prototype index setter that shrinks resizable out buffers mid-call: refused before any view is used', async (t) => {
  const r = await outcomes(t, 'index-setter');
  t.is(r.rollout, 'ERR_INVALID_ARGUMENT:resizable');
});

test('5,000 seeded hostile calls to the newer raw entry points (setWeights, tournament pairs, resultPool, fitActions, restore, ...): coded errors only', async (t) => {
  // Before the fixes this aborted with heap corruption (getters disposing the trainer mid-call).
  const r = await outcomes(t, 'fuzz-new');
  t.is(r.calls, '5000');
  t.deepEqual(JSON.parse(r.uncoded), []);
  const counts = JSON.parse(r.outcomes) as Record<string, number>;
  t.deepEqual(Object.keys(counts).filter((k) => !k.startsWith('ERR_') && k !== 'ok'), []);
  // Valid calls are mixed in, and the coded refusals include every kind expected.
  t.true(counts.ok > 500 && counts.ERR_INVALID_ARGUMENT > 500 && counts.ERR_DISPOSED > 0, r.outcomes);
});

// The result's statNames array is filled after out's views were taken; were it
// assigned element by element, an index setter on Array.prototype would run the
// caller's code there, and one that transfers out's buffers away and collects
// them would free the memory the inline rollout then writes.
test('an Array.prototype index setter cannot run mid-rollout (statNames is defined, not assigned)', async (t) => {
  const r = await outcomes(t, 'index-setter-detach', ['--expose-gc']);
  t.is(r.setterRan, '0'); // the binding no longer runs caller code after taking views
  t.is(r.rollout, 'ok');
});

test('fitActions and restore getters that dispose the trainer or start an iteration: ERR_DISPOSED / ERR_BUSY, no use after free', async (t) => {
  const r = await outcomes(t, 'trainer');
  t.is(r['Trainer.fitActions getter disposes'], 'ERR_DISPOSED');
  t.is(r['raw fitActions getter disposes'], 'ERR_DISPOSED');
  t.is(r['raw fitActions getter iterates'], 'ERR_BUSY');
  t.is(r['raw restore getter disposes'], 'ERR_DISPOSED');
  t.is(r['raw restore getter iterates'], 'ERR_BUSY');
});

test('resizable ArrayBuffers are refused by every kind of array argument, naming it; growable shared memory is accepted', async (t) => {
  const r = await outcomes(t, 'resizable');
  for (const [name, outcome] of Object.entries(r)) {
    t.is(outcome, name === 'growable SharedArrayBuffer' ? 'ok' : 'ERR_INVALID_ARGUMENT:resizable', name);
  }
  t.true(Object.keys(r).length >= 7);
});

onnxTest('setWeights of a trainable ONNX policy: Proxies, non-finite values and wrong dtypes are coded errors naming the weight', (t) => {
  const p = onnx(mlpPolicy({ obsDim: 5, actions: 2, hidden: [4] }).bytes, { trainable: true });
  const n = p.parameterCount;
  const first = p.weightInfo[0].name;
  t.throws(() => p.setWeights(new Proxy(new Float32Array(n), {})), { code: 'ERR_INVALID_ARGUMENT' });
  const nan = new Float32Array(n);
  nan[3] = Number.NaN;
  const e = t.throws(() => p.setWeights(nan), { code: 'ERR_INVALID_ARGUMENT' });
  t.regex(e?.message ?? '', new RegExp(`weights\\['${first.replace(/[.]/g, '\\.')}'\\]\\[3\\] is nan`, 'i'));
  const inf = new Float32Array(n);
  inf[n - 1] = -Infinity;
  t.regex(t.throws(() => p.setWeights(inf))?.message ?? '', /is -inf(inity)?, not a finite number/i);
  t.throws(() => p.setWeights(new Float64Array(n) as unknown as Float32Array), { code: 'ERR_INVALID_ARGUMENT' });
  t.notThrows(() => p.setWeights(new Float32Array(n)));
  p.dispose();
});

test('fitActions refuses non-finite observations, naming the first (a tabular model read NaN as 0 and fitted)', async (t) => {
  const trainer = Trainer.create({ game: { id: 'ipd' }, batch: 8, seed: 1 });
  const steps = 10, obsDim = 5;
  const observations = new Float32Array(steps * obsDim);
  observations[7] = Number.NaN;
  const e = await t.throwsAsync(trainer.fitActions({ sequences: 1, steps, observations, actions: new Int32Array(steps) }), { code: 'ERR_INVALID_ARGUMENT' });
  t.regex(e?.message ?? '', /data\.observations\[7\] is nan/i);
  // The same data with the value fixed fits: loss ln 2 for a fresh tabular policy's uniform start.
  observations[7] = 0;
  const m = await trainer.fitActions({ sequences: 1, steps, observations, actions: new Int32Array(steps) });
  t.true(Math.abs(m.loss - Math.LN2) < 1e-6, `loss ${m.loss}`);
  trainer.dispose();
});

test('claimInformation refuses a trajectory whose fields do not fit its shape, and Proxies of its arrays', async (t) => {
  const tr = await rollout({ game: 'trust-and-split', policies: ['greedy-splitter', 'greedy-splitter'], batch: 2 });
  t.throws(() => claimInformation({ ...tr, batch: Number.NaN }), { code: 'ERR_INVALID_ARGUMENT' });
  t.throws(() => claimInformation({ ...tr, batch: 3 }), { code: 'ERR_INVALID_ARGUMENT' });
  t.throws(() => claimInformation({ ...tr, observations: new Proxy(tr.observations, {}) }), { code: 'ERR_INVALID_ARGUMENT' });
  t.throws(() => claimInformation({ batch: 1, steps: 1, agents: 2 } as never), { code: 'ERR_INVALID_ARGUMENT' });
  // A batch-size getter that answers differently after its check: the checked value is the one used.
  let reads = 0;
  const shifty = { ...tr };
  Object.defineProperty(shifty, 'batch', { enumerable: true, get: () => (++reads === 1 ? 2 : 1000) });
  t.deepEqual(claimInformation(shifty), claimInformation(tr));
});

/** Hand-computed log-softmax of each row of x ([rows, A]). */
function logSoftmaxRef(x: ArrayLike<number>, A: number): number[] {
  const out: number[] = [];
  for (let r = 0; r < x.length / A; r++) {
    const row = Array.from({ length: A }, (_, k) => x[r * A + k]);
    const m = Math.max(...row);
    const lse = m + Math.log(row.reduce((s, v) => s + Math.exp(v - m), 0));
    out.push(...row.map((v) => v - lse));
  }
  return out;
}

test('loss results written one element past their input (out overlapping logits or credits) are still the right numbers', (t) => {
  const x = [0.5, -1, 2, 0.25, -0.75, 1.5, 0, 3];
  const expected = logSoftmaxRef(x, 2);
  // out starts one element after logits in the same buffer.
  const buf = new Float32Array(9);
  buf.set(x);
  const got = loss.logSoftmax(buf.subarray(0, 8), { rows: 4, actions: 2, out: buf.subarray(1, 9) });
  got.forEach((v, i) => t.true(Math.abs(v - expected[i]) < 1e-5, `logSoftmax[${i}] ${v} vs ${expected[i]}`));

  // REINFORCE over rows normalisation: dz = -(c / N)(onehot(a) - softmax(z)).
  const actions = new Int32Array([0, 1, 1, 0]);
  const c = [1, -1, 0.5, 2];
  const grad = expected.map((lp, i) => {
    const r = Math.floor(i / 2), k = i % 2;
    return -(c[r] / 4) * ((actions[r] === k ? 1 : 0) - Math.exp(lp));
  });
  // logits [0, 8), credits [8, 12), out [4, 12): out covers half the logits and all credits.
  const mem = new Float32Array(12);
  mem.set(x);
  mem.set(c, 8);
  const r = loss.policyGradient({
    logits: mem.subarray(0, 8), actions, credits: mem.subarray(8, 12), actionsCount: 2,
    objective: 'reinforce', entropyCoef: 0, klCoef: 0, normalize: 'rows', out: mem.subarray(4, 12),
  });
  r.gradLogits.forEach((v, i) => t.true(Math.abs(v - grad[i]) < 1e-5, `gradLogits[${i}] ${v} vs ${grad[i]}`));
  const lossRef = -c.reduce((s, ci, row) => s + ci * expected[row * 2 + actions[row]], 0) / 4;
  t.true(Math.abs(r.loss - lossRef) < 1e-5, `loss ${r.loss} vs ${lossRef}`);
});

test('gameFact and layoutField given something other than a layout: coded errors naming the argument', (t) => {
  t.throws(() => gameFact('ipd' as never, 'x'), { code: 'ERR_INVALID_ARGUMENT', message: /^layout must be a gameLayout\(\) result/ });
  t.throws(() => gameFact(null as never, 'x'), { code: 'ERR_INVALID_ARGUMENT' });
  t.throws(() => gameFact({ facts: [null] } as never, 'x'), { code: 'ERR_UNSUPPORTED' });
  t.throws(() => layoutField('x' as never, 'hand'), { code: 'ERR_INVALID_ARGUMENT', message: /^fields must be/ });
  t.is(layoutField(gameLayout('trust-and-split').observation, 'hand').name, 'hand');
});

/** ModelProto bytes with one float32 initializer 'w' of these dims holding one value. */
function craftedModel(dims: bigint[]): Uint8Array {
  const varint = (n: bigint): number[] => {
    const o: number[] = [];
    do {
      let b = Number(n & 0x7fn);
      n >>= 7n;
      if (n) b |= 0x80;
      o.push(b);
    } while (n);
    return o;
  };
  const field = (num: number, wire: number, payload: number[]) => [...varint(BigInt((num << 3) | wire)), ...payload];
  const bytes = (num: number, body: number[]) => field(num, 2, [...varint(BigInt(body.length)), ...body]);
  // dims (1), data_type (2) = FLOAT, name (8), raw_data (9) = 1.0f
  const tensor = [...dims.flatMap((d) => field(1, 0, varint(d))), ...field(2, 0, varint(1n)), ...bytes(8, [0x77]), ...bytes(9, [0, 0, 0x80, 0x3f])];
  return new Uint8Array(bytes(7, bytes(5, tensor)));
}

test('trainable ONNX weights whose dims the bytes do not hold: ERR_MODEL_LOAD before anything is allocated for them', (t) => {
  // [2^20, 2^20] asked for a 4 TiB array (an uncoded RangeError); -1 reads as 2^64 - 1; 2^28 allocated 1 GiB first.
  for (const dims of [[1n << 20n, 1n << 20n], [(1n << 64n) - 1n], [1n << 28n]]) {
    t.throws(() => readInitializers(craftedModel(dims)), { code: 'ERR_MODEL_LOAD', message: /model weight 'w' holds 4 bytes for shape/ });
  }
  t.deepEqual(readInitializers(craftedModel([1n])).map((w) => [w.name, w.shape, Array.from(w.data)]), [['w', [1], [1]]]);
});

test('a Proxy of model bytes is refused with a code by onnx() and inspectOnnx()', (t) => {
  const bytes = mlpPolicy({ obsDim: 5, actions: 2, hidden: [4] }).bytes;
  t.throws(() => onnx(new Proxy(bytes, {}), { trainable: true }), { code: 'ERR_INVALID_ARGUMENT' });
  t.throws(() => inspectOnnx(new Proxy(bytes, {})), { code: 'ERR_INVALID_ARGUMENT' });
  t.throws(() => onnx({ model: new Proxy(bytes, {}), data: new Uint8Array(1) }), { code: 'ERR_INVALID_ARGUMENT' });
});

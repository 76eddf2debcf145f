/**
 * ONNX models as a hostile file would declare them: tensor widths near 2^63
 * whose sum wraps past 2^64, refused when the policy is made; and undisposed
 * ONNX policies, whose native memory V8 is told about so that its garbage
 * collector frees them (checked in a child process by resident memory).
 */
import test from 'ava';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { onnxStatus } from '../src/onnx-runtime.js';
import { GraphBuilder, encodeModel } from '../src/onnx-writer/model.js';
import { native } from '../src/native.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const available = onnxStatus().available;
const onnxTest = available ? test : test.skip;
/* eslint-disable @typescript-eslint/no-explicit-any */
const b: any = native();

/** obs [batch, 5] → logits [batch, 2], plus one Identity state pair per width. */
function crafted(widths: bigint[]): Uint8Array {
  const g = new GraphBuilder('crafted');
  const obs = g.input('obs', ['batch', 5]);
  const w = g.constant('W', [5, 2], new Float32Array(10));
  g.op('MatMul', [obs, w], undefined, 'logits');
  g.output('logits', ['batch', 2]);
  widths.forEach((h, i) => {
    g.op('Identity', [g.input(`h${i}`, ['batch', h])], undefined, `h${i}_out`);
    g.output(`h${i}_out`, ['batch', h]);
  });
  return encodeModel({ graph: g.graph() });
}

onnxTest('state widths that wrap past 2^64, or pass the per-environment limit, are refused when the policy is made', async (t) => {
  const cases: Array<[bigint[], RegExp]> = [
    // Four widths of 2^62: their sum is 2^64, which wraps to 0 in 64 bits.
    [[2n ** 62n, 2n ** 62n, 2n ** 62n, 2n ** 62n], /state input 'h0' dimension 1 is 4611686018427387904, over the limit of 16777216/],
    [[2n ** 63n - 1024n, 1040n], /state input 'h0' dimension 1 is 9223372036854774784/],
    // Each within the limit, the sum past it.
    [[2n ** 23n, 2n ** 23n, 1n], /state inputs declare 16777217 values per environment up to 'h2'/],
  ];
  const game = new b.Game('ipd', {});
  for (const [widths, message] of cases) {
    t.throws(() => b.onnxPolicy(crafted(widths), {}), { code: 'ERR_MODEL_SHAPE', message }, widths.join(', '));
  }
  // A sane model of the same form plays.
  const p = b.onnxPolicy(crafted([3n, 4n]), {});
  const traj = await b.rollout(game, [p, p], { batch: 4096, steps: 2 });
  t.is(traj.actions.length, 4096 * 2 * 2);
  p.dispose();
  game.dispose();
});

test('the writer refuses dims it cannot encode exactly, and writes int64 dims past 2^53 given as bigints', (t) => {
  const g = new GraphBuilder('dims');
  t.throws(() => encodeModel({ graph: { ...g.graph(), inputs: [{ name: 'x', elemType: 'float32', shape: [2 ** 60] }] } }), { code: 'ERR_INVALID_ARGUMENT', message: /not a safe integer/ });
  t.throws(() => encodeModel({ graph: { ...g.graph(), inputs: [{ name: 'x', elemType: 'float32', shape: [2n ** 63n] }] } }), { code: 'ERR_INVALID_ARGUMENT', message: /outside int64/ });
  const bytes = encodeModel({ graph: { ...g.graph(), inputs: [{ name: 'x', elemType: 'float32', shape: ['batch', 2n ** 62n] }] } });
  // dim_value 2^62 as a varint: 0x80 × 8 then 0x40.
  const varint = [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x40];
  t.true(Buffer.from(bytes).includes(Buffer.from([0x08, ...varint])));
  // An initializer whose dims' product only rounds to its length is refused.
  t.throws(
    () => encodeModel({ graph: { ...g.graph(), initializers: [{ name: 'w', dims: [2 ** 53, 3], data: new Float32Array(0) }] } }),
    { code: 'ERR_INVALID_ARGUMENT' },
  );
});

onnxTest('undisposed ONNX policies report their native memory: 1,200 of them stay within a bounded resident size', async (t) => {
  t.timeout(60_000);
  const script = `
    import { native } from './src/native.js';
    import { onnxStatus } from './src/onnx-runtime.js';
    import { mlpPolicy } from './src/onnx-writer/index.js';
    onnxStatus();
    const b = native();
    const bytes = mlpPolicy({ obsDim: 5, actions: 2, hidden: [64], seed: 1 }).bytes;
    const rss = process.memoryUsage().rss;
    for (let i = 0; i < 1200; i++) {
      b.onnxPolicy(bytes, {});
      if (i % 50 === 0) await new Promise((r) => setImmediate(r));
    }
    console.log('GROWTH ' + (process.memoryUsage().rss - rss));`;
  const output = await new Promise<string>((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('close', () => resolve(out));
  });
  const line = output.split('\n').find((l) => l.startsWith('GROWTH '));
  t.truthy(line, output.slice(-2000));
  const growth = Number(line!.slice(7));
  t.log(`resident growth after 1,200 undisposed policies: ${(growth / 1e6).toFixed(1)} MB`);
  // Unreported, the sessions stay until the JavaScript heap alone triggers a
  // collection: about 120 MB here (1.7 GB with the larger models).
  t.true(growth < 60e6, `${growth} bytes`);
});

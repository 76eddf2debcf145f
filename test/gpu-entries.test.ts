// The `gpu` option of rollout(), loss.policyGradient() and Trainer where no
// GPU can be used (here and in CI): 'cuda' is refused with
// ERR_BACKEND_UNAVAILABLE and the reason engineInfo().cuda gives (or, for a
// trainer config the device trainer does not cover, what it lacks), 'auto'
// gives exactly the CPU's results even for work large enough to be sent to a
// GPU, and bad values are refused naming the option. On a machine with a GPU
// the CUDA parity tests (cuda/tests) check the kernels against the CPU, and
// the trainer test here checks the device trainer within the parity rule.
import test from 'ava';
import {
  engineInfo,
  loss,
  rollout,
  scripted,
  setGpu,
  DilemmaError,
  ErrorCode,
  LOSS_AUTO_CUDA_MIN_ELEMENTS,
  ROLLOUT_AUTO_CUDA_MIN_AGENT_STEPS,
  TRAIN_AUTO_CUDA_MIN_AGENT_STEPS,
  type IterationMetrics,
  type TrainConfig,
} from '../src/index.js';
import { modelPolicy, Trainer } from '../src/train.js';

const cuda = engineInfo().cuda;

// Bit-for-bit equality of two typed arrays (ava's deepEqual walks millions of elements slowly).
const sameBytes = (a: ArrayBufferView, b: ArrayBufferView) =>
  Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));

// A tabular IPD policy of history 1 (5 states x 2 logits) with mixed probabilities.
const table = (shift: number) => modelPolicy({ kind: 'tabular' }, { obsDim: 5, actions: 2 }, Float32Array.from({ length: 10 }, (_, i) => Math.sin(i + shift)), `t${shift}`);

// 4096 x 128 x 2 = 2^20 agent-steps: large enough for 'auto' to look for a GPU.
const big = () => ({ game: { id: 'ipd' as const, params: { rounds: 128, noise: 0.05 } }, policies: [table(0), table(1)], batch: 4096, seed: 7 });

test('rollout: gpu "auto" is the CPU rollout bit for bit when no GPU is usable', async (t) => {
  t.true(4096 * 128 * 2 >= ROLLOUT_AUTO_CUDA_MIN_AGENT_STEPS);
  if (cuda.available) return t.pass('a GPU is usable here: cuda/tests check the kernel against the CPU');
  const cpu = await rollout({ ...big(), gpu: false });
  const auto = await rollout({ ...big(), gpu: 'auto' });
  for (const k of ['actions', 'logProbs', 'entropies', 'rewards', 'dones', 'mask', 'observations'] as const) {
    t.true(auto[k].length === cpu[k].length && sameBytes(auto[k], cpu[k]), k);
  }
  // Not all zero: the policies sample both actions.
  t.true(cpu.actions.some((a) => a === 0) && cpu.actions.some((a) => a === 1));
});

test("rollout: gpu 'cuda' without a usable GPU is ERR_BACKEND_UNAVAILABLE with the reason", async (t) => {
  if (cuda.available) return t.pass();
  for (const policies of [[table(0), table(1)], [scripted('tit-for-tat'), scripted('random', { p: 0.3 })]]) {
    const err = await t.throwsAsync(rollout({ game: 'ipd', policies, batch: 2, gpu: 'cuda' }), {
      instanceOf: DilemmaError,
      code: ErrorCode.BackendUnavailable,
    });
    t.true(err!.message.includes(cuda.reason!), err!.message);
  }
  // The engine default reaches rollout() too.
  try {
    setGpu('cuda');
    await t.throwsAsync(rollout({ game: 'ipd', policies: [scripted('tit-for-tat'), scripted('tit-for-tat')], batch: 2 }), {
      code: ErrorCode.BackendUnavailable,
    });
    setGpu(false);
    const r = await rollout({ game: 'ipd', policies: [scripted('tit-for-tat'), scripted('tit-for-tat')], batch: 2, steps: 3 });
    t.deepEqual([...r.actions], [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
  } finally {
    setGpu(undefined);
  }
});

test('rollout: a bad gpu value is refused naming options.gpu', async (t) => {
  for (const gpu of ['gpu', true, 'cpu', 0]) {
    await t.throwsAsync(rollout({ game: 'ipd', policies: [scripted('tit-for-tat'), scripted('tit-for-tat')], batch: 1, gpu } as never), {
      code: ErrorCode.InvalidArgument,
      message: /options\.gpu must be "auto", "cuda" or false/,
    });
  }
});

// Two actions, one row per pair: rows x 2 >= the 'auto' threshold.
function lossInputs(rows: number) {
  const logits = Float32Array.from({ length: rows * 2 }, (_, i) => Math.sin(i) * 2);
  const actions = Int32Array.from({ length: rows }, (_, i) => (i % 7 === 3 ? -1 : i % 2));
  const credits = Float32Array.from({ length: rows }, (_, i) => Math.cos(i));
  const mask = Uint8Array.from({ length: rows }, (_, i) => (i % 7 === 3 ? 0 : 1));
  return { logits, actions, credits, mask, actionsCount: 2 };
}

test('loss.policyGradient: gpu "auto" equals the CPU when no GPU is usable; "cuda" is refused with the reason', (t) => {
  const rows = LOSS_AUTO_CUDA_MIN_ELEMENTS / 2;
  const cpu = loss.policyGradient({ ...lossInputs(rows), gpu: false, entropyCoef: 0.01 });
  if (!cuda.available) {
    const auto = loss.policyGradient({ ...lossInputs(rows), gpu: 'auto', entropyCoef: 0.01 });
    const { gradLogits, ...parts } = auto;
    const { gradLogits: cpuGrad, ...cpuParts } = cpu;
    t.deepEqual(parts, cpuParts);
    t.true(sameBytes(gradLogits, cpuGrad));
    const err = t.throws(() => loss.policyGradient({ ...lossInputs(4), gpu: 'cuda' }), {
      instanceOf: DilemmaError,
      code: ErrorCode.BackendUnavailable,
    });
    t.true(err!.message.includes(cuda.reason!), err!.message);
  }
  // Row 0: z = (0, sin 1), action 0, credit 1, ratio 1, mask normaliser = live rows.
  const live = Array.from({ length: rows }, (_, i) => i % 7 !== 3).filter(Boolean).length;
  const p0 = 1 / (1 + Math.exp(2 * Math.sin(1) - 0));
  const h0 = -(p0 * Math.log(p0) + (1 - p0) * Math.log(1 - p0));
  t.true(Math.abs(cpu.gradLogits[0] - (-(1 - p0) / live - 0.01 * (-p0 * (Math.log(p0) + h0)) / live)) < 1e-9);
  t.throws(() => loss.policyGradient({ ...lossInputs(4), gpu: 'yes' } as never), {
    code: ErrorCode.InvalidArgument,
    message: /options\.gpu must be "auto", "cuda" or false/,
  });
});

// Two (or `steps`) iterations of a trainer; its device, parameters, full state and metrics (less the wall time).
async function twoSteps(config: TrainConfig, steps = 2) {
  const trainer = Trainer.create(config);
  try {
    const metrics: Omit<IterationMetrics, 'seconds'>[] = [];
    for (let i = 0; i < steps; ++i) {
      const { seconds: _s, ...m } = await trainer.step();
      metrics.push(m);
    }
    return { device: trainer.device, params: trainer.params(), state: trainer.state(), metrics };
  } finally {
    trainer.dispose();
  }
}

test("Trainer: gpu false and 'auto' train on the CPU alike below the threshold; 'cuda' without a GPU is refused with the reason", async (t) => {
  const config = { iterations: 2, batch: 16, seed: 3 };
  const runs = [];
  for (const gpu of [false, 'auto', undefined] as const) runs.push(await twoSteps({ ...config, ...(gpu === undefined ? {} : { gpu }) }));
  for (const r of runs) t.is(r.device, 'cpu');
  t.deepEqual(runs[1], runs[0]);
  t.deepEqual(runs[2], runs[0]);
  if (!cuda.available) {
    const err = t.throws(() => Trainer.create({ ...config, gpu: 'cuda' }), { instanceOf: DilemmaError, code: ErrorCode.BackendUnavailable });
    t.true(err!.message.includes(cuda.reason!), err!.message);
    // The engine default reaches the trainer too.
    try {
      setGpu('cuda');
      t.throws(() => Trainer.create(config), { code: ErrorCode.BackendUnavailable });
    } finally {
      setGpu(undefined);
    }
  }
  t.throws(() => Trainer.create({ ...config, gpu: 'yes' } as never), { code: ErrorCode.InvalidParam, message: /gpu/ });
});

test("Trainer: gpu 'auto' above the threshold is the CPU bit for bit without a GPU (within the parity rule on one)", async (t) => {
  // 4096 x 128 x 2 = 2^20 agent-steps per iteration; AA with past rewards, groups, an entropy bonus.
  const config: TrainConfig = {
    game: { id: 'ipd', params: { rounds: 128, noise: 0.05 } },
    batch: 4096,
    groupSize: 64,
    seed: 5,
    aaPast: 'rewards',
    entropyCoef: 0.01,
    lr: 0.1,
  };
  t.true(4096 * 128 * 2 >= TRAIN_AUTO_CUDA_MIN_AGENT_STEPS);
  const cpu = await twoSteps({ ...config, gpu: false });
  const auto = await twoSteps({ ...config, gpu: 'auto' });
  // The run learned something: both steps moved the parameters.
  t.true(cpu.params.some((x) => x !== 0));
  t.true(cpu.metrics[0].gradNorm > 0 && cpu.metrics[1].gradNorm > 0);
  if (!cuda.available) {
    t.is(auto.device, 'cpu');
    t.deepEqual(auto, cpu);
    return;
  }
  // On a GPU: the device trainer, |dev - cpu| <= 1e-6 + 1e-5 |cpu| (cuda/tests/parity.hpp) over two iterations.
  t.is(auto.device, 'cuda');
  const close = (d: number, c: number) => Math.abs(d - c) <= 1e-6 + 1e-5 * Math.abs(c);
  t.true([...auto.params].every((x, i) => close(x, cpu.params[i])), 'params');
  t.true([...auto.state.adamV].every((x, i) => close(x, cpu.state.adamV[i])), 'adamV');
  t.is(auto.state.adamT, cpu.state.adamT);
  t.is(auto.state.iteration, 2);
  for (let i = 0; i < 2; ++i) {
    for (const k of ['policyLoss', 'entropy', 'gradNorm', 'creditAbsMean', 'clippedFraction'] as const) {
      t.true(close(auto.metrics[i][k], cpu.metrics[i][k]), `${k} at ${i}`);
    }
    t.true(auto.metrics[i].meanReturn.every((x, a) => close(x, cpu.metrics[i].meanReturn[a])), `meanReturn at ${i}`);
  }
});

test("Trainer: gpu 'cuda' refuses a config the device trainer does not cover, naming what", (t) => {
  const cases: [TrainConfig, RegExp][] = [
    [{ policy: { kind: 'gru' } }, /policy 'gru' is neither tabular nor an MLP/],
    [{ game: { id: 'ipd', params: { history: 5 } }, policy: { kind: 'mlp' } }, /an MLP policy over history 5 \(at most 4 rounds\)/],
    [{ policy: { kind: 'mlp', hidden: [16, 5000] } }, /an MLP hidden layer of width 5000 \(at most 4096\)/],
    [{ game: { id: 'coin' } }, /game 'coin' is not an iterated 2x2 game/],
    [{ baseline: 'critic' }, /baseline 'critic'/],
    [{ whitenCredits: true }, /whitenCredits/],
    [{ bufferSize: 4, bufferProbability: 0.5 }, /snapshot buffer/],
  ];
  for (const [extra, why] of cases) {
    const err = t.throws(() => Trainer.create({ batch: 8, ...extra, gpu: 'cuda' }), { instanceOf: DilemmaError, code: ErrorCode.BackendUnavailable });
    t.regex(err!.message, why);
    t.regex(err!.message, /device trainer covers iterated 2x2 games/);
  }
});

test("Trainer: gpu 'auto' trains an uncovered config on the CPU, whatever its size", async (t) => {
  // An MLP over 5 rounds at 2^20 agent-steps would go to a usable GPU if the device trainer covered it.
  const config: TrainConfig = {
    game: { id: 'ipd', params: { rounds: 2, history: 5 } },
    policy: { kind: 'mlp', hidden: [4] },
    batch: 1 << 18,
    seed: 2,
  };
  const trainer = Trainer.create({ ...config, gpu: 'auto' });
  try {
    t.is(trainer.device, 'cpu');
  } finally {
    trainer.dispose();
  }
});

test("Trainer: an MLP policy with gpu 'auto' above the threshold is the CPU bit for bit without a GPU; 'cuda' is refused with the reason", async (t) => {
  // 2048 x 256 x 2 = 2^20 agent-steps per iteration; memory 2, Advantage Alignment, groups.
  const config: TrainConfig = {
    game: { id: 'ipd', params: { rounds: 256, history: 2 } },
    policy: { kind: 'mlp', hidden: [8] },
    batch: 2048,
    groupSize: 64,
    seed: 7,
    lr: 0.05,
  };
  t.true(2048 * 256 * 2 >= TRAIN_AUTO_CUDA_MIN_AGENT_STEPS);
  // One iteration each: the CPU's general path is slow at this size.
  const cpu = await twoSteps({ ...config, gpu: false }, 1);
  const auto = await twoSteps({ ...config, gpu: 'auto' }, 1);
  t.true(cpu.metrics[0].gradNorm > 0);
  if (!cuda.available) {
    t.is(auto.device, 'cpu');
    t.deepEqual(auto, cpu);
    const err = t.throws(() => Trainer.create({ ...config, gpu: 'cuda' }), { instanceOf: DilemmaError, code: ErrorCode.BackendUnavailable });
    t.true(err!.message.includes(cuda.reason!), err!.message);
    return;
  }
  // On a GPU: the device trainer within the parity rule (cuda/tests/parity.hpp).
  t.is(auto.device, 'cuda');
  const close = (d: number, c: number) => Math.abs(d - c) <= 1e-6 + 1e-5 * Math.abs(c);
  t.true([...auto.params].every((x, i) => close(x, cpu.params[i])), 'params');
  t.true([...auto.state.adamV].every((x, i) => close(x, cpu.state.adamV[i])), 'adamV');
  for (const k of ['policyLoss', 'entropy', 'gradNorm', 'creditAbsMean'] as const) {
    t.true(close(auto.metrics[0][k], cpu.metrics[0][k]), k);
  }
});

import test from 'ava';
import { credit, engineInfo, setGpu, defaultGpu, DilemmaError, ErrorCode } from '../src/index.js';

const rewards = new Float32Array([1, 0, 2, 0, 0, 1]);
// G_t = r_t + 0.5 G_{t+1}, by hand: row 1 (1, 0, 2) -> (1.5, 1, 2); row 2 (0, 0, 1) -> (0.25, 0.5, 1).
const expected = [1.5, 1, 2, 0.25, 0.5, 1];

test.serial('credit functions take gpu: false, and the backend alias, with the same result', (t) => {
  for (const o of [{ gpu: false as const }, { gpu: 'auto' as const }, { backend: 'cpu' as const }, {}]) {
    t.deepEqual([...credit.discountedReturns(rewards, { batch: 2, steps: 3, gamma: 0.5, ...o })], expected, JSON.stringify(o));
  }
});

test.serial("gpu: 'cuda' without a usable GPU names the reason; gpu and backend together are refused", (t) => {
  const info = engineInfo();
  if (!info.cuda.available) {
    const err = t.throws(() => credit.discountedReturns(rewards, { batch: 2, steps: 3, gamma: 0.5, gpu: 'cuda' }), {
      instanceOf: DilemmaError,
      code: ErrorCode.BackendUnavailable,
    });
    t.true(err!.message.includes(info.cuda.reason!));
  }
  t.throws(() => credit.discountedReturns(rewards, { batch: 2, steps: 3, gamma: 0.5, gpu: false, backend: 'cpu' }), {
    code: ErrorCode.InvalidArgument,
    message: /options\.gpu/,
  });
  for (const gpu of ['gpu', true, 'cpu', null]) {
    t.throws(() => credit.discountedReturns(rewards, { batch: 2, steps: 3, gamma: 0.5, gpu } as never), {
      code: ErrorCode.InvalidArgument,
      message: /options\.gpu must be "auto", "cuda" or false/,
    });
  }
});

test.serial('setGpu sets the engine default that engineInfo().gpu reports', (t) => {
  try {
    t.is(setGpu(false), false);
    t.is(defaultGpu(), false);
    t.deepEqual(engineInfo().gpu, { option: false, chosen: 'cpu', reason: 'setGpu(false)' });
    t.deepEqual([...credit.discountedReturns(rewards, { batch: 2, steps: 3, gamma: 0.5 })], expected);
    t.is(setGpu('auto'), 'auto');
    const info = engineInfo();
    t.is(info.gpu.chosen, info.cuda.available ? 'cuda' : 'cpu');
    if (!info.cuda.available) t.true(info.gpu.reason.includes(info.cuda.reason!));
    t.throws(() => setGpu('yes' as never), { code: ErrorCode.InvalidArgument, message: /^gpu must be/ });
  } finally {
    setGpu(undefined);
  }
});

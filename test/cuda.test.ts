import test from 'ava';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { AUTO_CUDA_MIN_ELEMENTS, credit, type CreditBackend } from '../src/credit.js';
import { DilemmaError, ErrorCode } from '../src/errors.js';
import { engineInfo } from '../src/info.js';
import { native, packageRoot } from '../src/native.js';

interface CudaStatus {
  available: boolean;
  reason?: string;
  device?: string;
  computeCapability?: string;
  library?: string;
}

interface CudaBinding {
  cudaLoad(path: string): CudaStatus;
  engineInfo(): { cuda: CudaStatus };
}

const binding = () => native() as unknown as CudaBinding;

// Where `cmake -S . -B build-cmake` puts the library; absent where nvcc is.
const builtLibrary = join(packageRoot, 'build-cmake', 'cuda', 'libdilemma_cuda.so');

const ACCEPTED_REASONS = /^(no CUDA driver|driver too old|no CUDA device)/;

function checkShape(t: import('ava').ExecutionContext, s: CudaStatus) {
  t.is(typeof s.available, 'boolean');
  if (s.available) {
    t.is(s.reason, undefined);
    t.true(typeof s.device === 'string' && s.device.length > 0);
    t.regex(s.computeCapability ?? '', /^\d+\.\d+$/);
    t.true(typeof s.library === 'string');
  } else {
    t.true(typeof s.reason === 'string' && s.reason.length > 0);
  }
}

// Serial and in this order: once a library has loaded with a device, every
// later cudaLoad reports that one.
test.serial('engineInfo().cuda is an availability with a reason when unavailable', (t) => {
  checkShape(t, binding().engineInfo().cuda);
});

test.serial('cudaLoad of a missing library reports it unavailable, naming the path', (t) => {
  const path = join(packageRoot, 'no-such-dir', 'libdilemma_cuda.so');
  const s = binding().cudaLoad(path);
  checkShape(t, s);
  if (s.available) return t.pass('a library already loaded with a device stays in use');
  t.is(s.reason, `library not found at ${path}`);
  t.deepEqual(binding().engineInfo().cuda, s);
});

test.serial('cudaLoad of a file that is not a shared library reports why, without crashing', (t) => {
  const path = join(packageRoot, 'package.json');
  const s = binding().cudaLoad(path);
  checkShape(t, s);
  if (!s.available) t.true(s.reason!.includes(path));
});

test.serial('cudaLoad of the CMake-built library reports the driver, device or GPU', (t) => {
  if (!existsSync(builtLibrary)) {
    t.log(`skipped: ${builtLibrary} is not built (cmake -S . -B build-cmake && cmake --build build-cmake)`);
    return t.pass();
  }
  const s = binding().cudaLoad(builtLibrary);
  checkShape(t, s);
  if (s.available) {
    t.log(`CUDA device: ${s.device} (compute capability ${s.computeCapability})`);
  } else {
    t.is(s.library, builtLibrary);
    t.regex(s.reason!, ACCEPTED_REASONS);
  }
  t.deepEqual(binding().engineInfo().cuda, s);
});

test.serial('cudaLoad refuses a path that is not a non-empty string', (t) => {
  const load = binding().cudaLoad as (path: unknown) => CudaStatus;
  t.throws(() => load(42), { code: 'ERR_INVALID_ARGUMENT', message: /path/ });
  t.throws(() => load(''), { code: 'ERR_INVALID_ARGUMENT', message: /path/ });
});

// The credit functions' backend choice. On a machine without a usable GPU
// 'cuda' must refuse with the reason engineInfo() gives and 'auto' must fall
// back to the CPU silently; with one, both must agree with the CPU.

/** The one tolerance rule of the GPU parity tests: |gpu − cpu| ≤ 1e-6 + 1e-5·|cpu|. */
function close(t: import('ava').ExecutionContext, gpu: Float32Array, cpu: Float32Array, what: string) {
  t.is(gpu.length, cpu.length, what);
  let bad = 0;
  for (let i = 0; i < cpu.length; i++) if (!(Math.abs(gpu[i] - cpu[i]) <= 1e-6 + 1e-5 * Math.abs(cpu[i]))) bad++;
  t.is(bad, 0, `${what}: ${bad} of ${cpu.length} values outside the tolerance`);
}

/** Bit-for-bit equality, without ava's element-by-element diff of a million values. */
function identical(a: Float32Array, b: Float32Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

function randomRows(batch: number, steps: number, seed: number): Float32Array {
  const x = new Float32Array(batch * steps);
  let s = seed >>> 0;
  for (let i = 0; i < x.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    x[i] = s / 2 ** 31 - 1;
  }
  return x;
}

// Every credit function with a kernel, on one input, with a given backend.
function creditCalls(backend: CreditBackend | undefined, batch: number, steps: number) {
  const own = randomRows(batch, steps, 1);
  const others = randomRows(batch, steps, 2);
  const values = randomRows(batch, steps + 1, 3);
  const groups = Int32Array.from({ length: batch }, (_, i) => i >> 2);
  const b = backend === undefined ? {} : { backend };
  return {
    discountedReturns: () => credit.discountedReturns(own, { batch, steps, gamma: 0.97, ...b }),
    gae: () => credit.gae(own, values, { batch, steps, gamma: 0.97, lambda: 0.9, ...b }),
    leaveOneOut: () => credit.leaveOneOut(own, { batch, steps, groups, ...b }),
    advantageAlignment: () => credit.advantageAlignment({ own, others, batch, steps, beta: 0.5, gamma: 0.9, ...b }),
  };
}

test.serial("credit backend 'cuda' refuses with ERR_BACKEND_UNAVAILABLE and engineInfo()'s reason, or matches the CPU", (t) => {
  const info = engineInfo();
  const calls = creditCalls('cuda', 64, 33);
  const cpu = creditCalls('cpu', 64, 33);
  for (const [name, call] of Object.entries(calls)) {
    if (!info.cuda.available) {
      const err = t.throws(call, { instanceOf: DilemmaError, code: ErrorCode.BackendUnavailable }, name);
      t.true(err!.message.includes(info.cuda.reason!), `${name}: ${err!.message}`);
    } else {
      close(t, call(), cpu[name as keyof typeof cpu](), name);
    }
  }
  if (!info.cuda.available) t.log(`CUDA unavailable here: ${info.cuda.reason}`);
});

test.serial("credit backend 'auto' (the default) gives the CPU's results; without a GPU silently on the CPU", (t) => {
  const info = engineInfo();
  // Large enough that 'auto' would choose the GPU where there is one.
  const batch = 4096;
  const steps = Math.ceil(AUTO_CUDA_MIN_ELEMENTS / batch);
  const cpu = creditCalls('cpu', batch, steps);
  for (const backend of ['auto', undefined] as const) {
    const calls = creditCalls(backend, batch, steps);
    for (const [name, call] of Object.entries(calls)) {
      const expected = cpu[name as keyof typeof cpu]();
      if (info.cuda.available) close(t, call(), expected, `${name} (${backend ?? 'default'})`);
      else t.true(identical(call(), expected), `${name} (${backend ?? 'default'}) differs from the CPU's`);
    }
  }
  // Small inputs stay on the CPU whatever the machine has: bit for bit.
  const small = creditCalls('auto', 8, 5);
  const smallCpu = creditCalls('cpu', 8, 5);
  for (const [name, call] of Object.entries(small)) t.true(identical(call(), smallCpu[name as keyof typeof smallCpu]()), name);
});

test.serial('credit backend must be auto, cpu or cuda', (t) => {
  const rewards = new Float32Array(6);
  for (const backend of ['gpu', 'CUDA', 1, null]) {
    t.throws(() => credit.discountedReturns(rewards, { batch: 2, steps: 3, gamma: 0.9, backend } as never), {
      code: ErrorCode.InvalidArgument,
      message: /options\.backend/,
    });
  }
  // The native side checks again.
  const options = { rewards, out: new Float32Array(6), batch: 2, steps: 3, gamma: 0.9, backend: 'gpu' };
  t.throws(() => native().credit.discountedReturns(options as never), {
    code: ErrorCode.InvalidArgument,
    message: /backend/,
  });
});

test.serial('engineInfo() says why CUDA is unavailable, or which device it uses', (t) => {
  const info = engineInfo();
  checkShape(t, info.cuda);
  t.deepEqual(info.backends, info.cuda.available ? ['cpu', 'cuda'] : ['cpu']);
  if (!info.cuda.available) {
    // Not built, no driver, an old driver or no device: each one says so.
    t.regex(info.cuda.reason!, /CUDA library is not built|^(no CUDA driver|driver too old|no CUDA device)|library not found|cannot load|ABI version/);
  }
});

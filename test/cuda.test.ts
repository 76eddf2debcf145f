import test from 'ava';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
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

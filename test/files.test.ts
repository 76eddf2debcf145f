/**
 * Files the package reads and writes: devices, FIFOs, folders and symlinks
 * are refused for inputs and outputs (ERR_NOT_A_FILE, without blocking or
 * reading for ever), inputs are read up to a limit, a failed write is ERR_IO
 * with the path and the system call and leaves no temporary file, and a
 * temporary left by a killed writer is swept by the next write.
 */
import test from 'ava';
import { spawnSync } from 'node:child_process';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  symlinkSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadRunConfig } from '../src/cli/run-config.js';
import { trainCommand } from '../src/cli/train-command.js';
import { appendToLog, fsCalls, readRegularFile, writeAtomic } from '../src/fs-safe.js';
import { mlpPolicy, onnx, readCheckpoint, Trainer, train } from '../src/index.js';
import { writeReport } from '../src/report/index.js';
import { native } from '../src/native.js';

const dir = mkdtempSync(join(tmpdir(), 'dilemma-files-'));
const temporaries = (d: string) => readdirSync(d).filter((f) => f.endsWith('.tmp'));

function fifo(name: string): string | undefined {
  const path = join(dir, name);
  const r = spawnSync('mkfifo', [path]);
  return r.status === 0 ? path : undefined;
}

/** Runs f with fsCalls[name] failing like a full disk on its `at`-th call (0-based), after writing half of what it was given. */
function withFullDisk<T>(name: 'writeSync' | 'fsyncSync' | 'renameSync', at: number, f: () => T): T {
  const real = fsCalls[name] as (...args: unknown[]) => unknown;
  let calls = 0;
  (fsCalls as Record<string, unknown>)[name] = (...args: unknown[]) => {
    if (calls++ !== at) return real(...args);
    if (name === 'writeSync') {
      const [fd, buf, off, len] = args as [number, Uint8Array, number, number];
      real(fd, buf, off, Math.floor(len / 2));
    }
    throw Object.assign(new Error(`ENOSPC: no space left on device, ${name.replace('Sync', '')}`), {
      code: 'ENOSPC',
      errno: -28,
      syscall: name.replace('Sync', ''),
    });
  };
  try {
    return f();
  } finally {
    (fsCalls as Record<string, unknown>)[name] = real;
  }
}

test.serial('a device, a FIFO or a folder given as a checkpoint, init or config is refused at once', async (t) => {
  t.timeout(30_000);
  const zero = existsSync('/dev/zero') ? '/dev/zero' : undefined;
  const pipe = fifo('input.fifo');
  const folder = join(dir, 'folder');
  mkdirSync(folder);
  for (const path of [zero, pipe, folder]) {
    if (!path) continue;
    t.throws(() => readCheckpoint(path), { code: 'ERR_NOT_A_FILE', message: /is a (character device|FIFO|folder), not a regular file/ }, path);
    t.throws(() => Trainer.resume(path), { code: 'ERR_NOT_A_FILE' }, path);
    await t.throwsAsync(train({}, { resume: path }), { code: 'ERR_NOT_A_FILE', message: /^resume: / }, path);
    t.throws(() => loadRunConfig(path), { code: 'ERR_NOT_A_FILE', message: /^config: / }, path);
  }
  if (zero) {
    const config = join(dir, 'init-zero.yaml');
    writeFileSync(config, `init: ${zero}\noutput: ${join(dir, 'init-zero')}\nseeds: 1\nalgorithms: [naive]\ntrain: { iterations: 1, batch: 8 }\n`);
    await t.throwsAsync(trainCommand(config, { stream: { write: () => true, isTTY: false } as unknown as NodeJS.WriteStream }), {
      code: 'ERR_NOT_A_FILE',
      message: /^config\.init: \/dev\/zero is a character device/,
    });
  }
  if (native().ortStatus().compiled && zero) {
    t.throws(() => onnx(zero), { code: 'ERR_NOT_A_FILE', message: /^model: / });
    if (pipe) t.throws(() => onnx(pipe), { code: 'ERR_NOT_A_FILE' });
    const good = join(dir, 'good.onnx');
    writeFileSync(good, mlpPolicy({ obsDim: 5, actions: 2, hidden: [4], seed: 1 }).bytes);
    onnx(good).dispose();
    // The raw binding checks a model path itself: no read of a device, no open that waits on a FIFO.
    const raw = native();
    for (const path of [zero, pipe, folder]) {
      if (!path) continue;
      t.throws(() => raw.onnxPolicy(path, {}), { code: 'ERR_MODEL_LOAD', message: /not a regular file/ }, path);
    }
    raw.onnxPolicy(good, {});
  }
});

test.serial('inputs are read up to a limit; a sparse oversized config is refused without reading it', (t) => {
  const big = join(dir, 'big.yaml');
  writeFileSync(big, '');
  truncateSync(big, 17 << 20);
  t.throws(() => loadRunConfig(big), { code: 'ERR_TOO_LARGE', message: /config/ });
  const small = join(dir, 'small.txt');
  writeFileSync(small, 'x'.repeat(100));
  t.is(readRegularFile(small, { maxBytes: 100 }).length, 100);
  t.throws(() => readRegularFile(small, { maxBytes: 99, param: 'p' }), { code: 'ERR_TOO_LARGE', message: /^p: / });
  // Kernel files state a size of 0 and are read to their end under the same limit.
  if (existsSync('/proc/self/status')) t.true(readRegularFile('/proc/self/status', { maxBytes: 1 << 20 }).length > 0);
});

test.serial('outputs that are symlinks, FIFOs or folders are refused and left as they are', async (t) => {
  const target = join(dir, 'elsewhere.txt');
  writeFileSync(target, 'keep me');
  const link = join(dir, 'link.ckpt');
  symlinkSync(target, link);
  const pipe = fifo('output.fifo');
  const folder = join(dir, 'out-folder');
  mkdirSync(folder);

  const trainer = Trainer.create({ iterations: 1, batch: 8 });
  for (const path of [link, pipe, folder]) {
    if (!path) continue;
    t.throws(() => trainer.checkpoint(path), { code: 'ERR_NOT_A_FILE', message: /^path: / }, path);
    await t.throwsAsync(train({ iterations: 1, batch: 8 }, { checkpointFile: path }), { code: 'ERR_NOT_A_FILE', message: /^checkpointFile: / });
    await t.throwsAsync(train({ iterations: 1, batch: 8 }, { metricsFile: path }), { code: 'ERR_NOT_A_FILE', message: /^metricsFile: / });
    t.throws(() => writeAtomic(path, 'x', 'out'), { code: 'ERR_NOT_A_FILE' });
  }
  trainer.dispose();
  t.true(lstatSync(link).isSymbolicLink());
  t.is(readlinkSync(link), target);
  t.is(readFileSync(target, 'utf8'), 'keep me');
  if (pipe) t.true(lstatSync(pipe).isFIFO());

  // A report whose report.html is a symlink: nothing is written, not even the plots.
  const reportDir = join(dir, 'report');
  mkdirSync(reportDir);
  symlinkSync(target, join(reportDir, 'report.html'));
  t.throws(() => writeReport(reportDir, { html: 'new', svgs: { a: '<svg/>' } }), { code: 'ERR_NOT_A_FILE', message: /^dir: / });
  t.deepEqual(readdirSync(reportDir), ['report.html']);
  t.is(readFileSync(target, 'utf8'), 'keep me');
  t.deepEqual(temporaries(dir), []);
});

test.serial('a full disk while writing a checkpoint is ERR_IO with path and syscall; the old checkpoint stays and no temporary remains', async (t) => {
  const out = join(dir, 'full');
  mkdirSync(out);
  const path = join(out, 'run.ckpt');
  const trainer = Trainer.create({ iterations: 3, batch: 8 });
  trainer.checkpoint(path);
  const before = readFileSync(path);
  await trainer.step();
  for (const [call, at] of [['writeSync', 0], ['fsyncSync', 0], ['renameSync', 0]] as const) {
    const e = t.throws(() => withFullDisk(call, at, () => trainer.checkpoint(path)), { code: 'ERR_IO' }) as Error & Record<string, unknown>;
    t.regex(e.message, new RegExp(`^path: cannot (write|replace) ${path.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: ENOSPC \\(${call.replace('Sync', '')}\\)$`));
    t.is(e.path, path);
    t.is(e.errno, 'ENOSPC');
    t.is(e.syscall, call.replace('Sync', ''));
    t.false(String(e.message).includes('\n'), 'no stack in the message');
    t.deepEqual(readFileSync(path), before, `${call}: the previous checkpoint is untouched`);
    t.deepEqual(readdirSync(out), ['run.ckpt'], `${call}: no temporary left`);
  }
  trainer.checkpoint(path);
  t.is(readCheckpoint(path).state.iteration, 1);
  trainer.dispose();

  // An append that fails half-way is cut back: the log keeps whole lines only.
  const log = join(out, 'log.jsonl');
  appendToLog(log, '{"a":1}\n');
  t.throws(() => withFullDisk('writeSync', 0, () => appendToLog(log, '{"b":2222222222}\n', 'metricsFile')), { code: 'ERR_IO', message: /^metricsFile: cannot append to / });
  t.is(readFileSync(log, 'utf8'), '{"a":1}\n');
});

test.serial('a temporary left by a killed writer is removed by the next write of the same file; a live writer\'s is kept', (t) => {
  const out = join(dir, 'sweep');
  mkdirSync(out);
  const path = join(out, 'checkpoint.json');
  // pid 2^22+1 is above Linux's pid_max default and never alive.
  const dead = join(out, `.checkpoint.json.${2 ** 22 + 1}.0123456789ab.tmp`);
  const live = join(out, `.checkpoint.json.${process.ppid}.0123456789ab.tmp`);
  const other = join(out, '.other.json.4194305.0123456789ab.tmp');
  for (const f of [dead, live, other]) writeFileSync(f, 'partial');
  writeAtomic(path, 'whole');
  t.deepEqual(readdirSync(out).sort(), ['.checkpoint.json.' + process.ppid + '.0123456789ab.tmp', '.other.json.4194305.0123456789ab.tmp', 'checkpoint.json'].sort());
  t.is(readFileSync(path, 'utf8'), 'whole');
});

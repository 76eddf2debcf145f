/**
 * The engine's size limits live in one table, native/core/limits.hpp: the
 * addon exports it, src/generated/limits.ts is generated from that export,
 * and no check in src/ or native/ writes one of its numbers again.
 */
import test from 'ava';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GENERATED_LIMITS, renderLimits } from '../scripts/limit-table.js';
import { LIMITS } from '../src/index.js';
import { native } from '../src/native.js';

const root = fileURLToPath(new URL('..', import.meta.url));

test('src/generated/limits.ts matches the native table (run scripts/gen-limits.ts when this fails)', (t) => {
  t.is(readFileSync(join(root, GENERATED_LIMITS), 'utf8'), renderLimits(native().limits()));
});

test('LIMITS holds the values worked out by hand', (t) => {
  t.like(LIMITS, {
    maxElements: 2147483647,
    maxResultBytes: 4294967296,
    maxBatch: 2147483647,
    maxRolloutSteps: 16777216,
    maxRounds: 1048576,
    maxModelDim: 65536,
    maxModelParams: 134217728,
    maxThreads: 1024,
    maxModelBytes: 2147483647,
    maxParamKeys: 256,
  });
  t.true(Object.isFrozen(LIMITS));
});

test('the addon enforces the table it exports: threads, parameter keys, string length', (t) => {
  const threads = native().engineInfo().threads;
  try {
    t.throws(() => native().setThreads(LIMITS.maxThreads + 1), { code: 'ERR_INVALID_ARGUMENT' });
    t.is(native().setThreads(LIMITS.maxThreads), LIMITS.maxThreads);
  } finally {
    native().setThreads(threads);
  }
  const keys = Object.fromEntries(Array.from({ length: LIMITS.maxParamKeys + 1 }, (_, i) => [`k${i}`, 1]));
  t.throws(() => new (native().Game)('ipd', keys), { code: 'ERR_INVALID_PARAM', message: /too many keys/ });
  t.throws(() => native().strategy('x'.repeat(LIMITS.maxStringLength + 1), {}), { code: 'ERR_INVALID_ARGUMENT', message: /too long/ });
});

// How a limit's value may be spelled in TypeScript or C++.
function spellings(value: number): RegExp[] {
  const out: RegExp[] = [];
  for (let k = 8; k <= 40; k++) {
    if (value === 2 ** k) out.push(new RegExp(String.raw`2 \*\* ${k}(?!\d)(?!\s*-)`), new RegExp(String.raw`\b1\}?\)? << ${k}(?!\d)(?!\)?\s*-)`));
    if (value === 2 ** k - 1) out.push(new RegExp(String.raw`2 \*\* ${k} - 1\b`), new RegExp(String.raw`\b1\}?\)? << ${k}\)? - 1\b`));
  }
  // A decimal inside a product (256 * 1024) is a factor, not the limit.
  if (Number.isInteger(value)) out.push(new RegExp(String.raw`(?<![\w.]|\*\s?)${value}(?![\w.]|\s?\*)`));
  else out.push(new RegExp(String.raw`(?<![\w.])${value.toExponential().replace('e+', 'e').replace(/[-.]/g, '\\$&')}(?![\w.])`));
  return out;
}

// Where a number is a bound: an argument of a range check, a constant's
// definition, a comparison or a byte cap.
const BOUND = new RegExp(
  [
    String.raw`\bcheck(Integer|Number)\(`,
    String.raw`(?<!Math)\.(max|min)\(`,
    String.raw`\b(integer|integer_or|number|number_or|array_elements)\(`,
    String.raw`\bconst(expr)?\s+[\w:<>\s]*\b(MAX|MIN|kMax|kMin)\w*\s*=`,
    String.raw`(?<![<>])[<>](?![<>])=?\s*\(?(2 \*\*|\(?(int64_t|size_t|off_t)?\{?1\}? <<|\d)`,
    String.raw`\bmaxBytes:`,
  ].join('|'),
);

// Numbers that equal a limit but mean something else, each with its reason.
const ELSEWHERE: Array<[file: string, line: RegExp, reason: string]> = [
  ['src/train/checkpoint.ts', /2 \*\* 31 - 1/, 'the largest checkpoint file read, bounded by the longest string'],
  ['native/core/learn/trainer_config.cpp', /1 << 16/, "the trainer's snapshot buffer: snapshots, not model widths"],
  ['src/scale/queue-url.ts', /MAX_DB/, "Redis database numbers: any non-negative int32"],
  ['src/scale/run-store.ts', /key\.length <= 1024|maxBytes: 1 << 20/, "a run key's length and the size of a run's result.json"],
  ['src/scale/tournament-jobs.ts', /MAX_PLAYERS|1 << 16/, 'a queued population and its seeds: a job loads only its own players'],
  ['src/scale/worker.ts', /concurrency > 256/, "a worker's jobs at once"],
  ['native/core/seat_sampling.cpp', /<< 32/, 'the 32-bit counter range of the draws'],
  ['native/core/tournament_lanes.cpp', /<< 24/, "a move's 24-bit draw threshold"],
  ['native/addon/onnx_binding.cc', /array_elements\(env, (v|names_v|arrays_v), /, "the names and arrays of a model's weights"],
  ['native/addon/trainer_wrap.cc', /integer\(env, info\[[12]\], /, "a frozen model policy's observation size and action count, checked again by its model kind"],
  ['native/addon/tournament_worker.cc', /<< 20\)/, 'the quick-tournament threshold, not a limit'],
  ['src/text/openai.ts', /2 \*\* 31 - 1/, "timer bounds: setTimeout's own limit"],
  ['src/text/credits.ts', /2 \*\* 31 - 1/, 'token counts held in int32'],
  ['src/text/completion.ts', /2 \*\* 31 - 1/, 'token counts held in int32'],
  ['src/credit.ts', /-\(2 \*\* 31\), 2 \*\* 31 - 1/, 'the int32 range of group ids'],
  ['src/env.ts', /-\(2 \*\* 31\), 2 \*\* 31 - 1|0, 2 \*\* 32 - 1/, 'the int32 / uint32 ranges of typed-array elements'],
  ['src/trajectory-views.ts', /2 \*\* 31 - 1/, 'a trajectory dimension read back from a caller object: any int32'],
  ['src/trainable-policy.ts', /2 \*\* 31 - 1/, 'a weight shape read back from a caller object: any int32'],
  ['src/npy.ts', /2 \*\* 32/, 'the largest .npy file read'],
  ['src/models.ts', /MAX_STATES/, 'the tabular model kind: states, not rounds (a model spec once model kinds have specs)'],
  ['src/behaviour-cloning.ts', /1 << 24/, 'episodes of a behaviour-cloning set (a trainer batch, with the trainer config)'],
  ['src/evaluate.ts', /1 << 24/, 'episodes of an evaluation match'],
  ['src/onnx-runtime.ts', /max\(256\)/, "ONNX Runtime's intra-op threads"],
  ['native/addon/onnx_binding.cc', /256/, "ONNX Runtime's intra-op threads"],
  ['native/core/learn/tabular.cpp', /kMaxStates/, 'the tabular model kind: states, not rounds'],
  ['native/core/learn/chunked.hpp', /kMinWorkPerThread|kPartialBudget/, 'work-splitting budgets, not limits'],
  ['native/core/onnx/onnx_policy.cpp', /kMax(Width|IdleBytes)/, "the ONNX policy's own buffers"],
  ['native/core/rollout.cpp', /budget/, 'a work budget, not a limit'],
  ['native/addon/rollout_worker.cc', /<< 16\)|<< 20\)/, 'small-rollout and lease thresholds, not limits'],
];

function files(dir: string, ext: RegExp, skip: RegExp): string[] {
  const out: string[] = [];
  for (const e of readdirSync(join(root, dir), { withFileTypes: true })) {
    const path = `${dir}/${e.name}`;
    if (skip.test(path)) continue;
    if (e.isDirectory()) out.push(...files(path, ext, skip));
    else if (ext.test(e.name)) out.push(path);
  }
  return out;
}

// The code of a line: comments and string contents removed.
function code(text: string): string[] {
  return text
    .replace(/\/\*[\s\S]*?\*\//g, (m) => m.replace(/[^\n]/g, ' '))
    .split('\n')
    .map((l) => l.replace(/\/\/.*$/, '').replace(/(['"`])(?:\\.|(?!\1).)*\1/g, "''"));
}

test('no check repeats a limit of the table as a literal', (t) => {
  const values = [...new Set(Object.values(LIMITS))];
  const patterns = values.flatMap((v) => spellings(v).map((re) => ({ re, v })));
  const sources = [
    ...files('src', /\.ts$/, /^src\/generated/),
    ...files('native/core', /\.(cpp|hpp)$/, /limits\.hpp$/),
    ...files('native/addon', /\.(cc|hpp)$/, /$^/),
  ];
  t.true(sources.length > 80, `${sources.length} files scanned`);
  const found: string[] = [];
  const used = new Set<number>();
  for (const file of sources) {
    const lines = code(readFileSync(join(root, file), 'utf8'));
    lines.forEach((line, i) => {
      if (!BOUND.test(line)) return;
      for (const { re, v } of patterns) {
        if (!re.test(line)) continue;
        const excused = ELSEWHERE.findIndex(([f, l]) => f === file && l.test(line));
        if (excused >= 0) {
          used.add(excused);
          continue;
        }
        found.push(`${relative(root, join(root, file))}:${i + 1} repeats ${v}: ${line.trim()}`);
      }
    });
  }
  t.deepEqual(found, [], 'use LIMITS (TypeScript) or limits:: (C++) instead');
  // An excuse that matches nothing would hide the next repeat: none is kept.
  t.deepEqual(ELSEWHERE.filter((_, i) => !used.has(i)).map(([f, l]) => `${f} ${l}`), []);
});

test('the scan finds a repeated limit where one is written', (t) => {
  const patterns = Object.values(LIMITS).flatMap((v) => spellings(v));
  const hits = (line: string) => BOUND.test(line) && patterns.some((re) => re.test(line));
  t.true(hits("const steps = checkInteger('options.steps', o.steps, 1, 1 << 24);"));
  t.true(hits("const batch = checkInteger('options.batch', o.batch, 1, 2 ** 31 - 1);"));
  t.true(hits('opt.steps = static_cast<int>(o.integer_or("steps", 0, 1, 1 << 24));'));
  t.true(hits('if (batch > (int64_t{1} << 31) - 1) throw Error(codes::kTooLarge, "");'));
  t.true(hits('set_default_threads(static_cast<int>(integer(env, info[0], "threads", 0, 1024)));'));
  t.true(hits('const MAX_NORMALIZER = 1e30;'));
  t.false(hits("const batch = checkInteger('options.batch', o.batch, 1, LIMITS.maxBatch);"));
  t.false(hits('const x = 1 << 3;'));
});

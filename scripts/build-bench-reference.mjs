#!/usr/bin/env node
// Builds the benchmark's reference addon (bench/reference) with node-gyp when
// its .node file is missing or older than any of its sources or of the
// engine headers it includes. Quiet and quick when nothing changed, so the
// benchmarks run it every time.
//
//   node scripts/build-bench-reference.mjs [--force]
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dir = join(root, 'bench', 'reference');
const addon = join(dir, 'build', 'Release', 'dilemma_reference.node');

function newestInputMs() {
  const loops = join(dir, 'loops');
  const inputs = [
    join(dir, 'binding.gyp'),
    ...readdirSync(loops).map((f) => join(loops, f)),
    // The engine headers the loops include (and what those include).
    ...['rng.hpp', 'hd.hpp', 'games/matrix_rules.hpp'].map((f) => join(root, 'native', 'core', f)),
  ];
  return Math.max(...inputs.map((f) => statSync(f).mtimeMs));
}

const force = process.argv.includes('--force');
if (!force && existsSync(addon) && statSync(addon).mtimeMs >= newestInputMs()) process.exit(0);

console.error('building the benchmark reference addon (bench/reference) ...');
// Through npx, like the engine's own build, so that npm's configuration
// (a local nodedir, say) reaches node-gyp; --no-install: the project's own node-gyp only.
const r = spawnSync('npx', ['--no-install', 'node-gyp', 'rebuild', '-j', 'max'], {
  cwd: dir,
  stdio: ['ignore', 'inherit', 'inherit'],
  shell: process.platform === 'win32',
});
if (r.status !== 0) {
  console.error(`node-gyp failed in ${dir} (exit ${r.status ?? r.signal})`);
  process.exit(1);
}

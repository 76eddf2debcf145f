// Finds import cycles among the TypeScript files under a folder (default
// src/), type-only imports and re-exports included, with the TypeScript
// compiler's parser. Prints each cycle and exits 1 when there is any.
// Usage: node scripts/import-cycles.mjs [folder]
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';

export function importCycles(folder) {
  const files = readdirSync(folder, { recursive: true }).filter((f) => f.endsWith('.ts')).map((f) => resolve(folder, f));
  const known = new Set(files);
  const edges = new Map();
  for (const file of files) {
    const { importedFiles } = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
    const targets = importedFiles
      .map((i) => i.fileName)
      .filter((name) => name.startsWith('.'))
      .map((name) => resolve(dirname(file), name.replace(/\.js$/, '.ts')))
      .filter((target) => known.has(target));
    edges.set(file, targets);
  }
  // Depth-first search; a back edge to a file on the current path closes a cycle.
  const cycles = [];
  const state = new Map();
  const path = [];
  const visit = (file) => {
    state.set(file, 'open');
    path.push(file);
    for (const next of edges.get(file)) {
      if (state.get(next) === 'open') cycles.push([...path.slice(path.indexOf(next)), next].map((f) => relative(folder, f)));
      else if (!state.has(next)) visit(next);
    }
    path.pop();
    state.set(file, 'done');
  };
  for (const file of files) if (!state.has(file)) visit(file);
  return cycles;
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(new URL(import.meta.url).pathname)) {
  const folder = resolve(process.argv[2] ?? join(new URL('..', import.meta.url).pathname, 'src'));
  const cycles = importCycles(folder);
  for (const cycle of cycles) console.log(`import cycle: ${cycle.join(' > ')}`);
  console.log(cycles.length === 0 ? 'no import cycles' : `${cycles.length} import cycle(s)`);
  process.exitCode = cycles.length === 0 ? 0 : 1;
}

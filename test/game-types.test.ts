/**
 * Typed game parameters: test/types/game-spec.ts compiles with every
 * `@ts-expect-error` line failing (a wrong preset, another game's parameter,
 * a wrong type, an unknown id), and a copy without the directives reports
 * each of those lines as an error.
 */
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
const FLAGS = ['--noEmit', '--strict', '--skipLibCheck', '--target', 'es2022', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--lib', 'es2022,esnext.disposable', '--types', 'node'];

function check(files: string[]) {
  const r = spawnSync(process.execPath, [tsc, ...FLAGS, ...files], { cwd: root, encoding: 'utf8', timeout: 120_000 });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

test('a game spec is a union discriminated by id: wrong parameters fail to typecheck', (t) => {
  const source = join(root, 'test', 'types', 'game-spec.ts');
  // One compiler run over the file and a copy without the directives: the
  // file has no error, the copy one on exactly each marked line.
  const dir = mkdtempSync(join(root, 'test', 'types', 'tmp-'));
  try {
    const text = readFileSync(source, 'utf8');
    const marked = text.split('\n').flatMap((l, i) => (l.trim().startsWith('// @ts-expect-error') ? [i + 2] : []));
    const copy = join(dir, 'game-spec.ts');
    writeFileSync(copy, text.replace(/\/\/ @ts-expect-error/g, '//').replace(/'\.\.\/\.\.\/src\//g, "'../../../src/"));
    const bare = check([source, copy]);
    t.not(bare.status, 0);
    t.notRegex(bare.out, /^test\/types\/game-spec\.ts/m, 'the file itself typechecks');
    const lines = [...new Set([...bare.out.matchAll(/tmp-[^/]+\/game-spec\.ts\((\d+),\d+\): error/g)].map((m) => Number(m[1])))];
    t.deepEqual(lines, marked, bare.out);
    t.regex(bare.out, /stag-hunts/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

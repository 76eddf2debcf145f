import test from 'ava';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const script = new URL('../scripts/import-cycles.mjs', import.meta.url).pathname;
const run = (folder?: string) => spawnSync(process.execPath, folder ? [script, folder] : [script], { encoding: 'utf8' });

test('src/ has no import cycle, type-only imports included', (t) => {
  const r = run();
  t.is(r.status, 0, r.stdout + r.stderr);
  t.regex(r.stdout, /no import cycles/);
});

test('the check finds a type-only cycle and a cycle through a re-export, and passes a tree without one', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'cycles-'));
  try {
    writeFileSync(join(dir, 'a.ts'), "import type { B } from './b.js';\nexport interface A { b: B }\n");
    writeFileSync(join(dir, 'b.ts'), "import type { A } from './a.js';\nexport interface B { a?: A }\n");
    writeFileSync(join(dir, 'c.ts'), "export { d } from './d.js';\nexport const c = 1;\n");
    writeFileSync(join(dir, 'd.ts'), "import { c } from './c.js';\nexport const d = c;\n");
    writeFileSync(join(dir, 'e.ts'), "import { d } from './d.js';\nimport { readFileSync } from 'node:fs';\nexport const e = [d, readFileSync];\n");
    const r = run(dir);
    t.is(r.status, 1);
    t.regex(r.stdout, /a\.ts > b\.ts > a\.ts/);
    t.regex(r.stdout, /c\.ts > d\.ts > c\.ts/);
    t.regex(r.stdout, /2 import cycle\(s\)/);
    rmSync(join(dir, 'b.ts'));
    rmSync(join(dir, 'd.ts'));
    writeFileSync(join(dir, 'd.ts'), 'export const d = 2;\n');
    writeFileSync(join(dir, 'b.ts'), 'export interface B { n: number }\n');
    t.is(run(dir).status, 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

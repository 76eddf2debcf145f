// CI check of the API reference: TypeDoc over the package's exports with its
// validation (typedoc.json). Every warning fails (a broken link, a markdown
// slip), except the gaps already listed in scripts/docs-undocumented.txt
// (undocumented exports, types used by exports but not exported): that list may only
// shrink (`--update` rewrites it after documenting some). `npm run docs` is
// the strict build, which passes once the list is empty.
// Prints TAP-like `ok` / `not ok` lines.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { root } from './build-env.mjs';

const listPath = join(root, 'scripts', 'docs-undocumented.txt');
const typedoc = join(root, 'node_modules', 'typedoc', 'bin', 'typedoc');
const r = spawnSync(
  process.execPath,
  [typedoc, '--emit', 'none', '--pretty', 'false', '--treatWarningsAsErrors', 'false', '--treatValidationWarningsAsErrors', 'false'],
  { cwd: root, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' }, maxBuffer: 64 << 20 },
);
const out = `${r.stdout}${r.stderr}`.replace(/\x1b\[[0-9;]*m/g, '');
const warnings = out
  .split('\n')
  .filter((l) => /\[(warning|error)\]/.test(l) && !/Found \d+ errors and \d+ warnings/.test(l))
  .map((l) => l.trim());
// Known gaps: exports without a doc comment, and types that exports use but
// the package does not export.
const GAP = /(does not have any documentation|but not included in the documentation)$/;
const undocumented = warnings.filter((l) => GAP.test(l)).map((l) => l.replace(/^.*\[warning\] /, ''));
const other = warnings.filter((l) => !GAP.test(l));

if (process.argv.includes('--update')) {
  writeFileSync(listPath, `${[...new Set(undocumented)].sort().join('\n')}\n`);
  console.log(`wrote ${undocumented.length} entries to ${listPath}`);
  process.exit(0);
}

const known = new Set(existsSync(listPath) ? readFileSync(listPath, 'utf8').split('\n').filter(Boolean) : []);
const fresh = undocumented.filter((w) => !known.has(w));
let failed = 0;
const check = (ok, name, detail) => {
  console.log(`${ok ? 'ok' : 'not ok'} - docs: ${name}`);
  if (!ok) {
    failed++;
    console.log(detail);
  }
};
check(r.status !== null && other.length === 0 && !/\[error\]/.test(out), 'TypeDoc builds with no broken link or other warning', other.join('\n') || out.slice(-3000));
check(fresh.length === 0, 'no undocumented or unexported API beyond scripts/docs-undocumented.txt', fresh.join('\n'));
const gone = [...known].filter((w) => !undocumented.includes(w));
if (gone.length > 0) console.log(`# ${gone.length} entries of scripts/docs-undocumented.txt are documented now: run \`node scripts/docs-check.mjs --update\``);
console.log(`# ${undocumented.length} exports still undocumented`);
process.exitCode = failed === 0 ? 0 : 1;

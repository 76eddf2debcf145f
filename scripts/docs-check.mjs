// CI check of the API reference: TypeDoc over the package's exports with its
// validation (typedoc.json). Every warning fails: an undocumented export, a
// type used by an export but not exported, a broken link, a markdown slip.
// `npm run docs` is the same build, writing the HTML to docs/api.
// Prints TAP-like `ok` / `not ok` lines.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { root } from './build-env.mjs';

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
const GAP = /(does not have any documentation|but not included in the documentation)$/;
const undocumented = warnings.filter((l) => GAP.test(l));
const other = warnings.filter((l) => !GAP.test(l));

let failed = 0;
const check = (ok, name, detail) => {
  console.log(`${ok ? 'ok' : 'not ok'} - docs: ${name}`);
  if (!ok) {
    failed++;
    console.log(detail);
  }
};
check(r.status === 0 && other.length === 0 && !/\[error\]/.test(out), 'TypeDoc builds with no broken link or other warning', other.join('\n') || out.slice(-3000));
check(undocumented.length === 0, 'every export is documented and every type it uses is exported', undocumented.join('\n'));
process.exitCode = failed === 0 ? 0 : 1;

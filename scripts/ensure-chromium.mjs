#!/usr/bin/env node
/**
 * Makes sure a headless-capable Chromium is at /usr/bin/chromium for the
 * browser test of the HTML reports. When it is missing, installs Debian's
 * `chromium` package with apt-get (refreshing the package lists and trying
 * again if the first install fails). Prints every step; exits non-zero with a
 * message saying what to do when it cannot install.
 *
 *   node scripts/ensure-chromium.mjs
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export const CHROMIUM = '/usr/bin/chromium';

function log(line) {
  console.log(`ensure-chromium: ${line}`);
}

function fail(line) {
  console.error(`ensure-chromium: ${line}`);
  process.exit(1);
}

function run(cmd, args) {
  log(`running: ${cmd} ${args.join(' ')}`);
  const r = spawnSync(cmd, args, {
    stdio: 'inherit',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  if (r.error) {
    log(`${cmd} could not start: ${r.error.message}`);
    return false;
  }
  if (r.status !== 0) log(`${cmd} exited with status ${r.status ?? r.signal}`);
  return r.status === 0;
}

function version() {
  const r = spawnSync(CHROMIUM, ['--version'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

if (existsSync(CHROMIUM)) {
  log(`${CHROMIUM} is present (${version() ?? 'version unknown'}); nothing to do`);
  process.exit(0);
}

log(`${CHROMIUM} is missing; installing Debian's chromium package`);
if (process.platform !== 'linux') fail(`cannot install chromium on ${process.platform}: install Chromium at ${CHROMIUM} by hand`);
if (typeof process.getuid === 'function' && process.getuid() !== 0) {
  fail(`not running as root, so apt-get cannot install chromium: run \`sudo apt-get install -y chromium\` (the browser test of the reports skips without it)`);
}
const aptGet = spawnSync('apt-get', ['--version'], { stdio: 'ignore' });
if (aptGet.error || aptGet.status !== 0) fail('apt-get is not available: install Chromium at /usr/bin/chromium by hand');

const install = ['install', '-y', '--no-install-recommends', 'chromium'];
if (!run('apt-get', install)) {
  log('the first install failed; refreshing the package lists and trying again');
  if (!run('apt-get', ['update'])) fail('apt-get update failed: the package lists could not be refreshed');
  if (!run('apt-get', install)) fail('apt-get install -y chromium failed after apt-get update');
}
if (!existsSync(CHROMIUM)) fail(`the chromium package installed but ${CHROMIUM} is still missing`);
const v = version();
if (!v) fail(`${CHROMIUM} is installed but does not run (\`${CHROMIUM} --version\` failed)`);
log(`installed ${v}`);

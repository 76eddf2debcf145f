// Provides the ONNX Runtime C API headers for the addon build, without
// writing any host name into the repository:
//   1. ORT_INCLUDE_DIR, when it holds onnxruntime_c_api.h;
//   2. headers fetched earlier into build-deps/ort-include;
//   3. Debian's libonnxruntime-dev package, downloaded from the mirror this
//      machine's own apt configuration names (its newer suites carry it).
// It never fails the install: where no headers can be had, it records why in
// build-deps/ort-config.json and the addon builds without ONNX policies.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync, cpSync } from 'node:fs';
import { arch } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';

const root = new URL('..', import.meta.url).pathname;
const depsDir = join(root, 'build-deps');
const includeDir = join(depsDir, 'ort-include');
const configPath = join(depsDir, 'ort-config.json');
const PACKAGE = 'libonnxruntime-dev';
const SUITES = (process.env.DILEMMA_ORT_SUITES ?? 'trixie sid').split(/\s+/).filter(Boolean);
const HEADER = 'onnxruntime_c_api.h';

function record(config) {
  mkdirSync(depsDir, { recursive: true });
  writeFileSync(configPath, `${JSON.stringify(config, null, 2)}\n`);
  console.log(config.available ? `ONNX Runtime headers: ${config.include} (${config.source})` : `ONNX Runtime headers unavailable: ${config.reason}`);
}

function debArch() {
  return { x64: 'amd64', arm64: 'arm64', ia32: 'i386', arm: 'armhf', ppc64: 'ppc64el', s390x: 's390x' }[arch()] ?? arch();
}

// Mirror URIs from apt's one-line (.list) and deb822 (.sources) files.
function aptMirrors() {
  const files = [];
  if (existsSync('/etc/apt/sources.list')) files.push('/etc/apt/sources.list');
  if (existsSync('/etc/apt/sources.list.d')) {
    for (const f of readdirSync('/etc/apt/sources.list.d')) {
      if (f.endsWith('.list') || f.endsWith('.sources')) files.push(join('/etc/apt/sources.list.d', f));
    }
  }
  const uris = [];
  for (const f of files) {
    const text = readFileSync(f, 'utf8');
    for (const line of text.split('\n')) {
      const one = /^\s*deb\s+(?:\[[^\]]*\]\s+)?(https?:\/\/\S+)\s+(\S+)/.exec(line);
      if (one && !/security/.test(one[2])) uris.push(one[1]);
      const many = /^\s*URIs:\s*(.+)$/i.exec(line);
      if (many) uris.push(...many[1].split(/\s+/).filter((u) => /^https?:\/\//.test(u)));
    }
  }
  return [...new Set(uris.filter((u) => !/security/.test(u)).map((u) => u.replace(/\/+$/, '')))];
}

async function get(url) {
  const res = await fetch(url, { signal: AbortSignal.timeout(120_000) });
  if (!res.ok) throw new Error(`HTTP ${res.status}`);
  return Buffer.from(await res.arrayBuffer());
}

function findFilename(packages) {
  for (const stanza of packages.split('\n\n')) {
    if (!stanza.startsWith(`Package: ${PACKAGE}\n`)) continue;
    const file = /^Filename: (.+)$/m.exec(stanza);
    const version = /^Version: (.+)$/m.exec(stanza);
    if (file) return { file: file[1].trim(), version: version?.[1].trim() };
  }
  return undefined;
}

function extractDeb(deb, into) {
  rmSync(into, { recursive: true, force: true });
  mkdirSync(into, { recursive: true });
  try {
    execFileSync('dpkg-deb', ['-x', deb, into], { stdio: 'pipe' });
  } catch {
    execFileSync('sh', ['-c', 'ar x "$0" && tar -xf data.tar.* ', deb], { cwd: into, stdio: 'pipe' });
  }
}

async function fromDebian() {
  const mirrors = aptMirrors();
  if (mirrors.length === 0) throw new Error('no apt mirror is configured on this machine');
  const errors = [];
  for (const mirror of mirrors) {
    for (const suite of SUITES) {
      try {
        const index = gunzipSync(await get(`${mirror}/dists/${suite}/main/binary-${debArch()}/Packages.gz`)).toString('utf8');
        const found = findFilename(index);
        if (!found) {
          errors.push(`${suite}: no ${PACKAGE}`);
          continue;
        }
        const deb = join(depsDir, `${PACKAGE}.deb`);
        mkdirSync(depsDir, { recursive: true });
        writeFileSync(deb, await get(`${mirror}/${found.file}`));
        const unpacked = join(depsDir, 'ort-deb');
        extractDeb(deb, unpacked);
        const headers = join(unpacked, 'usr', 'include', 'onnxruntime');
        if (!existsSync(join(headers, HEADER))) throw new Error(`${PACKAGE} has no ${HEADER}`);
        rmSync(includeDir, { recursive: true, force: true });
        cpSync(headers, includeDir, { recursive: true });
        rmSync(unpacked, { recursive: true, force: true });
        rmSync(deb, { force: true });
        return { source: `Debian ${PACKAGE} ${found.version} (${suite})` };
      } catch (e) {
        errors.push(`${suite}: ${e.message}`);
      }
    }
  }
  throw new Error(`could not fetch ${PACKAGE} from the apt mirror (${errors.join('; ')})`);
}

function apiVersion(dir) {
  const m = /#define ORT_API_VERSION (\d+)/.exec(readFileSync(join(dir, HEADER), 'utf8'));
  return m ? Number(m[1]) : undefined;
}

async function main() {
  const given = process.env.ORT_INCLUDE_DIR;
  if (given) {
    if (existsSync(join(given, HEADER))) {
      return record({ available: true, include: given, source: 'ORT_INCLUDE_DIR', apiVersion: apiVersion(given) });
    }
    return record({ available: false, reason: `ORT_INCLUDE_DIR=${given} has no ${HEADER}` });
  }
  if (existsSync(join(includeDir, HEADER))) {
    const previous = existsSync(configPath) ? JSON.parse(readFileSync(configPath, 'utf8')) : {};
    return record({ available: true, include: includeDir, source: previous.source ?? 'cached', apiVersion: apiVersion(includeDir) });
  }
  if (process.env.DILEMMA_NO_ORT === '1') {
    return record({ available: false, reason: 'disabled by DILEMMA_NO_ORT=1 at build time' });
  }
  try {
    const { source } = await fromDebian();
    record({ available: true, include: includeDir, source, apiVersion: apiVersion(includeDir) });
  } catch (e) {
    record({ available: false, reason: `no ONNX Runtime headers at build time: ${e.message}; set ORT_INCLUDE_DIR to a folder holding ${HEADER}` });
  }
}

await main();

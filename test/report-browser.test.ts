/**
 * Reports rendered in headless Chromium (Debian's package at /usr/bin/chromium,
 * which scripts/ensure-chromium.mjs installs; CI runs it before the tests):
 * the pages lay out at least two SVG plots, each with data marks of non-empty
 * geometry, fetch nothing from the network and log no errors. Screenshots go
 * to artifacts/report-screenshot.png (training),
 * artifacts/report-tournament-screenshot.png and
 * artifacts/report-ipd-screenshot.png (an IPD experiment's report with its
 * provenance, config, version and learned policy table, as `dilemma train`
 * writes it).
 */
import test from 'ava';
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { evaluate, train, tournament } from '../src/index.js';
import { packageVersion } from '../src/info.js';
import { tournamentReport, trainingReport, writeReport, type TrainingRun } from '../src/report/index.js';

const CHROMIUM = '/usr/bin/chromium';
const root = fileURLToPath(new URL('..', import.meta.url));
const artifacts = join(root, 'artifacts');
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
const haveChromium = existsSync(CHROMIUM);

const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

interface PlotInfo {
  width: number;
  height: number;
  /** Data marks (path, rect, symbol elements inside Vega's mark containers) with a non-empty bounding box. */
  dataMarks: number;
  /** Of which: heat-map cells. */
  cells: number;
}

if (!haveChromium && !isRoot) {
  console.log(`report-browser: skipped: ${CHROMIUM} is missing and this user is not root, so it cannot be installed; run \`sudo node scripts/ensure-chromium.mjs\``);
}
const browserTest = haveChromium || isRoot ? test.serial : test.serial.skip;

browserTest('training and tournament reports render their plots in headless Chromium', async (t) => {
  if (!haveChromium) {
    t.fail(`${CHROMIUM} is missing: run \`node scripts/ensure-chromium.mjs\` (CI's .ci/run does) to install Debian's chromium package`);
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'dilemma-report-browser-'));
  const profile = mkdtempSync(join(tmpdir(), 'dilemma-chromium-profile-'));

  // Real data: short trust-and-split runs (training curves, efficiency and honesty) and an IPD tournament.
  const runs: TrainingRun[] = [];
  for (const algorithm of ['naive', 'advantage-alignment'] as const) {
    for (const seed of [1, 2]) {
      const { trainer, history } = await train({ game: { id: 'trust-and-split' }, algorithm, seed, iterations: 25, batch: 64 });
      runs.push({ algorithm, seed, history, statNames: trainer.statNames });
      trainer.dispose();
    }
  }
  const training = await trainingReport(runs, undefined, { title: 'Trust-and-split training', description: 'Two algorithms, two seeds each, 25 iterations.' });
  t.deepEqual(Object.keys(training.svgs), ['training-curves', 'trust-and-split']);
  writeReport(join(dir, 'training'), training);
  const result = await tournament({ game: 'ipd', players: ['tit-for-tat', 'always-defect', 'grim-trigger', 'random'], repetitions: 32, seed: 3 });
  writeReport(join(dir, 'tournament'), await tournamentReport(result));

  // An IPD experiment as `dilemma train` reports it: tabular policies, their action tables, provenance.
  const ipdRuns: TrainingRun[] = [];
  const evaluations = [];
  for (const algorithm of ['naive', 'advantage-alignment'] as const) {
    const { trainer, history } = await train({ game: { id: 'ipd' }, algorithm, seed: 1, iterations: 20, batch: 128, lr: 0.2 });
    ipdRuns.push({ algorithm, seed: 1, history });
    const policy = trainer.policy(algorithm);
    evaluations.push({ algorithm, seed: 1, evaluation: await evaluate({ game: 'ipd', policy, opponents: ['tit-for-tat', 'always-defect'], batch: 256, seed: 7 }) });
    policy.dispose();
    trainer.dispose();
  }
  const version = packageVersion();
  writeReport(
    join(dir, 'ipd'),
    await trainingReport(ipdRuns, evaluations, {
      title: 'Training report: ipd',
      provenance: {
        game: 'ipd',
        params: { rounds: 10 },
        config: 'algorithms: [naive, advantage-alignment]\ntrain:\n  iterations: 20\n  batch: 128\n  lr: 0.2',
        version,
        date: '2026-01-02T03:04:05.000Z',
        command: 'dilemma train ipd.yaml train.iterations=20',
      },
    }),
  );

  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: FLAGS,
    viewport: { width: 1280, height: 900 },
    timeout: 20_000,
  });
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    const offsite: string[] = [];
    const errors: string[] = [];
    page.on('request', (r) => {
      if (!r.url().startsWith('file:')) offsite.push(r.url());
    });
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    page.on('pageerror', (e) => errors.push(e.message));
    mkdirSync(artifacts, { recursive: true });

    const pages = [
      { name: 'training', screenshot: 'report-screenshot.png', svgs: 2, cells: 0 },
      { name: 'tournament', screenshot: 'report-tournament-screenshot.png', svgs: 2, cells: 2 * result.players.length ** 2 },
      { name: 'ipd', screenshot: 'report-ipd-screenshot.png', svgs: 1, cells: 0 },
    ];
    for (const p of pages) {
      await page.goto(pathToFileURL(join(dir, p.name, 'report.html')).href, { waitUntil: 'load' });
      t.is(await page.$$eval('script', (els) => els.length), 0, `${p.name}: no script`);
      const plots: PlotInfo[] = await page.$$eval('svg', (svgs) =>
        svgs.map((svg) => {
          const box = svg.getBoundingClientRect();
          // Vega puts each data mark in a group of class "role-mark"; rects and symbols render as <path>.
          const marks = [...svg.querySelectorAll('.role-mark path, .role-mark rect, .role-mark circle')].filter((el) => {
            const d = el.getAttribute('d');
            if (el.tagName.toLowerCase() === 'path' && (!d || d.trim() === '')) return false;
            const b = (el as unknown as { getBBox(): { width: number; height: number } }).getBBox();
            return b.width > 0 || b.height > 0;
          });
          const cells = marks.filter((el) => el.getAttribute('aria-roledescription') === 'rect mark');
          return { width: box.width, height: box.height, dataMarks: marks.length, cells: cells.length };
        }),
      );
      t.true(plots.length >= p.svgs, `${p.name}: ${plots.length} SVG elements, want ≥ ${p.svgs}`);
      plots.forEach((plot, k) => {
        t.true(plot.width > 200 && plot.height > 150, `${p.name} plot ${k}: laid out at ${plot.width}×${plot.height}`);
        t.true(plot.dataMarks >= 2, `${p.name} plot ${k}: ${plot.dataMarks} data marks with geometry`);
      });
      if (p.cells) t.is(plots.reduce((a, x) => a + x.cells, 0), p.cells, `${p.name}: one cell per matrix entry in both heat maps`);
      if (p.name === 'tournament') {
        const labels = await page.$$eval('.role-mark text', (els) => els.map((e) => e.textContent ?? ''));
        t.true(labels.includes('9') && labels.includes('14'), 'tit-for-tat vs always-defect: 9 and 14 printed in the cells');
      }
      if (p.name === 'ipd') {
        // The new parts are laid out and visible: provenance with the version, the config block, the policy table.
        const visible = (selector: string) => page.$$eval(selector, (els) => els.filter((e) => { const b = e.getBoundingClientRect(); return b.width > 0 && b.height > 0; }).map((e) => e.textContent ?? ''));
        const cells = await visible('td');
        t.true(cells.includes(`@dilemma/engine ${version}`), 'the package version');
        t.true(cells.includes('dilemma train ipd.yaml train.iterations=20'), 'the command');
        t.true(cells.includes('rounds: 10'), 'the game parameters');
        t.regex((await visible('pre'))[0] ?? '', /iterations: 20/, 'the config');
        const headings = await visible('h2');
        t.true(headings.includes('Experiment') && headings.includes('Learned strategies'), headings.join(', '));
        const policyRows = await page.$$eval('section', (sections) => {
          const s = sections.find((x) => x.querySelector('h2')?.textContent === 'Learned strategies');
          return [...(s?.querySelectorAll('tbody tr') ?? [])].map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent ?? ''));
        });
        t.is(policyRows.length, 2, 'a policy row per run');
        for (const row of policyRows) {
          t.true(['tit-for-tat', 'generous-tit-for-tat', 'grim-trigger', 'win-stay-lose-shift', 'suspicious-tit-for-tat', 'always-cooperate', 'always-defect'].includes(row[2]), `nearest strategy ${row[2]}`);
          t.true(row.slice(4).every((c) => /^(0|1|0\.\d\d|1\.00)$/.test(c)), `probabilities: ${row.join(' ')}`);
        }
        // Legend swatches drawn in the colours of the lines.
        const swatches = await page.$$eval('.role-legend-symbol path', (els) => els.map((e) => [e.getAttribute('stroke') ?? '', e.getAttribute('opacity') ?? '']));
        const lines = await page.$$eval('.mark-line.role-mark path', (els) => [...new Set(els.map((e) => e.getAttribute('stroke') ?? ''))]);
        t.is(swatches.length, 2);
        for (const [stroke, opacity] of swatches) t.true(lines.includes(stroke) && opacity === '1', `${stroke} ${opacity} vs ${lines.join(', ')}`);
      }
      const file = join(artifacts, p.screenshot);
      await page.screenshot({ path: file, fullPage: true });
      t.true(statSync(file).size > 10_000, `${p.screenshot} written`);
    }
    t.deepEqual(offsite, [], 'the reports fetch nothing beyond their own file');
    t.deepEqual(errors, [], 'no console errors (a CSP violation would show here)');
  } finally {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
    rmSync(dir, { recursive: true, force: true });
  }
});

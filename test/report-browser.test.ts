/**
 * A report rendered in headless Chromium (Debian's package, installed by
 * scripts/ensure-chromium.mjs in CI): its plots are laid out with data marks,
 * and a screenshot is kept under artifacts/.
 */
import test from 'ava';
import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { trainingReport, tournamentReport, writeReport } from '../src/report/index.js';
import { train, tournament } from '../src/index.js';

const CHROMIUM = '/usr/bin/chromium';
const root = new URL('..', import.meta.url).pathname;
const browserTest = existsSync(CHROMIUM) ? test.serial : test.serial.skip;
if (!existsSync(CHROMIUM)) console.log(`${CHROMIUM} is missing: run node scripts/ensure-chromium.mjs (CI does)`);

browserTest('a training and a tournament report render with their plots in headless Chromium', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'dilemma-report-'));
  const runs = [];
  for (const algorithm of ['naive', 'advantage-alignment'] as const) {
    for (const seed of [1, 2]) {
      const { trainer, history } = await train({ algorithm, seed, iterations: 30, batch: 128, lr: 0.2 });
      runs.push({ algorithm, seed, history, statNames: trainer.statNames });
      trainer.dispose();
    }
  }
  writeReport(join(dir, 'training'), await trainingReport(runs));
  writeReport(join(dir, 'tournament'), await tournamentReport(await tournament({ game: 'ipd', players: ['tit-for-tat', 'always-defect', 'random'], repetitions: 20 })));

  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    const requests: string[] = [];
    page.on('request', (r) => {
      if (!r.url().startsWith('file:')) requests.push(r.url());
    });
    for (const name of ['training', 'tournament']) {
      await page.goto(pathToFileURL(join(dir, name, 'report.html')).href);
      const plots = await page.$$eval('svg', (svgs) =>
        svgs.map((svg) => {
          const box = svg.getBoundingClientRect();
          const marks = [...svg.querySelectorAll('path, rect, circle, line')].filter((el) => {
            const b = (el as unknown as { getBBox(): { width: number; height: number } }).getBBox();
            return b.width > 0 || b.height > 0;
          });
          return { width: box.width, height: box.height, marks: marks.length };
        }),
      );
      t.true(plots.length >= 1, `${name}: an SVG plot`);
      for (const p of plots) {
        t.true(p.width > 100 && p.height > 100, `${name}: plot laid out (${p.width}×${p.height})`);
        t.true(p.marks >= 4, `${name}: plot has data marks (${p.marks})`);
      }
      mkdirSync(join(root, 'artifacts'), { recursive: true });
      await page.screenshot({ path: join(root, 'artifacts', `report-${name}.png`), fullPage: true });
    }
    t.deepEqual(requests, [], 'the report fetches nothing from the network');
  } finally {
    await browser.close();
  }
});

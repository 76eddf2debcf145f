/**
 * Reports: SVG plots (series and cells, values from the input, titles and
 * axis labels, determinism), the self-contained HTML page (no script, no
 * URLs but the SVG namespace), and atomic writing of the report's files.
 */
import test from 'ava';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tournament, type IterationMetrics, type TournamentResult } from '../src/index.js';
import {
  formatCell,
  formatPercent,
  payoffHeatmap,
  renderReport,
  renderTable,
  tournamentReport,
  trainingCurves,
  trainingReport,
  trustAndSplit,
  trustAndSplitFromStats,
  writeReport,
  type TrainingRun,
  type TrustAndSplitRun,
} from '../src/report/index.js';

const dir = mkdtempSync(join(tmpdir(), 'dilemma-report-'));
const SVG_NS = 'http://www.w3.org/2000/svg';

function metrics(iteration: number, meanReturn: number[], action0Rate: number[], gameStats: number[] = []): IterationMetrics {
  return {
    iteration, meanReturn, action0Rate, entropy: 0.5, policyLoss: 0, kl: 0, clippedFraction: 0, gradNorm: 1, criticLoss: 0,
    creditAbsMean: 1, bufferOpponent: false, bufferSize: 0, gameStats, seconds: 0.01,
  };
}

/** Two algorithms × three seeds, 20 iterations: naive drifts to defection, AA to cooperation. */
function runs(): TrainingRun[] {
  const out: TrainingRun[] = [];
  for (const algorithm of ['naive', 'advantage-alignment']) {
    for (let seed = 1; seed <= 3; seed++) {
      const up = algorithm !== 'naive';
      const history = Array.from({ length: 20 }, (_, i) => {
        const c = Math.min(1, Math.max(0, 0.5 + (up ? 1 : -1) * (i / 40) + seed / 100));
        return metrics(i, [10 + 20 * c, 10 + 20 * c - seed / 10], [c, c]);
      });
      out.push({ algorithm, seed, history });
    }
  }
  return out;
}

function tsRuns(): TrustAndSplitRun[] {
  return ['naive', 'advantage-alignment'].flatMap((algorithm, a) =>
    [1, 2].map((seed) => ({
      algorithm,
      seed,
      efficiency: Array.from({ length: 15 }, (_, i) => 0.5 + a * 0.02 * i + seed / 100),
      honesty: Array.from({ length: 15 }, (_, i) => 0.9 - (1 - a) * 0.03 * i),
    })),
  );
}

const RESULT: TournamentResult = {
  players: ['tit-for-tat', 'always-defect', 'always-cooperate'],
  repetitions: 100,
  payoff: [[30, 9, 30], [14, 10, 50], [30, 0, 30]],
  opponentPayoff: [[30, 14, 30], [9, 10, 0], [30, 50, 30]],
  cooperation: [[1, 0.1, 1], [0, 0, 0], [1, 1, 1]],
  ranking: [
    { player: 'tit-for-tat', score: 21.5, cooperation: 0.7 },
    { player: 'always-defect', score: 20.17, cooperation: 0 },
    { player: 'always-cooperate', score: 18.33, cooperation: 1 },
  ],
};

const count = (s: string, re: RegExp) => (s.match(re) ?? []).length;
const marks = (svg: string, kind: string) => count(svg, new RegExp(`aria-roledescription="${kind} mark"`, 'g'));
/** Text of the data-label text marks (not axis labels), in document order. */
const textMarks = (svg: string) => [...svg.matchAll(/<text[^>]*aria-roledescription="text mark"[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]);

function checkPlot(t: import('ava').ExecutionContext, svg: string, title: string, axisTitles: string[]) {
  t.true(svg.startsWith('<svg'), 'an SVG document');
  t.true(svg.includes(`xmlns="${SVG_NS}"`));
  t.true(svg.includes(`>${title}</text>`), `title ${title}`);
  t.true(svg.includes('role-title-text'));
  for (const a of axisTitles) t.true(svg.includes(`>${a}</text>`), `axis title ${a}`);
  t.true(count(svg, /role-axis-title/g) >= 2, 'axis titles');
  // Data marks with geometry: paths with a non-empty d inside mark containers.
  t.true(count(svg, /role="graphics-symbol" aria-roledescription="(line|area|rect) mark" d="M[^"]+"/g) > 0, 'data marks');
  t.false(/<script/i.test(svg));
  t.deepEqual([...new Set(svg.match(/https?:\/\/[^"'\s)]+/g) ?? [])], [SVG_NS], 'no URL but the SVG namespace');
}

test('training curves: a line and a band per algorithm in each panel, titles, axis labels', async (t) => {
  const svg = await trainingCurves(runs());
  checkPlot(t, svg, 'Training curves', ['iteration', 'mean episode return per agent', 'share of steps with action 0']);
  t.true(svg.includes('>Payoff (mean return per agent)</text>'));
  t.true(svg.includes('>Cooperation rate (action 0)</text>'));
  t.is(marks(svg, 'line'), 4, '2 algorithms × 2 panels');
  t.is(marks(svg, 'area'), 4, 'a band per line');
  t.true(svg.includes('>naive</text>') && svg.includes('>advantage-alignment</text>'), 'legend names the algorithms');
  t.true(svg.includes('3 seeds, 6 runs'));
  // Each line's aria label carries its first point: the mean over seeds at iteration 0.
  const first = (label: string, algorithm: string) => {
    const m = svg.match(new RegExp(`aria-label="iteration: 0; ${label}: ([-0-9.e]+); algorithm: ${algorithm}"[^>]*aria-roledescription="line mark"`));
    return m ? Number(m[1]) : NaN;
  };
  const input = runs().filter((r) => r.algorithm === 'naive').map((r) => r.history[0]);
  const meanOf = (f: (m: IterationMetrics) => number) => input.reduce((a, m) => a + f(m), 0) / input.length;
  const payoff0 = meanOf((m) => (m.meanReturn[0] + m.meanReturn[1]) / 2);
  const coop0 = meanOf((m) => m.action0Rate[0]);
  t.true(Math.abs(first('mean episode return per agent', 'naive') - payoff0) < 1e-6, `payoff ${payoff0}`);
  t.true(Math.abs(first('share of steps with action 0', 'naive') - coop0) < 1e-6, `cooperation ${coop0}`);
  // The band spans the seeds: min and max of iteration 0's cooperation.
  const band = svg.match(/aria-label="iteration: 0; share of steps with action 0: ([0-9.]+); hi: ([0-9.]+); algorithm: naive"/);
  t.truthy(band);
  t.deepEqual([Number(band![1]), Number(band![2])], [0.51, 0.53]);
  const summed = await trainingCurves(runs(), { payoff: 'sum', band: 'sd' });
  t.true(summed.includes('>episode return, summed over agents</text>'));
  t.true(summed.includes('mean ± 1 sd over seeds'));
  t.not(summed, svg);
});

test('training curves: three algorithms give three lines per panel; long runs are thinned', async (t) => {
  const three = [...runs(), { algorithm: 'sum-of-rewards', seed: 1, history: runs()[0].history }];
  t.is(marks(await trainingCurves(three), 'line'), 6);
  const long: TrainingRun = {
    algorithm: 'naive',
    seed: 1,
    history: Array.from({ length: 5000 }, (_, i) => metrics(i, [i % 7, 1], [0.5, 0.5])),
  };
  const svg = await trainingCurves([long], { maxPoints: 100 });
  const d = svg.match(/aria-roledescription="line mark" d="([^"]+)"/)![1];
  t.true(count(d, /L/g) <= 101, `at most 101 points, got ${count(d, /L/g) + 1}`);
});

test('heat map: one cell and one printed value per matrix entry', async (t) => {
  const svg = await payoffHeatmap(RESULT);
  checkPlot(t, svg, 'Tournament payoffs', ['opponent (seat 1)', 'player (seat 0)']);
  t.is(marks(svg, 'rect'), 9);
  const expected = RESULT.payoff.flat().map(formatCell);
  t.deepEqual([...textMarks(svg)].sort(), [...expected].sort());
  for (const p of RESULT.players) t.true(svg.includes(`>${p}</text>`), `axis label ${p}`);
  // Each cell's aria label names its row and column, and its printed value.
  t.true(svg.includes('opponent (seat 1): always-defect; player (seat 0): tit-for-tat; label: 9'));
  t.true(svg.includes('opponent (seat 1): always-cooperate; player (seat 0): always-defect; label: 50'));

  const coop = await payoffHeatmap(RESULT, { matrix: 'cooperation' });
  t.is(marks(coop, 'rect'), 9);
  t.deepEqual([...textMarks(coop)].sort(), RESULT.cooperation.flat().map(formatPercent).sort());
  t.true(coop.includes('>Tournament cooperation rates</text>'));
});

test('heat map of a real tournament prints its payoffs', async (t) => {
  const result = await tournament({ game: 'ipd', players: ['tit-for-tat', 'always-defect', 'grim-trigger', 'random'], repetitions: 64, seed: 5 });
  const svg = await payoffHeatmap(result);
  t.is(marks(svg, 'rect'), 16);
  t.deepEqual([...textMarks(svg)].sort(), result.payoff.flat().map(formatCell).sort());
  t.true(textMarks(svg).includes('9') && textMarks(svg).includes('14'), 'tit-for-tat vs always-defect: 9 and 14');
});

test('trust-and-split: efficiency and honesty lines per algorithm; statistics map to the series', async (t) => {
  const svg = await trustAndSplit(tsRuns());
  checkPlot(t, svg, 'Trust-and-split: efficiency and honesty', ['iteration', 'efficiency', 'honesty']);
  t.is(marks(svg, 'line'), 4);
  t.is(marks(svg, 'area'), 4);

  const statNames = ['welfare', 'max_welfare', 'claims_true_0', 'claims_true_1', 'claims_0', 'claims_1'];
  const run: TrainingRun = {
    algorithm: 'aa',
    seed: 1,
    statNames,
    history: [metrics(0, [1, 1], [0.5, 0.5], [12, 16, 1, 2, 4, 4]), metrics(1, [1, 1], [0.5, 0.5], [16, 16, 0, 0, 0, 0])],
  };
  const mapped = trustAndSplitFromStats(run)!;
  t.deepEqual(mapped.efficiency, [0.75, 1]);
  t.is(mapped.honesty[0], 3 / 8);
  t.true(Number.isNaN(mapped.honesty[1]), 'no claims: undefined honesty, left out of the plot');
  t.deepEqual(mapped.iterations, [0, 1]);
  t.is(trustAndSplitFromStats({ ...run, statNames: ['welfare'] }), undefined);
  t.is(marks(await trustAndSplit([mapped]), 'line'), 2);
});

test('plots are deterministic', async (t) => {
  const a = [await trainingCurves(runs()), await payoffHeatmap(RESULT), await trustAndSplit(tsRuns())];
  const b = [await trainingCurves(runs()), await payoffHeatmap(RESULT), await trustAndSplit(tsRuns())];
  t.deepEqual(a, b);
  const ra = await tournamentReport(RESULT);
  const rb = await tournamentReport(RESULT);
  t.is(ra.html, rb.html);
});

test('bad plot inputs are named errors', async (t) => {
  await t.throwsAsync(trainingCurves([]), { code: 'ERR_INVALID_ARGUMENT', message: /runs/ });
  await t.throwsAsync(trainingCurves([{ algorithm: 'a', seed: 1, history: [] }]), { message: /runs\[0\]\.history/ });
  await t.throwsAsync(payoffHeatmap({ ...RESULT, payoff: [[1, 2], [3, 4]] }), { message: /result\.payoff must be a 3×3/ });
  await t.throwsAsync(payoffHeatmap({ ...RESULT, players: ['a', 'a', 'b'] }), { message: /distinct/ });
  await t.throwsAsync(trustAndSplit([{ algorithm: 'a', seed: 1, efficiency: [], honesty: [] }]), { message: /no iterations/ });
});

test('HTML: self-contained, escaped, no script, no URL but the SVG namespace, unique ids', async (t) => {
  const curves = await trainingCurves(runs());
  const heat = await payoffHeatmap(RESULT);
  const html = renderReport({
    title: 'Runs <&> "quoted"',
    subtitle: 'a subtitle',
    sections: [
      { heading: 'Curves', text: ['first <b>paragraph</b>', 'second'], svg: curves },
      { heading: 'Heat', svg: heat, table: { columns: ['player', 'score'], rows: [['tit-for-tat', 21.5], ['x<y', -0.0001]], caption: 'Ranking' } },
      { heading: 'Again', svg: curves },
    ],
  });
  t.true(html.startsWith('<!DOCTYPE html>'));
  t.false(/<script/i.test(html));
  t.false(/<link|<iframe|<img|@import|src=/i.test(html), 'nothing loaded from elsewhere');
  t.deepEqual([...new Set(html.match(/https?:\/\/[^"'\s)<]+/g) ?? [])], [SVG_NS]);
  t.true(html.includes(`default-src 'none'`), 'a CSP that forbids fetches');
  t.true(html.includes('<title>Runs &lt;&amp;&gt; &quot;quoted&quot;</title>'));
  t.true(html.includes('<p>first &lt;b&gt;paragraph&lt;/b&gt;</p>'));
  t.is(count(html, /<svg[\s>]/g), 3);
  t.true(html.includes('<td>x&lt;y</td><td class="num">0.000</td>'), 'numbers right-aligned, -0 shown as 0');
  t.true(html.includes('<caption>Ranking</caption>'));
  const ids = [...html.matchAll(/\sid="([^"]+)"/g)].map((m) => m[1]);
  t.true(ids.length > 0);
  t.is(new Set(ids).size, ids.length, 'ids unique across inlined SVGs');
  for (const m of html.matchAll(/url\(#([^)]+)\)/g)) t.true(ids.includes(m[1]), `reference ${m[1]} resolves`);

  t.throws(() => renderReport({ title: 't', sections: [{ heading: 'h', svg: '<svg><script>alert(1)</script></svg>' }] }), {
    code: 'ERR_INVALID_ARGUMENT',
    message: /sections\[0\]\.svg must not contain scripts/,
  });
  t.throws(() => renderReport({ title: 't', sections: [{ heading: 'h', svg: '<div></div>' }] }), { message: /SVG document/ });
  t.throws(() => renderReport({ title: '', sections: [] }), { message: /report\.title/ });
  t.throws(() => renderTable({ columns: ['a'], rows: [[1, 2]] }), { message: /at most 1 cells/ });
});

test('training and tournament reports: plots, tables, SVG files', async (t) => {
  const statNames = ['welfare', 'max_welfare', 'claims_true_0', 'claims_true_1', 'claims_0', 'claims_1'];
  const withStats = runs().map((r) => ({
    ...r,
    statNames,
    history: r.history.map((m, i) => ({ ...m, gameStats: [10 + i / 4, 16, 1, 1, 2, 2] })),
  }));
  const selfPlay = {
    opponent: 'self', seat: 0, cooperation: 0.99, opponentCooperation: 0.99, payoff: 29.7, opponentPayoff: 29.7, collective: 59.4,
    cooperationCI: 0.01, payoffCI: 0.1,
  };
  const rows = [['-', 1], ['CC', 0.995], ['CD', 0.02], ['DC', 0.97], ['DD', 0.01]] as const;
  const evaluation = {
    greedy: false,
    episodes: 4096,
    selfPlay,
    matches: [{ ...selfPlay, opponent: 'tit-for-tat' }, { ...selfPlay, opponent: 'always-defect', cooperation: 0.1, payoff: 9 }],
    exploitability: 1,
    exploitabilityCI: 0.01,
    actionTable: {
      memory: 1,
      rows: rows.map(([history, cooperate]) => ({ history, cooperate, visits: 100 })),
      nearest: [{ name: 'tit-for-tat', distance: 0.013 }],
    },
  };
  const training = await trainingReport(withStats, [{ algorithm: 'advantage-alignment', seed: 1, evaluation }], { description: 'IPD, 10 rounds' });
  t.deepEqual(Object.keys(training.svgs), ['training-curves', 'trust-and-split']);
  t.is(count(training.html, /<svg[\s>]/g), 2);
  t.true(training.html.includes('<h2>Setup</h2>') && training.html.includes('<p>IPD, 10 rounds</p>'));
  // Percentages are numbers too: right-aligned like the payoffs.
  t.true(training.html.includes('<th scope="col" class="num">cooperation vs always-defect</th>'));
  t.true(training.html.includes('<td class="num">99.0%</td>'));
  t.is(count(training.html, /<tr>/g), 1 + 6 + 1 + 1 + 1 + 1, 'runs table, evaluation table and learned-strategy table rows');
  t.true(training.html.includes('<h2>Learned strategies</h2>'));
  t.true(training.html.includes('<th scope="col" class="num">P(C | CD)</th>'));
  t.true(training.html.includes('<td>tit-for-tat</td>'));
  t.false(/<script/i.test(training.html));

  const plain = await trainingReport(runs());
  t.deepEqual(Object.keys(plain.svgs), ['training-curves'], 'no trust-and-split plot without its statistics');

  const report = await tournamentReport(RESULT);
  t.deepEqual(Object.keys(report.svgs), ['payoff-matrix', 'cooperation-matrix']);
  t.true(report.html.includes('<td class="num">1</td><td>tit-for-tat</td><td class="num">21.50</td><td class="num">70.0%</td>'));
  t.deepEqual([...new Set(report.html.match(/https?:\/\/[^"'\s)<]+/g) ?? [])], [SVG_NS]);

  const out = join(dir, 'tournament');
  const written = writeReport(out, report);
  t.is(written.html, join(out, 'report.html'));
  t.is(readFileSync(written.html, 'utf8'), report.html);
  t.is(readFileSync(join(out, 'payoff-matrix.svg'), 'utf8'), report.svgs['payoff-matrix']);
  t.deepEqual(readdirSync(out).sort(), ['cooperation-matrix.svg', 'payoff-matrix.svg', 'report.html']);
});

test('writeReport is atomic: an error leaves no temporary or partial file and keeps the old report', async (t) => {
  const out = join(dir, 'atomic');
  writeReport(out, { html: 'old report', svgs: { a: '<svg>old a</svg>' } });
  // b.svg cannot be replaced (a directory stands there): the write fails after the temporary files are written.
  mkdirSync(join(out, 'b.svg'));
  writeFileSync(join(out, 'b.svg', 'keep'), 'x');
  const error = t.throws(() => writeReport(out, { html: 'new report', svgs: { a: '<svg>new a</svg>', b: '<svg>new b</svg>' } }));
  t.truthy(error);
  t.deepEqual(readdirSync(out).sort(), ['a.svg', 'b.svg', 'report.html'], 'no temporary file left');
  t.is(readFileSync(join(out, 'report.html'), 'utf8'), 'old report', 'report.html untouched: it is renamed last');
  t.true(['<svg>old a</svg>', '<svg>new a</svg>'].includes(readFileSync(join(out, 'a.svg'), 'utf8')), 'a.svg whole, old or new');

  // Invalid input writes nothing at all.
  const fresh = join(dir, 'invalid');
  t.throws(() => writeReport(fresh, { html: 'x', svgs: { '../escape': '<svg/>' } }), { code: 'ERR_INVALID_ARGUMENT', message: /escape/ });
  t.throws(() => writeReport(fresh, { html: 'x', svgs: { ok: 42 as unknown as string } }), { message: /files\.svgs\['ok'\]/ });
  t.false(existsSync(fresh));

  // A directory that cannot be created (a file is in the way) fails before anything is written.
  writeFileSync(join(dir, 'file'), 'x');
  t.throws(() => writeReport(join(dir, 'file', 'sub'), { html: 'x', svgs: {} }));
});

test('legend swatches are solid strokes in the colours of the lines they name', async (t) => {
  const svg = await trainingCurves(runs());
  const swatches = [...svg.matchAll(/role-legend-symbol[^>]*><path [^>]*stroke="(#[0-9a-f]{6})" stroke-width="(\d+)" opacity="([\d.]+)"/g)];
  t.is(swatches.length, 2, 'one swatch per algorithm');
  // The mean lines: the stroked paths of Vega's line marks.
  const lineColours = new Set([...svg.matchAll(/<g class="mark-line role-mark[^>]*>(?:<path [^>]*?stroke="(#[0-9a-f]{6})"[^>]*\/>)+/g)].flatMap((m) => [...m[0].matchAll(/stroke="(#[0-9a-f]{6})"/g)].map((x) => x[1])));
  for (const [, colour, width, opacity] of swatches) {
    t.is(Number(opacity), 1, 'not the band\'s faint fill');
    t.true(Number(width) >= 2);
    t.true(lineColours.has(colour), `${colour} is the colour of a line (${[...lineColours].join(', ')})`);
  }
  t.deepEqual(new Set(swatches.map((m) => m[1])), lineColours);
});

test('heat map axes print full player names, however long', async (t) => {
  const long = 'ckpt:runs/ipd-sweep/train.beta=0.5/advantage-alignment-seed12/checkpoint.json';
  const svg = await payoffHeatmap({ ...RESULT, players: [long, ...RESULT.players.slice(1)] });
  const labels = [...svg.matchAll(/role-axis-label[\s\S]*?<\/g>/g)].flatMap((m) => [...m[0].matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((x) => x[1]));
  t.is(labels.filter((l) => l === long).length, 2, 'on both axes, whole');
  t.false(labels.some((l) => l.includes('…')), 'nothing cut');
});

test('a training report states the game, its parameters, the config, the version, the date and the command', async (t) => {
  const provenance = {
    game: 'ipd',
    params: { rounds: 10, noise: 0.05 },
    config: 'algorithms:\n  - naive\ntrain:\n  beta: 0.5 # <b>not markup</b>',
    version: '9.8.7',
    date: '2026-01-02T03:04:05.000Z',
    command: 'dilemma train exp.yaml train.beta=0.5,1',
  };
  const runsTable = { columns: ['train.beta', 'algorithm', 'seed', 'final payoff', 'final cooperation'], rows: [['0.5', 'naive', '1', '17.27', '26.6%']], caption: 'as in the terminal' };
  const { html } = await trainingReport(runs(), undefined, { provenance, runsTable });
  t.true(html.indexOf('<h2>Experiment</h2>') < html.indexOf('<h2>Training curves</h2>'), 'first');
  for (const cell of ['<td>ipd</td>', '<td>rounds: 10, noise: 0.05</td>', '<td>@dilemma/engine 9.8.7</td>', '<td>2026-01-02T03:04:05.000Z</td>', '<td>dilemma train exp.yaml train.beta=0.5,1</td>']) {
    t.true(html.includes(cell), cell);
  }
  t.true(html.includes('<pre><code>algorithms:\n  - naive\ntrain:\n  beta: 0.5 # &lt;b&gt;not markup&lt;/b&gt;</code></pre>'), 'the config verbatim, escaped');
  t.regex(html, /Cite as: @dilemma\/engine 9\.8\.7, ipd, run on 2026-01-02 with `dilemma train exp\.yaml train\.beta=0\.5,1`/);
  // The runs table given replaces the default one, with its columns and text.
  t.true(html.includes('<th scope="col" class="num">train.beta</th><th scope="col">algorithm</th><th scope="col" class="num">seed</th>'));
  t.true(html.includes('<td class="num">17.27</td><td class="num">26.6%</td>'));
  t.false(html.includes('training s'));
  await t.throwsAsync(trainingReport(runs(), undefined, { provenance: { ...provenance, version: 3 as never } }), { code: 'ERR_INVALID_ARGUMENT', message: /options\.provenance\.version/ });
});

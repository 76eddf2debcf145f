/**
 * Self-contained HTML reports: one file with inline SVG plots, inline CSS and
 * tables, no script and nothing fetched from the network (a
 * Content-Security-Policy forbids it), plus the same plots as .svg files.
 */
import { join, resolve } from 'node:path';
import { DilemmaError, ErrorCode } from '../errors.js';
import { writeAtomicAll } from '../fs-safe.js';
import type { Evaluation } from '../evaluate.js';
import type { TournamentResult } from '../tournament.js';
import {
  payoffHeatmap,
  renameSvgIds,
  trainingCurves,
  trustAndSplit,
  trustAndSplitFromStats,
  type TrainingCurvesOptions,
  type TrainingRun,
  type TrustAndSplitRun,
} from './plots.js';

export type TableCell = string | number | boolean | null | undefined;

export interface ReportTable {
  columns: string[];
  rows: TableCell[][];
  caption?: string;
  /** Decimals for non-integer numbers (default 3). */
  digits?: number;
}

export interface ReportSection {
  heading: string;
  /** A paragraph, or several. Plain text: it is escaped. */
  text?: string | string[];
  /** An SVG document (e.g. from the plots module), inlined. */
  svg?: string;
  table?: ReportTable;
  /** Preformatted text (a config file, a command), shown verbatim after the table. */
  code?: string;
}

export interface ReportInput {
  title: string;
  /** A line under the title. */
  subtitle?: string;
  sections: ReportSection[];
}

/** A report ready to write: the HTML page and its plots by file name (without .svg). */
export interface ReportFiles {
  html: string;
  svgs: Record<string, string>;
}

/** The same as ReportFiles. */
export type Report = ReportFiles;

export interface WrittenReport {
  /** Path of report.html. */
  html: string;
  /** Path of each <name>.svg. */
  svgs: Record<string, string>;
}

function invalid(message: string): never {
  throw new DilemmaError(ErrorCode.InvalidArgument, message);
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes text for HTML content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

const CSS = `
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { margin: 0; padding: 24px 32px 48px; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; color: #1b1f24; background: #fff; }
main { max-width: 1180px; margin: 0 auto; }
h1 { font-size: 26px; margin: 0 0 4px; }
.subtitle { color: #57606a; margin: 0 0 24px; }
section { margin: 28px 0; }
h2 { font-size: 19px; margin: 0 0 8px; padding-bottom: 4px; border-bottom: 1px solid #d0d7de; }
p { margin: 6px 0; max-width: 80ch; }
figure { margin: 12px 0; overflow-x: auto; }
figure svg { max-width: 100%; height: auto; display: block; }
table { border-collapse: collapse; margin: 12px 0; font-size: 14px; font-variant-numeric: tabular-nums; }
caption { caption-side: top; text-align: left; color: #57606a; padding-bottom: 6px; }
th, td { padding: 4px 12px; border-bottom: 1px solid #d8dee4; text-align: left; }
th { background: #f6f8fa; font-weight: 600; border-bottom: 2px solid #d0d7de; }
td.num, th.num { text-align: right; }
pre { background: #f6f8fa; border: 1px solid #d0d7de; border-radius: 6px; padding: 10px 14px; font-size: 13px; overflow-x: auto; max-width: 100%; }
td.wrap { white-space: pre-wrap; word-break: break-all; font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 13px; }
tbody tr:nth-child(even) { background: #fbfcfd; }
footer { margin-top: 40px; color: #8c959f; font-size: 12px; }
`.trim();

function formatCell(c: TableCell, digits: number): string {
  if (c === null || c === undefined) return '';
  if (typeof c === 'number') {
    if (Number.isNaN(c)) return '–';
    if (!Number.isFinite(c)) return String(c);
    const s = Number.isInteger(c) ? String(c) : c.toFixed(digits);
    return /^-0(\.0*)?$/.test(s) ? s.slice(1) : s;
  }
  return String(c);
}

const NUMERIC_TEXT = /^(|–|[-+]?(\d+(\.\d*)?|\.\d+)(e[-+]?\d+)?%?)$/;

/** An HTML table: text left, numeric columns right-aligned, cells escaped. */
export function renderTable(table: ReportTable): string {
  if (typeof table !== 'object' || table === null) invalid('table must be an object');
  const { columns, rows } = table;
  if (!Array.isArray(columns) || columns.length === 0 || columns.some((c) => typeof c !== 'string')) {
    invalid('table.columns must be a non-empty array of strings');
  }
  if (!Array.isArray(rows) || rows.some((r) => !Array.isArray(r) || r.length > columns.length)) {
    invalid(`table.rows must be arrays of at most ${columns.length} cells`);
  }
  const digits = table.digits ?? 3;
  if (!Number.isInteger(digits) || digits < 0 || digits > 12) invalid('table.digits must be an integer from 0 to 12');
  // Numbers, and numbers already formatted as text ("97.3%", "–" for none), line up on the right.
  const numeric = columns.map(
    (_, k) => rows.length > 0 && rows.every((r) => r[k] === null || r[k] === undefined || typeof r[k] === 'number' || (typeof r[k] === 'string' && NUMERIC_TEXT.test(r[k] as string))),
  );
  const cls = (k: number) => (numeric[k] ? ' class="num"' : '');
  const out = ['<table>'];
  if (table.caption) out.push(`<caption>${escapeHtml(table.caption)}</caption>`);
  out.push(`<thead><tr>${columns.map((c, k) => `<th scope="col"${cls(k)}>${escapeHtml(c)}</th>`).join('')}</tr></thead>`);
  out.push('<tbody>');
  for (const r of rows) {
    out.push(`<tr>${columns.map((_, k) => `<td${cls(k)}>${escapeHtml(formatCell(r[k], digits))}</td>`).join('')}</tr>`);
  }
  out.push('</tbody></table>');
  return out.join('\n');
}

/** Checks an SVG document for inlining and gives its ids a per-figure prefix (several SVGs share one page). */
function inlineSvg(svg: string, name: string, prefix: string): string {
  if (typeof svg !== 'string') invalid(`${name} must be an SVG string`);
  const body = svg.replace(/^\s*<\?xml[^>]*\?>\s*/, '').replace(/^\s*<!DOCTYPE[^>]*>\s*/i, '').trim();
  if (!/^<svg[\s>]/.test(body) || !/<\/svg>$/.test(body)) invalid(`${name} must be an SVG document (<svg …>…</svg>)`);
  if (/<script[\s>/]/i.test(body) || /<foreignObject[\s>/]/i.test(body) || /\son[a-z]+\s*=/i.test(body)) {
    invalid(`${name} must not contain scripts, event handlers or foreign objects`);
  }
  return renameSvgIds(body, (id) => `${prefix}-${id}`);
}

/** One self-contained HTML page: inline CSS and SVG, no script, no network fetches. */
export function renderReport(input: ReportInput): string {
  if (typeof input !== 'object' || input === null) invalid('report must be an object');
  if (typeof input.title !== 'string' || input.title.length === 0) invalid('report.title must be a non-empty string');
  if (!Array.isArray(input.sections)) invalid('report.sections must be an array');
  const parts: string[] = [];
  input.sections.forEach((s, i) => {
    const name = `report.sections[${i}]`;
    if (typeof s !== 'object' || s === null) invalid(`${name} must be an object`);
    if (typeof s.heading !== 'string' || s.heading.length === 0) invalid(`${name}.heading must be a non-empty string`);
    const body: string[] = [`<h2>${escapeHtml(s.heading)}</h2>`];
    if (s.text !== undefined) {
      const paragraphs = Array.isArray(s.text) ? s.text : [s.text];
      if (paragraphs.some((p) => typeof p !== 'string')) invalid(`${name}.text must be a string or an array of strings`);
      for (const p of paragraphs) body.push(`<p>${escapeHtml(p)}</p>`);
    }
    if (s.svg !== undefined) {
      body.push(`<figure aria-label="${escapeHtml(s.heading)}">\n${inlineSvg(s.svg, `${name}.svg`, `f${i + 1}`)}\n</figure>`);
    }
    if (s.table !== undefined) body.push(renderTable(s.table));
    if (s.code !== undefined) {
      if (typeof s.code !== 'string') invalid(`${name}.code must be a string`);
      body.push(`<pre><code>${escapeHtml(s.code)}</code></pre>`);
    }
    parts.push(`<section>\n${body.join('\n')}\n</section>`);
  });
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(input.title)}</title>`,
    `<style>\n${CSS}\n</style>`,
    '</head>',
    '<body>',
    '<main>',
    `<h1>${escapeHtml(input.title)}</h1>`,
    ...(input.subtitle ? [`<p class="subtitle">${escapeHtml(input.subtitle)}</p>`] : []),
    ...parts,
    '<footer>Written by @dilemma/engine.</footer>',
    '</main>',
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

const SVG_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$/;

/**
 * Writes `report.html` and `<name>.svg` for every plot into dir (created if
 * needed). Every file is first written in full to a temporary file in dir and
 * then renamed over its target, so a reader never sees a partial file; the
 * plots are renamed before report.html. On any error the temporary files are
 * removed (ERR_IO for a failed write; ERR_NOT_A_FILE where a target is a
 * symlink, FIFO, device or folder).
 */
export function writeReport(dir: string, files: ReportFiles): WrittenReport {
  if (typeof dir !== 'string' || dir.length === 0) invalid('dir must be a non-empty path');
  if (typeof files !== 'object' || files === null) invalid('files must be { html, svgs }');
  if (typeof files.html !== 'string') invalid('files.html must be a string');
  const svgs = files.svgs ?? {};
  if (typeof svgs !== 'object' || svgs === null || Array.isArray(svgs)) invalid('files.svgs must be an object of name → SVG string');
  for (const [name, svg] of Object.entries(svgs)) {
    if (!SVG_NAME.test(name)) invalid(`files.svgs name '${name}' must be letters, digits, '-' or '_' (no path, no extension)`);
    if (typeof svg !== 'string') invalid(`files.svgs['${name}'] must be an SVG string`);
  }
  const root = resolve(dir);
  writeAtomicAll(
    [
      ...Object.entries(svgs).map(([name, svg]) => ({ path: join(root, `${name}.svg`), content: svg })),
      { path: join(root, 'report.html'), content: files.html },
    ],
    'dir',
  );
  const written: Record<string, string> = {};
  for (const name of Object.keys(svgs)) written[name] = join(root, `${name}.svg`);
  return { html: join(root, 'report.html'), svgs: written };
}

/** An evaluation of one trained run (see evaluate()). */
export interface RunEvaluation {
  algorithm: string;
  seed: number;
  evaluation: Evaluation;
}

export interface TrainingReportOptions extends TrainingCurvesOptions {
  /** Page title (default "Training report"). */
  title?: string;
  subtitle?: string;
  /** A paragraph describing the setup (game, recipe), shown first. */
  description?: string | string[];
  /**
   * Trust-and-split series to plot; default: derived from the runs' game
   * statistics (statNames with welfare, max_welfare, claims_true_0/1,
   * claims_0/1), none when they are absent.
   */
  trustAndSplit?: TrustAndSplitRun[];
  /** Iterations averaged for the table's final values (default 10). */
  lastIterations?: number;
  /** What a reader needs to cite or repeat the experiment, shown first. */
  provenance?: ReportProvenance;
  /**
   * The runs table to show instead of the default one (e.g. the command
   * line's summary, so that the report and the terminal show the same columns).
   */
  runsTable?: ReportTable;
}

/** The facts that make a report citable: what was run, with what, when, and how. */
export interface ReportProvenance {
  /** Game id. */
  game: string;
  /** The game's parameters as given (others at their defaults). */
  params: Record<string, unknown>;
  /** The experiment's configuration, as text (YAML or JSON). */
  config: string;
  /** Version of @dilemma/engine that ran it. */
  version: string;
  /** When the report was written (ISO 8601). */
  date: string;
  /** The command that ran it. */
  command: string;
}

function provenanceSection(p: ReportProvenance): ReportSection {
  if (typeof p !== 'object' || p === null) invalid('options.provenance must be an object');
  for (const key of ['game', 'config', 'version', 'date', 'command'] as const) {
    if (typeof p[key] !== 'string') invalid(`options.provenance.${key} must be a string`);
  }
  const params = Object.entries(p.params ?? {});
  return {
    heading: 'Experiment',
    text: `Cite as: @dilemma/engine ${p.version}, ${p.game}, run on ${p.date.slice(0, 10)} with \`${p.command}\`.`,
    table: {
      columns: ['field', 'value'],
      rows: [
        ['game', p.game],
        ['game parameters', params.length ? params.map(([k, v]) => `${k}: ${JSON.stringify(v)}`).join(', ') : 'defaults'],
        ['package', `@dilemma/engine ${p.version}`],
        ['date', p.date],
        ['command', p.command],
      ],
    },
    code: p.config,
  };
}

const pct = (x: number) => (Number.isFinite(x) ? `${(100 * x).toFixed(1)}%` : '');
const mean = (v: number[]) => (v.length ? v.reduce((a, b) => a + b, 0) / v.length : NaN);

/**
 * A training report: curves of payoff and cooperation over iterations (and
 * trust-and-split efficiency and honesty when the runs carry those
 * statistics), a table of each run's final values, and the evaluations when
 * given. SVG names: training-curves, trust-and-split.
 */
export async function trainingReport(
  runs: TrainingRun[],
  evaluations?: RunEvaluation[],
  options: TrainingReportOptions = {},
): Promise<ReportFiles> {
  const { title, subtitle, description, trustAndSplit: tsRuns, lastIterations, provenance, runsTable, ...curveOptions } = options;
  const last = lastIterations ?? 10;
  if (!Number.isInteger(last) || last < 1) invalid('options.lastIterations must be a positive integer');
  const svgs: Record<string, string> = {};
  const sections: ReportSection[] = [];
  if (provenance !== undefined) sections.push(provenanceSection(provenance));
  if (description !== undefined) sections.push({ heading: 'Setup', text: description });

  svgs['training-curves'] = await trainingCurves(runs, curveOptions);
  const payoffWord = curveOptions.payoff === 'sum' ? 'summed over agents' : 'mean per agent';
  sections.push({
    heading: 'Training curves',
    text: `Payoff (episode return, ${payoffWord}) and cooperation (share of steps with action 0) at every iteration; one line per algorithm, the mean over its seeds, with a band over seeds.`,
    svg: svgs['training-curves'],
  });

  const ts = tsRuns ?? runs.map(trustAndSplitFromStats).filter((r): r is TrustAndSplitRun => r !== undefined);
  if (ts.length > 0) {
    svgs['trust-and-split'] = await trustAndSplit(ts, { band: curveOptions.band, maxPoints: curveOptions.maxPoints });
    sections.push({
      heading: 'Trust-and-split',
      text: 'Split efficiency (welfare over the largest welfare the round allowed) and honesty (share of claims that told the truth) over training.',
      svg: svgs['trust-and-split'],
    });
  }

  sections.push({
    heading: 'Runs',
    table: runsTable ?? {
      caption: `Final values: means over the last ${last} iteration${last === 1 ? '' : 's'} of each run.`,
      columns: ['algorithm', 'seed', 'iterations', `payoff (${payoffWord})`, 'cooperation', 'training s'],
      rows: runs.map((r) => {
        const tail = r.history.slice(-last);
        const payoff = mean(
          tail.map((m) => {
            const total = m.meanReturn.reduce((a, b) => a + b, 0);
            return curveOptions.payoff === 'sum' ? total : total / m.meanReturn.length;
          }),
        );
        const coop = mean(tail.map((m) => mean(m.action0Rate)));
        const seconds = r.history.reduce((a, m) => a + (Number.isFinite(m.seconds) ? m.seconds : 0), 0);
        return [r.algorithm, r.seed, r.history.length, payoff, pct(coop), Number(seconds.toFixed(2))];
      }),
      digits: 2,
    },
  });

  if (evaluations && evaluations.length > 0) sections.push(...evaluationSections(evaluations));
  const html = renderReport({ title: title ?? 'Training report', subtitle, sections });
  return { html, svgs };
}

function evaluationSections(evaluations: RunEvaluation[]): ReportSection[] {
  if (!Array.isArray(evaluations)) invalid('evaluations must be an array');
  evaluations.forEach((e, i) => {
    if (typeof e !== 'object' || e === null || typeof e.evaluation !== 'object' || e.evaluation === null) {
      invalid(`evaluations[${i}] must be { algorithm, seed, evaluation }`);
    }
  });
  const opponents: string[] = [];
  for (const e of evaluations) for (const m of e.evaluation.matches) if (!opponents.includes(m.opponent)) opponents.push(m.opponent);
  const rows = evaluations.map((e) => {
    const byOpponent = new Map(e.evaluation.matches.filter((m) => (m.seat ?? 0) === 0).map((m) => [m.opponent, m]));
    return [
      e.algorithm,
      e.seed,
      e.evaluation.greedy ? 'greedy' : 'sampled',
      pct(e.evaluation.selfPlay.cooperation),
      e.evaluation.selfPlay.payoff,
      ...opponents.map((o) => {
        const m = byOpponent.get(o);
        return m ? pct(m.cooperation) : '';
      }),
      e.evaluation.exploitability,
    ];
  });
  return [
    {
      heading: 'Evaluation',
      text: 'Cooperation of the trained policy in self-play and against each opponent (seat 1), self-play payoff, and the payoff lost against always-defect relative to mutual defection (0: not exploited).',
      table: {
        columns: ['algorithm', 'seed', 'actions', 'self-play cooperation', 'self-play payoff', ...opponents.map((o) => `cooperation vs ${o}`), 'lost vs always-defect'],
        rows,
        digits: 2,
      },
    },
    ...actionTableSections(evaluations),
  ];
}

// The learned strategies of tabular and memory-k policies (evaluate()'s actionTable), when there are any.
function actionTableSections(evaluations: RunEvaluation[]): ReportSection[] {
  const withTable = evaluations.filter((e) => e.evaluation.actionTable);
  if (withTable.length === 0) return [];
  const histories: string[] = [];
  for (const e of withTable) for (const r of e.evaluation.actionTable!.rows) if (!histories.includes(r.history)) histories.push(r.history);
  const shown = histories.slice(0, 25);
  return [
    {
      heading: 'Learned strategies',
      text: `Probability of cooperating after each remembered history (most recent round first, own move first; '-' before the first round), and the nearest named memory-1 strategy with its mean absolute distance.${shown.length < histories.length ? ` First ${shown.length} of ${histories.length} histories.` : ''}`,
      table: {
        columns: ['algorithm', 'seed', 'nearest', 'distance', ...shown.map((h) => `P(C | ${h})`)],
        rows: withTable.map((e) => {
          const t = e.evaluation.actionTable!;
          const byHistory = new Map(t.rows.map((r) => [r.history, r.cooperate]));
          return [e.algorithm, e.seed, t.nearest[0]?.name ?? '', t.nearest[0]?.distance ?? '', ...shown.map((h) => byHistory.get(h) ?? '')];
        }),
        digits: 2,
      },
    },
  ];
}

export interface TournamentReportOptions {
  title?: string;
  subtitle?: string;
  description?: string | string[];
}

/**
 * A tournament report: the payoff matrix as a heat map, the cooperation
 * matrix as a heat map, and the ranking. SVG names: payoff-matrix,
 * cooperation-matrix.
 */
export async function tournamentReport(result: TournamentResult, options: TournamentReportOptions = {}): Promise<ReportFiles> {
  const svgs: Record<string, string> = {
    'payoff-matrix': await payoffHeatmap(result),
    'cooperation-matrix': await payoffHeatmap(result, { matrix: 'cooperation' }),
  };
  if (!Array.isArray(result.ranking)) invalid('result.ranking must be an array');
  const sections: ReportSection[] = [];
  if (options.description !== undefined) sections.push({ heading: 'Setup', text: options.description });
  sections.push(
    {
      heading: 'Ranking',
      table: {
        caption: 'Score: mean episode payoff over all opponents and both seats. Cooperation: share of rounds with action 0.',
        columns: ['rank', 'player', 'score', 'cooperation'],
        rows: result.ranking.map((s, i) => [i + 1, s.player, s.score, pct(s.cooperation)]),
        digits: 2,
      },
    },
    {
      heading: 'Payoffs',
      text: `Each cell: the mean episode payoff of the row player (seat 0) against the column player (seat 1), over ${result.repetitions} episodes.`,
      svg: svgs['payoff-matrix'],
    },
    {
      heading: 'Cooperation',
      text: 'Each cell: the share of rounds in which the row player (seat 0) chose action 0 against the column player (seat 1).',
      svg: svgs['cooperation-matrix'],
    },
  );
  const html = renderReport({
    title: options.title ?? 'Tournament report',
    subtitle: options.subtitle ?? `${result.players.length} players, round robin, ${result.repetitions} episodes per ordered pair`,
    sections,
  });
  return { html, svgs };
}

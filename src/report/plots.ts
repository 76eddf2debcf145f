/**
 * Plots for reports, as SVG strings. Each plot is a Vega-Lite spec compiled
 * to Vega and rendered headlessly (no browser, no canvas): the same input
 * gives the same SVG, byte for byte.
 */
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import { DilemmaError, ErrorCode } from '../errors.js';
import type { IterationMetrics } from '../train.js';
import type { TournamentResult } from '../tournament.js';

/** One training run: its algorithm label, seed and per-iteration metrics (train()'s history). */
export interface TrainingRun {
  algorithm: string;
  seed: number;
  history: IterationMetrics[];
  /** Names of history[i].gameStats (Trainer.statNames); lets reports derive game-specific series. */
  statNames?: string[];
}

/** A trust-and-split run: per-iteration split efficiency and honesty (fractions in [0, 1]). */
export interface TrustAndSplitRun {
  algorithm: string;
  seed: number;
  efficiency: number[];
  honesty: number[];
  /** x value of each entry; default 0, 1, 2, ... */
  iterations?: number[];
}

export interface TrainingCurvesOptions {
  /** Payoff per iteration: the mean episode return per agent (default) or the sum over agents. */
  payoff?: 'mean' | 'sum';
  /** Band around each algorithm's mean over seeds: min–max (default) or mean ± one standard deviation. */
  band?: 'minmax' | 'sd';
  /** At most this many iterations per series (evenly strided, last kept); default 400. */
  maxPoints?: number;
  title?: string;
}

export interface TrustAndSplitOptions {
  band?: 'minmax' | 'sd';
  maxPoints?: number;
  title?: string;
}

export interface HeatmapOptions {
  /** Which matrix of the result: payoff (default) or cooperation. */
  matrix?: 'payoff' | 'cooperation';
  title?: string;
}

/** One point of a series: the statistic of every seed at one x. */
interface Sample {
  algorithm: string;
  x: number;
  value: number;
}

interface BandRow {
  algorithm: string;
  x: number;
  mean: number;
  lo: number;
  hi: number;
  seeds: number;
}

const PANEL_WIDTH = 360;
const PANEL_HEIGHT = 220;
const FONT = 'sans-serif';

function invalid(message: string): never {
  throw new DilemmaError(ErrorCode.InvalidArgument, message);
}

function checkRuns<T extends { algorithm: unknown; seed: unknown }>(name: string, runs: readonly T[]): void {
  if (!Array.isArray(runs) || runs.length === 0) invalid(`${name} must be a non-empty array of runs`);
  runs.forEach((r, i) => {
    if (typeof r !== 'object' || r === null) invalid(`${name}[${i}] must be an object`);
    if (typeof r.algorithm !== 'string' || r.algorithm.length === 0) invalid(`${name}[${i}].algorithm must be a non-empty string`);
    if (typeof r.seed !== 'number' || !Number.isFinite(r.seed)) invalid(`${name}[${i}].seed must be a finite number`);
  });
}

/** Algorithms in order of first appearance (the colour order of every plot). */
function algorithmsOf(runs: readonly { algorithm: string }[]): string[] {
  return [...new Set(runs.map((r) => r.algorithm))];
}

/** Mean and band over seeds at every x, per algorithm; non-finite samples are left out. */
function aggregateSeries(samples: readonly Sample[], band: 'minmax' | 'sd' = 'minmax'): BandRow[] {
  const groups = new Map<string, Map<number, number[]>>();
  for (const s of samples) {
    if (!Number.isFinite(s.value) || !Number.isFinite(s.x)) continue;
    let byX = groups.get(s.algorithm);
    if (!byX) groups.set(s.algorithm, (byX = new Map()));
    const values = byX.get(s.x);
    if (values) values.push(s.value);
    else byX.set(s.x, [s.value]);
  }
  const rows: BandRow[] = [];
  for (const [algorithm, byX] of groups) {
    for (const x of [...byX.keys()].sort((a, b) => a - b)) {
      const v = byX.get(x)!;
      const mean = v.reduce((a, b) => a + b, 0) / v.length;
      let lo: number, hi: number;
      if (band === 'sd') {
        const sd = v.length > 1 ? Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / (v.length - 1)) : 0;
        lo = mean - sd;
        hi = mean + sd;
      } else {
        lo = Math.min(...v);
        hi = Math.max(...v);
      }
      rows.push({ algorithm, x, mean, lo, hi, seeds: v.length });
    }
  }
  return rows;
}

/** Indices kept when a series of n points is thinned to at most max (evenly strided, last kept). */
function strideIndices(n: number, max: number): number[] {
  if (n <= max) return Array.from({ length: n }, (_, i) => i);
  const step = Math.ceil(n / max);
  const out: number[] = [];
  for (let i = 0; i < n; i += step) out.push(i);
  if (out[out.length - 1] !== n - 1) out.push(n - 1);
  return out;
}

function checkMaxPoints(v: number | undefined): number {
  if (v === undefined) return 400;
  if (!Number.isInteger(v) || v < 2) invalid('options.maxPoints must be an integer ≥ 2');
  return v;
}

function checkBand(v: unknown): 'minmax' | 'sd' {
  if (v === undefined) return 'minmax';
  if (v !== 'minmax' && v !== 'sd') invalid(`options.band must be 'minmax' or 'sd'`);
  return v;
}

const bandText = (band: 'minmax' | 'sd') => (band === 'sd' ? 'mean ± 1 sd over seeds' : 'min–max over seeds');

/** A line per algorithm (mean over seeds) with its band, as one Vega-Lite layer pair. */
function bandPanel(
  rows: BandRow[],
  opts: { title: string; x: string; y: string; domain: string[]; yDomain?: [number, number] },
): Record<string, unknown> {
  const color = { field: 'algorithm', type: 'nominal', title: 'algorithm', scale: { domain: opts.domain } };
  // One legend for both layers, drawn as solid strokes in the line colours (the band's faint fill would otherwise set its swatches).
  const legend = { symbolType: 'stroke', symbolStrokeWidth: 3, symbolOpacity: 1, symbolSize: 200 };
  const lineColor = { ...color, legend };
  const bandColor = { ...color, legend };
  const x = { field: 'x', type: 'quantitative', title: opts.x, axis: { tickMinStep: 1 } };
  const yScale = opts.yDomain ? { domain: opts.yDomain, zero: false } : { zero: false };
  return {
    title: opts.title,
    width: PANEL_WIDTH,
    height: PANEL_HEIGHT,
    data: { values: rows },
    layer: [
      {
        mark: { type: 'area', opacity: 0.22, clip: true },
        encoding: {
          x,
          y: { field: 'lo', type: 'quantitative', title: opts.y, scale: yScale },
          y2: { field: 'hi' },
          color: bandColor,
        },
      },
      {
        mark: { type: 'line', strokeWidth: 2, clip: true },
        encoding: {
          x,
          y: { field: 'mean', type: 'quantitative', title: opts.y, scale: yScale },
          color: lineColor,
        },
      },
    ],
  };
}

/** Compiles a Vega-Lite spec and renders it to SVG without a browser. */
export async function renderSvg(spec: Record<string, unknown>): Promise<string> {
  const { spec: vgSpec } = compile(
    {
      config: {
        font: FONT,
        background: 'white',
        title: { fontSize: 14, anchor: 'start', subtitleFontSize: 11, subtitleColor: '#555' },
        axis: { labelFontSize: 11, titleFontSize: 12 },
        legend: { labelFontSize: 11, titleFontSize: 12, labelLimit: 260 },
      },
      ...spec,
    } as TopLevelSpec,
    { logger: silentLogger() as never },
  );
  const view = new vega.View(vega.parse(vgSpec), { renderer: 'none', logLevel: vega.None });
  try {
    const svg = await view.toSVG();
    return cleanSvg(svg);
  } finally {
    view.finalize();
  }
}

/** A Vega-Lite logger that keeps quiet (compile warnings are not errors of the caller's data). */
function silentLogger() {
  const self = {
    level: (_?: number) => (_ === undefined ? 0 : self),
    error: () => self,
    warn: () => self,
    info: () => self,
    debug: () => self,
  };
  return self;
}

/**
 * Drops the xlink namespace declaration (no plot uses xlink), so the only URL
 * in an SVG is the SVG namespace itself, and renumbers element ids in order of
 * appearance: Vega numbers clip paths and gradients from a process-wide
 * counter, which would make the same plot come out differently the second time.
 */
function cleanSvg(svg: string): string {
  return renameSvgIds(svg.replace(/ xmlns:xlink="[^"]*"/g, ''), (_id, k) => `d${k}`);
}

/**
 * Renames every id="…" of an SVG and its references (url(#…), href="#…"),
 * with rename(old, k) for the k-th distinct id in order of appearance.
 */
export function renameSvgIds(svg: string, rename: (id: string, k: number) => string): string {
  const map = new Map<string, string>();
  for (const m of svg.matchAll(/\sid="([^"]+)"/g)) {
    if (!map.has(m[1])) map.set(m[1], rename(m[1], map.size + 1));
  }
  if (map.size === 0) return svg;
  const to = (id: string) => map.get(id) ?? id;
  return svg
    .replace(/(\sid=")([^"]+)(")/g, (_, a: string, id: string, b: string) => a + to(id) + b)
    .replace(/url\(#([^)]+)\)/g, (_, id: string) => `url(#${to(id)})`)
    .replace(/(\s(?:xlink:)?href="#)([^"]+)(")/g, (_, a: string, id: string, b: string) => a + to(id) + b);
}

/**
 * Training curves: payoff and cooperation rate (action 0) over iterations,
 * one line per algorithm (the mean over its seeds) with a band over seeds.
 * Returns one SVG with two panels.
 */
export async function trainingCurves(runs: readonly TrainingRun[], options: TrainingCurvesOptions = {}): Promise<string> {
  checkRuns('runs', runs);
  const payoffMode = options.payoff ?? 'mean';
  if (payoffMode !== 'mean' && payoffMode !== 'sum') invalid(`options.payoff must be 'mean' or 'sum'`);
  const band = checkBand(options.band);
  const maxPoints = checkMaxPoints(options.maxPoints);
  const payoff: Sample[] = [];
  const coop: Sample[] = [];
  runs.forEach((r, i) => {
    if (!Array.isArray(r.history) || r.history.length === 0) invalid(`runs[${i}].history must be a non-empty array of IterationMetrics`);
    for (const k of strideIndices(r.history.length, maxPoints)) {
      const m = r.history[k];
      if (!m || !Array.isArray(m.meanReturn) || !Array.isArray(m.action0Rate) || m.meanReturn.length === 0) {
        invalid(`runs[${i}].history[${k}] must have meanReturn and action0Rate arrays`);
      }
      const x = Number.isFinite(m.iteration) ? m.iteration : k;
      const total = m.meanReturn.reduce((a, b) => a + b, 0);
      payoff.push({ algorithm: r.algorithm, x, value: payoffMode === 'sum' ? total : total / m.meanReturn.length });
      const c = m.action0Rate.length ? m.action0Rate.reduce((a, b) => a + b, 0) / m.action0Rate.length : NaN;
      coop.push({ algorithm: r.algorithm, x, value: c });
    }
  });
  const domain = algorithmsOf(runs);
  const seeds = new Set(runs.map((r) => r.seed)).size;
  return renderSvg({
    title: {
      text: options.title ?? 'Training curves',
      subtitle: `line: mean over seeds; band: ${bandText(band)} (${seeds} seed${seeds === 1 ? '' : 's'}, ${runs.length} run${runs.length === 1 ? '' : 's'})`,
    },
    hconcat: [
      bandPanel(aggregateSeries(payoff, band), {
        title: payoffMode === 'sum' ? 'Payoff (sum over agents)' : 'Payoff (mean return per agent)',
        x: 'iteration',
        y: payoffMode === 'sum' ? 'episode return, summed over agents' : 'mean episode return per agent',
        domain,
      }),
      bandPanel(aggregateSeries(coop, band), {
        title: 'Cooperation rate (action 0)',
        x: 'iteration',
        y: 'share of steps with action 0',
        domain,
        yDomain: [0, 1],
      }),
    ],
    resolve: { scale: { color: 'shared' } },
  });
}

/**
 * Trust-and-split: split efficiency (welfare / max welfare) and honesty (share
 * of true claims) over training, one line per algorithm with a band over seeds.
 */
export async function trustAndSplit(runs: readonly TrustAndSplitRun[], options: TrustAndSplitOptions = {}): Promise<string> {
  checkRuns('runs', runs);
  const band = checkBand(options.band);
  const maxPoints = checkMaxPoints(options.maxPoints);
  const efficiency: Sample[] = [];
  const honesty: Sample[] = [];
  runs.forEach((r, i) => {
    for (const key of ['efficiency', 'honesty'] as const) {
      if (!Array.isArray(r[key]) || r[key].some((v) => typeof v !== 'number')) invalid(`runs[${i}].${key} must be an array of numbers`);
    }
    if (r.efficiency.length === 0 && r.honesty.length === 0) invalid(`runs[${i}] has no iterations`);
    const n = Math.max(r.efficiency.length, r.honesty.length);
    if (r.iterations !== undefined && (!Array.isArray(r.iterations) || r.iterations.length < n)) {
      invalid(`runs[${i}].iterations must have an entry for every efficiency and honesty value`);
    }
    for (const k of strideIndices(n, maxPoints)) {
      const x = r.iterations ? r.iterations[k] : k;
      if (k < r.efficiency.length) efficiency.push({ algorithm: r.algorithm, x, value: r.efficiency[k] });
      if (k < r.honesty.length) honesty.push({ algorithm: r.algorithm, x, value: r.honesty[k] });
    }
  });
  const domain = algorithmsOf(runs);
  const seeds = new Set(runs.map((r) => r.seed)).size;
  return renderSvg({
    title: {
      text: options.title ?? 'Trust-and-split: efficiency and honesty',
      subtitle: `line: mean over seeds; band: ${bandText(band)} (${seeds} seed${seeds === 1 ? '' : 's'})`,
    },
    hconcat: [
      bandPanel(aggregateSeries(efficiency, band), {
        title: 'Split efficiency (welfare / max welfare)',
        x: 'iteration',
        y: 'efficiency',
        domain,
        yDomain: [0, 1],
      }),
      bandPanel(aggregateSeries(honesty, band), {
        title: 'Honesty (true claims / claims)',
        x: 'iteration',
        y: 'honesty',
        domain,
        yDomain: [0, 1],
      }),
    ],
    resolve: { scale: { color: 'shared' } },
  });
}

/**
 * Maps a trust-and-split run's game statistics to efficiency and honesty per
 * iteration: efficiency = welfare / max_welfare, honesty = (claims_true_0 +
 * claims_true_1) / (claims_0 + claims_1). Iterations where a ratio is
 * undefined (nothing claimed) give NaN, which the plot leaves out. Returns
 * undefined when the statistics are not there.
 */
export function trustAndSplitFromStats(run: TrainingRun): TrustAndSplitRun | undefined {
  const names = run.statNames;
  if (!names) return undefined;
  const idx = (n: string) => names.indexOf(n);
  const need = ['welfare', 'max_welfare', 'claims_true_0', 'claims_true_1', 'claims_0', 'claims_1'];
  if (need.some((n) => idx(n) < 0)) return undefined;
  const [w, mw, t0, t1, c0, c1] = need.map(idx);
  const ratio = (a: number, b: number) => (b > 0 ? a / b : NaN);
  return {
    algorithm: run.algorithm,
    seed: run.seed,
    efficiency: run.history.map((m) => ratio(m.gameStats[w], m.gameStats[mw])),
    honesty: run.history.map((m) => ratio(m.gameStats[t0] + m.gameStats[t1], m.gameStats[c0] + m.gameStats[c1])),
    iterations: run.history.map((m, k) => (Number.isFinite(m.iteration) ? m.iteration : k)),
  };
}

/** A cell value as printed in heat maps: at most two decimals, no trailing zeros, no "-0". */
export function formatCell(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const s = String(Number(v.toFixed(2)));
  return s === '-0' ? '0' : s;
}

/** A rate as printed in heat maps: a percentage with at most one decimal ("22.2%", "100%"). */
export function formatPercent(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const s = String(Number((100 * v).toFixed(1)));
  return `${s === '-0' ? '0' : s}%`;
}

/**
 * The tournament's payoff matrix as a heat map: row = player in seat 0,
 * column = its opponent in seat 1, colour and printed value = the row
 * player's mean episode payoff.
 */
export async function payoffHeatmap(result: TournamentResult, options: HeatmapOptions = {}): Promise<string> {
  if (typeof result !== 'object' || result === null) invalid('result must be a TournamentResult');
  const players = result.players;
  if (!Array.isArray(players) || players.length === 0 || players.some((p) => typeof p !== 'string')) {
    invalid('result.players must be a non-empty array of names');
  }
  if (new Set(players).size !== players.length) invalid('result.players must be distinct names');
  const which = options.matrix ?? 'payoff';
  if (which !== 'payoff' && which !== 'cooperation') invalid(`options.matrix must be 'payoff' or 'cooperation'`);
  const matrix = result[which];
  const n = players.length;
  if (!Array.isArray(matrix) || matrix.length !== n || matrix.some((row) => !Array.isArray(row) || row.length !== n)) {
    invalid(`result.${which} must be a ${n}×${n} matrix`);
  }
  const values = matrix.flat();
  if (values.some((v) => typeof v !== 'number' || !Number.isFinite(v))) invalid(`result.${which} must hold finite numbers`);
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  const mid = (lo + hi) / 2;
  const cells = [];
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const v = matrix[i][j];
      cells.push({ player: players[i], opponent: players[j], value: v, label: which === 'cooperation' ? formatPercent(v) : formatCell(v), dark: hi > lo && v > mid });
    }
  }
  const cell = Math.max(28, Math.min(64, Math.floor(560 / n)));
  const valueTitle = which === 'cooperation' ? 'cooperation rate of the row player' : 'mean episode payoff of the row player';
  const x = { field: 'opponent', type: 'nominal', title: 'opponent (seat 1)', sort: players, axis: { labelAngle: -40, labelLimit: 0 } };
  const y = { field: 'player', type: 'nominal', title: 'player (seat 0)', sort: players, axis: { labelLimit: 0 } };
  return renderSvg({
    title: {
      text: options.title ?? (which === 'cooperation' ? 'Tournament cooperation rates' : 'Tournament payoffs'),
      subtitle: `${valueTitle} against each opponent, ${result.repetitions} episodes per pair`,
    },
    data: { values: cells },
    width: cell * n,
    height: cell * n,
    layer: [
      {
        mark: { type: 'rect', stroke: 'white', strokeWidth: 1 },
        encoding: {
          x,
          y,
          color: {
            field: 'value',
            type: 'quantitative',
            title: which === 'cooperation' ? 'cooperation' : 'payoff',
            scale: { scheme: 'blues', ...(which === 'cooperation' ? { domain: [0, 1] } : {}) },
          },
        },
      },
      {
        mark: { type: 'text', fontSize: n > 12 ? 9 : 11 },
        encoding: {
          x,
          y,
          text: { field: 'label', type: 'nominal' },
          color: { condition: { test: 'datum.dark', value: 'white' }, value: 'black' },
        },
      },
    ],
  });
}

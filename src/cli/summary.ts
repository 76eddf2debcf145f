/**
 * The summary table of an experiment, one row per run: the same columns in
 * the terminal, summary.csv (full precision, for other tools) and the report
 * (formatted as in the terminal).
 */
import type { Evaluation } from '../evaluate.js';
import type { IterationMetrics } from '../train.js';
import type { RunSpec } from './experiment.js';

/** A finished run with its evaluation, when its game has one. */
export interface SummaryRun {
  spec: RunSpec;
  history: IterationMetrics[];
  evaluation?: Evaluation;
}

/** The table: raw values (CSV) and text cells (terminal, report). */
export interface SummaryTable {
  columns: string[];
  values: Array<Array<string | number>>;
  text: string[][];
  caption: string;
}

const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : Number.NaN);

/** Payoffs with two decimals, no "-0". */
export function formatNumber(x: number): string {
  if (!Number.isFinite(x)) return Number.isNaN(x) ? '–' : String(x);
  const s = x.toFixed(2);
  return /^-0\.0+$/.test(s) ? s.slice(1) : s;
}

/** Rates as percentages with one decimal. */
export function formatRate(x: number): string {
  return Number.isFinite(x) ? `${(100 * x).toFixed(1)}%` : '–';
}

/** The final values of every run: means over the last tenth of its iterations (at least one). */
export function summaryTable(sweepKeys: readonly string[], runs: readonly SummaryRun[]): SummaryTable {
  const evaluated = runs.some((r) => r.evaluation);
  const columns = [...sweepKeys, 'algorithm', 'seed', 'iterations', 'final payoff', 'final cooperation', ...(evaluated ? ['self-play cooperation', 'loss vs always-defect'] : [])];
  const values: Array<Array<string | number>> = [];
  const text: string[][] = [];
  for (const r of runs) {
    const last = r.history.slice(-Math.max(1, Math.floor(r.history.length / 10)));
    const payoff = mean(last.map((m) => mean(m.meanReturn)));
    const coop = mean(last.map((m) => mean(m.action0Rate)));
    const sweep = sweepKeys.map((k) => {
      const v = r.spec.sweep[k];
      return typeof v === 'number' || typeof v === 'string' ? v : JSON.stringify(v);
    });
    const e = r.evaluation;
    values.push([...sweep, r.spec.algorithm, r.spec.seed, r.history.length, payoff, coop, ...(evaluated ? [e ? e.selfPlay.cooperation : '', e ? e.exploitability : ''] : [])]);
    text.push([
      ...sweep.map(String),
      r.spec.algorithm,
      String(r.spec.seed),
      String(r.history.length),
      formatNumber(payoff),
      formatRate(coop),
      ...(evaluated ? [e ? formatRate(e.selfPlay.cooperation) : '', e ? formatNumber(e.exploitability) : ''] : []),
    ]);
  }
  return {
    columns,
    values,
    text,
    caption:
      'Final payoff (mean episode return per agent) and cooperation (share of steps with action 0): means over the last tenth of each run’s iterations.' +
      (evaluated ? ' Self-play cooperation and the payoff lost against always-defect relative to mutual defection come from the evaluation.' : ''),
  };
}

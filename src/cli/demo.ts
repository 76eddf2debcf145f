/**
 * `dilemma demo`, the README's first command: naive and Advantage Alignment
 * self-play on the iterated prisoner's dilemma from built-in defaults (the
 * IPD recipe of ./recipes.ts), then a comparison table (cooperation in
 * self-play, against tit-for-tat, exploitation by always-defect), several
 * seeds each.
 */
import { join, resolve } from 'node:path';
import { evaluate, type Evaluation } from '../evaluate.js';
import { trainingReport, writeReport } from '../report/index.js';
import { formatTable } from '../format.js';
import { train, type Algorithm, type IterationMetrics } from '../train.js';
import { ipdRecipe } from './recipes.js';

/** Options of {@link runTrainDemo}. */
export interface DemoOptions {
  seeds: number;
  iterations: number;
  onProgress?: (line: string) => void;
  /** Folder for report.html and the plots (default runs/demo); empty to skip. */
  reportDir?: string;
}

/** One trained run of the demo and how its policy plays. */
export interface DemoRow {
  algorithm: Algorithm;
  seed: number;
  selfPlay: number;
  selfPlayGreedy: number;
  vsTitForTat: number;
  vsDefectLoss: number;
  payoff: number;
  seconds: number;
  history: IterationMetrics[];
  evaluation: Evaluation;
}

/** Trains one run of the IPD recipe and evaluates its policy. */
export async function trainAndEvaluate(algorithm: Algorithm, seed: number, iterations: number): Promise<DemoRow> {
  const start = performance.now();
  const { trainer, history } = await train(ipdRecipe(algorithm, seed, iterations));
  const seconds = (performance.now() - start) / 1000;
  const policy = trainer.policy();
  try {
    const game = { id: 'ipd' as const };
    const sampled = await evaluate({ game, policy, opponents: ['tit-for-tat', 'always-defect'], batch: 4096, seed: 99 });
    const greedy = await evaluate({ game, policy, opponents: [], batch: 16, seed: 99, greedy: true });
    return {
      algorithm,
      seed,
      selfPlay: sampled.selfPlay.cooperation,
      selfPlayGreedy: greedy.selfPlay.cooperation,
      vsTitForTat: sampled.matches[0].cooperation,
      vsDefectLoss: sampled.exploitability,
      payoff: sampled.selfPlay.payoff,
      seconds,
      history,
      evaluation: sampled,
    };
  } finally {
    policy.dispose();
    trainer.dispose();
  }
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

/** Every run of the demo, as the printed comparison table. */
export async function runTrainDemo(opts: DemoOptions): Promise<string> {
  const rows: DemoRow[] = [];
  for (const algorithm of ['naive', 'advantage-alignment'] as const) {
    for (let seed = 1; seed <= opts.seeds; seed++) {
      const row = await trainAndEvaluate(algorithm, seed, opts.iterations);
      rows.push(row);
      opts.onProgress?.(`${algorithm} seed ${seed}: self-play cooperation ${pct(row.selfPlay)} (${row.seconds.toFixed(1)} s)`);
    }
  }
  const table = formatTable(
    ['algorithm', 'seed', 'self-play coop', 'greedy coop', 'coop vs TFT', 'loss vs AD', 'self-play payoff', 'train s'],
    rows.map((r) => [r.algorithm, r.seed, pct(r.selfPlay), pct(r.selfPlayGreedy), pct(r.vsTitForTat), r.vsDefectLoss, r.payoff, r.seconds]),
  );
  const reportDir = opts.reportDir ?? join('runs', 'demo');
  let reportLine = '';
  if (reportDir) {
    const report = await trainingReport(
      rows.map((r) => ({ algorithm: r.algorithm, seed: r.seed, history: r.history })),
      rows.map((r) => ({ algorithm: r.algorithm, seed: r.seed, evaluation: r.evaluation })),
    );
    writeReport(reportDir, report);
    reportLine = `\nReport with the training curves: ${resolve(reportDir, 'report.html')}`;
  }
  return [
    `Iterated prisoner's dilemma, 10 rounds (CC 3/3, CD 0/5, DC 5/0, DD 1/1), memory-1 tabular policies,`,
    `${opts.iterations} iterations × 512 episodes of self-play per run (Adam 0.2 decaying to 0, opponent buffer p = 0.5). Cooperation is counted on sampled actions`,
    `of the policy as trained (greedy actions beside it); "loss vs AD" is the payoff lost against always-defect`,
    `relative to mutual defection (1 = one sucker round: S = 0 instead of P = 1).`,
    '',
    table,
    reportLine,
  ].join('\n');
}

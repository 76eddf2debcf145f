/**
 * The README's first command: naive and Advantage Alignment self-play on the
 * iterated prisoner's dilemma from built-in defaults, then a comparison table
 * (cooperation in self-play, against tit-for-tat, exploitation by
 * always-defect), several seeds each.
 */
import { join, resolve } from 'node:path';
import { evaluate, type Evaluation } from '../evaluate.js';
import { trainingReport, writeReport } from '../report/index.js';
import { formatTable } from '../format.js';
import { iteratedGameRecipe } from '../recipe.js';
import { train, type Algorithm, type IterationMetrics, type TrainConfig } from '../train.js';

export interface DemoOptions {
  seeds: number;
  iterations: number;
  onProgress?: (line: string) => void;
  /** Folder for report.html and the plots (default runs/demo); empty to skip. */
  reportDir?: string;
}

/**
 * The recipe the demo and the README's results use: the library's recipe for
 * two-action iterated games (src/recipe.ts) on the IPD, 10 rounds: memory-1
 * tabular policies, batch 512 in common-random-number groups of 8, γ = 0.9
 * and β = 1 from the game's horizon and payoff range, Adam at 0.2 decaying
 * linearly to zero and, half of the time, an opponent drawn from the last 50
 * snapshots (the seed paper's buffer).
 */
export function ipdRecipe(algorithm: Algorithm, seed: number, iterations: number): TrainConfig {
  return iteratedGameRecipe({ id: 'ipd' }, { algorithm, seed, iterations });
}

/**
 * The Coin Game recipe (3×3, 16 steps): MLP(32) policies, batch 512, γ = 0.96,
 * Adam 0.01, credits whitened per batch, β = 0.2 for Advantage Alignment.
 */
export function coinRecipe(algorithm: Algorithm, seed: number, iterations: number): TrainConfig {
  return {
    game: { id: 'coin' },
    algorithm,
    policy: { kind: 'mlp', hidden: [32] },
    iterations,
    batch: 512,
    seed,
    gamma: 0.96,
    beta: 0.2,
    lr: 0.01,
    whitenCredits: true,
  };
}

/**
 * The Trust-and-Split recipe (symbolic, default game): MLP(64) policies,
 * batch 256 in groups of 8 that share hands, γ = 0.96, β = 2 for Advantage
 * Alignment, Adam 0.01, entropy bonus 0.02, credits whitened, and rewards
 * normalised so that a round pays at most 1 (coin values 0.1 and 0.01: the
 * same game, as observations carry rewards relative to the largest).
 */
export function trustAndSplitRecipe(algorithm: Algorithm, seed: number, iterations: number): TrainConfig {
  return {
    game: { id: 'trust-and-split', params: { highValue: 0.1, lowValue: 0.01 } },
    algorithm,
    policy: { kind: 'mlp', hidden: [64] },
    iterations,
    batch: 256,
    groupSize: 8,
    seed,
    gamma: 0.96,
    beta: 2,
    lr: 0.01,
    entropyCoef: 0.02,
    whitenCredits: true,
  };
}

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

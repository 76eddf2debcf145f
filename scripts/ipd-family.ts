/**
 * The iterated prisoner's dilemma family: variants of length, payoff table,
 * move noise and continuation probability, each scored against the exact
 * scripted references (tit-for-tat, generous tit-for-tat,
 * win-stay-lose-shift, grim trigger) played on the same episodes.
 * Used by `npm run reproduce -- ipd-family` and the family tests.
 */
import { evaluate, type Evaluation } from '../src/evaluate.js';
import { train, type Algorithm, type TrainConfig } from '../src/train.js';
import { iteratedGameRecipe } from '../src/recipe.js';

export interface Variant {
  name: string;
  /** (T, R, P, S) */
  payoffs: [number, number, number, number];
  rounds: number;
  noise: number;
  continuation: number;
}

const PD: Variant['payoffs'] = [5, 3, 1, 0];
const v = (name: string, payoffs: Variant['payoffs'], rounds: number, noise = 0, continuation = 1): Variant => ({
  name, payoffs, rounds, noise, continuation,
});

export const VARIANTS: Variant[] = [
  v('base-10', PD, 10),
  v('rounds-25', PD, 25),
  v('rounds-50', PD, 50),
  v('payoff-7520', [7, 5, 2, 0], 10),
  v('payoff-3.5-3-0.5-0', [3.5, 3, 0.5, 0], 10),
  v('noise-0.02', PD, 10, 0.02),
  v('noise-0.05', PD, 10, 0.05),
  v('cont-0.9-cap10', PD, 10, 0, 0.9),
  v('cont-0.9-cap25', PD, 25, 0, 0.9),
  v('cont-0.95-cap50', PD, 50, 0, 0.95),
  v('rounds-25-noise-0.05', PD, 25, 0.05),
  v('payoff-7520-rounds-25-noise-0.02', [7, 5, 2, 0], 25, 0.02),
  v('payoff-3.5-cont-0.9-cap25', [3.5, 3, 0.5, 0], 25, 0, 0.9),
  v('noise-0.05-cont-0.9-cap10', PD, 10, 0.05, 0.9),
];

/** The matrix game of a variant (payoffs per joint move CC, CD, DC, DD; agent 0's then agent 1's). */
export function variantGame(x: Variant): { id: 'matrix'; params: Record<string, unknown> } {
  const [T, R, P, S] = x.payoffs;
  return {
    id: 'matrix',
    params: { payoffs: [R, R, S, T, T, S, P, P], rounds: x.rounds, noise: x.noise, continuation: x.continuation },
  };
}

export interface CaseResult {
  variant: string;
  algorithm: Algorithm;
  seed: number;
  iterations: number;
  seconds: number;
  selfPlay: number;
  selfPlayCI: number;
  vsTitForTat: number;
  lossVsDefect: number;
  lossVsDefectCI: number;
  nearest: string;
  table: Record<string, number>;
  /** Targets (AA) or naive < 20%. */
  pass: Record<string, boolean>;
}

export interface ReferenceRow {
  variant: string;
  bestSelfPlay: { name: string; cooperation: number };
  titForTatOwn: number;
  titForTatLoss: number;
  strategies: { name: string; selfPlay: number; withTitForTat: number; lossVsDefect: number }[];
}

export const EVAL_EPISODES = 8192;
export const EVAL_SEED = 7;

export function referenceRow(variant: Variant, e: Evaluation): ReferenceRow {
  const refs = e.references!.strategies;
  const best = refs.reduce((a, b) => (b.selfPlay.mean > a.selfPlay.mean ? b : a));
  const tft = refs.find((r) => r.name === 'tit-for-tat')!;
  return {
    variant: variant.name,
    bestSelfPlay: { name: best.name, cooperation: best.selfPlay.mean },
    titForTatOwn: tft.withTitForTat.mean,
    titForTatLoss: tft.lossVsDefect.mean,
    strategies: refs.map((r) => ({ name: r.name, selfPlay: r.selfPlay.mean, withTitForTat: r.withTitForTat.mean, lossVsDefect: r.lossVsDefect.mean })),
  };
}

/** Trains one case with a recipe and scores it against the variant's references. */
export async function runCase(
  variant: Variant,
  algorithm: Algorithm,
  seed: number,
  options: { iterationScale?: number; recipe?: (game: ReturnType<typeof variantGame>, a: Algorithm, s: number) => TrainConfig } = {},
): Promise<{ result: CaseResult; reference: ReferenceRow }> {
  const game = variantGame(variant);
  const config = (options.recipe ?? ((g, a, s) => iteratedGameRecipe(g, { algorithm: a, seed: s })))(game, algorithm, seed);
  const iterations = Math.round((config.iterations ?? 100) * (options.iterationScale ?? 1));
  const start = performance.now();
  const { trainer } = await train({ ...config, iterations });
  const seconds = (performance.now() - start) / 1000;
  const policy = trainer.policy();
  try {
    // The evaluation game is the trained one (the recipe may remember more rounds), payoffs as the variant's.
    const evalGame = { id: 'matrix' as const, params: { ...(config.game?.params ?? {}), ...game.params } };
    const e = await evaluate({ game: evalGame, policy, opponents: ['tit-for-tat', 'always-defect'], batch: EVAL_EPISODES, seed: EVAL_SEED });
    const reference = referenceRow(variant, e);
    const selfPlay = e.selfPlay.cooperation;
    const vsTitForTat = e.matches[0].cooperation;
    const pass: Record<string, boolean> =
      algorithm === 'naive'
        ? { naiveBelow20: selfPlay < 0.2 }
        : {
            selfPlay: selfPlay >= 0.9 * reference.bestSelfPlay.cooperation,
            withTitForTat: vsTitForTat >= 0.9 * reference.titForTatOwn,
            lossVsDefect: e.exploitability <= 1.25 * reference.titForTatLoss,
          };
    const table: Record<string, number> = {};
    for (const r of e.actionTable?.rows ?? []) table[r.history] = r.cooperate;
    return {
      reference,
      result: {
        variant: variant.name, algorithm, seed, iterations, seconds, selfPlay, selfPlayCI: e.selfPlay.cooperationCI, vsTitForTat,
        lossVsDefect: e.exploitability, lossVsDefectCI: e.exploitabilityCI, nearest: e.actionTable?.nearest[0]?.name ?? '-', table, pass,
      },
    };
  } finally {
    policy.dispose();
    trainer.dispose();
  }
}

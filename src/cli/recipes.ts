/**
 * The training recipes behind the demo, `npm run reproduce` and the README's
 * results: the IPD (the library's recipe for two-action iterated games), the
 * Coin Game and Trust-and-Split.
 */
import { iteratedGameRecipe } from '../recipe.js';
import type { Algorithm, TrainConfig } from '../train.js';

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

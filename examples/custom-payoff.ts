/**
 * A custom asymmetric 2×2 game (payoffs as data), its one-shot table checked
 * by hand through a batch of environments, and a tournament on it.
 *
 *   node --import tsx examples/custom-payoff.ts
 */
import { formatTable, makeEnv, tournament } from '@dilemma/engine';

// Agent 0's and agent 1's payoffs for the joint moves 00, 01, 10, 11 (agent 0's move first).
const payoffs = [4, 2, 0, 3, 5, 0, 1, 1];
const game = { id: 'matrix' as const, params: { payoffs, rounds: 20, noise: 0.02 } };

const env = makeEnv('matrix', { payoffs, rounds: 1 }, { batch: 4, seed: 1 });
env.reset();
const { rewards } = env.step([0, 0, 0, 1, 1, 0, 1, 1]);
console.log('one round of each joint move (agent 0, agent 1):');
console.log(formatTable(['moves', 'agent 0', 'agent 1'], ['00', '01', '10', '11'].map((m, k) => [m, rewards[2 * k], rewards[2 * k + 1]])));
env.dispose();

const result = await tournament({
  game,
  players: ['tit-for-tat', 'generous-tit-for-tat', 'win-stay-lose-shift', 'always-defect', 'grim-trigger'],
  repetitions: 500,
  seed: 7,
});
console.log('\n20 rounds with 2% move noise:');
console.log(formatTable(['rank', 'strategy', 'mean payoff'], result.ranking.map((s, k) => [k + 1, s.player, s.score])));

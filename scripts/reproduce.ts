/**
 * `reproduce.ts ipd-family [--seeds N] [--tag NAME]`: the IPD family study (scripts/ipd-family.ts).
 *
 * Reproduces the README's results: on the IPD, naive, Advantage Alignment and
 * sum-of-rewards self-play (3 seeds each) evaluated by sampled and greedy
 * play, against tit-for-tat and always-defect; on the Coin Game, naive and
 * Advantage Alignment (3 seeds each) with own-coin rates and payoffs.
 *
 *   node --import tsx scripts/reproduce.ts [--seeds N] [--tag NAME]
 *
 * Prints tables and writes bench/results/reproduce-<date>[-NAME].json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { coinRecipe, ipdRecipe } from '../src/cli/recipes.js';
import { evaluate, formatTable, train, type Algorithm } from '../src/index.js';
import { resultTag } from './result-tag.js';

if (process.argv.includes('ipd-family')) {
  const { runFamilyStudy } = await import('./ipd-family-study.js');
  await runFamilyStudy(process.argv);
  process.exit(0);
}

const seedsArg = process.argv.indexOf('--seeds');
const seeds = seedsArg > 0 ? Number(process.argv[seedsArg + 1]) : 3;
const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

async function ipd(algorithm: Algorithm, seed: number) {
  const start = performance.now();
  const { trainer } = await train(ipdRecipe(algorithm, seed, 300));
  const seconds = (performance.now() - start) / 1000;
  const policy = trainer.policy();
  const sampled = await evaluate({ game: 'ipd', policy, opponents: ['tit-for-tat', 'always-defect'], batch: 8192, seed: 7 });
  const greedy = await evaluate({ game: 'ipd', policy, opponents: ['tit-for-tat', 'always-defect'], batch: 16, seed: 7, greedy: true });
  policy.dispose();
  trainer.dispose();
  return {
    algorithm,
    seed,
    seconds,
    selfPlay: sampled.selfPlay.cooperation,
    selfPlayGreedy: greedy.selfPlay.cooperation,
    vsTitForTat: sampled.matches[0].cooperation,
    vsTitForTatGreedy: greedy.matches[0].cooperation,
    lossVsDefect: sampled.exploitability,
    lossVsDefectGreedy: greedy.exploitability,
    selfPlayPayoff: sampled.selfPlay.payoff,
  };
}

async function coin(algorithm: Algorithm, seed: number) {
  const start = performance.now();
  const { trainer, history } = await train(coinRecipe(algorithm, seed, 200));
  const seconds = (performance.now() - start) / 1000;
  const names = trainer.statNames;
  const last = history.slice(-10);
  const mean = (f: (m: (typeof history)[number]) => number) => last.reduce((s, m) => s + f(m), 0) / last.length;
  const stat = (name: string) => mean((m) => m.gameStats[names.indexOf(name)]);
  const own = stat('own_coins_0') + stat('own_coins_1');
  const other = stat('other_coins_0') + stat('other_coins_1');
  trainer.dispose();
  return {
    algorithm,
    seed,
    seconds,
    ownCoinRate: own / (own + other),
    pickupsPerEpisode: own + other,
    totalPayoff: mean((m) => m.meanReturn[0] + m.meanReturn[1]),
  };
}

const ipdRows = [];
for (const algorithm of ['naive', 'advantage-alignment', 'sum-of-rewards'] as const) {
  for (let seed = 1; seed <= seeds; seed++) ipdRows.push(await ipd(algorithm, seed));
}
console.log('IPD, 10 rounds, memory-1 tabular, 300 iterations × 512 episodes (src/cli/recipes.ts ipdRecipe)');
console.log(
  formatTable(
    ['algorithm', 'seed', 'self-play coop', 'greedy', 'coop vs TFT', 'greedy', 'loss vs AD', 'greedy', 'payoff', 'train s'],
    ipdRows.map((r) => [
      r.algorithm, r.seed, pct(r.selfPlay), pct(r.selfPlayGreedy), pct(r.vsTitForTat), pct(r.vsTitForTatGreedy),
      r.lossVsDefect, r.lossVsDefectGreedy, r.selfPlayPayoff, r.seconds,
    ]),
  ),
);

const coinRows = [];
for (const algorithm of ['naive', 'advantage-alignment'] as const) {
  for (let seed = 1; seed <= seeds; seed++) coinRows.push(await coin(algorithm, seed));
}
console.log('\nCoin Game 3×3, 16 steps, MLP(32), 200 iterations × 512 episodes (coinRecipe); last 10 iterations');
console.log(
  formatTable(
    ['algorithm', 'seed', 'own-coin rate', 'pick-ups / episode', 'total payoff / episode', 'train s'],
    coinRows.map((r) => [r.algorithm, r.seed, pct(r.ownCoinRate), r.pickupsPerEpisode, r.totalPayoff, r.seconds]),
  ),
);

const dir = new URL('../bench/results/', import.meta.url);
mkdirSync(dir, { recursive: true });
const tag = resultTag(process.argv);
const file = new URL(`reproduce-${new Date().toISOString().slice(0, 10)}${tag ? `-${tag}` : ''}.json`, dir);
writeFileSync(
  file,
  `${JSON.stringify({ machine: { node: process.version, cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model }, ipd: ipdRows, coin: coinRows }, null, 2)}\n`,
);
console.log(`\nwritten to ${file.pathname}`);

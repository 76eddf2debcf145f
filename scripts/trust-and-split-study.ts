/**
 * Trust-and-split training study: naive, sum-of-rewards and Advantage
 * Alignment self-play with the same budget on the symbolic game, several
 * seeds each, MLP policies. Each trained policy is evaluated in self-play
 * (split efficiency, honesty, agreement, payoff) and against the scripted
 * greedy-splitter, beside the reference payoff of always proposing 5 coins
 * against it (the welfare-splitter does exactly that when the greedy
 * splitter makes no claim: 10·5/15 = 3.33 coins a round at its own value).
 *
 *   node --import tsx scripts/trust-and-split-study.ts [--seeds N] [--iterations N]
 *       [--batch N] [--lr X] [--hidden N] [--scale X] [--entropy X] [--algorithms a,b,c] [--out NAME]
 *
 * Prints a table and writes bench/results/<NAME>.json (default
 * trust-and-split-study.json) and the table beside it as .txt.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import {
  formatTable,
  meanReturns,
  negotiationMetrics,
  rollout,
  scripted,
  train,
  type Algorithm,
  type Policy,
  type TrainConfig,
} from '../src/index.js';

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const seeds = Number(arg('seeds', '3'));
const iterations = Number(arg('iterations', '150'));
const batch = Number(arg('batch', '256'));
const lr = Number(arg('lr', '0.003'));
const hidden = Number(arg('hidden', '64'));
const entropyCoef = Number(arg('entropy', '0'));
// Training rewards are the game's scaled by this factor (coin values 10·scale and
// 1·scale): the same game, since observations carry rewards relative to the
// largest; evaluation uses the default values.
const scale = Number(arg('scale', '1'));
const algorithms = arg('algorithms', 'naive,sum-of-rewards,advantage-alignment').split(',') as Algorithm[];
const outName = arg('out', 'trust-and-split-study');
const EVAL_BATCH = 2048;
const EVAL_SEED = 77;

/** The study's recipe: the same for every algorithm except the credit. */
export function recipe(algorithm: Algorithm, seed: number): TrainConfig {
  return {
    game: { id: 'trust-and-split', params: { highValue: 10 * scale, lowValue: 1 * scale } },
    algorithm,
    policy: { kind: 'mlp', hidden: [hidden] },
    iterations,
    batch,
    groupSize: 8,
    seed,
    gamma: 0.96,
    beta: 2,
    lr,
    whitenCredits: true,
    entropyCoef,
  };
}

async function against(policy: Policy, opponent: Policy) {
  // Both seats (the speaking order alternates by round, seat 0 speaks first in round 0).
  const a = await rollout({ game: 'trust-and-split', policies: [policy, opponent], batch: EVAL_BATCH, seed: EVAL_SEED });
  const b = await rollout({ game: 'trust-and-split', policies: [opponent, policy], batch: EVAL_BATCH, seed: EVAL_SEED });
  return { payoff: (meanReturns(a)[0] + meanReturns(b)[1]) / 2, opponentPayoff: (meanReturns(a)[1] + meanReturns(b)[0]) / 2 };
}

async function run(algorithm: Algorithm, seed: number, greedy: Policy, always5: Policy) {
  const start = performance.now();
  const { trainer, history } = await train(recipe(algorithm, seed));
  const seconds = (performance.now() - start) / 1000;
  const policy = trainer.policy();
  try {
    const self = negotiationMetrics(
      await rollout({ game: 'trust-and-split', policies: [policy, policy], batch: EVAL_BATCH, seed: EVAL_SEED }),
    );
    const vsGreedy = await against(policy, greedy);
    const reference = await against(always5, greedy);
    return {
      algorithm,
      seed,
      seconds,
      iterations: history.length,
      efficiency: self.splitEfficiency,
      honesty: self.honestyOverall,
      claimsPerEpisode: self.claimsPerEpisode[0] + self.claimsPerEpisode[1],
      agreement: self.agreementRate,
      payoff: (self.payoff[0] + self.payoff[1]) / 2,
      vsGreedy: vsGreedy.payoff,
      greedyVsIt: vsGreedy.opponentPayoff,
      always5VsGreedy: reference.payoff,
    };
  } finally {
    policy.dispose();
    trainer.dispose();
  }
}

const greedy = scripted('greedy-splitter');
const always5 = scripted('welfare-splitter');
const rows = [];
for (const algorithm of algorithms) {
  for (let seed = 1; seed <= seeds; seed++) {
    const row = await run(algorithm, seed, greedy, always5);
    rows.push(row);
    console.error(`${algorithm} seed ${seed}: efficiency ${row.efficiency.toFixed(3)}, vs greedy ${row.vsGreedy.toFixed(1)} (${row.seconds.toFixed(1)} s)`);
  }
}
greedy.dispose();
always5.dispose();

const f = (x: number, d = 3) => (Number.isNaN(x) ? 'n/a' : x.toFixed(d));
const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
const perRun = formatTable(
  ['algorithm', 'seed', 'efficiency', 'honesty', 'claims/ep', 'agreement', 'self-play payoff', 'vs greedy', 'always-5 vs greedy', 'train s'],
  rows.map((r) => [
    r.algorithm, r.seed, f(r.efficiency), f(r.honesty), f(r.claimsPerEpisode, 1), f(r.agreement), f(r.payoff, 1),
    f(r.vsGreedy, 1), f(r.always5VsGreedy, 1), f(r.seconds, 1),
  ]),
);
const summary = formatTable(
  ['algorithm', 'efficiency (mean)', 'honesty (mean)', 'self-play payoff', 'vs greedy', 'always-5 vs greedy', 'runs ≥ always-5'],
  algorithms.map((a) => {
    const rs = rows.filter((r) => r.algorithm === a);
    return [
      a, f(mean(rs.map((r) => r.efficiency))), f(mean(rs.map((r) => r.honesty))), f(mean(rs.map((r) => r.payoff)), 1),
      f(mean(rs.map((r) => r.vsGreedy)), 1), f(mean(rs.map((r) => r.always5VsGreedy)), 1),
      `${rs.filter((r) => r.vsGreedy >= r.always5VsGreedy).length}/${rs.length}`,
    ];
  }),
);
const header = [
  `trust-and-split (10 rounds, 10 coins, values 10/1, default vocabulary), MLP(${hidden}) policies,`,
  `${iterations} iterations × ${batch} episodes (groups of 8 sharing hands), Adam ${lr}, γ = 0.96, β = 2 (AA), whitened credits,`,
  `training rewards scaled by ${scale} (coin values ${10 * scale}/${scale}; evaluation at 10/1).`,
  `Evaluation: ${EVAL_BATCH} sampled episodes per match; payoffs per episode; "vs greedy" averages both seats.`,
].join('\n');
const text = `${header}\n\n${perRun}\n\n${summary}\n`;
console.log(text);

const dir = new URL('../bench/results/', import.meta.url);
mkdirSync(dir, { recursive: true });
const config = recipe('advantage-alignment', 0);
writeFileSync(
  new URL(`${outName}.json`, dir),
  `${JSON.stringify(
    {
      command: `node --import tsx scripts/trust-and-split-study.ts ${process.argv.slice(2).join(' ')}`.trim(),
      machine: { node: process.version, cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model },
      recipe: { ...config, algorithm: undefined, seed: undefined },
      evaluation: { batch: EVAL_BATCH, seed: EVAL_SEED },
      rows,
    },
    null,
    2,
  )}\n`,
);
writeFileSync(new URL(`${outName}.txt`, dir), text);
console.error(`written to bench/results/${outName}.json and .txt`);

/**
 * Trust-and-split training study: naive, sum-of-rewards and Advantage
 * Alignment self-play with the same budget on the symbolic game, several
 * seeds each, MLP policies, under two protocols:
 *
 *   scratch  each algorithm from a random initialisation for
 *            warmup + iterations iterations;
 *   warm     per seed, one sum-of-rewards run of `warmup` iterations (a
 *            cooperative starting point, as a language model's prior is for
 *            the paper's LLM agents), then each algorithm from those
 *            parameters for `iterations` iterations with a fresh optimizer.
 *
 * Each policy is evaluated in self-play (split efficiency, honesty, agreement,
 * payoff) and against the scripted greedy-splitter, beside the reference
 * payoff of always proposing 5 coins against it (the welfare-splitter does
 * exactly that when the greedy splitter makes no claim: 10·5/15 = 3.33 coins a
 * round at its own value).
 *
 *   node --import tsx scripts/trust-and-split-study.ts [--seeds N] [--warmup N] [--iterations N]
 *       [--batch N] [--lr X] [--hidden N] [--entropy X] [--beta X] [--protocols scratch,warm]
 *       [--algorithms a,b,c] [--out NAME]
 *
 * Prints a table and writes bench/results/<NAME>.json (default
 * trust-and-split-study.json) and the table beside it as .txt.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { parseArgs } from 'node:util';
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
  type Trainer,
} from '../src/index.js';
import { trustAndSplitRecipe } from '../src/cli/train-demo.js';

const recipeDefaults = trustAndSplitRecipe('advantage-alignment', 0, 0);
const { values: opts } = parseArgs({
  options: {
    seeds: { type: 'string', default: '3' },
    warmup: { type: 'string', default: '400' },
    iterations: { type: 'string', default: '300' },
    batch: { type: 'string', default: String(recipeDefaults.batch) },
    lr: { type: 'string', default: String(recipeDefaults.lr) },
    hidden: { type: 'string', default: '64' },
    entropy: { type: 'string', default: String(recipeDefaults.entropyCoef) },
    beta: { type: 'string', default: String(recipeDefaults.beta) },
    protocols: { type: 'string', default: 'scratch,warm' },
    algorithms: { type: 'string', default: 'naive,sum-of-rewards,advantage-alignment' },
    out: { type: 'string', default: 'trust-and-split-study' },
  },
});
const num = (name: keyof typeof opts) => {
  const x = Number(opts[name]);
  if (!Number.isFinite(x)) throw new Error(`--${name} must be a number, got ${opts[name]}`);
  return x;
};
const seeds = num('seeds');
const warmup = num('warmup');
const iterations = num('iterations');
const algorithms = String(opts.algorithms).split(',') as Algorithm[];
const protocols = String(opts.protocols).split(',');
const EVAL_BATCH = 2048;
const EVAL_SEED = 77;
const GAME = 'trust-and-split';

/** The package's Trust-and-Split recipe (src/cli/train-demo.ts) with this run's options. */
function recipe(algorithm: Algorithm, seed: number, iters: number): TrainConfig {
  return {
    ...trustAndSplitRecipe(algorithm, seed, iters),
    policy: { kind: 'mlp', hidden: [num('hidden')] },
    batch: num('batch'),
    beta: num('beta'),
    lr: num('lr'),
    entropyCoef: num('entropy'),
  };
}

async function against(policy: Policy, opponent: Policy) {
  // Both seats (the speaking order alternates by round, seat 0 speaks first in round 0).
  const a = await rollout({ game: GAME, policies: [policy, opponent], batch: EVAL_BATCH, seed: EVAL_SEED });
  const b = await rollout({ game: GAME, policies: [opponent, policy], batch: EVAL_BATCH, seed: EVAL_SEED });
  return { payoff: (meanReturns(a)[0] + meanReturns(b)[1]) / 2, opponentPayoff: (meanReturns(a)[1] + meanReturns(b)[0]) / 2 };
}

const greedy = scripted('greedy-splitter');
const always5 = scripted('welfare-splitter');
const reference = (await against(always5, greedy)).payoff;

async function measure(trainer: Trainer, protocol: string, algorithm: string, seed: number, seconds: number) {
  const policy = trainer.policy();
  try {
    const self = negotiationMetrics(await rollout({ game: GAME, policies: [policy, policy], batch: EVAL_BATCH, seed: EVAL_SEED }));
    const vsGreedy = await against(policy, greedy);
    return {
      protocol,
      algorithm,
      seed,
      seconds,
      iterations: trainer.iteration,
      efficiency: self.splitEfficiency,
      honesty: self.honestyOverall,
      claimsPerEpisode: self.claimsPerEpisode[0] + self.claimsPerEpisode[1],
      agreement: self.agreementRate,
      payoff: (self.payoff[0] + self.payoff[1]) / 2,
      vsGreedy: vsGreedy.payoff,
      greedyVsIt: vsGreedy.opponentPayoff,
      always5VsGreedy: reference,
    };
  } finally {
    policy.dispose();
  }
}

async function run(protocol: string, algorithm: string, seed: number, config: TrainConfig, initParams?: Float32Array) {
  const start = performance.now();
  const { trainer } = await train(config, { initParams });
  try {
    const row = await measure(trainer, protocol, algorithm, seed, (performance.now() - start) / 1000);
    console.error(`${protocol} ${algorithm} seed ${seed}: efficiency ${row.efficiency.toFixed(3)}, vs greedy ${row.vsGreedy.toFixed(1)} (${row.seconds.toFixed(1)} s)`);
    return { row, params: trainer.params() };
  } finally {
    trainer.dispose();
  }
}

const rows: Awaited<ReturnType<typeof measure>>[] = [];
for (let seed = 1; seed <= seeds; seed++) {
  if (protocols.includes('scratch')) {
    for (const algorithm of algorithms) rows.push((await run('scratch', algorithm, seed, recipe(algorithm, seed, warmup + iterations))).row);
  }
  if (protocols.includes('warm')) {
    const warm = await run('warm', 'start (sum-of-rewards)', seed, recipe('sum-of-rewards', 1000 + seed, warmup));
    rows.push(warm.row);
    for (const algorithm of algorithms) rows.push((await run('warm', algorithm, seed, recipe(algorithm, seed, iterations), warm.params)).row);
  }
}
greedy.dispose();
always5.dispose();

const f = (x: number, d = 3) => (Number.isNaN(x) ? 'n/a' : x.toFixed(d));
const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
const perRun = formatTable(
  ['protocol', 'algorithm', 'seed', 'efficiency', 'honesty', 'claims/ep', 'agreement', 'self-play payoff', 'vs greedy', 'train s'],
  rows.map((r) => [
    r.protocol, r.algorithm, r.seed, f(r.efficiency), f(r.honesty), f(r.claimsPerEpisode, 1), f(r.agreement), f(r.payoff, 1),
    f(r.vsGreedy, 1), f(r.seconds, 1),
  ]),
);
const groups = [...new Set(rows.map((r) => `${r.protocol}\u0000${r.algorithm}`))].map((k) => k.split('\u0000'));
const summary = formatTable(
  ['protocol', 'algorithm', 'efficiency (mean)', 'min', 'honesty (mean)', 'self-play payoff', 'vs greedy (mean)', 'min', 'runs ≥ always-5'],
  groups.map(([protocol, algorithm]) => {
    const rs = rows.filter((r) => r.protocol === protocol && r.algorithm === algorithm);
    return [
      protocol, algorithm, f(mean(rs.map((r) => r.efficiency))), f(Math.min(...rs.map((r) => r.efficiency))),
      f(mean(rs.map((r) => r.honesty))), f(mean(rs.map((r) => r.payoff)), 1), f(mean(rs.map((r) => r.vsGreedy)), 1),
      f(Math.min(...rs.map((r) => r.vsGreedy)), 1), `${rs.filter((r) => r.vsGreedy >= r.always5VsGreedy).length}/${rs.length}`,
    ];
  }),
);
const config = recipe('advantage-alignment', 0, iterations);
const header = [
  `trust-and-split (10 rounds, 10 coins, values 10/1, default vocabulary), MLP(${num('hidden')}) policies, ${num('batch')} episodes`,
  `an iteration (groups of 8 sharing hands), Adam ${config.lr}, entropy ${config.entropyCoef}, γ = 0.96, β = ${config.beta} (AA),`,
  `whitened credits, training rewards normalised to at most 1 a round (src/cli/train-demo.ts trustAndSplitRecipe). scratch: ${warmup + iterations} iterations from a random`,
  `initialisation; warm: ${warmup} sum-of-rewards iterations shared by the seed's runs, then ${iterations} iterations of each algorithm.`,
  `Evaluation: ${EVAL_BATCH} sampled episodes per match, payoffs per episode at values 10/1; "vs greedy" averages both seats;`,
  `always claiming 5 coins against the greedy splitter gets ${reference.toFixed(1)}.`,
].join('\n');
const text = `${header}\n\n${perRun}\n\n${summary}\n`;
console.log(text);

const dir = new URL('../bench/results/', import.meta.url);
mkdirSync(dir, { recursive: true });
writeFileSync(
  new URL(`${opts.out}.json`, dir),
  `${JSON.stringify(
    {
      command: `node --import tsx scripts/trust-and-split-study.ts ${process.argv.slice(2).join(' ')}`.trim(),
      machine: { node: process.version, cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model },
      recipe: { ...config, algorithm: undefined, seed: undefined, iterations: undefined },
      protocols: { scratch: { iterations: warmup + iterations }, warm: { warmup, iterations } },
      evaluation: { batch: EVAL_BATCH, seed: EVAL_SEED, always5VsGreedy: reference },
      rows,
    },
    null,
    2,
  )}\n`,
);
writeFileSync(new URL(`${opts.out}.txt`, dir), text);
console.error(`written to bench/results/${opts.out}.json and .txt`);

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
 *            parameters for `iterations` iterations with a fresh optimizer;
 *   prior    per seed, a generic prior: the policy cloned (behaviourClone,
 *            `priorSteps` Adam steps of `priorEpisodes` episodes) from a
 *            mixture of the four scripted agents (honest-reciprocator, liar,
 *            greedy-splitter, welfare-splitter, weights `priorWeights`), a
 *            stand-in for a language model that has seen every kind of
 *            behaviour; then each algorithm from it for `iterations`
 *            iterations.
 *
 * Each policy is evaluated in self-play (split efficiency, literal honesty,
 * informativeness of the messages about the speaker's hand in bits,
 * agreement, payoff) and against the scripted greedy-splitter and liar,
 * beside the reference payoff of always proposing 5 coins against them (both
 * always propose 10, so that is 10·5/15 = 3.33 coins a round at its own value).
 *
 *   node --import tsx scripts/trust-and-split-study.ts [--seeds N] [--warmup N] [--iterations N]
 *       [--batch N] [--lr X] [--hidden N] [--entropy X] [--beta X] [--protocols scratch,warm,prior]
 *       [--algorithms a,b,c] [--prior-steps N] [--prior-episodes N] [--prior-lr X]
 *       [--prior-weights h,l,g,w] [--prior-beta X] [--prior-entropy X] [--aa-past advantages|rewards]
 *       [--out NAME]
 *
 * --prior-beta and --prior-entropy set β and the entropy bonus of the runs
 * from the prior only (default --beta and --entropy); "efficiency (argmax)"
 * is self-play with every policy taking its most probable action. --aa-past
 * sets what the Advantage Alignment weight sums over the learner's past steps
 * (TrainConfig.aaPast; default the recipe's).
 *
 * Prints a table and writes bench/results/<NAME>.json (default
 * trust-and-split-study.json) and the table beside it as .txt.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { parseArgs } from 'node:util';
import {
  behaviourClone,
  formatTable,
  Game,
  modelLayout,
  modelPolicy,
  meanReturns,
  splittingMetrics,
  rollout,
  scripted,
  train,
  type Algorithm,
  type Policy,
  type TrainConfig,
  type Trainer,
} from '../src/index.js';
import { trustAndSplitRecipe } from '../src/cli/recipes.js';

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
    protocols: { type: 'string', default: 'scratch,warm,prior' },
    algorithms: { type: 'string', default: 'naive,sum-of-rewards,advantage-alignment' },
    'prior-steps': { type: 'string', default: '300' },
    'prior-episodes': { type: 'string', default: '256' },
    'prior-lr': { type: 'string', default: '0.01' },
    // honest-reciprocator, liar, greedy-splitter, welfare-splitter
    'prior-weights': { type: 'string', default: '1,1,1,1' },
    'prior-beta': { type: 'string' },
    'prior-entropy': { type: 'string' },
    'aa-past': { type: 'string', default: recipeDefaults.aaPast ?? 'advantages' },
    out: { type: 'string', default: 'trust-and-split-study' },
  },
});
const num = (name: keyof typeof opts, fallback?: keyof typeof opts): number => {
  if (opts[name] === undefined && fallback) return num(fallback);
  const x = Number(opts[name]);
  if (!Number.isFinite(x)) throw new Error(`--${name} must be a number, got ${opts[name]}`);
  return x;
};
const seeds = num('seeds');
const warmup = num('warmup');
const iterations = num('iterations');
const algorithms = String(opts.algorithms).split(',') as Algorithm[];
const protocols = String(opts.protocols).split(',');
const PRIOR_AGENTS = ['honest-reciprocator', 'liar', 'greedy-splitter', 'welfare-splitter'] as const;
const priorWeights = String(opts['prior-weights']).split(',').map(Number);
if (priorWeights.length !== PRIOR_AGENTS.length || priorWeights.some((w) => !(w >= 0)) || !priorWeights.some((w) => w > 0)) {
  throw new Error(`--prior-weights must be ${PRIOR_AGENTS.length} non-negative numbers (${PRIOR_AGENTS.join(', ')}), not all 0`);
}
const aaPast = String(opts['aa-past']);
if (aaPast !== 'advantages' && aaPast !== 'rewards') throw new Error(`--aa-past must be advantages or rewards, got ${aaPast}`);
const EVAL_BATCH = 2048;
const EVAL_SEED = 77;
const GAME = 'trust-and-split';

/** The package's Trust-and-Split recipe (src/cli/recipes.ts) with this run's options. */
function recipe(algorithm: Algorithm, seed: number, iters: number): TrainConfig {
  return {
    ...trustAndSplitRecipe(algorithm, seed, iters),
    policy: { kind: 'mlp', hidden: [num('hidden')] },
    batch: num('batch'),
    beta: num('beta'),
    lr: num('lr'),
    entropyCoef: num('entropy'),
    aaPast,
  };
}

async function against(policy: Policy, opponent: Policy) {
  // Both seats (the speaking order alternates by round, seat 0 speaks first in round 0).
  const a = await rollout({ game: GAME, policies: [policy, opponent], batch: EVAL_BATCH, seed: EVAL_SEED });
  const b = await rollout({ game: GAME, policies: [opponent, policy], batch: EVAL_BATCH, seed: EVAL_SEED });
  return { payoff: (meanReturns(a)[0] + meanReturns(b)[1]) / 2, opponentPayoff: (meanReturns(a)[1] + meanReturns(b)[0]) / 2 };
}

/**
 * Always proposing half the coins and saying "none": a linear policy whose
 * only nonzero parameters are biases of 30 on "none", on proposing 5 and on
 * waiting, so that at every step the legal action it takes has probability
 * above 1 − 1e-12. Default vocabulary: 9 tokens, "none" last.
 */
function alwaysHalf(): Policy {
  const game = new Game(GAME, recipe('naive', 0, 0).game.params);
  const { obsDim, actions } = game.info;
  game.dispose();
  const tokens = (obsDim - 25) / 2, coins = actions - tokens - 2;
  const layout = modelLayout('mlp', { obsDim, actions, hidden: [] });
  const params = new Float32Array(layout.numParams);
  const b0 = layout.tensors.find((t) => t.name === 'b0')!.offset;
  for (const a of [tokens - 1, tokens + coins / 2, actions - 1]) params[b0 + a] = 30;
  return modelPolicy({ kind: 'mlp', hidden: [] }, { obsDim, actions }, params, 'always-half');
}

const greedy = scripted('greedy-splitter');
const liar = scripted('liar');
const always5 = alwaysHalf();
const reference = (await against(always5, greedy)).payoff;
const referenceLiar = (await against(always5, liar)).payoff;

async function measure(trainer: Trainer, protocol: string, algorithm: string, seed: number, seconds: number) {
  const policy = trainer.policy();
  try {
    const self = splittingMetrics(await rollout({ game: GAME, policies: [policy, policy], batch: EVAL_BATCH, seed: EVAL_SEED }));
    const argmax = splittingMetrics(await rollout({ game: GAME, policies: [policy, policy], batch: EVAL_BATCH, seed: EVAL_SEED, greedy: true }));
    const vsGreedy = await against(policy, greedy);
    const vsLiar = await against(policy, liar);
    return {
      protocol,
      algorithm,
      seed,
      seconds,
      iterations: trainer.iteration,
      efficiency: self.splitEfficiency,
      argmaxEfficiency: argmax.splitEfficiency,
      honesty: self.honestyOverall,
      information: self.claimInformation,
      claimsPerEpisode: self.claimsPerEpisode[0] + self.claimsPerEpisode[1],
      agreement: self.agreementRate,
      payoff: (self.payoff[0] + self.payoff[1]) / 2,
      vsGreedy: vsGreedy.payoff,
      greedyVsIt: vsGreedy.opponentPayoff,
      always5VsGreedy: reference,
      vsLiar: vsLiar.payoff,
      liarVsIt: vsLiar.opponentPayoff,
      always5VsLiar: referenceLiar,
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
    console.error(
      `${protocol} ${algorithm} seed ${seed}: efficiency ${row.efficiency.toFixed(3)}, vs greedy ${row.vsGreedy.toFixed(1)}, ` +
        `vs liar ${row.vsLiar.toFixed(1)}, honesty ${row.honesty.toFixed(3)}, information ${row.information.toFixed(3)} bits (${row.seconds.toFixed(1)} s)`,
    );
    return { row, params: trainer.params() };
  } finally {
    trainer.dispose();
  }
}

/** The seed's generic prior: the recipe's policy cloned from the scripted mixture (seed 2000 + seed). */
async function clonePrior(seed: number) {
  const start = performance.now();
  const config = { ...recipe('naive', 2000 + seed, 0), lr: num('prior-lr') };
  const { params, history } = await behaviourClone({
    config,
    mixture: PRIOR_AGENTS.map((policy, i) => ({ policy, weight: priorWeights[i] })).filter((m) => m.weight > 0),
    steps: num('prior-steps'),
    episodes: num('prior-episodes'),
  });
  const { trainer } = await train({ ...config, iterations: 0 }, { initParams: params });
  try {
    const row = await measure(trainer, 'prior', 'start (cloned prior)', seed, (performance.now() - start) / 1000);
    console.error(`prior seed ${seed}: cloning loss ${history.at(-1)!.loss.toFixed(4)}, efficiency ${row.efficiency.toFixed(3)}, honesty ${row.honesty.toFixed(3)}, information ${row.information.toFixed(3)} bits`);
    return { row: { ...row, cloningLoss: history.at(-1)!.loss }, params };
  } finally {
    trainer.dispose();
  }
}

const rows: (Awaited<ReturnType<typeof measure>> & { cloningLoss?: number })[] = [];
for (let seed = 1; seed <= seeds; seed++) {
  if (protocols.includes('scratch')) {
    for (const algorithm of algorithms) rows.push((await run('scratch', algorithm, seed, recipe(algorithm, seed, warmup + iterations))).row);
  }
  if (protocols.includes('warm')) {
    const warm = await run('warm', 'start (sum-of-rewards)', seed, recipe('sum-of-rewards', 1000 + seed, warmup));
    rows.push(warm.row);
    for (const algorithm of algorithms) rows.push((await run('warm', algorithm, seed, recipe(algorithm, seed, iterations), warm.params)).row);
  }
  if (protocols.includes('prior')) {
    const prior = await clonePrior(seed);
    rows.push(prior.row);
    for (const algorithm of algorithms) {
      const config = { ...recipe(algorithm, seed, iterations), beta: num('prior-beta', 'beta'), entropyCoef: num('prior-entropy', 'entropy') };
      rows.push((await run('prior', algorithm, seed, config, prior.params)).row);
    }
  }
}
greedy.dispose();
liar.dispose();
always5.dispose();

const f = (x: number, d = 3) => (Number.isNaN(x) ? 'n/a' : x.toFixed(d));
const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
const perRun = formatTable(
  ['protocol', 'algorithm', 'seed', 'efficiency', 'eff (argmax)', 'honesty', 'info bits', 'claims/ep', 'agreement', 'self-play payoff', 'vs greedy', 'vs liar', 'train s'],
  rows.map((r) => [
    r.protocol, r.algorithm, r.seed, f(r.efficiency), f(r.argmaxEfficiency), f(r.honesty), f(r.information), f(r.claimsPerEpisode, 1), f(r.agreement), f(r.payoff, 1),
    f(r.vsGreedy, 1), f(r.vsLiar, 1), f(r.seconds, 1),
  ]),
);
const groups = [...new Set(rows.map((r) => `${r.protocol}\u0000${r.algorithm}`))].map((k) => k.split('\u0000'));
const summary = formatTable(
  ['protocol', 'algorithm', 'efficiency (mean)', 'min', 'honesty (mean)', 'info bits (mean)', 'self-play payoff', 'vs greedy (mean)', 'min',
    'runs ≥ always-5', 'vs liar (mean)', 'min', 'runs ≥ always-5'],
  groups.map(([protocol, algorithm]) => {
    const rs = rows.filter((r) => r.protocol === protocol && r.algorithm === algorithm);
    return [
      protocol, algorithm, f(mean(rs.map((r) => r.efficiency))), f(Math.min(...rs.map((r) => r.efficiency))),
      f(mean(rs.map((r) => r.honesty))), f(mean(rs.map((r) => r.information))), f(mean(rs.map((r) => r.payoff)), 1),
      f(mean(rs.map((r) => r.vsGreedy)), 1), f(Math.min(...rs.map((r) => r.vsGreedy)), 1),
      `${rs.filter((r) => r.vsGreedy >= r.always5VsGreedy).length}/${rs.length}`,
      f(mean(rs.map((r) => r.vsLiar)), 1), f(Math.min(...rs.map((r) => r.vsLiar)), 1),
      `${rs.filter((r) => r.vsLiar >= r.always5VsLiar).length}/${rs.length}`,
    ];
  }),
);
const config = recipe('advantage-alignment', 0, iterations);
const header = [
  `trust-and-split (10 rounds, 10 coins, values 10/1, default vocabulary), MLP(${num('hidden')}) policies, ${num('batch')} episodes`,
  `an iteration (groups of 8 sharing hands), Adam ${config.lr}, entropy ${config.entropyCoef}, γ = 0.96, β = ${config.beta} (AA),`,
  `whitened credits, AA weight over past ${aaPast === 'rewards' ? 'one-step rewards' : 'advantages'} (aaPast '${aaPast}'),`,
  `training rewards normalised to at most 1 a round (src/cli/recipes.ts trustAndSplitRecipe). scratch: ${warmup + iterations} iterations from a random`,
  `initialisation; warm: ${warmup} sum-of-rewards iterations shared by the seed's runs, then ${iterations} iterations of each algorithm;`,
  `prior: the policy cloned (${num('prior-steps')} Adam steps at ${num('prior-lr')}, ${num('prior-episodes')} fresh episodes each) from the scripted`,
  `${PRIOR_AGENTS.map((a, i) => `${a} ${priorWeights[i]}`).join(', ')} mixture (seats drawn independently by weight), then ${iterations} iterations of each algorithm`,
  `with entropy ${num('prior-entropy', 'entropy')} and β = ${num('prior-beta', 'beta')} (AA).`,
  `Evaluation: ${EVAL_BATCH} sampled episodes per match, payoffs per episode at values 10/1; "vs greedy" and "vs liar" average both seats;`,
  `honesty: true hand claims over claims; info bits: mutual information between a speaker's message and its hand (max log2 3 = 1.585);`,
  `always proposing 5 coins gets ${reference.toFixed(1)} against the greedy splitter and ${referenceLiar.toFixed(1)} against the liar.`,
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
      protocols: {
        scratch: { iterations: warmup + iterations },
        warm: { warmup, iterations },
        prior: {
          beta: num('prior-beta', 'beta'),
          entropyCoef: num('prior-entropy', 'entropy'),
          cloning: { steps: num('prior-steps'), episodes: num('prior-episodes'), lr: num('prior-lr'), weights: Object.fromEntries(PRIOR_AGENTS.map((a, i) => [a, priorWeights[i]])) },
          iterations,
        },
      },
      evaluation: { batch: EVAL_BATCH, seed: EVAL_SEED, always5VsGreedy: reference, always5VsLiar: referenceLiar },
      rows,
    },
    null,
    2,
  )}\n`,
);
writeFileSync(new URL(`${opts.out}.txt`, dir), text);
console.error(`written to bench/results/${opts.out}.json and .txt`);

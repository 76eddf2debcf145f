/**
 * A sweep over the runs from the generic Trust-and-Split prior: one seed's
 * prior (the study's protocol "prior": the recipe's MLP cloned by 300 Adam
 * steps of 256 episodes from the four scripted agents with the given
 * weights, in the order honest-reciprocator, liar, greedy-splitter,
 * welfare-splitter), then one run per configuration, each a list of
 * trustAndSplitRecipe overrides (key=value;key=value, alg=… for the
 * algorithm, default advantage-alignment; 300 iterations unless overridden).
 * Prints the self-play split efficiency every 50 iterations (training
 * batches), then sampled and argmax self-play efficiency, literal honesty,
 * information in bits and the payoff against the greedy splitter and the
 * liar (1024 episodes a seat; always proposing half gets 183.3 against both).
 *
 *   node --import tsx scripts/trust-and-split-prior-sweep.ts SEED WEIGHTS CONFIG...
 *   e.g. … 1 1,1,1,1 "entropyCoef=0" "entropyCoef=0;beta=0.5" "alg=naive;entropyCoef=0"
 */
import {
  behaviourClone,
  meanReturns,
  splittingMetrics,
  splittingMetricsFromStats,
  rollout,
  scripted,
  train,
  type Algorithm,
  type Policy,
} from '../src/index.js';
import { trustAndSplitRecipe } from '../src/cli/recipes.js';

const AGENTS = ['honest-reciprocator', 'liar', 'greedy-splitter', 'welfare-splitter'] as const;
const [seedArg, weightsArg, ...configs] = process.argv.slice(2);
const seed = Number(seedArg);
const weights = String(weightsArg).split(',').map(Number);
if (!Number.isInteger(seed) || weights.length !== AGENTS.length || configs.length === 0) {
  throw new Error('usage: trust-and-split-prior-sweep.ts SEED w_honest,w_liar,w_greedy,w_welfare CONFIG...');
}
const GAME = 'trust-and-split';
const { params: prior } = await behaviourClone({
  config: trustAndSplitRecipe('naive', 2000 + seed, 0),
  mixture: AGENTS.map((policy, i) => ({ policy, weight: weights[i] })).filter((m) => m.weight > 0),
  steps: 300,
  episodes: 256,
});

async function against(policy: Policy, opponent: Policy) {
  const a = await rollout({ game: GAME, policies: [policy, opponent], batch: 1024, seed: 77 });
  const b = await rollout({ game: GAME, policies: [opponent, policy], batch: 1024, seed: 77 });
  return (meanReturns(a)[0] + meanReturns(b)[1]) / 2;
}

const trainerStatNames = (await rollout({ game: GAME, policies: ['liar', 'liar'], batch: 1 })).statNames;
const value = (v: string) => (v === 'true' ? true : v === 'false' ? false : Number.isNaN(Number(v)) ? v : Number(v));
const greedy = scripted('greedy-splitter'), liar = scripted('liar');
for (const c of configs) {
  const overrides: Record<string, unknown> = Object.fromEntries(c.split(';').map((kv) => kv.split('=')).map(([k, v]) => [k, value(v)]));
  const algorithm = (overrides.alg ?? 'advantage-alignment') as Algorithm;
  delete overrides.alg;
  const start = performance.now();
  const curve: string[] = [];
  const { trainer } = await train({ ...trustAndSplitRecipe(algorithm, seed, 300), ...overrides }, {
    initParams: prior,
    onIteration: (m) => {
      if (m.iteration % 50 === 49) curve.push(splittingMetricsFromStats(trainerStatNames, m.gameStats).splitEfficiency.toFixed(2));
    },
  });
  const policy = trainer.policy();
  const self = splittingMetrics(await rollout({ game: GAME, policies: [policy, policy], batch: 1024, seed: 77 }));
  const argmax = splittingMetrics(await rollout({ game: GAME, policies: [policy, policy], batch: 1024, seed: 77, greedy: true }));
  console.log(`  curve ${curve.join(' ')}`);
  console.log(
    `${algorithm} ${c}: argmax eff ${argmax.splitEfficiency.toFixed(3)} eff ${self.splitEfficiency.toFixed(3)} ` +
      `hon ${self.honestyOverall.toFixed(3)} info ${self.claimInformation.toFixed(3)} vsG ${(await against(policy, greedy)).toFixed(1)} ` +
      `vsL ${(await against(policy, liar)).toFixed(1)} (${((performance.now() - start) / 1000).toFixed(0)} s)`,
  );
  policy.dispose();
  trainer.dispose();
}
greedy.dispose();
liar.dispose();

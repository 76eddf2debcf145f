/**
 * A sweep over the runs from the generic Trust-and-Split prior: for each
 * seed, the seed's prior (the study's protocol "prior": the recipe's MLP
 * cloned by 300 Adam steps of 256 episodes from the four scripted agents with
 * the given weights, in the order honest-reciprocator, liar, greedy-splitter,
 * welfare-splitter), then one run per configuration.
 *
 * A configuration is a list of trustAndSplitRecipe overrides
 * (key=value;key=value, alg=… for the algorithm, default
 * advantage-alignment; 300 iterations unless overridden). Phases separated
 * by `|` run one after the other on one trainer state (parameters, Adam
 * moments, iteration count, so the random streams continue), each for its
 * own `iterations`: e.g. `alg=naive;iterations=50 | beta=2;iterations=250`
 * switches AA on after 50 naive iterations; a phase inherits the previous
 * phase's overrides. `priorOpponent=P` keeps the prior itself as the only
 * snapshot in the opponent buffer, drawn with probability P an iteration
 * (only seat 0 learns then), so that the learner keeps meeting the scripted
 * mixture it was cloned from.
 *
 * Prints the self-play split efficiency every 50 iterations (training
 * batches), then sampled and argmax self-play efficiency, literal honesty,
 * information in bits and the payoff against the greedy splitter and the
 * liar (1024 episodes a seat; always proposing half gets 183.3 against both).
 *
 *   node --import tsx scripts/trust-and-split-prior-sweep.ts SEEDS WEIGHTS CONFIG...
 *   e.g. … 1,2,3 1,1,1,1 "entropyCoef=0" "alg=naive;entropyCoef=0;iterations=50 | alg=advantage-alignment;iterations=250"
 */
import {
  behaviourClone,
  meanReturns,
  splittingMetrics,
  splittingMetricsFromStats,
  rollout,
  scripted,
  Trainer,
  type Algorithm,
  type Policy,
  type TrainConfig,
} from '../src/index.js';
import { trustAndSplitRecipe } from '../src/cli/recipes.js';

const AGENTS = ['honest-reciprocator', 'liar', 'greedy-splitter', 'welfare-splitter'] as const;
const [seedsArg, weightsArg, ...configs] = process.argv.slice(2);
const seeds = String(seedsArg).split(',').map(Number);
const weights = String(weightsArg).split(',').map(Number);
if (!seeds.every(Number.isInteger) || weights.length !== AGENTS.length || configs.length === 0) {
  throw new Error('usage: trust-and-split-prior-sweep.ts SEED[,SEED…] w_honest,w_liar,w_greedy,w_welfare CONFIG...');
}
const GAME = 'trust-and-split';

async function against(policy: Policy, opponent: Policy) {
  const a = await rollout({ game: GAME, policies: [policy, opponent], batch: 1024, seed: 77 });
  const b = await rollout({ game: GAME, policies: [opponent, policy], batch: 1024, seed: 77 });
  return (meanReturns(a)[0] + meanReturns(b)[1]) / 2;
}

const value = (v: string) => (v === 'true' ? true : v === 'false' ? false : Number.isNaN(Number(v)) ? v : Number(v));
const parse = (phase: string): Record<string, unknown> =>
  Object.fromEntries(
    phase
      .split(';')
      .map((kv) => kv.trim())
      .filter((kv) => kv !== '')
      .map((kv) => kv.split('='))
      .map(([k, v]) => [k.trim(), value(v.trim())]),
  );

/** The phases of a configuration, each with the overrides it inherits, its algorithm and its prior-opponent probability. */
function phasesOf(c: string) {
  let inherited: Record<string, unknown> = {};
  return c.split('|').map((p) => {
    const overrides = { ...inherited, ...parse(p) };
    inherited = overrides;
    const { alg, priorOpponent, ...rest } = overrides;
    return {
      algorithm: (alg ?? 'advantage-alignment') as Algorithm,
      priorOpponent: Number(priorOpponent ?? 0),
      iterations: Number(rest.iterations ?? 300),
      settings: rest as Partial<TrainConfig>,
    };
  });
}

const greedy = scripted('greedy-splitter'), liar = scripted('liar');
for (const seed of seeds) {
  const { params: prior } = await behaviourClone({
    config: trustAndSplitRecipe('naive', 2000 + seed, 0),
    mixture: AGENTS.map((policy, i) => ({ policy, weight: weights[i] })).filter((m) => m.weight > 0),
    steps: 300,
    episodes: 256,
  });
  console.log(`seed ${seed}, weights ${weights.join(',')}`);
  for (const c of configs) {
    const phases = phasesOf(c);
    const total = phases.reduce((s, p) => s + p.iterations, 0);
    const start = performance.now();
    const curve: string[] = [];
    let state: ReturnType<Trainer['state']> | undefined;
    let trainer: Trainer | undefined;
    for (const phase of phases) {
      const withPrior = phase.priorOpponent > 0;
      trainer?.dispose();
      trainer = Trainer.create({
        ...trustAndSplitRecipe(phase.algorithm, seed, total),
        ...phase.settings,
        iterations: total,
        ...(withPrior ? { bufferSize: 1, snapshotEvery: 1 << 30, bufferProbability: phase.priorOpponent } : {}),
      });
      if (state === undefined) trainer.warmStart(prior);
      else trainer.restore({ ...state, buffer: [] });
      if (withPrior) trainer.restore({ ...trainer.state(), buffer: [Float32Array.from(prior)] });
      const end = trainer.iteration + phase.iterations;
      while (trainer.iteration < end) {
        const m = await trainer.step();
        if (m.iteration % 50 === 49) {
          curve.push(splittingMetricsFromStats(trainer.statNames, m.gameStats).splitEfficiency.toFixed(2) + (m.bufferOpponent ? '*' : ''));
        }
      }
      state = trainer.state();
    }
    const policy = trainer!.policy();
    const self = splittingMetrics(await rollout({ game: GAME, policies: [policy, policy], batch: 1024, seed: 77 }));
    const argmax = splittingMetrics(await rollout({ game: GAME, policies: [policy, policy], batch: 1024, seed: 77, greedy: true }));
    console.log(
      `  ${c}: eff ${self.splitEfficiency.toFixed(3)} argmax ${argmax.splitEfficiency.toFixed(3)} ` +
        `hon ${self.honestyOverall.toFixed(3)} info ${self.claimInformation.toFixed(3)} vsG ${(await against(policy, greedy)).toFixed(1)} ` +
        `vsL ${(await against(policy, liar)).toFixed(1)} (${((performance.now() - start) / 1000).toFixed(0)} s)\n    curve ${curve.join(' ')}`,
    );
    policy.dispose();
    trainer!.dispose();
  }
}
greedy.dispose();
liar.dispose();

/**
 * One training iteration — rollout, credits, backward, Adam — of Advantage
 * Alignment self-play on the 10-round IPD with a memory-1 tabular policy: the
 * engine's `Trainer.step()` beside the same iteration in plain TypeScript.
 */
import { Trainer, type TrainConfig } from '../src/train.js';
import type { BenchSuite } from './suite.js';
import { PlainIpdTrainer, selfPlayCooperation } from './baselines/train-ipd.js';

const GAMMA = 0.9;
const BETA = 0.5;
const LR = 0.05;
const SEED = 7;
/** Iterations of the learning check, and the cooperation both sides must reach from a zero table. */
const CHECK_ITERATIONS = 300;
const MIN_COOPERATION = 0.7;
const MAX_COOPERATION_GAP = 0.1;
const PROBE_EPISODES = 4096;

function engineConfig(batch: number, seed: number, threads?: number): TrainConfig {
  return {
    game: { id: 'ipd' },
    algorithm: 'advantage-alignment',
    policy: { kind: 'tabular' },
    batch,
    seed,
    gamma: GAMMA,
    beta: BETA,
    lr: LR,
    // Constant learning rate however long the timing runs.
    iterations: 1e9,
    ...(threads === undefined ? {} : { threads }),
  };
}

const plainOptions = (batch: number, seed: number) => ({ batch, seed, gamma: GAMMA, beta: BETA, lr: LR });

/**
 * The TypeScript gradient against central differences of the TypeScript loss,
 * credits held fixed, on a small sampled batch at a table away from zero (so
 * that softmax is not uniform and both actions occur in every visited state).
 */
function checkGradient(): void {
  const t = new PlainIpdTrainer(plainOptions(16, 3));
  t.table.set([0.4, -0.3, 1.1, -0.6, -0.8, 0.5, 0.2, 0.7, -1.2, 0.3]);
  t.rollout();
  t.computeCredits();
  const analytic = t.gradient(t.table, new Float64Array(t.table.length));
  const z = Float64Array.from(t.table);
  const h = 1e-5;
  const numeric = new Float64Array(z.length);
  for (let i = 0; i < z.length; i++) {
    const z0 = z[i];
    z[i] = z0 + h;
    const up = t.loss(z);
    z[i] = z0 - h;
    const down = t.loss(z);
    z[i] = z0;
    numeric[i] = (up - down) / (2 * h);
  }
  // Relative per entry, with a floor at 1e-3 of the largest entry: a state the
  // batch barely visits has a near-zero gradient whose own relative error means nothing.
  const scale = Math.max(...numeric.map(Math.abs));
  if (!(scale > 0)) throw new Error('gradient check: the loss does not depend on the table (all credits zero?)');
  for (let i = 0; i < z.length; i++) {
    const err = Math.abs(analytic[i] - numeric[i]);
    if (!(err <= 1e-4 * Math.max(Math.abs(numeric[i]), 1e-3 * scale))) {
      throw new Error(
        `gradient check: TypeScript gradient of table[${i}] is ${analytic[i]}, central differences give ${numeric[i]}`,
      );
    }
  }
}

/** Both sides train from a zero table and must reach the same self-play cooperation. */
async function checkLearning(batch: number): Promise<void> {
  const plain = new PlainIpdTrainer(plainOptions(batch, SEED));
  for (let i = 0; i < CHECK_ITERATIONS; i++) plain.step();
  const trainer = Trainer.create(engineConfig(batch, SEED));
  let engineTable: Float32Array;
  try {
    for (let i = 0; i < CHECK_ITERATIONS; i++) await trainer.step();
    engineTable = trainer.params();
  } finally {
    trainer.dispose();
  }
  // One sampler for both tables, so the numbers differ only by what was learned.
  const plainCoop = selfPlayCooperation(plain.table, PROBE_EPISODES, 11);
  const engineCoop = selfPlayCooperation(engineTable, PROBE_EPISODES, 11);
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  if (engineCoop < MIN_COOPERATION) {
    throw new Error(
      `learning check: after ${CHECK_ITERATIONS} iterations the engine cooperates ${pct(engineCoop)} in self-play, below ${pct(MIN_COOPERATION)}`,
    );
  }
  if (Math.abs(engineCoop - plainCoop) > MAX_COOPERATION_GAP) {
    throw new Error(
      `learning check: after ${CHECK_ITERATIONS} iterations self-play cooperation differs by more than ${MAX_COOPERATION_GAP}: ` +
        `engine ${pct(engineCoop)}, TypeScript ${pct(plainCoop)}`,
    );
  }
}

function trainSuite(batch: number, timing?: BenchSuite['timing']): BenchSuite {
  // Made once: the cases time step() alone, each side carrying its own state across samples.
  const plain = new PlainIpdTrainer(plainOptions(batch, SEED));
  const engine = Trainer.create(engineConfig(batch, SEED));
  const engineOneThread = Trainer.create(engineConfig(batch, SEED, 1));
  return {
    name: `train iteration, batch ${batch}`,
    description:
      `one Advantage Alignment iteration (rollout, credits, backward, Adam), IPD 10 rounds, ` +
      `tabular memory-1 self-play, ${batch} episodes`,
    timing,
    async check() {
      checkGradient();
      await checkLearning(batch);
    },
    cases: [
      { name: 'plain TypeScript iteration', baseline: true, fn: () => plain.step() },
      // Declared async: tinybench then awaits them without the probe call it
      // makes on undeclared functions, which would leave a trainer mid-iteration.
      { name: 'engine iteration', fn: async () => void (await engine.step()) },
      { name: 'engine iteration, 1 thread', fn: async () => void (await engineOneThread.step()) },
    ],
  };
}

export default [trainSuite(512), trainSuite(4096, { time: 3000, iterations: 30 })];

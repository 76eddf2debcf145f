/**
 * One training iteration — rollout, credits, backward, Adam — of Advantage
 * Alignment self-play on the 10-round IPD with a memory-1 tabular policy: the
 * engine's `Trainer.step()` beside the same iteration in plain TypeScript and
 * the single-pass C++ reference loop (the limit, one thread).
 */
import { Trainer, type TrainConfig } from '../src/train.js';
import type { BenchSuite } from './suite.js';
import { selfPlayConfig } from './train-config.js';
import { centralDifferences } from './baselines/central-differences.js';
import { PlainIpdTrainer, selfPlayCooperation } from './baselines/train-ipd.js';
import { referenceIpdTrainer, type ReferenceIpdTrainer } from './reference/index.js';

const GAMMA = 0.9;
const BETA = 0.5;
const LR = 0.05;
const SEED = 7;
/** Iterations of the learning check, and the cooperation both sides must reach from a zero table. */
const CHECK_ITERATIONS = 300;
const MIN_COOPERATION = 0.7;
const MAX_COOPERATION_GAP = 0.1;
const PROBE_EPISODES = 4096;
const ROUNDS = 10;
/** Iterations over which each reference loop is compared with the side that shares its draws. */
const REFERENCE_CHECK_ITERATIONS = 25;

function engineConfig(batch: number, seed: number, threads?: number): TrainConfig {
  return selfPlayConfig({ id: 'ipd' }, { kind: 'tabular' }, { gamma: GAMMA, beta: BETA, lr: LR }, batch, seed, threads);
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
  const numeric = centralDifferences((x) => t.loss(x), t.table);
  // Relative per entry, with a floor at 1e-3 of the largest entry: a state the
  // batch barely visits has a near-zero gradient whose own relative error means nothing.
  const scale = Math.max(...numeric.map(Math.abs));
  if (!(scale > 0)) throw new Error('gradient check: the loss does not depend on the table (all credits zero?)');
  for (let i = 0; i < numeric.length; i++) {
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

const referenceOptions = (batch: number, seed: number, philox: boolean) => ({ ...plainOptions(batch, seed), philox });

/**
 * With the baseline's xorshift draws the reference plays the TypeScript
 * trainer's games, so every iteration's cooperation and the learned table
 * agree to rounding.
 */
function checkReferenceAgainstTypeScript(batch: number): void {
  const plain = new PlainIpdTrainer(plainOptions(batch, SEED));
  const ref = referenceIpdTrainer(referenceOptions(batch, SEED, false));
  for (let i = 0; i < REFERENCE_CHECK_ITERATIONS; i++) {
    plain.step();
    ref.step();
    const [c0, c1] = ref.metrics().action0Rate;
    // Identical draws: the shares agree exactly unless a probability at a draw's rounding edge flipped a move.
    if (Math.abs((c0 + c1) / 2 - plain.cooperation()) > 1e-3) {
      throw new Error(
        `reference check: iteration ${i} cooperation ${(c0 + c1) / 2}, TypeScript ${plain.cooperation()} (same xorshift draws)`,
      );
    }
  }
  const table = ref.params();
  for (let k = 0; k < table.length; k++) {
    if (!(Math.abs(table[k] - plain.table[k]) <= 1e-4)) {
      throw new Error(`reference check: after ${REFERENCE_CHECK_ITERATIONS} iterations table[${k}] is ${table[k]}, TypeScript ${plain.table[k]}`);
    }
  }
}

/**
 * With the engine's draws the reference plays the engine trainer's games:
 * the same returns and cooperation every iteration, and the same table up to
 * the engine's float32 arithmetic.
 */
async function checkReferenceAgainstEngine(batch: number): Promise<void> {
  const ref = referenceIpdTrainer(referenceOptions(batch, SEED, true));
  const trainer = Trainer.create(engineConfig(batch, SEED));
  try {
    for (let i = 0; i < REFERENCE_CHECK_ITERATIONS; i++) {
      const m = await trainer.step();
      ref.step();
      const r = ref.metrics();
      for (let a = 0; a < 2; a++) {
        if (Math.abs(m.meanReturn[a] - r.meanReturn[a]) > 1e-3 || Math.abs(m.action0Rate[a] - r.action0Rate[a]) > 1e-3) {
          throw new Error(
            `reference check: iteration ${i}, seat ${a}: engine return ${m.meanReturn[a]} and cooperation ${m.action0Rate[a]}, ` +
              `reference ${r.meanReturn[a]} and ${r.action0Rate[a]} (same counter-based draws)`,
          );
        }
      }
    }
    const want = trainer.params(), got = ref.params();
    for (let k = 0; k < want.length; k++) {
      if (!(Math.abs(got[k] - want[k]) <= 1e-3)) {
        throw new Error(`reference check: after ${REFERENCE_CHECK_ITERATIONS} iterations table[${k}] is ${got[k]}, engine ${want[k]}`);
      }
    }
  } finally {
    trainer.dispose();
  }
}

function trainSuite(batch: number, timing?: BenchSuite['timing']): BenchSuite {
  // Made once: the cases time step() alone, each side carrying its own state across samples.
  const plain = new PlainIpdTrainer(plainOptions(batch, SEED));
  const engine = Trainer.create(engineConfig(batch, SEED));
  const engineOneThread = Trainer.create(engineConfig(batch, SEED, 1));
  // Made by check(), which builds the reference addon if needed, before any timing.
  let refXorshift: ReferenceIpdTrainer | undefined;
  let refPhilox: ReferenceIpdTrainer | undefined;
  return {
    name: `train iteration, batch ${batch}`,
    description:
      `one Advantage Alignment iteration (rollout, credits, backward, Adam), IPD ${ROUNDS} rounds, ` +
      `tabular memory-1 self-play, ${batch} episodes`,
    units: { count: 2 * batch * ROUNDS, name: 'agent-step' },
    timing,
    async check() {
      checkGradient();
      await checkLearning(batch);
      checkReferenceAgainstTypeScript(batch);
      await checkReferenceAgainstEngine(batch);
      refXorshift = referenceIpdTrainer(referenceOptions(batch, SEED, false));
      refPhilox = referenceIpdTrainer(referenceOptions(batch, SEED, true));
    },
    cases: [
      { name: 'plain TypeScript iteration', baseline: true, fn: () => plain.step() },
      // Declared async: tinybench then awaits them without the probe call it
      // makes on undeclared functions, which would leave a trainer mid-iteration.
      { name: 'engine iteration', fn: async () => void (await engine.step()) },
      { name: 'engine iteration, 1 thread', fn: async () => void (await engineOneThread.step()) },
      { name: 'reference loop, xorshift draws (C++, 1 thread)', fn: () => refXorshift!.step() },
      { name: "reference loop, engine's draws (C++, 1 thread)", limit: true, fn: () => refPhilox!.step() },
    ],
  };
}

export default [trainSuite(512), trainSuite(4096, { time: 3000, iterations: 30 })];

/**
 * The soak run behind test/soak.test.ts, in its own process with
 * `node --expose-gc --import tsx` so that it can force garbage collections
 * and read a resident-set size that belongs to this work alone.
 *
 * Phase 1 (soak): SOAK_ITERATIONS training iterations of a small trainer;
 * at every iteration also a rollout of its current policy against a scripted
 * strategy, an environment created, stepped, cloned and disposed, and at
 * intervals a second trainer created, checkpointed through state()/restore()
 * and disposed. RSS is sampled after forced collections every SAMPLE_EVERY
 * iterations.
 *
 * Phase 2 (external memory): trainers with large models are made and dropped
 * without dispose(). Their parameters and Adam moments live in native memory
 * behind small JavaScript objects; only because the addon reports that
 * memory to V8 does the collector run often enough to free them. The peak
 * RSS is compared with what the trainers would hold if none were collected.
 *
 * Prints one line `SOAK {json}`.
 */
import { makeEnv, rollout, scripted, Trainer } from '../src/index.js';

const ITERATIONS = Number(process.env.SOAK_ITERATIONS ?? 300);
const SAMPLE_EVERY = 10;
const MB = 1024 * 1024;

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** RSS after collections, with the finalizers that collection queued given a turn to run. */
async function settledRss(): Promise<number> {
  for (let k = 0; k < 3; k++) {
    gc!();
    await tick();
  }
  return process.memoryUsage().rss;
}

async function soak(): Promise<{ samples: Array<{ iteration: number; rssMB: number }>; seconds: number }> {
  const started = performance.now();
  const trainer = Trainer.create({
    game: { id: 'ipd' },
    policy: { kind: 'mlp', hidden: [16] },
    algorithm: 'advantage-alignment',
    batch: 256,
    iterations: ITERATIONS,
    seed: 5,
    bufferProbability: 0.5,
    bufferSize: 8,
  });
  const tft = scripted('tit-for-tat');
  const samples: Array<{ iteration: number; rssMB: number }> = [];
  for (let i = 0; i < ITERATIONS; i++) {
    await trainer.step();

    const policy = trainer.policy();
    const traj = await rollout({ game: 'ipd', policies: [policy, tft], batch: 1024, seed: i });
    if (traj.rewards.length !== 1024 * 10 * 2) throw new Error('unexpected rollout size');
    policy.dispose();

    const env = makeEnv('coin', { size: 3 }, { batch: 64, seed: i });
    env.reset();
    const actions = new Int32Array(64 * 2);
    for (let s = 0; s < 8; s++) {
      for (let k = 0; k < actions.length; k++) actions[k] = (k + s + i) % 4;
      env.step(actions);
    }
    const copy = env.clone();
    copy.step(actions);
    copy.dispose();
    env.dispose();

    if (i % 25 === 0) {
      const other = Trainer.create({ policy: { kind: 'gru', hidden: 8 }, batch: 32, seed: i, iterations: 2 });
      await other.step();
      other.restore(other.state());
      other.dispose();
    }

    if ((i + 1) % SAMPLE_EVERY === 0) samples.push({ iteration: i + 1, rssMB: (await settledRss()) / MB });
  }
  trainer.dispose();
  tft.dispose();
  return { samples, seconds: (performance.now() - started) / 1000 };
}

async function externalPressure(): Promise<{ trainers: number; heldIfNeverFreedMB: number; peakGrowthMB: number }> {
  const base = await settledRss();
  const probe = Trainer.create({ policy: { kind: 'mlp', hidden: [512, 512] }, batch: 8 });
  // Parameters plus Adam's two moments, float32.
  const bytesEach = probe.numParams * 4 * 3;
  probe.dispose();
  const trainers = Math.ceil((1024 * MB) / bytesEach);
  let peak = 0;
  for (let k = 0; k < trainers; k++) {
    // Dropped without dispose(): only the collector can free it.
    Trainer.create({ policy: { kind: 'mlp', hidden: [512, 512] }, batch: 8, seed: k });
    await tick();
    peak = Math.max(peak, process.memoryUsage().rss);
  }
  await settledRss();
  return { trainers, heldIfNeverFreedMB: (trainers * bytesEach) / MB, peakGrowthMB: (peak - base) / MB };
}

const soakResult = await soak();
const pressure = await externalPressure();
console.log(`SOAK ${JSON.stringify({ iterations: ITERATIONS, ...soakResult, pressure })}`);

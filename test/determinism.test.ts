/**
 * Training is bit-reproducible: the same config gives the same parameters
 * on 1, 2 and 4 threads and across a checkpoint and resume, and a SHA-256 of
 * the parameters after a fixed run is pinned (ava snapshot), so that any
 * change to the numbers (rollout, credits, loss, models, Adam) is noticed.
 * A deliberate change updates the snapshot with `npx ava -u`.
 */
import test from 'ava';
import { createHash } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setThreads, Trainer, train, type TrainConfig, type TrainerState } from '../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'dilemma-determinism-'));

const CONFIGS: Record<string, TrainConfig> = {
  'IPD, MLP, Advantage Alignment with an opponent buffer': {
    game: { id: 'ipd' },
    policy: { kind: 'mlp', hidden: [8] },
    algorithm: 'advantage-alignment',
    iterations: 12,
    batch: 2048,
    groupSize: 64,
    seed: 11,
    bufferProbability: 0.5,
    bufferSize: 4,
    lrSchedule: 'linear',
    entropyCoef: 0.01,
  },
  'public goods, GRU, critic baseline, PPO': {
    game: { id: 'public-goods', params: { players: 3, rounds: 6 } },
    policy: { kind: 'gru', hidden: 6 },
    baseline: 'critic',
    critic: { kind: 'mlp', hidden: [8] },
    objective: 'ppo',
    epochs: 2,
    iterations: 8,
    batch: 1024,
    seed: 3,
    whitenCredits: true,
  },
};

function bytes(a: Float32Array): Buffer {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
}

function digest(s: TrainerState): string {
  const h = createHash('sha256');
  for (const a of [s.params, s.adamM, s.adamV, s.criticParams, ...s.buffer]) h.update(bytes(a));
  return h.digest('hex');
}

// The config's `threads` splits rollouts and credits; the engine-wide default
// splits model gradients: both change together here.
async function run(config: TrainConfig, threads: number): Promise<TrainerState> {
  setThreads(threads);
  try {
    const { trainer } = await train({ ...config, threads });
    const s = trainer.state();
    trainer.dispose();
    return s;
  } finally {
    setThreads(0);
  }
}

for (const [name, config] of Object.entries(CONFIGS)) {
  test.serial(`${name}: identical on 1, 2 and 4 threads and after a resume; pinned hash`, async (t) => {
    const one = await run(config, 1);
    const two = await run(config, 2);
    const four = await run(config, 4);
    t.is(one.iteration, config.iterations!);
    t.true(bytes(one.params).equals(bytes(two.params)), '1 and 2 threads differ');
    t.true(bytes(one.params).equals(bytes(four.params)), '1 and 4 threads differ');
    t.is(digest(two), digest(one));
    t.is(digest(four), digest(one));

    // Stop part-way, checkpoint, resume in a new trainer on another thread count.
    const path = join(dir, `${name.replace(/\W+/g, '-')}.ckpt`);
    const first = await train({ ...config, threads: 3 }, { checkpointFile: path, onIteration: (m) => m.iteration + 1 < 5 });
    first.trainer.dispose();
    const resumed = Trainer.resume(path);
    t.is(resumed.iteration, 5);
    while (resumed.iteration < (config.iterations ?? 0)) await resumed.step();
    const after = resumed.state();
    resumed.dispose();
    t.true(bytes(after.params).equals(bytes(one.params)), 'resumed run differs');
    t.is(digest(after), digest(one));

    const hash = createHash('sha256').update(bytes(one.params)).digest('hex');
    t.log(`parameters after ${config.iterations} iterations: sha256 ${hash}`);
    t.snapshot(hash, `${name}: SHA-256 of the parameters after ${config.iterations} iterations`);
  });
}

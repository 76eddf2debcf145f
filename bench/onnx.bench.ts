/**
 * Rollouts with an ONNX GRU policy in both seats of the IPD (100 rounds): the
 * engine's native loop against the idiomatic TypeScript loop over
 * onnxruntime-node (one session.run per step for the whole batch, both seats
 * stacked; sampling and the game step in TypeScript), same model, same batch.
 */
import * as ort from 'onnxruntime-node';
import { gruPolicy, onnx, rollout, Game } from '../src/index.js';
import { allocate, observe, OBS_DIM, PAYOFF } from './baselines/ipd.js';
import type { BenchSuite } from './suite.js';

const ROUNDS = 100;
const HIDDEN = 32;
const model = gruPolicy({ obsDim: OBS_DIM, actions: 2, hidden: HIDDEN, seed: 1 });
const session = await ort.InferenceSession.create(model.bytes, { intraOpNumThreads: 1, interOpNumThreads: 1 });
const policy = onnx(model.bytes);
const game = new Game('ipd', { rounds: ROUNDS });

async function typescriptLoop(batch: number, seed: number) {
  const t = allocate(batch, ROUNDS);
  const n = 2 * batch; // both seats stacked: rows [seat 0: b = 0..B), [seat 1: b = 0..B)
  let h = new Float32Array(n * HIDDEN) as Float32Array;
  const obs = new Float32Array(n * OBS_DIM);
  const last = new Int32Array(batch).fill(-1);
  let s = seed | 1;
  const rand = () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 4294967296;
  };
  for (let round = 0; round < ROUNDS; round++) {
    for (let b = 0; b < batch; b++) {
      for (let a = 0; a < 2; a++) observe(last[b], a, obs, (a * batch + b) * OBS_DIM);
    }
    const out = await session.run({
      obs: new ort.Tensor('float32', obs, [n, OBS_DIM]),
      h: new ort.Tensor('float32', h, [n, HIDDEN]),
    });
    const logits = out.logits.data as Float32Array;
    h = out.h_out.data as Float32Array;
    for (let b = 0; b < batch; b++) {
      const row = b * ROUNDS + round;
      const moves = [0, 0];
      for (let a = 0; a < 2; a++) {
        const k = (a * batch + b) * 2;
        const z0 = logits[k], z1 = logits[k + 1];
        const top = Math.max(z0, z1);
        const lse = top + Math.log(Math.exp(z0 - top) + Math.exp(z1 - top));
        const p0 = Math.exp(z0 - lse);
        const move = rand() < p0 ? 0 : 1;
        moves[a] = move;
        const i = row * 2 + a;
        t.observations.set(obs.subarray((a * batch + b) * OBS_DIM, (a * batch + b + 1) * OBS_DIM), i * OBS_DIM);
        t.actions[i] = move;
        t.logProbs[i] = (move === 0 ? z0 : z1) - lse;
        t.entropies[i] = -(p0 * (z0 - lse) + (1 - p0) * (z1 - lse));
      }
      const j = 2 * moves[0] + moves[1];
      t.rewards[row * 2] = PAYOFF[2 * j];
      t.rewards[row * 2 + 1] = PAYOFF[2 * j + 1];
      t.mask[row] = 1;
      t.dones[row] = round === ROUNDS - 1 ? 1 : 0;
      last[b] = j;
    }
  }
  return t;
}

function suite(batch: number, timing?: BenchSuite['timing']): BenchSuite {
  let seed = 0;
  return {
    name: `onnx rollout, batch ${batch}`,
    description: `GRU(${HIDDEN}) policy in both seats, IPD ${ROUNDS} rounds, batch ${batch}: env steps per call = ${batch * ROUNDS}`,
    timing,
    cases: [
      { name: 'TypeScript loop over onnxruntime-node', baseline: true, fn: () => typescriptLoop(batch, ++seed) },
      { name: 'engine rollout (native loop)', fn: () => rollout({ game, policies: [policy, policy], batch, seed: ++seed }) },
      {
        name: 'engine rollout, 1 thread',
        fn: () => rollout({ game, policies: [policy, policy], batch, seed: ++seed, threads: 1 }),
      },
    ],
  };
}

export default [suite(1), suite(64), suite(4096, { time: 0, iterations: 4, warmupIterations: 1, warmupTime: 0 })];

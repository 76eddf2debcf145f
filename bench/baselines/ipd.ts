/**
 * The iterated prisoner's dilemma in plain TypeScript, for benchmark
 * baselines: the engine's observation encoding and payoffs, and trajectory
 * arrays of the engine's shapes.
 */
import type { Trajectory } from '../../src/rollout.js';

/** Payoff of agent a for the joint move j = 2 · move0 + move1: PAYOFF[2 · j + a]. */
export const PAYOFF = [3, 3, 0, 5, 5, 0, 1, 1];
export const OBS_DIM = 5;

/** Writes agent's one-hot observation of the last joint move (-1: none yet) at obs[offset..offset+5). */
export function observe(joint: number, agent: number, obs: Float32Array, offset: number): void {
  let idx = 0;
  if (joint >= 0) {
    const a0 = joint >> 1, a1 = joint & 1;
    idx = agent === 0 ? 1 + 2 * a0 + a1 : 1 + 2 * a1 + a0;
  }
  obs.fill(0, offset, offset + OBS_DIM);
  obs[offset + idx] = 1;
}

/** The arrays of the engine's trajectory that the plain rollouts fill. */
export type PlainTrajectory = Pick<Trajectory, 'observations' | 'actions' | 'logProbs' | 'entropies' | 'rewards' | 'dones' | 'mask'>;

/** Zeroed arrays for batch × rounds of two agents, the engine's layout. */
export function allocate(batch: number, rounds: number): PlainTrajectory {
  const n = batch * rounds;
  return {
    observations: new Float32Array(n * 2 * OBS_DIM),
    actions: new Int32Array(n * 2),
    logProbs: new Float32Array(n * 2),
    entropies: new Float32Array(n * 2),
    rewards: new Float32Array(n * 2),
    dones: new Uint8Array(n),
    mask: new Uint8Array(n),
  };
}

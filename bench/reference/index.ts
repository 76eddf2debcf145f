/**
 * The benchmark's reference loops, "the limit": single-thread C++ versions of
 * the benchmarked work with nothing stored or dispatched that the math does
 * not need (bench/reference/loops). Benchmark cases call them like any other
 * case, so they interleave with the engine and the TypeScript baselines.
 *
 * The addon is built on first use (scripts/build-bench-reference.mjs, which
 * rebuilds only when a source or an included engine header changed).
 */
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { PlainTrajectory } from '../baselines/ipd.js';
import type { BenchCase } from '../suite.js';

export interface ReferenceIpdTrainerOptions {
  batch: number;
  seed: number;
  /**
   * Draw the engine's counter-based numbers, keyed like its learned-policy
   * sampling (so the games are the engine's, draw for draw); otherwise the
   * TypeScript baseline's xorshift32 stream (its games, draw for draw).
   */
  philox: boolean;
  rounds?: number;
  gamma?: number;
  beta?: number;
  lr?: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
}

export interface ReferenceIpdTrainer {
  /** One iteration: rollout, returns, leave-one-out baseline, credits, gradient, Adam. */
  step(): void;
  /** The 5 × 2 table of logits (the engine's tabular layout), a copy. */
  params(): Float32Array;
  /** Of the last iteration: mean episode return and share of action 0, per seat. */
  metrics(): { meanReturn: [number, number]; action0Rate: [number, number] };
}

interface Addon {
  IpdTrainer: new (options: ReferenceIpdTrainerOptions) => ReferenceIpdTrainer;
  ipdRollout(
    observations: Float32Array,
    actions: Int32Array,
    logProbs: Float32Array,
    entropies: Float32Array,
    rewards: Float32Array,
    dones: Uint8Array,
    mask: Uint8Array,
    batch: number,
    rounds: number,
    p: number,
    seed: number,
    philox: boolean,
  ): void;
  ipdTournament(strategies: Int32Array, out: Float64Array, rounds: number, reps: number, seed: number): void;
  advantageAlignment(
    own: Float32Array,
    others: Float32Array,
    out: Float32Array,
    batch: number,
    steps: number,
    beta: number,
    gamma: number,
  ): void;
}

let loaded: Addon | undefined;

/** The reference addon, built first if missing or stale. */
export function referenceAddon(): Addon {
  if (loaded) return loaded;
  const script = fileURLToPath(new URL('../../scripts/build-bench-reference.mjs', import.meta.url));
  const r = spawnSync(process.execPath, [script], { stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.status !== 0) throw new Error(`building the reference addon failed (${script} exited ${r.status ?? r.signal})`);
  loaded = createRequire(import.meta.url)('./build/Release/dilemma_reference.node') as Addon;
  return loaded;
}

export function referenceIpdTrainer(options: ReferenceIpdTrainerOptions): ReferenceIpdTrainer {
  return new (referenceAddon().IpdTrainer)(options);
}

/**
 * Scripted IPD rollout, random(p) vs tit-for-tat, into `out` (the engine's
 * trajectory layout, batch × rounds). With `philox`, the engine's draws for
 * the random seat (domain scripted, slot 0): the same trajectory as the engine's.
 */
export function referenceIpdRollout(
  out: PlainTrajectory,
  batch: number,
  rounds: number,
  p: number,
  seed: number,
  philox: boolean,
): PlainTrajectory {
  referenceAddon().ipdRollout(
    out.observations, out.actions, out.logProbs, out.entropies, out.rewards, out.dones, out.mask,
    batch, rounds, p, seed, philox,
  );
  return out;
}

/** Strategy codes of the reference tournament loop, in its order. */
export const REFERENCE_STRATEGIES = [
  'always-cooperate',
  'always-defect',
  'tit-for-tat',
  'suspicious-tit-for-tat',
  'generous-tit-for-tat',
  'grim-trigger',
  'win-stay-lose-shift',
  'alternate',
  'random',
  'zd-extortion',
] as const;

/**
 * Round robin of `names` (every ordered pair, `reps` matches of `rounds`
 * rounds) into `out`, four n × n row-major planes: the row player's mean
 * payoff per match, the column player's, and their cooperation rates.
 * Draws: one xorshift32 stream from `seed`, in the order of the TypeScript
 * baseline's loop in bench/tournament.bench.ts.
 */
export function referenceIpdTournament(
  names: readonly string[],
  out: Float64Array,
  rounds: number,
  reps: number,
  seed: number,
): Float64Array {
  const codes = Int32Array.from(names, (n) => {
    const i = (REFERENCE_STRATEGIES as readonly string[]).indexOf(n);
    if (i < 0) throw new Error(`the reference tournament has no strategy ${n}`);
    return i;
  });
  referenceAddon().ipdTournament(codes, out, rounds, reps, seed);
  return out;
}

/**
 * Advantage Alignment credits over [batch, steps], discounted form
 * (A*_t = A1_t + β γ S_t A2_t), float32, one thread: the engine's
 * arithmetic, so it agrees with `credit.advantageAlignment` to rounding.
 */
export function referenceAdvantageAlignment(
  own: Float32Array,
  others: Float32Array,
  out: Float32Array,
  batch: number,
  steps: number,
  beta: number,
  gamma: number,
): Float32Array {
  referenceAddon().advantageAlignment(own, others, out, batch, steps, beta, gamma);
  return out;
}

/**
 * A ready benchmark case for the credit suite: the reference Advantage
 * Alignment loop over the suite's own arrays, marked as the limit. Call
 * `referenceAddon()` (or any reference function) in the suite's `check`, so
 * that a needed build happens before the timing rather than inside it.
 */
export function referenceAdvantageAlignmentCase(
  own: Float32Array,
  others: Float32Array,
  out: Float32Array,
  batch: number,
  steps: number,
  beta: number,
  gamma: number,
): BenchCase {
  return {
    name: 'reference loop (C++, 1 thread)',
    limit: true,
    units: { count: batch * steps, name: 'element' },
    fn: () => referenceAdvantageAlignment(own, others, out, batch, steps, beta, gamma),
  };
}

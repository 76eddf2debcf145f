/**
 * RolloutPlan.run() against runSync() on an ONNX GRU(32) self-play rollout
 * (IPD 100 rounds), interleaved in blocks of CALLS calls of each, one engine
 * thread. Prints the median µs per step of the k-th call of a block, for
 * k = 1..CALLS, so that a cost of switching between the two shows apart from
 * the steady cost of each. Run it as is and pinned to one core
 * (`taskset -c 0 node ...`) to see what the worker thread's placement costs.
 *
 *   node --import tsx scripts/plan-run-vs-sync.mts [BATCH] [CALLS] [BLOCKS] [FORM]
 */
import { Game, RolloutPlan, gruPolicy, onnx, type GruForm } from '../src/index.js';

const batch = Number(process.argv[2] ?? 64);
const calls = Number(process.argv[3] ?? 12);
const blocks = Number(process.argv[4] ?? 20);
const form = (process.argv[5] ?? 'decomposed') as GruForm;
const ROUNDS = 100;

const { bytes } = gruPolicy({ obsDim: 5, actions: 2, hidden: 32, seed: 1, form });
const policy = onnx(bytes);
const game = new Game('ipd', { rounds: ROUNDS });
const options = { game, policies: [policy, policy], batch, threads: 1 };
using sync = new RolloutPlan(options);
using worker = new RolloutPlan(options);

const perStep = { runSync: [] as number[][], run: [] as number[][] };
for (let b = 0; b < blocks; b++) {
  for (const mode of ['runSync', 'run'] as const) {
    for (let k = 0; k < calls; k++) {
      const seed = b * calls + k;
      const t0 = performance.now();
      if (mode === 'runSync') sync.runSync({ seed });
      else await worker.run({ seed });
      (perStep[mode][k] ??= []).push(((performance.now() - t0) * 1000) / ROUNDS);
    }
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
console.log(`${form} GRU(32), batch ${batch}, ${blocks} blocks of ${calls} calls each; µs per step of call k = 1..${calls}`);
for (const mode of ['runSync', 'run'] as const) {
  console.log(`${mode.padEnd(8)} ${perStep[mode].map((xs) => median(xs).toFixed(1)).join(' ')}`);
}
const steady = (mode: 'runSync' | 'run') => median(perStep[mode].slice(1).flat());
console.log(`calls 2..${calls}: run / runSync = ${(steady('run') / steady('runSync')).toFixed(3)}`);
game.dispose();
policy.dispose();

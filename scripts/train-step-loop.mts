/**
 * A loop of Trainer.step() on the tabular IPD self-play iteration, one
 * thread, for profiling the iteration (`perf record -- node --import tsx
 * scripts/train-step-loop.mts 512 30000`); prints µs per step.
 *
 *   node --import tsx scripts/train-step-loop.mts [BATCH] [STEPS]
 */
import { Trainer } from '../src/train.js';

const batch = Number(process.argv[2] ?? 512);
const steps = Number(process.argv[3] ?? 20000);
const trainer = Trainer.create({
  game: { id: 'ipd' },
  algorithm: 'advantage-alignment',
  policy: { kind: 'tabular' },
  batch,
  seed: 7,
  gamma: 0.9,
  beta: 0.5,
  lr: 0.05,
  iterations: 1e9,
  threads: 1,
});
for (let i = 0; i < 200; i++) await trainer.step();
const t0 = performance.now();
for (let i = 0; i < steps; i++) await trainer.step();
const us = ((performance.now() - t0) / steps) * 1000;
console.log(`batch ${batch}: ${us.toFixed(1)} µs per step, ${((us * 1000) / (batch * 20)).toFixed(2)} ns per agent-step`);
trainer.dispose();

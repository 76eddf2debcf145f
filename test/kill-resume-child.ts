/**
 * A training run for test/kill-resume.test.ts, meant to be killed.
 *
 *   node --import tsx test/kill-resume-child.ts start  <checkpoint>
 *   node --import tsx test/kill-resume-child.ts resume <checkpoint>
 *
 * Writes a checkpoint after every iteration and a metrics log beside it
 * (<checkpoint>.metrics.jsonl), prints `ITER n` once iteration n is done
 * and checkpointed, and at the end `DONE <iteration> <sha256 of the parameters>`.
 */
import { createHash } from 'node:crypto';
import { train } from '../src/index.js';
import { KILL_RESUME_CONFIG } from './kill-resume-config.js';

const [mode, checkpoint] = process.argv.slice(2);
if ((mode !== 'start' && mode !== 'resume') || !checkpoint) {
  console.error('usage: kill-resume-child.ts start|resume <checkpoint>');
  process.exit(2);
}

const { trainer } = await train(mode === 'start' ? KILL_RESUME_CONFIG : {}, {
  checkpointFile: checkpoint,
  metricsFile: `${checkpoint}.metrics.jsonl`,
  checkpointEvery: 1,
  ...(mode === 'resume' ? { resume: checkpoint } : {}),
  onIteration: (m) => {
    process.stdout.write(`ITER ${m.iteration + 1}\n`);
  },
});
const p = trainer.params();
const hash = createHash('sha256').update(Buffer.from(p.buffer, p.byteOffset, p.byteLength)).digest('hex');
console.log(`DONE ${trainer.iteration} ${hash}`);
trainer.dispose();

// Run by test/worker-terminate.test.ts: worker threads that call the addon in
// loops that never yield (rollouts that run inline, awaited) are terminated
// at random moments. A call that finds its environment stopping must give up
// quietly; a C++ exception escaping to N-API would abort this process.
import { Worker } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';

const addon = process.env.DILEMMA_ADDON_PATH ?? fileURLToPath(new URL('../build/Release/dilemma.node', import.meta.url));
const body = `
const { workerData } = require('node:worker_threads');
const b = require(workerData);
const game = new b.Game('ipd', { rounds: 10 });
const players = [b.strategy('random', { p: 0.5 }), b.strategy('tit-for-tat', {})];
(async () => {
  for (let i = 0; ; i++) await b.rollout(game, players, { batch: 3276, seed: i });
})();`;
const runs = Number(process.argv[2] ?? 12);
for (let k = 0; k < runs; k++) {
  const worker = new Worker(body, { eval: true, workerData: addon });
  worker.on('error', () => {});
  await new Promise((resolve) => setTimeout(resolve, 120 + 29 * k));
  await worker.terminate();
}
console.log(`TERMINATED ${runs}`);

/**
 * Requests within the engine's size limits that the process cannot hold, for
 * test/limits.test.ts, which runs this under an address-space limit
 * (`ulimit -v`) so that the allocations really fail. Prints `LIMITS {json}`
 * with each request's outcome: 'ok' or the error's code and message.
 */
import { makeEnv, rollout, rolloutMemory, Trainer } from '../src/index.js';

const results: Record<string, { code: string; message: string; bytes?: number }> = {};

async function attempt(name: string, fn: () => unknown, bytes?: number): Promise<void> {
  try {
    await fn();
    results[name] = { code: 'ok', message: '', bytes };
  } catch (e) {
    const err = e as { code?: unknown; message?: unknown };
    results[name] = { code: typeof err.code === 'string' ? err.code : `uncoded ${String(e)}`, message: String(err.message), bytes };
  }
}

// The largest IPD rollout whose observation array is within the limits
// (LIMITS.maxResultBytes binds first: 4 bytes × 10 steps × 2 agents × 5).
const batch = Math.floor(2 ** 32 / (4 * 10 * 2 * 5));
await attempt('rollout', () => rollout({ game: 'ipd', policies: ['tit-for-tat', 'always-defect'], batch }), rolloutMemory({ game: 'ipd', batch }).total);
await attempt('env', () => makeEnv('ipd', {}, { batch: 2 ** 26 }).dispose());
await attempt('trainer', async () => {
  const trainer = Trainer.create({ batch: 2 ** 24, iterations: 1 });
  try {
    await trainer.step();
  } finally {
    trainer.dispose();
  }
});
// The process carries on normally afterwards.
await attempt('small rollout', () => rollout({ game: 'ipd', policies: ['tit-for-tat', 'always-defect'], batch: 64 }));
console.log(`LIMITS ${JSON.stringify(results)}`);

/**
 * The package as a dependent sees it: imported by name through its `exports`
 * (the compiled dist/ with type declarations), not from src/.
 */
import test from 'ava';
import { existsSync } from 'node:fs';

test('the package imports by name and plays a match', async (t) => {
  t.true(existsSync(new URL('../dist/index.d.ts', import.meta.url)), 'type declarations are built');
  const engine = await import('@dilemma/engine');
  for (const name of ['makeEnv', 'rollout', 'tournament', 'credit', 'engineInfo', 'scripted', 'Game', 'DilemmaError']) {
    t.truthy((engine as Record<string, unknown>)[name], name);
  }
  const traj = await engine.rollout({ game: 'ipd', policies: ['tit-for-tat', 'always-defect'], batch: 2 });
  t.deepEqual([...engine.meanReturns(traj)], [9, 14]);
});

/** `dilemma bench`: the same suites as `npm run bench` (they run from the TypeScript sources through tsx). */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../native.js';

export function benchCommand(args: string[]): number {
  const runner = join(packageRoot, 'bench', 'run.ts');
  if (!existsSync(runner) || !existsSync(join(packageRoot, 'node_modules', 'tsx'))) {
    console.error('the benchmarks need the repository checkout with its development dependencies (npm install in the package folder)');
    return 1;
  }
  const r = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', runner, ...args], { cwd: packageRoot, stdio: 'inherit' });
  return r.status ?? 1;
}

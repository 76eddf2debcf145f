/**
 * Memory under sustained use: training iterations, rollouts and environment
 * and trainer create/dispose cycles must reach a steady resident size, and
 * native memory held by trainers must be visible to V8's collector. Runs
 * test/soak-child.ts in a child process started with --expose-gc (ava's
 * workers cannot force collections).
 */
import test from 'ava';
import { fileURLToPath } from 'node:url';
import { runChild, taggedLine } from './helpers/child.js';

const root = fileURLToPath(new URL('..', import.meta.url));

interface SoakReport {
  iterations: number;
  seconds: number;
  samples: Array<{ iteration: number; rssMB: number }>;
  pressure: { trainers: number; heldIfNeverFreedMB: number; peakGrowthMB: number };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1];
}

/** Least-squares slope of y over x. */
function slope(points: Array<[number, number]>): number {
  const n = points.length;
  const mx = points.reduce((s, [x]) => s + x, 0) / n;
  const my = points.reduce((s, [, y]) => s + y, 0) / n;
  let num = 0;
  let den = 0;
  for (const [x, y] of points) {
    num += (x - mx) * (y - my);
    den += (x - mx) ** 2;
  }
  return num / den;
}

test('resident memory levels off over 300 iterations, and trainers report their native memory to V8', async (t) => {
  t.timeout(180_000);
  const { code, signal, output } = await runChild(process.execPath, ['--expose-gc', '--import', 'tsx', 'test/soak-child.ts'], {
    cwd: root,
    env: { ...process.env, SOAK_ITERATIONS: '300' },
    timeoutMs: 170_000,
  });
  const r = taggedLine(output, 'SOAK') as SoakReport | undefined;
  if (code !== 0 || signal || !r) {
    t.log(output.slice(-6000));
    t.fail(`the soak child ended with ${signal ?? `exit code ${code}`}`);
    return;
  }
  const rss = r.samples.map((s) => s.rssMB);
  t.log(`${r.iterations} iterations in ${r.seconds.toFixed(1)} s; RSS (MB) every 10 iterations: ${rss.map((x) => x.toFixed(1)).join(' ')}`);

  // Steady state: over the second half the resident size may wander by
  // allocator noise (a few MB on a busy 2-core machine, which can tilt the
  // fitted slope by up to about 30 KB per iteration) but must not climb.
  // Leaking one rollout's arrays per iteration (about 560 KB) shows as a slope
  // far above 64 KB per iteration; the median-to-median growth bound catches
  // a step that the slope smooths out.
  const half = r.samples.slice(r.samples.length >> 1);
  const perIterationKB = slope(half.map((s) => [s.iteration, s.rssMB])) * 1024;
  const growthMB = median(rss.slice(-3)) - median(half.slice(0, 3).map((s) => s.rssMB));
  t.log(`second half: slope ${perIterationKB.toFixed(2)} KB per iteration, growth ${growthMB.toFixed(2)} MB`);
  t.true(perIterationKB < 64, `RSS grows by ${perIterationKB.toFixed(1)} KB per iteration over the second half`);
  t.true(growthMB < 8, `RSS grew by ${growthMB.toFixed(1)} MB over the second half`);

  // Trainers dropped without dispose(): V8 frees them only because their
  // native memory is reported; unreported, the peak would be the whole total.
  const p = r.pressure;
  t.log(`${p.trainers} undisposed trainers would hold ${p.heldIfNeverFreedMB.toFixed(0)} MB; RSS peaked ${p.peakGrowthMB.toFixed(0)} MB above the start`);
  t.true(p.peakGrowthMB < 0.4 * p.heldIfNeverFreedMB, 'native trainer memory is visible to the garbage collector');
});

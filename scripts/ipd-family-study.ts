/**
 * The IPD family study: every variant of scripts/ipd-family.ts trained with
 * the library's default recipe (src/recipe.ts), naive and Advantage
 * Alignment, N seeds each, plus the base game at 10x the default iterations;
 * every case scored against the exact references of its own variant.
 *
 *   npm run reproduce -- ipd-family [--seeds N] [--tag NAME]
 *
 * Writes bench/results/ipd-family-<date>[-NAME].json and .txt (a tag keeps
 * an earlier run of the same day).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { formatTable } from '../src/format.js';
import { DEFAULT_KNOBS } from '../src/recipe.js';
import { EVAL_EPISODES, VARIANTS, runCase, type CaseResult, type ReferenceRow } from './ipd-family.js';
import { resultTag } from './result-tag.js';

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

// Rows of a memory-3 table that tell contrition from exploitability (most recent round first, own move first):
// amends after its own flipped defection, none when that defection met a defector, no reward
// for a defector's lone cooperation, retaliation against a fresh defection.
const MEMORY3_ROWS = ['CD DC CC', 'CD DC DD', 'DC DD DD', 'CD CC CC'];

/** A table's key probabilities: all five rows of a memory-1 table, the rows above of a memory-3 one. */
function tableSummary(table: Record<string, number>): string {
  const rows = Object.keys(table);
  if (rows.every((h) => !h.includes(' '))) return Object.values(table).slice(0, 5).map((p) => p.toFixed(2)).join(' ');
  return MEMORY3_ROWS.map((h) => `${h.replaceAll(' ', '.')} ${table[h] === undefined ? '-' : table[h].toFixed(2)}`).join(', ');
}

export async function runFamilyStudy(argv: string[]): Promise<void> {
  const seedsArg = argv.indexOf('--seeds');
  const seeds = seedsArg > 0 ? Number(argv[seedsArg + 1]) : 3;
  const tag = resultTag(argv);
  const rows: CaseResult[] = [];
  const refs = new Map<string, ReferenceRow>();
  const cases: { variant: (typeof VARIANTS)[number]; scale: number }[] = [
    ...VARIANTS.map((variant) => ({ variant, scale: 1 })),
    { variant: VARIANTS[0], scale: 10 },
  ];
  for (const { variant, scale } of cases) {
    for (const algorithm of scale === 1 ? (['naive', 'advantage-alignment'] as const) : (['advantage-alignment'] as const)) {
      for (let seed = 1; seed <= seeds; seed++) {
        const { result, reference } = await runCase(variant, algorithm, seed, { iterationScale: scale });
        rows.push(result);
        refs.set(variant.name, reference);
        process.stderr.write(`${variant.name} ${algorithm} x${scale} seed ${seed}: ${pct(result.selfPlay)}\n`);
      }
    }
  }
  const refTable = formatTable(
    ['variant', 'TFT self', 'GTFT self', 'WSLS self', 'grim self', 'best', 'TFT with TFT', 'TFT loss vs AD'],
    [...refs.values()].map((r) => [
      r.variant,
      ...r.strategies.map((s) => pct(s.selfPlay)),
      r.bestSelfPlay.name,
      pct(r.titForTatOwn),
      r.titForTatLoss,
    ]),
  );
  const caseTable = formatTable(
    ['variant', 'algorithm', 'iters', 'seed', 'self-play', 'with TFT', 'loss vs AD', 'nearest', 'P(C|-,CC,CD,DC,DD) or P(C|memory-3 history)', 'targets'],
    rows.map((r) => [
      r.variant, r.algorithm, r.iterations, r.seed, pct(r.selfPlay), pct(r.vsTitForTat), r.lossVsDefect, r.nearest,
      tableSummary(r.table),
      Object.entries(r.pass).map(([k, ok]) => `${ok ? '' : '!'}${k}`).join(' '),
    ]),
  );
  const aa = rows.filter((r) => r.algorithm === 'advantage-alignment');
  const passed = aa.filter((r) => Object.values(r.pass).every(Boolean)).length;
  const naiveOk = rows.filter((r) => r.algorithm === 'naive' && r.pass.naiveBelow20).length;
  const header = [
    'npm run reproduce -- ipd-family' + (seedsArg > 0 ? ` --seeds ${seeds}` : '') + (tag ? ` --tag ${tag}` : ''),
    `Default recipe (src/recipe.ts DEFAULT_KNOBS): ${JSON.stringify(DEFAULT_KNOBS)}`,
    `Evaluation: ${EVAL_EPISODES} episodes per match, sampled play, references on the same episodes.`,
    'Targets: naive < 20% cooperation; AA self-play >= 90% of the best reference; with TFT >= 90% of TFT with TFT; loss vs AD <= 1.25x TFT\'s.',
    `AA cases meeting every target: ${passed} of ${aa.length}; naive below 20%: ${naiveOk} of ${rows.length - aa.length}.`,
  ];
  const text = [...header, '', 'References (exact scripted strategies, same episodes):', refTable, '', caseTable, ''].join('\n');
  console.log(text);
  const dir = new URL('../bench/results/', import.meta.url);
  mkdirSync(dir, { recursive: true });
  const stem = `ipd-family-${new Date().toISOString().slice(0, 10)}${tag ? `-${tag}` : ''}`;
  writeFileSync(new URL(`${stem}.txt`, dir), text);
  writeFileSync(
    new URL(`${stem}.json`, dir),
    `${JSON.stringify({ command: header[0], machine: { node: process.version, cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model }, knobs: DEFAULT_KNOBS, references: [...refs.values()], cases: rows }, null, 2)}\n`,
  );
  console.log(`written to bench/results/${stem}.json and .txt`);
}

/**
 * The library's iterated-game recipe on members of the IPD family (one seed
 * each), scored against the exact references of the same variant on the
 * same episodes: the targets. The full study (14 variants, 3 seeds):
 * npm run reproduce -- ipd-family.
 */
import test from 'ava';
import { VARIANTS, runCase } from '../scripts/ipd-family.js';

const variant = (name: string) => VARIANTS.find((v) => v.name === name)!;

test('random length (continuation 0.9, at most 25 rounds): tit-for-tat, every target met', async (t) => {
  const { result: r, reference } = await runCase(variant('cont-0.9-cap25'), 'advantage-alignment', 1);
  t.true(r.pass.selfPlay, `self-play ${r.selfPlay} vs best reference ${reference.bestSelfPlay.cooperation}`);
  t.true(r.pass.withTitForTat, `with TFT ${r.vsTitForTat} vs ${reference.titForTatOwn}`);
  t.true(r.pass.lossVsDefect, `loss vs AD ${r.lossVsDefect} vs TFT's ${reference.titForTatLoss}`);
  // It opens with cooperation (an older recipe defected first, then always cooperated) and forgives
  // its own defection once the other cooperates (an older recipe learned grim trigger, P(C|DC) ~ 0).
  t.true(r.table['-'] > 0.95 && r.table.DD < 0.05 && r.table.DC > 0.9, JSON.stringify(r.table));
  const naive = await runCase(variant('cont-0.9-cap25'), 'naive', 1);
  t.true(naive.result.pass.naiveBelow20, `naive ${naive.result.selfPlay}`);
});

// With Advantage Alignment's weight summed over past advantages (returns-to-go), this variant
// ended in grim trigger on every seed (self-play 76%); summed over past rewards it learns TFT.
test('payoff table (7, 5, 2, 0): tit-for-tat, not grim trigger; every target met', async (t) => {
  const { result: r, reference } = await runCase(variant('payoff-7520'), 'advantage-alignment', 1);
  t.true(Object.values(r.pass).every(Boolean), `${JSON.stringify(r.pass)}: self-play ${r.selfPlay} vs ${reference.bestSelfPlay.cooperation}`);
  t.true(r.table.CC > 0.99 && r.table.DC > 0.9 && r.table.CD < 0.05, JSON.stringify(r.table));
});

test('noisy (move noise 0.05): not exploited and reciprocates with tit-for-tat', async (t) => {
  const { result: r, reference } = await runCase(variant('noise-0.05'), 'advantage-alignment', 1);
  t.true(r.pass.lossVsDefect, `loss vs AD ${r.lossVsDefect} vs TFT's ${reference.titForTatLoss}`);
  t.true(r.pass.withTitForTat, `with TFT ${r.vsTitForTat} vs ${reference.titForTatOwn}`);
  t.true(r.table.DD < 0.05, JSON.stringify(r.table));
});

// Not reached by the default recipe (bench/results/ipd-family-recipe-notes.md): it learns exact
// tit-for-tat here, 82.9% self-play where the target is 90% of generous tit-for-tat's 93.8%.
// A memory-1 policy within the loss target can reach about 88.9% (P(C|CD) ~ 0.18); the recipe
// does not find that generosity in 10-round games. Passes once a recipe gets there.
test.failing('noisy (move noise 0.05): self-play cooperation at least 90% of the best reference', async (t) => {
  const { result: r, reference } = await runCase(variant('noise-0.05'), 'advantage-alignment', 1);
  t.true(r.pass.selfPlay, `self-play ${r.selfPlay} vs best reference ${reference.bestSelfPlay.cooperation}`);
});

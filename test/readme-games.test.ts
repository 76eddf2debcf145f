/**
 * The README's games table is generated from the native specs (every
 * registered game, its doc and its parameters); this fails when it is stale.
 */
import test from 'ava';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { README, renderGamesTable, withGamesTable, GAMES_TABLE_END, GAMES_TABLE_START } from '../scripts/param-types.js';
import { native } from '../src/native.js';

const root = new URL('..', import.meta.url).pathname;

test('the README games table matches the native specs (run scripts/gen-params.ts when this fails)', (t) => {
  const readme = readFileSync(join(root, README), 'utf8');
  t.is(readme, withGamesTable(readme, renderGamesTable(native().gameSpecs())));
});

test('the table has a row per registered game, naming each parameter with its default', (t) => {
  const table = renderGamesTable(native().gameSpecs());
  for (const g of native().gameSpecs()) {
    const row = table.split('\n').find((l) => l.startsWith(`| \`${g.id}\` |`));
    t.truthy(row, g.id);
    for (const p of g.params) t.true(row!.includes(`\`${p.name}\`:`), `${g.id}.${p.name}`);
  }
  // Known values, by hand: the coin game's default grid side and the matrix game's default preset.
  t.regex(table, /`size`: Side of a square grid \(toroidal\)\. Exclusive with width\/height\. Integer in \[2, 16\]\. Default 3\./);
  t.regex(table, /`preset`: .* Default 'prisoners-dilemma'\./);
});

test('a missing marker is refused, and only the text between the markers changes', (t) => {
  t.throws(() => withGamesTable('no markers', '| x |'), { message: /no games table markers/ });
  const doc = `before\n${GAMES_TABLE_START}\nold\n${GAMES_TABLE_END}\nafter\n`;
  t.is(withGamesTable(doc, 'new'), `before\n${GAMES_TABLE_START}\nnew\n${GAMES_TABLE_END}\nafter\n`);
});

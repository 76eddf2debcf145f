import test from 'ava';
import { readFileSync } from 'node:fs';
import { models } from '../native/tests/data/models.js';

for (const [name, make] of Object.entries(models)) {
  test(`the committed C++ test model ${name} is what the writer produces`, (t) => {
    const committed = readFileSync(new URL(`../native/tests/data/${name}`, import.meta.url));
    t.deepEqual(new Uint8Array(committed), make());
  });
}

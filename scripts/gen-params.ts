// Writes src/generated/params.ts and the README's games table from the built
// addon's parameter specs:
// node --import tsx scripts/gen-params.ts
import { readFileSync, writeFileSync } from 'node:fs';
import { native } from '../src/native.js';
import { GENERATED_PARAMS, README, renderGamesTable, renderParamTypes, withGamesTable } from './param-types.js';

const binding = native();
writeFileSync(GENERATED_PARAMS, renderParamTypes(binding.gameSpecs(), binding.strategySpecs()));
console.log(`wrote ${GENERATED_PARAMS}`);
writeFileSync(README, withGamesTable(readFileSync(README, 'utf8'), renderGamesTable(binding.gameSpecs())));
console.log(`wrote the games table of ${README}`);

// Writes src/generated/params.ts, game-params.ts, trainer-params.ts and the
// README's games table from the built addon's parameter specs:
// node --import tsx scripts/gen-params.ts
import { readFileSync, writeFileSync } from 'node:fs';
import { native } from '../src/native.js';
import {
  GENERATED_GAME_PARAMS,
  GENERATED_PARAMS,
  README,
  renderGameParamTypes,
  renderGamesTable,
  renderParamTypes,
  withGamesTable,
} from './param-types.js';
import { GENERATED_TRAINER_PARAMS, renderTrainerParamTypes } from './trainer-param-types.js';

const binding = native();
writeFileSync(GENERATED_PARAMS, renderParamTypes(binding.gameSpecs(), binding.strategySpecs()));
console.log(`wrote ${GENERATED_PARAMS}`);

// The trainer's settings and the model kinds' parameters.
writeFileSync(GENERATED_TRAINER_PARAMS, renderTrainerParamTypes(binding.Trainer.paramSpecs()));
console.log(`wrote ${GENERATED_TRAINER_PARAMS}`);
writeFileSync(GENERATED_GAME_PARAMS, renderGameParamTypes(binding.gameSpecs()));
console.log(`wrote ${GENERATED_GAME_PARAMS}`);
writeFileSync(README, withGamesTable(readFileSync(README, 'utf8'), renderGamesTable(binding.gameSpecs())));
console.log(`wrote the games table of ${README}`);

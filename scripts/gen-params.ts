// Writes src/generated/params.ts from the built addon's parameter specs:
// node --import tsx scripts/gen-params.ts
import { writeFileSync } from 'node:fs';
import { native } from '../src/native.js';
import { GENERATED_PARAMS, renderParamTypes } from './param-types.js';
import { GENERATED_TRAINER_PARAMS, renderTrainerParamTypes, type TrainerSpecs } from './trainer-param-types.js';

const binding = native();
writeFileSync(GENERATED_PARAMS, renderParamTypes(binding.gameSpecs(), binding.strategySpecs()));
console.log(`wrote ${GENERATED_PARAMS}`);

// The trainer's settings and the model kinds' parameters.
const trainerSpecs = (binding as unknown as { Trainer: { paramSpecs(): TrainerSpecs } }).Trainer.paramSpecs();
writeFileSync(GENERATED_TRAINER_PARAMS, renderTrainerParamTypes(trainerSpecs));
console.log(`wrote ${GENERATED_TRAINER_PARAMS}`);

// Writes src/generated/params.ts from the built addon's parameter specs:
// node --import tsx scripts/gen-params.ts
import { writeFileSync } from 'node:fs';
import { native } from '../src/native.js';
import { GENERATED_PARAMS, renderParamTypes } from './param-types.js';

const binding = native();
writeFileSync(GENERATED_PARAMS, renderParamTypes(binding.gameSpecs(), binding.strategySpecs()));
console.log(`wrote ${GENERATED_PARAMS}`);

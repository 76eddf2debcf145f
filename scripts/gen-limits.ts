// Writes src/generated/limits.ts from the built addon's limits table:
// node --import tsx scripts/gen-limits.ts
import { writeFileSync } from 'node:fs';
import { native } from '../src/native.js';
import { GENERATED_LIMITS, renderLimits } from './limit-table.js';

writeFileSync(GENERATED_LIMITS, renderLimits(native().limits()));
console.log(`wrote ${GENERATED_LIMITS}`);

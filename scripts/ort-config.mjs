// Prints build settings for binding.gyp from build-deps/ort-config.json:
// `include` prints the header folder (nothing when unavailable), `defines`
// the preprocessor definitions.
import { existsSync, readFileSync } from 'node:fs';

const path = new URL('../build-deps/ort-config.json', import.meta.url);
const config = existsSync(path) ? JSON.parse(readFileSync(path, 'utf8')) : { available: false };
const what = process.argv[2];
if (what === 'include') console.log(config.available ? config.include : '');
else if (what === 'defines') console.log(config.available ? 'DILEMMA_WITH_ORT=1' : 'DILEMMA_WITH_ORT=0');

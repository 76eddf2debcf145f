/**
 * Finds and loads the compiled addon: DILEMMA_ADDON_PATH, else
 * node-gyp-build's search (a local build in build/Release or build/Debug, then
 * the prebuilt binary in prebuilds/<platform>-<arch> that matches this Node
 * and libc). What it exports is typed once, in src/binding/types.ts.
 */
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { NativeBinding } from './binding/types.js';
import { DilemmaError, ErrorCode } from './errors.js';

const require = createRequire(import.meta.url);

interface NodeGypBuild {
  path(dir: string): string;
}

/** The folder of prebuilt binaries for this platform inside the package. */
export function prebuildsDir(packageRoot: string): string {
  return join(packageRoot, 'prebuilds', `${process.platform}-${process.arch}`);
}

/** The addon file to load, or ERR_NATIVE_UNAVAILABLE saying what to do. */
export function addonPath(packageRoot: string): string {
  const given = process.env.DILEMMA_ADDON_PATH;
  if (given) {
    if (existsSync(given)) return given;
    throw new DilemmaError(ErrorCode.NativeUnavailable, `DILEMMA_ADDON_PATH=${given} does not exist`);
  }
  try {
    return (require('node-gyp-build') as NodeGypBuild).path(packageRoot);
  } catch (e) {
    const why = (e as Error).message.split('\n')[0];
    throw new DilemmaError(
      ErrorCode.NativeUnavailable,
      `the native addon is neither prebuilt for this machine nor built (${why}); ` +
        'run `npm rebuild @dilemma/engine --build-from-source` (needs a C++17 compiler, Python 3 and make), or `npm run compile` in a checkout',
    );
  }
}

/** Loads the addon found by {@link addonPath}, typed as src/binding/types.ts declares it. */
export function loadBinding(packageRoot: string): NativeBinding {
  return require(addonPath(packageRoot)) as NativeBinding;
}

/**
 * Loads the compiled addon once. Its surface is declared in
 * src/binding/types.ts and used only by the wrappers in this package.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadBinding } from './binding-loader.js';
import type { NativeBinding } from './binding/types.js';

export type {
  NativeBinding,
  NativeEnv,
  NativeGame,
  NativeGameInfo,
  NativeGameLayout,
  NativeLayoutField,
  NativePolicy,
  NativeTrajectory,
} from './binding/types.js';

const here = dirname(fileURLToPath(import.meta.url));
/** The package root: one level above src/ or dist/. */
export const packageRoot = join(here, '..');

let cached: NativeBinding | undefined;

/** The addon, loaded on first use. */
export function native(): NativeBinding {
  cached ??= loadBinding(packageRoot);
  return cached;
}

// Shared by the build scripts: the package root, tool lookup on the PATH, and
// the environment that lets node-gyp use the running Node's own headers
// (where the Node install has them) instead of downloading them.
import { existsSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';

export const root = new URL('..', import.meta.url).pathname;

export function commandExists(name) {
  return (process.env.PATH ?? '').split(delimiter).some((dir) => dir && existsSync(join(dir, name)));
}

export function headersEnv(env = process.env) {
  if (env.npm_config_nodedir) return env;
  const prefix = dirname(dirname(process.execPath));
  if (!existsSync(join(prefix, 'include', 'node', 'node_api.h'))) return env;
  return { ...env, npm_config_nodedir: prefix };
}

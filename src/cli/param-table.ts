/**
 * `dilemma info --params GAME`: a game's parameters as a table, read from the
 * native specs that also build the schemas and the generated types.
 */
import { didYouMean } from '../did-you-mean.js';
import { DilemmaError, ErrorCode } from '../errors.js';
import { GAME_IDS, gameParamSpecs } from '../games.js';
import type { ParamSpec } from '../schema.js';

function allowed(s: ParamSpec): string {
  if (s.type === 'integer' || s.type === 'number') return `${s.min}..${s.max}`;
  if (s.type === 'choice') return s.choices!.join(' | ');
  if (s.type === 'tokens') return `${s.choices!.join(' | ')} | up to ${s.length} tokens`;
  if (s.type === 'numbers') return `${s.length} numbers`;
  return 'true | false';
}

/** The parameter table of a game: name, type, default, allowed values, doc; ERR_UNKNOWN_GAME for an unknown id. */
export function paramTable(id: string): string {
  const specs = gameParamSpecs(id);
  if (!specs) {
    throw new DilemmaError(
      ErrorCode.UnknownGame,
      `unknown game '${id}' (known: ${GAME_IDS.join(', ')})${didYouMean(id, GAME_IDS)}`,
    );
  }
  const rows = specs.map((s) => [s.name, s.type, s.default === undefined ? '-' : String(s.default), allowed(s), s.doc]);
  const head = ['name', 'type', 'default', 'allowed', 'description'];
  const widths = head.slice(0, 4).map((h, k) => Math.max(h.length, ...rows.map((r) => r[k].length)));
  const line = (r: string[]) => [...r.slice(0, 4).map((c, k) => c.padEnd(widths[k])), r[4]].join('  ').trimEnd();
  return [`${id} parameters`, line(head), ...rows.map(line)].join('\n');
}

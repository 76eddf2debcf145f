/**
 * Command-line overrides of an experiment file, in Hydra's convention:
 * `key=value` sets a field by its dotted path (`train.beta=0.5`,
 * `train.game.params.rounds=20`), the value read as YAML (`0.5`, `true`,
 * `[tit-for-tat, grim-trigger]`, `{kind: mlp}`); `+key=value` and
 * `++key=value` are accepted for fields the file does not name; `~key`
 * removes a field (back to its default). A comma list outside brackets
 * (`train.beta=0.5,1,2`) sweeps the field: one run set per value. For a field
 * that holds a list (`algorithms`, `evaluate.opponents`), a comma list is that
 * list, and a single value a list of one.
 */
import { parse as parseYaml } from 'yaml';
import { DilemmaError, ErrorCode } from '../errors.js';

/** One parsed override. */
export interface Override {
  /** The argument as given. */
  text: string;
  /** Dotted path, split. */
  path: string[];
  /** Removes the field (`~key`). */
  remove: boolean;
  /** The value as typed, split at top-level commas (one piece: no sweep). */
  pieces: string[];
}

const KEY = /^[A-Za-z_][A-Za-z0-9_-]*$/;
/** Names that would reach an object's prototype rather than a field. */
const FORBIDDEN = new Set(['__proto__', 'prototype', 'constructor']);

/** Splits at commas outside brackets, braces and quotes. */
export function splitTopLevel(text: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let quote = '';
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote) {
      if (c === '\\' && quote === '"') i++;
      else if (c === quote) quote = '';
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '[' || c === '{') depth++;
    else if (c === ']' || c === '}') depth--;
    else if (c === ',' && depth === 0) {
      out.push(text.slice(start, i));
      start = i + 1;
    }
  }
  out.push(text.slice(start));
  return out.map((s) => s.trim());
}

/** Parses `key=value`, `+key=value`, `++key=value` or `~key`; errors name the argument. */
export function parseOverride(text: string): Override {
  const bad = (why: string): never => {
    throw new DilemmaError(ErrorCode.InvalidArgument, `override '${text}': ${why} (write key=value, e.g. train.beta=0.5 or train.beta=0.5,1,2 to sweep)`);
  };
  if (typeof text !== 'string') bad('must be a string');
  const remove = text.startsWith('~');
  const body = remove ? text.slice(1) : text.replace(/^\+\+?/, '');
  const eq = body.indexOf('=');
  if (remove && eq >= 0 && body.slice(eq + 1) !== '') bad('~key removes a field and takes no value');
  if (!remove && eq < 0) bad("missing '='");
  const key = eq < 0 ? body : body.slice(0, eq);
  const path = key.split('.');
  for (const p of path) {
    if (!KEY.test(p)) bad(`'${key}' is not a dotted path of field names`);
    if (FORBIDDEN.has(p)) bad(`'${p}' is not a field name`);
  }
  const value = remove ? '' : body.slice(eq + 1);
  const pieces = remove ? [] : splitTopLevel(value);
  if (pieces.length > 1 && pieces.some((p) => p === '')) bad('an empty value in the list');
  return { text, path, remove, pieces };
}

/** A piece of an override's value as YAML (a bare word stays a string). */
export function parseValue(piece: string, o: Override): unknown {
  if (piece === '') return '';
  try {
    return parseYaml(piece) as unknown;
  } catch (e) {
    throw new DilemmaError(ErrorCode.InvalidArgument, `override '${o.text}': '${piece}' is not a YAML value: ${(e as Error).message.split('\n')[0]}`);
  }
}

/** A copy of obj with the field at path set to value (folders created as needed), or removed. */
export function setPath(obj: unknown, path: readonly string[], value: unknown, remove = false): Record<string, unknown> {
  const root: Record<string, unknown> = isPlainObject(obj) ? { ...obj } : {};
  let node = root;
  for (let i = 0; i < path.length - 1; i++) {
    const next = node[path[i]];
    const copy: Record<string, unknown> = isPlainObject(next) ? { ...next } : {};
    node[path[i]] = copy;
    node = copy;
  }
  const last = path[path.length - 1];
  if (remove) delete node[last];
  else node[last] = value;
  return root;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

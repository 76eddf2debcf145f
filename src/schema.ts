/**
 * Validation of parameter objects with zod, reported as DilemmaErrors that
 * name the parameter by its full path (e.g. `config.train.game.params.rounds`)
 * and suggest the closest known key or value for a slip.
 */
import { z } from 'zod';
import { didYouMean } from './did-you-mean.js';
import { DilemmaError, ErrorCode } from './errors.js';

type Path = ReadonlyArray<PropertyKey>;

interface SchemaDef {
  type?: string;
  innerType?: z.ZodType;
  in?: z.ZodType;
  shape?: Record<string, z.ZodType>;
  options?: z.ZodType[];
  discriminator?: string;
  element?: z.ZodType;
  valueType?: z.ZodType;
}

const defOf = (s: z.ZodType | undefined): SchemaDef => ((s as unknown as { def?: SchemaDef } | undefined)?.def ?? {});

/** Strips defaults, optionals, nullables and transforms down to the schema that holds the shape. */
function unwrap(schema: z.ZodType | undefined): z.ZodType | undefined {
  let s = schema;
  for (let k = 0; s && k < 32; k++) {
    const d = defOf(s);
    if ((d.type === 'default' || d.type === 'optional' || d.type === 'nullable' || d.type === 'prefault' || d.type === 'readonly') && d.innerType) s = d.innerType;
    else if (d.type === 'pipe' && d.in) s = d.in;
    else break;
  }
  return s;
}

/**
 * The schema of the value at path inside schema (objects, records, arrays,
 * and discriminated unions, whose member is chosen by the input's
 * discriminator); undefined where the path leaves what the schema describes.
 */
export function schemaAt(schema: z.ZodType, path: Path, input?: unknown): z.ZodType | undefined {
  let s: z.ZodType | undefined = schema;
  let value = input;
  for (const key of path) {
    s = member(unwrap(s), value);
    const d = defOf(s);
    if (d.type === 'object' && d.shape && typeof key === 'string' && Object.hasOwn(d.shape, key)) s = d.shape[key];
    else if (d.type === 'record') s = d.valueType;
    else if (d.type === 'array') s = d.element;
    else return undefined;
    value = value !== null && typeof value === 'object' ? (value as Record<PropertyKey, unknown>)[key] : undefined;
  }
  return member(unwrap(s), value);
}

function member(s: z.ZodType | undefined, value: unknown): z.ZodType | undefined {
  const d = defOf(s);
  if (d.type !== 'union' || !d.discriminator || !d.options) return s;
  const tag = value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[d.discriminator] : undefined;
  for (const o of d.options) {
    const shape = defOf(unwrap(o)).shape;
    const lit = shape?.[d.discriminator] as unknown as { def?: { values?: unknown[] } } | undefined;
    if (lit?.def?.values?.includes(tag)) return unwrap(o);
  }
  return s;
}

/** The keys an object schema accepts at path (empty where it is not an object). */
export function knownKeys(schema: z.ZodType, path: Path, input?: unknown): string[] {
  const d = defOf(schemaAt(schema, path, input));
  return d.type === 'object' && d.shape ? Object.keys(d.shape) : [];
}

/** The value at path inside input, or undefined. */
export function valueAt(input: unknown, path: Path): unknown {
  let v = input;
  for (const key of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[key];
  }
  return v;
}

/** A dotted name for a path: `config.train.game.params.rounds`, `config.evaluate.opponents.1`. */
export function pathName(name: string, path: Path): string {
  return [name, ...path.map(String)].filter((p) => p !== '').join('.');
}

/**
 * The message of a zod issue, naming the full path and suggesting the
 * closest known key (unknown keys) or allowed value (enums, discriminators).
 */
export function describeIssue(schema: z.ZodType, value: unknown, name: string, issue: z.core.$ZodIssue): string {
  const path = pathName(name, issue.path);
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0];
    const known = knownKeys(schema, issue.path, value);
    const more = issue.keys.length > 1 ? ` (also ${issue.keys.slice(1).join(', ')})` : '';
    return `${pathName(path, [key])} is not a known parameter${didYouMean(key, known)}${more}`;
  }
  const allowed = issue.code === 'invalid_value' ? issue.values : issue.code === 'invalid_union' ? (issue as { options?: unknown[] }).options : undefined;
  const received = valueAt(value, issue.path);
  if (allowed && allowed.length > 0 && typeof received === 'string') {
    const hint = didYouMean(received, allowed.filter((v): v is string => typeof v === 'string'));
    return `${path}: '${received}' is not one of ${allowed.map((v) => String(v)).join(', ')}${hint}`;
  }
  return `${path}: ${issue.message}`;
}

/** Parses value with schema, or throws a DilemmaError (`code`) naming the offending field by its full path. */
export function parseParams<S extends z.ZodType>(
  schema: S,
  value: unknown,
  name: string,
  code: ErrorCode = ErrorCode.InvalidParam,
): z.output<S> {
  const result = schema.safeParse(value ?? {});
  if (result.success) return result.data;
  throw new DilemmaError(code, describeIssue(schema, value ?? {}, name, result.error.issues[0]));
}

/**
 * One parameter as the native core specifies it (native/core/params.hpp):
 * the single description that schemas, generated types and help text are
 * built from.
 */
export interface ParamSpec {
  /** The parameter's key. */
  name: string;
  /**
   * `integer` and `number` (in [min, max]), `boolean`, `choice` (one of
   * choices), `numbers` (exactly length finite numbers), `tokens` (one of
   * choices, or at most length tokens as an array or one string),
   * `integers` (at most length integers, each in [min, max]).
   */
  type: 'integer' | 'number' | 'boolean' | 'choice' | 'numbers' | 'tokens' | 'integers';
  /**
   * The value used when the parameter is absent; none for `numbers`, nor
   * where an absent value is computed from other parameters (the doc says how).
   */
  default?: number | boolean | string | readonly number[];
  /** Smallest allowed value (`integer`, `number`, each of `integers`). */
  min?: number;
  /** Largest allowed value (`integer`, `number`, each of `integers`). */
  max?: number;
  /** Exact length (`numbers`) or most tokens (`tokens`) or integers (`integers`). */
  length?: number;
  /** Allowed values (`choice`) or presets (`tokens`). */
  choices?: string[];
  /** One line for help text. */
  doc: string;
}

/** The zod schema of one parameter (optional: every parameter has a default or may be absent). */
export function paramSchema(spec: ParamSpec): z.ZodType {
  switch (spec.type) {
    case 'integer':
      return z.number().int().min(spec.min!).max(spec.max!).optional();
    case 'number':
      return z.number().min(spec.min!).max(spec.max!).optional();
    case 'boolean':
      return z.boolean().optional();
    case 'choice':
      return z.enum(spec.choices as [string, ...string[]]).optional();
    case 'numbers':
      return z.array(z.number().finite()).length(spec.length!).optional();
    case 'tokens':
      return z.union([z.string(), z.array(z.string()).min(1).max(spec.length!)]).optional();
    case 'integers':
      return z.array(z.number().int().min(spec.min!).max(spec.max!)).max(spec.length!).optional();
  }
}

/** A strict object schema with one optional member per spec. */
export function specsSchema(specs: readonly ParamSpec[]): z.ZodObject {
  return z.object(Object.fromEntries(specs.map((s) => [s.name, paramSchema(s)]))).strict();
}

/** The default of the spec called name in specs (for rules that compare two parameters). */
export function specDefault(specs: readonly ParamSpec[], name: string): unknown {
  const spec = specs.find((s) => s.name === name);
  if (!spec) throw new Error(`no parameter spec '${name}'`);
  return spec.default;
}

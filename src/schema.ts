/**
 * Validation of parameter objects with zod, reported as DilemmaErrors that
 * name the parameter (e.g. `params.rounds`).
 */
import type { z } from 'zod';
import { DilemmaError, ErrorCode } from './errors.js';

export function parseParams<S extends z.ZodType>(
  schema: S,
  value: unknown,
  name: string,
  code: ErrorCode = ErrorCode.InvalidParam,
): z.output<S> {
  const result = schema.safeParse(value ?? {});
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const path = [name, ...issue.path.map(String)].join('.');
  if (issue.code === 'unrecognized_keys') {
    const keys = (issue as { keys: string[] }).keys;
    throw new DilemmaError(code, `${path}.${keys[0]} is not a known parameter`);
  }
  throw new DilemmaError(code, `${path}: ${issue.message}`);
}

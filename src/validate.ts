/**
 * Argument checks shared by the TypeScript API. Each throws a DilemmaError
 * whose message names the parameter; native code checks again.
 */
import { DilemmaError, ErrorCode } from './errors.js';

type TypedArrayCtor =
  | Float32ArrayConstructor
  | Float64ArrayConstructor
  | Int32ArrayConstructor
  | Uint32ArrayConstructor
  | Uint8ArrayConstructor;

export function invalid(name: string, message: string): never {
  throw new DilemmaError(ErrorCode.InvalidArgument, `${name} ${message}`);
}

export function checkInteger(name: string, value: unknown, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    invalid(name, `must be an integer in [${min}, ${max}], got ${describe(value)}`);
  }
  return value;
}

export function checkNumber(name: string, value: unknown, min = -Infinity, max = Infinity): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    invalid(name, `must be a finite number in [${min}, ${max}], got ${describe(value)}`);
  }
  return value;
}

export function checkBoolean(name: string, value: unknown): boolean {
  if (typeof value !== 'boolean') invalid(name, `must be a boolean, got ${describe(value)}`);
  return value;
}

export function checkSeed(name: string, value: unknown): number | bigint {
  if (typeof value === 'bigint') {
    if (value < 0n || value >= 1n << 64n) invalid(name, `must be in [0, 2^64), got ${value}`);
    return value;
  }
  return checkInteger(name, value, 0);
}

/**
 * Whether value is a typed array of ctor's type. A Proxy around one passes
 * `instanceof` but is no typed array: every typed-array accessor (buffer,
 * length) throws an uncoded TypeError when handed it.
 */
export function isTypedArrayOf<C extends TypedArrayCtor>(value: unknown, ctor: C): value is InstanceType<C> {
  return value instanceof ctor && ArrayBuffer.isView(value);
}

/**
 * The length of an array-like object, or undefined when it has none it can
 * give: a Proxy around a typed array throws from its length accessor.
 */
export function arrayLikeLength(value: unknown): number | undefined {
  if (typeof value !== 'object' || value === null || ArrayBuffer.isView(value)) return undefined;
  try {
    const n = (value as { length?: unknown }).length;
    return typeof n === 'number' ? n : undefined;
  } catch {
    return undefined;
  }
}

/** Checks that value is an instance of ctor with exactly `length` elements (any length when undefined). */
export function checkTypedArray<C extends TypedArrayCtor>(
  name: string,
  value: unknown,
  ctor: C,
  length?: number,
): InstanceType<C> {
  if (!isTypedArrayOf(value, ctor)) invalid(name, `must be a ${ctor.name}, got ${describe(value)}`);
  const arr = value as InstanceType<C>;
  if (arr.buffer.byteLength === 0 && arr.length > 0) invalid(name, 'is backed by a detached ArrayBuffer');
  if (length !== undefined && arr.length !== length) {
    invalid(name, `must have ${length} elements, got ${arr.length}`);
  }
  return arr;
}

export function checkObject(name: string, value: unknown): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    invalid(name, `must be an object, got ${describe(value)}`);
  }
  return value as Record<string, unknown>;
}

/** Rejects keys of obj that are not in allowed, naming the first. */
export function checkKeys(name: string, obj: object, allowed: readonly string[]): void {
  for (const key of Object.keys(obj)) {
    if (!allowed.includes(key)) invalid(`${name}.${key}`, `is not a known option (known: ${allowed.join(', ')})`);
  }
}

export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  if (ArrayBuffer.isView(value)) return `a ${value.constructor.name}`;
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') return String(value);
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  return typeof value;
}

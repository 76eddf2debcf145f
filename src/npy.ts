/**
 * NumPy `.npy` files (format 1.0), the exchange format of a Python trainer:
 * `numpy.load(path)` / `torch.from_numpy(numpy.load(path))` read what these
 * write, and `numpy.save` output reads back here. Little-endian, C order.
 *
 * Written here rather than with a package: the npm readers parse only, and
 * the header is one line of text padded to 64 bytes.
 */
import { writeAtomic, readRegularFile } from './fs-safe.js';
import { DilemmaError, ErrorCode } from './errors.js';
import { checkInteger, describe, invalid } from './validate.js';
import { join } from 'node:path';
import { mkdirSync } from 'node:fs';
import type { Trajectory } from './rollout.js';

/** The arrays `.npy` exchange handles, with their NumPy dtypes. */
export type NpyArray = Float32Array | Float64Array | Int32Array | Uint8Array | BigInt64Array;

const DTYPES: Array<[string, new (b: ArrayBuffer, o: number, n: number) => NpyArray, number]> = [
  ['<f4', Float32Array as never, 4],
  ['<f8', Float64Array as never, 8],
  ['<i4', Int32Array as never, 4],
  ['|u1', Uint8Array as never, 1],
  ['<i8', BigInt64Array as never, 8],
];

function dtypeOf(a: unknown): string {
  if (a instanceof Float32Array) return '<f4';
  if (a instanceof Float64Array) return '<f8';
  if (a instanceof Int32Array) return '<i4';
  if (a instanceof Uint8Array) return '|u1';
  if (a instanceof BigInt64Array) return '<i8';
  return invalid('array', `must be a Float32Array, Float64Array, Int32Array, Uint8Array or BigInt64Array, got ${describe(a)}`);
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59];

/**
 * The `.npy` bytes of `array` with `shape` (default `[array.length]`).
 *
 * @throws DilemmaError ERR_INVALID_ARGUMENT for an unsupported array or a shape whose product is not its length.
 */
export function toNpy(array: NpyArray, shape?: readonly number[]): Uint8Array {
  const descr = dtypeOf(array);
  const dims = (shape ?? [array.length]).map((d, k) => checkInteger(`shape[${k}]`, d, 0, 2 ** 53 - 1));
  const count = dims.reduce((n, d) => n * d, 1);
  if (count !== array.length) invalid('shape', `[${dims.join(', ')}] holds ${count} elements but the array has ${array.length}`);
  const shapeText = dims.length === 1 ? `(${dims[0]},)` : `(${dims.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  // Magic (6) + version (2) + length (2) + header + '\n', padded to 64 bytes so the data is aligned.
  const total = Math.ceil((10 + header.length + 1) / 64) * 64;
  header = header.padEnd(total - 10 - 1, ' ') + '\n';
  const out = new Uint8Array(total + array.byteLength);
  out.set(MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  out[8] = header.length & 0xff;
  out[9] = header.length >> 8;
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
  out.set(new Uint8Array(array.buffer, array.byteOffset, array.byteLength), total);
  return out;
}

/** An array read from `.npy` bytes, with its shape. */
export interface NpyData {
  /** The values, a typed array of the file's dtype (a view of the bytes when they are aligned). */
  data: NpyArray;
  /** The array's shape (row-major). */
  shape: number[];
  /** The numpy type string, e.g. `'<f4'`. */
  dtype: string;
}

const bad = (why: string): never => {
  throw new DilemmaError(ErrorCode.InvalidArgument, `npy: ${why}`);
};

/**
 * Parses `.npy` bytes. The result views `bytes` without a copy when the data
 * is aligned for its type (always for files this module writes, read into a
 * fresh buffer); otherwise it is copied.
 *
 * @throws DilemmaError ERR_INVALID_ARGUMENT for bytes that are not a supported `.npy` (format 1.0–3.0, C order, little-endian dtypes above).
 */
export function fromNpy(bytes: Uint8Array): NpyData {
  if (!(bytes instanceof Uint8Array)) invalid('bytes', `must be a Uint8Array, got ${describe(bytes)}`);
  if (bytes.length < 10 || MAGIC.some((m, i) => bytes[i] !== m)) bad('not an .npy file (bad magic)');
  const major = bytes[6];
  const lenBytes = major === 1 ? 2 : major === 2 || major === 3 ? 4 : bad(`unsupported format version ${major}`);
  const hlen = lenBytes === 2 ? bytes[8] | (bytes[9] << 8) : new DataView(bytes.buffer, bytes.byteOffset + 8, 4).getUint32(0, true);
  const start = 8 + lenBytes + hlen;
  if (start > bytes.length) bad('header runs past the end of the file');
  const header = new TextDecoder().decode(bytes.subarray(8 + lenBytes, start));
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1] ?? bad('header has no descr');
  if (/'fortran_order':\s*True/.test(header)) bad('Fortran-order arrays are not supported; save with numpy.ascontiguousarray');
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1] ?? bad('header has no shape');
  const shape = shapeText.split(',').map((s) => s.trim()).filter((s) => s.length > 0).map(Number);
  if (shape.some((d) => !Number.isSafeInteger(d) || d < 0)) bad(`bad shape (${shapeText})`);
  const entry = DTYPES.find(([d]) => d === descr || (d === '|u1' && descr === '<u1')) ?? bad(`dtype ${descr} is not supported (use float32, float64, int32, uint8 or int64, little-endian)`);
  const [, ctor, size] = entry;
  const count = shape.reduce((n, d) => n * d, 1);
  if (bytes.length - start < count * size) bad(`data holds ${bytes.length - start} bytes; shape (${shapeText}) of ${descr} needs ${count * size}`);
  const offset = bytes.byteOffset + start;
  const data =
    offset % size === 0
      ? new ctor(bytes.buffer as ArrayBuffer, offset, count)
      : new ctor(bytes.slice(start, start + count * size).buffer as ArrayBuffer, 0, count);
  return { data, shape, dtype: descr };
}

/** Writes `array` as an `.npy` file (atomically). */
export function writeNpy(path: string, array: NpyArray, shape?: readonly number[]): void {
  writeAtomic(path, toNpy(array, shape), 'path');
}

/** Reads an `.npy` file (see fromNpy; the file's own buffer is viewed, not copied). */
export function readNpy(path: string): NpyData {
  return fromNpy(readRegularFile(path, { param: 'path', what: '.npy file', maxBytes: 2 ** 32 }));
}

/**
 * Writes a trajectory's arrays into folder `dir` as `.npy` files named by
 * field (`observations.npy` [B, T, A, O], `actions.npy` [B, T, A] int32 with
 * −1 on padding, `logProbs.npy`, `entropies.npy`, `rewards.npy` [B, T, A],
 * `dones.npy`, `mask.npy` [B, T] uint8, `groups.npy` [B] int32), plus any
 * `extra` arrays (e.g. credits, gradients) with their shapes. Returns the
 * paths written.
 */
export function writeTrajectoryNpy(
  dir: string,
  t: Trajectory,
  extra: Readonly<Record<string, { data: NpyArray; shape?: readonly number[] }>> = {},
): string[] {
  mkdirSync(dir, { recursive: true });
  const { batch: B, steps: T, agents: A, obsDim: O } = t;
  const groups = new Int32Array(t.groups.buffer, t.groups.byteOffset, t.groups.length);
  const files: Array<[string, NpyArray, number[] | undefined]> = [
    ['observations', t.observations, [B, T, A, O]],
    ['actions', t.actions, [B, T, A]],
    ['logProbs', t.logProbs, [B, T, A]],
    ['entropies', t.entropies, [B, T, A]],
    ['rewards', t.rewards, [B, T, A]],
    ['dones', t.dones, [B, T]],
    ['mask', t.mask, [B, T]],
    ['groups', groups, [B]],
    ...Object.entries(extra).map(([k, v]) => [k, v.data, v.shape ? [...v.shape] : undefined] as [string, NpyArray, number[] | undefined]),
  ];
  return files.map(([name, data, shape]) => {
    if (!/^[A-Za-z0-9_.-]+$/.test(name)) invalid('extra', `key '${name}' is not a plain file name`);
    const path = join(dir, `${name}.npy`);
    writeNpy(path, data, shape);
    return path;
  });
}

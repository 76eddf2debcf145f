/**
 * The checkpoint format: a trainer's resolved config and state as JSON
 * (arrays as base64 float32), wrapped with the SHA-256 of its body so that
 * a truncated or edited file is refused before anything reads it.
 */
import { createHash } from 'node:crypto';
import { constants as bufferConstants } from 'node:buffer';
import { DilemmaError, ErrorCode } from '../errors.js';
import { readRegularFile, writeAtomic } from '../fs-safe.js';
import { snapshotState, type TrainerState } from '../trainer-state.js';
import type { ResolvedTrainConfig } from './config.js';

const CHECKPOINT_FORMAT = 'dilemma-checkpoint-v1';

function encode(a: Float32Array): string {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** The largest checkpoint that can be read: the longest string V8 holds. */
/** The largest checkpoint file read (a string must hold it). */
export const MAX_CHECKPOINT_BYTES = Math.min(bufferConstants.MAX_STRING_LENGTH, 2 ** 31 - 1);

/**
 * Writes a checkpoint of a config and a state atomically, with a content
 * hash (see Trainer.checkpoint); `param` names the option that gave the path.
 */
export function writeCheckpoint(config: ResolvedTrainConfig, s: TrainerState, path: string, param: string): void {
  const body = {
    format: CHECKPOINT_FORMAT,
    config,
    state: {
      iteration: s.iteration,
      adamT: s.adamT,
      criticT: s.criticT,
      params: encode(s.params),
      adamM: encode(s.adamM),
      adamV: encode(s.adamV),
      criticParams: encode(s.criticParams),
      criticM: encode(s.criticM),
      criticV: encode(s.criticV),
      buffer: s.buffer.map(encode),
    },
  };
  let file: string;
  try {
    const text = JSON.stringify(body);
    file = JSON.stringify({ sha256: sha256(text), body: text });
  } catch (e) {
    // A state past the longest string V8 can build.
    throw new DilemmaError(ErrorCode.TooLarge, `${param}: the checkpoint for ${path} is too large to encode (${(e as Error).message})`);
  }
  writeAtomic(path, file, param);
}

/**
 * Reads and verifies a checkpoint: ERR_INVALID_CHECKPOINT when missing,
 * truncated, tampered with or holding a bad value (the message names the
 * field, e.g. state.adamV[3]); ERR_NOT_A_FILE for a device, FIFO or folder;
 * ERR_TOO_LARGE past the longest string V8 holds. `param` names the
 * option that gave the path in messages.
 */
export function readCheckpoint(
  path: string,
  param?: string,
): {
  /** The config the run was trained with, as stored (validate it with {@link trainConfigSchema}). */
  config: unknown;
  /** The trainer's state at the checkpoint. */
  state: TrainerState;
} {
  const at = param ? `${param}: ` : '';
  const raw = readRegularFile(path, { param, what: 'checkpoint', maxBytes: MAX_CHECKPOINT_BYTES, code: ErrorCode.InvalidCheckpoint }).toString('utf8');
  const invalid = (message: string) => new DilemmaError(ErrorCode.InvalidCheckpoint, `${at}checkpoint ${path} ${message}`);
  let outer: { sha256?: unknown; body?: unknown };
  try {
    outer = JSON.parse(raw);
  } catch {
    throw invalid('is truncated or not a checkpoint');
  }
  if (typeof outer !== 'object' || outer === null || typeof outer.body !== 'string' || typeof outer.sha256 !== 'string' || sha256(outer.body) !== outer.sha256) {
    throw invalid('fails its integrity check (modified or corrupt)');
  }
  let body: { format?: unknown; config?: unknown; state?: unknown };
  try {
    body = JSON.parse(outer.body);
  } catch {
    throw invalid('has a body that is not JSON');
  }
  if (typeof body !== 'object' || body === null || body.format !== CHECKPOINT_FORMAT || typeof body.state !== 'object' || body.state === null) {
    throw invalid('has an unknown format');
  }
  const s = body.state as Record<string, unknown>;
  const decode = (field: string, value: unknown): Float32Array => {
    if (typeof value !== 'string') throw invalid(`lacks the field state.${field}`);
    const bytes = Buffer.from(value, 'base64');
    if (bytes.length % 4 !== 0) throw invalid(`has a corrupt field state.${field}`);
    const out = new Float32Array(bytes.length / 4);
    new Uint8Array(out.buffer).set(bytes);
    return out;
  };
  if (s.buffer !== undefined && !Array.isArray(s.buffer)) throw invalid('has a corrupt field state.buffer');
  const state = snapshotState(
    {
      iteration: s.iteration,
      adamT: s.adamT,
      criticT: s.criticT ?? 0,
      params: decode('params', s.params),
      adamM: decode('adamM', s.adamM),
      adamV: decode('adamV', s.adamV),
      criticParams: decode('criticParams', s.criticParams),
      criticM: decode('criticM', s.criticM),
      criticV: decode('criticV', s.criticV),
      buffer: ((s.buffer as unknown[] | undefined) ?? []).map((b, i) => decode(`buffer[${i}]`, b)),
    },
    `${at}checkpoint ${path}: state`,
    ErrorCode.InvalidCheckpoint,
  );
  return { config: body.config, state };
}

/**
 * ONNX models whose weights live in a side file (`model.onnx.data`, what
 * recent `torch.onnx.export` writes by default): the engine reads the side
 * file itself and puts every external tensor back into the model as
 * `raw_data`, so that the runtime gets one self-contained model whether it
 * came from a path or from a `{ model, data }` pair of buffers.
 *
 * Only the wire format is read: ModelProto.graph (7) → GraphProto.initializer
 * (5) → TensorProto.external_data (13, key/value entries) and data_location
 * (14); every other field is copied byte for byte.
 */
import { DilemmaError, ErrorCode } from '../errors.js';

const fail = (message: string): never => {
  throw new DilemmaError(ErrorCode.ModelLoad, message);
};

/** One protobuf field as read from the wire. */
export interface Field {
  field: number;
  wire: number;
  /** The whole field, tag included. */
  start: number;
  end: number;
  /** The payload of a length-delimited field. */
  body?: Uint8Array;
  value?: bigint;
}

function readVarint(b: Uint8Array, pos: number): [bigint, number] {
  let v = 0n, shift = 0n;
  for (let i = 0; i < 10; i++) {
    if (pos >= b.length) fail('model bytes end inside a varint: not an ONNX model');
    const byte = b[pos++];
    v |= BigInt(byte & 0x7f) << shift;
    if ((byte & 0x80) === 0) return [v, pos];
    shift += 7n;
  }
  return fail('model bytes hold a varint longer than 10 bytes: not an ONNX model');
}

/** The fields of one protobuf message, in order, each with its byte range. */
export function fields(b: Uint8Array): Field[] {
  const out: Field[] = [];
  let pos = 0;
  while (pos < b.length) {
    const start = pos;
    const [tag, p] = readVarint(b, pos);
    pos = p;
    const field = Number(tag >> 3n), wire = Number(tag & 7n);
    if (wire === 0) {
      const [v, q] = readVarint(b, pos);
      out.push({ field, wire, start, end: q, value: v });
      pos = q;
    } else if (wire === 2) {
      const [len, q] = readVarint(b, pos);
      const end = q + Number(len);
      if (end > b.length) fail('model bytes end inside a field: not an ONNX model (or truncated)');
      out.push({ field, wire, start, end, body: b.subarray(q, end) });
      pos = end;
    } else if (wire === 1 || wire === 5) {
      pos += wire === 1 ? 8 : 4;
      if (pos > b.length) fail('model bytes end inside a field: not an ONNX model (or truncated)');
      out.push({ field, wire, start, end: pos });
    } else fail(`model bytes use protobuf wire type ${wire}: not an ONNX model`);
  }
  return out;
}

function varint(v: number): number[] {
  const out: number[] = [];
  let x = v;
  while (x >= 0x80) {
    out.push((x % 0x80) | 0x80);
    x = Math.floor(x / 0x80);
  }
  out.push(x);
  return out;
}

function lengthField(field: number, body: Uint8Array): Uint8Array[] {
  return [Uint8Array.from([...varint((field << 3) | 2), ...varint(body.length)]), body];
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

const text = new TextDecoder();

/** Resolves a tensor's `location` to its bytes. */
export type ExternalDataReader = (location: string) => Uint8Array;

/** Whether a model (ModelProto bytes) has any initializer stored outside it. */
export function hasExternalData(model: Uint8Array): boolean {
  for (const f of fields(model)) {
    if (f.field !== 7 || !f.body) continue;
    for (const g of fields(f.body)) {
      if (g.field !== 5 || !g.body) continue;
      if (fields(g.body).some((t) => t.field === 14 && t.value === 1n)) return true;
    }
  }
  return false;
}

function inlineTensor(t: Uint8Array, read: ExternalDataReader): Uint8Array {
  const fs = fields(t);
  if (!fs.some((f) => f.field === 14 && f.value === 1n)) return t;
  const entries: Record<string, string> = {};
  let name = '';
  for (const f of fs) {
    if (f.field === 8 && f.body) name = text.decode(f.body);
    if (f.field !== 13 || !f.body) continue;
    let key = '', value = '';
    for (const e of fields(f.body)) {
      if (e.field === 1 && e.body) key = text.decode(e.body);
      if (e.field === 2 && e.body) value = text.decode(e.body);
    }
    entries[key] = value;
  }
  const location = entries.location ?? fail(`model tensor '${name}' is external but names no location`);
  const data = read(location);
  const offset = entries.offset === undefined ? 0 : Number(entries.offset);
  const length = entries.length === undefined ? data.length - offset : Number(entries.length);
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0 || offset + length > data.length) {
    fail(
      `model tensor '${name}' wants bytes ${entries.offset ?? 0}..+${entries.length ?? '?'} of '${location}', ` +
        `which has ${data.length} bytes: the data file does not belong to this model (re-export, keeping model.onnx and its .data file together)`,
    );
  }
  const parts: Uint8Array[] = [];
  for (const f of fs) if (f.field !== 13 && f.field !== 14 && f.field !== 9) parts.push(t.subarray(f.start, f.end));
  parts.push(...lengthField(9, data.subarray(offset, offset + length)));
  return concat(parts);
}

/**
 * The model with every external initializer put back inline (raw_data),
 * reading each `location` through `read`. A model without external data is
 * returned as it is.
 *
 * @throws DilemmaError ERR_MODEL_LOAD for malformed bytes or a tensor past the end of its data.
 */
export function inlineExternalData(model: Uint8Array, read: ExternalDataReader): Uint8Array {
  if (!hasExternalData(model)) return model;
  const parts: Uint8Array[] = [];
  for (const f of fields(model)) {
    if (f.field !== 7 || !f.body) {
      parts.push(model.subarray(f.start, f.end));
      continue;
    }
    const graph: Uint8Array[] = [];
    for (const g of fields(f.body)) {
      if (g.field === 5 && g.body) graph.push(...lengthField(5, inlineTensor(g.body, read)));
      else graph.push(f.body.subarray(g.start, g.end));
    }
    parts.push(...lengthField(7, concat(graph)));
  }
  return concat(parts);
}

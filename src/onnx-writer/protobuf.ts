/**
 * A minimal protocol-buffers wire-format encoder: enough to write ONNX
 * models without a protobuf dependency. It knows nothing about schemas;
 * callers pick field numbers and decide which defaults to leave out.
 *
 * Fixed-width values are written little-endian, as the wire format requires,
 * whatever the host's byte order.
 */
import { DilemmaError, ErrorCode } from '../errors.js';

/** Wire types of the protobuf encoding (the low three bits of a field tag). */
export const WireType = {
  Varint: 0,
  Fixed64: 1,
  LengthDelimited: 2,
  Fixed32: 5,
} as const;
export type WireType = (typeof WireType)[keyof typeof WireType];

const TWO_POW_64 = 1n << 64n;

function fail(message: string): never {
  throw new DilemmaError(ErrorCode.InvalidArgument, message);
}

/**
 * Appends fields to a growing byte buffer. Each method writes one complete
 * field (tag and payload) and returns the writer, so calls chain.
 */
export class ProtoWriter {
  #buf = new Uint8Array(256);
  #view = new DataView(this.#buf.buffer);
  #len = 0;

  /** Bytes written so far. */
  get length(): number {
    return this.#len;
  }

  /** An unsigned varint field (uint32, uint64, enum, bool): value must be in [0, 2^64). */
  uint(field: number, value: number | bigint | boolean): this {
    const v = typeof value === 'boolean' ? Number(value) : value;
    if (v < 0) fail(`protobuf field ${field}: unsigned value ${v} is negative`);
    this.#tag(field, WireType.Varint);
    this.#varint(v);
    return this;
  }

  /**
   * A signed varint field (int32, int64): negative values take ten bytes,
   * as two's complement over 64 bits.
   */
  int(field: number, value: number | bigint): this {
    this.#tag(field, WireType.Varint);
    this.#varint(value);
    return this;
  }

  /** A float field (fixed32). */
  float(field: number, value: number): this {
    this.#tag(field, WireType.Fixed32);
    this.#reserve(4);
    this.#view.setFloat32(this.#len, value, true);
    this.#len += 4;
    return this;
  }

  /** A double field (fixed64). */
  double(field: number, value: number): this {
    this.#tag(field, WireType.Fixed64);
    this.#reserve(8);
    this.#view.setFloat64(this.#len, value, true);
    this.#len += 8;
    return this;
  }

  /** A string field, UTF-8 encoded. */
  string(field: number, value: string): this {
    return this.bytes(field, new TextEncoder().encode(value));
  }

  /** A bytes field. */
  bytes(field: number, value: Uint8Array): this {
    this.#tag(field, WireType.LengthDelimited);
    this.#varint(value.length);
    this.#append(value);
    return this;
  }

  /** An embedded message field, from a finished writer or its bytes. */
  message(field: number, value: ProtoWriter | Uint8Array): this {
    return this.bytes(field, value instanceof ProtoWriter ? value.finish() : value);
  }

  /** A packed repeated float field: one length-delimited run of fixed32 values. */
  packedFloats(field: number, values: ArrayLike<number>): this {
    this.#tag(field, WireType.LengthDelimited);
    this.#varint(values.length * 4);
    this.#reserve(values.length * 4);
    for (let i = 0; i < values.length; i++) {
      this.#view.setFloat32(this.#len, values[i], true);
      this.#len += 4;
    }
    return this;
  }

  /** A packed repeated varint field (int32, int64, uint64, enum), signed values as in int(). */
  packedInts(field: number, values: ArrayLike<number | bigint>): this {
    const body = new ProtoWriter();
    for (let i = 0; i < values.length; i++) body.#varint(values[i]);
    return this.bytes(field, body.finish());
  }

  /** A copy of the bytes written so far. */
  finish(): Uint8Array {
    return this.#buf.slice(0, this.#len);
  }

  #tag(field: number, wire: WireType): void {
    if (!Number.isInteger(field) || field < 1 || field > 0x1fffffff) fail(`protobuf field number ${field} is out of range`);
    this.#varint(field * 8 + wire);
  }

  #varint(value: number | bigint): void {
    if (typeof value === 'number') {
      if (!Number.isSafeInteger(value)) fail(`protobuf varint ${value} is not a safe integer`);
      if (value >= 0) {
        this.#reserve(8);
        let v = value;
        while (v >= 0x80) {
          this.#buf[this.#len++] = (v % 0x80) | 0x80;
          v = Math.floor(v / 0x80);
        }
        this.#buf[this.#len++] = v;
        return;
      }
      value = BigInt(value);
    }
    if (value < -(TWO_POW_64 >> 1n) || value >= TWO_POW_64) fail(`protobuf varint ${value} does not fit in 64 bits`);
    let v = BigInt.asUintN(64, value);
    this.#reserve(10);
    while (v >= 0x80n) {
      this.#buf[this.#len++] = Number(v & 0x7fn) | 0x80;
      v >>= 7n;
    }
    this.#buf[this.#len++] = Number(v);
  }

  #append(bytes: Uint8Array): void {
    this.#reserve(bytes.length);
    this.#buf.set(bytes, this.#len);
    this.#len += bytes.length;
  }

  #reserve(extra: number): void {
    const need = this.#len + extra;
    if (need <= this.#buf.length) return;
    let size = this.#buf.length * 2;
    while (size < need) size *= 2;
    const grown = new Uint8Array(size);
    grown.set(this.#buf.subarray(0, this.#len));
    this.#buf = grown;
    this.#view = new DataView(grown.buffer);
  }
}

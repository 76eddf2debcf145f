/**
 * The float32 initializers (weights) of an ONNX model, read from its bytes:
 * a trainable ONNX policy hands copies of them to the runtime over memory
 * the engine owns, so that setWeights can write new values in place.
 *
 * Only the wire format is read: ModelProto.graph (7) → GraphProto.initializer
 * (5) → TensorProto dims (1), data_type (2), float_data (4), name (8),
 * raw_data (9). External data must have been put back inline first.
 */
import { DilemmaError, ErrorCode } from '../errors.js';
import { fields } from './external-data.js';

/** One float32 initializer: its name, shape and values (a copy). */
export interface Initializer {
  /** The initializer's name in the graph (torch.onnx.export names parameters after their module path, e.g. `0.weight`). */
  name: string;
  /** Its dimensions. */
  shape: number[];
  /** Its values, row-major. */
  data: Float32Array;
}

const FLOAT = 1;
const text = new TextDecoder();

function varints(b: Uint8Array): number[] {
  const out: number[] = [];
  let v = 0, scale = 1;
  for (const byte of b) {
    v += (byte & 0x7f) * scale;
    scale *= 128;
    if ((byte & 0x80) === 0) {
      out.push(v);
      v = 0;
      scale = 1;
    }
  }
  return out;
}

function tensor(t: Uint8Array): Initializer | undefined {
  let name = '', type = 0;
  const shape: number[] = [];
  let raw: Uint8Array | undefined;
  const floats: number[] = [];
  let packedFloats: Uint8Array | undefined;
  for (const f of fields(t)) {
    if (f.field === 1) {
      if (f.value !== undefined) shape.push(Number(f.value));
      else if (f.body) shape.push(...varints(f.body));
    } else if (f.field === 2 && f.value !== undefined) type = Number(f.value);
    else if (f.field === 8 && f.body) name = text.decode(f.body);
    else if (f.field === 9 && f.body) raw = f.body;
    else if (f.field === 4) {
      if (f.body) packedFloats = f.body;
      else floats.push(new DataView(t.buffer, t.byteOffset + f.end - 4, 4).getFloat32(0, true));
    } else if (f.field === 14 && f.value === 1n) {
      throw new DilemmaError(ErrorCode.ModelLoad, `model weight '${name}' is still in external data`);
    }
  }
  if (type !== FLOAT) return undefined;
  // Dimensions are the file's word: checked against the values it holds
  // before anything is allocated for them (a crafted [2^20, 2^20] asked for
  // 4 TiB, a negative dimension reads as 2^64 - 1).
  const count = shape.reduce((n, d) => n * d, 1);
  if (count === 0) return undefined;
  const bytes = raw ?? packedFloats;
  const held = bytes ? bytes.length / 4 : floats.length;
  if (shape.some((d) => !Number.isSafeInteger(d)) || count !== held) {
    throw new DilemmaError(
      ErrorCode.ModelLoad,
      `model weight '${name}' holds ${bytes ? `${bytes.length} bytes` : `${floats.length} values`} for shape [${shape.join(', ')}]`,
    );
  }
  const data = new Float32Array(count);
  if (bytes) {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
    for (let i = 0; i < count; i++) data[i] = view.getFloat32(4 * i, true);
  } else {
    data.set(floats);
  }
  return { name, shape, data };
}

/**
 * Every float32 initializer of a model (ModelProto bytes), in graph order.
 *
 * @throws DilemmaError ERR_MODEL_LOAD for malformed bytes or external data not put back inline.
 */
export function readInitializers(model: Uint8Array): Initializer[] {
  const out: Initializer[] = [];
  for (const f of fields(model)) {
    if (f.field !== 7 || !f.body) continue;
    for (const g of fields(f.body)) {
      if (g.field !== 5 || !g.body) continue;
      const t = tensor(g.body);
      if (t) out.push(t);
    }
  }
  return out;
}

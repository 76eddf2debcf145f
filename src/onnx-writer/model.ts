/**
 * ONNX model encoding: plain descriptions of a graph turned into ModelProto
 * bytes, with the field numbers of onnx.proto. Only what small inference
 * graphs need is here: dense float32/int64 tensors, tensor value infos with
 * fixed or symbolic dims, nodes with scalar and list attributes.
 */
import { DilemmaError, ErrorCode } from '../errors.js';
import { ProtoWriter } from './protobuf.js';

/** IR version 8 (ONNX 1.10+): initializers need not be graph inputs, and ONNX Runtime 1.30 reads it. */
export const IR_VERSION = 8;
/** Default-domain opset: 17 has every operator the policies use (Gemm, MatMul, Add, Sub, Mul, Sigmoid, Tanh, Relu, GRU, Squeeze and Unsqueeze with axes as an input). */
export const OPSET_VERSION = 17;

/** Element types the writer can encode, by their TensorProto.DataType number. */
export const DataType = { float32: 1, int64: 7 } as const;
export type ElemType = keyof typeof DataType;

/**
 * A tensor dimension: a fixed size (an int64 in the file: a safe integer, or
 * a bigint for sizes past 2^53), or a symbolic name such as "batch".
 *
 * @inline
 */
export type Dim = number | bigint | string;

/** A graph input or output: name, element type and shape. */
export interface ValueInfo {
  name: string;
  elemType: ElemType;
  shape: readonly Dim[];
}

/** A constant tensor stored in the graph; data is row-major with dims' product elements. */
export interface Initializer {
  name: string;
  dims: readonly number[];
  data: Float32Array | BigInt64Array;
}

/** A node attribute, typed as AttributeProto needs it (an int and a float are different things there). */
export type Attribute =
  | { type: 'int'; value: number | bigint }
  | { type: 'float'; value: number }
  | { type: 'string'; value: string }
  | { type: 'ints'; value: readonly (number | bigint)[] }
  | { type: 'floats'; value: readonly number[] };

export interface NodeDef {
  opType: string;
  inputs: readonly string[];
  outputs: readonly string[];
  name?: string;
  /** Operator domain; empty (the default) is the standard ONNX domain. */
  domain?: string;
  attributes?: Readonly<Record<string, Attribute>>;
}

export interface GraphDef {
  name: string;
  nodes: readonly NodeDef[];
  initializers: readonly Initializer[];
  inputs: readonly ValueInfo[];
  outputs: readonly ValueInfo[];
  docString?: string;
}

export interface ModelDef {
  graph: GraphDef;
  irVersion?: number;
  /** Default-domain opset version. */
  opsetVersion?: number;
  producerName?: string;
  producerVersion?: string;
  docString?: string;
  /** Free-form key/value pairs (ModelProto.metadata_props), readable through ONNX Runtime's model metadata. */
  metadata?: Readonly<Record<string, string>>;
}

function fail(message: string): never {
  throw new DilemmaError(ErrorCode.InvalidArgument, message);
}

// AttributeProto.AttributeType values.
const AttributeType = { float: 1, int: 2, string: 3, floats: 6, ints: 7 } as const;

/** Encodes a TensorProto; data goes to raw_data, little-endian. */
export function encodeTensor(t: Initializer): Uint8Array {
  // In bigint: a product of declared dims must not round to the data's length.
  let count = 1n;
  for (const d of t.dims) {
    if (!Number.isSafeInteger(d) || d < 0) fail(`tensor '${t.name}': dim ${d} is not a non-negative integer`);
    count *= BigInt(d);
  }
  if (count !== BigInt(t.data.length)) {
    fail(`tensor '${t.name}': dims [${t.dims.join(', ')}] need ${count} elements, data has ${t.data.length}`);
  }
  const float = t.data instanceof Float32Array;
  const width = float ? 4 : 8;
  const raw = new Uint8Array(t.data.length * width);
  const view = new DataView(raw.buffer);
  for (let i = 0; i < t.data.length; i++) {
    if (float) view.setFloat32(i * 4, t.data[i] as number, true);
    else view.setBigInt64(i * 8, t.data[i] as bigint, true);
  }
  return new ProtoWriter()
    .packedInts(1, t.dims) // dims
    .uint(2, float ? DataType.float32 : DataType.int64) // data_type
    .string(8, t.name) // name
    .bytes(9, raw) // raw_data
    .finish();
}

/** Encodes a ValueInfoProto holding a tensor type. */
export function encodeValueInfo(v: ValueInfo): Uint8Array {
  const shape = new ProtoWriter();
  for (const d of v.shape) {
    // TensorShapeProto.Dimension: dim_value = 1, dim_param = 2
    if (typeof d === 'number' && !Number.isSafeInteger(d)) fail(`value '${v.name}': dim ${d} is not a safe integer (use a bigint)`);
    if (typeof d === 'bigint' && (d < -(2n ** 63n) || d >= 2n ** 63n)) fail(`value '${v.name}': dim ${d} is outside int64`);
    const dim = typeof d === 'string' ? new ProtoWriter().string(2, d) : new ProtoWriter().int(1, d);
    shape.message(1, dim);
  }
  const tensorType = new ProtoWriter().uint(1, DataType[v.elemType]).message(2, shape); // elem_type, shape
  const type = new ProtoWriter().message(1, tensorType); // TypeProto.tensor_type
  return new ProtoWriter().string(1, v.name).message(2, type).finish();
}

/** Encodes an AttributeProto. */
export function encodeAttribute(name: string, a: Attribute): Uint8Array {
  const w = new ProtoWriter().string(1, name);
  switch (a.type) {
    case 'float':
      w.float(2, a.value);
      break;
    case 'int':
      w.int(3, a.value);
      break;
    case 'string':
      w.string(4, a.value);
      break;
    case 'floats':
      w.packedFloats(7, a.value);
      break;
    case 'ints':
      w.packedInts(8, a.value);
      break;
  }
  return w.uint(20, AttributeType[a.type]).finish();
}

/** Encodes a NodeProto. */
export function encodeNode(n: NodeDef): Uint8Array {
  const w = new ProtoWriter();
  for (const i of n.inputs) w.string(1, i);
  for (const o of n.outputs) w.string(2, o);
  if (n.name) w.string(3, n.name);
  w.string(4, n.opType);
  for (const [key, attr] of Object.entries(n.attributes ?? {})) w.bytes(5, encodeAttribute(key, attr));
  if (n.domain) w.string(7, n.domain);
  return w.finish();
}

/** Encodes a GraphProto. */
export function encodeGraph(g: GraphDef): Uint8Array {
  const w = new ProtoWriter();
  for (const n of g.nodes) w.bytes(1, encodeNode(n));
  w.string(2, g.name);
  for (const t of g.initializers) w.bytes(5, encodeTensor(t));
  if (g.docString) w.string(10, g.docString);
  for (const v of g.inputs) w.bytes(11, encodeValueInfo(v));
  for (const v of g.outputs) w.bytes(12, encodeValueInfo(v));
  return w.finish();
}

/** Encodes a ModelProto: the bytes of an .onnx file. */
export function encodeModel(m: ModelDef): Uint8Array {
  const w = new ProtoWriter().int(1, m.irVersion ?? IR_VERSION);
  if (m.producerName) w.string(2, m.producerName);
  if (m.producerVersion) w.string(3, m.producerVersion);
  if (m.docString) w.string(6, m.docString);
  w.bytes(7, encodeGraph(m.graph));
  // OperatorSetIdProto: domain = 1 (empty for the default domain, so left out), version = 2
  w.message(8, new ProtoWriter().int(2, m.opsetVersion ?? OPSET_VERSION));
  for (const [key, value] of Object.entries(m.metadata ?? {})) {
    w.message(14, new ProtoWriter().string(1, key).string(2, value)); // StringStringEntryProto
  }
  return w.finish();
}

/**
 * Collects a graph while generating unique names, so builders can write
 * `const y = g.op('Tanh', [x])` and chain results.
 */
export class GraphBuilder {
  readonly nodes: NodeDef[] = [];
  readonly initializers: Initializer[] = [];
  readonly inputs: ValueInfo[] = [];
  readonly outputs: ValueInfo[] = [];
  readonly #names = new Set<string>();

  constructor(readonly name: string) {}

  /** Declares a graph input and returns its name. */
  input(name: string, shape: readonly Dim[], elemType: ElemType = 'float32'): string {
    this.#claim(name);
    this.inputs.push({ name, elemType, shape });
    return name;
  }

  /** Declares an existing value as a graph output. */
  output(name: string, shape: readonly Dim[], elemType: ElemType = 'float32'): void {
    if (!this.#names.has(name)) fail(`graph output '${name}' is not produced by the graph`);
    this.outputs.push({ name, elemType, shape });
  }

  /** Adds a constant tensor and returns its name. */
  constant(name: string, dims: readonly number[], data: Float32Array | BigInt64Array): string {
    this.#claim(name);
    this.initializers.push({ name, dims, data });
    return name;
  }

  /**
   * Adds a single-output node and returns the output's name: `output` when
   * given (e.g. a graph output), otherwise a fresh name from the op type.
   */
  op(opType: string, inputs: readonly string[], attributes?: Record<string, Attribute>, output?: string): string {
    const out = output ?? `${opType.toLowerCase()}_${this.nodes.length}`;
    this.node(opType, inputs, [out], attributes);
    return out;
  }

  /**
   * Adds a node with several outputs, named by the caller. An empty name
   * leaves out an optional input or output, as ONNX spells it (e.g. GRU's
   * sequence_lens, or its full sequence output Y when only Y_h is wanted).
   */
  node(opType: string, inputs: readonly string[], outputs: readonly string[], attributes?: Record<string, Attribute>): void {
    for (const i of inputs) if (i !== '' && !this.#names.has(i)) fail(`node ${opType}: input '${i}' is not defined`);
    if (!outputs.some((o) => o !== '')) fail(`node ${opType}: needs at least one named output`);
    for (const o of outputs) if (o !== '') this.#claim(o);
    const index = this.nodes.length;
    this.nodes.push({ opType, inputs, outputs, name: `${opType}_${index}`, attributes });
  }

  /** The collected graph. */
  graph(docString?: string): GraphDef {
    return {
      name: this.name,
      nodes: this.nodes,
      initializers: this.initializers,
      inputs: this.inputs,
      outputs: this.outputs,
      docString,
    };
  }

  #claim(name: string): void {
    if (this.#names.has(name)) fail(`graph value '${name}' is defined twice`);
    this.#names.add(name);
  }
}

/** Typed attribute constructors: `{ transB: attr.int(1), alpha: attr.float(0.5) }`. */
export const attr = {
  int: (value: number | bigint): Attribute => ({ type: 'int', value }),
  float: (value: number): Attribute => ({ type: 'float', value }),
  string: (value: string): Attribute => ({ type: 'string', value }),
  ints: (value: readonly (number | bigint)[]): Attribute => ({ type: 'ints', value }),
  floats: (value: readonly number[]): Attribute => ({ type: 'floats', value }),
};

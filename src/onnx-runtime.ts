/**
 * ONNX Runtime policies: the engine opens the runtime library shipped in the
 * onnxruntime-node package and runs models from C++, inside the rollout loop.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, isAbsolute, join, normalize, sep } from 'node:path';
import { z } from 'zod';
import { DilemmaError, ErrorCode } from './errors.js';
import { checkInputFile, readRegularFile } from './fs-safe.js';
import { hasExternalData, inlineExternalData } from './onnx-writer/external-data.js';
import { LIMITS } from './generated/limits.js';
import { native, packageRoot } from './native.js';
import { prebuildsDir } from './binding-loader.js';
import { readInitializers } from './onnx-writer/initializers.js';
import { OnnxModelPolicy } from './trainable-policy.js';
import { parseParams } from './schema.js';
import { isTypedArrayOf } from './validate.js';
import type { BackendStatus } from './backend-status.js';

const LIBRARY_NAMES: Record<string, string> = {
  linux: 'libonnxruntime.so.1',
  darwin: 'libonnxruntime.1.dylib',
  win32: 'onnxruntime.dll',
};

/**
 * Where the runtime library is: DILEMMA_ORT_LIBRARY, else the copy shipped
 * beside the prebuilt addon, else inside an installed onnxruntime-node (a
 * development dependency of a checkout).
 */
export function onnxRuntimeLibrary(): {
  /** The library's path, when one was found. */
  path?: string;
  /** Why none was found. */
  reason?: string;
} {
  if (process.env.DILEMMA_ORT_LIBRARY) return { path: process.env.DILEMMA_ORT_LIBRARY };
  const file = LIBRARY_NAMES[process.platform];
  if (!file) return { reason: `no ONNX Runtime library is known for platform ${process.platform}` };
  const shipped = join(prebuildsDir(packageRoot), file);
  if (existsSync(shipped)) return { path: shipped };
  try {
    const require = createRequire(import.meta.url);
    const pkg = dirname(require.resolve('onnxruntime-node/package.json'));
    const path = join(pkg, 'bin', 'napi-v6', process.platform, process.arch, file);
    if (!existsSync(path)) return { reason: `onnxruntime-node has no ${file} for ${process.platform}/${process.arch}` };
    return { path };
  } catch {
    return { reason: `no ${file} in the package's prebuilds and the onnxruntime-node package is not installed` };
  }
}

function buildReason(): string {
  const path = join(packageRoot, 'build-deps', 'ort-config.json');
  if (!existsSync(path)) return 'the addon was built without ONNX Runtime headers';
  const config = JSON.parse(readFileSync(path, 'utf8')) as { reason?: string };
  return config.reason ?? 'the addon was built without ONNX Runtime headers';
}

let loaded: BackendStatus | undefined;

/** Loads the runtime once and says whether ONNX policies can run, and why not. */
export function onnxStatus(): BackendStatus {
  if (loaded?.available) return loaded;
  const n = native();
  const current = n.ortStatus();
  if (!current.compiled) return { available: false, reason: buildReason() };
  const lib = onnxRuntimeLibrary();
  if (!lib.path) return { available: false, reason: lib.reason };
  loaded = n.ortLoad(lib.path);
  return loaded;
}

function requireRuntime(): void {
  const s = onnxStatus();
  if (!s.available) {
    throw new DilemmaError(ErrorCode.BackendUnavailable, `ONNX policies are unavailable: ${s.reason}`);
  }
}

const optionsSchema = z
  .object({
    /** Name of the observation input; default "obs", else the first input. */
    obsInput: z.string().min(1).optional(),
    /** Name of the logits output; default "logits", else the first output. */
    logitsOutput: z.string().min(1).optional(),
    /** Recurrent state as [input, output] name pairs; default: remaining inputs and outputs, in order. */
    state: z.array(z.tuple([z.string().min(1), z.string().min(1)])).max(64).optional(),
    /** Threads inside each session call (default 1: the rollout already runs one call per thread). */
    intraOpThreads: z.number().int().min(0).max(256).optional(),
    /** ONNX Runtime graph optimisation (default 'all'). */
    graphOptimization: z.enum(['disable', 'basic', 'extended', 'all']).optional(),
    /** Name shown in tables and errors. */
    label: z.string().min(1).max(200).optional(),
    /**
     * Make the model's float32 weights settable with `setWeights`: the runtime then computes from engine-owned
     * copies, without prepacking and without graph optimisations (which may copy weights).
     */
    trainable: z.boolean().optional(),
  })
  .strict();

/**
 * Options of {@link onnx}: input and output names, threads, optimisation level, label.
 *
 * @useDeclaredType
 */
export type OnnxPolicyOptions = z.input<typeof optionsSchema>;

/** A model input or output as ONNX Runtime reports it. */
export interface OnnxTensorInfo {
  /** The tensor's name. */
  name: string;
  /** Its element type, e.g. 'float32'. */
  type: string;
  /** -1 for symbolic dimensions. */
  shape: number[];
}

/**
 * A model: a path to an .onnx file (weights in a side file beside it, as
 * `torch.onnx.export` writes them, are read too), the model's bytes, or
 * `{ model, data }`: the bytes of an .onnx file with external data and the
 * bytes of its side file (one buffer for every tensor, or a record keyed by
 * the `location` the model names, e.g. `{ 'model.onnx.data': bytes }`).
 */
export type ModelSource =
  | string
  | Uint8Array
  | {
      /** The bytes of an .onnx file whose weights live in external data. */
      model: Uint8Array;
      /** The side file's bytes, or one buffer per `location` the model names. */
      data: Uint8Array | Readonly<Record<string, Uint8Array>>;
    };

// The runtime's own limit on one model is protobuf's 2 GiB.
const MAX_MODEL_BYTES = LIMITS.maxModelBytes;
const EXTERNAL_FIX =
  "; keep the .onnx file and its data file together, pass { model, data } buffers, or export the weights inline: " +
  "torch.onnx.export(..., external_data=False) (torch >= 2.5) or onnx.save_model(m, path, save_as_external_data=False)";

function externalFromFolder(path: string): (location: string) => Uint8Array {
  const dir = dirname(path);
  return (location) => {
    const clean = normalize(location);
    if (isAbsolute(clean) || clean === '..' || clean.startsWith(`..${sep}`)) {
      throw new DilemmaError(ErrorCode.ModelLoad, `model ${path} names external data '${location}' outside its folder${EXTERNAL_FIX}`);
    }
    const file = join(dir, clean);
    if (!existsSync(file)) {
      throw new DilemmaError(ErrorCode.ModelLoad, `model ${path} keeps its weights in '${location}', which is not beside it${EXTERNAL_FIX}`);
    }
    return readRegularFile(file, { param: 'model', what: 'external data', maxBytes: MAX_MODEL_BYTES, code: ErrorCode.ModelLoad });
  };
}

/** The path or bytes the native loader takes, with any external data put back inline. */
function checkSource(model: unknown): string | Uint8Array {
  if (typeof model === 'string') {
    if (model.length === 0) throw new DilemmaError(ErrorCode.InvalidArgument, 'model path is empty');
    checkInputFile(model, { param: 'model', what: 'model', code: ErrorCode.ModelLoad });
    const bytes = readRegularFile(model, { param: 'model', what: 'model', maxBytes: MAX_MODEL_BYTES, code: ErrorCode.ModelLoad });
    return hasExternalData(bytes) ? inlineExternalData(bytes, externalFromFolder(model)) : model;
  }
  if (isTypedArrayOf(model, Uint8Array)) {
    if (hasExternalData(model)) {
      throw new DilemmaError(
        ErrorCode.ModelLoad,
        `model bytes keep their weights in an external data file; pass onnx({ model, data }) with the data file's bytes, or a path${EXTERNAL_FIX}`,
      );
    }
    return model;
  }
  if (typeof model === 'object' && model !== null && 'model' in model && 'data' in model) {
    const { model: bytes, data } = model as { model: unknown; data: unknown };
    if (!isTypedArrayOf(bytes, Uint8Array)) throw new DilemmaError(ErrorCode.InvalidArgument, 'model.model must be a Uint8Array of ONNX bytes');
    const single = isTypedArrayOf(data, Uint8Array) ? data : undefined;
    if (!single && (typeof data !== 'object' || data === null)) {
      throw new DilemmaError(ErrorCode.InvalidArgument, 'model.data must be a Uint8Array or a record of Uint8Arrays keyed by location');
    }
    return inlineExternalData(bytes, (location) => {
      const d = single ?? (data as Record<string, unknown>)[location];
      if (!isTypedArrayOf(d, Uint8Array)) {
        throw new DilemmaError(ErrorCode.InvalidArgument, `model.data has no Uint8Array for the location '${location}' the model names`);
      }
      return d;
    });
  }
  throw new DilemmaError(ErrorCode.InvalidArgument, 'model must be a file path, a Uint8Array of ONNX bytes or { model, data }');
}

function nativeOptions(o: z.output<typeof optionsSchema>): Record<string, unknown> {
  const levels = { disable: 0, basic: 1, extended: 2, all: 3 } as const;
  return {
    ...(o.obsInput ? { obsInput: o.obsInput } : {}),
    ...(o.logitsOutput ? { logitsOutput: o.logitsOutput } : {}),
    ...(o.state ? { state: o.state } : {}),
    ...(o.intraOpThreads !== undefined ? { intraOpThreads: o.intraOpThreads } : {}),
    ...(o.graphOptimization ? { graphOptimization: levels[o.graphOptimization] } : {}),
    ...(o.label ? { label: o.label } : {}),
  };
}

/**
 * A policy running an ONNX model: input float32 [batch, obsDim] observations
 * (plus any recurrent state [batch, h], carried natively across steps, zero
 * at the start of an episode), output float32 [batch, actions] logits (plus
 * the next state). Shapes are checked against the game when a rollout binds
 * the policy to a seat. Actions are sampled from softmax(logits / temperature)
 * with the counter-based generator, or taken greedily (rollout options).
 */
export function onnx(model: ModelSource, options: OnnxPolicyOptions = {}): OnnxModelPolicy {
  const source = checkSource(model);
  const o = parseParams(optionsSchema, options, 'options', ErrorCode.InvalidArgument);
  requireRuntime();
  const label = o.label ?? (typeof model === 'string' ? `onnx(${model.split('/').pop()})` : 'onnx');
  if (o.trainable && o.graphOptimization !== undefined && o.graphOptimization !== 'disable') {
    // Graph optimisations may fold or fuse weights into new tensors (a transposed copy, a fused convolution),
    // and writes to the originals would then go unseen.
    throw new DilemmaError(
      ErrorCode.InvalidArgument,
      `options.graphOptimization must be 'disable' (the default) with trainable: true, got '${o.graphOptimization}': optimisations may copy weights, and setWeights would not reach the copies`,
    );
  }
  const weights = o.trainable
    ? readInitializers(typeof source === 'string' ? readRegularFile(source, { param: 'model', what: 'model', maxBytes: MAX_MODEL_BYTES, code: ErrorCode.ModelLoad }) : source).map(
        (w) => [w.name, w.shape, w.data],
      )
    : undefined;
  const settings = nativeOptions({ ...o, label, ...(o.trainable ? { graphOptimization: 'disable' as const } : {}) });
  const handle = native().onnxPolicy(source, { ...settings, ...(weights ? { weights } : {}) });
  return new OnnxModelPolicy(label, handle);
}

/** The model's inputs and outputs as ONNX Runtime sees them. */
export function inspectOnnx(model: ModelSource): {
  /** The model's inputs. */
  inputs: OnnxTensorInfo[];
  /** The model's outputs. */
  outputs: OnnxTensorInfo[];
} {
  const source = checkSource(model);
  requireRuntime();
  return native().onnxInspect(source, {});
}

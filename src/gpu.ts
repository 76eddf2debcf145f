/**
 * The engine's GPU choice, one option everywhere (node-llama-cpp's
 * convention): `'auto'` uses the CUDA kernels where a usable GPU and the
 * library are found and the work is large enough to pay for the copies,
 * `'cuda'` requires them, `false` keeps everything on the CPU.
 */
import { DilemmaError, ErrorCode } from './errors.js';
import { cudaStatus } from './backend-status.js';
import { describe, invalid } from './validate.js';

/** `'auto'` (a usable GPU for large work), `'cuda'` (the GPU or ERR_BACKEND_UNAVAILABLE) or `false` (the CPU). */
export type GpuOption = 'auto' | 'cuda' | false;

/** What the engine chose for its GPU option, and why. */
export interface GpuChoice {
  /** The option in force: per call, else {@link setGpu}, else DILEMMA_GPU, else 'auto'. */
  option: GpuOption;
  /** Where large backend-aware work runs. */
  chosen: 'cpu' | 'cuda';
  /** Why: the device found, or why none is usable. */
  reason: string;
}

let engineDefault: GpuOption | undefined;

function parse(name: string, value: unknown): GpuOption {
  if (value === 'auto' || value === 'cuda' || value === false) return value;
  invalid(name, `must be "auto", "cuda" or false, got ${describe(value)}`);
}

function fromEnvironment(): GpuOption {
  const v = process.env.DILEMMA_GPU;
  if (v === undefined || v === '' || v === 'auto') return 'auto';
  if (v === 'cuda') return 'cuda';
  if (v === 'false' || v === '0' || v === 'cpu') return false;
  invalid('DILEMMA_GPU', `must be "auto", "cuda" or "false", got ${describe(v)}`);
}

/** Sets the engine-wide default of the `gpu` option; `undefined` restores DILEMMA_GPU or 'auto'. Returns the option now in force. */
export function setGpu(option: GpuOption | undefined): GpuOption {
  engineDefault = option === undefined ? undefined : parse('gpu', option);
  return defaultGpu();
}

/** The engine-wide `gpu` option in force. */
export function defaultGpu(): GpuOption {
  return engineDefault ?? fromEnvironment();
}

/**
 * Reads a call's `gpu` option, or its older alias `backend` (`'cpu'` is
 * `false`); the two together are refused. Absent, the engine default holds.
 */
export function gpuOption(o: { gpu?: unknown; backend?: unknown }): GpuOption {
  if (o.gpu !== undefined && o.backend !== undefined) {
    invalid('options.gpu', 'give options.gpu or its alias options.backend, not both');
  }
  if (o.backend !== undefined) {
    const b = o.backend;
    if (b !== 'auto' && b !== 'cpu' && b !== 'cuda') invalid('options.backend', `must be "auto", "cpu" or "cuda", got ${describe(b)}`);
    return b === 'cpu' ? false : b;
  }
  return o.gpu === undefined ? defaultGpu() : parse('options.gpu', o.gpu);
}

/**
 * Resolves an option for work of `size` elements: 'auto' takes the GPU only
 * from `autoMinimum` elements on and only where it is usable; 'cuda' without
 * a usable GPU is ERR_BACKEND_UNAVAILABLE with the reason.
 */
export function resolveGpu(option: GpuOption, size: number, autoMinimum: number): 'cpu' | 'cuda' {
  if (option === false) return 'cpu';
  if (option === 'auto') return size >= autoMinimum && cudaStatus().available ? 'cuda' : 'cpu';
  const status = cudaStatus();
  if (!status.available) {
    throw new DilemmaError(ErrorCode.BackendUnavailable, `gpu 'cuda' is unavailable: ${status.reason}`);
  }
  return 'cuda';
}

/** The engine-wide choice and its reason, as `dilemma info` prints it. */
export function gpuChoice(): GpuChoice {
  let option: GpuOption;
  try {
    option = defaultGpu();
  } catch (e) {
    return { option: 'auto', chosen: 'cpu', reason: (e as Error).message };
  }
  if (option === false) {
    return { option, chosen: 'cpu', reason: engineDefault === false ? 'setGpu(false)' : 'DILEMMA_GPU turns the GPU off' };
  }
  const status = cudaStatus();
  if (!status.available) {
    return {
      option,
      chosen: 'cpu',
      reason: option === 'cuda' ? `gpu 'cuda' was asked for but is unavailable (calls will fail): ${status.reason}` : `no usable GPU: ${status.reason}`,
    };
  }
  const device = status.device === undefined ? 'the GPU' : String(status.device);
  return {
    option,
    chosen: 'cuda',
    reason: option === 'cuda' ? `gpu 'cuda': ${device}` : `${device} is usable; small inputs still run on the CPU`,
  };
}

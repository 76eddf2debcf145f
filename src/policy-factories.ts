import { onnx } from './onnx-runtime.js';
import { scripted, STRATEGIES } from './policies.js';

/**
 * Every way to make a policy, in one namespace: `policies.scripted(...)`, `policies.onnx(...)`.
 *
 * @namespace
 */
export const policies = {
  /** A scripted strategy by name (see {@link scripted}). */
  scripted,
  /** A policy from an ONNX model run by ONNX Runtime (see {@link onnx}). */
  onnx,
  /** Every scripted strategy's name (see {@link STRATEGIES}). */
  strategies: STRATEGIES,
} as const;

import { onnx } from './onnx-runtime.js';
import { scripted, STRATEGIES } from './policies.js';

/**
 * Every way to make a policy, in one namespace: `policies.scripted(...)`, `policies.onnx(...)`.
 *
 * @namespace
 */
export const policies = { scripted, onnx, /** Every scripted strategy's name (see {@link STRATEGIES}). */ strategies: STRATEGIES } as const;

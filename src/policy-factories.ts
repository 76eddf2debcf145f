/** Every way to make a policy, in one namespace: `policies.scripted(...)`, `policies.onnx(...)`. */
import { onnx } from './onnx-runtime.js';
import { scripted, STRATEGIES } from './policies.js';

export const policies = { scripted, onnx, strategies: STRATEGIES } as const;

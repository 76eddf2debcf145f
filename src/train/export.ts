/**
 * ONNX export of a trained model's flat parameters, through the package's
 * ONNX writer (src/onnx).
 */
import { modelLayout, toWriterWeights } from '../models.js';
import { gruPolicy, mlpPolicy } from '../onnx-writer/policies.js';
import { modelSchema, type ModelSpec } from './config.js';

/**
 * ONNX bytes for a model's flat parameters: MLP and GRU as the writer's
 * models, a one-block table as a linear model whose weights are the table
 * (one-hot observations pick a row).
 */
export function exportModelOnnx(spec: ModelSpec, info: { obsDim: number; actions: number }, params: Float32Array): Uint8Array {
  const s = modelSchema.parse(spec);
  const { kind: _kind, ...options } = s;
  const layout = modelLayout(s.kind, { ...options, obsDim: info.obsDim, actions: info.actions });
  if (s.kind === 'gru') {
    return gruPolicy({ obsDim: info.obsDim, actions: info.actions, hidden: layout.kind === 'gru' ? layout.hidden : undefined, weights: toWriterWeights('gru', params, layout) }).bytes;
  }
  const hidden = layout.kind === 'mlp' ? [...layout.hidden] : [];
  const activation = layout.kind === 'mlp' ? layout.activation : undefined;
  return mlpPolicy({ obsDim: info.obsDim, actions: info.actions, hidden, activation, weights: toWriterWeights(s.kind, params, layout) }).bytes;
}

/**
 * Player specifications on the command line: a strategy name
 * (`tit-for-tat`), a strategy with parameters (`random:p=0.3`), a training
 * checkpoint (`ckpt:runs/x/checkpoint.json`) or an ONNX model (`onnx:model.onnx`).
 */
import { DilemmaError, ErrorCode } from '../errors.js';
import { onnx } from '../onnx-runtime.js';
import { Policy, scripted, STRATEGIES, type StrategyName } from '../policies.js';
import { loadPolicy } from '../train.js';

export function parsePlayer(spec: string): Policy {
  if (spec.startsWith('ckpt:')) return loadPolicy(spec.slice(5), spec.slice(5).split('/').slice(-2).join('/'), `player '${spec}'`);
  if (spec.startsWith('onnx:')) return onnx(spec.slice(5), { label: spec.slice(5).split('/').pop() });
  const [name, args] = spec.split(':', 2);
  if (!(STRATEGIES as readonly string[]).includes(name)) {
    throw new DilemmaError(
      ErrorCode.UnknownStrategy,
      `unknown player '${spec}': use a strategy (${STRATEGIES.join(', ')}), ckpt:PATH or onnx:PATH`,
    );
  }
  // Entries, not assignments: a key such as __proto__ must reach the schema as a key (and be refused).
  const params: Array<[string, number]> = [];
  for (const kv of args ? args.split(',') : []) {
    const [k, v] = kv.split('=');
    const n = Number(v);
    if (!k || v === undefined || !Number.isFinite(n)) {
      throw new DilemmaError(ErrorCode.InvalidArgument, `player '${spec}': parameters are key=number pairs separated by commas`);
    }
    params.push([k, n]);
  }
  return scripted(name as StrategyName, Object.fromEntries(params) as never);
}

/**
 * Player specifications on the command line: a strategy name
 * (`tit-for-tat`), a strategy with parameters (`random:p=0.3`), a training
 * checkpoint (`ckpt:runs/x/checkpoint.json`) or an ONNX model (`onnx:model.onnx`).
 */
import { resolve } from 'node:path';
import { didYouMean } from '../did-you-mean.js';
import { DilemmaError, ErrorCode, isDilemmaError } from '../errors.js';
import { onnx } from '../onnx-runtime.js';
import { Policy, scripted, STRATEGIES, type StrategyName } from '../policies.js';
import { loadPolicy } from '../train.js';

/**
 * Makes the player a specification names. `param` names where the
 * specification came from (`config.evaluate.opponents.1`) in errors, which
 * suggest the closest strategy for a mistyped name. `base`, when given, is the
 * folder relative `ckpt:`/`onnx:` paths are read from (a queue worker reads
 * them from where the command was run); labels come from the paths as written.
 */
export function parsePlayer(spec: string, param?: string, base?: string): Policy {
  const where = param ? `${param}: ` : '';
  if (typeof spec !== 'string' || spec.length === 0) {
    throw new DilemmaError(ErrorCode.InvalidArgument, `${where}a player must be a strategy name, ckpt:PATH or onnx:PATH`);
  }
  const at = (path: string) => (base === undefined ? path : resolve(base, path));
  if (spec.startsWith('ckpt:')) return loadPolicy(at(spec.slice(5)), spec.slice(5).split('/').slice(-2).join('/'), param ?? `player '${spec}'`);
  if (spec.startsWith('onnx:')) {
    try {
      return onnx(at(spec.slice(5)), { label: spec.slice(5).split('/').pop() });
    } catch (e) {
      if (param && isDilemmaError(e)) throw new DilemmaError(e.code, `${where}${e.message}`, { cause: e });
      throw e;
    }
  }
  const [name, args] = spec.split(':', 2);
  if (!(STRATEGIES as readonly string[]).includes(name)) {
    throw new DilemmaError(
      ErrorCode.UnknownStrategy,
      `${where}unknown player '${spec}'${didYouMean(name, STRATEGIES)}: use a strategy (${STRATEGIES.join(', ')}), ckpt:PATH or onnx:PATH`,
    );
  }
  // Entries, not assignments: a key such as __proto__ must reach the schema as a key (and be refused).
  const params: Array<[string, number]> = [];
  for (const kv of args ? args.split(',') : []) {
    const [k, v] = kv.split('=');
    const n = Number(v);
    if (!k || v === undefined || !Number.isFinite(n)) {
      throw new DilemmaError(ErrorCode.InvalidArgument, `${where}player '${spec}': parameters are key=number pairs separated by commas`);
    }
    params.push([k, n]);
  }
  try {
    return scripted(name as StrategyName, Object.fromEntries(params) as never);
  } catch (e) {
    if (param && isDilemmaError(e)) throw new DilemmaError(e.code, `${where}player '${spec}': ${e.message}`, { cause: e });
    throw e;
  }
}

/**
 * Policies that the native rollout loop runs. Scripted strategies play any
 * two-action iterated game (action 0 = cooperate, the game's last action =
 * defect) from the last round's moves; the trust-and-split agents play
 * `trust-and-split` from its hands, messages and last round's reveals.
 */
import type { z } from 'zod';
import { DilemmaError, ErrorCode } from './errors.js';
import type { StrategyParams } from './generated/params.js';
import { native, type NativePolicy } from './native.js';
import { parseParams, specsSchema, type ParamSpec } from './schema.js';

/** Strategies for any two-action iterated game (the IPD, matrix games, public goods). */
export const TWO_ACTION_STRATEGIES = [
  'always-cooperate',
  'always-defect',
  'tit-for-tat',
  'suspicious-tit-for-tat',
  'generous-tit-for-tat',
  'grim-trigger',
  'win-stay-lose-shift',
  'alternate',
  'random',
  'zd-extortion',
] as const;

/**
 * Scripted agents for `trust-and-split` (native/core/trust_and_split_agents.cpp):
 * greedy-splitter (says take-all, proposes all coins), welfare-splitter
 * (claims its hand, trusts the other's claim: all coins when it wins, 0 when
 * it loses, half without a claim), honest-reciprocator (the welfare splitter
 * that proposes all coins for one round after the other lied or, losing,
 * proposed more than 0) and liar (claims the hand that beats the other's
 * claim or its own hand; proposes all coins).
 */
export const TRUST_AND_SPLIT_STRATEGIES = ['greedy-splitter', 'welfare-splitter', 'honest-reciprocator', 'liar'] as const;

/** Every scripted strategy, in the native registry's order. */
export const STRATEGIES = [...TWO_ACTION_STRATEGIES, ...TRUST_AND_SPLIT_STRATEGIES] as const;
/** The name of a scripted strategy, one of {@link STRATEGIES}. */
export type StrategyName = (typeof STRATEGIES)[number];

/** The scripted strategies that play a game: the trust-and-split agents for `trust-and-split`, else the two-action ones. */
export function strategiesFor(gameId: string): readonly StrategyName[] {
  return gameId === 'trust-and-split' ? TRUST_AND_SPLIT_STRATEGIES : TWO_ACTION_STRATEGIES;
}

const strategySchemas = new Map<string, z.ZodType>();

/** The native parameter specs of a scripted strategy (undefined for an unknown name). */
export function strategyParamSpecs(name: string): readonly ParamSpec[] | undefined {
  if (typeof name !== 'string' || !(STRATEGIES as readonly string[]).includes(name)) return undefined;
  return native().strategySpecs().find((s) => s.name === name)?.params;
}

// Built from the native spec at first use of each strategy.
function strategySchema(name: StrategyName): z.ZodType {
  let schema = strategySchemas.get(name);
  if (!schema) {
    schema = specsSchema(strategyParamSpecs(name) ?? []);
    strategySchemas.set(name, schema);
  }
  return schema;
}

export type { StrategyParams } from './generated/params.js';

/** A policy the native loop can run. Owns a native object: dispose() when done. */
export class Policy {
  /** The strategy's name or the policy's label. */
  readonly name: string;
  /** The validated parameters, frozen (empty for non-scripted policies). */
  readonly params: Readonly<Record<string, unknown>>;
  #handle: NativePolicy | undefined;

  /** @internal */
  constructor(name: string, params: Record<string, unknown>, handle: NativePolicy) {
    this.name = name;
    this.params = Object.freeze({ ...params });
    this.#handle = handle;
  }

  /**
   * The native handle; throws ERR_DISPOSED after dispose().
   *
   * @internal
   */
  get handle(): NativePolicy {
    if (!this.#handle) throw new DilemmaError(ErrorCode.Disposed, `policy '${this.name}' was disposed`);
    return this.#handle;
  }

  /** A short label: the name with its parameters. */
  get label(): string {
    const entries = Object.entries(this.params);
    return entries.length === 0 ? this.name : `${this.name}(${entries.map(([k, v]) => `${k}=${v}`).join(',')})`;
  }

  /** Frees the native policy; later use throws ERR_DISPOSED. Safe to call twice. */
  dispose(): void {
    this.#handle?.dispose();
    this.#handle = undefined;
  }

  /** Same as {@link Policy.dispose}, for `using`. */
  [Symbol.dispose](): void {
    this.dispose();
  }
}

/**
 * A scripted strategy: `scripted('tit-for-tat')`, `scripted('random', { p: 0.8 })`.
 *
 * @throws DilemmaError `ERR_UNKNOWN_STRATEGY` for an unknown name, `ERR_INVALID_PARAM` for a bad parameter (naming it).
 */
export function scripted<K extends StrategyName>(
  name: K,
  params?: K extends keyof StrategyParams ? StrategyParams[K] : Record<string, never>,
): Policy {
  if (typeof name !== 'string' || !(STRATEGIES as readonly string[]).includes(name)) {
    throw new DilemmaError(
      ErrorCode.UnknownStrategy,
      `unknown strategy ${JSON.stringify(name)} (known: ${STRATEGIES.join(', ')})`,
    );
  }
  const checked = parseParams(strategySchema(name), params, 'params') as Record<string, unknown>;
  return new Policy(name, checked, native().strategy(name, checked));
}

/** A policy given by instance, by strategy name, or as { strategy, params }. */
export type PolicySpec =
  | Policy
  | StrategyName
  | {
      /** The strategy's name. */
      strategy: StrategyName;
      /** Its parameters (see {@link StrategyParams}). */
      params?: Record<string, number>;
    };

export function resolvePolicy(spec: PolicySpec, name: string): { policy: Policy; owned: boolean } {
  if (spec instanceof Policy) return { policy: spec, owned: false };
  if (typeof spec === 'string') return { policy: scripted(spec as StrategyName), owned: true };
  if (typeof spec === 'object' && spec !== null && typeof (spec as { strategy?: unknown }).strategy === 'string') {
    return { policy: scripted(spec.strategy, spec.params as never), owned: true };
  }
  throw new DilemmaError(
    ErrorCode.InvalidArgument,
    `${name} must be a Policy, a strategy name or { strategy, params }`,
  );
}



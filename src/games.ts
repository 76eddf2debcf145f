/**
 * Games: ids, typed parameters with their defaults, and the Game handle. The
 * rules live in the native core; this module describes and validates.
 */
import type { z } from 'zod';
import { DilemmaError, ErrorCode } from './errors.js';
import * as Generated from './generated/params.js';
import { GAME_PARAM_CHOICES, type GameParamsById } from './generated/params.js';
import { native, type NativeGame } from './native.js';
import { parseParams, specDefault, specsSchema, type ParamSpec } from './schema.js';

/** Named 2x2 payoff tables of the `matrix` game, from its native spec. */
export const MATRIX_PRESETS = GAME_PARAM_CHOICES.matrix.preset;
/** One of {@link MATRIX_PRESETS}. */
export type MatrixPreset = (typeof MATRIX_PRESETS)[number];

/** Named trust-and-split vocabularies (see README: trust-and-split messages), from its native spec. */
export const TRUST_AND_SPLIT_MESSAGES = GAME_PARAM_CHOICES['trust-and-split'].messages;
const TOKEN = /^(none|claim-(rock|paper|scissors)|take-(\d{1,6}))$/;

type Specs = readonly ParamSpec[];
type Rules = (schema: z.ZodObject, specs: Specs) => z.ZodType;

// Rules that relate two parameters; every range, default and choice comes from the native spec.
const rules: Partial<Record<GameId, Rules>> = {
  matrix: (s) =>
    s.refine((p) => !(p.preset !== undefined && p.payoffs !== undefined), {
      message: 'preset and payoffs are exclusive: give one',
    }),
  coin: (s) =>
    s.refine((p) => !(p.size !== undefined && (p.width !== undefined || p.height !== undefined)), {
      message: 'size and width/height are exclusive: give size for a square grid, else width and height',
    }),
  negotiation: (s, specs) =>
    s.refine(
      (p) =>
        ((p.lowUtility ?? specDefault(specs, 'lowUtility')) as number) <=
        ((p.highUtility ?? specDefault(specs, 'highUtility')) as number),
      { message: 'lowUtility must not exceed highUtility', path: ['lowUtility'] },
    ),
  split: (s, specs) =>
    s.refine(
      (p) =>
        ((p.lowValue ?? specDefault(specs, 'lowValue')) as number) < ((p.highValue ?? specDefault(specs, 'highValue')) as number),
      { message: 'lowValue must be below highValue', path: ['lowValue'] },
    ),
  'trust-and-split': trustAndSplitRules,
};

function trustAndSplitRules(schema: z.ZodObject, specs: Specs): z.ZodType {
  const maxTokens = specs.find((s) => s.name === 'messages')!.length!;
  return (
    schema
      .superRefine((raw, ctx) => {
        const p = raw as Record<string, unknown> & { messages?: string | string[] };
        const low = (p.lowValue ?? specDefault(specs, 'lowValue')) as number;
        const high = (p.highValue ?? specDefault(specs, 'highValue')) as number;
        if (low > high) {
          ctx.addIssue({ code: 'custom', message: 'lowValue must not exceed highValue', path: ['lowValue'] });
        }
        const presets: readonly string[] = TRUST_AND_SPLIT_MESSAGES;
        if (p.messages === undefined || (typeof p.messages === 'string' && presets.includes(p.messages))) return;
        const list = Array.isArray(p.messages);
        const tokens = Array.isArray(p.messages) ? p.messages : p.messages.split(/[\s,]+/).filter(Boolean);
        if (tokens.length === 0 || tokens.length > maxTokens) {
          ctx.addIssue({
            code: 'custom',
            message: `must be a preset (${presets.join(', ')}) or 1 to ${maxTokens} tokens`,
            path: ['messages'],
          });
          return;
        }
        const coins = (p.coins ?? specDefault(specs, 'coins')) as number;
        const seen = new Set<string>();
        tokens.forEach((token, i) => {
          const m = TOKEN.exec(token);
          let problem: string | undefined;
          if (!m) problem = `'${token}' is not a token (none, claim-rock, claim-paper, claim-scissors, take-K)`;
          else if (m[3] !== undefined && Number(m[3]) > coins) problem = `'${token}' takes more than the ${coins} coins`;
          else if (seen.has(token)) problem = `'${token}' is repeated`;
          seen.add(token);
          if (problem) ctx.addIssue({ code: 'custom', message: problem, path: list ? ['messages', i] : ['messages'] });
        });
      })
      // The native side reads a token list as one string.
      .transform((p) => (Array.isArray(p.messages) ? { ...p, messages: p.messages.join(' ') } : p))
  );
}

export type { GameParamsById } from './generated/params.js';

/** A game's id: one of {@link GAME_IDS}. */
export type GameId = keyof GameParamsById;

/** Every game id, in the native registry's order. */
export const GAME_IDS = Generated.GAME_IDS as readonly GameId[] as GameId[];

const isGameId = (id: unknown): id is GameId => typeof id === 'string' && (GAME_IDS as readonly string[]).includes(id);

let specCache: Map<GameId, Specs> | undefined;
const schemaCache = new Map<GameId, z.ZodType>();

/** The native parameter specs of a game (undefined for an unknown id). */
export function gameParamSpecs(id: string): readonly ParamSpec[] | undefined {
  if (!isGameId(id)) return undefined;
  specCache ??= new Map(native().gameSpecs().map((g) => [g.id as GameId, Object.freeze(g.params.map((s) => Object.freeze(s)))]));
  return specCache.get(id);
}

/**
 * The zod schema of a game's parameters (undefined for an unknown id), for
 * callers that check parameters before a game is made, such as the command
 * line checking a whole experiment file. Built from the native spec at first use.
 */
export function gameParamsSchema(id: string): z.ZodType | undefined {
  if (!isGameId(id)) return undefined;
  let schema = schemaCache.get(id);
  if (!schema) {
    const specs = gameParamSpecs(id)!;
    const object = specsSchema(specs);
    schema = rules[id]?.(object, specs) ?? object;
    schemaCache.set(id, schema);
  }
  return schema;
}

/** Shape facts of a game with its parameters resolved. */
export interface GameInfo {
  /** The game's id. */
  id: GameId;
  /** Agents (seats) per episode. */
  agents: number;
  /** Floats per agent observation. */
  obsDim: number;
  /** Size of each agent's discrete action space. */
  actions: number;
  /** Upper bound on an episode's length. */
  maxSteps: number;
  /** Whether scripted two-action strategies can play it. */
  twoAction: boolean;
}

/** A game and its parameters, checked and resolved natively. Owns a small native object. */
export class Game {
  /** The game's id. */
  readonly id: GameId;
  /** The parameters as given and validated (defaults not filled in), frozen. */
  readonly params: Readonly<Record<string, unknown>>;
  /** Shape facts with the parameters resolved, frozen. */
  readonly info: GameInfo;
  #handle: NativeGame | undefined;

  constructor(id: GameId, params: Record<string, unknown> = {}) {
    // Own keys only: ids such as 'constructor' or '__proto__' are inherited names, not games.
    if (!isGameId(id)) {
      throw new DilemmaError(
        ErrorCode.UnknownGame,
        `unknown game ${JSON.stringify(id)} (known: ${GAME_IDS.join(', ')})`,
      );
    }
    const checked = parseParams(gameParamsSchema(id)!, params, 'params') as Record<string, unknown>;
    this.id = id;
    this.params = Object.freeze({ ...checked });
    this.#handle = new (native().Game)(id, nativeParams(checked));
    const i = this.#handle.info();
    this.info = Object.freeze({
      id,
      agents: i.agents,
      obsDim: i.obsDim,
      actions: i.actions,
      maxSteps: i.maxSteps,
      twoAction: i.twoAction,
    });
  }

  /**
   * The native handle; throws ERR_DISPOSED after dispose().
   *
   * @internal
   */
  get handle(): NativeGame {
    if (!this.#handle) throw new DilemmaError(ErrorCode.Disposed, `game '${this.id}' was disposed`);
    return this.#handle;
  }

  /** Frees the native game; rollouts, envs and trainers made from it afterwards throw ERR_DISPOSED. Safe to call twice. */
  dispose(): void {
    this.#handle?.dispose();
    this.#handle = undefined;
  }

  /** Same as {@link Game.dispose}, for `using`. */
  [Symbol.dispose](): void {
    this.dispose();
  }
}

// Native parameters are numbers, number lists or strings: flags travel as 0/1.
function nativeParams(params: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(params)) out[key] = typeof value === 'boolean' ? Number(value) : value;
  return out;
}

/**
 * A game id with the parameters of that game: a union discriminated by `id`,
 * so that `{ id: 'matrix', params: { preset: 'stag-hunts' } }` fails to
 * typecheck (an unknown preset), as does a parameter of another game.
 */
export type GameConfig = {
  [K in GameId]: {
    /** The game's id. */
    id: K;
    /** That game's parameters (see {@link GameParamsById}); every one has a default. */
    params?: GameParamsById[K];
  };
}[GameId];

/** A game given by instance, by id, or by { id, params } (see {@link GameConfig}). */
export type GameSpec = Game | GameId | GameConfig;

/**
 * A game with typed parameters: `makeGame('ipd', { rounds: 20 })`.
 *
 * @throws DilemmaError `ERR_UNKNOWN_GAME` for an unknown id, `ERR_INVALID_PARAM` for a bad parameter (naming it).
 */
export function makeGame<K extends GameId>(id: K, params: GameParamsById[K] = {} as GameParamsById[K]): Game {
  return new Game(id, params as Record<string, unknown>);
}

/**
 * Resolves a GameSpec; `owned` says whether the caller must dispose the
 * result. Also takes an id and parameters known only at run time (a config
 * read from a file), which the Game constructor checks.
 */
export function resolveGame(spec: GameSpec | { id: GameId; params?: Record<string, unknown> }, name = 'game'): { game: Game; owned: boolean } {
  if (spec instanceof Game) return { game: spec, owned: false };
  if (typeof spec === 'string') return { game: new Game(spec), owned: true };
  if (typeof spec === 'object' && spec !== null && typeof (spec as { id?: unknown }).id === 'string') {
    return { game: new Game(spec.id, (spec.params ?? {}) as Record<string, unknown>), owned: true };
  }
  throw new DilemmaError(ErrorCode.InvalidArgument, `${name} must be a Game, a game id or { id, params }`);
}

/**
 * Games: ids, typed parameters with their defaults, and the Game handle. The
 * rules live in the native core; this module describes and validates.
 */
import { z } from 'zod';
import { DilemmaError, ErrorCode } from './errors.js';
import { native, type NativeGame } from './native.js';
import { parseParams } from './schema.js';

export const MATRIX_PRESETS = [
  'prisoners-dilemma',
  'stag-hunt',
  'chicken',
  'battle-of-the-sexes',
  'matching-pennies',
] as const;
export type MatrixPreset = (typeof MATRIX_PRESETS)[number];

const rounds = z.number().int().min(1).max(1 << 20);

const matrixSchema = z
  .object({
    /** Named payoff table; default 'prisoners-dilemma' (CC 3/3, CD 0/5, DC 5/0, DD 1/1). */
    preset: z.enum(MATRIX_PRESETS).optional(),
    /**
     * Payoff table as 8 numbers: for the joint moves (0,0), (0,1), (1,0), (1,1)
     * (agent 0's move first), agent 0's then agent 1's payoff. Exclusive with preset.
     */
    payoffs: z.array(z.number().finite()).length(8).optional(),
    /** Rounds per episode (the cap when continuation < 1). Default 10. */
    rounds: rounds.optional(),
    /** Probability that another round follows each round. Default 1 (fixed length). */
    continuation: z.number().min(0).max(1).optional(),
    /** Probability that each executed move is flipped. Default 0. */
    noise: z.number().min(0).max(0.5).optional(),
    /** Rounds remembered in the observation (5 one-hot values each). Default 1. */
    history: z.number().int().min(1).max(8).optional(),
  })
  .strict()
  .refine((p) => !(p.preset !== undefined && p.payoffs !== undefined), {
    message: 'preset and payoffs are exclusive: give one',
  });

const ipdSchema = z
  .object({
    rounds: rounds.optional(),
    continuation: z.number().min(0).max(1).optional(),
    noise: z.number().min(0).max(0.5).optional(),
    history: z.number().int().min(1).max(8).optional(),
  })
  .strict();

const publicGoodsSchema = z
  .object({
    /** Number of players. Default 4. */
    players: z.number().int().min(2).max(64).optional(),
    /** Pot multiplier r. Default 1.6. */
    multiplier: z.number().min(0).max(1e6).optional(),
    /** Rounds per episode. Default 10. */
    rounds: rounds.optional(),
    /** Contribution levels: action 0 contributes everything, action levels-1 nothing. Default 2. */
    levels: z.number().int().min(2).max(101).optional(),
    /** Endowment per round. Default 1. */
    endowment: z.number().min(1e-9).max(1e9).optional(),
  })
  .strict();

const gridSide = z.number().int().min(2).max(16);

const coinSchema = z
  .object({
    /** Side of a square grid (toroidal). Default 3. Exclusive with width/height. */
    size: gridSide.optional(),
    /** Grid width; default size (3). */
    width: gridSide.optional(),
    /** Grid height; default size (3). */
    height: gridSide.optional(),
    /** Steps per episode. Default 16 (the Advantage Alignment paper uses 16 or 32). */
    rounds: rounds.optional(),
    /** Paid to an agent that steps onto the coin, whatever its colour. Default 1. */
    reward: z.number().min(-1e6).max(1e6).optional(),
    /** Lost by the coin's owner when the other agent picks it up (subtracted). Default 2. */
    penalty: z.number().min(-1e6).max(1e6).optional(),
    /** Adds action 4 = stay to up, down, left, right. Default false. */
    stay: z.boolean().optional(),
  })
  .strict()
  .refine((p) => !(p.size !== undefined && (p.width !== undefined || p.height !== undefined)), {
    message: 'size and width/height are exclusive: give size for a square grid, else width and height',
  });

export type MatrixParams = z.input<typeof matrixSchema>;
export type IpdParams = z.input<typeof ipdSchema>;
export type PublicGoodsParams = z.input<typeof publicGoodsSchema>;
export type CoinParams = z.input<typeof coinSchema>;

export interface GameParamsById {
  matrix: MatrixParams;
  ipd: IpdParams;
  'public-goods': PublicGoodsParams;
  coin: CoinParams;
}
export type GameId = keyof GameParamsById;

const schemas: { [K in GameId]: z.ZodType } = {
  matrix: matrixSchema,
  ipd: ipdSchema,
  'public-goods': publicGoodsSchema,
  coin: coinSchema,
};

export const GAME_IDS = Object.keys(schemas) as GameId[];

/** Shape facts of a game with its parameters resolved. */
export interface GameInfo {
  id: GameId;
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
  readonly id: GameId;
  readonly params: Readonly<Record<string, unknown>>;
  readonly info: GameInfo;
  #handle: NativeGame | undefined;

  constructor(id: GameId, params: Record<string, unknown> = {}) {
    if (typeof id !== 'string' || !(id in schemas)) {
      throw new DilemmaError(
        ErrorCode.UnknownGame,
        `unknown game ${JSON.stringify(id)} (known: ${GAME_IDS.join(', ')})`,
      );
    }
    const checked = parseParams(schemas[id], params, 'params') as Record<string, unknown>;
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

  /** The native handle; throws ERR_DISPOSED after dispose(). */
  get handle(): NativeGame {
    if (!this.#handle) throw new DilemmaError(ErrorCode.Disposed, `game '${this.id}' was disposed`);
    return this.#handle;
  }

  dispose(): void {
    this.#handle?.dispose();
    this.#handle = undefined;
  }

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

/** A game given by instance, by id, or by { id, params }. */
export type GameSpec = Game | GameId | { id: GameId; params?: Record<string, unknown> };

export function makeGame<K extends GameId>(id: K, params: GameParamsById[K] = {} as GameParamsById[K]): Game {
  return new Game(id, params as Record<string, unknown>);
}

/** Resolves a GameSpec; `owned` says whether the caller must dispose the result. */
export function resolveGame(spec: GameSpec, name = 'game'): { game: Game; owned: boolean } {
  if (spec instanceof Game) return { game: spec, owned: false };
  if (typeof spec === 'string') return { game: new Game(spec), owned: true };
  if (typeof spec === 'object' && spec !== null && typeof (spec as { id?: unknown }).id === 'string') {
    return { game: new Game(spec.id, spec.params ?? {}), owned: true };
  }
  throw new DilemmaError(ErrorCode.InvalidArgument, `${name} must be a Game, a game id or { id, params }`);
}

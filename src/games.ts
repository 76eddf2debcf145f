/**
 * Games: ids, typed parameters with their defaults, and the Game handle. The
 * rules live in the native core; this module describes and validates.
 */
import { z } from 'zod';
import { DilemmaError, ErrorCode } from './errors.js';
import { native, type NativeGame } from './native.js';
import { parseParams } from './schema.js';

/** Named 2x2 payoff tables of the `matrix` game. */
export const MATRIX_PRESETS = [
  'prisoners-dilemma',
  'stag-hunt',
  'chicken',
  'battle-of-the-sexes',
  'matching-pennies',
] as const;
/** One of {@link MATRIX_PRESETS}. */
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
    /** Rounds per episode (the cap when continuation < 1), 1..2^20. Default 10. */
    rounds: rounds.optional(),
    /** Probability in [0, 1] that another round follows each round. Default 1 (fixed length). */
    continuation: z.number().min(0).max(1).optional(),
    /** Probability in [0, 0.5] that each executed move is flipped. Default 0. */
    noise: z.number().min(0).max(0.5).optional(),
    /** Rounds remembered in the observation (5 one-hot values each), 1..8. Default 1. */
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

const items = z.number().int().min(1).max(8);
const nonNegative = z.number().min(0).max(1e6);

const negotiationSchema = z
  .object({
    /** Item types. Default 3. */
    items: items.optional(),
    /** Proposals per item are shares 0..levels (action p claims p). Default 5. */
    levels: z.number().int().min(1).max(100).optional(),
    /** Rounds per episode, each one step per item. Default 10. */
    rounds: rounds.optional(),
    /** Agent 0's utility of an item is lowUtility or highUtility at random; agent 1's is the other. Default 1. */
    lowUtility: nonNegative.optional(),
    /** Default 5 (so u₂ = 6 − u₁). */
    highUtility: nonNegative.optional(),
  })
  .strict()
  .refine((p) => (p.lowUtility ?? 1) <= (p.highUtility ?? 5), {
    message: 'lowUtility must not exceed highUtility',
    path: ['lowUtility'],
  });

const splitSchema = z
  .object({
    /** Item types. Default 3. */
    items: items.optional(),
    /** Units of each item; action x takes x units. Default 10. */
    units: z.number().int().min(1).max(1000).optional(),
    /** Rounds per episode, each one step per item. Default 10. */
    rounds: rounds.optional(),
    /** Each agent values each item at lowValue or highValue (public), differing on at least one item. Default 1. */
    lowValue: nonNegative.optional(),
    /** Default 10. */
    highValue: nonNegative.optional(),
  })
  .strict()
  .refine((p) => (p.lowValue ?? 1) < (p.highValue ?? 10), {
    message: 'lowValue must be below highValue',
    path: ['lowValue'],
  });

/** Named trust-and-split vocabularies (see README: trust-and-split messages). */
export const TRUST_AND_SPLIT_MESSAGES = ['default', 'claims', 'silent'] as const;
const TOKEN = /^(none|claim-(rock|paper|scissors)|take-(\d{1,6}))$/;

const trustAndSplitSchema = z
  .object({
    /** Rounds per episode, three steps each (message, message, proposals). Default 10. */
    rounds: rounds.optional(),
    /** Coins split each round; proposals are 0..coins. Default 10. */
    coins: z.number().int().min(1).max(1000).optional(),
    /** Value per coin of the round's rock-paper-scissors winner. Default 10. */
    highValue: nonNegative.optional(),
    /** Value per coin of the loser. Default 1. */
    lowValue: nonNegative.optional(),
    /**
     * The message vocabulary: a preset ('default': claim-rock, claim-paper,
     * claim-scissors, take-K for 0, 20%, 50%, 80%, 100% of the coins, none;
     * 'claims': the claims and none; 'silent': none) or tokens in action
     * order, as an array or one string separated by spaces or commas:
     * 'none', 'claim-rock', 'claim-paper', 'claim-scissors', 'take-K'
     * (suggests "I take K coins", K in 0..coins). Default 'default'.
     */
    messages: z.union([z.string(), z.array(z.string()).min(1).max(64)]).optional(),
    /** The first speaker alternates by round (agent 0 first in round 0); false: agent 0 always first. Default true. */
    alternateSpeaker: z.boolean().optional(),
  })
  .strict()
  .superRefine((p, ctx) => {
    if ((p.lowValue ?? 1) > (p.highValue ?? 10)) {
      ctx.addIssue({ code: 'custom', message: 'lowValue must not exceed highValue', path: ['lowValue'] });
    }
    const presets: readonly string[] = TRUST_AND_SPLIT_MESSAGES;
    if (p.messages === undefined || (typeof p.messages === 'string' && presets.includes(p.messages))) return;
    const list = Array.isArray(p.messages);
    const tokens = Array.isArray(p.messages) ? p.messages : p.messages.split(/[\s,]+/).filter(Boolean);
    if (tokens.length === 0 || tokens.length > 64) {
      ctx.addIssue({
        code: 'custom',
        message: 'must be a preset (default, claims, silent) or 1 to 64 tokens',
        path: ['messages'],
      });
      return;
    }
    const coins = p.coins ?? 10;
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
  .transform((p) => (Array.isArray(p.messages) ? { ...p, messages: p.messages.join(' ') } : p));

/**
 * Parameters of `matrix`, a repeated 2x2 game (action 0 cooperates).
 *
 * @useDeclaredType
 */
export type MatrixParams = z.input<typeof matrixSchema>;
/**
 * Parameters of `ipd`, the iterated prisoner's dilemma (CC 3/3, CD 0/5, DC 5/0, DD 1/1; action 0 cooperates).
 *
 * @useDeclaredType
 */
export type IpdParams = z.input<typeof ipdSchema>;
/**
 * Parameters of `public-goods`, an n-player repeated public goods game.
 *
 * @useDeclaredType
 */
export type PublicGoodsParams = z.input<typeof publicGoodsSchema>;
/**
 * Parameters of `coin`, the two-agent coin game on a toroidal grid.
 *
 * @useDeclaredType
 */
export type CoinParams = z.input<typeof coinSchema>;
/**
 * Parameters of `negotiation`, item-by-item negotiation with private utilities.
 *
 * @useDeclaredType
 */
export type NegotiationParams = z.input<typeof negotiationSchema>;
/**
 * Parameters of `split`, item splitting with public values.
 *
 * @useDeclaredType
 */
export type SplitParams = z.input<typeof splitSchema>;
/**
 * Parameters of `trust-and-split`: cheap-talk messages, then a split of coins whose values follow a rock-paper-scissors round.
 *
 * @useDeclaredType
 */
export type TrustAndSplitParams = z.input<typeof trustAndSplitSchema>;

/** Each game id with the type of its parameters. */
export interface GameParamsById {
  /** See {@link MatrixParams}. */
  matrix: MatrixParams;
  /** See {@link IpdParams}. */
  ipd: IpdParams;
  /** See {@link PublicGoodsParams}. */
  'public-goods': PublicGoodsParams;
  /** See {@link CoinParams}. */
  coin: CoinParams;
  /** See {@link NegotiationParams}. */
  negotiation: NegotiationParams;
  /** See {@link SplitParams}. */
  split: SplitParams;
  /** See {@link TrustAndSplitParams}. */
  'trust-and-split': TrustAndSplitParams;
}
/** A game's id: 'matrix', 'ipd', 'public-goods', 'coin', 'negotiation', 'split' or 'trust-and-split'. */
export type GameId = keyof GameParamsById;

const schemas: { [K in GameId]: z.ZodType } = {
  matrix: matrixSchema,
  ipd: ipdSchema,
  'public-goods': publicGoodsSchema,
  coin: coinSchema,
  negotiation: negotiationSchema,
  split: splitSchema,
  'trust-and-split': trustAndSplitSchema,
};

/** Every game id, in the order of {@link GameParamsById}. */
export const GAME_IDS = Object.keys(schemas) as GameId[];

/**
 * The zod schema of a game's parameters (undefined for an unknown id), for
 * callers that check parameters before a game is made, such as the command
 * line checking a whole experiment file.
 */
export function gameParamsSchema(id: string): z.ZodType | undefined {
  return typeof id === 'string' && Object.hasOwn(schemas, id) ? schemas[id as GameId] : undefined;
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
    if (typeof id !== 'string' || !Object.hasOwn(schemas, id)) {
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

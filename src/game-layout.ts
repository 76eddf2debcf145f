/**
 * What a game's observations and actions mean, by name, and the public facts
 * of its rules, as the native game describes them: callers that read an
 * observation field or state a rule (the text mode, metrics) take it from
 * here instead of writing offsets or rules a second time.
 */
import { DilemmaError, ErrorCode } from './errors.js';
import { resolveGame, type GameSpec } from './games.js';
import { native } from './native.js';
import { describe, invalid } from './validate.js';

/** A named run of values: observation floats or action indices `[offset, offset + size)`. */
export interface LayoutField {
  /** The field's name, e.g. 'hand'. */
  readonly name: string;
  /** Index of its first value. */
  readonly offset: number;
  /** Number of values. */
  readonly size: number;
  /** One line on what the values mean. */
  readonly doc: string;
}

/** A public fact of a game's rules, as numbers, labels or both. */
export interface GameFact {
  /** The fact's name, e.g. 'beats'. */
  readonly name: string;
  /** Its numbers (may be empty). */
  readonly numbers: readonly number[];
  /** Its labels (may be empty). */
  readonly labels: readonly string[];
  /** One line on what it says. */
  readonly doc: string;
}

/**
 * A game's layout with its parameters resolved. Fields are in offset order,
 * do not overlap and, when a game lists any, cover the whole observation
 * (resp. action space); a game that describes nothing has empty lists.
 */
export interface GameLayout {
  /** Named fields of one agent's observation (obsDim floats). */
  readonly observation: readonly LayoutField[];
  /** Named ranges of the discrete action space. */
  readonly actions: readonly LayoutField[];
  /** Public facts of the rules. */
  readonly facts: readonly GameFact[];
}

/**
 * The layout a game declares natively, frozen. For `trust-and-split`:
 * observation fields `hand`, `phase`, `firstSpeaker`, `otherMessage`,
 * `otherLastHand`, `otherLastMessage`, `lastProposals`, `lastRewards`,
 * `round`, `claimRelation`, `lastClaimTruth`; action ranges `message`,
 * `proposal`, `wait`; facts `hands`, `beats`, `coinValues`, `ties`,
 * `messages`, `stepsPerRound`.
 *
 * @throws DilemmaError as the Game constructor does for a bad id or parameter.
 */
export function gameLayout(spec: GameSpec): GameLayout {
  const { game, owned } = resolveGame(spec);
  try {
    const raw = native().gameLayout(game.handle);
    const field = (f: LayoutField): LayoutField => Object.freeze({ name: f.name, offset: f.offset, size: f.size, doc: f.doc });
    return Object.freeze({
      observation: Object.freeze(raw.observation.map(field)),
      actions: Object.freeze(raw.actions.map(field)),
      facts: Object.freeze(
        raw.facts.map((f) =>
          Object.freeze({ name: f.name, numbers: Object.freeze([...f.numbers]), labels: Object.freeze([...f.labels]), doc: f.doc }),
        ),
      ),
    });
  } finally {
    if (owned) game.dispose();
  }
}

function missing(what: string, name: string): never {
  throw new DilemmaError(ErrorCode.Unsupported, `the game declares no ${what} '${name}'`);
}

/** The field called `name` of a layout's observation or actions; throws ERR_UNSUPPORTED when the game declares none. */
export function layoutField(fields: readonly LayoutField[], name: string): LayoutField {
  if (!Array.isArray(fields)) invalid('fields', `must be a layout's observation or actions (an array of fields), got ${describe(fields)}`);
  return fields.find((f) => f?.name === name) ?? missing('layout field', name);
}

/** The fact called `name` of a layout; throws ERR_UNSUPPORTED when the game declares none. */
export function gameFact(layout: GameLayout, name: string): GameFact {
  const facts: unknown = typeof layout === 'object' && layout !== null ? layout.facts : undefined;
  if (!Array.isArray(facts)) invalid('layout', `must be a gameLayout() result, got ${describe(layout)}`);
  return (facts as GameFact[]).find((f) => f?.name === name) ?? missing('fact', name);
}

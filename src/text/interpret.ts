/**
 * Maps a free-text message to the game's symbolic message token, for the
 * native environment (whose messages are tokens of a small vocabulary). The
 * text itself stays in the transcript; the token is what the engine sees.
 *
 * Rules (applied to the lowercased text, curly apostrophes made straight,
 * runs of whitespace made one space):
 *
 * 1. Claims. A claim is a phrase of the form SUBJECT [a|an|the] HAND where
 *    HAND is rock, paper, scissors (or scissor) and SUBJECT is one of:
 *    "i have", "i have got", "i've", "i've got", "i got", "i hold",
 *    "i'm holding", "i am holding", "i drew", "i was dealt", "i'm", "i am",
 *    "my hand is", "my hand's", "mine is". The hand must follow the subject
 *    directly, so "i don't have rock" and "i'm not rock" are no claims.
 * 2. Suggested splits, as the speaker's own share s of the coins (numbers as
 *    digits or as the words zero to twenty; shares outside 0..coins are
 *    ignored):
 *    - "i take|get|keep|want|claim|ask for N" (with optional "will"/"'ll",
 *      "only", "just") → s = N; "give me N" → s = N;
 *    - "you take|get|keep|have N", "you can have N", "i give you N",
 *      "i'll give you N" → s = coins − N;
 *    - "i take|get|keep|want all|everything" → s = coins;
 *      "you take|get|keep|have|can have all|everything" → s = 0;
 *    - "N/M", "N-M", "N:M" with N + M = coins → s = N (the speaker's share first);
 *    - "split evenly|equally|in half", "fifty-fifty", "50/50" (when 50 + 50
 *      is not the coin count, as a phrase), "half each", "even split"
 *      → s = ⌊coins / 2⌋.
 * 3. A phrase is ignored when the clause before it (text back to the last
 *    `.`, `!`, `?`, `;`, `,` or line break) contains "not", "n't", "never",
 *    "if", "unless", "whether" or "suppose" — hypotheticals and negations
 *    are no claims.
 * 4. A message claims hand H when all its claims name H, and suggests share
 *    s when all its split phrases give s; conflicting phrases count as none.
 * 5. The token is the claim when there is one, else the split, else silence.
 */
import { HANDS, type Hand } from './types.js';

/** What a message means to the game: silence, a hand claim, or a suggested split. */
export type MessageToken =
  | {
      /** No claim and no split. */
      kind: 'silence';
    }
  | {
      /** The speaker claims a hand. */
      kind: 'claim';
      /** The hand claimed. */
      hand: Hand;
    }
  /** The speaker suggests keeping `own` coins (and leaving the rest to the other). */
  | {
      /** The speaker suggests a split. */
      kind: 'split';
      /** Coins the speaker keeps. */
      own: number;
    };

/** What {@link interpretMessage} reads in a message. */
export interface MessageMeaning {
  /** The hand the message clearly claims, or null. */
  claim: Hand | null;
  /** The speaker's own share the message clearly suggests, or null. */
  split: number | null;
  /** Claim first, then split, then silence. */
  token: MessageToken;
}

const NUMBER_WORDS = [
  'zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'ten',
  'eleven', 'twelve', 'thirteen', 'fourteen', 'fifteen', 'sixteen', 'seventeen', 'eighteen', 'nineteen', 'twenty',
];
const NUM = `(\\d+|${NUMBER_WORDS.join('|')})`;
const toNumber = (s: string): number => (/^\d+$/.test(s) ? Number(s) : NUMBER_WORDS.indexOf(s));

const CLAIM_RE = new RegExp(
  "\\b(?:i have got|i have|i've got|i've|i got|i hold|i'm holding|i am holding|i drew|i was dealt|i'm|i am|my hand is|my hand's|mine is) (?:(?:a|an|the) )?(rock|paper|scissors|scissor)\\b",
  'g',
);

interface SplitRule {
  re: RegExp;
  share: (m: RegExpExecArray, coins: number) => number | null;
}

const MINE = "i(?: will|'ll)? (?:only |just )?";
const YOURS = "you(?: can| will|'ll| could)? (?:only |just )?";
const SPLIT_RULES: SplitRule[] = [
  { re: new RegExp(`\\b${MINE}(?:take|get|keep|want|claim|ask for) (?:only |just )?${NUM}\\b`, 'g'), share: (m) => toNumber(m[1]) },
  { re: new RegExp(`\\bgive me (?:only |just )?${NUM}\\b`, 'g'), share: (m) => toNumber(m[1]) },
  { re: new RegExp(`\\b${YOURS}(?:take|get|keep|have) (?:only |just )?${NUM}\\b`, 'g'), share: (m, c) => c - toNumber(m[1]) },
  { re: new RegExp(`\\b${MINE}give you (?:only |just )?${NUM}\\b`, 'g'), share: (m, c) => c - toNumber(m[1]) },
  { re: new RegExp(`\\b${MINE}(?:take|get|keep|want) (?:all|everything)\\b`, 'g'), share: (_m, c) => c },
  { re: new RegExp(`\\b${YOURS}(?:take|get|keep|have) (?:all|everything)\\b`, 'g'), share: () => 0 },
  {
    re: /(?<![\d.])(\d+) ?(?:\/|-|:) ?(\d+)(?![\d.])/g,
    share: (m, c) => (Number(m[1]) + Number(m[2]) === c ? Number(m[1]) : null),
  },
  {
    re: /\b(?:split (?:it |them |the coins )?(?:evenly|equally|in half)|fifty-fifty|fifty fifty|half each|even split)\b|(?<![\d.])50 ?\/ ?50(?![\d.])/g,
    share: (_m, c) => Math.floor(c / 2),
  },
];

const HEDGE_RE = /\b(?:not|never|if|unless|whether|suppose)\b|n't\b/;

function hedged(text: string, index: number): boolean {
  const before = text.slice(0, index);
  const cut = Math.max(...['.', '!', '?', ';', ',', '\n'].map((p) => before.lastIndexOf(p)));
  return HEDGE_RE.test(before.slice(cut + 1));
}

function normalise(text: string): string {
  return text.toLowerCase().replace(/[\u2018\u2019\u02bc]/g, "'").replace(/[ \t\f\v\u00a0]+/g, ' ');
}

/** Reads a message's claim and suggested split; see the module comment for the exact rules. */
export function interpretMessage(text: string, coins: number): MessageMeaning {
  const t = normalise(text);
  const claims = new Set<Hand>();
  for (const m of t.matchAll(CLAIM_RE)) {
    if (hedged(t, m.index as number)) continue;
    claims.add((m[1] === 'scissor' ? 'scissors' : m[1]) as Hand);
  }
  const shares = new Set<number>();
  for (const rule of SPLIT_RULES) {
    rule.re.lastIndex = 0;
    for (const m of t.matchAll(rule.re)) {
      if (hedged(t, m.index as number)) continue;
      const s = rule.share(m as RegExpExecArray, coins);
      if (s !== null && Number.isInteger(s) && s >= 0 && s <= coins) shares.add(s);
    }
  }
  const claim = claims.size === 1 ? [...claims][0] : null;
  const split = shares.size === 1 ? [...shares][0] : null;
  const token: MessageToken =
    claim !== null ? { kind: 'claim', hand: claim } : split !== null ? { kind: 'split', own: split } : { kind: 'silence' };
  return { claim, split, token };
}

/** A canonical English sentence for a token (for showing a symbolic agent's message to a text agent). */
export function tokenText(token: MessageToken, coins: number): string {
  switch (token.kind) {
    case 'silence':
      return '';
    case 'claim':
      return `I have ${token.hand}.`;
    case 'split':
      return `I take ${token.own}, you take ${coins - token.own}.`;
  }
}

export { HANDS };

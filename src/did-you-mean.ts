/**
 * "Did you mean …?" suggestions for mistyped keys and names.
 *
 * The distance is the optimal-string-alignment form of Damerau–Levenshtein:
 * a swap of two neighbouring letters (`btea` for `beta`) counts as one edit,
 * which plain Levenshtein distance (as in fastest-levenshtein) counts as two,
 * and swaps are the commonest typing slip. Names here are short (< 40
 * characters, a few dozen candidates), so the quadratic table is cheap.
 */

/** Edits (insert, delete, substitute, swap neighbours) that turn a into b, case-insensitively. */
export function editDistance(a: string, b: string): number {
  const s = a.toLowerCase();
  const t = b.toLowerCase();
  const n = s.length;
  const m = t.length;
  if (n === 0 || m === 0) return n + m;
  let prev2 = new Array<number>(m + 1).fill(0);
  let prev = Array.from({ length: m + 1 }, (_, j) => j);
  let row = new Array<number>(m + 1).fill(0);
  for (let i = 1; i <= n; i++) {
    row[0] = i;
    for (let j = 1; j <= m; j++) {
      const cost = s[i - 1] === t[j - 1] ? 0 : 1;
      let d = Math.min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + cost);
      if (i > 1 && j > 1 && s[i - 1] === t[j - 2] && s[i - 2] === t[j - 1]) d = Math.min(d, prev2[j - 2] + 1);
      row[j] = d;
    }
    [prev2, prev, row] = [prev, row, prev2];
  }
  return prev[m];
}

/**
 * The candidate closest to word, when it is close enough to be a slip: at
 * most a third of the word's length in edits (at least one), ties broken by
 * the candidates' order. Undefined when nothing is that close.
 */
export function closest(word: string, candidates: Iterable<string>): string | undefined {
  const limit = Math.max(1, Math.floor(word.length / 3));
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const d = editDistance(word, c);
    if (d < bestDistance && d <= limit) {
      best = c;
      bestDistance = d;
    }
  }
  return best;
}

/** " (did you mean 'x'?)" for the closest candidate, or an empty string. */
export function didYouMean(word: string, candidates: Iterable<string>): string {
  const c = closest(word, candidates);
  return c === undefined ? '' : ` (did you mean '${c}'?)`;
}

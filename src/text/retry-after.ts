/**
 * The wait an endpoint asks for before a retry (`retry-after-ms`, or
 * `retry-after` as delta-seconds or an HTTP date). Only well-formed,
 * non-negative values count; anything else is ignored and the caller's
 * backoff applies, so a hostile header can neither force immediate retries
 * nor an unbounded wait (the caller clamps with `clampRetryAfter`).
 */

const DELTA = /^\s*\d+(\.\d+)?\s*$/;
// HTTP dates start with a day or month name (IMF-fixdate, RFC 850, asctime);
// this keeps Date.parse's lenient guessing (it reads "-5" as a year) out.
const HTTP_DATE = /^\s*[A-Za-z]{3}/;

/** The requested wait in ms (possibly Infinity for absurdly long digit strings), or null when absent or malformed. */
export function parseRetryAfter(headers: Headers, now = Date.now()): number | null {
  const ms = headers.get('retry-after-ms');
  if (ms !== null && DELTA.test(ms)) return Number(ms);
  const ra = headers.get('retry-after');
  if (ra === null) return null;
  if (DELTA.test(ra)) return Number(ra) * 1000;
  if (!HTTP_DATE.test(ra)) return null;
  const date = Date.parse(ra);
  return Number.isNaN(date) ? null : Math.max(0, date - now);
}

/** A requested wait clamped to [0, maxMs]. */
export function clampRetryAfter(ms: number, maxMs: number): number {
  return Math.min(Math.max(0, ms), maxMs);
}

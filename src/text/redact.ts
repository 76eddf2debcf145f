/**
 * Secret redaction for everything the text mode shows: error messages,
 * stacks and causes, endpoint URLs, completions and transcript records.
 *
 * Chat clients register their secrets (API key, credential headers, URL
 * passwords) here, so one function, `redact`, cleans any text at any boundary,
 * also text built outside the client (a custom policy's error that quotes the
 * same key). Independently of what is registered it removes URL credentials
 * (`scheme://user:pass@`), bearer tokens and the values of quoted credential
 * headers (`authorization: ...`, `api-key: ...`).
 */

export const REDACTED = '[redacted]';

/**
 * Registered values shorter than this are not treated as secrets: local
 * servers are often given placeholder keys ('x', 'none', 'EMPTY'), and
 * replacing such short strings everywhere would garble replies and messages.
 */
export const MIN_SECRET_LENGTH = 6;

const secrets = new Set<string>();
let ordered: string[] = [];

/** Adds a secret (and its JSON- and URL-encoded forms) to what `redact` removes. */
export function registerSecret(value: string | undefined | null): void {
  if (typeof value !== 'string' || value.length < MIN_SECRET_LENGTH) return;
  const forms = [value, JSON.stringify(value).slice(1, -1), encodeURIComponent(value)];
  let added = false;
  for (const f of forms) {
    if (!secrets.has(f)) {
      secrets.add(f);
      added = true;
    }
  }
  // Longest first, so a secret that contains another is removed whole.
  if (added) ordered = [...secrets].sort((a, b) => b.length - a.length);
}

// Every repetition is bounded, so that a long hostile text is scanned in linear time.
const URL_CREDENTIALS = /\b([a-z][a-z0-9+.-]{0,31}:\/\/)[^\s/?#@"'<>]{1,1024}@/gi;
// A credential header quoted with its value (as an echoing endpoint or a debug log would).
const AUTH_HEADER = /\b((?:proxy-)?authorization|(?:x-)?api[-_]?key)(["']?\s{0,8}[:=]\s{0,8}["']?)((?:Bearer|Basic|Token)\s{1,8})?[A-Za-z0-9._~+/=-]{1,4096}/gi;
// "Bearer" is capitalised and rare in prose; "Basic" is not, so basic tokens count only next to a header name.
const BEARER = /\bBearer\s{1,8}[A-Za-z0-9._~+/=-]{8,4096}/g;

/** The text with every registered secret, URL credential and credential header value replaced by `[redacted]`. */
export function redact(text: string): string {
  let out = text;
  for (const s of ordered) if (out.includes(s)) out = out.split(s).join(REDACTED);
  return out
    .replace(URL_CREDENTIALS, `$1${REDACTED}@`)
    .replace(AUTH_HEADER, (_m, name: string, sep: string, scheme: string | undefined) => `${name}${sep}${scheme ?? ''}${REDACTED}`)
    .replace(BEARER, `Bearer ${REDACTED}`);
}

/**
 * A copy of an error (or any thrown value) that is safe to show: message,
 * stack and `code` redacted, the cause chain copied the same way (to a bounded
 * depth), other own properties dropped except finite numbers and booleans.
 */
export function redactError(e: unknown, depth = 0): unknown {
  try {
    return copyError(e, depth);
  } catch {
    // A foreign error whose getters throw: nothing of it is kept.
    return new Error('[an error that could not be read]');
  }
}

function copyError(e: unknown, depth: number): unknown {
  if (typeof e === 'string') return redact(e);
  if (!(e instanceof Error)) return e === null || typeof e !== 'object' ? e : redact(safeString(e));
  const copy = new Error(redact(String(e.message)));
  Object.defineProperty(copy, 'name', { value: redact(String(e.name)), writable: true, configurable: true });
  Object.defineProperty(copy, 'stack', { value: redact(String(e.stack ?? '')), writable: true, configurable: true });
  for (const [k, v] of Object.entries(e)) {
    if (k === 'cause') continue;
    if (typeof v === 'string') (copy as unknown as Record<string, unknown>)[k] = redact(v);
    else if ((typeof v === 'number' && Number.isFinite(v)) || typeof v === 'boolean') (copy as unknown as Record<string, unknown>)[k] = v;
  }
  if (e.cause !== undefined && depth < 4) {
    Object.defineProperty(copy, 'cause', { value: redactError(e.cause, depth + 1), writable: true, configurable: true });
  }
  return copy;
}

function safeString(v: object): string {
  try {
    return String(v);
  } catch {
    return '[object]';
  }
}

/**
 * A URL as it may be shown: no user name or password, and the values of
 * query parameters whose names suggest a secret (key, token, signature, ...)
 * replaced.
 */
export function displayURL(url: URL): string {
  const u = new URL(url.href);
  u.username = '';
  u.password = '';
  for (const name of [...u.searchParams.keys()]) {
    if (isSecretName(name)) u.searchParams.set(name, REDACTED);
  }
  return u.toString();
}

/** Header or query parameter names whose values are credentials. */
export function isSecretName(name: string): boolean {
  return /auth|key|token|secret|passw|cookie|signature|credential|session/i.test(name);
}

/**
 * A client for any OpenAI-compatible chat endpoint (`POST …/v1/chat/completions`)
 * on Node's global fetch, with per-attempt timeouts, retries with exponential
 * backoff and jitter on 408/429/5xx and network errors (honouring
 * `retry-after-ms` and `retry-after`), one concurrency limit shared by every
 * call of a client, and usage accounting from the responses' `usage` field.
 *
 * Toward a hostile endpoint: redirects are followed only within the
 * endpoint's origin (the prompt and the key go nowhere else), bodies are read
 * as a stream up to a limit on their decompressed size, completions and usage
 * are checked against a schema, retry-after waits are clamped, and every
 * error message, cause, completion and displayed URL passes through `redact`.
 *
 * Every failure is a DilemmaError whose `code` is one of LlmErrorCode.
 */
import { DilemmaError, ErrorCode } from '../errors.js';
import { checkInteger, checkKeys, checkNumber, checkObject, checkSeed, invalid } from '../validate.js';
import { parseCompletion } from './completion.js';
import { discardBody, readLimited } from './http-body.js';
import { SeededStream } from './random.js';
import { displayURL, isSecretName, redact, redactError, registerSecret } from './redact.js';
import { clampRetryAfter, parseRetryAfter } from './retry-after.js';
import { Semaphore } from './semaphore.js';
import type { ChatMessage, TextPolicy, TextReply, TokenUsage } from './types.js';

/** The codes of the chat client's errors (a subset of {@link ErrorCode}). */
export const LlmErrorCode = {
  /** No endpoint configured (no baseURL option and no OPENAI_BASE_URL), or no model. */
  Config: ErrorCode.LlmConfig,
  /** The endpoint answered with an error status (non-retryable, or retries exhausted). */
  Http: ErrorCode.LlmHttp,
  /** An attempt exceeded the timeout (and retries were exhausted). */
  Timeout: ErrorCode.LlmTimeout,
  /** The connection failed (and retries were exhausted). */
  Network: ErrorCode.LlmNetwork,
  /** The endpoint answered 2xx with a body that is not a chat completion. */
  Response: ErrorCode.LlmResponse,
  /** The caller's signal aborted the call. */
  Aborted: ErrorCode.LlmAborted,
  /** The endpoint redirected to another origin, with 303, or more than MAX_REDIRECTS times. */
  Redirect: ErrorCode.LlmRedirect,
  /** The response body, decompressed, exceeded maxResponseBytes. */
  TooLarge: ErrorCode.LlmTooLarge,
} as const;
/** One of the chat client's error codes. */
export type LlmErrorCode = (typeof LlmErrorCode)[keyof typeof LlmErrorCode];

/** The extra facts an LLM error carries. */
export interface LlmErrorDetails {
  /** HTTP status of the last attempt, when there was a response. */
  status?: number;
  /** Attempts made. */
  attempts: number;
}

export type LlmError = DilemmaError & { code: LlmErrorCode | ErrorCode } & Partial<LlmErrorDetails>;

/** Builds every error of the client: message and cause are redacted here, once for all paths. */
function llmError(code: LlmErrorCode, message: string, details: LlmErrorDetails, cause?: unknown): LlmError {
  const safeCause = cause === undefined ? undefined : { cause: redactError(cause) };
  const e = new DilemmaError(code, redact(message), safeCause) as LlmError;
  Object.assign(e, details);
  return e;
}

/** True for errors raised by the chat client. */
export function isLlmError(e: unknown): e is DilemmaError & {
  /** The chat client's error code. */
  code: LlmErrorCode;
} & LlmErrorDetails {
  return e instanceof DilemmaError && (Object.values(LlmErrorCode) as string[]).includes(e.code);
}

/** Exponential backoff between retries, with jitter. */
export interface BackoffOptions {
  /** Delay before the first retry, before jitter, in ms. Default 500. */
  initialMs?: number;
  /** Growth per retry. Default 2. */
  factor?: number;
  /** Cap on a delay before jitter, in ms. Default 20000. */
  maxMs?: number;
}

/** Options of {@link chatClient}. */
export interface ChatClientOptions {
  /**
   * Endpoint base URL as the OpenAI SDKs take it, e.g. `http://127.0.0.1:8000/v1`;
   * `/chat/completions` is appended (and `/v1` first when the path does not end
   * in `/v1`). Default: env OPENAI_BASE_URL.
   */
  baseURL?: string;
  /**
   * Sent as a bearer token when set. Default: env OPENAI_API_KEY (may be unset
   * for local servers). A base URL with credentials (`http://user:pass@host`)
   * sends them as HTTP basic authentication instead; it cannot be combined
   * with a key.
   */
  apiKey?: string;
  /** Model name sent with every request. */
  model: string;
  /** Sampling temperature. Default: not sent (the endpoint's default). */
  temperature?: number;
  /** Sent as `max_tokens`. Default: not sent. */
  maxTokens?: number;
  /** Per-attempt timeout in ms (connection, headers and body). Default 60000. */
  timeoutMs?: number;
  /** Retries after the first attempt on 408, 429, 5xx, network errors and timeouts. Default 4. */
  retries?: number;
  /** Delays between retries. */
  backoff?: BackoffOptions;
  /** Longest wait a retry-after header may impose, in ms. Default 60000. */
  maxRetryAfterMs?: number;
  /**
   * Largest response body accepted, counted after decompression, in bytes.
   * A longer one is cut off (the request is aborted) with ERR_LLM_TOO_LARGE.
   * Default 16 MiB; at most 256 MiB.
   */
  maxResponseBytes?: number;
  /** Requests in flight at once, over every call of this client. Default 4. */
  concurrency?: number;
  /** Seed of the backoff jitter. Default: drawn from Math.random. */
  seed?: number | bigint;
  /** Extra fields merged into every request body (e.g. `top_p`, `seed`). */
  extraBody?: Record<string, unknown>;
  /** Extra request headers (values of credential-like names, e.g. `api-key`, are redacted wherever shown). */
  headers?: Record<string, string>;
  /** Called before each retry's wait (for logging). */
  onRetry?: (info: RetryInfo) => void;
}

/** What a retry is about to do. */
export interface RetryInfo {
  /** Attempts made so far. */
  attempts: number;
  /** Wait before the next attempt, in ms. */
  delayMs: number;
  /** The failure's code (ERR_LLM_HTTP, ERR_LLM_TIMEOUT or ERR_LLM_NETWORK). */
  code: LlmErrorCode;
  /** HTTP status, when there was a response. */
  status?: number;
  /** Whether the delay came from a retry-after header. */
  retryAfter: boolean;
}

/** Per-call overrides of {@link ChatClient.complete}. */
export interface ChatCallOptions {
  /** Sampling temperature for this call; default the client's. */
  temperature?: number;
  /** Sent as `max_tokens` for this call; default the client's. */
  maxTokens?: number;
  /** Aborts the call (ERR_LLM_ABORTED). */
  signal?: AbortSignal;
}

/** One chat completion. */
export interface ChatCompletion {
  /** The first choice's content ('' when the endpoint sent none). */
  text: string;
  /** The first choice's finish_reason, when present. */
  finishReason: string | null;
  /** Token counts the endpoint reported (null where it did not). */
  usage: TokenUsage;
  /** Attempts it took (1 without retries). */
  attempts: number;
}

/** A chat client's totals since it was made. */
export interface ChatClientUsage {
  /** Calls that returned a completion. */
  calls: number;
  /** HTTP attempts made, including retries. */
  attempts: number;
  /** Retries made (attempts after a failed one). */
  retries: number;
  /** Calls that ended in an error. */
  failures: number;
  /** Prompt tokens the endpoint reported. */
  promptTokens: number;
  /** Completion tokens the endpoint reported. */
  completionTokens: number;
  /** Most requests seen in flight at once. */
  maxInFlight: number;
}

const RETRYABLE = (status: number) => status === 408 || status === 429 || (status >= 500 && status <= 599);

/** Redirects followed within the endpoint's origin before a call fails with ERR_LLM_REDIRECT. */
export const MAX_REDIRECTS = 5;
export const DEFAULT_MAX_RESPONSE_BYTES = 16 * 1024 * 1024;
const MAX_RESPONSE_BYTES_LIMIT = 256 * 1024 * 1024;
/** How much of an error body is read: enough for the snippet in the message. */
const ERROR_BODY_BYTES = 64 * 1024;
const REDIRECT = (status: number) => status === 301 || status === 302 || status === 303 || status === 307 || status === 308;

interface Endpoint {
  /** Where requests go: no credentials in it. */
  url: URL;
  /** What is shown: no credentials, secret-looking query values replaced. */
  display: string;
  /** user:pass from the base URL, for basic authentication. */
  basic: string | undefined;
}

function resolveEndpoint(baseURL: string): Endpoint {
  let url: URL;
  try {
    url = new URL(baseURL);
  } catch {
    // A malformed URL cannot be taken apart reliably, so one that may hold credentials is not quoted.
    const quoted = baseURL.includes('@') ? '' : `: ${JSON.stringify(baseURL)}`;
    throw llmError(LlmErrorCode.Config, `the chat endpoint base URL is not a valid URL${quoted}`, { attempts: 0 });
  }
  registerSecret(url.password);
  registerSecret(safeDecode(url.password));
  for (const [name, value] of url.searchParams) if (isSecretName(name)) registerSecret(value);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw llmError(LlmErrorCode.Config, `the chat endpoint base URL must be http or https, got ${url.protocol}`, { attempts: 0 });
  }
  let basic: string | undefined;
  if (url.username !== '' || url.password !== '') {
    basic = Buffer.from(`${safeDecode(url.username)}:${safeDecode(url.password)}`).toString('base64');
    registerSecret(basic);
    url.username = '';
    url.password = '';
  }
  let path = url.pathname.replace(/\/+$/, '');
  if (!path.endsWith('/v1')) path += '/v1';
  url.pathname = `${path}/chat/completions`;
  return { url, display: displayURL(url), basic };
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

type Attempt =
  | { ok: true; completion: Omit<ChatCompletion, 'attempts'> }
  | { ok: false; retry: boolean; error: (attempts: number) => LlmError; retryAfterMs: number | null };

/** A chat client for one model on one OpenAI-compatible endpoint. */
export class ChatClient {
  /** The model name sent with every request. */
  readonly model: string;
  /** The request URL as it may be shown (credentials and secret-looking query values removed). */
  readonly endpoint: string;
  #url: URL;
  #authorization: string | undefined;
  #o: Required<Pick<ChatClientOptions, 'timeoutMs' | 'retries' | 'maxRetryAfterMs' | 'maxResponseBytes'>> & {
    temperature?: number;
    maxTokens?: number;
    backoff: Required<BackoffOptions>;
    extraBody: Record<string, unknown>;
    headers: Record<string, string>;
  };
  #semaphore: Semaphore;
  #jitter: SeededStream;
  #onRetry: ((info: RetryInfo) => void) | undefined;
  #usage: ChatClientUsage = { calls: 0, attempts: 0, retries: 0, failures: 0, promptTokens: 0, completionTokens: 0, maxInFlight: 0 };

  constructor(options: ChatClientOptions) {
    const o = checkObject('options', options);
    checkKeys('options', o, [
      'baseURL', 'apiKey', 'model', 'temperature', 'maxTokens', 'timeoutMs', 'retries', 'backoff',
      'maxRetryAfterMs', 'maxResponseBytes', 'concurrency', 'seed', 'extraBody', 'headers', 'onRetry',
    ]);
    // Secrets are registered before anything can fail, so that no error quotes them.
    // These checks never quote the value: a misplaced key must not end up in the message.
    if (options.apiKey !== undefined && typeof options.apiKey !== 'string') invalid('options.apiKey', 'must be a string');
    const h: unknown = options.headers;
    if (h !== undefined && (typeof h !== 'object' || h === null || Array.isArray(h))) invalid('options.headers', 'must be an object of header names to strings');
    const key = options.apiKey ?? process.env.OPENAI_API_KEY;
    const apiKey = typeof key === 'string' && key.length > 0 ? key : undefined;
    registerSecret(apiKey);
    const extraHeaders = { ...(h as Record<string, string> | undefined) };
    for (const [name, value] of Object.entries(extraHeaders)) {
      if (typeof value !== 'string') invalid(`options.headers.${name}`, 'must be a string');
      if (isSecretName(name)) {
        registerSecret(value);
        registerSecret(/^\s*\S+\s+(\S+)\s*$/.exec(value)?.[1]);
      }
    }
    if (options.onRetry !== undefined && typeof options.onRetry !== 'function') invalid('options.onRetry', 'must be a function');
    this.#onRetry = options.onRetry;
    const baseURL = options.baseURL ?? process.env.OPENAI_BASE_URL;
    if (typeof baseURL !== 'string' || baseURL.length === 0) {
      throw llmError(LlmErrorCode.Config, 'no chat endpoint: pass options.baseURL or set OPENAI_BASE_URL', { attempts: 0 });
    }
    if (typeof options.model !== 'string' || options.model.length === 0) {
      throw llmError(LlmErrorCode.Config, 'options.model must be a non-empty model name', { attempts: 0 });
    }
    const endpoint = resolveEndpoint(baseURL);
    if (endpoint.basic !== undefined && apiKey !== undefined) {
      throw llmError(
        LlmErrorCode.Config,
        'the chat endpoint base URL carries credentials and an API key is set too (options.apiKey or OPENAI_API_KEY): use one',
        { attempts: 0 },
      );
    }
    this.#url = endpoint.url;
    this.endpoint = endpoint.display;
    this.#authorization = apiKey !== undefined ? `Bearer ${apiKey}` : endpoint.basic !== undefined ? `Basic ${endpoint.basic}` : undefined;
    this.model = options.model;
    const b = options.backoff === undefined ? {} : checkObject('options.backoff', options.backoff);
    checkKeys('options.backoff', b, ['initialMs', 'factor', 'maxMs']);
    this.#o = {
      timeoutMs: options.timeoutMs === undefined ? 60_000 : checkInteger('options.timeoutMs', options.timeoutMs, 1, 2 ** 31 - 1),
      retries: options.retries === undefined ? 4 : checkInteger('options.retries', options.retries, 0, 100),
      maxRetryAfterMs:
        options.maxRetryAfterMs === undefined ? 60_000 : checkInteger('options.maxRetryAfterMs', options.maxRetryAfterMs, 0, 2 ** 31 - 1),
      maxResponseBytes:
        options.maxResponseBytes === undefined
          ? DEFAULT_MAX_RESPONSE_BYTES
          : checkInteger('options.maxResponseBytes', options.maxResponseBytes, 1, MAX_RESPONSE_BYTES_LIMIT),
      backoff: {
        initialMs: b.initialMs === undefined ? 500 : checkNumber('options.backoff.initialMs', b.initialMs, 0, 2 ** 31 - 1),
        factor: b.factor === undefined ? 2 : checkNumber('options.backoff.factor', b.factor, 1, 100),
        maxMs: b.maxMs === undefined ? 20_000 : checkNumber('options.backoff.maxMs', b.maxMs, 0, 2 ** 31 - 1),
      },
      extraBody: options.extraBody === undefined ? {} : { ...checkObject('options.extraBody', options.extraBody) },
      headers: extraHeaders,
    };
    if (options.temperature !== undefined) this.#o.temperature = checkNumber('options.temperature', options.temperature, 0, 100);
    if (options.maxTokens !== undefined) this.#o.maxTokens = checkInteger('options.maxTokens', options.maxTokens, 1);
    const concurrency = options.concurrency === undefined ? 4 : checkInteger('options.concurrency', options.concurrency, 1, 100_000);
    this.#semaphore = new Semaphore(concurrency);
    const seed = options.seed === undefined ? Math.floor(Math.random() * 2 ** 32) : checkSeed('options.seed', options.seed);
    this.#jitter = new SeededStream(seed, 0x6a177e12);
  }

  /** Totals over every call of this client so far. */
  get usage(): Readonly<ChatClientUsage> {
    return { ...this.#usage };
  }

  /** Requests in flight now. */
  get inFlight(): number {
    return this.#semaphore.active;
  }

  /** The delay before retry number `retry` (0-based) without a retry-after header: equal jitter. */
  #backoffMs(retry: number): number {
    const { initialMs, factor, maxMs } = this.#o.backoff;
    const d = Math.min(maxMs, initialMs * factor ** retry);
    return d / 2 + (d / 2) * this.#jitter.next();
  }

  /** One chat completion; retries as configured. */
  async complete(messages: readonly ChatMessage[], options: ChatCallOptions = {}): Promise<ChatCompletion> {
    if (!Array.isArray(messages) || messages.length === 0) invalid('messages', 'must be a non-empty array of chat messages');
    const body: Record<string, unknown> = { model: this.model, messages, ...this.#o.extraBody };
    const temperature = options.temperature ?? this.#o.temperature;
    const maxTokens = options.maxTokens ?? this.#o.maxTokens;
    if (temperature !== undefined) body.temperature = temperature;
    if (maxTokens !== undefined) body.max_tokens = maxTokens;
    const payload = JSON.stringify(body);
    const signal = options.signal;
    let attempts = 0;
    try {
      for (let retry = 0; ; retry++) {
        attempts++;
        const result = await this.#attempt(payload, signal);
        if (result.ok) {
          this.#usage.calls++;
          this.#usage.promptTokens += result.completion.usage.promptTokens ?? 0;
          this.#usage.completionTokens += result.completion.usage.completionTokens ?? 0;
          return { ...result.completion, attempts };
        }
        if (!result.retry || retry >= this.#o.retries) throw result.error(attempts);
        this.#usage.retries++;
        const wait =
          result.retryAfterMs !== null ? clampRetryAfter(result.retryAfterMs, this.#o.maxRetryAfterMs) : this.#backoffMs(retry);
        if (this.#onRetry) {
          const e = result.error(attempts);
          this.#onRetry({
            attempts,
            delayMs: wait,
            code: e.code as LlmErrorCode,
            ...(e.status !== undefined ? { status: e.status } : {}),
            retryAfter: result.retryAfterMs !== null,
          });
        }
        try {
          await sleep(wait, signal);
        } catch (cause) {
          throw llmError(LlmErrorCode.Aborted, 'the chat call was aborted', { attempts }, cause);
        }
      }
    } catch (e) {
      this.#usage.failures++;
      throw e;
    }
  }

  async #attempt(payload: string, signal: AbortSignal | undefined): Promise<Attempt> {
    let release: () => void;
    try {
      release = await this.#semaphore.acquire(signal);
    } catch (cause) {
      return { ok: false, retry: false, retryAfterMs: null, error: (n) => llmError(LlmErrorCode.Aborted, 'the chat call was aborted', { attempts: n }, cause) };
    }
    this.#usage.attempts++;
    this.#usage.maxInFlight = Math.max(this.#usage.maxInFlight, this.#semaphore.active);
    const timeout = AbortSignal.timeout(this.#o.timeoutMs);
    // Aborted by the body reader to tear the connection down once a body is too long.
    const local = new AbortController();
    const combined = AbortSignal.any(signal ? [signal, timeout, local.signal] : [timeout, local.signal]);
    const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json', ...this.#o.headers };
    if (this.#authorization) headers.authorization = this.#authorization;
    try {
      let res: Response;
      let body: Awaited<ReturnType<typeof readLimited>>;
      try {
        res = await this.#post(payload, headers, combined);
        body = await readLimited(res, res.ok ? this.#o.maxResponseBytes : ERROR_BODY_BYTES, () => local.abort());
      } catch (cause) {
        if (cause instanceof DilemmaError) throw cause;
        if (signal?.aborted) {
          return { ok: false, retry: false, retryAfterMs: null, error: (n) => llmError(LlmErrorCode.Aborted, 'the chat call was aborted', { attempts: n }, cause) };
        }
        if (timeout.aborted) {
          return {
            ok: false, retry: true, retryAfterMs: null,
            error: (n) => llmError(LlmErrorCode.Timeout, `the chat endpoint did not answer within ${this.#o.timeoutMs} ms (${n} attempts)`, { attempts: n }, cause),
          };
        }
        return {
          ok: false, retry: true, retryAfterMs: null,
          error: (n) => llmError(LlmErrorCode.Network, `the chat endpoint could not be reached (${n} attempts): ${(cause as Error)?.message ?? String(cause)}`, { attempts: n }, cause),
        };
      }
      const status = res.status;
      if (!res.ok) {
        // Redacted whole before it is cut, so that a cut cannot leave part of a secret.
        const text = redact(body.text);
        const snippet = text.length > 200 || body.exceeded ? `${text.slice(0, 200)}…` : text;
        return {
          ok: false,
          retry: RETRYABLE(status),
          retryAfterMs: parseRetryAfter(res.headers),
          error: (n) => llmError(LlmErrorCode.Http, `the chat endpoint answered HTTP ${status} (${n} attempts): ${snippet}`, { status, attempts: n }),
        };
      }
      if (body.exceeded) {
        throw llmError(
          LlmErrorCode.TooLarge,
          `the chat endpoint's response exceeded maxResponseBytes (${this.#o.maxResponseBytes} bytes after decompression); the request was aborted`,
          { status, attempts: 0 },
        );
      }
      return { ok: true, completion: this.#readCompletion(body.text, status) };
    } catch (e) {
      if (e instanceof DilemmaError) {
        const err = e;
        return { ok: false, retry: false, retryAfterMs: null, error: (n) => Object.assign(err, { attempts: n }) as LlmError };
      }
      throw e;
    } finally {
      release();
    }
  }

  /**
   * POSTs the payload, following redirects by hand: only within the
   * endpoint's origin and only those that keep the method (301, 302, 307,
   * 308 are re-sent as the same POST), so that neither the prompt nor the
   * key ever reaches another host.
   */
  async #post(payload: string, headers: Record<string, string>, signal: AbortSignal): Promise<Response> {
    let url = this.#url;
    for (let hop = 0; ; hop++) {
      const res = await fetch(url, { method: 'POST', headers, body: payload, signal, redirect: 'manual' });
      const location = res.headers.get('location');
      if (!REDIRECT(res.status) || location === null) return res;
      await discardBody(res);
      const fail = (why: string) =>
        llmError(LlmErrorCode.Redirect, `the chat endpoint redirected (HTTP ${res.status}) ${why}; the request was not sent there`, { status: res.status, attempts: 0 });
      let next: URL;
      try {
        next = new URL(location, url);
      } catch {
        throw fail('to a location that is not a URL');
      }
      if (next.origin !== this.#url.origin) throw fail(`to another origin (${next.origin === 'null' ? next.protocol : displayURL(new URL(next.origin))})`);
      if (res.status === 303) throw fail('with 303, which would turn the chat request into a GET');
      if (hop >= MAX_REDIRECTS) throw fail(`more than ${MAX_REDIRECTS} times`);
      next.username = '';
      next.password = '';
      url = next;
    }
  }

  #readCompletion(text: string, status: number): Omit<ChatCompletion, 'attempts'> {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      // No cause: V8's SyntaxError quotes a cut-off piece of the body, which could hold part of a secret.
      throw llmError(LlmErrorCode.Response, 'the chat endpoint answered with a body that is not JSON', { status, attempts: 0 });
    }
    const parsed = parseCompletion(json);
    if (!parsed.ok) throw llmError(LlmErrorCode.Response, `the chat endpoint answered ${parsed.problem}`, { status, attempts: 0 });
    return { ...parsed.value, text: redact(parsed.value.text) };
  }

  /** A text policy that sends each request's prompt to this client's model. */
  policy(options: Omit<ChatCallOptions, 'signal'> = {}): TextPolicy {
    return async (request): Promise<TextReply> => {
      const c = await this.complete(request.prompt, { ...options, signal: request.signal });
      return { text: c.text, usage: c.usage };
    };
  }
}

/** Makes a ChatClient (see ChatClientOptions for the environment defaults). */
export function chatClient(options: ChatClientOptions): ChatClient {
  return new ChatClient(options);
}

/**
 * A client for any OpenAI-compatible chat endpoint (`POST …/v1/chat/completions`)
 * on Node's global fetch, with per-attempt timeouts, retries with exponential
 * backoff and jitter on 408/429/5xx and network errors (honouring
 * `retry-after-ms` and `retry-after`), one concurrency limit shared by every
 * call of a client, and usage accounting from the responses' `usage` field.
 *
 * Every failure is a DilemmaError whose `code` is one of LlmErrorCode.
 */
import { DilemmaError, ErrorCode } from '../errors.js';
import { checkInteger, checkKeys, checkNumber, checkObject, checkSeed, invalid } from '../validate.js';
import { SeededStream } from './random.js';
import { Semaphore } from './semaphore.js';
import type { ChatMessage, TextPolicy, TextReply, TokenUsage } from './types.js';

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
} as const;
export type LlmErrorCode = (typeof LlmErrorCode)[keyof typeof LlmErrorCode];

/** The extra facts an LLM error carries. */
export interface LlmErrorDetails {
  /** HTTP status of the last attempt, when there was a response. */
  status?: number;
  /** Attempts made. */
  attempts: number;
}

export type LlmError = DilemmaError & { code: LlmErrorCode | ErrorCode } & Partial<LlmErrorDetails>;

function llmError(code: LlmErrorCode, message: string, details: LlmErrorDetails, cause?: unknown): LlmError {
  // DilemmaError's code union is the engine's; the LLM codes follow the same ERR_ convention.
  const e = new DilemmaError(code as unknown as ErrorCode, message, cause === undefined ? undefined : { cause }) as LlmError;
  Object.assign(e, details);
  return e;
}

/** True for errors raised by the chat client. */
export function isLlmError(e: unknown): e is DilemmaError & { code: LlmErrorCode } & LlmErrorDetails {
  return e instanceof DilemmaError && (Object.values(LlmErrorCode) as string[]).includes(e.code);
}

export interface BackoffOptions {
  /** Delay before the first retry, before jitter, in ms. Default 500. */
  initialMs?: number;
  /** Growth per retry. Default 2. */
  factor?: number;
  /** Cap on a delay before jitter, in ms. Default 20000. */
  maxMs?: number;
}

export interface ChatClientOptions {
  /**
   * Endpoint base URL as the OpenAI SDKs take it, e.g. `http://127.0.0.1:8000/v1`;
   * `/chat/completions` is appended (and `/v1` first when the path does not end
   * in `/v1`). Default: env OPENAI_BASE_URL.
   */
  baseURL?: string;
  /** Sent as a bearer token when set. Default: env OPENAI_API_KEY (may be unset for local servers). */
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
  backoff?: BackoffOptions;
  /** Longest wait a retry-after header may impose, in ms. Default 60000. */
  maxRetryAfterMs?: number;
  /** Requests in flight at once, over every call of this client. Default 4. */
  concurrency?: number;
  /** Seed of the backoff jitter. Default: drawn from Math.random. */
  seed?: number | bigint;
  /** Extra fields merged into every request body (e.g. `top_p`, `seed`). */
  extraBody?: Record<string, unknown>;
  /** Extra request headers. */
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

export interface ChatCallOptions {
  temperature?: number;
  maxTokens?: number;
  signal?: AbortSignal;
}

export interface ChatCompletion {
  /** The first choice's content ('' when the endpoint sent none). */
  text: string;
  /** The first choice's finish_reason, when present. */
  finishReason: string | null;
  usage: TokenUsage;
  /** Attempts it took (1 without retries). */
  attempts: number;
}

export interface ChatClientUsage {
  /** Calls that returned a completion. */
  calls: number;
  /** HTTP attempts made, including retries. */
  attempts: number;
  retries: number;
  /** Calls that ended in an error. */
  failures: number;
  promptTokens: number;
  completionTokens: number;
  /** Most requests seen in flight at once. */
  maxInFlight: number;
}

const RETRYABLE = (status: number) => status === 408 || status === 429 || (status >= 500 && status <= 599);

function resolveEndpoint(baseURL: string): string {
  let url: URL;
  try {
    url = new URL(baseURL);
  } catch {
    throw llmError(LlmErrorCode.Config, `the chat endpoint base URL is not a valid URL: ${JSON.stringify(baseURL)}`, { attempts: 0 });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw llmError(LlmErrorCode.Config, `the chat endpoint base URL must be http or https, got ${url.protocol}`, { attempts: 0 });
  }
  let path = url.pathname.replace(/\/+$/, '');
  if (!path.endsWith('/v1')) path += '/v1';
  url.pathname = `${path}/chat/completions`;
  return url.toString();
}

function parseRetryAfter(headers: Headers): number | null {
  const ms = headers.get('retry-after-ms');
  if (ms !== null && /^\s*\d+(\.\d+)?\s*$/.test(ms)) return Number(ms);
  const ra = headers.get('retry-after');
  if (ra === null) return null;
  if (/^\s*\d+(\.\d+)?\s*$/.test(ra)) return Number(ra) * 1000;
  const date = Date.parse(ra);
  return Number.isNaN(date) ? null : Math.max(0, date - Date.now());
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

const count = (v: unknown): number | null => (typeof v === 'number' && Number.isInteger(v) && v >= 0 ? v : null);

type Attempt =
  | { ok: true; completion: Omit<ChatCompletion, 'attempts'> }
  | { ok: false; retry: boolean; error: (attempts: number) => LlmError; retryAfterMs: number | null };

/** A chat client for one model on one OpenAI-compatible endpoint. */
export class ChatClient {
  readonly model: string;
  readonly endpoint: string;
  #apiKey: string | undefined;
  #o: Required<Pick<ChatClientOptions, 'timeoutMs' | 'retries' | 'maxRetryAfterMs'>> & {
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
      'maxRetryAfterMs', 'concurrency', 'seed', 'extraBody', 'headers', 'onRetry',
    ]);
    if (options.onRetry !== undefined && typeof options.onRetry !== 'function') invalid('options.onRetry', 'must be a function');
    this.#onRetry = options.onRetry;
    const baseURL = options.baseURL ?? process.env.OPENAI_BASE_URL;
    if (typeof baseURL !== 'string' || baseURL.length === 0) {
      throw llmError(LlmErrorCode.Config, 'no chat endpoint: pass options.baseURL or set OPENAI_BASE_URL', { attempts: 0 });
    }
    if (typeof options.model !== 'string' || options.model.length === 0) {
      throw llmError(LlmErrorCode.Config, 'options.model must be a non-empty model name', { attempts: 0 });
    }
    this.endpoint = resolveEndpoint(baseURL);
    this.model = options.model;
    const key = options.apiKey ?? process.env.OPENAI_API_KEY;
    this.#apiKey = typeof key === 'string' && key.length > 0 ? key : undefined;
    const b = options.backoff === undefined ? {} : checkObject('options.backoff', options.backoff);
    checkKeys('options.backoff', b, ['initialMs', 'factor', 'maxMs']);
    this.#o = {
      timeoutMs: options.timeoutMs === undefined ? 60_000 : checkInteger('options.timeoutMs', options.timeoutMs, 1, 2 ** 31 - 1),
      retries: options.retries === undefined ? 4 : checkInteger('options.retries', options.retries, 0, 100),
      maxRetryAfterMs:
        options.maxRetryAfterMs === undefined ? 60_000 : checkInteger('options.maxRetryAfterMs', options.maxRetryAfterMs, 0, 2 ** 31 - 1),
      backoff: {
        initialMs: b.initialMs === undefined ? 500 : checkNumber('options.backoff.initialMs', b.initialMs, 0, 2 ** 31 - 1),
        factor: b.factor === undefined ? 2 : checkNumber('options.backoff.factor', b.factor, 1, 100),
        maxMs: b.maxMs === undefined ? 20_000 : checkNumber('options.backoff.maxMs', b.maxMs, 0, 2 ** 31 - 1),
      },
      extraBody: options.extraBody === undefined ? {} : { ...checkObject('options.extraBody', options.extraBody) },
      headers: options.headers === undefined ? {} : ({ ...checkObject('options.headers', options.headers) } as Record<string, string>),
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
          result.retryAfterMs !== null ? Math.min(result.retryAfterMs, this.#o.maxRetryAfterMs) : this.#backoffMs(retry);
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
    const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;
    const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json', ...this.#o.headers };
    if (this.#apiKey) headers.authorization = `Bearer ${this.#apiKey}`;
    try {
      let res: Response;
      let text: string;
      try {
        res = await fetch(this.endpoint, { method: 'POST', headers, body: payload, signal: combined });
        text = await res.text();
      } catch (cause) {
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
      if (!res.ok) {
        const status = res.status;
        const snippet = text.length > 200 ? `${text.slice(0, 200)}…` : text;
        return {
          ok: false,
          retry: RETRYABLE(status),
          retryAfterMs: parseRetryAfter(res.headers),
          error: (n) => llmError(LlmErrorCode.Http, `the chat endpoint answered HTTP ${status} (${n} attempts): ${snippet}`, { status, attempts: n }),
        };
      }
      return { ok: true, completion: this.#readCompletion(text, res.status) };
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

  #readCompletion(text: string, status: number): Omit<ChatCompletion, 'attempts'> {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (cause) {
      throw llmError(LlmErrorCode.Response, 'the chat endpoint answered with a body that is not JSON', { status, attempts: 0 }, cause);
    }
    const choices = (json as { choices?: unknown })?.choices;
    if (!Array.isArray(choices) || choices.length === 0 || typeof choices[0] !== 'object' || choices[0] === null) {
      throw llmError(LlmErrorCode.Response, 'the chat endpoint answered without choices', { status, attempts: 0 });
    }
    const choice = choices[0] as { message?: { content?: unknown }; finish_reason?: unknown };
    const content = choice.message?.content;
    const usage = (json as { usage?: Record<string, unknown> }).usage;
    return {
      text: typeof content === 'string' ? content : '',
      finishReason: typeof choice.finish_reason === 'string' ? choice.finish_reason : null,
      usage: { promptTokens: count(usage?.prompt_tokens), completionTokens: count(usage?.completion_tokens) },
    };
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

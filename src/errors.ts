/**
 * Every error the engine throws, from TypeScript validation or from native
 * code, carries a stable `code`. Messages name the parameter at fault.
 */
export const ErrorCode = {
  /** A bad argument or option: wrong type, out of range, wrong array length (the message names it). */
  InvalidArgument: 'ERR_INVALID_ARGUMENT',
  /** A bad game, strategy, model or trainer parameter (the message names it). */
  InvalidParam: 'ERR_INVALID_PARAM',
  /** A game id that is not one of GAME_IDS. */
  UnknownGame: 'ERR_UNKNOWN_GAME',
  /** A strategy name that is not one of STRATEGIES. */
  UnknownStrategy: 'ERR_UNKNOWN_STRATEGY',
  /** A valid request this game, policy or build cannot do (e.g. a strategy in a game it does not play). */
  Unsupported: 'ERR_UNSUPPORTED',
  /** A size past a limit (see LIMITS), e.g. more than 2^31 − 1 elements in one array. */
  TooLarge: 'ERR_TOO_LARGE',
  /** An allocation failed. */
  OutOfMemory: 'ERR_OUT_OF_MEMORY',
  /** A call on an object after its dispose(). */
  Disposed: 'ERR_DISPOSED',
  /** The native addon could not be found or loaded. */
  NativeUnavailable: 'ERR_NATIVE_UNAVAILABLE',
  /** The requested backend (CUDA, ONNX Runtime) is not usable here; the message says why. */
  BackendUnavailable: 'ERR_BACKEND_UNAVAILABLE',
  /** A checkpoint that is missing, truncated, modified or does not fit its config. */
  InvalidCheckpoint: 'ERR_INVALID_CHECKPOINT',
  /** An ONNX model that cannot be read or loaded. */
  ModelLoad: 'ERR_MODEL_LOAD',
  /** A read or write failed (full disk, permissions...): the error has path, syscall and errno. */
  Io: 'ERR_IO',
  /** A path names a device, FIFO, socket, folder or symlink where a regular file must be. */
  NotAFile: 'ERR_NOT_A_FILE',
  /** A call while the object is running another one (e.g. Trainer.step before the previous step settled). */
  Busy: 'ERR_BUSY',
  /** Chat client: no endpoint or model configured, or a bad option. */
  LlmConfig: 'ERR_LLM_CONFIG',
  /** Chat client: the endpoint answered with an error status. */
  LlmHttp: 'ERR_LLM_HTTP',
  /** Chat client: an attempt exceeded the timeout and retries were exhausted. */
  LlmTimeout: 'ERR_LLM_TIMEOUT',
  /** Chat client: the connection failed and retries were exhausted. */
  LlmNetwork: 'ERR_LLM_NETWORK',
  /** Chat client: a 2xx answer whose body is not a chat completion. */
  LlmResponse: 'ERR_LLM_RESPONSE',
  /** Chat client: the caller's signal aborted the call. */
  LlmAborted: 'ERR_LLM_ABORTED',
  /** Chat client: a redirect that was not followed (another origin, 303, or too many). */
  LlmRedirect: 'ERR_LLM_REDIRECT',
  /** Chat client: the response body exceeded its size limit. */
  LlmTooLarge: 'ERR_LLM_TOO_LARGE',
  /** The job queue (Redis) cannot be reached or refused a command; the message says which address and why. */
  QueueUnavailable: 'ERR_QUEUE_UNAVAILABLE',
  /** A bug in the engine; please report it. */
  Internal: 'ERR_INTERNAL',
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** The error the engine throws: a plain Error with a stable {@link ErrorCode} in `code`. */
export class DilemmaError extends Error {
  /** The stable error code, e.g. 'ERR_INVALID_ARGUMENT'. */
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DilemmaError';
    this.code = code;
  }
}

/** True for errors raised by the engine (TypeScript or native), which carry a code. */
export function isDilemmaError(e: unknown): e is Error & {
  /** The error's stable code. */
  code: ErrorCode;
} {
  const code = e instanceof Error ? (e as unknown as { code?: unknown }).code : undefined;
  return typeof code === 'string' && code.startsWith('ERR_');
}

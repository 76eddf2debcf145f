/**
 * Every error the engine throws, from TypeScript validation or from native
 * code, carries a stable `code`. Messages name the parameter at fault.
 */
export const ErrorCode = {
  InvalidArgument: 'ERR_INVALID_ARGUMENT',
  InvalidParam: 'ERR_INVALID_PARAM',
  UnknownGame: 'ERR_UNKNOWN_GAME',
  UnknownStrategy: 'ERR_UNKNOWN_STRATEGY',
  Unsupported: 'ERR_UNSUPPORTED',
  TooLarge: 'ERR_TOO_LARGE',
  OutOfMemory: 'ERR_OUT_OF_MEMORY',
  Disposed: 'ERR_DISPOSED',
  NativeUnavailable: 'ERR_NATIVE_UNAVAILABLE',
  BackendUnavailable: 'ERR_BACKEND_UNAVAILABLE',
  InvalidCheckpoint: 'ERR_INVALID_CHECKPOINT',
  ModelLoad: 'ERR_MODEL_LOAD',
  /** A read or write failed (full disk, permissions...): the error has path, syscall and errno. */
  Io: 'ERR_IO',
  /** A path names a device, FIFO, socket, folder or symlink where a regular file must be. */
  NotAFile: 'ERR_NOT_A_FILE',
  Busy: 'ERR_BUSY',
  LlmConfig: 'ERR_LLM_CONFIG',
  LlmHttp: 'ERR_LLM_HTTP',
  LlmTimeout: 'ERR_LLM_TIMEOUT',
  LlmNetwork: 'ERR_LLM_NETWORK',
  LlmResponse: 'ERR_LLM_RESPONSE',
  LlmAborted: 'ERR_LLM_ABORTED',
  LlmRedirect: 'ERR_LLM_REDIRECT',
  LlmTooLarge: 'ERR_LLM_TOO_LARGE',
  Internal: 'ERR_INTERNAL',
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export class DilemmaError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DilemmaError';
    this.code = code;
  }
}

/** True for errors raised by the engine (TypeScript or native), which carry a code. */
export function isDilemmaError(e: unknown): e is Error & { code: ErrorCode } {
  const code = e instanceof Error ? (e as unknown as { code?: unknown }).code : undefined;
  return typeof code === 'string' && code.startsWith('ERR_');
}

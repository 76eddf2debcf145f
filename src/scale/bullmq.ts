/**
 * BullMQ, imported only when a queue is used, so that the rest of the
 * engine never loads it (sweeps, workers and queued tournaments all go
 * through here).
 */
import { createRequire } from 'node:module';
import { DilemmaError, ErrorCode } from '../errors.js';

/**
 * Imports BullMQ on first use, after checking that its Redis client
 * (`ioredis`, an optional peer of BullMQ) can be loaded: without it BullMQ
 * fails later with an unrelated-looking TypeError.
 *
 * @throws DilemmaError `ERR_BACKEND_UNAVAILABLE` when either package is missing.
 */
export async function loadBullmq(): Promise<typeof import('bullmq')> {
  const require = createRequire(import.meta.url);
  let bullmq: string;
  try {
    bullmq = require.resolve('bullmq');
  } catch (e) {
    throw new DilemmaError(ErrorCode.BackendUnavailable, "the queue needs the 'bullmq' package, which is not installed", { cause: e });
  }
  try {
    createRequire(bullmq).resolve('ioredis');
  } catch (e) {
    throw new DilemmaError(ErrorCode.BackendUnavailable, "the queue needs the 'ioredis' package (BullMQ's Redis client), which is not installed", { cause: e });
  }
  return import('bullmq');
}

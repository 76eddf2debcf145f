/**
 * Fresh result arrays for native functions that overwrite every element.
 *
 * A call without `out` needs a new array each time. `new Float32Array(n)` is
 * zero-filled (calloc), and at the megabyte sizes of a training batch that
 * memory comes back from the kernel as fresh pages: one page fault per
 * 4 KiB on every call, which cost more than the credit computation itself.
 *
 * Large results therefore come from the addon's pool of result blocks
 * (native/addon/result_pool.hpp): an external ArrayBuffer whose block goes
 * back to the pool once no JavaScript can view it, so a loop that drops its
 * results reuses pages that are already mapped. Where the runtime cannot
 * move such a buffer's memory elsewhere (Node 20: no
 * `ArrayBuffer.prototype.transfer`, and these buffers are copied, not
 * transferred, by `postMessage` and `structuredClone`), the block comes back
 * at the garbage collection that finds its buffer dead, even in a
 * synchronous loop; elsewhere only on a turn of the event loop, when Node
 * runs the buffer's finalizer. Past a bound on the bytes handed out the pool
 * refuses, and the result is uninitialised memory that V8 owns and its
 * garbage collector frees (`Buffer.allocUnsafeSlow`). Either way the native
 * function writes every element before the array is returned, and on an
 * error the array is dropped unseen, so no stale bytes ever reach a caller.
 * Each result has its own ArrayBuffer, so results never alias each other.
 */
import { constants } from 'node:buffer';
import type { ResultPoolStats } from './binding/types.js';
import { DilemmaError, ErrorCode } from './errors.js';
import { native } from './native.js';

export type { ResultPoolStats };

/** Below this many bytes V8's zero-filled allocation is as cheap and needs no Buffer. */
const UNINITIALISED_MIN_BYTES = 1 << 16;

/** A new Float32Array of `length` elements whose contents the caller overwrites entirely. */
export function resultFloat32(name: string, length: number): Float32Array {
  const bytes = length * Float32Array.BYTES_PER_ELEMENT;
  try {
    // Past Buffer's own size limit (4 GiB on some Node versions) only a
    // zero-filled typed array can hold the result.
    if (bytes < UNINITIALISED_MIN_BYTES || bytes > constants.MAX_LENGTH) return new Float32Array(length);
    const pooled = native().resultPool.float32(length);
    if (pooled) return pooled;
    return new Float32Array(Buffer.allocUnsafeSlow(bytes).buffer, 0, length);
  } catch (e) {
    if (e instanceof RangeError || (e instanceof DilemmaError && e.code === ErrorCode.OutOfMemory)) {
      throw new DilemmaError(
        ErrorCode.OutOfMemory,
        `out of memory: cannot allocate ${bytes} bytes for ${name} (${length} elements)`,
      );
    }
    throw e;
  }
}

/**
 * Frees every block the engine keeps for later result arrays and returns the
 * bytes freed. The pool keeps at most 256 MiB and frees blocks unused for 10
 * seconds on its own; call this to give memory back at once (e.g. after a
 * training run, before other work).
 */
export function trimResultPool(): number {
  return native().resultPool.trim();
}

/** Counters of the pool of large result blocks (rollout results, credits and losses without `out`). */
export function resultPoolStats(): ResultPoolStats {
  return native().resultPool.stats();
}

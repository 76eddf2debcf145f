/**
 * Fresh result arrays for native functions that overwrite every element.
 *
 * A call without `out` needs a new array each time. `new Float32Array(n)` is
 * zero-filled (calloc), and at the megabyte sizes of a training batch that
 * memory comes back from the kernel as fresh pages: one page fault per
 * 4 KiB on every call, which cost more than the credit computation itself.
 * `Buffer.allocUnsafeSlow` takes uninitialised memory (malloc) that the
 * process's allocator recycles from earlier results once the GC has freed
 * them, so a steady loop faults nothing in. The native function writes every
 * element before the array is returned, and on an error the array is
 * dropped unseen, so no stale bytes ever reach a caller.
 *
 * Why not a pool of native blocks handed out as external ArrayBuffers and
 * returned by their finalizers: Node runs those finalizers only when the
 * event loop turns, so a synchronous loop of calls would keep every result
 * alive until it ends (measured: 1 GB after 400 calls of 2.4 MB). Memory
 * that V8 owns is freed by the GC itself. Each result has its own
 * ArrayBuffer (allocUnsafeSlow never uses Buffer's shared pool), so results
 * never alias each other.
 */
import { constants } from 'node:buffer';
import { DilemmaError, ErrorCode } from './errors.js';

/** Below this many bytes V8's zero-filled allocation is as cheap and needs no Buffer. */
const UNINITIALISED_MIN_BYTES = 1 << 16;

/** A new Float32Array of `length` elements whose contents the caller overwrites entirely. */
export function resultFloat32(name: string, length: number): Float32Array {
  const bytes = length * Float32Array.BYTES_PER_ELEMENT;
  try {
    // Past Buffer's own size limit (4 GiB on some Node versions) only a
    // zero-filled typed array can hold the result.
    if (bytes < UNINITIALISED_MIN_BYTES || bytes > constants.MAX_LENGTH) return new Float32Array(length);
    return new Float32Array(Buffer.allocUnsafeSlow(bytes).buffer, 0, length);
  } catch (e) {
    if (e instanceof RangeError) {
      throw new DilemmaError(
        ErrorCode.OutOfMemory,
        `out of memory: cannot allocate ${bytes} bytes for ${name} (${length} elements)`,
      );
    }
    throw e;
  }
}

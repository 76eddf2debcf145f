/**
 * Reading an HTTP response body with a size limit. fetch hands over the body
 * already decompressed (gzip, deflate, brotli), so the limit counts the bytes
 * the endpoint's reply expands to, not what crossed the wire: a small
 * compressed bomb stops at the limit like a large plain body does.
 */

export interface LimitedBody {
  text: string;
  /** Bytes read (decompressed). */
  bytes: number;
  /** True when the body went past the limit and reading stopped there. */
  exceeded: boolean;
}

/**
 * Reads at most `limit` bytes of the body (decoded as UTF-8). Past the limit
 * it stops, cancels the stream and calls `stop` (which should abort the
 * request so the connection is torn down), and reports `exceeded`; the text
 * then holds the first `limit` bytes.
 */
export async function readLimited(res: Response, limit: number, stop: () => void): Promise<LimitedBody> {
  if (res.body === null) return { text: '', bytes: 0, exceeded: false };
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let bytes = 0;
  let exceeded = false;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (bytes + value.byteLength > limit) {
      chunks.push(value.subarray(0, limit - bytes));
      bytes = limit;
      exceeded = true;
      stop();
      await reader.cancel().catch(() => {});
      break;
    }
    chunks.push(value);
    bytes += value.byteLength;
  }
  const all = new Uint8Array(bytes);
  let at = 0;
  for (const c of chunks) {
    all.set(c, at);
    at += c.byteLength;
  }
  return { text: new TextDecoder().decode(all), bytes, exceeded };
}

/** Throws away a body that is not needed (a redirect's), without reading it. */
export async function discardBody(res: Response): Promise<void> {
  await res.body?.cancel().catch(() => {});
}

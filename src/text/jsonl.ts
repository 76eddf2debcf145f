/** JSON lines: one JSON value per line, '\n'-terminated. */
import { appendToLog, writeAtomic } from '../fs-safe.js';

/** Serialises rows as JSON lines (typed arrays become plain arrays). */
export function toJsonLines(rows: Iterable<unknown>): string {
  let out = '';
  for (const row of rows) out += `${JSON.stringify(row, replacer)}\n`;
  return out;
}

function replacer(_key: string, value: unknown): unknown {
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) return Array.from(value as unknown as ArrayLike<number>);
  if (typeof value === 'bigint') return value.toString();
  return value;
}

/**
 * Writes rows to `path` as JSON lines, atomically (a reader sees the old file or the new one); with
 * `append`, adds whole lines to the end of the file (a failed append is cut back to the previous end).
 * Special files at `path` are refused; I/O failures throw `ERR_IO`.
 */
export async function writeJsonLines(path: string, rows: Iterable<unknown>, options: { append?: boolean } = {}): Promise<void> {
  const text = toJsonLines(rows);
  if (options.append) appendToLog(path, text, 'path');
  else writeAtomic(path, text, 'path');
}

/** Parses JSON lines (blank lines are skipped). */
export function parseJsonLines(text: string): unknown[] {
  return text
    .split('\n')
    .filter((line) => line.trim().length > 0)
    .map((line) => JSON.parse(line));
}

/**
 * The metrics log of a training run: one JSON line per iteration, only ever
 * appended. A kill or a full disk can leave a torn last line, and a kill
 * after an iteration but before its checkpoint leaves lines the resumed run
 * will write again; repairMetricsLog cuts both off in one truncation, so a
 * resume never fails because of this file.
 */
import { existsSync } from 'node:fs';
import { appendToLog, scanLines, truncateFile } from './fs-safe.js';

/** A longer line is not one this package wrote: the log is cut there. */
const MAX_LINE_BYTES = 16 << 20;

interface Line {
  iteration: number;
}

function parseLine(line: string): Line | undefined {
  try {
    const v = JSON.parse(line) as unknown;
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return undefined;
    const it = (v as { iteration?: unknown }).iteration;
    return typeof it === 'number' && Number.isInteger(it) && it >= 0 ? (v as Line) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The records of a metrics log in order, up to the first line that is torn
 * or not a record (none for a missing file).
 */
export function readMetricsLog<T extends Line>(path: string, param = 'metricsFile'): T[] {
  if (!existsSync(path)) return [];
  const out: T[] = [];
  scanLines(path, { param, what: 'metrics log', maxLineBytes: MAX_LINE_BYTES }, (line) => {
    const m = parseLine(line);
    if (m) out.push(m as T);
    return m !== undefined;
  });
  return out;
}

/**
 * Keeps the whole lines of the records before `iteration` (a checkpoint's
 * iteration count) and cuts the rest: a torn line, anything unreadable, and
 * iterations the resumed run will repeat. Returns how many records remain.
 */
export function repairMetricsLog(path: string, iteration: number, param = 'metricsFile'): number {
  if (!existsSync(path)) return 0;
  let kept = 0;
  const { end, size } = scanLines(path, { param, what: 'metrics log', maxLineBytes: MAX_LINE_BYTES }, (line) => {
    const m = parseLine(line);
    if (!m || m.iteration >= iteration) return false;
    kept++;
    return true;
  });
  if (end < size) truncateFile(path, end, param);
  return kept;
}

/** Appends one record as a line (cut back to the previous end if the write fails). */
export function appendMetrics(path: string, record: Line, param = 'metricsFile'): void {
  appendToLog(path, `${JSON.stringify(record)}\n`, param);
}

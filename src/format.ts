/** Plain-text tables for terminals and logs. */

/** A table cell: text (left-aligned) or a number (right-aligned; non-integers with `digits` decimals). */
export type Cell = string | number;

function show(c: Cell, digits: number): string {
  return typeof c === 'number' ? (Number.isInteger(c) ? String(c) : c.toFixed(digits)) : c;
}

/** Aligned columns: text left, numbers right, a rule under the header. */
export function formatTable(header: string[], rows: Cell[][], digits = 2): string {
  const cells = rows.map((r) => r.map((c) => show(c, digits)));
  const widths = header.map((h, k) => Math.max(h.length, ...cells.map((r) => (r[k] ?? '').length)));
  const numeric = header.map((_, k) => rows.length > 0 && rows.every((r) => typeof r[k] === 'number'));
  const line = (r: string[]) =>
    r.map((c, k) => (numeric[k] ? c.padStart(widths[k]) : c.padEnd(widths[k]))).join('  ').trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.map(line)].join('\n');
}

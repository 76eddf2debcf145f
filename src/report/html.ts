/**
 * Self-contained HTML reports: inline SVG plots and CSS, no scripts and no
 * network fetches, so a report opens anywhere; written atomically with the
 * same plots as separate SVG files.
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface ReportTable {
  header: string[];
  rows: Array<Array<string | number>>;
}

export interface ReportSection {
  heading: string;
  text?: string;
  svg?: string;
  table?: ReportTable;
}

export interface Report {
  html: string;
  /** The plots by file stem (written as `<stem>.svg`). */
  svgs: Record<string, string>;
}

const escape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

function cell(v: string | number): string {
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : v.toFixed(3);
  return escape(v);
}

function table(t: ReportTable): string {
  const head = t.header.map((h) => `<th>${escape(h)}</th>`).join('');
  const body = t.rows.map((r) => `<tr>${r.map((v) => `<td class="${typeof v === 'number' ? 'num' : ''}">${cell(v)}</td>`).join('')}</tr>`).join('\n');
  return `<table><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

const STYLE = `
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2rem auto; max-width: 1100px; color: #222; }
h1 { font-size: 1.5rem; } h2 { font-size: 1.15rem; margin-top: 2rem; border-bottom: 1px solid #ddd; }
table { border-collapse: collapse; margin: 0.5rem 0; font-size: 0.9rem; }
th, td { border: 1px solid #ddd; padding: 0.25rem 0.6rem; } th { background: #f4f4f4; } td.num { text-align: right; }
figure { margin: 0.5rem 0; } p.note { color: #555; }`;

/** One HTML document from titled sections (text, an inline SVG plot, a table). */
export function renderReport(r: { title: string; sections: ReportSection[]; footer?: string }): string {
  const sections = r.sections
    .map((s) =>
      [
        `<section><h2>${escape(s.heading)}</h2>`,
        s.text ? `<p class="note">${escape(s.text)}</p>` : '',
        s.svg ? `<figure>${s.svg}</figure>` : '',
        s.table ? table(s.table) : '',
        '</section>',
      ].join('\n'),
    )
    .join('\n');
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>${escape(r.title)}</title><style>${STYLE}</style></head>
<body><h1>${escape(r.title)}</h1>
${sections}
${r.footer ? `<p class="note">${escape(r.footer)}</p>` : ''}
</body></html>
`;
}

function writeAtomic(path: string, text: string): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}

/** Writes report.html and one SVG file per plot into dir. */
export function writeReport(dir: string, report: Report): void {
  mkdirSync(dir, { recursive: true });
  for (const [stem, svg] of Object.entries(report.svgs)) writeAtomic(join(dir, `${stem}.svg`), svg);
  writeAtomic(join(dir, 'report.html'), report.html);
}

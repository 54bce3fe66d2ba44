// Pure table renderers: aligned plain text for terminals and GitHub-flavoured Markdown for
// pull-request comments. Cells are strings; Markdown cells are escaped.

export interface Table {
  headers: string[];
  rows: string[][];
  /** Columns to right-align (numbers). */
  right?: number[];
}

export function textTable(t: Table): string {
  const widths = t.headers.map((h, i) => Math.max(h.length, ...t.rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (t.right?.includes(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(t.headers), ...t.rows.map(line)].join('\n');
}

function mdCell(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\n/g, '<br>');
}

export function markdownTable(t: Table): string {
  const head = `| ${t.headers.map(mdCell).join(' | ')} |`;
  const sep = `|${t.headers.map((_, i) => (t.right?.includes(i) ? '---:' : '---')).join('|')}|`;
  return [head, sep, ...t.rows.map((r) => `| ${r.map(mdCell).join(' | ')} |`)].join('\n');
}

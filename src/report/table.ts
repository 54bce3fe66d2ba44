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

/**
 * The table cut to a terminal `width`: the first `keep` columns always stay, the others
 * are kept left to right while they fit; `omitted` counts the columns left out.
 */
export function fitColumns(t: Table, width: number, keep = 1): { table: Table; omitted: number } {
  const widths = t.headers.map((h, i) => Math.max(h.length, ...t.rows.map((r) => (r[i] ?? '').length)));
  const chosen: number[] = [];
  let used = 0;
  for (let i = 0; i < t.headers.length; i++) {
    const w = widths[i]! + (chosen.length > 0 ? 2 : 0);
    if (i < keep || used + w <= width) {
      chosen.push(i);
      used += w;
    }
  }
  const pick = <T>(cells: T[]) => chosen.map((i) => cells[i]!);
  const table: Table = { headers: pick(t.headers), rows: t.rows.map((r) => pick(r)) };
  if (t.right) table.right = chosen.flatMap((i, j) => (t.right!.includes(i) ? [j] : []));
  return { table, omitted: t.headers.length - chosen.length };
}

function mdCell(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\n/g, '<br>');
}

export function markdownTable(t: Table): string {
  const head = `| ${t.headers.map(mdCell).join(' | ')} |`;
  const sep = `|${t.headers.map((_, i) => (t.right?.includes(i) ? '---:' : '---')).join('|')}|`;
  return [head, sep, ...t.rows.map((r) => `| ${r.map(mdCell).join(' | ')} |`)].join('\n');
}

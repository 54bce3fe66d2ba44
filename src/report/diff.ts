// Renderers of the semantic diff: plain text for terminals and GitHub-flavoured Markdown
// for pull-request comments (tables, deltas with sign, long file lists folded). Pure.
import type { SemanticDiff, DataChange } from '../pipeline/semantic-diff.js';
import { formatValue, formatDelta, type ValueRow } from '../pipeline/values.js';
import { markdownTable, textTable, type Table } from './table.js';
import { formatBytes } from './format.js';


function valueTable(rows: ValueRow[], d: SemanticDiff, what: string, withDelta: boolean): Table {
  const headers = ['file', what, d.a, d.b];
  if (withDelta) headers.push('change');
  return {
    headers,
    rows: rows.map((r) => {
      const row = [r.file, r.key, formatValue(r.old), formatValue(r.new)];
      if (withDelta) row.push(r.delta !== undefined ? formatDelta(r.delta) : r.change);
      return row;
    }),
    right: withDelta ? [2, 3, 4] : [2, 3],
  };
}

function dataSummary(c: DataChange): string {
  const parts: string[] = [];
  if (c.files) parts.push(`+${c.files.added.length} -${c.files.removed.length} ~${c.files.modified.length} files`);
  else if (c.before && c.after) parts.push(`${c.before.nfiles} -> ${c.after.nfiles} files`);
  else parts.push(`${(c.after ?? c.before)!.nfiles} files`);
  if (c.before && c.after) parts.push(`${formatBytes(c.before.size)} -> ${formatBytes(c.after.size)}`);
  else parts.push(formatBytes((c.after ?? c.before)!.size));
  return parts.join(', ');
}

function dataTable(d: SemanticDiff): Table {
  return { headers: ['path', 'change', 'detail'], rows: d.data.map((c) => [c.path, c.change, dataSummary(c)]) };
}

const KIND_TITLE = { augment: 'augmentation spec', model: 'model config', 'data-spec': 'data spec', manifest: 'data manifest' } as const;

const FOLD = 20;

export function diffMarkdown(d: SemanticDiff): string {
  const out = [`## rx diff \`${d.a}\` → \`${d.b}\``, ''];
  if (!d.changed) return out.concat('No changes to parameters, metrics, stages or tracked data.').join('\n') + '\n';
  if (d.metrics.length > 0) out.push('### Metrics', '', markdownTable(valueTable(d.metrics, d, 'metric', true)), '');
  if (d.ml.length > 0) {
    out.push('### Data, augmentation and architecture', '');
    for (const c of d.ml) out.push(`**\`${c.path}\`** (${KIND_TITLE[c.kind]}, ${c.change})`, '', '```diff', ...c.lines.slice(0, 200), ...(c.lines.length > 200 ? [`... ${c.lines.length - 200} more`] : []), '```', '');
  }
  if (d.params.length > 0) out.push('### Parameters', '', markdownTable(valueTable(d.params, d, 'param', false)), '');
  if (d.stages.length > 0) {
    out.push('### Stages', '');
    for (const s of d.stages) out.push(`- **${s.name}** (${s.change})${s.reasons.length > 0 ? ': ' + s.reasons.join('; ') : ''}`);
    out.push('');
  }
  if (d.data.length > 0) {
    out.push('### Data', '', markdownTable(dataTable(d)), '');
    for (const c of d.data) {
      if (!c.files) continue;
      const lines = [...c.files.added.map((f) => `+ ${f}`), ...c.files.removed.map((f) => `- ${f}`), ...c.files.modified.map((f) => `~ ${f}`)];
      if (lines.length === 0) continue;
      const shown = lines.slice(0, 200);
      out.push(`<details><summary>${c.path}: ${lines.length} file change(s)</summary>`, '', '```diff', ...shown, ...(lines.length > shown.length ? [`... ${lines.length - shown.length} more`] : []), '```', '', '</details>', '');
    }
  }
  return out.join('\n');
}

export function diffText(d: SemanticDiff): string {
  if (!d.changed) return `no changes between ${d.a} and ${d.b}`;
  const out: string[] = [];
  if (d.metrics.length > 0) out.push('metrics:', textTable(valueTable(d.metrics, d, 'metric', true)), '');
  for (const c of d.ml) out.push(`${KIND_TITLE[c.kind]} ${c.path} (${c.change}):`, ...c.lines.map((l) => `  ${l}`), '');
  if (d.params.length > 0) out.push('params:', textTable(valueTable(d.params, d, 'param', false)), '');
  if (d.stages.length > 0) {
    out.push('stages:');
    for (const s of d.stages) out.push(`  ${s.name} (${s.change})${s.reasons.length > 0 ? ': ' + s.reasons.join('; ') : ''}`);
    out.push('');
  }
  if (d.data.length > 0) {
    out.push('data:', textTable(dataTable(d)));
    for (const c of d.data) {
      if (!c.files) continue;
      const lines = [...c.files.added.map((f) => `    + ${f}`), ...c.files.removed.map((f) => `    - ${f}`), ...c.files.modified.map((f) => `    ~ ${f}`)];
      out.push(...lines.slice(0, FOLD));
      if (lines.length > FOLD) out.push(`    ... ${lines.length - FOLD} more (--json lists all)`);
    }
  }
  return out.join('\n').trimEnd();
}

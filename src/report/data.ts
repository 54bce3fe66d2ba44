// Renderers of the data domain's results: manifest summaries, manifest diffs and audits as
// compact text tables. Pure; used by rx data and by the manifest section of rx diff.
import type { ManifestSummary } from '../data/summary.js';
import type { ManifestDiff } from '../data/diff.js';
import type { AuditReport } from '../data/audit.js';
import { textTable } from './table.js';

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const SPLITS = ['train', 'val', 'test'] as const;

export function renderSummary(s: ManifestSummary): string {
  const head = `${s.manifest}: ${s.total} samples, ${s.image.height}x${s.image.width}x${s.image.channels} (max ${s.image.maxValue}), ${s.classes.length} classes; spec ${s.spec.path} (${s.spec.hash.slice(0, 12)})`;
  const sources = textTable({
    headers: ['source', 'kind', 'available', 'selected', 'share', 'train', 'val', 'test', 'flipped', 'pinned'],
    rows: s.sources.map((r) => [r.source, r.kind, String(r.available), String(r.selected), pct(r.fraction), ...SPLITS.map((k) => String(r.splits[k])), String(r.flipped), r.pinned ?? '']),
    right: [2, 3, 4, 5, 6, 7, 8],
  });
  const splits = textTable({
    // 'requested': the share the spec's split ratios ask for, beside the share reached.
    headers: ['split', 'count', 'share', 'requested'],
    rows: s.splits.map((r) => [r.split, String(r.count), pct(r.fraction), pct(r.target)]),
    right: [1, 2, 3],
  });
  const classes = textTable({
    headers: ['class', 'count', 'share', 'train', 'val', 'test'],
    rows: s.byClass.map((r) => [r.class, String(r.count), pct(r.fraction), ...SPLITS.map((k) => String(r.splits[k]))]),
    right: [1, 2, 3, 4, 5],
  });
  return [head, '', sources, '', splits, '', classes].join('\n');
}

function budgetText(b: { count: number } | { fraction: number; of: number } | undefined): string {
  if (!b) return '';
  return 'count' in b ? String(b.count) : `${b.fraction} of ${b.of}`;
}

/** A manifest header value as a reader wants it: a spec as `path (hash)`, other objects as key=value. */
function headerValue(v: unknown): string {
  if (v === undefined || v === null) return '(none)';
  if (typeof v !== 'object') return typeof v === 'string' ? v : JSON.stringify(v);
  const o = v as Record<string, unknown>;
  if (typeof o.path === 'string' && typeof o.hash === 'string') return `${o.path} (${o.hash.slice(0, o.hash.indexOf(':') + 13)})`;
  if (Array.isArray(v)) return v.map(headerValue).join(', ');
  return Object.entries(o)
    .map(([k, x]) => `${k}=${typeof x === 'object' && x !== null ? headerValue(x) : String(x)}`)
    .join(', ');
}

export function renderDiff(d: ManifestDiff): string {
  if (!d.changed) return `${d.a} and ${d.b}: no data changes`;
  const out: string[] = [`data diff ${d.a} -> ${d.b}`];
  for (const h of d.header) out.push(`  ${h.field}: ${headerValue(h.before)} -> ${headerValue(h.after)}`);
  const changedSources = d.sources.filter((s) => s.change !== 'unchanged');
  if (changedSources.length > 0) {
    out.push(
      '',
      textTable({
        headers: ['source', 'change', 'budget', 'selected', 'what changed'],
        rows: changedSources.map((s) => [
          s.source,
          s.change,
          s.before && s.after && budgetText(s.before.budget) !== budgetText(s.after.budget) ? `${budgetText(s.before.budget)} -> ${budgetText(s.after.budget)}` : budgetText((s.after ?? s.before)?.budget),
          s.before && s.after ? `${s.before.selected} -> ${s.after.selected}` : String((s.after ?? s.before)!.selected),
          s.fields.join(', '),
        ]),
        right: [3],
      }),
    );
  }
  const x = d.samples;
  out.push('', `samples ${x.before} -> ${x.after}: +${x.added} -${x.removed}, ${x.modified} modified, ${x.relabelled} relabelled, ${x.moved} moved between splits`);
  const delta = (rows: { added: number; removed: number; before: number; after: number }[], key: (i: number) => string, title: string) => {
    const changed = rows.map((r, i) => ({ r, k: key(i) })).filter(({ r }) => r.added + r.removed > 0);
    if (changed.length === 0) return;
    out.push(
      '',
      textTable({
        headers: [title, 'before', 'after', 'added', 'removed'],
        rows: changed.map(({ r, k }) => [k, String(r.before), String(r.after), `+${r.added}`, `-${r.removed}`]),
        right: [1, 2, 3, 4],
      }),
    );
  };
  delta(d.bySource, (i) => d.bySource[i]!.source, 'source');
  delta(d.bySplit, (i) => d.bySplit[i]!.split, 'split');
  delta(d.byClass, (i) => d.byClass[i]!.class, 'class');
  if (d.moves.length > 0) out.push('', 'moves: ' + d.moves.map((m) => `${m.from} -> ${m.to}: ${m.count}`).join(', '));
  return out.join('\n');
}

export function renderAudit(a: AuditReport): string {
  const errors = a.findings.filter((f) => f.severity === 'error').length;
  const lines = a.findings.map((f) => `${f.severity === 'error' ? 'error  ' : 'warning'}  ${f.kind.padEnd(14)}  ${f.message}`);
  const hidden = a.counts['near-duplicate'] - a.findings.filter((f) => f.kind === 'near-duplicate').length;
  if (hidden > 0) lines.push(`... ${hidden} more near-duplicate pair(s) (${a.counts['near-duplicate']} in all)`);
  const counts = Object.entries(a.counts).map(([k, v]) => `${k} ${v}`).join(', ');
  lines.push(a.ok ? `${a.manifest}: no findings (${counts})` : `${a.manifest}: ${errors} error(s), ${a.findings.length - errors} warning(s) (${counts})`);
  return lines.join('\n');
}

/** The manifest diff without its title line, for rx diff's manifest section. */
export function manifestDiffLines(d: ManifestDiff): string[] {
  return renderDiff(d).split('\n').slice(1).filter((l) => l.trim() !== '');
}

// rx data build|show|diff|audit: the data domain's commands. Text output is compact tables;
// --json prints the op's result (schemas in src/schema/data.ts).
import type { Command } from 'commander';
import type { DataBuildResult } from '../../ops/data.js';
import type { ManifestSummary } from '../../data/summary.js';
import type { ManifestDiff } from '../../data/diff.js';
import type { AuditReport } from '../../data/audit.js';
import { UsageError } from '../../core/errors.js';
import { textTable } from '../../report/table.js';
import { examples, type CliIO } from '../io.js';
// Loaded when the command runs, so that start-up pays only for the command used.
const loadDataOps = () => import('../../ops/data.js');

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
    headers: ['split', 'count', 'share', 'target'],
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

export function renderDiff(d: ManifestDiff): string {
  if (!d.changed) return `${d.a} and ${d.b}: no data changes`;
  const out: string[] = [`data diff ${d.a} -> ${d.b}`];
  for (const h of d.header) out.push(`  ${h.field}: ${JSON.stringify(h.before)} -> ${JSON.stringify(h.after)}`);
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

export function registerData(program: Command, io: CliIO): void {
  const data = program.command('data').summary('data specs and manifests: build, show, diff, audit');

  data
    .command('build')
    .summary('resolve a data spec into a manifest and a pixel pack')
    .description(
      'Read the sources of a data spec (data/*.yaml, schema rx.data/1), apply preprocessing, generators,\nbudgets, stratification and the seeded split, check leakage, and write OUT/manifest.json and\nOUT/pixels.u8. Nothing is written when anything is wrong. Usable as a stage command in rx.yaml.',
    )
    .argument('<spec>', 'the data spec (YAML)')
    .requiredOption('--out <dir>', 'directory for manifest.json and pixels.u8')
    .option('--json', 'print the result as JSON')
    .addHelpText('after', examples(['rx data build data/digits.yaml --out out/data', 'build the digits mix'], ['rx data build data/digits.yaml --out out/data --json', 'the same, with the summary as JSON']))
    .action(async (spec: string, opts: { out: string; json?: boolean }, cmd: Command) => {
      const r: DataBuildResult = await (await loadDataOps()).dataBuild(io.context(cmd), { spec, out: opts.out });
      if (opts.json) io.json(r);
      else io.print(renderSummary(r.summary));
    });

  data
    .command('show')
    .summary('counts per source, split and class of a manifest')
    .argument('<manifest>', 'a manifest.json')
    .option('--json', 'print the result as JSON')
    .addHelpText('after', examples(['rx data show out/data/manifest.json', 'sources, splits and classes as tables']))
    .action(async (manifest: string, opts: { json?: boolean }, cmd: Command) => {
      const s = await (await loadDataOps()).dataShow(io.context(cmd), { manifest });
      if (opts.json) io.json(s);
      else io.print(renderSummary(s));
    });

  data
    .command('diff')
    .summary('what changed between two manifests: sources, budgets, samples per source, class and split')
    .argument('<a>', 'a manifest path, or REV:path to read it from git')
    .argument('<b>', 'a manifest path, or REV:path')
    .option('--json', 'print the result as JSON')
    .option('--exit-code', 'exit 1 when anything differs')
    .addHelpText('after', examples(['rx data diff old/manifest.json out/data/manifest.json', 'samples added, removed and moved'], ['rx data diff HEAD~1:data/manifest.json data/manifest.json --json', 'against a committed manifest']))
    .action(async (a: string, b: string, opts: { json?: boolean; exitCode?: boolean }, cmd: Command) => {
      const d = await (await loadDataOps()).dataDiff(io.context(cmd), { a, b });
      if (opts.json) io.json(d);
      else io.print(renderDiff(d));
      if (opts.exitCode && d.changed) io.exitCode = 1;
    });

  data
    .command('audit')
    .summary('provenance gaps, class imbalance, leakage and near-duplicates in a manifest')
    .argument('<manifest>', 'a manifest.json')
    .option('--imbalance <ratio>', 'largest allowed max/min class ratio within a split', '1.5')
    .option('--json', 'print the result as JSON')
    .option('--exit-code', 'exit 1 when there are findings')
    .addHelpText('after', examples(['rx data audit out/data/manifest.json', 'every finding, one a line'], ['rx data audit out/data/manifest.json --imbalance 2 --exit-code', 'for CI: fail on findings']))
    .action(async (manifest: string, opts: { imbalance: string; json?: boolean; exitCode?: boolean }, cmd: Command) => {
      const imbalance = Number(opts.imbalance);
      if (!Number.isFinite(imbalance) || imbalance < 1) throw new UsageError(`--imbalance ${opts.imbalance}: expected a ratio >= 1`);
      const a = await (await loadDataOps()).dataAudit(io.context(cmd), { manifest, imbalance });
      if (opts.json) io.json(a);
      else io.print(renderAudit(a));
      if (opts.exitCode && !a.ok) io.exitCode = 1;
    });
}

// Manifest summaries, diffs and audits on manifests resolved from tiny sample sets, and the
// training loader's pixel-pack verification (exit 6 on a mismatch).
import t from 'tap';
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { resolveManifest } from '../../src/data/resolve.js';
import { summarise } from '../../src/data/summary.js';
import { diffManifests } from '../../src/data/diff.js';
import { auditManifest } from '../../src/data/audit.js';
import { loadDataset, splitIndices, samplePixels } from '../../src/data/load.js';
import { canonicalJson } from '../../src/core/canonical.js';
import { StoreIntegrityError, InvalidFileError } from '../../src/core/errors.js';
import type { DataSpec, SourceSpec } from '../../src/data/spec.js';
import type { Manifest } from '../../src/data/types.js';
import { validateJson } from '../../fixtures/project.js';
import { manifestSchema, dataShowOutputSchema, dataDiffOutputSchema, dataAuditOutputSchema } from '../../src/schema/data.js';
import { sampleSet, concatSets } from '../../fixtures/data.js';

const specRef = { path: 'data/s.yaml', hash: 'a'.repeat(64) };
const real = (extra: Partial<SourceSpec> = {}): SourceSpec => ({ kind: 'real', read: { format: 'digits-csv', path: 'x' }, provenance: { origin: 'o', licence: 'l' }, ...extra });
function build(sources: Record<string, SourceSpec>, read: Record<string, ReturnType<typeof sampleSet>>, extra: Partial<DataSpec> = {}): Manifest {
  const spec: DataSpec = { schema: 'rx.data/1', split: { seed: 3, fractions: { train: 0.6, val: 0.2, test: 0.2 } }, stratify: ['label'], sources, ...extra };
  return validateJson<Manifest>(manifestSchema, resolveManifest({ spec, specRef, read }).manifest, 'manifest');
}

t.test('summary: counts and fractions per source, split and class, and the non-empty cells', async (t) => {
  const m = build({ a: real(), b: real({ split: 'train', budget: { count: 6 } }) }, { a: sampleSet(30), b: sampleSet(9, { seed: 5 }) });
  const s = validateJson(dataShowOutputSchema, summarise(m, 'out/manifest.json'), 'summary');
  t.equal(s.total, 36);
  t.same(s.classes, ['a', 'b', 'c']);
  const a = s.sources.find((x) => x.source === 'a')!;
  const b = s.sources.find((x) => x.source === 'b')!;
  t.equal(a.selected, 30);
  t.same(b, { source: 'b', kind: 'real', available: 9, selected: 6, fraction: 6 / 36, splits: { train: 6, val: 0, test: 0 }, flipped: 0, pinned: 'train' });
  t.equal(a.splits.train + a.splits.val + a.splits.test, 30);
  t.same(s.splits.map((x) => x.count).reduce((p, q) => p + q, 0), 36);
  t.same(s.byClass.map((x) => x.count), [12, 12, 12], 'stratified: b gives two of each class');
  t.equal(s.cells.reduce((p, c) => p + c.count, 0), 36);
  t.ok(s.cells.every((c) => c.count > 0));
  t.same(s.splits.map((x) => x.target), [0.6, 0.2, 0.2]);
});

t.test('diff: samples added and removed per source and class, budget and provenance changes, moves', async (t) => {
  const base = sampleSet(30);
  const a = build({ a: real(), n: real({ split: 'train', budget: { count: 6 }, preprocess: [{ 'label-noise': { rate: 0.5 } }] }) }, { a: base, n: sampleSet(12, { seed: 9 }) });
  const b = build(
    { a: real({ provenance: { origin: 'o', licence: 'CC0' } }), n: real({ split: 'train', budget: { count: 9 }, preprocess: [{ 'label-noise': { rate: 0.5 } }] }) },
    { a: concatSets(base, sampleSet(3, { seed: 77, start: 30 })), n: sampleSet(12, { seed: 9 }) },
  );
  const d = validateJson(dataDiffOutputSchema, diffManifests(a, b, { a: 'A', b: 'B' }), 'diff');
  t.equal(d.changed, true);
  t.equal(d.samples.before, 36);
  t.equal(d.samples.after, 42);
  t.equal(d.samples.added, 6);
  t.equal(d.samples.removed, 0);
  t.equal(d.samples.moved, 0, 'adding samples moves none between splits');
  t.same(d.samples.examples.added.filter((id) => id.startsWith('a/')), ['a/30', 'a/31', 'a/32']);
  t.same(d.bySource, [
    { source: 'a', added: 3, removed: 0, before: 30, after: 33 },
    { source: 'n', added: 3, removed: 0, before: 6, after: 9 },
  ]);
  const srcA = d.sources.find((s) => s.source === 'a')!;
  t.equal(srcA.change, 'changed');
  t.ok(srcA.fields.includes('provenance.licence'), 'names the provenance field that changed');
  const srcN = d.sources.find((s) => s.source === 'n')!;
  t.ok(srcN.fields.includes('budget'));
  t.same(srcN.before!.budget, { count: 6 });
  t.same(srcN.after!.budget, { count: 9 });
  t.equal(d.byClass.reduce((p, c) => p + c.added - c.removed, 0) , 6, 'class tallies add up (relabels count out and in)');

  // A split-seed change moves samples and shows as a header change.
  const c = build({ a: real(), n: real({ split: 'train', budget: { count: 6 }, preprocess: [{ 'label-noise': { rate: 0.5 } }] }) }, { a: base, n: sampleSet(12, { seed: 9 }) }, { split: { seed: 4, fractions: { train: 0.6, val: 0.2, test: 0.2 } } });
  const moved = diffManifests(a, c);
  t.ok(moved.samples.moved > 0);
  t.equal(moved.moves.reduce((p, m) => p + m.count, 0), moved.samples.moved);
  t.same(moved.header.map((h) => h.field), ['split']);
  t.equal(diffManifests(a, a).changed, false, 'a manifest does not differ from itself');
});

t.test('audit: provenance gaps, class imbalance, exact leakage and near-duplicates', async (t) => {
  const m = build({ a: real({ provenance: { origin: 'somewhere' } }), b: real({ split: 'train' }) }, { a: sampleSet(30, { labelOf: (i) => (i < 20 ? 0 : i < 25 ? 1 : 2) }), b: sampleSet(3, { seed: 5 }) });
  const r = validateJson(dataAuditOutputSchema, auditManifest(m, 'm.json'), 'audit');
  t.equal(r.ok, false);
  t.match(r.findings.find((f) => f.kind === 'provenance'), { source: 'a', missing: ['licence'], message: /30 sample\(s\) of source a lack provenance: no licence/ });
  t.ok(r.findings.some((f) => f.kind === 'imbalance' && f.split === 'train'), 'train is imbalanced 4:1');
  t.equal(r.counts.leakage, 0);
  const lenient = auditManifest(m, 'm.json', { imbalance: 100 });
  t.equal(lenient.counts.imbalance, r.findings.filter((f) => f.kind === 'imbalance' && f.message.includes('no samples')).length, 'only empty classes remain at ratio 100');

  // Exact leakage and near-duplicates, planted by hand in a clean manifest.
  const clean = build({ a: real() }, { a: sampleSet(30) }, { leakage: { near: { method: 'ahash', distance: 0 } } });
  t.equal(auditManifest(clean, 'm', { imbalance: 10 }).counts.leakage, 0);
  const [x, y] = [clean.samples.find((s) => s.split === 'train')!, clean.samples.find((s) => s.split === 'test')!];
  const leaky: Manifest = JSON.parse(JSON.stringify(clean));
  leaky.samples.find((s) => s.id === y.id)!.hash = x.hash;
  leaky.samples.find((s) => s.id === y.id)!.meta!.phash = x.meta!.phash!;
  const l = validateJson(dataAuditOutputSchema, auditManifest(leaky, 'm', { imbalance: 10 }), 'audit');
  const leak = l.findings.find((f) => f.kind === 'leakage')!;
  t.match(leak, { severity: 'error', hash: x.hash });
  t.same([...leak.samples!].sort(), [x.id, y.id].sort());
  t.ok(l.findings.some((f) => f.kind === 'near-duplicate' && f.samples!.includes(x.id) && f.samples!.includes(y.id) && f.distance === 0));
  t.ok(l.counts['near-duplicate'] >= 1);
  t.same(l.near, { method: 'ahash', size: 16, distance: 0 }, 'the manifest\'s own near rule');
});

t.test('loadDataset verifies the pixel pack: sha256 mismatch and wrong length are exit 6', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'rx-data-load-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const r = resolveManifest({ spec: { schema: 'rx.data/1', split: { seed: 1, fractions: { train: 0.5, val: 0.25, test: 0.25 } }, sources: { a: real() } }, specRef, read: { a: sampleSet(10) } });
  writeFileSync(path.join(dir, 'manifest.json'), canonicalJson(r.manifest));
  writeFileSync(path.join(dir, 'pixels.u8'), r.pixels);
  const ds = await loadDataset(path.join(dir, 'manifest.json'));
  t.equal(ds.pixels.length, 160);
  t.same(Array.from(samplePixels(ds, 2)), Array.from(r.pixels.subarray(32, 48)));
  const parts = (['train', 'val', 'test'] as const).map((s) => splitIndices(ds.manifest, s));
  t.equal(parts.flat().length, 10);

  const flipped = Buffer.from(r.pixels);
  flipped[5] = flipped[5]! ^ 1;
  writeFileSync(path.join(dir, 'pixels.u8'), flipped);
  const e1 = await loadDataset(path.join(dir, 'manifest.json')).catch((e) => e);
  t.ok(e1 instanceof StoreIntegrityError);
  t.match(e1, { code: 'RX_DATA_PIXELS_CORRUPT', exitCode: 6, message: /sha256 [0-9a-f]{64} does not match/ });
  writeFileSync(path.join(dir, 'pixels.u8'), flipped.subarray(0, 100));
  t.match(await loadDataset(path.join(dir, 'manifest.json')).catch((e) => e), { code: 'RX_DATA_PIXELS_CORRUPT', exitCode: 6, message: /holds 100 bytes, the manifest expects 160/ });
  rmSync(path.join(dir, 'pixels.u8'));
  t.match(await loadDataset(path.join(dir, 'manifest.json')).catch((e) => e), { code: 'RX_DATA_PIXELS_MISSING', exitCode: 6 });
  writeFileSync(path.join(dir, 'manifest.json'), readFileSync(path.join(dir, 'manifest.json'), 'utf8').replace('"rx.manifest/1"', '"rx.manifest/9"'));
  const e4 = await loadDataset(path.join(dir, 'manifest.json')).catch((e) => e);
  t.ok(e4 instanceof InvalidFileError);
  t.equal(e4.exitCode, 4);
});

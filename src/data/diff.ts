// The semantic diff of two manifests: manifest-level changes (classes, image, split rule,
// stratification, spec), sources added, removed or changed (budget, kind, provenance,
// preprocessing, generator, counts), and samples matched by id: added, removed, modified
// (same id, other pixels), relabelled and moved between splits, per source, class and split.
import type { Manifest, ManifestSample, SplitName } from './types.js';
import { canonicalJson } from '../core/canonical.js';

export interface AddRemove {
  added: number;
  removed: number;
  before: number;
  after: number;
}

export interface SourceFacts {
  kind: 'real' | 'synthetic';
  available: number;
  selected: number;
  budget: Manifest['sources'][string]['budget'];
  split?: SplitName;
}

export interface ManifestDiff {
  a: string;
  b: string;
  changed: boolean;
  header: { field: string; before: unknown; after: unknown }[];
  sources: { source: string; change: 'added' | 'removed' | 'changed' | 'unchanged'; fields: string[]; before?: SourceFacts; after?: SourceFacts }[];
  samples: {
    before: number;
    after: number;
    added: number;
    removed: number;
    modified: number;
    relabelled: number;
    moved: number;
    examples: { added: string[]; removed: string[]; modified: string[]; relabelled: string[]; moved: string[] };
  };
  bySource: ({ source: string } & AddRemove)[];
  byClass: ({ class: string } & AddRemove)[];
  bySplit: ({ split: string } & AddRemove)[];
  moves: { from: SplitName; to: SplitName; count: number }[];
}

const SPLITS: SplitName[] = ['train', 'val', 'test'];
const EXAMPLES = 10;
const same = (x: unknown, y: unknown) => canonicalJson(x) === canonicalJson(y);

function facts(s: Manifest['sources'][string]): SourceFacts {
  const f: SourceFacts = { kind: s.kind, available: s.available, selected: s.selected, budget: s.budget };
  if (s.split) f.split = s.split;
  return f;
}

/** Field paths (one level into objects) whose values differ. */
function changedFields(a: Record<string, unknown>, b: Record<string, unknown>, prefix = ''): string[] {
  const out: string[] = [];
  for (const key of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) {
    const x = a[key];
    const y = b[key];
    if (same(x, y)) continue;
    const nested = prefix === '' && (key === 'provenance' || key === 'generator');
    if (nested && x && y && typeof x === 'object' && typeof y === 'object') out.push(...changedFields(x as Record<string, unknown>, y as Record<string, unknown>, `${key}.`));
    else out.push(prefix + key);
  }
  return out;
}

export function diffManifests(a: Manifest, b: Manifest, labels: { a: string; b: string } = { a: 'a', b: 'b' }): ManifestDiff {
  const header: ManifestDiff['header'] = [];
  for (const field of ['classes', 'image', 'split', 'stratify', 'leakage', 'spec'] as const) {
    if (!same(a[field], b[field])) header.push({ field, before: a[field] ?? null, after: b[field] ?? null });
  }

  const sources: ManifestDiff['sources'] = [];
  for (const source of [...new Set([...Object.keys(a.sources), ...Object.keys(b.sources)])].sort()) {
    const x = a.sources[source];
    const y = b.sources[source];
    if (!x) sources.push({ source, change: 'added', fields: [], after: facts(y!) });
    else if (!y) sources.push({ source, change: 'removed', fields: [], before: facts(x) });
    else {
      const fields = changedFields(x as unknown as Record<string, unknown>, y as unknown as Record<string, unknown>);
      sources.push({ source, change: fields.length > 0 ? 'changed' : 'unchanged', fields, before: facts(x), after: facts(y) });
    }
  }

  const className = (m: Manifest, s: ManifestSample) => m.classes[s.label] ?? String(s.label);
  const byId = new Map(a.samples.map((s) => [s.id, s]));
  const seen = new Set<string>();
  const tally = new Map<string, Map<string, AddRemove>>([['source', new Map()], ['class', new Map()], ['split', new Map()]]);
  const bump = (kind: string, key: string, field: keyof AddRemove) => {
    const m = tally.get(kind)!;
    let e = m.get(key);
    if (!e) m.set(key, (e = { added: 0, removed: 0, before: 0, after: 0 }));
    e[field]++;
  };
  for (const s of a.samples) {
    bump('source', s.source, 'before');
    bump('class', className(a, s), 'before');
    bump('split', s.split, 'before');
  }
  const ex: ManifestDiff['samples']['examples'] = { added: [], removed: [], modified: [], relabelled: [], moved: [] };
  const counts = { added: 0, removed: 0, modified: 0, relabelled: 0, moved: 0 };
  const note = (k: keyof typeof counts, id: string) => {
    counts[k]++;
    if (ex[k].length < EXAMPLES) ex[k].push(id);
  };
  const moves = new Map<string, number>();
  for (const s of b.samples) {
    bump('source', s.source, 'after');
    bump('class', className(b, s), 'after');
    bump('split', s.split, 'after');
    const old = byId.get(s.id);
    if (!old) {
      note('added', s.id);
      bump('source', s.source, 'added');
      bump('class', className(b, s), 'added');
      bump('split', s.split, 'added');
      continue;
    }
    seen.add(s.id);
    if (old.hash !== s.hash) note('modified', s.id);
    if (className(a, old) !== className(b, s)) {
      note('relabelled', s.id);
      bump('class', className(a, old), 'removed');
      bump('class', className(b, s), 'added');
    }
    if (old.split !== s.split) {
      note('moved', s.id);
      moves.set(`${old.split}>${s.split}`, (moves.get(`${old.split}>${s.split}`) ?? 0) + 1);
      bump('split', old.split, 'removed');
      bump('split', s.split, 'added');
    }
  }
  for (const s of a.samples) {
    if (seen.has(s.id)) continue;
    note('removed', s.id);
    bump('source', s.source, 'removed');
    bump('class', className(a, s), 'removed');
    bump('split', s.split, 'removed');
  }

  const rows = (kind: string, order: string[]) =>
    order.filter((k) => tally.get(kind)!.has(k)).map((k) => ({ key: k, ...tally.get(kind)!.get(k)! }));
  const classOrder = [...new Set([...a.classes, ...b.classes])];
  const sourceOrder = sources.map((s) => s.source);
  const d: ManifestDiff = {
    a: labels.a,
    b: labels.b,
    changed: false,
    header,
    sources,
    samples: { before: a.samples.length, after: b.samples.length, ...counts, examples: ex },
    bySource: rows('source', sourceOrder).map(({ key, ...r }) => ({ source: key, ...r })),
    byClass: rows('class', classOrder).map(({ key, ...r }) => ({ class: key, ...r })),
    bySplit: rows('split', SPLITS).map(({ key, ...r }) => ({ split: key, ...r })),
    moves: [...moves.entries()]
      .map(([k, count]) => {
        const [from, to] = k.split('>') as [SplitName, SplitName];
        return { from, to, count };
      })
      .sort((x, y) => SPLITS.indexOf(x.from) - SPLITS.indexOf(y.from) || SPLITS.indexOf(x.to) - SPLITS.indexOf(y.to)),
  };
  d.changed =
    header.length > 0 ||
    sources.some((s) => s.change !== 'unchanged') ||
    counts.added + counts.removed + counts.modified + counts.relabelled + counts.moved > 0 ||
    a.pixels.sha256 !== b.pixels.sha256;
  return d;
}

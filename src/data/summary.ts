// Summaries of a manifest: counts and fractions per source, class and split, and the
// non-empty (source, class, split) cells. What `rx data show` prints and build reports.
import type { Manifest, SplitName } from './types.js';

export type SplitCounts = Record<SplitName, number>;

export interface ManifestSummary {
  manifest: string;
  spec: { path: string; hash: string };
  image: Manifest['image'];
  total: number;
  classes: string[];
  splits: { split: SplitName; count: number; fraction: number; target: number }[];
  sources: {
    source: string;
    kind: 'real' | 'synthetic';
    available: number;
    selected: number;
    fraction: number;
    splits: SplitCounts;
    flipped: number;
    pinned?: SplitName;
  }[];
  byClass: { class: string; count: number; fraction: number; splits: SplitCounts }[];
  cells: { source: string; class: string; split: SplitName; count: number }[];
}

const SPLITS: SplitName[] = ['train', 'val', 'test'];
const zero = (): SplitCounts => ({ train: 0, val: 0, test: 0 });
const frac = (a: number, b: number) => (b === 0 ? 0 : a / b);

export function summarise(manifest: Manifest, manifestPath: string): ManifestSummary {
  const total = manifest.samples.length;
  const bySplit = zero();
  const bySource = new Map<string, SplitCounts>();
  const byClass = manifest.classes.map(zero);
  const cells = new Map<string, number>();
  for (const s of manifest.samples) {
    bySplit[s.split]++;
    let sc = bySource.get(s.source);
    if (!sc) bySource.set(s.source, (sc = zero()));
    sc[s.split]++;
    if (byClass[s.label]) byClass[s.label]![s.split]++;
    const key = `${s.source}\0${s.label}\0${s.split}`;
    cells.set(key, (cells.get(key) ?? 0) + 1);
  }
  const sum = (c: SplitCounts) => c.train + c.val + c.test;
  const sourceNames = Object.keys(manifest.sources).sort();
  return {
    manifest: manifestPath,
    spec: manifest.spec,
    image: manifest.image,
    total,
    classes: manifest.classes,
    splits: SPLITS.map((split) => ({ split, count: bySplit[split], fraction: frac(bySplit[split], total), target: manifest.split.fractions[split] })),
    sources: sourceNames.map((source) => {
      const src = manifest.sources[source]!;
      const splits = bySource.get(source) ?? zero();
      const row: ManifestSummary['sources'][number] = {
        source,
        kind: src.kind,
        available: src.available,
        selected: sum(splits),
        fraction: frac(sum(splits), total),
        splits,
        flipped: src.flipped ?? manifest.samples.filter((x) => x.source === source && x.meta?.originalLabel !== undefined).length,
      };
      if (src.split) row.pinned = src.split;
      return row;
    }),
    byClass: manifest.classes.map((cls, k) => ({ class: cls, count: sum(byClass[k]!), fraction: frac(sum(byClass[k]!), total), splits: byClass[k]! })),
    cells: [...cells.entries()]
      .map(([key, count]) => {
        const [source, label, split] = key.split('\0') as [string, string, SplitName];
        return { source, class: manifest.classes[Number(label)] ?? label, split, count, order: Number(label) };
      })
      .sort((a, b) => (a.source < b.source ? -1 : a.source > b.source ? 1 : a.order - b.order || SPLITS.indexOf(a.split) - SPLITS.indexOf(b.split)))
      .map(({ order: _order, ...cell }) => cell),
  };
}

// The pure core of rx data build: split stability (property test), exact budgets and
// stratification, label noise keyed by sample (stable across budgets), synthetic copies following their parent's split,
// located budget errors, exact and near-duplicate leakage.
import t from 'tap';
import { resolveManifest, assignSplit, DataLeakageError, type ResolveInput } from '../../src/data/resolve.js';
import { apportion, seededUint32 } from '../../src/data/hash.js';
import type { DataSpec, SourceSpec } from '../../src/data/spec.js';
import { InvalidFileError } from '../../src/core/errors.js';
import { sampleSet, concatSets } from '../../fixtures/data.js';
import type { Manifest, SplitName } from '../../src/data/types.js';

interface ManifestSampleView {
  label: number;
  corrupted: boolean;
}

const FRACTIONS = { train: 0.7, val: 0.15, test: 0.15 };
const specRef = { path: 'data/s.yaml', hash: '0'.repeat(64) };

function spec(sources: Record<string, SourceSpec>, extra: Partial<DataSpec> = {}): DataSpec {
  return { schema: 'rx.data/1', split: { seed: 1, fractions: FRACTIONS }, sources, ...extra };
}
const real = (extra: Partial<SourceSpec> = {}): SourceSpec => ({ kind: 'real', read: { format: 'digits-csv', path: 'x' }, provenance: { origin: 'o', licence: 'l' }, ...extra });
const resolve = (s: DataSpec, read: ResolveInput['read']) => resolveManifest({ spec: s, specRef, read });

t.test('split assignment is stable when samples are added (property over seeds and sizes)', async (t) => {
  for (let trial = 0; trial < 20; trial++) {
    const seed = seededUint32(trial, 'trial', 'seed');
    const n = 20 + (seededUint32(trial, 'trial', 'n') % 200);
    const extra = 1 + (seededUint32(trial, 'trial', 'extra') % 100);
    const base = sampleSet(n, { seed: trial + 1 });
    const more = concatSets(base, sampleSet(extra, { seed: trial + 1000, start: n }));
    const s = spec({ src: real() }, { split: { seed, fractions: FRACTIONS } });
    const a = resolve(s, { src: base }).manifest;
    const b = resolve(s, { src: more }).manifest;
    const before = new Map(a.samples.map((x) => [x.id, x.split]));
    const moved = b.samples.filter((x) => before.has(x.id) && before.get(x.id) !== x.split);
    t.equal(moved.length, 0, `trial ${trial}: no sample moves when ${extra} are added to ${n}`);
    t.equal(b.samples.length, n + extra);
  }
  // The split depends only on the key, the seed and the fractions.
  t.equal(assignSplit('abc', 5, FRACTIONS), assignSplit('abc', 5, FRACTIONS));
  const counts: Record<SplitName, number> = { train: 0, val: 0, test: 0 };
  for (let i = 0; i < 10000; i++) counts[assignSplit(`k${i}`, 9, FRACTIONS)]++;
  t.ok(Math.abs(counts.train / 10000 - 0.7) < 0.02 && Math.abs(counts.test / 10000 - 0.15) < 0.02, `fractions are honoured on average: ${JSON.stringify(counts)}`);
});

t.test('a split follows the image, not its id: reordered sources and copies in two sources agree', async (t) => {
  const set = sampleSet(120, { seed: 21 });
  const per = 16;
  // The same images read in reverse order: every image gets another id (src/119-i).
  const reversed = { ...set, labels: [...set.labels].reverse(), pixels: new Uint8Array(set.pixels.length) };
  for (let i = 0; i < 120; i++) reversed.pixels.set(set.pixels.subarray((119 - i) * per, (120 - i) * per), i * per);
  const s = spec({ src: real() });
  const splitsByHash = (m: Manifest) => Object.fromEntries(m.samples.map((x) => [x.hash, x.split]));
  const a = resolve(s, { src: set }).manifest;
  const b = resolve(s, { src: reversed }).manifest;
  t.same(splitsByHash(b), splitsByHash(a), 'every image keeps its split when the ids move');
  const moved = a.samples.filter((x) => b.samples.find((y) => y.hash === x.hash)!.id !== x.id);
  t.equal(moved.length, 120, 'and every id did move');
  t.same(new Set(a.samples.map((x) => x.split)), new Set(['train', 'val', 'test']), 'all three splits are used');

  // The same images in two unpinned sources land in the same splits: no exact leak.
  const two = resolve(spec({ a: real(), b: real() }), { a: set, b: reversed });
  t.same(two.warnings, []);
  const byHash = new Map<string, Set<string>>();
  for (const x of two.manifest.samples) byHash.set(x.hash, (byHash.get(x.hash) ?? new Set()).add(x.split));
  t.equal(byHash.size, 120);
  t.ok([...byHash.values()].every((splits) => splits.size === 1), 'each image sits in one split in both sources');
});

t.test('largest-remainder apportionment is exact', async (t) => {
  t.same(apportion(10, [1, 1, 1]), [4, 3, 3]);
  t.same(apportion(7, [5, 0, 5]), [4, 0, 3]);
  for (let total = 0; total < 50; total++) t.equal(apportion(total, [3, 7, 11, 13]).reduce((a, b) => a + b, 0), total);
});

t.test('budgets and stratification are exact', async (t) => {
  // 3 classes offering 50, 30, 20 samples.
  const set = sampleSet(100, { labelOf: (i) => (i < 50 ? 0 : i < 80 ? 1 : 2) });
  const m = resolve(spec({ src: real({ budget: { count: 41 } }) }, { stratify: ['label'] }), { src: set }).manifest;
  t.equal(m.samples.length, 41);
  const per = [0, 1, 2].map((k) => m.samples.filter((s) => s.label === k).length);
  t.same(per, apportion(41, [50, 30, 20]), 'classes get the largest-remainder shares of 41 by 50:30:20');
  t.same(per, [21, 12, 8]);
  t.same(m.sources.src, { kind: 'real', available: 100, selected: 41, budget: { count: 41 }, provenance: { origin: 'o', licence: 'l' }, flipped: 0 });

  // A larger budget keeps every earlier choice (ranks by seeded hash).
  const bigger = resolve(spec({ src: real({ budget: { count: 60 } }) }, { stratify: ['label'] }), { src: set }).manifest;
  const ids = new Set(bigger.samples.map((s) => s.id));
  t.ok(m.samples.every((s) => ids.has(s.id)), 'growing the budget keeps the samples chosen before');

  // Fraction budgets of a total share it exactly.
  const two = resolve(
    spec({ a: real({ budget: { fraction: 0.5 } }), b: real({ budget: { fraction: 0.5 } }) }, { total: 101 }),
    { a: sampleSet(80, { seed: 2 }), b: sampleSet(80, { seed: 3 }) },
  ).manifest;
  t.equal(two.samples.length, 101);
  t.same([two.sources.a!.selected, two.sources.b!.selected], [51, 50]);
  t.same(two.sources.a!.budget, { fraction: 0.5, of: 101 });
});

t.test('a budget beyond what a source holds is a located error saying how many it holds', async (t) => {
  const err = t.throws(() => resolve(spec({ src: real({ budget: { count: 500 } }) }), { src: sampleSet(100) })) as unknown as InvalidFileError;
  t.ok(err instanceof InvalidFileError);
  t.equal(err.exitCode, 4);
  t.equal(err.problems[0]!.field, 'sources.src.budget.count');
  t.match(err.problems[0]!.message, /asks for 500 samples but source src holds 100/);
});

t.test('label noise: each sample moves with probability rate, always to another class', async (t) => {
  for (const [n, rate] of [[100, 0.4], [33, 0.25], [7, 0.5], [50, 0], [20, 1]] as const) {
    const set = sampleSet(n, { seed: n });
    const m = resolve(spec({ src: real({ preprocess: [{ 'label-noise': { rate, seed: 3 } }] }) }), { src: set }).manifest;
    const flipped = m.samples.filter((s) => s.meta?.originalLabel !== undefined);
    t.equal(m.sources.src!.flipped, flipped.length, `${rate} of ${n}: the source counts its flips`);
    if (rate === 0) t.equal(flipped.length, 0, 'rate 0 moves no label');
    if (rate === 1) t.equal(flipped.length, n, 'rate 1 moves every label');
    t.equal(m.samples.length, n);
    if (rate > 0) t.ok(flipped.length > 0, 'a positive rate moves some label');
    t.ok(flipped.every((s) => s.label !== s.meta!.originalLabel), 'every flip changes the class');
    const original = new Map(set.indices.map((i, k) => [`src/${i}`, set.labels[k]]));
    t.ok(flipped.every((s) => s.meta!.originalLabel === original.get(s.id)), 'originalLabel is the label as read');
    t.ok(m.samples.every((s) => s.meta?.originalLabel !== undefined || s.label === original.get(s.id)), 'the others keep their label');
  }
  // The share moved is rate on average: 4000 samples at 0.4 give 1600 +- 3 standard deviations (93).
  const big = resolve(spec({ src: real({ preprocess: [{ 'label-noise': { rate: 0.4, seed: 3 } }] }) }), { src: sampleSet(4000, { seed: 5 }) }).manifest;
  t.ok(Math.abs(big.sources.src!.flipped! - 1600) <= 93, `${big.sources.src!.flipped} of 4000 moved at rate 0.4`);
  // Every other class is a target: over 4000 samples of 3 classes, both shifts occur.
  const shifts = new Set(big.samples.filter((s) => s.meta?.originalLabel !== undefined).map((s) => (s.label - Number(s.meta!.originalLabel) + 3) % 3));
  t.same([...shifts].sort(), [1, 2]);
});

t.test('label noise is a function of (seed, source, sample id): budgets, other samples and rates never relabel a sample', async (t) => {
  const noisy = (s: Record<string, ManifestSampleView>, id: string) => s[id]!;
  const view = (m: Manifest): Record<string, ManifestSampleView> =>
    Object.fromEntries(m.samples.filter((x) => x.source === 'src').map((x) => [x.id, { label: x.label, corrupted: x.meta?.originalLabel !== undefined }]));
  const classes = ['a', 'b', 'c', 'd', 'e'];
  const set = sampleSet(240, { seed: 11, classes });
  for (const seed of [0, 3, 7, 1234567]) {
    for (const stratify of [[], ['label']]) {
      const budgets = [240, 200, 150, 97, 60, 31, 10, 1];
      const builds = budgets.map((count) => {
        const s = spec({ src: real({ budget: { count }, preprocess: [{ 'label-noise': { rate: 0.4, seed } }] }) }, { stratify, seed: 5 });
        return view(resolve(s, { src: set }).manifest);
      });
      let compared = 0;
      let mismatched: string[] = [];
      for (let a = 0; a < builds.length; a++) {
        for (let b = a + 1; b < builds.length; b++) {
          for (const id of Object.keys(builds[b]!)) {
            if (!(id in builds[a]!)) continue;
            compared++;
            const [x, y] = [noisy(builds[a]!, id), noisy(builds[b]!, id)];
            if (x.label !== y.label || x.corrupted !== y.corrupted) mismatched.push(`${id} budget ${budgets[a]} -> ${budgets[b]}: ${JSON.stringify(x)} -> ${JSON.stringify(y)}`);
          }
        }
      }
      t.ok(compared > 1000, `seed ${seed}, stratify [${stratify}]: ${compared} samples selected under two budgets compared`);
      t.same(mismatched.slice(0, 5), [], `seed ${seed}, stratify [${stratify}]: a sample selected under two budgets keeps its label and corrupted flag`);
      mismatched = [];
    }
  }

  // Adding samples to the source leaves the existing ones' noise alone.
  const s = spec({ src: real({ preprocess: [{ 'label-noise': { rate: 0.3, seed: 9 } }] }) });
  const before = view(resolve(s, { src: set }).manifest);
  const after = view(resolve(s, { src: concatSets(set, sampleSet(60, { seed: 12, classes, start: 240 })) }).manifest);
  t.same(Object.fromEntries(Object.keys(before).map((id) => [id, after[id]])), before, 'adding 60 samples relabels none of the 240');

  // Raising the rate keeps every earlier flip, with the same new label.
  const at = (rate: number) => view(resolve(spec({ src: real({ preprocess: [{ 'label-noise': { rate, seed: 9 } }] }) }), { src: set }).manifest);
  const [low, high] = [at(0.2), at(0.5)];
  const lowFlips = Object.keys(low).filter((id) => low[id]!.corrupted);
  t.ok(lowFlips.length > 0);
  t.same(lowFlips.map((id) => high[id]), lowFlips.map((id) => low[id]), 'every sample moved at rate 0.2 is moved the same way at 0.5');

  // The seed matters: another seed corrupts another set of samples.
  const other = view(resolve(spec({ src: real({ preprocess: [{ 'label-noise': { rate: 0.3, seed: 10 } }] }) }), { src: set }).manifest);
  t.not(Object.keys(other).filter((id) => other[id]!.corrupted).join(), Object.keys(before).filter((id) => before[id]!.corrupted).join(), 'seeds 9 and 10 differ');
});

t.test('synthetic copies: labels and groups follow the parent, pinned to a split only from parents in it', async (t) => {
  const set = sampleSet(60, { h: 6, w: 6 });
  const s = spec({
    clean: real(),
    syn: { kind: 'synthetic', generator: { from: 'clean', method: 'shifted-copies', copies: 2, seed: 1 }, split: 'train' },
  });
  const m = resolve(s, { clean: set }).manifest;
  const clean = new Map(m.samples.filter((x) => x.source === 'clean').map((x) => [x.id, x]));
  const copies = m.samples.filter((x) => x.source === 'syn');
  const trainParents = [...clean.values()].filter((x) => x.split === 'train').length;
  t.equal(copies.length, trainParents * 2, 'two copies of every train parent, none of val/test parents');
  for (const c of copies) {
    const parent = clean.get(String(c.meta!.parent))!;
    t.equal(c.group, parent.hash, 'group is the parent hash');
    t.equal(c.label, parent.label);
    t.equal(c.split, 'train');
    t.not(c.hash, parent.hash, 'a copy is shifted');
  }
  // Without a pin, a copy takes its parent's split.
  const unpinned = resolve(spec({ clean: real(), syn: { kind: 'synthetic', generator: { from: 'clean', method: 'shifted-copies' } } }), { clean: set }).manifest;
  const byId = new Map(unpinned.samples.map((x) => [x.id, x]));
  const unpinnedCopies = unpinned.samples.filter((x) => x.source === 'syn');
  t.equal(unpinnedCopies.length, 60, 'one copy of every parent');
  t.ok(unpinnedCopies.every((c) => c.split === byId.get(String(c.meta!.parent))!.split));
  // Asking for more copies than the pinned parents give says why.
  const err = t.throws(() => resolve(spec({ clean: real(), syn: { kind: 'synthetic', generator: { from: 'clean', method: 'shifted-copies' }, split: 'test', budget: { count: 50 } } }), { clean: set })) as unknown as InvalidFileError;
  t.match(err.problems[0]!.message, /holds \d+ \(copies of parents in split test only\)/);
});

t.test('the pixel pack holds every sample in order and its sha256 is in the manifest', async (t) => {
  const r = resolve(spec({ a: real(), b: real() }), { a: sampleSet(5, { seed: 1 }), b: sampleSet(4, { seed: 2 }) });
  t.equal(r.pixels.length, 9 * 16);
  t.equal(r.manifest.pixels.bytes, 9 * 16);
  t.same(r.manifest.samples.map((s) => s.id), ['a/0', 'a/1', 'a/2', 'a/3', 'a/4', 'b/0', 'b/1', 'b/2', 'b/3']);
  t.same(Array.from(r.pixels.subarray(5 * 16, 6 * 16)), Array.from(sampleSet(4, { seed: 2 }).pixels.subarray(0, 16)));
});

t.test('leakage: identical images across splits fail the build; near-duplicates warn', async (t) => {
  // The same 40 images in a train-pinned source and an unpinned one: some of the latter land in val/test.
  const set = sampleSet(40);
  const s = spec({ a: real({ split: 'train' }), b: real() });
  const err = t.throws(() => resolve(s, { a: set, b: set })) as unknown as DataLeakageError;
  t.ok(err instanceof DataLeakageError);
  t.equal(err.code, 'RX_DATA_LEAKAGE');
  t.equal(err.exitCode, 4);
  t.match(err.message, /a\/\d+, b\/\d+ \(train \+ (val|test)\)/, 'names the sample ids and splits');
  const warned = resolve({ ...s, leakage: { exact: 'warn', near: false } }, { a: set, b: set });
  t.match(warned.warnings[0], /appear in more than one split/);

  // Near-duplicates: b's images differ from a's by one grey level in one pixel.
  const near = sampleSet(40);
  const tweaked = { ...near, pixels: near.pixels.slice() };
  for (let i = 0; i < 40; i++) tweaked.pixels[i * 16] = tweaked.pixels[i * 16]! ^ 1;
  const r = resolve({ ...s, leakage: { near: { method: 'ahash', distance: 0 } } }, { a: near, b: tweaked });
  t.ok(r.near.count > 0, 'near pairs found');
  // At distance 0 a near pair is two samples in different splits with equal hashes: the
  // manifest records each sample's hash, so the pairs are known without the search.
  const hashed = r.manifest.samples.map((x) => ({ id: x.id, split: x.split, phash: String(x.meta!.phash) }));
  const expected: string[] = [];
  for (let i = 0; i < hashed.length; i++)
    for (let j = i + 1; j < hashed.length; j++) if (hashed[i]!.split !== hashed[j]!.split && hashed[i]!.phash === hashed[j]!.phash) expected.push([hashed[i]!.id, hashed[j]!.id].sort().join(' '));
  t.same(r.near.pairs.map((p) => [p.a, p.b].sort().join(' ')).sort(), expected.sort(), 'exactly the cross-split pairs of equal hashes');
  t.equal(r.near.count, expected.length);
  t.ok(r.near.pairs.every((p) => p.distance === 0));
  const index = (id: string) => id.slice(id.indexOf('/') + 1);
  t.ok(r.near.pairs.some((p) => p.a !== p.b && index(p.a) === index(p.b)), 'a tweaked copy pairs with its original');
  t.match(r.warnings.join('\n'), /near-duplicate pair\(s\) across splits \(ahash256 distance <= 0\)/);
  t.same(r.manifest.leakage, { exact: 'error', near: { method: 'ahash', size: 16, distance: 0 } });
});

t.test('sources must agree on image shape; classes unknown to the spec are rejected', async (t) => {
  const err = t.throws(() => resolve(spec({ a: real(), b: real() }), { a: sampleSet(5), b: sampleSet(5, { h: 5 }) })) as unknown as InvalidFileError;
  t.match(err.problems[0]!.message, /gives 5x4x1 .* but source a gives 4x4x1/);
  const resized = resolve(spec({ a: real(), b: real({ preprocess: [{ resize: { height: 4, width: 4 } }] }) }), { a: sampleSet(5), b: sampleSet(5, { h: 5 }) });
  t.same(resized.manifest.image, { height: 4, width: 4, channels: 1, maxValue: 255 });
  const norm = resolve(spec({ a: real({ preprocess: [{ normalise: { max: 16 } }] }) }), { a: sampleSet(5) });
  t.equal(norm.manifest.image.maxValue, 16);
  t.equal(norm.pixels.length, 5 * 16);
  t.ok(norm.pixels.every((v) => v <= 16));
  const err2 = t.throws(() => resolve(spec({ a: real() }, { classes: ['a', 'b'] }), { a: sampleSet(5) })) as unknown as InvalidFileError;
  t.match(err2.problems[0]!.message, /classes the spec's `classes` does not list: c/);
});

t.test('near-pair search (pigeonhole over hex runs) finds exactly the cross-split pairs brute force finds', async (t) => {
  const { nearPairs } = await import('../../src/data/leakage.js');
  const { hammingHex } = await import('../../src/data/image.js');
  const { pseudoRandomBytes } = await import('../../fixtures/project.js');
  const splits = ['train', 'val', 'test'] as const;
  for (const distance of [0, 2, 5]) {
    // 120 hashes of 64 bits: 40 bases and two copies each with a few bits flipped.
    const base = pseudoRandomBytes(40 * 8, distance + 1);
    const items = Array.from({ length: 120 }, (_, i) => {
      const b = Buffer.from(base.subarray((i % 40) * 8, (i % 40) * 8 + 8));
      for (let k = 0; k < Math.floor(i / 40) * 2; k++) b[(i * 7 + k * 3) % 8]! ^= 1 << ((i + k) % 8);
      return { id: `s/${i}`, split: splits[i % 3]!, phash: b.toString('hex') };
    });
    const brute: string[] = [];
    for (let i = 0; i < items.length; i++)
      for (let j = i + 1; j < items.length; j++)
        if (items[i]!.split !== items[j]!.split && hammingHex(items[i]!.phash, items[j]!.phash) <= distance) brute.push([items[i]!.id, items[j]!.id].sort().join(' '));
    const found = nearPairs(items, distance, 10_000);
    t.equal(found.count, brute.length, `distance ${distance}: ${brute.length} pairs`);
    t.same(found.pairs.map((p) => [p.a, p.b].sort().join(' ')).sort(), brute.sort());
    t.equal(found.truncated, false);
  }
  const capped = nearPairs(Array.from({ length: 50 }, (_, i) => ({ id: `x/${i}`, split: splits[i % 3]!, phash: '0'.repeat(16) })), 0, 5, 100);
  t.equal(capped.truncated, true, 'the comparison limit is reported');
  t.equal(capped.pairs.length, 5);
});

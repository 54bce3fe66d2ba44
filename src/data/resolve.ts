// The pure core of `rx data build`: a checked spec and the samples its real sources hold
// become a manifest and its pixel pack. In order, per source: pixel preprocessing (normalise,
// resize, as declared), synthetic generation, split assignment, budget, stratified selection,
// label noise on the selection; then the leakage checks over the whole manifest.
//
// Rules a user can rely on (also in the report of `rx data show`):
// - split: a sample's split is `pin` when its source pins one; otherwise a synthetic copy takes
//   its parent's split; otherwise seededUnit(split.seed, group or content hash) against the
//   cumulative fractions train, val, test. Adding samples never moves existing ones.
// - a synthetic source pinned to a split generates only from parents assigned to that split, so
//   no copy of a val/test image ever lands in train.
// - budget: `count` as given; `fraction` budgets share round-half-up(total * sum of fractions)
//   by largest remainder, so they sum exactly; no budget selects everything available.
// - stratify [label]: a source's budget is shared across classes in proportion to what each
//   class offers (largest remainder, exact); within a class, the samples ranked lowest by a
//   seeded hash of their id are chosen, so a larger budget keeps every earlier choice.
// - label-noise {rate, seed}: applies to the selected samples of the source; a sample's label
//   moves when seededUnit(seed, source, id) < rate, to a different class chosen by a seeded hash
//   of the id. Whether and where a label moves depends on (seed, source, id) alone: budgets,
//   other samples and the rest of the selection never change it, and a higher rate keeps every
//   lower rate's flips. About rate * selected labels move; the manifest counts them (`flipped`).
import { InvalidFileError, RxError, ExitCode, type FileProblem } from '../core/errors.js';
import type { Manifest, ManifestSample, ManifestSource, SplitName } from './types.js';
import { nearRule, sourceOrder, type DataSpec, type SourceSpec } from './spec.js';
import { imageAt, imageBytes, normaliseSet, perceptualHash, resizeSet, type ImageShape, type SampleSet } from './image.js';
import { shiftedCopies } from './generate.js';
import { apportion, roundHalfUp, seededOrder, seededUint32, seededUnit, sha256Hex } from './hash.js';
import { exactLeaks, nearPairs, type NearPair } from './leakage.js';
import { sortClasses } from './readers/common.js';

export const PIXELS_FILE = 'pixels.u8';
export const SPLITS: SplitName[] = ['train', 'val', 'test'];

export class DataLeakageError extends RxError {
  constructor(message: string, data: Record<string, unknown>) {
    super('RX_DATA_LEAKAGE', ExitCode.invalidFile, message, {
      data,
      hint: 'identical images sit in different splits: remove the duplicates, pin their source to one split, or set `leakage: {exact: warn}`',
    });
  }
}

/** The split a key falls in under a seed and fractions (cumulative train, val, then test). */
export function assignSplit(key: string, seed: number, fractions: Record<SplitName, number>): SplitName {
  const u = seededUnit(seed, 'split', key);
  if (u < fractions.train) return 'train';
  if (u < fractions.train + fractions.val) return 'val';
  return 'test';
}

type Meta = Record<string, string | number | boolean>;

/** The samples a source offers after preprocessing, before the budget. */
interface Candidates {
  set: SampleSet;
  ids: string[];
  hashes: string[];
  groups: (string | undefined)[];
  splits: SplitName[];
  meta: Meta[];
}

export interface ResolveInput {
  spec: DataSpec;
  specRef: { path: string; hash: string };
  /** The samples each real source read, before preprocessing. */
  read: Record<string, SampleSet>;
  /** Locates a problem at a spec path (parseDataSpec's `problem`); unlocated when absent. */
  problem?: (segments: (string | number)[], message: string) => FileProblem;
  pixelsFile?: string;
}

export interface Resolved {
  manifest: Manifest;
  pixels: Uint8Array;
  warnings: string[];
  near: { pairs: NearPair[]; count: number; truncated: boolean };
}

function select<T>(list: T[], keep: (x: T, i: number) => boolean): T[] {
  return list.filter(keep);
}

function subset(c: Candidates, keep: number[]): Candidates {
  const per = imageBytes(c.set.shape);
  const pixels = new Uint8Array(keep.length * per);
  keep.forEach((i, k) => pixels.set(imageAt(c.set, i), k * per));
  const pick = <T>(xs: T[]) => keep.map((i) => xs[i]!);
  return {
    set: { ...c.set, labels: pick(c.set.labels), indices: pick(c.set.indices), pixels },
    ids: pick(c.ids),
    hashes: pick(c.hashes),
    groups: pick(c.groups),
    splits: pick(c.splits),
    meta: pick(c.meta),
  };
}

function pixelSteps(set: SampleSet, src: SourceSpec): SampleSet {
  let out = set;
  for (const step of src.preprocess ?? []) {
    if ('normalise' in step) out = normaliseSet(out, step.normalise.max);
    else if ('resize' in step) out = resizeSet(out, step.resize.height, step.resize.width);
  }
  return out;
}

const shapeText = (s: ImageShape) => `${s.height}x${s.width}x${s.channels} (max value ${s.maxValue})`;

export function resolveManifest(input: ResolveInput): Resolved {
  const { spec } = input;
  const problem = input.problem ?? ((segments, message) => ({ file: input.specRef.path, field: segments.join('.'), message }));
  const fail = (segments: (string | number)[], message: string): never => {
    throw new InvalidFileError([problem(segments, message)]);
  };
  const warnings: string[] = [];
  const order = sourceOrder(spec);

  // Classes: the spec's list, or the union of what the real sources read.
  const classes = spec.classes ?? sortClasses(Object.values(input.read).flatMap((s) => s.classes));
  const fractions = spec.split.fractions;
  const splitSeed = spec.split.seed;

  const candidates = new Map<string, Candidates>();
  let shape: { of: string; shape: ImageShape } | undefined;
  for (const name of order) {
    const src = spec.sources[name]!;
    const at = ['sources', name];
    let c: Candidates;
    if (src.kind === 'real') {
      const raw = input.read[name];
      if (!raw) throw new Error(`internal: source ${name} was not read`);
      const remap = raw.classes.map((cls) => classes.indexOf(cls));
      const unknown = raw.classes.filter((_, k) => remap[k]! < 0);
      if (unknown.length > 0) fail([...at, 'read'], `has classes the spec's \`classes\` does not list: ${unknown.join(', ')}`);
      const set = pixelSteps({ ...raw, classes, labels: raw.labels.map((l) => remap[l]!) }, src);
      const ids = set.indices.map((i) => `${name}/${i}`);
      const hashes = ids.map((_, i) => sha256Hex(imageAt(set, i)));
      const groups = ids.map(() => undefined);
      const splits = hashes.map((h) => src.split ?? assignSplit(h, splitSeed, fractions));
      c = { set, ids, hashes, groups, splits, meta: ids.map(() => ({})) };
    } else {
      const gen = src.generator!;
      const parent = candidates.get(gen.from)!;
      const g = shiftedCopies(parent.set, parent.ids, gen);
      const set = pixelSteps(g.set, src);
      const ids = set.indices.map((i) => `${name}/${i}`);
      const hashes = ids.map((_, i) => sha256Hex(imageAt(set, i)));
      const groups = g.copies.map((cp) => parent.groups[cp.parent] ?? parent.hashes[cp.parent]!);
      const splits = g.copies.map((cp) => parent.splits[cp.parent]!);
      const meta = g.copies.map((cp): Meta => {
        const m: Meta = { parent: parent.ids[cp.parent]!, copy: cp.copy, dy: cp.dy, dx: cp.dx };
        if (cp.rotate !== 0) m.rotate = cp.rotate;
        return m;
      });
      c = { set, ids, hashes, groups, splits, meta };
      if (src.split) c = subset(c, select(c.splits.map((_, i) => i), (i) => c.splits[i] === src.split));
    }
    if (!shape) shape = { of: name, shape: c.set.shape };
    else {
      const a = shape.shape;
      const b = c.set.shape;
      if (a.height !== b.height || a.width !== b.width || a.channels !== b.channels || a.maxValue !== b.maxValue) {
        fail(at, `gives ${shapeText(b)} images but source ${shape.of} gives ${shapeText(a)}; add a resize or normalise step so every source agrees`);
      }
    }
    candidates.set(name, c);
  }

  // Budgets.
  const names = Object.keys(spec.sources).sort();
  const wanted = new Map<string, number>();
  const fractional = names.filter((n) => spec.sources[n]!.budget && 'fraction' in spec.sources[n]!.budget!);
  if (fractional.length > 0) {
    const fs = fractional.map((n) => (spec.sources[n]!.budget as { fraction: number }).fraction);
    const units = roundHalfUp((spec.total ?? 0) * fs.reduce((a, b) => a + b, 0));
    apportion(units, fs).forEach((k, i) => wanted.set(fractional[i]!, k));
  }
  for (const n of names) {
    const b = spec.sources[n]!.budget;
    const available = candidates.get(n)!.ids.length;
    if (b && 'count' in b) wanted.set(n, b.count);
    else if (!b) wanted.set(n, available);
    const want = wanted.get(n)!;
    if (want > available) {
      const pin = spec.sources[n]!.split;
      const why = spec.sources[n]!.kind === 'synthetic' && pin ? ` (copies of parents in split ${pin} only)` : '';
      fail(['sources', n, 'budget', ...(b && 'fraction' in b ? ['fraction'] : b ? ['count'] : [])], `asks for ${want} samples but source ${n} holds ${available}${why}`);
    }
  }

  // Selection, label noise, assembly.
  const stratified = (spec.stratify ?? []).includes('label');
  const selectionSeed = spec.seed ?? 0;
  const samples: ManifestSample[] = [];
  const chunks: Uint8Array[] = [];
  const sources: Record<string, ManifestSource> = {};
  const rule = nearRule(spec);
  const phashes: string[] = [];
  for (const n of names) {
    const src = spec.sources[n]!;
    const c = candidates.get(n)!;
    const want = wanted.get(n)!;
    const all = c.ids.map((_, i) => i);
    let chosen: number[];
    if (stratified) {
      const byClass = classes.map((_, k) => all.filter((i) => c.set.labels[i] === k));
      const quotas = apportion(want, byClass.map((l) => l.length));
      chosen = byClass.flatMap((list, k) => seededOrder(list, (i) => c.ids[i]!, selectionSeed, `select/${n}`).slice(0, quotas[k]));
    } else {
      chosen = seededOrder(all, (i) => c.ids[i]!, selectionSeed, `select/${n}`).slice(0, want);
    }
    chosen.sort((a, b) => a - b);
    const sel = subset(c, chosen);

    const labels = sel.set.labels.slice();
    for (const step of src.preprocess ?? []) {
      if (!('label-noise' in step)) continue;
      const { rate } = step['label-noise'];
      const seed = step['label-noise'].seed ?? selectionSeed;
      if (classes.length < 2) fail(['sources', n, 'preprocess'], 'label-noise needs at least two classes');
      // Per sample, never a quota over the selection: a quota ranks a sample against the
      // others selected, so a budget change would corrupt or spare samples that stay selected.
      sel.ids.forEach((id, i) => {
        if (seededUnit(seed, `label-noise/${n}`, id) >= rate) return;
        const shift = 1 + (seededUint32(seed, 'label-noise-class', id) % (classes.length - 1));
        labels[i] = (labels[i]! + shift) % classes.length;
      });
    }
    let flipped = 0;
    sel.ids.forEach((id, i) => {
      const meta: Meta = { ...sel.meta[i]! };
      if (labels[i] !== sel.set.labels[i]) {
        flipped++;
        meta.originalLabel = sel.set.labels[i]!;
      }
      if (rule) {
        const ph = perceptualHash(imageAt(sel.set, i), sel.set.shape, rule.method, rule.size);
        meta.phash = ph;
        phashes.push(ph);
      }
      const sample: ManifestSample = { id, hash: sel.hashes[i]!, source: n, label: labels[i]!, split: sel.splits[i]! };
      if (sel.groups[i] !== undefined) sample.group = sel.groups[i];
      if (Object.keys(meta).length > 0) sample.meta = meta;
      samples.push(sample);
    });
    chunks.push(sel.set.pixels);
    const b = src.budget;
    const entry: ManifestSource = {
      kind: src.kind,
      available: c.ids.length,
      selected: chosen.length,
      budget: b && 'fraction' in b ? { fraction: b.fraction, of: spec.total ?? 0 } : { count: want },
      provenance: { ...(src.provenance ?? {}) },
      flipped,
    };
    if (src.split) entry.split = src.split;
    if (src.preprocess && src.preprocess.length > 0) entry.preprocess = src.preprocess as Record<string, unknown>[];
    if (src.generator) entry.generator = { ...src.generator };
    sources[n] = entry;
  }

  const total = chunks.reduce((a, ch) => a + ch.length, 0);
  const pixels = new Uint8Array(total);
  let off = 0;
  for (const ch of chunks) {
    pixels.set(ch, off);
    off += ch.length;
  }

  // Leakage.
  const exactMode = spec.leakage?.exact ?? 'error';
  const leaks = exactLeaks(samples);
  if (leaks.length > 0) {
    const listed = leaks.slice(0, 10).map((l) => `  ${l.ids.join(', ')} (${l.splits.join(' + ')})`);
    const more = leaks.length > 10 ? [`  ... and ${leaks.length - 10} more`] : [];
    const text = `${leaks.length} image(s) appear in more than one split:\n${[...listed, ...more].join('\n')}`;
    if (exactMode === 'error') throw new DataLeakageError(`${input.specRef.path}: leakage: ${text}`, { leaks: leaks.slice(0, 100) });
    warnings.push(`leakage: ${text}`);
  }
  let near: Resolved['near'] = { pairs: [], count: 0, truncated: false };
  if (rule) {
    near = nearPairs(samples.map((s, i) => ({ id: s.id, split: s.split, phash: phashes[i]! })), rule.distance, 200);
    if (near.count > 0) {
      const ex = near.pairs.slice(0, 3).map((p) => `${p.a} ~ ${p.b}`).join(', ');
      warnings.push(`${near.count}${near.truncated ? '+' : ''} near-duplicate pair(s) across splits (${rule.method}${rule.size * rule.size} distance <= ${rule.distance}), e.g. ${ex}; see rx data audit`);
    }
    if (near.truncated) warnings.push('the near-duplicate search stopped at its comparison limit: the hashes cluster; lower leakage.near.distance for a complete count');
  }

  const manifest: Manifest = {
    schema: 'rx.manifest/1',
    spec: input.specRef,
    image: shape ? shape.shape : { height: 1, width: 1, channels: 1, maxValue: 255 },
    classes,
    split: { seed: splitSeed, fractions: { ...fractions } },
    stratify: [...(spec.stratify ?? [])],
    pixels: { file: input.pixelsFile ?? PIXELS_FILE, sha256: sha256Hex(pixels), bytes: pixels.length },
    sources,
    leakage: { exact: exactMode, near: rule ? { method: rule.method, size: rule.size, distance: rule.distance } : false },
    samples,
  };
  return { manifest, pixels, warnings, near };
}

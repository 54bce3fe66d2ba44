// rx augment preview: what an augmentation spec does to real samples of a data manifest, as a
// PNG grid (originals in the first column, one augmented variant per further column). Variant k
// is what a run with seed k sees at the chosen epoch, so the grid is reproducible.
import { promises as fsp } from 'node:fs';
import { createHash } from 'node:crypto';
import * as path from 'node:path';
import { PNG } from 'pngjs';
import type { Context } from '../core/context.js';
import { UsageError } from '../core/errors.js';
import { writeFileAtomic } from '../core/atomic.js';
import { loadAugmentSpec } from '../augment/spec.js';
import { augmentSampleTraced } from '../augment/policy.js';
import { describeAugmentOp, describeAugmentSpec } from '../augment/describe.js';
import type { ImageShape, MixPartner } from '../augment/types.js';
import { loadDataset, type ManifestSample } from '../data/index.js';

export interface AugmentPreviewOptions {
  spec: string;
  data: string;
  out: string;
  epoch?: number;
  /** Total epochs of the imagined run (schedules without `epochs` span it). */
  epochs?: number;
  samples?: number;
  variants?: number;
  scale?: number;
  split?: string;
  /** Seed of the first variant; variant k uses seed + k. */
  seed?: number;
}

export interface AugmentPreviewResult {
  out: string;
  bytes: number;
  sha256: string;
  width: number;
  height: number;
  scale: number;
  epoch: number;
  epochs: number;
  variants: number;
  spec: { path: string; seed: number; ops: string[]; description: string };
  data: { manifest: string; split: string; height: number; width: number; channels: number };
  samples: {
    row: number;
    id: string;
    source: string;
    label: number;
    split: string;
    variants: { seed: number; applied: string[]; mix?: { id: string; label: number; lambda: number } }[];
  }[];
}

/** Pixels between cells and around the grid; the background is mid grey so black fill shows. */
export const GRID_GAP = 2;
const BACKGROUND = 128;

export function gridSize(rows: number, cols: number, shape: ImageShape, scale: number): { width: number; height: number } {
  return {
    width: cols * shape.width * scale + (cols + 1) * GRID_GAP,
    height: rows * shape.height * scale + (rows + 1) * GRID_GAP,
  };
}

function positiveInt(name: string, v: number, min = 1, max = 4096): number {
  if (!Number.isInteger(v) || v < min || v > max) throw new UsageError(`--${name} must be a whole number in [${min}, ${max}], not ${v}`);
  return v;
}

export async function augmentPreview(ctx: Context, options: AugmentPreviewOptions): Promise<AugmentPreviewResult> {
  const epoch = positiveInt('epoch', options.epoch ?? 0, 0, 1_000_000);
  const epochs = positiveInt('epochs', options.epochs ?? Math.max(10, epoch + 1), 1, 1_000_000);
  const nSamples = positiveInt('samples', options.samples ?? 8, 1, 1024);
  const nVariants = positiveInt('variants', options.variants ?? 7, 1, 256);
  const scale = positiveInt('scale', options.scale ?? 4, 1, 64);
  const seed = positiveInt('seed', options.seed ?? 0, 0, 2 ** 31);
  const split = options.split ?? 'train';
  const specPath = path.resolve(ctx.cwd, options.spec);
  const dataPath = path.resolve(ctx.cwd, options.data);
  const outPath = path.resolve(ctx.cwd, options.out);

  const spec = await loadAugmentSpec(specPath);
  // Schema-checked manifest and a pixel pack verified against it (length and sha256).
  const { manifest, pixels } = await loadDataset(dataPath);
  const shape: ImageShape = { height: manifest.image.height, width: manifest.image.width, channels: manifest.image.channels };
  const per = shape.height * shape.width * shape.channels;
  const maxValue = manifest.image.maxValue > 0 ? manifest.image.maxValue : 255;

  const pool: number[] = [];
  manifest.samples.forEach((s, i) => {
    if (s.split === split) pool.push(i);
  });
  if (pool.length === 0) throw new UsageError(`no samples in split "${split}" of ${options.data}`, { hint: 'choose another with --split' });
  const rows = pool.slice(0, nSamples);

  const floatImage = (i: number): Float32Array => {
    const out = new Float32Array(per);
    const base = i * per;
    for (let k = 0; k < per; k++) out[k] = pixels[base + k]! / maxValue;
    return out;
  };
  // Mixup partners come from the whole split, as in training (not from the rows shown).
  const partner = (u: number): MixPartner => {
    const i = pool[Math.min(pool.length - 1, Math.floor(u * pool.length))]!;
    const s = manifest.samples[i]!;
    return { image: floatImage(i), label: s.label, id: s.id };
  };

  const cols = 1 + nVariants;
  const { width, height } = gridSize(rows.length, cols, shape, scale);
  const png = new PNG({ width, height });
  png.data.fill(BACKGROUND);
  for (let k = 3; k < png.data.length; k += 4) png.data[k] = 255;
  const paint = (img: Float32Array, row: number, col: number): void => {
    const ox = GRID_GAP + col * (shape.width * scale + GRID_GAP);
    const oy = GRID_GAP + row * (shape.height * scale + GRID_GAP);
    for (let y = 0; y < shape.height; y++) {
      for (let x = 0; x < shape.width; x++) {
        const o = (y * shape.width + x) * shape.channels;
        const byte = (c: number) => Math.round(Math.min(1, Math.max(0, img[o + Math.min(c, shape.channels - 1)]!)) * 255);
        const rgb = shape.channels >= 3 ? [byte(0), byte(1), byte(2)] : [byte(0), byte(0), byte(0)];
        for (let dy = 0; dy < scale; dy++) {
          let p = ((oy + y * scale + dy) * width + ox + x * scale) * 4;
          for (let dx = 0; dx < scale; dx++, p += 4) {
            png.data[p] = rgb[0]!;
            png.data[p + 1] = rgb[1]!;
            png.data[p + 2] = rgb[2]!;
          }
        }
      }
    }
  };

  const samples: AugmentPreviewResult['samples'] = [];
  rows.forEach((i, row) => {
    const s: ManifestSample = manifest.samples[i]!;
    const original = floatImage(i);
    paint(original, row, 0);
    const variants: AugmentPreviewResult['samples'][number]['variants'] = [];
    let mixId = '';
    const tracking = (u: number): MixPartner => {
      const m = partner(u);
      mixId = m.id;
      return m;
    };
    for (let k = 0; k < nVariants; k++) {
      const applied: string[] = [];
      const runSeed = seed + k;
      const r = augmentSampleTraced(spec, original, shape, { seed: runSeed, epoch, epochs, sampleId: s.id, source: s.source, label: s.label, split: s.split, className: manifest.classes?.[s.label] }, tracking, applied);
      paint(r.image, row, k + 1);
      variants.push(r.mix ? { seed: runSeed, applied, mix: { id: mixId, label: r.mix.label, lambda: r.mix.lambda } } : { seed: runSeed, applied });
    }
    samples.push({ row, id: s.id, source: s.source, label: s.label, split: s.split, variants });
  });

  const bytes = PNG.sync.write(png);
  await fsp.mkdir(path.dirname(outPath), { recursive: true });
  await writeFileAtomic(outPath, bytes);
  const rel = (p: string) => path.relative(ctx.cwd, p) || '.';
  return {
    out: rel(outPath),
    bytes: bytes.length,
    sha256: createHash('sha256').update(bytes).digest('hex'),
    width,
    height,
    scale,
    epoch,
    epochs,
    variants: nVariants,
    spec: { path: rel(specPath), seed: spec.seed, ops: spec.ops.map(describeAugmentOp), description: describeAugmentSpec(spec) },
    data: { manifest: rel(dataPath), split, ...shape },
    samples,
  };
}

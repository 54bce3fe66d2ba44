// Reading a built dataset: the manifest (schema-checked) and its pixel pack, whose length and
// sha256 are verified against the manifest. What training and evaluation call.
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { StoreIntegrityError, readInputFile } from '../core/errors.js';
import { parseJsonValidated } from '../schema/validate.js';
import { manifestSchema } from '../schema/data.js';
import type { Manifest, SplitName } from './types.js';
import { sha256Hex } from './hash.js';

export interface Dataset {
  manifest: Manifest;
  /** uint8 pixels, N*H*W*C, in manifest.samples order. */
  pixels: Uint8Array;
}

/** Parses manifest JSON text (schema-checked; exit 4 naming `shown` when invalid). */
export function parseManifest(text: string, shown: string): Manifest {
  return parseJsonValidated<Manifest>(shown, text, manifestSchema);
}

export async function readManifest(manifestPath: string, shown = manifestPath): Promise<Manifest> {
  return parseManifest(await readInputFile(manifestPath, shown), shown);
}

/** The manifest and its verified pixel pack (StoreIntegrityError, exit 6, when they disagree). */
export async function loadDataset(manifestPath: string): Promise<Dataset> {
  const manifest = await readManifest(manifestPath);
  const file = path.join(path.dirname(manifestPath), manifest.pixels.file);
  let pixels: Buffer;
  try {
    pixels = await fsp.readFile(file);
  } catch (err) {
    throw new StoreIntegrityError('RX_DATA_PIXELS_MISSING', `${file}: the pixel pack of ${manifestPath} is missing (${(err as Error).message})`, { data: { file } });
  }
  const { height, width, channels } = manifest.image;
  const expected = manifest.samples.length * height * width * channels;
  if (pixels.length !== manifest.pixels.bytes || pixels.length !== expected) {
    throw new StoreIntegrityError('RX_DATA_PIXELS_CORRUPT', `${file}: holds ${pixels.length} bytes, the manifest expects ${expected} (${manifest.samples.length} samples of ${height}x${width}x${channels})`, {
      data: { file, bytes: pixels.length, expected },
      hint: 'rebuild it with `rx data build` or restore it with `rx checkout`',
    });
  }
  const actual = sha256Hex(pixels);
  if (actual !== manifest.pixels.sha256) {
    throw new StoreIntegrityError('RX_DATA_PIXELS_CORRUPT', `${file}: sha256 ${actual} does not match the manifest's ${manifest.pixels.sha256}`, {
      data: { file, expected: manifest.pixels.sha256, actual },
      hint: 'rebuild it with `rx data build` or restore it with `rx checkout`',
    });
  }
  return { manifest, pixels: new Uint8Array(pixels.buffer, pixels.byteOffset, pixels.byteLength) };
}

/** Indices (into manifest.samples and the pixel pack) of the samples in one split. */
export function splitIndices(manifest: Manifest, split: SplitName): number[] {
  const out: number[] = [];
  manifest.samples.forEach((s, i) => {
    if (s.split === split) out.push(i);
  });
  return out;
}

/** The pixels of sample i (a view into the pack, no copy). */
export function samplePixels(dataset: Dataset, i: number): Uint8Array {
  const { height, width, channels } = dataset.manifest.image;
  const n = height * width * channels;
  return dataset.pixels.subarray(i * n, (i + 1) * n);
}

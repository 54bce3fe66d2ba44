// What every reader shares: resolving paths against the project, reading files (gzip or
// not) with errors that name the file, the `rows: start:end` slice and class ordering.
import { promises as fsp } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import * as path from 'node:path';
import { InvalidFileError, isErrno, type FileProblem } from '../../core/errors.js';
import type { ReadSpec } from '../spec.js';
import type { SampleSet } from '../image.js';
import { imageBytes } from '../image.js';

export interface ReadContext {
  /** Directory the spec's paths are relative to (the project root, or the spec's directory). */
  baseDir: string;
  /** A located problem in the spec, at a path below this source's `read`. */
  specProblem(segments: (string | number)[], message: string): FileProblem;
}

export function resolvePath(ctx: ReadContext, rel: string): { abs: string; shown: string } {
  const abs = path.resolve(ctx.baseDir, rel);
  return { abs, shown: rel };
}

/** Reads a file, gunzipping it when it starts with the gzip magic; a missing file is a spec problem. */
export async function readMaybeGzip(ctx: ReadContext, field: string, rel: string): Promise<{ bytes: Buffer; shown: string; abs: string }> {
  const { abs, shown } = resolvePath(ctx, rel);
  let raw: Buffer;
  try {
    raw = await fsp.readFile(abs);
  } catch (err) {
    const why = isErrno(err, 'ENOENT') ? 'no such file' : isErrno(err, 'EISDIR') ? 'is a directory' : (err as Error).message;
    throw new InvalidFileError([ctx.specProblem([field], `cannot read ${shown}: ${why}`)]);
  }
  if (raw.length >= 2 && raw[0] === 0x1f && raw[1] === 0x8b) {
    try {
      return { bytes: gunzipSync(raw), shown, abs };
    } catch (err) {
      throw new InvalidFileError([{ file: shown, message: `corrupt gzip data: ${(err as Error).message}` }]);
    }
  }
  return { bytes: raw, shown, abs };
}

/** Class names in a natural order: numerically when all are integers, else by code unit. */
export function sortClasses(names: Iterable<string>): string[] {
  const list = [...new Set(names)];
  if (list.every((n) => /^\d+$/.test(n))) return list.sort((a, b) => Number(a) - Number(b) || (a < b ? -1 : 1));
  return list.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Applies `rows: start:end` (end exclusive, either side optional) to a sample set. */
export function sliceRows(set: SampleSet, read: ReadSpec, ctx: ReadContext): SampleSet {
  if (read.rows === undefined) return set;
  const n = set.labels.length;
  const [a, b] = read.rows.split(':');
  const start = a === '' ? 0 : Number(a);
  const end = b === '' ? n : Number(b);
  if (start > end) throw new InvalidFileError([ctx.specProblem(['rows'], `start ${start} is after end ${end}`)]);
  if (end > n) throw new InvalidFileError([ctx.specProblem(['rows'], `${read.rows} reaches past the end: the source holds ${n} rows`)]);
  const per = imageBytes(set.shape);
  return {
    ...set,
    labels: set.labels.slice(start, end),
    indices: set.indices.slice(start, end),
    pixels: set.pixels.slice(start * per, end * per),
  };
}

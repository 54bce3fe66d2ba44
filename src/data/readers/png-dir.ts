// Reader for a directory of PNG images: classes from the names of its subfolders, or from a
// CSV of `file,label` lines (file relative to the directory). Images decode through pngjs;
// greyscale or RGB; a corrupt PNG is reported naming the file.
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { createRequire } from 'node:module';
import { InvalidFileError, isErrno, type FileProblem } from '../../core/errors.js';
import type { ReadSpec } from '../spec.js';
import type { SampleSet } from '../image.js';
import { readMaybeGzip, resolvePath, sliceRows, sortClasses, type ReadContext } from './common.js';

const require = createRequire(import.meta.url);
type PngLib = typeof import('pngjs');
let png: PngLib | undefined;
const pngLib = (): PngLib => (png ??= require('pngjs') as PngLib);

async function listPngs(dir: string, rel = ''): Promise<string[]> {
  const out: string[] = [];
  const entries = await fsp.readdir(path.join(dir, rel), { withFileTypes: true });
  for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    const r = rel === '' ? e.name : `${rel}/${e.name}`;
    if (e.isDirectory()) out.push(...(await listPngs(dir, r)));
    else if (e.isFile() && e.name.toLowerCase().endsWith('.png')) out.push(r);
  }
  return out;
}

interface Decoded {
  width: number;
  height: number;
  grey: boolean;
  rgba: Uint8Array;
}

function decode(bytes: Buffer, shown: string): Decoded {
  try {
    const { PNG } = pngLib();
    const img = PNG.sync.read(bytes);
    const colorType = (img as unknown as { colorType?: number }).colorType;
    let grey = colorType === 0 || colorType === 4;
    if (colorType === undefined || colorType === 3) {
      // Palette (or unknown): greyscale when every pixel has R = G = B.
      grey = true;
      for (let p = 0; p < img.width * img.height && grey; p++) grey = img.data[p * 4] === img.data[p * 4 + 1] && img.data[p * 4] === img.data[p * 4 + 2];
    }
    return { width: img.width, height: img.height, grey, rgba: img.data };
  } catch (err) {
    throw new InvalidFileError([{ file: shown, message: `not a readable PNG image: ${(err as Error).message}` }]);
  }
}

function parseLabelsCsv(text: string, shown: string): Map<string, string> {
  const out = new Map<string, string>();
  const problems: FileProblem[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/\r$/, '');
    if (line.trim() === '' || (i === 0 && /^\s*file\s*,\s*label\s*$/i.test(line))) return;
    const comma = line.lastIndexOf(',');
    if (comma <= 0 || comma === line.length - 1) {
      problems.push({ file: shown, line: i + 1, column: 1, message: 'expected `file,label`' });
      return;
    }
    const file = line.slice(0, comma).trim();
    if (out.has(file)) problems.push({ file: shown, line: i + 1, column: 1, message: `${file} is labelled twice` });
    out.set(file, line.slice(comma + 1).trim());
  });
  if (problems.length > 0) throw new InvalidFileError(problems.slice(0, 10));
  return out;
}

export async function readPngDir(read: ReadSpec, ctx: ReadContext): Promise<SampleSet> {
  const { abs: dir, shown: dirShown } = resolvePath(ctx, read.path!);
  let files: string[];
  try {
    files = await listPngs(dir);
  } catch (err) {
    const why = isErrno(err, 'ENOENT') ? 'no such directory' : isErrno(err, 'ENOTDIR') ? 'is not a directory' : (err as Error).message;
    throw new InvalidFileError([ctx.specProblem(['path'], `cannot read ${dirShown}: ${why}`)]);
  }
  const byCsv = read.labels !== undefined && read.labels !== 'folders';
  let labelOf: (file: string) => string | undefined;
  if (byCsv) {
    const csv = await readMaybeGzip(ctx, 'labels', read.labels!);
    const map = parseLabelsCsv(csv.bytes.toString('utf8'), csv.shown);
    const present = new Set(files);
    files = files.filter((f) => map.has(f));
    const missing = [...map.keys()].filter((f) => !present.has(f));
    if (missing.length > 0) throw new InvalidFileError([{ file: csv.shown, message: `names ${missing.length} file(s) not in ${dirShown}: ${missing.slice(0, 5).join(', ')}` }]);
    labelOf = (f) => map.get(f);
  } else {
    files = files.filter((f) => f.includes('/'));
    labelOf = (f) => f.slice(0, f.indexOf('/'));
  }
  if (files.length === 0) throw new InvalidFileError([ctx.specProblem(['path'], `${dirShown} holds no labelled PNG images${byCsv ? '' : ' (one subfolder per class)'}`)]);

  const decoded: Decoded[] = [];
  for (const f of files) {
    const shown = `${dirShown}/${f}`;
    const bytes = await fsp.readFile(path.join(dir, f));
    const d = decode(bytes, shown);
    const first = decoded[0];
    if (first && (d.width !== first.width || d.height !== first.height)) {
      throw new InvalidFileError([{ file: shown, message: `is ${d.width}x${d.height} but ${dirShown}/${files[0]} is ${first.width}x${first.height}; every image of a source must have one size` }]);
    }
    decoded.push(d);
  }
  const channels = read.channels ?? (decoded.every((d) => d.grey) ? 1 : 3);
  const { width, height } = decoded[0]!;
  const pixels = new Uint8Array(decoded.length * width * height * channels);
  decoded.forEach((d, i) => {
    const base = i * width * height * channels;
    for (let p = 0; p < width * height; p++) {
      const r = d.rgba[p * 4]!;
      const g = d.rgba[p * 4 + 1]!;
      const b = d.rgba[p * 4 + 2]!;
      if (channels === 1) pixels[base + p] = d.grey ? r : Math.round(0.299 * r + 0.587 * g + 0.114 * b);
      else {
        pixels[base + p * 3] = r;
        pixels[base + p * 3 + 1] = g;
        pixels[base + p * 3 + 2] = b;
      }
    }
  });
  const names = files.map((f) => labelOf(f)!);
  const classes = sortClasses(names);
  const set: SampleSet = {
    shape: { height, width, channels, maxValue: 255 },
    classes,
    labels: names.map((n) => classes.indexOf(n)),
    indices: files.map((_, i) => i),
    pixels,
  };
  return sliceRows(set, read, ctx);
}

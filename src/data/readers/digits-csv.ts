// Reader for the UCI optical digits CSV (gzip or not): each row is 64 integers 0..16 (an 8x8
// greyscale image, row-major) followed by the label 0..9. Every malformed cell is reported
// with its line and column in the data file.
import { InvalidFileError, type FileProblem } from '../../core/errors.js';
import type { ReadSpec } from '../spec.js';
import type { SampleSet } from '../image.js';
import { readMaybeGzip, sliceRows, type ReadContext } from './common.js';

const CLASSES = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'];
const MAX_PROBLEMS = 10;

/** Parses digits CSV text; `shown` names the file in errors. */
export function parseDigitsCsv(text: string, shown: string): SampleSet {
  const lines = text.split('\n');
  if (lines.length > 0 && lines[lines.length - 1]!.trim() === '') lines.pop();
  const pixels = new Uint8Array(lines.length * 64);
  const labels: number[] = [];
  const problems: FileProblem[] = [];
  lines.forEach((line, i) => {
    if (problems.length >= MAX_PROBLEMS) return;
    const cells = line.replace(/\r$/, '').split(',');
    if (cells.length !== 65) {
      problems.push({ file: shown, line: i + 1, column: 1, message: `expected 65 comma-separated values (64 pixels and a label), found ${cells.length}` });
      return;
    }
    let column = 1;
    for (let k = 0; k < 65; k++) {
      const cell = cells[k]!.trim();
      const v = /^\d+$/.test(cell) ? Number(cell) : NaN;
      const max = k === 64 ? 9 : 16;
      if (!(v >= 0 && v <= max)) {
        problems.push({ file: shown, line: i + 1, column, field: k === 64 ? 'label' : `pixel ${k}`, message: `${JSON.stringify(cells[k])} is not an integer 0..${max}` });
        return;
      }
      if (k < 64) pixels[i * 64 + k] = v;
      else labels.push(v);
      column += cells[k]!.length + 1;
    }
  });
  if (problems.length > 0) throw new InvalidFileError(problems);
  if (labels.length === 0) throw new InvalidFileError([{ file: shown, message: 'holds no rows' }]);
  return {
    shape: { height: 8, width: 8, channels: 1, maxValue: 16 },
    classes: CLASSES,
    labels,
    indices: labels.map((_, i) => i),
    pixels,
  };
}

export async function readDigitsCsv(read: ReadSpec, ctx: ReadContext): Promise<SampleSet> {
  const { bytes, shown } = await readMaybeGzip(ctx, 'path', read.path!);
  return sliceRows(parseDigitsCsv(bytes.toString('utf8'), shown), read, ctx);
}

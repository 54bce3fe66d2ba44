// Dispatch from a source's `read.format` to its reader.
import type { ReadSpec } from '../spec.js';
import type { SampleSet } from '../image.js';
import type { ReadContext } from './common.js';
import { readDigitsCsv } from './digits-csv.js';
import { readIdx } from './idx.js';
import { readPngDir } from './png-dir.js';

export type { ReadContext } from './common.js';
export { parseDigitsCsv } from './digits-csv.js';
export { parseIdx } from './idx.js';

export async function readSource(read: ReadSpec, ctx: ReadContext): Promise<SampleSet> {
  switch (read.format) {
    case 'digits-csv':
      return readDigitsCsv(read, ctx);
    case 'idx':
      return readIdx(read, ctx);
    case 'png-dir':
      return readPngDir(read, ctx);
  }
}

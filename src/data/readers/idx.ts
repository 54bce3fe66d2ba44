// Reader for IDX files (MNIST, Fashion-MNIST), gzip or raw: an images file of unsigned bytes
// (N x H x W, or N x H x W x C) and a labels file (N). A corrupt header is reported exactly:
// which file, what the magic or dimensions say and what the file actually holds.
import { InvalidFileError } from '../../core/errors.js';
import type { ReadSpec } from '../spec.js';
import type { SampleSet } from '../image.js';
import { readMaybeGzip, sliceRows, type ReadContext } from './common.js';

const TYPE_NAMES: Record<number, string> = { 0x08: 'unsigned byte', 0x09: 'signed byte', 0x0b: 'short', 0x0c: 'int', 0x0d: 'float', 0x0e: 'double' };

export interface IdxArray {
  dims: number[];
  data: Uint8Array;
}

/** Parses an IDX buffer of unsigned bytes with one of the allowed dimension counts. */
export function parseIdx(bytes: Uint8Array, shown: string, what: 'images' | 'labels'): IdxArray {
  const expected = what === 'images' ? '0x00000803 (or 0x00000804 with channels)' : '0x00000801';
  const fail = (message: string): never => {
    throw new InvalidFileError([{ file: shown, field: what, message }]);
  };
  if (bytes.length < 4) fail(`is ${bytes.length} bytes long, too short for an IDX header (magic number ${expected})`);
  const magic = ((bytes[0]! << 24) | (bytes[1]! << 16) | (bytes[2]! << 8) | bytes[3]!) >>> 0;
  const hex = `0x${magic.toString(16).padStart(8, '0')}`;
  if (bytes[0] !== 0 || bytes[1] !== 0) fail(`not an IDX file: magic number ${hex}, expected ${expected}`);
  const type = bytes[2]!;
  if (type !== 0x08) fail(`magic number ${hex} declares ${TYPE_NAMES[type] ?? `unknown type 0x${type.toString(16).padStart(2, '0')}`} data; rx reads unsigned bytes (type 0x08)`);
  const ndim = bytes[3]!;
  const allowed = what === 'images' ? [3, 4] : [1];
  if (!allowed.includes(ndim)) fail(`magic number ${hex} declares ${ndim} dimensions; ${what} need ${allowed.join(' or ')}`);
  const headerBytes = 4 + 4 * ndim;
  if (bytes.length < headerBytes) fail(`header is truncated: ${ndim} dimensions need ${headerBytes} header bytes, the file holds ${bytes.length}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims: number[] = [];
  for (let k = 0; k < ndim; k++) dims.push(view.getUint32(4 + 4 * k, false));
  if (what === 'images' && dims.slice(1).some((d) => d === 0)) fail(`header declares an empty image size ${dims.slice(1).join('x')}`);
  const want = dims.reduce((a, b) => a * b, 1);
  const have = bytes.length - headerBytes;
  if (have !== want) {
    fail(`header declares ${dims.join('x')} = ${want} bytes of data, but the file holds ${have}${have < want ? ' (truncated)' : ' (trailing bytes)'}`);
  }
  return { dims, data: bytes.subarray(headerBytes) };
}

export async function readIdx(read: ReadSpec, ctx: ReadContext): Promise<SampleSet> {
  const img = await readMaybeGzip(ctx, 'images', read.images!);
  const lab = await readMaybeGzip(ctx, 'labels', read.labels!);
  const images = parseIdx(img.bytes, img.shown, 'images');
  const labels = parseIdx(lab.bytes, lab.shown, 'labels');
  const n = images.dims[0]!;
  if (labels.dims[0] !== n) {
    throw new InvalidFileError([{ file: lab.shown, field: 'labels', message: `holds ${labels.dims[0]} labels but ${img.shown} holds ${n} images` }]);
  }
  const labelList = Array.from(labels.data);
  const maxLabel = labelList.reduce((a, b) => Math.max(a, b), 0);
  const classes = read.classes ?? Array.from({ length: maxLabel + 1 }, (_, k) => String(k));
  const bad = labelList.findIndex((l) => l >= classes.length);
  if (bad >= 0) {
    throw new InvalidFileError([{ file: lab.shown, field: 'labels', message: `label ${labelList[bad]} of item ${bad} names no class (${classes.length} classes declared)` }]);
  }
  const set: SampleSet = {
    shape: { height: images.dims[1]!, width: images.dims[2]!, channels: images.dims[3] ?? 1, maxValue: 255 },
    classes,
    labels: labelList,
    indices: labelList.map((_, i) => i),
    pixels: new Uint8Array(images.data),
  };
  return sliceRows(set, read, ctx);
}

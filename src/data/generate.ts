// Synthetic sources. `shifted-copies`: each parent image gives `copies` new images, each a
// small translation (up to maxShift pixels per axis, never none when maxShift > 0) and
// optional rotation (up to maxRotate degrees) chosen by a seeded hash of the parent's id and
// the copy number, so a copy is a pure function of its parent and the generator settings.
import type { GeneratorSpec } from './spec.js';
import { imageAt, imageBytes, shiftRotate, type SampleSet } from './image.js';
import { seededUint32, seededUnit } from './hash.js';

export interface GeneratedCopy {
  /** Position of the parent in the parent set. */
  parent: number;
  copy: number;
  dy: number;
  dx: number;
  rotate: number;
}

export interface Generated {
  set: SampleSet;
  copies: GeneratedCopy[];
}

/** The transform of copy `j` of the parent with id `parentId`. */
export function copyTransform(gen: GeneratorSpec, parentId: string, j: number): { dy: number; dx: number; rotate: number } {
  const seed = gen.seed ?? 0;
  const m = gen.maxShift ?? 1;
  const key = `${parentId}#${j}`;
  let dy = 0;
  let dx = 0;
  if (m > 0) {
    const side = 2 * m + 1;
    // Every offset but (0, 0), uniformly.
    let k = seededUint32(seed, 'shift', key) % (side * side - 1);
    if (k >= (side * side - 1) / 2) k += 1;
    dy = Math.floor(k / side) - m;
    dx = (k % side) - m;
  }
  const maxRotate = gen.maxRotate ?? 0;
  const rotate = maxRotate > 0 ? +((seededUnit(seed, 'rotate', key) * 2 - 1) * maxRotate).toFixed(6) : 0;
  return { dy, dx, rotate };
}

/** Copies of every parent sample; `parentIds[i]` is the id of parent i. Labels follow the parent. */
export function shiftedCopies(parent: SampleSet, parentIds: string[], gen: GeneratorSpec): Generated {
  const copies = gen.copies ?? 1;
  const n = parent.labels.length;
  const per = imageBytes(parent.shape);
  const pixels = new Uint8Array(n * copies * per);
  const labels: number[] = [];
  const indices: number[] = [];
  const meta: GeneratedCopy[] = [];
  for (let i = 0; i < n; i++) {
    const img = imageAt(parent, i);
    for (let j = 0; j < copies; j++) {
      const t = copyTransform(gen, parentIds[i]!, j);
      pixels.set(shiftRotate(img, parent.shape, t.dy, t.dx, t.rotate), (i * copies + j) * per);
      labels.push(parent.labels[i]!);
      indices.push(parent.indices[i]! * copies + j);
      meta.push({ parent: i, copy: j, ...t });
    }
  }
  return { set: { shape: parent.shape, classes: parent.classes, labels, indices, pixels }, copies: meta };
}

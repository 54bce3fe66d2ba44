// Pixel arithmetic on plain typed arrays: resampling, the pixel preprocessing steps, the
// shifted-copies generator's transforms and perceptual hashes for near-duplicate checks.
// Images are uint8, row-major HWC. Everything here is deterministic float arithmetic.

export interface ImageShape {
  height: number;
  width: number;
  channels: number;
  maxValue: number;
}

/** Samples as read from a source (and after preprocessing): contiguous pixels, labels by index. */
export interface SampleSet {
  shape: ImageShape;
  classes: string[];
  /** Class index (into `classes`) per sample. */
  labels: number[];
  /** Index of each sample in the source as read (its id is `<source>/<index>`). */
  indices: number[];
  pixels: Uint8Array;
}

export function imageBytes(shape: ImageShape): number {
  return shape.height * shape.width * shape.channels;
}

export function sampleCount(set: SampleSet): number {
  return set.labels.length;
}

export function imageAt(set: SampleSet, i: number): Uint8Array {
  const n = imageBytes(set.shape);
  return set.pixels.subarray(i * n, (i + 1) * n);
}

/** Bilinear sample of one channel at (y, x) in pixel-centre coordinates; outside reads 0. */
function bilinear(img: ArrayLike<number>, h: number, w: number, c: number, ch: number, y: number, x: number, clampEdges: boolean): number {
  const y0 = Math.floor(y);
  const x0 = Math.floor(x);
  const fy = y - y0;
  const fx = x - x0;
  const at = (yy: number, xx: number): number => {
    if (clampEdges) {
      yy = Math.min(h - 1, Math.max(0, yy));
      xx = Math.min(w - 1, Math.max(0, xx));
    } else if (yy < 0 || yy >= h || xx < 0 || xx >= w) return 0;
    return img[(yy * w + xx) * c + ch]!;
  };
  return (at(y0, x0) * (1 - fx) + at(y0, x0 + 1) * fx) * (1 - fy) + (at(y0 + 1, x0) * (1 - fx) + at(y0 + 1, x0 + 1) * fx) * fy;
}

/** Area-style resample (4x4 bilinear supersampling per target pixel), channel by channel. */
export function resampleFloat(img: ArrayLike<number>, h: number, w: number, c: number, th: number, tw: number): Float64Array {
  const out = new Float64Array(th * tw * c);
  const sy = h / th;
  const sx = w / tw;
  const S = 4;
  for (let ty = 0; ty < th; ty++) {
    for (let tx = 0; tx < tw; tx++) {
      for (let ch = 0; ch < c; ch++) {
        let acc = 0;
        for (let a = 0; a < S; a++) {
          for (let b = 0; b < S; b++) {
            const y = (ty + (a + 0.5) / S) * sy - 0.5;
            const x = (tx + (b + 0.5) / S) * sx - 0.5;
            acc += bilinear(img, h, w, c, ch, y, x, true);
          }
        }
        out[(ty * tw + tx) * c + ch] = acc / (S * S);
      }
    }
  }
  return out;
}

function clampRound(v: number, max: number): number {
  return Math.min(max, Math.max(0, Math.round(v)));
}

/** The `resize` step: every image to height x width. */
export function resizeSet(set: SampleSet, height: number, width: number): SampleSet {
  const { shape } = set;
  const n = sampleCount(set);
  const to: ImageShape = { ...shape, height, width };
  const out = new Uint8Array(n * imageBytes(to));
  for (let i = 0; i < n; i++) {
    const r = resampleFloat(imageAt(set, i), shape.height, shape.width, shape.channels, height, width);
    const base = i * imageBytes(to);
    for (let k = 0; k < r.length; k++) out[base + k] = clampRound(r[k]!, shape.maxValue);
  }
  return { ...set, shape: to, pixels: out };
}

/** The `normalise` step: values rescaled from 0..maxValue to 0..max (rounded half up). */
export function normaliseSet(set: SampleSet, max: number): SampleSet {
  const from = set.shape.maxValue;
  const out = new Uint8Array(set.pixels.length);
  for (let k = 0; k < out.length; k++) out[k] = Math.floor((set.pixels[k]! * max) / from + 0.5);
  return { ...set, shape: { ...set.shape, maxValue: max }, pixels: out };
}

/** An image translated by (dy, dx) pixels and rotated by `degrees` about its centre; uncovered
 * pixels read 0. A pure integer shift without rotation copies pixels exactly. */
export function shiftRotate(img: Uint8Array, shape: ImageShape, dy: number, dx: number, degrees: number): Uint8Array {
  const { height: h, width: w, channels: c } = shape;
  const out = new Uint8Array(img.length);
  const cy = (h - 1) / 2;
  const cx = (w - 1) / 2;
  const th = (degrees * Math.PI) / 180;
  const cos = Math.cos(th);
  const sin = Math.sin(th);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      // Inverse map: where in the source does this output pixel come from?
      const yy = y - dy - cy;
      const xx = x - dx - cx;
      const sy = cos * yy + sin * xx + cy;
      const sx = -sin * yy + cos * xx + cx;
      for (let ch = 0; ch < c; ch++) {
        const v = degrees === 0 ? exactAt(img, h, w, c, ch, sy, sx) : bilinear(img, h, w, c, ch, sy, sx, false);
        out[(y * w + x) * c + ch] = clampRound(v, shape.maxValue);
      }
    }
  }
  return out;
}

function exactAt(img: Uint8Array, h: number, w: number, c: number, ch: number, y: number, x: number): number {
  const yy = Math.round(y);
  const xx = Math.round(x);
  if (yy < 0 || yy >= h || xx < 0 || xx >= w) return 0;
  return img[(yy * w + xx) * c + ch]!;
}

function greyscale(img: Uint8Array, shape: ImageShape): Float64Array {
  const { height: h, width: w, channels: c } = shape;
  const out = new Float64Array(h * w);
  for (let p = 0; p < h * w; p++) {
    let acc = 0;
    for (let ch = 0; ch < c; ch++) acc += img[p * c + ch]!;
    out[p] = acc / c;
  }
  return out;
}

/**
 * A perceptual hash of size*size bits as hex digits. `dhash`: the greyscale image resampled to
 * size x (size+1), one bit per horizontally adjacent pair (left brighter than right). `ahash`:
 * resampled to size x size, one bit per pixel brighter than the mean. Small shifts and noise
 * move few bits; size 16 (256 bits) tells apart images a 64-bit hash lumps together.
 */
export function perceptualHash(img: Uint8Array, shape: ImageShape, method: 'dhash' | 'ahash', size = 8): string {
  const grey = greyscale(img, shape);
  const bits: number[] = [];
  if (method === 'dhash') {
    const r = resampleFloat(grey, shape.height, shape.width, 1, size, size + 1);
    for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) bits.push(r[y * (size + 1) + x]! > r[y * (size + 1) + x + 1]! + 1e-9 ? 1 : 0);
  } else {
    const r = resampleFloat(grey, shape.height, shape.width, 1, size, size);
    const mean = r.reduce((a, b) => a + b, 0) / (size * size);
    for (let k = 0; k < size * size; k++) bits.push(r[k]! > mean + 1e-9 ? 1 : 0);
  }
  let hex = '';
  for (let k = 0; k < bits.length; k += 4) hex += ((bits[k]! << 3) | (bits[k + 1]! << 2) | (bits[k + 2]! << 1) | bits[k + 3]!).toString(16);
  return hex;
}

function popcount32(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return (((x + (x >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}

/** Hamming distance of two hex hashes of one length. */
export function hammingHex(a: string, b: string): number {
  let d = 0;
  for (let k = 0; k < a.length; k += 8) d += popcount32((parseInt(a.slice(k, k + 8), 16) ^ parseInt(b.slice(k, k + 8), 16)) >>> 0);
  return d;
}

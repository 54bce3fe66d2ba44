// Pixel operations on images as Float32Array, HWC, values in [0,1]. Each is pure in the
// sense that it reads `src` and writes `dst` (or works in place where it says so), allocates
// nothing, and takes its random parameters as arguments (drawn by policy.ts).
//
// Geometry conventions: pixel centres sit at integer coordinates, x to the right, y down;
// rotations and scaling are about the image centre ((W-1)/2, (H-1)/2). Geometric ops map each
// output pixel back to the source (inverse mapping) and sample it bilinearly. What enters
// from outside the image is `fill`: 'zero' (black: each out-of-image neighbour counts as 0)
// or 'edge' (coordinates clamped to the border, i.e. the edge pixel repeats).
import type { ImageShape } from './types.js';

export type Fill = 'zero' | 'edge';

function clamp01(v: number): number {
  return v < 0 ? 0 : v > 1 ? 1 : v;
}

/** dst = src mirrored: 'horizontal' swaps left and right, 'vertical' swaps top and bottom. */
export function flip(src: Float32Array, dst: Float32Array, shape: ImageShape, axis: 'horizontal' | 'vertical'): void {
  const { height: H, width: W, channels: C } = shape;
  for (let y = 0; y < H; y++) {
    const sy = axis === 'vertical' ? H - 1 - y : y;
    for (let x = 0; x < W; x++) {
      const sx = axis === 'horizontal' ? W - 1 - x : x;
      const s = (sy * W + sx) * C;
      const d = (y * W + x) * C;
      for (let c = 0; c < C; c++) dst[d + c] = src[s + c]!;
    }
  }
}

/**
 * Inverse affine warp: output pixel (x, y) samples the source at
 * (a*x + b*y + tx, c*x + d*y + ty), bilinearly.
 */
export function warpAffine(src: Float32Array, dst: Float32Array, shape: ImageShape, a: number, b: number, tx: number, c: number, d: number, ty: number, fill: Fill): void {
  const { height: H, width: W, channels: C } = shape;
  const edge = fill === 'edge';
  for (let y = 0; y < H; y++) {
    // Walk the row incrementally: source coordinates are affine in x.
    let rsx = b * y + tx;
    let rsy = d * y + ty;
    for (let x = 0; x < W; x++, rsx += a, rsy += c) {
      let sx = rsx;
      let sy = rsy;
      if (edge) {
        sx = sx < 0 ? 0 : sx > W - 1 ? W - 1 : sx;
        sy = sy < 0 ? 0 : sy > H - 1 ? H - 1 : sy;
      }
      const x0 = Math.floor(sx);
      const y0 = Math.floor(sy);
      const fx = sx - x0;
      const fy = sy - y0;
      const o = (y * W + x) * C;
      if (x0 >= 0 && y0 >= 0 && x0 + 1 < W && y0 + 1 < H) {
        // Interior: all four neighbours exist.
        if (C === 1) {
          const i = y0 * W + x0;
          const top = src[i]! + fx * (src[i + 1]! - src[i]!);
          const bottom = src[i + W]! + fx * (src[i + W + 1]! - src[i + W]!);
          dst[o] = top + fy * (bottom - top);
          continue;
        }
        const i00 = (y0 * W + x0) * C;
        const i01 = i00 + C;
        const i10 = i00 + W * C;
        const i11 = i10 + C;
        const w00 = (1 - fx) * (1 - fy);
        const w01 = fx * (1 - fy);
        const w10 = (1 - fx) * fy;
        const w11 = fx * fy;
        for (let ch = 0; ch < C; ch++) dst[o + ch] = w00 * src[i00 + ch]! + w01 * src[i01 + ch]! + w10 * src[i10 + ch]! + w11 * src[i11 + ch]!;
        continue;
      }
      // Border or outside: neighbours outside the image contribute 0 (zero fill; with edge
      // fill the clamped coordinates keep every contributing neighbour inside).
      for (let ch = 0; ch < C; ch++) {
        let v = 0;
        for (let k = 0; k < 4; k++) {
          const xi = x0 + (k & 1);
          const yi = y0 + (k >> 1);
          const w = ((k & 1) ? fx : 1 - fx) * ((k >> 1) ? fy : 1 - fy);
          if (w === 0 || xi < 0 || yi < 0 || xi >= W || yi >= H) continue;
          v += w * src[(yi * W + xi) * C + ch]!;
        }
        dst[o + ch] = v;
      }
    }
  }
}

/** cos/sin of an angle in degrees, exact at multiples of 90. */
function cosSinDeg(deg: number): [number, number] {
  const q = deg / 90;
  if (Number.isInteger(q)) {
    const k = ((q % 4) + 4) % 4;
    return [[1, 0, -1, 0][k]!, [0, 1, 0, -1][k]!];
  }
  const r = (deg * Math.PI) / 180;
  return [Math.cos(r), Math.sin(r)];
}

/** Rotates by `degrees` counter-clockwise as displayed (y down) about the image centre. */
export function rotate(src: Float32Array, dst: Float32Array, shape: ImageShape, degrees: number, fill: Fill): void {
  const [cos, sin] = cosSinDeg(degrees);
  const cx = (shape.width - 1) / 2;
  const cy = (shape.height - 1) / 2;
  // Source of output (x, y): centre + R(-theta) applied to the displayed offset.
  //   sx = cx + cos*(x-cx) - sin*(y-cy);  sy = cy + sin*(x-cx) + cos*(y-cy)
  warpAffine(src, dst, shape, cos, -sin, cx - cos * cx + sin * cy, sin, cos, cy - sin * cx - cos * cy, fill);
}

/** Moves the content dx pixels right and dy pixels down (fractions bilinearly). */
export function translate(src: Float32Array, dst: Float32Array, shape: ImageShape, dx: number, dy: number, fill: Fill): void {
  if (Number.isInteger(dx) && Number.isInteger(dy)) shiftWhole(src, dst, shape, dx, dy, fill);
  else warpAffine(src, dst, shape, 1, 0, -dx, 0, 1, -dy, fill);
}

/** Whole-pixel shift: the same result as the bilinear warp, as row copies. */
function shiftWhole(src: Float32Array, dst: Float32Array, shape: ImageShape, dx: number, dy: number, fill: Fill): void {
  const { height: H, width: W, channels: C } = shape;
  const row = W * C;
  for (let y = 0; y < H; y++) {
    let sy = y - dy;
    const o = y * row;
    if (sy < 0 || sy >= H) {
      if (fill === 'zero') {
        dst.fill(0, o, o + row);
        continue;
      }
      sy = sy < 0 ? 0 : H - 1;
    }
    const s = sy * row;
    // Columns [lo, hi) of the output come from inside the source row.
    const lo = Math.min(W, Math.max(0, dx));
    const hi = Math.max(0, Math.min(W, W + dx));
    if (hi > lo) dst.set(src.subarray(s + (lo - dx) * C, s + (hi - dx) * C), o + lo * C);
    if (fill === 'zero') {
      dst.fill(0, o, o + lo * C);
      dst.fill(0, o + hi * C, o + row);
    } else {
      const first = s;
      const last = s + (W - 1) * C;
      for (let x = 0; x < lo; x++) for (let c = 0; c < C; c++) dst[o + x * C + c] = src[(hi > lo ? first : dx > 0 ? first : last) + c]!;
      for (let x = hi; x < W; x++) for (let c = 0; c < C; c++) dst[o + x * C + c] = src[(hi > lo ? last : dx > 0 ? first : last) + c]!;
    }
  }
}

/** Zooms by `factor` about the centre (> 1 enlarges the content). */
export function scale(src: Float32Array, dst: Float32Array, shape: ImageShape, factor: number, fill: Fill): void {
  const cx = (shape.width - 1) / 2;
  const cy = (shape.height - 1) / 2;
  const inv = 1 / factor;
  warpAffine(src, dst, shape, inv, 0, cx - inv * cx, 0, inv, cy - inv * cy, fill);
}

/**
 * Crops the window of size (cw, ch) pixels whose top-left corner is (x0, y0) and resizes
 * it back to the full image bilinearly (pixel-area alignment: output pixel centre x maps to
 * x0 + (x + 0.5) * cw / W - 0.5). Edge fill keeps the border inside the window.
 */
export function cropResize(src: Float32Array, dst: Float32Array, shape: ImageShape, x0: number, y0: number, cw: number, ch: number): void {
  const sx = cw / shape.width;
  const sy = ch / shape.height;
  warpAffine(src, dst, shape, sx, 0, x0 + 0.5 * sx - 0.5, 0, sy, y0 + 0.5 * sy - 0.5, 'edge');
}

/** In place: adds delta, clamped to [0,1]. */
export function brightness(img: Float32Array, delta: number): void {
  for (let i = 0; i < img.length; i++) img[i] = clamp01(img[i]! + delta);
}

/** In place: scales the distance to the image mean (over all pixels and channels) by factor, clamped. */
export function contrast(img: Float32Array, factor: number): void {
  let sum = 0;
  for (let i = 0; i < img.length; i++) sum += img[i]!;
  const mean = img.length > 0 ? sum / img.length : 0;
  for (let i = 0; i < img.length; i++) img[i] = clamp01(mean + factor * (img[i]! - mean));
}

/** In place: v -> v^g (g < 1 brightens, g > 1 darkens). */
export function gamma(img: Float32Array, g: number): void {
  if (g === 1) return;
  for (let i = 0; i < img.length; i++) {
    const v = img[i]!;
    img[i] = v <= 0 ? 0 : Math.pow(v, g);
  }
}

/** In place: v -> 1 - v. */
export function invert(img: Float32Array): void {
  for (let i = 0; i < img.length; i++) img[i] = 1 - img[i]!;
}

/** In place: adds sigma * normals[i] to every value, clamped. */
export function addNoise(img: Float32Array, sigma: number, normals: Float32Array): void {
  for (let i = 0; i < img.length; i++) img[i] = clamp01(img[i]! + sigma * normals[i]!);
}

/**
 * In place: pixel i (all its channels) turns black when u[i] < amount/2 and white when
 * amount/2 <= u[i] < amount; returns [pepper, salt] counts.
 */
export function saltAndPepper(img: Float32Array, shape: ImageShape, amount: number, u: ArrayLike<number>): [number, number] {
  const C = shape.channels;
  const n = shape.height * shape.width;
  const half = amount / 2;
  let pepper = 0;
  let salt = 0;
  for (let i = 0; i < n; i++) {
    const r = u[i]!;
    if (r >= amount) continue;
    const v = r < half ? 0 : 1;
    if (v === 0) pepper++;
    else salt++;
    for (let c = 0; c < C; c++) img[i * C + c] = v;
  }
  return [pepper, salt];
}

/** Normalised 1-D Gaussian kernel of odd size (default 2*ceil(3*sigma)+1), into `out` (length >= size). */
export function gaussianKernel(sigma: number, size: number | undefined, out?: Float64Array): Float64Array {
  const n = size ?? 2 * Math.ceil(3 * sigma) + 1;
  const k = out && out.length >= n ? out : new Float64Array(n);
  const r = (n - 1) / 2;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const d = i - r;
    const w = sigma > 0 ? Math.exp(-(d * d) / (2 * sigma * sigma)) : d === 0 ? 1 : 0;
    k[i] = w;
    sum += w;
  }
  for (let i = 0; i < n; i++) k[i] = k[i]! / sum;
  return k;
}

/**
 * Separable convolution with a normalised odd kernel of `size` taps, edges clamped
 * (the border pixel repeats): horizontal pass src -> tmp, vertical pass tmp -> dst.
 */
export function convolveSeparable(src: Float32Array, dst: Float32Array, tmp: Float32Array, shape: ImageShape, kernel: Float64Array, size: number): void {
  const { height: H, width: W, channels: C } = shape;
  const r = (size - 1) >> 1;
  // Horizontal: taps step by C along the row; clamping only near the left and right edges.
  for (let y = 0; y < H; y++) {
    const row = y * W;
    for (let x = 0; x < W; x++) {
      const inside = x - r >= 0 && x + r < W;
      for (let c = 0; c < C; c++) {
        let v = 0;
        if (inside) {
          let j = (row + x - r) * C + c;
          for (let k = 0; k < size; k++, j += C) v += kernel[k]! * src[j]!;
        } else {
          for (let k = 0; k < size; k++) {
            let xi = x + k - r;
            xi = xi < 0 ? 0 : xi >= W ? W - 1 : xi;
            v += kernel[k]! * src[(row + xi) * C + c]!;
          }
        }
        tmp[(row + x) * C + c] = v;
      }
    }
  }
  // Vertical: taps step by a row.
  const stride = W * C;
  for (let y = 0; y < H; y++) {
    const inside = y - r >= 0 && y + r < H;
    for (let i = 0; i < stride; i++) {
      let v = 0;
      if (inside) {
        let j = (y - r) * stride + i;
        for (let k = 0; k < size; k++, j += stride) v += kernel[k]! * tmp[j]!;
      } else {
        for (let k = 0; k < size; k++) {
          let yi = y + k - r;
          yi = yi < 0 ? 0 : yi >= H ? H - 1 : yi;
          v += kernel[k]! * tmp[yi * stride + i]!;
        }
      }
      dst[y * stride + i] = v;
    }
  }
}

/** In place: sets the rectangle rows [y0, y0+h), columns [x0, x0+w) to value (or to noise[i] per value when given). */
export function erase(img: Float32Array, shape: ImageShape, x0: number, y0: number, w: number, h: number, value: number, noise?: Float32Array): void {
  const { width: W, channels: C } = shape;
  let j = 0;
  for (let y = y0; y < y0 + h; y++) {
    for (let x = x0; x < x0 + w; x++) {
      const o = (y * W + x) * C;
      for (let c = 0; c < C; c++) img[o + c] = noise ? noise[j++]! : value;
    }
  }
}

/** In place: img = (1 - lambda) * img + lambda * partner. */
export function mix(img: Float32Array, partner: Float32Array, lambda: number): void {
  const a = 1 - lambda;
  for (let i = 0; i < img.length; i++) img[i] = a * img[i]! + lambda * partner[i]!;
}

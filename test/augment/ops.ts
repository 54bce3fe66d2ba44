// Pixel ops against hand-computed small tensors (pixel centres at integer coordinates, y down).
import t from 'tap';
import * as px from '../../src/augment/ops.js';
import { image, rowsOf, gray } from '../../fixtures/augment.js';

const s3 = gray(3, 3);
const A = () => image([[1, 2, 3], [4, 5, 6], [7, 8, 9]]);
const run = (f: (src: Float32Array, dst: Float32Array) => void, src = A(), shape = s3): number[][] => {
  const dst = new Float32Array(src.length).fill(-1);
  f(src, dst);
  return rowsOf(dst, shape);
};

t.test('flip mirrors left-right and top-bottom', async (t) => {
  t.same(run((s, d) => px.flip(s, d, s3, 'horizontal')), [[3, 2, 1], [6, 5, 4], [9, 8, 7]]);
  t.same(run((s, d) => px.flip(s, d, s3, 'vertical')), [[7, 8, 9], [4, 5, 6], [1, 2, 3]]);
  // Channels of a pixel travel together.
  const rgb = { height: 1, width: 2, channels: 3 };
  const d = new Float32Array(6);
  px.flip(image([1, 2, 3, 4, 5, 6]), d, rgb, 'horizontal');
  t.same(Array.from(d), [4, 5, 6, 1, 2, 3]);
});

t.test('rotate by multiples of 90 degrees permutes pixels exactly (counter-clockwise as displayed)', async (t) => {
  t.same(run((s, d) => px.rotate(s, d, s3, 90, 'zero')), [[3, 6, 9], [2, 5, 8], [1, 4, 7]]);
  t.same(run((s, d) => px.rotate(s, d, s3, 180, 'zero')), [[9, 8, 7], [6, 5, 4], [3, 2, 1]]);
  t.same(run((s, d) => px.rotate(s, d, s3, -90, 'zero')), [[7, 4, 1], [8, 5, 2], [9, 6, 3]]);
  t.same(run((s, d) => px.rotate(s, d, s3, 360, 'edge')), [[1, 2, 3], [4, 5, 6], [7, 8, 9]]);
  const s4 = gray(4, 4);
  const b = image(Array.from({ length: 16 }, (_, i) => i));
  const d = new Float32Array(16);
  px.rotate(b, d, s4, 90, 'zero');
  t.same(rowsOf(d, s4), [[3, 7, 11, 15], [2, 6, 10, 14], [1, 5, 9, 13], [0, 4, 8, 12]], 'even sizes rotate about the centre between pixels');
});

t.test('rotate by 45 degrees samples bilinearly and fills corners with zero or the edge', async (t) => {
  const ones = new Float32Array(9).fill(1);
  const zero = run((s, d) => px.rotate(s, d, s3, 45, 'zero'), ones);
  t.equal(zero[1]![1], 1, 'the centre stays');
  // The corner (0,0) samples (1 - 0, 1 - sqrt2) = (1, -0.414): 58.6% weight on row 0, the rest outside.
  t.ok(Math.abs(zero[0]![0]! - (1 - (Math.SQRT2 - 1))) < 1e-6, `corner ${zero[0]![0]}`);
  const edge = run((s, d) => px.rotate(s, d, s3, 45, 'edge'), ones);
  t.same(edge, [[1, 1, 1], [1, 1, 1], [1, 1, 1]], 'edge fill keeps a constant image constant');
});

t.test('translate by whole pixels: zero fill and edge fill', async (t) => {
  t.same(run((s, d) => px.translate(s, d, s3, 1, 0, 'zero')), [[0, 1, 2], [0, 4, 5], [0, 7, 8]]);
  t.same(run((s, d) => px.translate(s, d, s3, 1, 0, 'edge')), [[1, 1, 2], [4, 4, 5], [7, 7, 8]]);
  t.same(run((s, d) => px.translate(s, d, s3, 0, 1, 'zero')), [[0, 0, 0], [1, 2, 3], [4, 5, 6]]);
  t.same(run((s, d) => px.translate(s, d, s3, -1, -1, 'edge')), [[5, 6, 6], [8, 9, 9], [8, 9, 9]]);
  t.same(run((s, d) => px.translate(s, d, s3, 5, 0, 'zero')), [[0, 0, 0], [0, 0, 0], [0, 0, 0]]);
  // The whole-pixel fast path gives what the general bilinear warp gives.
  for (const [dx, dy] of [[1, 0], [-2, 1], [0, -1], [3, 2], [-4, 0]] as const) {
    for (const fill of ['zero', 'edge'] as const) {
      t.same(run((s, d) => px.translate(s, d, s3, dx, dy, fill)), run((s, d) => px.warpAffine(s, d, s3, 1, 0, -dx, 0, 1, -dy, fill)), `shift ${dx},${dy} ${fill}`);
    }
  }
});

t.test('translate by half a pixel interpolates', async (t) => {
  const row = gray(1, 3);
  t.same(run((s, d) => px.translate(s, d, row, 0.5, 0, 'zero'), image([1, 2, 3]), row), [[0.5, 1.5, 2.5]]);
  t.same(run((s, d) => px.translate(s, d, row, 0.5, 0, 'edge'), image([1, 2, 3]), row), [[1, 1.5, 2.5]]);
});

t.test('scale zooms about the centre', async (t) => {
  t.same(run((s, d) => px.scale(s, d, s3, 2, 'zero')), [[3, 3.5, 4], [4.5, 5, 5.5], [6, 6.5, 7]]);
  t.same(run((s, d) => px.scale(s, d, s3, 1, 'zero')), [[1, 2, 3], [4, 5, 6], [7, 8, 9]]);
});

t.test('crop then resize back: the full window is the identity, a 2x2 window of a 4x4 ramp is a finer ramp', async (t) => {
  const s4 = gray(4, 4);
  const ramp = image(Array.from({ length: 16 }, (_, i) => i)); // v(x, y) = x + 4y
  t.same(run((s, d) => px.cropResize(s, d, s4, 0, 0, 4, 4), ramp, s4), rowsOf(ramp, s4));
  const out = run((s, d) => px.cropResize(s, d, s4, 1, 1, 2, 2), ramp, s4);
  // Output x maps to 1 + (x + 0.5) * 0.5 - 0.5 = 0.75 + 0.5x; bilinear of a linear ramp is exact.
  const expect = [0, 1, 2, 3].map((y) => [0, 1, 2, 3].map((x) => 0.75 + 0.5 * x + 4 * (0.75 + 0.5 * y)));
  t.same(out, expect);
});

t.test('colour ops: brightness, contrast, gamma, invert (clamped to [0,1])', async (t) => {
  const b = image([0.1, 0.9, 0.95]);
  px.brightness(b, 0.2);
  t.same(rowsOf(b, gray(1, 3)), [[0.3, 1, 1]]);
  px.brightness(b, -0.5);
  t.same(rowsOf(b, gray(1, 3)), [[0, 0.5, 0.5]]);
  const c = image([0.2, 0.4, 0.6]);
  px.contrast(c, 2);
  t.same(rowsOf(c, gray(1, 3)), [[0, 0.4, 0.8]], 'distance to the mean (0.4) doubles');
  px.contrast(c, 0);
  t.same(rowsOf(c, gray(1, 3)), [[0.4, 0.4, 0.4]]);
  const g = image([0.5, 1, 0, 0.25]);
  px.gamma(g, 2);
  t.same(rowsOf(g, gray(1, 4)), [[0.25, 1, 0, 0.0625]]);
  px.gamma(g, 0.5);
  t.same(rowsOf(g, gray(1, 4)), [[0.5, 1, 0, 0.25]]);
  const v = image([0.1, 0.75, 1]);
  px.invert(v);
  t.same(rowsOf(v, gray(1, 3)), [[0.9, 0.25, 0]]);
});

t.test('gaussian noise adds sigma times the given normals, clamped', async (t) => {
  const img = image([0.5, 0.5, 0.9]);
  px.addNoise(img, 0.1, image([1, -2, 3]));
  t.same(rowsOf(img, gray(1, 3)), [[0.6, 0.3, 1]]);
});

t.test('blur: a 3-tap Gaussian kernel by hand, separable, edges clamped', async (t) => {
  const w = Math.exp(-0.5);
  const k = px.gaussianKernel(1, 3);
  t.same(Array.from(k, (v) => Math.round(v * 1e9) / 1e9), [w, 1, w].map((v) => Math.round((v / (1 + 2 * w)) * 1e9) / 1e9));
  t.equal(px.gaussianKernel(1, undefined).length, 7, 'default size 2*ceil(3 sigma)+1');
  const impulse = image([[0, 0, 0], [0, 1, 0], [0, 0, 0]]);
  const tmp = new Float32Array(9);
  const out = run((s, d) => px.convolveSeparable(s, d, tmp, s3, k, 3), impulse);
  const k0 = w / (1 + 2 * w);
  const k1 = 1 / (1 + 2 * w);
  const r = (v: number) => Math.round(v * 1e6) / 1e6;
  t.same(out, [[r(k0 * k0), r(k0 * k1), r(k0 * k0)], [r(k1 * k0), r(k1 * k1), r(k1 * k0)], [r(k0 * k0), r(k0 * k1), r(k0 * k0)]]);
  const flat = new Float32Array(9).fill(0.7);
  t.same(run((s, d) => px.convolveSeparable(s, d, tmp, s3, px.gaussianKernel(2, 5), 5), flat), [[0.7, 0.7, 0.7], [0.7, 0.7, 0.7], [0.7, 0.7, 0.7]], 'a constant image stays constant (edges repeat)');
});

t.test('erase fills the rectangle only', async (t) => {
  const s4 = gray(4, 4);
  const img = new Float32Array(16).fill(1);
  px.erase(img, s4, 1, 2, 2, 1, 0);
  t.same(rowsOf(img, s4), [[1, 1, 1, 1], [1, 1, 1, 1], [1, 0, 0, 1], [1, 1, 1, 1]]);
  px.erase(img, s4, 0, 0, 1, 2, 0.5, image([0.1, 0.2]));
  t.same(rowsOf(img, s4).map((r) => r[0]), [0.1, 0.2, 1, 1], 'per-value noise when given');
});

t.test('salt and pepper: u < amount/2 turns black, amount/2 <= u < amount white, all channels of the pixel', async (t) => {
  const shape = { height: 2, width: 2, channels: 2 };
  const img = new Float32Array(8).fill(0.5);
  const counts = px.saltAndPepper(img, shape, 0.1, [0.01, 0.049, 0.06, 0.5]);
  t.same(counts, [2, 1]);
  t.same(Array.from(img), [0, 0, 0, 0, 1, 1, 0.5, 0.5]);
});

t.test('mix weighs the partner by lambda', async (t) => {
  const img = image([0, 1, 0.5]);
  px.mix(img, image([1, 1, 0]), 0.25);
  t.same(rowsOf(img, gray(1, 3)), [[0.25, 1, 0.375]]);
});

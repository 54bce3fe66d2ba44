// rx's wasm kernels against the cpu backend's reference kernels, on seeded random inputs over
// strides, paddings, dilations, batch sizes and channel counts; bitwise determinism of each
// kernel; gradients of a small network through the engine; and bitwise-identical weights from
// two seeded training runs on the wasm backend.
import t, { type Test } from 'tap';
import type * as TfCore from '@tensorflow/tfjs-core';
import { initBackend, tfCore, tfLayers } from '../../src/model/backend.js';
import { RX_WASM_KERNELS } from '../../src/model/kernels/index.js';

type Tf = typeof TfCore;
type Attrs = Record<string, unknown>;
type Inputs = Record<string, { values: Float32Array; shape: number[] }>;

const info = await initBackend('wasm');
const tf: Tf = tfCore();

function random(n: number, seed: number): Float32Array {
  let s = seed >>> 0 || 1;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    out[i] = (s / 2 ** 32) * 2 - 1;
  }
  return out;
}

/** Runs one kernel directly on a backend (no engine), returning shape and values. */
function runKernel(backendName: 'cpu' | 'wasm', kernelName: string, inputs: Inputs, attrs: Attrs): { shape: number[]; values: Float32Array } {
  const backend = tf.findBackend(backendName)!;
  const infos: Record<string, TfCore.TensorInfo> = {};
  for (const [name, { values, shape }] of Object.entries(inputs)) {
    infos[name] = { dataId: backend.write(values.slice(), shape, 'float32'), shape, dtype: 'float32' };
  }
  const kernel = tf.getKernel(kernelName, backendName)!;
  const out = kernel.kernelFunc({ inputs: infos, backend, attrs } as never) as TfCore.TensorInfo;
  const values = Float32Array.from(backend.readSync(out.dataId) as Float32Array);
  backend.disposeData(out.dataId);
  for (const i of Object.values(infos)) backend.disposeData(i.dataId);
  return { shape: out.shape, values };
}

function maxAbs(a: Float32Array): number {
  let m = 0;
  for (const v of a) m = Math.max(m, Math.abs(v));
  return m;
}

function bitwiseEqual(a: Float32Array, b: Float32Array): boolean {
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const y = new Uint32Array(b.buffer, b.byteOffset, b.length);
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

/** wasm (rx) vs cpu within float tolerance, and wasm twice bitwise-identical. */
function compare(tt: Test, kernelName: string, inputs: Inputs, attrs: Attrs, label: string, exact = false): void {
  const ref = runKernel('cpu', kernelName, inputs, attrs);
  const got = runKernel('wasm', kernelName, inputs, attrs);
  const again = runKernel('wasm', kernelName, inputs, attrs);
  tt.same(got.shape, ref.shape, `${label}: shape`);
  let worst = 0;
  for (let i = 0; i < ref.values.length; i++) worst = Math.max(worst, Math.abs(ref.values[i]! - got.values[i]!));
  const tol = exact ? 0 : 1e-5 * (1 + maxAbs(ref.values));
  tt.ok(worst <= tol, `${label}: max |wasm - cpu| = ${worst.toExponential(2)} <= ${tol.toExponential(2)}`);
  tt.ok(bitwiseEqual(got.values, again.values), `${label}: deterministic`);
}

t.test('the backend is wasm with rx kernels registered', async (t) => {
  t.equal(info.name, 'wasm');
  for (const k of RX_WASM_KERNELS) t.ok(tf.getKernel(k, 'wasm'), `${k} registered`);
  for (const k of ['Conv2DBackpropFilter', 'DepthwiseConv2dNativeBackpropFilter', 'DepthwiseConv2dNativeBackpropInput']) t.ok(tf.getKernel(k, 'cpu'), `${k} has a cpu reference`);
});

// n, h, w, inC, outC, k, stride, pad
const CONV_CASES: [number, number, number, number, number, number, number, 'same' | 'valid' | number][] = [
  [2, 7, 7, 3, 4, 3, 1, 'valid'],
  [2, 7, 7, 3, 4, 3, 1, 'same'],
  [3, 8, 9, 2, 5, 3, 2, 'same'],
  [3, 8, 9, 2, 5, 3, 2, 'valid'],
  [1, 10, 10, 4, 3, 5, 3, 'same'],
  [2, 9, 8, 1, 6, 2, 2, 'valid'],
  [2, 6, 6, 3, 3, 1, 1, 'valid'],
  [2, 9, 9, 3, 2, 4, 2, 'same'],
  [4, 12, 12, 1, 8, 3, 1, 'valid'],
  [2, 8, 8, 5, 7, 3, 1, 1],
];

t.test('Conv2DBackpropFilter and Conv2DBackpropInput match the cpu backend', async (t) => {
  let seed = 1;
  for (const [n, h, w, ci, co, k, s, pad] of CONV_CASES) {
    const conv = tf.backend_util.computeConv2DInfo([n, h, w, ci], [k, k, ci, co], s, 1, pad as 'same');
    const dyShape = [n, conv.outHeight, conv.outWidth, co];
    const x = { values: random(n * h * w * ci, seed++), shape: [n, h, w, ci] };
    const dy = { values: random(dyShape.reduce((a, b) => a * b), seed++), shape: dyShape };
    const filter = { values: random(k * k * ci * co, seed++), shape: [k, k, ci, co] };
    const label = `n${n} ${h}x${w}x${ci}->${co} k${k} s${s} pad ${pad}`;
    compare(t, 'Conv2DBackpropFilter', { x, dy }, { strides: [s, s], pad, dataFormat: 'NHWC', filterShape: [k, k, ci, co] }, `filter ${label}`);
    compare(t, 'Conv2DBackpropInput', { dy, filter }, { strides: [s, s], pad, dataFormat: 'NHWC', inputShape: [n, h, w, ci] }, `input ${label}`);
  }
});

t.test('conv gradients in NCHW layout match too', async (t) => {
  const [n, c, h, w, co, k] = [2, 3, 7, 6, 4, 3];
  const conv = tf.backend_util.computeConv2DInfo([n, c, h, w], [k, k, c, co], 2, 1, 'same', undefined, false, 'channelsFirst');
  const x = { values: random(n * c * h * w, 91), shape: [n, c, h, w] };
  const dy = { values: random(n * co * conv.outHeight * conv.outWidth, 92), shape: [n, co, conv.outHeight, conv.outWidth] };
  const filter = { values: random(k * k * c * co, 93), shape: [k, k, c, co] };
  compare(t, 'Conv2DBackpropFilter', { x, dy }, { strides: [2, 2], pad: 'same', dataFormat: 'NCHW', filterShape: [k, k, c, co] }, 'filter NCHW');
  compare(t, 'Conv2DBackpropInput', { dy, filter }, { strides: [2, 2], pad: 'same', dataFormat: 'NCHW', inputShape: [n, c, h, w] }, 'input NCHW');
});

// n, h, w, channels, multiplier, k, stride, dilation, pad
const DEPTHWISE_CASES: [number, number, number, number, number, number, number, number, 'same' | 'valid'][] = [
  [2, 7, 7, 3, 1, 3, 1, 1, 'same'],
  [2, 7, 7, 3, 2, 3, 1, 1, 'valid'],
  [3, 8, 9, 4, 1, 3, 2, 1, 'same'],
  [1, 9, 9, 2, 3, 3, 2, 1, 'valid'],
  [2, 10, 10, 5, 1, 5, 3, 1, 'same'],
  [2, 9, 9, 2, 2, 3, 1, 2, 'same'],
  [2, 9, 8, 3, 1, 2, 1, 2, 'valid'],
  [1, 6, 6, 8, 1, 1, 1, 1, 'valid'],
];

/**
 * The gradients of a linear op by definition: entry i of d(sum(op(...) * dy)) is the forward op
 * applied to the i-th one-hot input. Used where the cpu backend has no correct reference:
 * its depthwise backprop kernels ignore dilation (tfjs's own gradient never asks for it).
 */
function depthwiseGradByDefinition(which: 'filter' | 'input', x: Inputs[string], filter: Inputs[string], dy: Inputs[string], s: number, d: number, pad: 'same' | 'valid'): Float32Array {
  const target = which === 'filter' ? filter : x;
  const out = new Float32Array(target.values.length);
  const dyT = tf.tensor(dy.values, dy.shape);
  for (let i = 0; i < out.length; i++) {
    const oneHot = new Float32Array(out.length);
    oneHot[i] = 1;
    out[i] = tf.tidy(() => {
      const xs = tf.tensor4d(which === 'input' ? oneHot : x.values, x.shape as [number, number, number, number]);
      const fs = tf.tensor4d(which === 'filter' ? oneHot : filter.values, filter.shape as [number, number, number, number]);
      return tf.sum(tf.mul(tf.depthwiseConv2d(xs, fs, s, pad, 'NHWC', d), dyT)).dataSync()[0]!;
    });
  }
  dyT.dispose();
  return out;
}

t.test('DepthwiseConv2dNative gradients match the cpu backend (dilated: the definition)', async (t) => {
  let seed = 100;
  for (const [n, h, w, c, m, k, s, d, pad] of DEPTHWISE_CASES) {
    const conv = tf.backend_util.computeConv2DInfo([n, h, w, c], [k, k, c, m], s, d, pad, undefined, true);
    const dyShape = [n, conv.outHeight, conv.outWidth, c * m];
    const x = { values: random(n * h * w * c, seed++), shape: [n, h, w, c] };
    const dy = { values: random(dyShape.reduce((a, b) => a * b), seed++), shape: dyShape };
    const filter = { values: random(k * k * c * m, seed++), shape: [k, k, c, m] };
    const label = `n${n} ${h}x${w}x${c} x${m} k${k} s${s} d${d} ${pad}`;
    const common = { strides: [s, s], dilations: [d, d], pad };
    const filterAttrs = { ...common, filterShape: [k, k, c, m] };
    const inputAttrs = { ...common, inputShape: [n, h, w, c] };
    if (d === 1) {
      compare(t, 'DepthwiseConv2dNativeBackpropFilter', { x, dy }, filterAttrs, `filter ${label}`);
      compare(t, 'DepthwiseConv2dNativeBackpropInput', { dy, filter }, inputAttrs, `input ${label}`);
      continue;
    }
    for (const which of ['filter', 'input'] as const) {
      const ref = depthwiseGradByDefinition(which, x, filter, dy, s, d, pad);
      const got = which === 'filter' ? runKernel('wasm', 'DepthwiseConv2dNativeBackpropFilter', { x, dy }, filterAttrs) : runKernel('wasm', 'DepthwiseConv2dNativeBackpropInput', { dy, filter }, inputAttrs);
      let worst = 0;
      for (let i = 0; i < ref.length; i++) worst = Math.max(worst, Math.abs(ref[i]! - got.values[i]!));
      t.ok(worst <= 1e-5 * (1 + maxAbs(ref)), `${which} ${label}: max |wasm - definition| = ${worst.toExponential(2)}`);
    }
  }
});

t.test('BatchMatMul with transposed operands matches the cpu backend', async (t) => {
  let seed = 200;
  for (const [batchA, batchB] of [
    [1, 1],
    [3, 3],
    [1, 2],
  ] as const) {
    for (const transposeA of [false, true]) {
      for (const transposeB of [false, true]) {
        const [m, k, n] = [5, 7, 3];
        const a = { values: random(batchA * m * k, seed++), shape: [batchA, ...(transposeA ? [k, m] : [m, k])] };
        const b = { values: random(batchB * k * n, seed++), shape: [batchB, ...(transposeB ? [n, k] : [k, n])] };
        compare(t, 'BatchMatMul', { a, b }, { transposeA, transposeB }, `batch ${batchA}/${batchB} tA=${transposeA} tB=${transposeB}`);
      }
    }
  }
});

t.test('MaxPoolGrad matches the cpu backend, ties included', async (t) => {
  // n, h, w, c, pool, stride, pad
  const cases: [number, number, number, number, number, number, 'same' | 'valid'][] = [
    [2, 8, 8, 3, 2, 2, 'valid'],
    [2, 7, 9, 4, 2, 2, 'valid'],
    [2, 7, 7, 3, 3, 2, 'same'],
    [1, 6, 6, 2, 3, 1, 'same'],
    [2, 9, 9, 5, 2, 2, 'same'],
  ];
  let seed = 300;
  for (const [n, h, w, c, p, s, pad] of cases) {
    const pool = tf.backend_util.computePool2DInfo([n, h, w, c], p, s, 1, pad);
    const outShape = [n, pool.outHeight, pool.outWidth, c];
    // Small integers: many ties inside windows, and sums of dy that are exact in float32.
    const xv = random(n * h * w * c, seed++).map((v) => Math.round(v * 2));
    const dyv = random(outShape.reduce((a, b) => a * b), seed++).map((v) => Math.round(v * 8));
    const x = { values: xv, shape: [n, h, w, c] };
    const y = runKernel('cpu', 'MaxPool', { x }, { filterSize: p, strides: s, pad });
    const inputs = { dy: { values: dyv, shape: outShape }, input: x, output: { values: y.values, shape: outShape } };
    compare(t, 'MaxPoolGrad', inputs, { filterSize: [p, p], strides: [s, s], pad }, `${h}x${w}x${c} pool ${p} stride ${s} ${pad}`, true);
  }
});

t.test('Sum over leading axes is bitwise equal to the cpu backend; other sums still work', async (t) => {
  const x = { values: random(4 * 5 * 6 * 7, 400), shape: [4, 5, 6, 7] };
  compare(t, 'Sum', { x }, { axis: [0, 1, 2], keepDims: false }, 'axes 0,1,2', true);
  compare(t, 'Sum', { x }, { axis: [0], keepDims: true }, 'axis 0 keepDims', true);
  compare(t, 'Sum', { x }, { axis: [1, 3], keepDims: false }, 'axes 1,3 (original kernel)');
  compare(t, 'Sum', { x }, { axis: [0, 1, 2, 3], keepDims: false }, 'all axes (original kernel)');
  const ints = tf.tensor1d([1, 2, 3, 2147483], 'int32');
  t.same(Array.from(tf.sum(tf.reshape(ints, [2, 2]), 0).dataSync()), [4, 2147485], 'int32 sums stay exact');
});

t.test('Tile is bitwise equal to the cpu backend for every rank and repeat pattern; ints and bools too', async (t) => {
  const cases: [number[], number[]][] = [
    [[1, 1, 1, 32], [4, 5, 6, 1]],
    [[1, 1, 1, 3], [2, 3, 3, 5]],
    [[2, 3], [3, 2]],
    [[2, 3, 4], [1, 1, 1]],
    [[5], [7]],
    [[3, 1, 2], [2, 4, 3]],
    [[2, 2, 2, 2, 2], [2, 1, 3, 1, 2]],
    [[4, 3], [0, 2]],
  ];
  for (const [shape, reps] of cases) {
    const n = shape.reduce((a, b) => a * b, 1);
    compare(t, 'Tile', { x: { values: random(n, 500 + n), shape } }, { reps }, `${JSON.stringify(shape)} x ${JSON.stringify(reps)}`, true);
  }
  const negZero = tf.tile(tf.tensor2d([-0, Number.NaN, -Infinity, 1e-45], [2, 2]), [2, 3]).dataSync();
  t.ok(Object.is(negZero[0], -0) && Number.isNaN(negZero[1]!) && negZero[6] === -Infinity && negZero[7] === Math.fround(1e-45) && negZero.length === 24, '-0, NaN, -Infinity and subnormals are copied as they are');
  t.same(Array.from(tf.tile(tf.tensor2d([1, -2, 3, 2147483647], [2, 2], 'int32'), [1, 2]).dataSync()), [1, -2, 1, -2, 3, 2147483647, 3, 2147483647], 'int32');
  t.same(Array.from(tf.tile(tf.tensor1d([true, false], 'bool'), [3]).dataSync()), [1, 0, 1, 0, 1, 0], 'bool');
  t.same(Array.from(tf.tile(tf.scalar(5), []).dataSync()), [5], 'a scalar');
});

/** Gradients of a small conv net with respect to every weight, on the current backend. */
function smallNetGrads(tf: Tf): Float32Array[] {
  return tf.tidy(() => {
    const x = tf.tensor4d(random(3 * 10 * 10 * 2, 500), [3, 10, 10, 2]);
    const w1 = tf.tensor4d(random(3 * 3 * 2 * 4, 501), [3, 3, 2, 4]);
    const dw = tf.tensor4d(random(3 * 3 * 4 * 2, 502), [3, 3, 4, 2]);
    const w2 = tf.tensor2d(random(2 * 2 * 8 * 5, 503), [2 * 2 * 8, 5]);
    const f = (a: TfCore.Tensor, b: TfCore.Tensor, c: TfCore.Tensor) => {
      const h1 = tf.relu(tf.conv2d(x, a as TfCore.Tensor4D, 1, 'same'));
      const h2 = tf.relu(tf.depthwiseConv2d(h1, b as TfCore.Tensor4D, 2, 'same'));
      const p = tf.maxPool(h2, 2, 2, 'valid');
      const logits = tf.matMul(tf.reshape(p, [3, -1]), c as TfCore.Tensor2D);
      return tf.mean(tf.square(logits));
    };
    return tf.grads(f)([w1, dw, w2]).map((g) => g.dataSync() as Float32Array);
  });
}

t.test('engine gradients of a conv + depthwise + pool + dense net match the cpu backend', async (t) => {
  const wasmGrads = smallNetGrads(tf);
  await tf.setBackend('cpu');
  try {
    const cpuGrads = smallNetGrads(tf);
    wasmGrads.forEach((g, i) => {
      const ref = cpuGrads[i]!;
      let worst = 0;
      for (let j = 0; j < ref.length; j++) worst = Math.max(worst, Math.abs(ref[j]! - g[j]!));
      t.ok(worst <= 1e-4 * (1 + maxAbs(ref)), `weight ${i}: max diff ${worst.toExponential(2)}`);
    });
  } finally {
    await tf.setBackend('wasm');
  }
});

t.test('two seeded training runs on wasm give bitwise-identical weights', async (t) => {
  const tfl = tfLayers();
  const run = async (): Promise<Float32Array[]> => {
    const init = (seed: number) => tfl.initializers.glorotUniform({ seed });
    const m = tfl.sequential();
    m.add(tfl.layers.conv2d({ inputShape: [12, 12, 1], filters: 6, kernelSize: 3, activation: 'relu', kernelInitializer: init(1) }));
    m.add(tfl.layers.maxPooling2d({ poolSize: 2 }));
    m.add(tfl.layers.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2, padding: 'same', activation: 'relu', depthwiseInitializer: init(2) }));
    m.add(tfl.layers.flatten());
    m.add(tfl.layers.dense({ units: 16, activation: 'relu', kernelInitializer: init(3) }));
    m.add(tfl.layers.dense({ units: 4, activation: 'softmax', kernelInitializer: init(4) }));
    m.compile({ optimizer: tf.train.adam(1e-2), loss: 'categoricalCrossentropy' });
    for (let step = 0; step < 4; step++) {
      const x = tf.tensor4d(random(16 * 12 * 12, 600 + step), [16, 12, 12, 1]);
      const labels = tf.tensor1d(Array.from(random(16, 700 + step), (v) => Math.floor((v + 1) * 2) % 4), 'int32');
      const y = tf.oneHot(labels, 4);
      await m.trainOnBatch(x, y);
      tf.dispose([x, labels, y]);
    }
    const weights = m.getWeights().map((w) => Float32Array.from(w.dataSync() as Float32Array));
    m.dispose();
    return weights;
  };
  const first = await run();
  const second = await run();
  t.equal(first.length, second.length);
  first.forEach((w, i) => t.ok(bitwiseEqual(w, second[i]!), `weight ${i} (${w.length} values) bitwise identical`));
  t.ok(first.some((w) => w.some((v) => v !== 0)), 'weights are not all zero');
});

// Sum over leading axes for the wasm backend. Every bias gradient is a Sum of dy over all
// axes but the channels (a broadcast Add's gradient), and tfjs-backend-wasm first transposes
// the whole tensor to put those axes innermost (~4 ms for a 64x26x26x32 dy). A float32 sum over
// a leading prefix of axes is instead one sequential pass over the wasm heap, accumulating in
// float64 row by row: the cpu backend's exact order and precision, so results are bitwise equal.
import type { KernelConfig, KernelFunc } from '@tensorflow/tfjs-core';
import type { KernelArgs, TensorInfo, Tf } from './scope.js';
import type { HeapBackend } from './pool_grads.js';

export function sumConfig(tf: Tf, backendName: string): KernelConfig | undefined {
  const original = tf.getKernel('Sum', backendName);
  if (original === undefined) return undefined;
  const kernelFunc = (args: KernelArgs): TensorInfo => {
    const { inputs, attrs } = args;
    const backend = args.backend as unknown as HeapBackend;
    const x = inputs.x!;
    const rank = x.shape.length;
    const axes = tf.util.parseAxisParam(attrs.axis as number | number[], x.shape).sort((p, q) => p - q);
    const prefix = axes.length > 0 && axes.length < rank && axes.every((ax, i) => ax === i);
    if (x.dtype !== 'float32' || !prefix || typeof backend.typedArrayFromHeap !== 'function') return original.kernelFunc(args as never) as TensorInfo;
    const reduced = x.shape.slice(axes.length);
    const outShape = attrs.keepDims ? [...axes.map(() => 1), ...reduced] : reduced;
    const inner = reduced.reduce((n, d) => n * d, 1);
    const out = backend.makeOutput(outShape, 'float32');
    sumLeadingAxes(backend.typedArrayFromHeap(x), inner, backend.typedArrayFromHeap(out));
    return out;
  };
  return { ...original, kernelFunc: kernelFunc as unknown as KernelFunc };
}

/** out[j] = sum over rows i of x[i*inner + j], rows in order, accumulated in float64. */
export function sumLeadingAxes(x: Float32Array, inner: number, out: Float32Array): void {
  const acc = new Float64Array(inner);
  for (let base = 0; base < x.length; base += inner) {
    for (let j = 0; j < inner; j++) acc[j] += x[base + j]!;
  }
  out.set(acc);
}

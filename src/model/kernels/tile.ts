// Tile for the wasm backend. A batch-normalised conv layer's backward pass tiles its per-channel
// statistics over the whole activation (tfjs-core's FusedBatchNorm gradient: [1,1,1,C] tiled to
// [N,H,W,C]), and tfjs-backend-wasm's Tile walks the output element by element through index
// arithmetic: ~100 ms for a 32x28x28x32 output, a third of a training step. Tiling is pure
// copying, so this one builds each axis' block once and repeats it with copyWithin (memcpy):
// the same values bit for bit, in time proportional to the output's bytes.
import type { KernelConfig, KernelFunc } from '@tensorflow/tfjs-core';
import type { KernelArgs, TensorInfo, Tf } from './scope.js';

type Numeric = Float32Array | Int32Array | Uint8Array;

/** The wasm backend's heap access for any numeric dtype (public methods of BackendWasm). */
interface TypedHeapBackend {
  makeOutput(shape: number[], dtype: string): TensorInfo;
  typedArrayFromHeap(t: TensorInfo): Numeric;
}

export function tileConfig(tf: Tf, backendName: string): KernelConfig | undefined {
  const original = tf.getKernel('Tile', backendName);
  if (original === undefined) return undefined;
  const kernelFunc = (args: KernelArgs): TensorInfo => {
    const x = args.inputs.x!;
    const reps = args.attrs.reps as number[];
    const backend = args.backend as unknown as TypedHeapBackend;
    if (x.dtype === 'string' || x.dtype === 'complex64' || typeof backend.typedArrayFromHeap !== 'function' || reps.length !== x.shape.length) {
      return original.kernelFunc(args as never) as TensorInfo;
    }
    const outShape = x.shape.map((d, i) => d * reps[i]!);
    const out = backend.makeOutput(outShape, x.dtype);
    // Views after makeOutput: an allocation may grow (and so replace) the wasm memory buffer.
    if (outShape.every((d) => d > 0)) tileInto(backend.typedArrayFromHeap(x), x.shape, reps, backend.typedArrayFromHeap(out));
    return out;
  };
  return { ...original, kernelFunc: kernelFunc as unknown as KernelFunc };
}

/**
 * out = x tiled reps[i] times along each axis (row-major, like tf.tile). Axis by axis from the
 * innermost: the block an axis spans is written once from x, then repeated with copyWithin.
 */
export function tileInto<T extends Numeric>(x: T, shape: readonly number[], reps: readonly number[], out: T): void {
  const rank = shape.length;
  if (rank === 0) {
    out[0] = x[0]!;
    return;
  }
  const xStride = new Array<number>(rank);
  const oStride = new Array<number>(rank);
  xStride[rank - 1] = 1;
  oStride[rank - 1] = 1;
  for (let d = rank - 2; d >= 0; d--) {
    xStride[d] = xStride[d + 1]! * shape[d + 1]!;
    oStride[d] = oStride[d + 1]! * shape[d + 1]! * reps[d + 1]!;
  }
  const fill = (d: number, xOff: number, oOff: number): void => {
    const n = shape[d]!;
    if (d === rank - 1) out.set(x.subarray(xOff, xOff + n), oOff);
    else for (let j = 0; j < n; j++) fill(d + 1, xOff + j * xStride[d]!, oOff + j * oStride[d]!);
    // The axis' block (n rows of the inner tiling) repeated reps[d] times, doubling each copy.
    const block = n * oStride[d]!;
    const total = block * reps[d]!;
    for (let done = block; done < total; done *= 2) out.copyWithin(oOff + done, oOff, oOff + Math.min(done, total - done));
  };
  fill(0, 0, 0);
}

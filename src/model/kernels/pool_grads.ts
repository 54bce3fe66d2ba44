// MaxPoolGrad for the wasm backend. tfjs-backend-wasm's own kernel takes ~20 ms for a 2x2 pool
// over 64x26x26x32 (a quarter of a CNN training step); this one is a single pass in JS over
// the wasm heap: per output pixel, scan its window with the channels innermost (contiguous in
// NHWC), keep the first strict maximum per channel (the cpu backend's tie rule), and add dy
// there. Memory-bound and deterministic (a fixed loop order).
import type { KernelConfig, KernelFunc } from '@tensorflow/tfjs-core';
import type { KernelArgs, TensorInfo, Tf } from './scope.js';

/** The wasm backend's heap access (public methods of BackendWasm). */
export interface HeapBackend {
  makeOutput(shape: number[], dtype: 'float32'): TensorInfo;
  typedArrayFromHeap(t: TensorInfo): Float32Array;
}

interface PoolGradAttrs {
  filterSize: [number, number] | number;
  strides: [number, number] | number;
  pad: 'valid' | 'same' | number;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

export function maxPoolGradConfig(tf: Tf, backendName: string): KernelConfig | undefined {
  const original = tf.getKernel('MaxPoolGrad', backendName);
  const kernelFunc = (args: KernelArgs): TensorInfo => {
    const { inputs, attrs } = args;
    const dy = inputs.dy!;
    const input = inputs.input!;
    const backend = args.backend as unknown as HeapBackend;
    if ((input.dtype !== 'float32' || dy.dtype !== 'float32' || typeof backend.typedArrayFromHeap !== 'function') && original) {
      return original.kernelFunc(args as never) as TensorInfo;
    }
    const a = attrs as unknown as PoolGradAttrs;
    const info = tf.backend_util.computePool2DInfo(input.shape as [number, number, number, number], a.filterSize, a.strides, 1, a.pad, a.dimRoundingMode);
    const dx = backend.makeOutput(input.shape, 'float32');
    // Views after makeOutput: an allocation may grow (and so replace) the wasm memory buffer.
    const xv = backend.typedArrayFromHeap(input);
    const dyv = backend.typedArrayFromHeap(dy);
    const dxv = backend.typedArrayFromHeap(dx);
    maxPoolGradNHWC(xv, dyv, dxv, info);
    return dx;
  };
  return { kernelName: 'MaxPoolGrad', backendName, setupFunc: original?.setupFunc, kernelFunc: kernelFunc as unknown as KernelFunc };
}

interface PoolInfo {
  batchSize: number;
  inHeight: number;
  inWidth: number;
  inChannels: number;
  outHeight: number;
  outWidth: number;
  strideHeight: number;
  strideWidth: number;
  effectiveFilterHeight: number;
  effectiveFilterWidth: number;
  padInfo: { top: number; left: number };
}

/** dx (zeroed here) gets each dy value at its window's first maximum; NaN windows get nothing. */
export function maxPoolGradNHWC(x: Float32Array, dy: Float32Array, dx: Float32Array, info: PoolInfo): void {
  const { strideHeight: sH, strideWidth: sW, effectiveFilterHeight: fh, effectiveFilterWidth: fw, padInfo } = info;
  dx.fill(0);
  // Every window inside the input (no padding reached on any side): the unrolled path.
  const inside = padInfo.top === 0 && padInfo.left === 0 && info.outHeight * 2 <= info.inHeight && info.outWidth * 2 <= info.inWidth;
  if (sH === 2 && sW === 2 && fh === 2 && fw === 2 && inside) tiled2x2(x, dy, dx, info);
  else general(x, dy, dx, info);
}

/** The common 2x2/2 pool: windows tile, so each dy lands in exactly one place (unrolled). */
function tiled2x2(x: Float32Array, dy: Float32Array, dx: Float32Array, info: PoolInfo): void {
  const { batchSize: nb, inHeight: h, inWidth: w, inChannels: c, outHeight: oh, outWidth: ow } = info;
  const rs = w * c;
  let o = 0;
  for (let b = 0; b < nb; b++) {
    const xb = b * h * rs;
    for (let yr = 0; yr < oh; yr++) {
      for (let yc = 0; yc < ow; yc++, o += c) {
        const p0 = xb + 2 * yr * rs + 2 * yc * c;
        for (let d = 0; d < c; d++) {
          const i0 = p0 + d;
          const i1 = i0 + c;
          const i2 = i0 + rs;
          const i3 = i2 + c;
          let best = x[i0]!;
          let at = i0;
          if (!(best >= best)) {
            // NaN never wins a comparison (the cpu backend starts from -Infinity)
            best = -Infinity;
            at = -1;
          }
          const v1 = x[i1]!;
          if (v1 > best) {
            best = v1;
            at = i1;
          }
          const v2 = x[i2]!;
          if (v2 > best) {
            best = v2;
            at = i2;
          }
          if (x[i3]! > best) at = i3;
          if (at >= 0) dx[at] = dy[o + d]!;
        }
      }
    }
  }
}

/** Any window, stride and padding: scan each window with the channels innermost. */
function general(x: Float32Array, dy: Float32Array, dx: Float32Array, info: PoolInfo): void {
  const { batchSize: nb, inHeight: h, inWidth: w, inChannels: c, outHeight: oh, outWidth: ow, strideHeight: sH, strideWidth: sW } = info;
  const fh = info.effectiveFilterHeight;
  const fw = info.effectiveFilterWidth;
  const { top, left } = info.padInfo;
  const best = new Float32Array(c);
  const at = new Int32Array(c);
  let o = 0;
  for (let b = 0; b < nb; b++) {
    const xb = b * h * w * c;
    for (let yr = 0; yr < oh; yr++) {
      const r0 = yr * sH - top;
      const rMin = r0 < 0 ? 0 : r0;
      const rMax = r0 + fh > h ? h : r0 + fh;
      for (let yc = 0; yc < ow; yc++, o += c) {
        const c0 = yc * sW - left;
        const cMin = c0 < 0 ? 0 : c0;
        const cMax = c0 + fw > w ? w : c0 + fw;
        best.fill(-Infinity);
        at.fill(-1);
        for (let r = rMin; r < rMax; r++) {
          for (let col = cMin; col < cMax; col++) {
            const base = xb + (r * w + col) * c;
            for (let d = 0; d < c; d++) {
              const v = x[base + d]!;
              if (v > best[d]!) {
                best[d] = v;
                at[d] = base + d;
              }
            }
          }
        }
        for (let d = 0; d < c; d++) {
          const i = at[d]!;
          if (i >= 0) dx[i] = dx[i]! + dy[o + d]!;
        }
      }
    }
  }
}

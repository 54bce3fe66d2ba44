// A small helper for composite kernels: runs other kernels of the same backend directly
// (no engine, no tape, no profiler entries of their own) and frees every intermediate it
// made except the one handed back as the result.
import type * as TfCore from '@tensorflow/tfjs-core';

export type Tf = typeof TfCore;
export type TensorInfo = TfCore.TensorInfo;
export type KernelBackend = TfCore.KernelBackend;
type NamedAttrMap = TfCore.NamedAttrMap;
type NamedTensorInfoMap = TfCore.NamedTensorInfoMap;

/** What the engine passes a kernel function (KernelFunc's parameter, with the backend typed). */
export interface KernelArgs {
  inputs: NamedTensorInfoMap;
  backend: KernelBackend;
  attrs: NamedAttrMap;
}

export class KernelScope {
  private readonly temps: TensorInfo[] = [];

  constructor(
    private readonly tf: Tf,
    readonly backend: KernelBackend,
    readonly backendName: string,
  ) {}

  /** Runs a kernel registered for this backend; its output is freed by dispose() unless kept. */
  run(kernelName: string, inputs: NamedTensorInfoMap, attrs: NamedAttrMap = {}): TensorInfo {
    const kernel = this.tf.getKernel(kernelName, this.backendName);
    if (kernel === undefined) throw new Error(`rx kernels: '${kernelName}' is not registered for backend '${this.backendName}'`);
    const out = kernel.kernelFunc({ inputs, attrs, backend: this.backend });
    if (Array.isArray(out)) throw new Error(`rx kernels: '${kernelName}' returned several outputs`);
    this.temps.push(out);
    return out;
  }

  /** Runs fn(this) and frees every intermediate but the returned tensor. */
  static use(tf: Tf, backend: KernelBackend, backendName: string, fn: (s: KernelScope) => TensorInfo): TensorInfo {
    const scope = new KernelScope(tf, backend, backendName);
    let result: TensorInfo | undefined;
    try {
      result = fn(scope);
      return result;
    } finally {
      for (const t of scope.temps) if (t !== result) scope.backend.disposeData(t.dataId);
    }
  }

  reshape(x: TensorInfo, shape: number[]): TensorInfo {
    return this.run('Reshape', { x }, { shape });
  }

  transpose(x: TensorInfo, perm: number[]): TensorInfo {
    return this.run('Transpose', { x }, { perm });
  }

  /**
   * Pads (positive amounts) and crops (negative amounts) each axis: [before, after] per axis.
   * Composite kernels need both when a window reaches past, or stops short of, an edge.
   */
  padOrCrop(x: TensorInfo, amounts: [number, number][]): TensorInfo {
    let out = x;
    if (amounts.some(([a, b]) => a < 0 || b < 0)) {
      const begin = amounts.map(([a]) => Math.max(0, -a));
      const size = out.shape.map((d, i) => d - begin[i]! - Math.max(0, -amounts[i]![1]));
      out = this.run('Slice', { x: out }, { begin, size });
    }
    if (amounts.some(([a, b]) => a > 0 || b > 0)) {
      const paddings = amounts.map(([a, b]) => [Math.max(0, a), Math.max(0, b)]);
      out = this.run('PadV2', { x: out }, { paddings, constantValue: 0 });
    }
    return out;
  }

  /**
   * Spreads the spatial axes of an NHWC tensor by the strides: [N, H, W, C] becomes
   * [N, H*sH, W*sW, C] with each value at (h*sH, w*sW) and zeros between (and after the last).
   */
  spread(x: TensorInfo, sH: number, sW: number): TensorInfo {
    if (sH === 1 && sW === 1) return x;
    const [n, h, w, c] = x.shape as [number, number, number, number];
    const six = this.reshape(x, [n, h, 1, w, 1, c]);
    const padded = this.run('PadV2', { x: six }, { paddings: [[0, 0], [0, 0], [0, sH - 1], [0, 0], [0, sW - 1], [0, 0]], constantValue: 0 });
    return this.reshape(padded, [n, h * sH, w * sW, c]);
  }

  /**
   * The output gradient laid out for an input gradient as one full correlation: spread by the
   * strides, then padded (or cropped) so a valid convolution with the flipped filter of effective
   * size effH x effW gives back the h x w input.
   */
  spreadForInputGrad(dy: TensorInfo, strides: [number, number], eff: [number, number], pad: { top: number; left: number }, h: number, w: number): TensorInfo {
    const spread = this.spread(dy, strides[0], strides[1]);
    const [, sh, sw] = spread.shape as [number, number, number, number];
    const padTop = eff[0] - 1 - pad.top;
    const padLeft = eff[1] - 1 - pad.left;
    return this.padOrCrop(spread, [
      [0, 0],
      [padTop, h + eff[0] - 1 - padTop - sh],
      [padLeft, w + eff[1] - 1 - padLeft - sw],
      [0, 0],
    ]);
  }
}

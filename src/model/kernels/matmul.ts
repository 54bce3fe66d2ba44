// BatchMatMul with a transposed operand, for the wasm backend. tfjs-backend-wasm sends only
// the untransposed case to XNNPACK (about 15 GMAC/s here); a transposed A or B takes a scalar
// path about 12x slower, and every dense layer's backward pass asks for exactly those
// (dW = x^T dy, dx = dy W^T). An explicit Transpose (memory-bound, cheap) and the fast
// untransposed product win for every shape a layer produces.
import type { KernelConfig, KernelFunc } from '@tensorflow/tfjs-core';
import { KernelScope, type KernelArgs, type TensorInfo, type Tf } from './scope.js';

export function batchMatMulConfig(tf: Tf, backendName: string): KernelConfig | undefined {
  const original = tf.getKernel('BatchMatMul', backendName);
  if (original === undefined) return undefined;
  const untransposed = original.kernelFunc;
  const kernelFunc = (args: KernelArgs): TensorInfo => {
    const { inputs, backend, attrs } = args;
    const transposeA = Boolean(attrs.transposeA);
    const transposeB = Boolean(attrs.transposeB);
    if (!transposeA && !transposeB) return untransposed(args as never) as TensorInfo;
    return KernelScope.use(tf, backend, backendName, (s) => {
      const swapLast = (t: TensorInfo) => s.transpose(t, [...t.shape.keys()].map((i, _, all) => (i < all.length - 2 ? i : i === all.length - 2 ? all.length - 1 : all.length - 2)));
      const a = transposeA ? swapLast(inputs.a!) : inputs.a!;
      const b = transposeB ? swapLast(inputs.b!) : inputs.b!;
      return untransposed({ inputs: { a, b }, backend, attrs: { ...attrs, transposeA: false, transposeB: false } } as never) as TensorInfo;
    });
  };
  // Keep the original setup (it binds the wasm function the untransposed path calls).
  return { ...original, kernelFunc: kernelFunc as unknown as KernelFunc };
}

// DepthwiseConv2dNative's gradients for the wasm backend (tfjs-backend-wasm 4.22 has neither).
//   input gradient: a depthwise conv (XNNPACK) of dy, spread by the stride and padded, with the
//     spatially flipped filter; for a channel multiplier m > 1 the m outputs of each input
//     channel are then summed.
//   filter gradient: per filter tap, the strided window of x times dy, summed over batch and
//     space: fh*fw multiply+sum passes, the minimum work (a dense conv would do C times more).
import type { KernelConfig, KernelFunc } from '@tensorflow/tfjs-core';
import { KernelScope, type KernelArgs, type TensorInfo, type Tf } from './scope.js';

type Pad = 'valid' | 'same' | number;
type Rounding = 'floor' | 'round' | 'ceil' | undefined;

interface DepthwiseGradAttrs {
  strides: [number, number] | number;
  dilations?: [number, number] | number;
  pad: Pad;
  dimRoundingMode?: Rounding;
}

export function depthwiseBackpropFilterConfig(tf: Tf, backendName: string): KernelConfig {
  const kernelFunc = ({ inputs, backend, attrs }: KernelArgs): TensorInfo =>
    KernelScope.use(tf, backend, backendName, (s) => {
      const a = attrs as unknown as DepthwiseGradAttrs & { filterShape: [number, number, number, number] };
      const x = inputs.x!;
      const dy = inputs.dy!;
      const info = tf.backend_util.computeConv2DInfo(
        x.shape as [number, number, number, number],
        a.filterShape,
        a.strides,
        a.dilations ?? 1,
        a.pad,
        a.dimRoundingMode,
        true,
      );
      const { filterHeight: fh, filterWidth: fw, strideHeight: sH, strideWidth: sW, dilationHeight: dH, dilationWidth: dW, outHeight: oh, outWidth: ow } = info;
      const [n, h, w, c] = x.shape as [number, number, number, number];
      const mult = a.filterShape[3];
      const needH = (fh - 1) * dH + (oh - 1) * sH + 1;
      const needW = (fw - 1) * dW + (ow - 1) * sW + 1;
      const { top, left } = info.padInfo;
      const xp = s.padOrCrop(x, [
        [0, 0],
        [top, needH - h - top],
        [left, needW - w - left],
        [0, 0],
      ]);
      const m = n * oh * ow;
      const dy3 = s.reshape(dy, [m, c, mult]);
      const taps: TensorInfo[] = [];
      for (let i = 0; i < fh; i++) {
        for (let j = 0; j < fw; j++) {
          const win = s.run(
            'StridedSlice',
            { x: xp },
            {
              begin: [0, i * dH, j * dW, 0],
              end: [n, i * dH + (oh - 1) * sH + 1, j * dW + (ow - 1) * sW + 1, c],
              strides: [1, sH, sW, 1],
              beginMask: 0,
              endMask: 0,
              ellipsisMask: 0,
              newAxisMask: 0,
              shrinkAxisMask: 0,
            },
          );
          const prod = s.run('Multiply', { a: s.reshape(win, [m, c, 1]), b: dy3 });
          const sum = s.run('Sum', { x: prod }, { axis: [0], keepDims: false }); // [c, mult]
          taps.push(s.reshape(sum, [1, c * mult]));
        }
      }
      const all = taps.length === 1 ? taps[0]! : s.run('Concat', taps as never, { axis: 0 }) // Concat takes its inputs as an array;
      return s.reshape(all, [fh, fw, c, mult]);
    });
  return { kernelName: 'DepthwiseConv2dNativeBackpropFilter', backendName, kernelFunc: kernelFunc as unknown as KernelFunc };
}

export function depthwiseBackpropInputConfig(tf: Tf, backendName: string): KernelConfig {
  const kernelFunc = ({ inputs, backend, attrs }: KernelArgs): TensorInfo =>
    KernelScope.use(tf, backend, backendName, (s) => {
      const a = attrs as unknown as DepthwiseGradAttrs & { inputShape: [number, number, number, number] };
      const dy = inputs.dy!;
      const filter = inputs.filter!;
      const info = tf.backend_util.computeConv2DInfo(
        a.inputShape,
        filter.shape as [number, number, number, number],
        a.strides,
        a.dilations ?? 1,
        a.pad,
        a.dimRoundingMode,
        true,
      );
      const { filterHeight: fh, filterWidth: fw, strideHeight: sH, strideWidth: sW, dilationHeight: dH, dilationWidth: dW } = info;
      const [n, h, w, c] = a.inputShape;
      const mult = filter.shape[3]!;
      const effH = (fh - 1) * dH + 1;
      const effW = (fw - 1) * dW + 1;
      const p = s.spreadForInputGrad(dy, [sH, sW], [effH, effW], info.padInfo, h, w);
      const flipped = s.reshape(s.run('Reverse', { x: filter }, { dims: [0, 1] }), [fh, fw, c * mult, 1]);
      const out = s.run('DepthwiseConv2dNative', { x: p, filter: flipped }, { strides: [1, 1], pad: 'valid', dilations: [dH, dW] });
      if (mult === 1) return out;
      return s.run('Sum', { x: s.reshape(out, [n, h, w, c, mult]) }, { axis: [4], keepDims: false });
    });
  return { kernelName: 'DepthwiseConv2dNativeBackpropInput', backendName, kernelFunc: kernelFunc as unknown as KernelFunc };
}

// Conv2D's gradients for the wasm backend, as forward convolutions XNNPACK runs fast.
// tfjs-backend-wasm 4.22 has no Conv2DBackpropFilter at all, and its Conv2DBackpropInput is a
// scalar loop (about 1.5 GMAC/s): both become one padded Conv2D plus a few transposes.
//   filter gradient: dW[i,j,ci,co] = sum_{n,y,x} xpad[n, y*s+i, x*s+j, ci] * dy[n,y,x,co], i.e. a
//     valid conv of x^T ([ci, H, W, n]) with dy^T ([y, x, n, co]) at dilation s, then transposed.
//   input gradient: dx = valid conv of dy (spread by the stride, padded by fh-1-top) with the
//     spatially flipped filter whose in/out channels are swapped.
// Deterministic: every step is a single-threaded XNNPACK or copy kernel.
import type { KernelConfig, KernelFunc } from '@tensorflow/tfjs-core';
import { KernelScope, type KernelArgs, type TensorInfo, type Tf } from './scope.js';

type Pad = 'valid' | 'same' | number | number[][];
type Rounding = 'floor' | 'round' | 'ceil' | undefined;

interface FilterAttrs {
  strides: [number, number] | number;
  pad: Pad;
  dataFormat: 'NHWC' | 'NCHW';
  dimRoundingMode?: Rounding;
  filterShape: [number, number, number, number];
}

interface InputAttrs {
  strides: [number, number] | number;
  pad: Pad;
  dataFormat: 'NHWC' | 'NCHW';
  dimRoundingMode?: Rounding;
  inputShape: [number, number, number, number];
}

const NCHW_TO_NHWC = [0, 2, 3, 1];
const NHWC_TO_NCHW = [0, 3, 1, 2];

export function conv2dBackpropFilterConfig(tf: Tf, backendName: string): KernelConfig {
  const kernelFunc = ({ inputs, backend, attrs }: KernelArgs): TensorInfo =>
    KernelScope.use(tf, backend, backendName, (s) => {
      const a = attrs as unknown as FilterAttrs;
      let x = inputs.x!;
      let dy = inputs.dy!;
      if (a.dataFormat === 'NCHW') {
        x = s.transpose(x, NCHW_TO_NHWC);
        dy = s.transpose(dy, NCHW_TO_NHWC);
      }
      const info = tf.backend_util.computeConv2DInfo(
        x.shape as [number, number, number, number],
        a.filterShape,
        a.strides,
        1,
        a.pad as 'same',
        a.dimRoundingMode,
        false,
        'channelsLast',
      );
      return filterGradNHWC(s, x, dy, info);
    });
  return { kernelName: 'Conv2DBackpropFilter', backendName, kernelFunc: kernelFunc as unknown as KernelFunc };
}

function filterGradNHWC(s: KernelScope, x: TensorInfo, dy: TensorInfo, info: ReturnType<Tf['backend_util']['computeConv2DInfo']>): TensorInfo {
  const { filterHeight: fh, filterWidth: fw, strideHeight: sH, strideWidth: sW, outHeight: oh, outWidth: ow } = info;
  const [, h, w] = x.shape as [number, number, number, number];
  // Rows the windows actually read: (fh-1) + (oh-1)*sH + 1 from the padded top.
  const needH = fh + (oh - 1) * sH;
  const needW = fw + (ow - 1) * sW;
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  const xp = s.padOrCrop(x, [
    [0, 0],
    [top, needH - h - top],
    [left, needW - w - left],
    [0, 0],
  ]);
  const xt = s.transpose(xp, [3, 1, 2, 0]); // [ci, needH, needW, n]
  const dyt = s.transpose(dy, [1, 2, 0, 3]); // [oh, ow, n, co]
  const g = s.run('Conv2D', { x: xt, filter: dyt }, { strides: [1, 1], pad: 'valid', dataFormat: 'NHWC', dilations: [sH, sW] }); // [ci, fh, fw, co]
  return s.transpose(g, [1, 2, 0, 3]);
}

export function conv2dBackpropInputConfig(tf: Tf, backendName: string): KernelConfig {
  const kernelFunc = ({ inputs, backend, attrs }: KernelArgs): TensorInfo =>
    KernelScope.use(tf, backend, backendName, (s) => {
      const a = attrs as unknown as InputAttrs;
      const nchw = a.dataFormat === 'NCHW';
      let dy = inputs.dy!;
      const filter = inputs.filter!;
      if (nchw) dy = s.transpose(dy, NCHW_TO_NHWC);
      const inputShape = (nchw ? NCHW_TO_NHWC.map((i) => a.inputShape[i]!) : a.inputShape) as [number, number, number, number];
      const info = tf.backend_util.computeConv2DInfo(
        inputShape,
        filter.shape as [number, number, number, number],
        a.strides,
        1,
        a.pad as 'same',
        a.dimRoundingMode,
        false,
        'channelsLast',
      );
      const dx = inputGradNHWC(s, dy, filter, inputShape, info);
      return nchw ? s.transpose(dx, NHWC_TO_NCHW) : dx;
    });
  return { kernelName: 'Conv2DBackpropInput', backendName, kernelFunc: kernelFunc as unknown as KernelFunc };
}

function inputGradNHWC(
  s: KernelScope,
  dy: TensorInfo,
  filter: TensorInfo,
  inputShape: [number, number, number, number],
  info: ReturnType<Tf['backend_util']['computeConv2DInfo']>,
): TensorInfo {
  const { filterHeight: fh, filterWidth: fw, strideHeight: sH, strideWidth: sW } = info;
  const [, h, w] = inputShape;
  const p = s.spreadForInputGrad(dy, [sH, sW], [fh, fw], info.padInfo, h, w);
  const flipped = s.run('Reverse', { x: filter }, { dims: [0, 1] });
  const swapped = s.transpose(flipped, [0, 1, 3, 2]); // [fh, fw, co, ci]
  return s.run('Conv2D', { x: p, filter: swapped }, { strides: [1, 1], pad: 'valid', dataFormat: 'NHWC', dilations: [1, 1] });
}

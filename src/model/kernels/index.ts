// Registers rx's kernels for the wasm backend (call before setBackend('wasm'), so setup
// functions run on initialisation): the gradient kernels tfjs-backend-wasm 4.22 lacks and
// faster replacements for the slow ones, each built from kernels the backend runs fast.
// Idempotent: registering twice replaces rx's own kernels with identical ones.
import type { KernelConfig } from '@tensorflow/tfjs-core';
import { conv2dBackpropFilterConfig, conv2dBackpropInputConfig } from './conv2d_grads.js';
import { depthwiseBackpropFilterConfig, depthwiseBackpropInputConfig } from './depthwise_grads.js';
import { batchMatMulConfig } from './matmul.js';
import { maxPoolGradConfig } from './pool_grads.js';
import { sumConfig } from './reduce.js';
import { tileConfig } from './tile.js';
import type { Tf } from './scope.js';

const BACKEND = 'wasm';
const registered = new WeakSet<object>();

/** Names of the kernels rx registers for the wasm backend. */
export const RX_WASM_KERNELS = [
  'Conv2DBackpropFilter',
  'Conv2DBackpropInput',
  'DepthwiseConv2dNativeBackpropFilter',
  'DepthwiseConv2dNativeBackpropInput',
  'BatchMatMul',
  'MaxPoolGrad',
  'Sum',
  'Tile',
] as const;

export function registerWasmKernels(tf: Tf): void {
  if (registered.has(tf.engine())) return;
  registered.add(tf.engine());
  const configs: (KernelConfig | undefined)[] = [
    conv2dBackpropFilterConfig(tf, BACKEND),
    conv2dBackpropInputConfig(tf, BACKEND),
    depthwiseBackpropFilterConfig(tf, BACKEND),
    depthwiseBackpropInputConfig(tf, BACKEND),
    batchMatMulConfig(tf, BACKEND),
    maxPoolGradConfig(tf, BACKEND),
    sumConfig(tf, BACKEND),
    tileConfig(tf, BACKEND),
  ];
  for (const config of configs) {
    if (config === undefined) continue;
    if (tf.getKernel(config.kernelName, BACKEND) !== undefined) tf.unregisterKernel(config.kernelName, BACKEND);
    tf.registerKernel(config);
  }
}

// Builds a tfjs LayersModel from a ModelPlan (config.ts), with every random initialiser seeded
// from (seed, layer index) and a dropout layer whose masks come from a per-call counter, so two
// builds with one seed are bitwise identical and training never consults Math.random.
// The model outputs logits; softmax is applied by the loss and by prediction.
import type { LayersModel, SymbolicTensor } from '@tensorflow/tfjs-layers';
import type { Tensor } from '@tensorflow/tfjs-core';
import { tfCore, tfLayers } from './backend.js';
import type { ModelPlan, PlannedLayer } from './config.js';

/** A 31-bit seed derived from a run seed and a stream index (splitmix-style mixing). */
export function deriveSeed(seed: number, stream: number): number {
  let x = (Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(stream + 0x632be5ab, 0xc2b2ae35)) >>> 0;
  x ^= x >>> 16;
  x = Math.imul(x, 0x7feb352d) >>> 0;
  x ^= x >>> 15;
  x = Math.imul(x, 0x846ca68b) >>> 0;
  x ^= x >>> 16;
  return x & 0x7fffffff;
}

let dropoutRegistered = false;

/** Dropout whose mask seed advances per training call: deterministic, unlike tfjs's own. */
function registerSeededDropout(): void {
  if (dropoutRegistered) return;
  const tf = tfCore();
  const tfl = tfLayers();
  class RxSeededDropout extends tfl.layers.Layer {
    static className = 'RxSeededDropout';
    readonly rate: number;
    readonly seed: number;
    private calls = 0;
    constructor(args: { rate: number; seed: number; name?: string }) {
      super({ name: args.name });
      this.rate = args.rate;
      this.seed = args.seed;
    }
    override call(inputs: Tensor | Tensor[], kwargs: Record<string, unknown>): Tensor {
      const x = Array.isArray(inputs) ? inputs[0] : inputs;
      if (!kwargs.training || this.rate === 0) return x.clone();
      return tf.dropout(x, this.rate, undefined, deriveSeed(this.seed, this.calls++));
    }
    override getConfig() {
      return { ...super.getConfig(), rate: this.rate, seed: this.seed };
    }
  }
  tf.serialization.registerClass(RxSeededDropout as never);
  dropoutRegistered = true;
  seededDropoutCtor = RxSeededDropout as unknown as SeededDropoutCtor;
}
type SeededDropoutCtor = new (args: { rate: number; seed: number; name?: string }) => { apply(x: SymbolicTensor): SymbolicTensor };
let seededDropoutCtor: SeededDropoutCtor | undefined;

/** Registers rx's custom layers so saved models load. */
export function registerCustomLayers(): void {
  registerSeededDropout();
}

/**
 * Builds the planned model with initialisers seeded from `seed`. `replica` (data-parallel
 * training) changes only the dropout streams, so every replica starts from the same weights.
 */
export function buildModel(plan: ModelPlan, seed: number, replica = 0): LayersModel {
  registerCustomLayers();
  const tfl = tfLayers();
  const input = tfl.input({ shape: plan.input, name: 'input' });
  const outputs = new Map<string, SymbolicTensor>([['input', input]]);
  let previous: SymbolicTensor = input;
  plan.layers.forEach((layer, index) => {
    const from = (layer.inputs ?? []).map((n) => outputs.get(n)!);
    const x = from.length > 0 ? from : [previous];
    const layerSeed = deriveSeed(seed, index + 1);
    const out = applyLayer(layer, x, layerSeed, replica === 0 ? layerSeed : deriveSeed(layerSeed, 0x10000 + replica));
    outputs.set(layer.name, out);
    previous = out;
  });
  return tfl.model({ inputs: input, outputs: previous, name: 'rx_model' });
}

function applyLayer(layer: PlannedLayer, x: SymbolicTensor[], seed: number, dropoutSeed: number): SymbolicTensor {
  const tfl = tfLayers();
  const init = () => tfl.initializers.glorotUniform({ seed });
  const s = layer.spec as Record<string, never>;
  const name = layer.name;
  const one = (l: { apply(x: SymbolicTensor | SymbolicTensor[]): unknown }, input: SymbolicTensor | SymbolicTensor[] = x[0]) => l.apply(input) as SymbolicTensor;
  switch (layer.kind) {
    case 'conv2d':
      return one(tfl.layers.conv2d({ name, filters: s.filters, kernelSize: s.kernel, strides: s.stride, padding: s.padding, useBias: s.useBias, activation: s.activation, kernelInitializer: init() }));
    case 'separable2d':
      return one(
        tfl.layers.separableConv2d({
          name,
          filters: s.filters,
          kernelSize: s.kernel,
          strides: s.stride,
          padding: s.padding,
          useBias: s.useBias,
          activation: s.activation,
          depthwiseInitializer: init(),
          pointwiseInitializer: tfl.initializers.glorotUniform({ seed: deriveSeed(seed, 1) }),
        }),
      );
    case 'dense':
      return one(tfl.layers.dense({ name, units: s.units, activation: s.activation, kernelInitializer: init() }));
    case 'batchnorm':
      return one(tfl.layers.batchNormalization({ name, momentum: 0.9, epsilon: 1e-3 }));
    case 'layernorm':
      return one(tfl.layers.layerNormalization({ name }));
    case 'activation':
      return one(tfl.layers.activation({ name, activation: s.activation }));
    case 'maxpool':
      return one(tfl.layers.maxPooling2d({ name, poolSize: s.size, strides: s.size }));
    case 'avgpool':
      return one(tfl.layers.averagePooling2d({ name, poolSize: s.size, strides: s.size }));
    case 'flatten':
      return one(tfl.layers.flatten({ name }));
    case 'gap':
      return one(tfl.layers.globalAveragePooling2d({ name }));
    case 'gmp':
      return one(tfl.layers.globalMaxPooling2d({ name }));
    case 'add':
      return one(tfl.layers.add({ name }), x);
    case 'dropout':
      registerSeededDropout();
      return new seededDropoutCtor!({ name, rate: s.rate, seed: dropoutSeed }).apply(x[0]);
    default:
      throw new Error(`no builder for layer kind ${layer.kind}`);
  }
}

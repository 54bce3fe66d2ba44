// One model replica of data-parallel training: the model, its optimizer and the two halves of a
// step (gradients of a shard, scaled by its share of the batch; applying the summed gradients).
// The trainer's thread is replica 0; worker threads (replica-worker.ts) hold the others. Every
// replica starts from the same seeded weights and applies the same summed gradients, reduced in
// a fixed order, so replicas stay identical and a run is bitwise repeatable for a given number
// of workers. With one worker this is exactly optimizer.minimize on the whole batch.
import type { LayersModel } from '@tensorflow/tfjs-layers';
import type { Tensor, Scalar, Rank, Variable } from '@tensorflow/tfjs-core';
import { tfCore } from './backend.js';
import { buildModel } from './builder.js';
import type { ModelPlan, TrainingSettings } from './config.js';

export interface ShardResult {
  /** mean loss over the shard times the shard's size */
  lossSum: number;
  hits: number;
  /** one gradient per trainable variable, in model.trainableWeights order, scaled by n / batch */
  grads: Float32Array[];
}

export function makeOptimizer(settings: TrainingSettings) {
  const tf = tfCore();
  switch (settings.optimizer) {
    case 'sgd':
      return settings.momentum ? tf.train.momentum(settings.learning_rate, settings.momentum) : tf.train.sgd(settings.learning_rate);
    case 'rmsprop':
      return tf.train.rmsprop(settings.learning_rate, 0.9, settings.momentum ?? 0);
    default:
      return tf.train.adam(settings.learning_rate);
  }
}

export class Replica {
  readonly model: LayersModel;
  private readonly optimizer: ReturnType<typeof makeOptimizer>;
  private readonly vars: Variable[];

  constructor(
    plan: ModelPlan,
    private readonly settings: TrainingSettings,
    replica: number,
  ) {
    this.model = buildModel(plan, settings.seed, replica);
    this.optimizer = makeOptimizer(settings);
    this.vars = this.model.trainableWeights.map((w) => (w as unknown as { val: Variable }).val);
  }

  /** Gradients of the shard's mean loss, scaled by n / batchSize (so shards sum to the batch's). */
  gradients(xs: Float32Array, ys: Float32Array, n: number, batchSize: number): ShardResult {
    const tf = tfCore();
    const [h, w, c] = this.model.inputs[0].shape.slice(1) as number[];
    const k = ys.length / n;
    const grads: Float32Array[] = [];
    let lossSum = 0;
    let hits = 0;
    // Nothing but numbers leaves the tidy: it walks whatever its function returns, and walking
    // a few hundred thousand gradient values element by element costs more than the step.
    tf.tidy(() => {
      const x = tf.tensor4d(xs, [n, h, w, c]);
      const y = tf.tensor2d(ys, [n, k]);
      let hitsT: Tensor | undefined;
      const result = tf.variableGrads(() => {
        const logits = this.model.apply(x, { training: true }) as Tensor<Rank.R2>;
        hitsT = tf.keep(tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), tf.argMax(y, 1)), 'float32')));
        return tf.losses.softmaxCrossEntropy(y, logits, undefined, this.settings.label_smoothing) as Scalar;
      }, this.vars);
      const scale = n / batchSize;
      for (const v of this.vars) {
        const g = result.grads[v.name];
        grads.push(new Float32Array((scale === 1 ? g : tf.mul(g, scale)).dataSync() as Float32Array));
      }
      lossSum = result.value.dataSync()[0] * n;
      hits = hitsT!.dataSync()[0];
      hitsT!.dispose();
    });
    return { lossSum, hits, grads };
  }

  apply(grads: Float32Array[], learningRate: number): void {
    const tf = tfCore();
    (this.optimizer as unknown as { learningRate: number }).learningRate = learningRate;
    tf.tidy(() => {
      this.optimizer.applyGradients(this.vars.map((v, i) => ({ name: v.name, tensor: tf.tensor(grads[i], v.shape) })));
    });
  }

  dispose(): void {
    this.optimizer.dispose();
  }
}

/** Splits n rows into `parts` contiguous shards as evenly as possible: [start, end) pairs. */
export function shardBounds(n: number, parts: number): [number, number][] {
  const out: [number, number][] = [];
  const base = Math.floor(n / parts);
  const extra = n % parts;
  let start = 0;
  for (let i = 0; i < parts; i++) {
    const end = start + base + (i < extra ? 1 : 0);
    out.push([start, end]);
    start = end;
  }
  return out;
}

/** Sums shard gradients in replica order (the fixed reduction order determinism rests on). */
export function sumGradients(shards: Float32Array[][]): Float32Array[] {
  return shards[0].map((first, v) => {
    const sum = new Float32Array(first);
    for (let s = 1; s < shards.length; s++) {
      const g = shards[s][v];
      for (let i = 0; i < sum.length; i++) sum[i] += g[i];
    }
    return sum;
  });
}

// Deterministic training and evaluation on the chosen tfjs backend. rx owns every source of
// randomness: initialisers seeded per layer, dropout masks from a per-call counter, the epoch's
// shuffle and mixup partners from the counter-based generator of src/augment, so two runs on
// one backend give bitwise-identical weights. Batches are built here from the manifest's pixel
// pack (augmented per sample, independent of batch composition) and fed to optimizer.minimize.
import type { LayersModel } from '@tensorflow/tfjs-layers';
import type { Tensor, Rank } from '@tensorflow/tfjs-core';
import type { Manifest, SplitName } from '../data/types.js';
import { SampleStream } from '../augment/rng.js';
import { augmentSample, type AugmentSpec } from '../augment/index.js';
import { tfCore, backendInfo } from './backend.js';
import { Replica, shardBounds, sumGradients, type ShardResult } from './replica.js';
import { RemoteReplica } from './workers.js';
import type { ModelPlan, TrainingSettings } from './config.js';
import { classificationMetrics, learningRateAt, round6, type ClassificationMetrics } from './metrics.js';

export interface Dataset {
  manifest: Manifest;
  pixels: Uint8Array;
}

export interface EpochPoint {
  epoch: number;
  train_loss: number;
  train_accuracy: number;
  val_loss?: number;
  val_accuracy?: number;
  learning_rate: number;
}

export interface TrainOptions {
  plan: ModelPlan;
  settings: TrainingSettings;
  data: Dataset;
  augment?: AugmentSpec | null;
  onEpoch?: (point: EpochPoint, epochs: number) => void;
  /** Stops after this many batches (benchmarks); normal runs leave it unset. */
  maxBatchesPerEpoch?: number;
}

export interface TrainResult {
  model: LayersModel;
  curves: EpochPoint[];
  trainCount: number;
  valCount: number;
}

export function indicesOfSplit(manifest: Manifest, split: SplitName): number[] {
  const out: number[] = [];
  manifest.samples.forEach((s, i) => {
    if (s.split === split) out.push(i);
  });
  return out;
}

/** The epoch's order of `indices`: a Fisher-Yates shuffle driven by the counter-based generator. */
export function shuffledOrder(indices: number[], seed: number, epoch: number): number[] {
  const order = indices.slice();
  const stream = new SampleStream(seed, 0x5eed, 'rx:shuffle', epoch);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(stream.uniform(0, order.length - 1 - i) * (i + 1));
    const t = order[i];
    order[i] = order[j];
    order[j] = t;
  }
  return order;
}

/** Sample `index` of the pack as floats in [0,1], HWC. */
export function sampleImage(data: Dataset, index: number, out?: Float32Array): Float32Array {
  const { height, width, channels, maxValue } = data.manifest.image;
  const size = height * width * channels;
  const img = out ?? new Float32Array(size);
  const base = index * size;
  const scale = 1 / maxValue;
  for (let i = 0; i < size; i++) img[i] = data.pixels[base + i] * scale;
  return img;
}

export async function trainModel(options: TrainOptions): Promise<TrainResult> {
  const { plan, settings, data } = options;
  const { manifest } = data;
  const k = manifest.classes.length;
  const shape = { height: manifest.image.height, width: manifest.image.width, channels: manifest.image.channels };
  const size = shape.height * shape.width * shape.channels;
  const train = indicesOfSplit(manifest, 'train');
  const val = indicesOfSplit(manifest, 'val');
  if (train.length === 0) throw new Error('the manifest has no training samples');
  const workers = Math.max(1, settings.workers ?? 1);
  const main = new Replica(plan, settings, 0);
  const model = main.model;
  const remotes: RemoteReplica[] = [];
  const curves: EpochPoint[] = [];
  const image = new Float32Array(size);
  const partnerImage = new Float32Array(size);
  const partner = (u: number) => {
    const j = train[Math.min(train.length - 1, Math.floor(u * train.length))];
    return { image: sampleImage(data, j, partnerImage), label: manifest.samples[j].label, id: manifest.samples[j].id };
  };
  try {
    const backend = backendInfo()!;
    for (let r = 1; r < workers; r++) remotes.push(await RemoteReplica.start(plan, settings, r, backend));
    // Summed gradients of the last step, which the worker replicas apply with their next step.
    let pending: { grads: Float32Array[]; lr: number } | undefined;
    for (let epoch = 0; epoch < settings.epochs; epoch++) {
      const lr = learningRateAt(settings.learning_rate, settings.lr_schedule, epoch, settings.epochs);
      const order = shuffledOrder(train, settings.seed, epoch);
      let lossSum = 0;
      let correct = 0;
      let seen = 0;
      const batches = Math.ceil(order.length / settings.batch_size);
      const limit = Math.min(batches, options.maxBatchesPerEpoch ?? batches);
      for (let b = 0; b < limit; b++) {
        const rows = order.slice(b * settings.batch_size, (b + 1) * settings.batch_size);
        const xs = new Float32Array(rows.length * size);
        const ys = new Float32Array(rows.length * k);
        rows.forEach((idx, r) => {
          const s = manifest.samples[idx];
          sampleImage(data, idx, image);
          if (options.augment) {
            const out = augmentSample(options.augment, image, shape, { seed: settings.augment_seed, epoch, sampleId: s.id, source: s.source, label: s.label, className: manifest.classes[s.label], split: s.split, epochs: settings.epochs }, partner);
            xs.set(out.image, r * size);
            if (out.mix) {
              ys[r * k + s.label] += 1 - out.mix.lambda;
              ys[r * k + out.mix.label] += out.mix.lambda;
            } else ys[r * k + s.label] = 1;
          } else {
            xs.set(image, r * size);
            ys[r * k + s.label] = 1;
          }
        });
        const bounds = shardBounds(rows.length, workers);
        // Workers start on their shards first, then this thread computes shard 0 meanwhile.
        const remoteResults = remotes.map((remote, i) => {
          const [from, to] = bounds[i + 1];
          return remote.step(pending?.grads, pending?.lr ?? lr, to > from ? xs.slice(from * size, to * size) : undefined, to > from ? ys.slice(from * k, to * k) : undefined, to - from, rows.length);
        });
        const [from0, to0] = bounds[0];
        const local = main.gradients(xs.subarray(from0 * size, to0 * size), ys.subarray(from0 * k, to0 * k), to0 - from0, rows.length);
        const shards = [local, ...(await Promise.all(remoteResults))].filter((x): x is ShardResult => x !== null);
        const summed = shards.length === 1 ? shards[0].grads : sumGradients(shards.map((x) => x.grads));
        main.apply(summed, lr);
        pending = { grads: summed, lr };
        for (const x of shards) {
          lossSum += x.lossSum;
          correct += x.hits;
        }
        seen += rows.length;
        // Let the event loop breathe (signals, progress) between batches.
        if (b % 16 === 15) await new Promise((r) => setImmediate(r));
      }
      const point: EpochPoint = {
        epoch: epoch + 1,
        train_loss: round6(lossSum / seen),
        train_accuracy: round6(correct / seen),
        learning_rate: round6(lr),
      };
      if (val.length > 0) {
        const m = evaluateIndices(model, data, val, settings.batch_size);
        point.val_loss = m.loss;
        point.val_accuracy = m.accuracy;
      }
      curves.push(point);
      options.onEpoch?.(point, settings.epochs);
    }
  } finally {
    main.dispose();
    await Promise.all(remotes.map((r) => r.close()));
  }
  return { model, curves, trainCount: train.length, valCount: val.length };
}

/** Softmax probabilities of the samples at `indices`, in order (n * classes). */
export function predictProbabilities(model: LayersModel, data: Dataset, indices: number[], batchSize = 256): Float32Array {
  const tf = tfCore();
  const { height, width, channels } = data.manifest.image;
  const size = height * width * channels;
  const k = data.manifest.classes.length;
  const out = new Float32Array(indices.length * k);
  for (let start = 0; start < indices.length; start += batchSize) {
    const rows = indices.slice(start, start + batchSize);
    const xs = new Float32Array(rows.length * size);
    rows.forEach((idx, r) => xs.set(sampleImage(data, idx), r * size));
    const probs = tf.tidy(() => tf.softmax(model.predict(tf.tensor4d(xs, [rows.length, height, width, channels])) as Tensor<Rank.R2>));
    out.set(probs.dataSync() as Float32Array, start * k);
    probs.dispose();
  }
  return out;
}

export function evaluateIndices(model: LayersModel, data: Dataset, indices: number[], batchSize = 256): ClassificationMetrics {
  const probs = predictProbabilities(model, data, indices, batchSize);
  return classificationMetrics(
    probs,
    indices.map((i) => data.manifest.samples[i].label),
    data.manifest.classes,
  );
}

export function currentBackend(): { name: string; simd: boolean; threads: number; tfjs: string } {
  const info = backendInfo();
  if (!info) throw new Error('initBackend() has not run');
  return { name: info.name, simd: info.simd, threads: info.threads, tfjs: info.tfjsVersion };
}

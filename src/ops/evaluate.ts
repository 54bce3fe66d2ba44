// rx evaluate: the built-in evaluation stage. Loads a model directory written by rx train
// (weights checked against their recorded hash), predicts the chosen split of a manifest without
// augmentation, and writes a metrics file: accuracy, loss, expected calibration error, per-class
// and per-source accuracy, train and val accuracy with the generalisation gap (train minus val);
// the confusion matrix goes to a separate file so metric diffs stay readable.
import * as path from 'node:path';
import type { Context } from '../core/context.js';
import { UsageError } from '../core/errors.js';
import { writeFileAtomic } from '../core/atomic.js';
import { loadDataset } from '../data/index.js';
import type { SplitName } from '../data/types.js';
import { round6, argmaxRow, classificationMetrics } from '../model/metrics.js';
import { reportEnvironment } from './ml-env.js';

export interface EvaluateOptions {
  model: string;
  data: string;
  out: string;
  split?: SplitName;
  confusion?: string;
}

export interface Evaluation {
  split: string;
  samples: number;
  accuracy: number;
  loss: number;
  ece: number;
  train_accuracy?: number;
  val_accuracy?: number;
  generalisation_gap?: number;
  per_class_accuracy: Record<string, number | null>;
  per_source_accuracy: Record<string, number>;
  weights: string;
  backend: string;
}

export interface EvaluateResult {
  metrics: Evaluation;
  classes: string[];
  confusion: number[][];
  out: string;
}

export async function evaluate(ctx: Context, options: EvaluateOptions): Promise<EvaluateResult> {
  const split = options.split ?? 'test';
  const data = await loadDataset(path.resolve(ctx.cwd, options.data));
  const { initBackend } = await import('../model/backend.js');
  await initBackend();
  const { loadModel } = await import('../model/io.js');
  const { evaluateIndices, predictProbabilities, indicesOfSplit, currentBackend } = await import('../model/train.js');
  const backend = currentBackend();
  await reportEnvironment(ctx, backend);
  const { model, weights } = await loadModel(path.resolve(ctx.cwd, options.model), options.model);
  const { image, classes } = data.manifest;
  const input = model.inputs[0].shape.slice(1);
  if (input.join('x') !== [image.height, image.width, image.channels].join('x') || (model.outputs[0].shape[1] ?? classes.length) !== classes.length) {
    throw new UsageError(`the model in ${options.model} takes ${input.join('x')} images with ${model.outputs[0].shape[1]} classes, but ${options.data} holds ${image.height}x${image.width}x${image.channels} images with ${classes.length} classes`);
  }
  const indices = indicesOfSplit(data.manifest, split);
  if (indices.length === 0) throw new UsageError(`${options.data} has no samples in the ${split} split`);
  // One prediction of the split serves its metrics and the per-source breakdown.
  const probs = predictProbabilities(model, data, indices);
  const labels = indices.map((i) => data.manifest.samples[i].label);
  const m = classificationMetrics(probs, labels, classes);
  const metrics: Evaluation = {
    split,
    samples: m.samples,
    accuracy: m.accuracy,
    loss: m.loss,
    ece: m.ece,
    per_class_accuracy: m.perClass,
    per_source_accuracy: {},
    weights,
    backend: backend.name,
  };
  const train = indicesOfSplit(data.manifest, 'train');
  const val = indicesOfSplit(data.manifest, 'val');
  if (train.length > 0) metrics.train_accuracy = split === 'train' ? m.accuracy : evaluateIndices(model, data, train).accuracy;
  if (val.length > 0) metrics.val_accuracy = split === 'val' ? m.accuracy : evaluateIndices(model, data, val).accuracy;
  if (metrics.train_accuracy !== undefined && metrics.val_accuracy !== undefined) metrics.generalisation_gap = round6(metrics.train_accuracy - metrics.val_accuracy);
  const bySource = new Map<string, number[]>();
  indices.forEach((i, row) => {
    const source = data.manifest.samples[i].source;
    let rows = bySource.get(source);
    if (!rows) bySource.set(source, (rows = []));
    rows.push(row);
  });
  for (const [source, rows] of [...bySource].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    metrics.per_source_accuracy[source] = round6(rows.filter((r) => argmaxRow(probs, r, classes.length) === labels[r]).length / rows.length);
  }
  model.dispose();
  await writeFileAtomic(path.resolve(ctx.cwd, options.out), JSON.stringify(metrics, null, 2) + '\n');
  if (options.confusion) await writeFileAtomic(path.resolve(ctx.cwd, options.confusion), JSON.stringify({ classes, matrix: m.confusion }, null, 2) + '\n');
  return { metrics, classes, confusion: m.confusion, out: options.out };
}

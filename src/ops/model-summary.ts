// rx model summary: a model config's layers with output shapes, parameter counts and FLOPs (from
// the pure plan), weight bytes, and, unless asked not to, measured inference latency per sample
// and per batch and the peak tensor memory of one batch on the chosen backend.
import * as path from 'node:path';
import type { Context } from '../core/context.js';
import { UsageError } from '../core/errors.js';
import { loadModelConfig, planModel } from '../model/config.js';
import { loadDataset } from '../data/index.js';

export interface ModelSummaryOptions {
  config: string;
  data?: string;
  /** HxWxC, when no manifest is given */
  input?: string;
  classes?: number;
  width?: number;
  measure?: boolean;
  batch?: number;
}

export interface ModelSummary {
  config: string;
  input: number[];
  classes: number;
  layers: { name: string; kind: string; block: number | null; output: number[]; params: number; flops: number }[];
  params: number;
  trainable_params: number;
  flops_per_sample: number;
  weight_bytes: number;
  backend: string;
  latency?: { per_sample_ms: number; batch: number; per_batch_ms: number; peak_tensor_bytes: number };
}

function parseInput(text: string): number[] {
  const m = /^(\d+)x(\d+)(?:x(\d+))?$/.exec(text);
  if (!m) throw new UsageError(`--input ${text}: expected HxW or HxWxC, e.g. 28x28x1`);
  return [Number(m[1]), Number(m[2]), Number(m[3] ?? 1)];
}

export async function modelSummary(ctx: Context, options: ModelSummaryOptions): Promise<ModelSummary> {
  const loaded = await loadModelConfig(path.resolve(ctx.cwd, options.config), options.config);
  let input: number[];
  let classes: number;
  if (options.data) {
    const { manifest } = await loadDataset(path.resolve(ctx.cwd, options.data));
    input = [manifest.image.height, manifest.image.width, manifest.image.channels];
    classes = manifest.classes.length;
  } else if (options.input) {
    input = parseInput(options.input);
    classes = options.classes ?? 10;
  } else throw new UsageError('give the data the model is for: --data MANIFEST, or --input HxWxC [--classes N]');
  const width = options.width ?? loaded.config.width ?? 1;
  const plan = planModel(loaded.config, input, classes, width, loaded.file, loaded.locate);
  const summary: ModelSummary = {
    config: options.config,
    input,
    classes,
    layers: plan.layers.map((l) => ({ name: l.name, kind: l.kind, block: l.block === null ? null : l.block + 1, output: l.output, params: l.params, flops: l.flops })),
    params: plan.params,
    trainable_params: plan.trainable,
    flops_per_sample: plan.flops,
    weight_bytes: plan.params * 4,
    backend: 'none',
  };
  if (options.measure === false) return summary;
  const { initBackend } = await import('../model/backend.js');
  summary.backend = (await initBackend()).name;
  const { measureInference } = await import('../model/measure.js');
  summary.latency = await measureInference(plan, options.batch ?? 64);
  return summary;
}

// rx train: the built-in training stage. Reads a model config, a data manifest, an optional
// augmentation spec and params.yaml's `train:` section; checks that the architecture fits the
// data before anything trains; trains deterministically; writes the model directory (model.json,
// weights.bin, train.json with seeds, backend and the weights' hash, curves.json per epoch)
// into a staging directory that replaces the old one only when everything is written.
import { appendFileSync, promises as fsp } from 'node:fs';
import * as path from 'node:path';
import type { Context } from '../core/context.js';
import { readInputFile, UsageError } from '../core/errors.js';
import { writeFileAtomic } from '../core/atomic.js';
import { parseYamlLocated } from '../schema/validate.js';
import { trainParamsFileSchema } from '../schema/model.js';
import { onExit } from '../core/cleanup.js';
import { loadModelConfig, planModel, resolveTraining, type TrainingSettings } from '../model/config.js';
import { sha256Of } from '../model/io.js';
import { loadAugmentSpec } from '../augment/index.js';
import type { AugmentSpec } from '../augment/index.js';
import { loadDataset } from '../data/index.js';
import type { EpochPoint } from '../model/train.js';
import { reportEnvironment } from './ml-env.js';

export interface TrainOptions {
  model: string;
  data: string;
  augment?: string;
  params?: string;
  out: string;
  /** Overrides of the training settings (e.g. from --epochs); applied after params.yaml. */
  overrides?: Partial<TrainingSettings>;
}

export interface TrainRecord {
  schema: 'rx.train/1';
  model: { path: string; hash: string };
  data: { path: string; hash: string; train: number; val: number };
  augment: { path: string; hash: string } | null;
  settings: TrainingSettings;
  backend: { name: string; simd: boolean; threads: number; tfjs: string };
  weights: string;
  params: number;
  curves: EpochPoint[];
}

export const TRAIN_RECORD = 'train.json';
export const CURVES_FILE = 'curves.json';

function rel(ctx: Context, p: string): string {
  return path.relative(ctx.cwd, path.resolve(ctx.cwd, p)) || '.';
}

async function fileHash(file: string): Promise<string> {
  return sha256Of(new Uint8Array(await fsp.readFile(file)));
}

/** params.yaml's `train:` section (an empty object when the file or section is absent). */
export async function readTrainParams(ctx: Context, file: string | undefined): Promise<Record<string, unknown>> {
  if (!file) return {};
  const text = await readInputFile(path.resolve(ctx.cwd, file), file);
  // Validated here, against the file, so a bad setting is reported with its line.
  const { value } = parseYamlLocated<{ train?: Record<string, unknown> | null } | null>(file, text, trainParamsFileSchema);
  return value?.train ?? {};
}

/**
 * RX_SEED (set by `rx search` for each replication seed of a trial) replaces the training
 * seed and offsets the augmentation seed, so replicates differ in initialisation, order,
 * dropout and augmentation draws; --seed still wins. rx records it in the stage's lock env.
 */
function replicationSeed(ctx: Context, settings: TrainingSettings, overrides: Record<string, unknown> | undefined): TrainingSettings {
  const raw = ctx.env.RX_SEED;
  if (raw === undefined || raw === '' || overrides?.seed !== undefined) return settings;
  const seed = Number(raw);
  if (!Number.isInteger(seed) || seed < 0) throw new UsageError(`RX_SEED must be a whole number >= 0, not ${JSON.stringify(raw)}`);
  return { ...settings, seed, augment_seed: settings.augment_seed + seed };
}

export async function train(ctx: Context, options: TrainOptions): Promise<TrainRecord> {
  const modelFile = path.resolve(ctx.cwd, options.model);
  const loaded = await loadModelConfig(modelFile, rel(ctx, options.model));
  const settings = replicationSeed(ctx, resolveTraining(loaded.config, { ...(await readTrainParams(ctx, options.params)), ...(options.overrides ?? {}) }, options.params), options.overrides);
  const augment: AugmentSpec | null = options.augment ? await loadAugmentSpec(path.resolve(ctx.cwd, options.augment)) : null;
  const data = await loadDataset(path.resolve(ctx.cwd, options.data));
  const { image, classes } = data.manifest;
  // Shapes are checked before the backend loads: a misfit is an exit-4 message naming the block.
  const plan = planModel(loaded.config, [image.height, image.width, image.channels], classes.length, settings.width, loaded.file, loaded.locate);

  const { initBackend } = await import('../model/backend.js');
  await initBackend();
  const { trainModel, currentBackend } = await import('../model/train.js');
  const { saveModel } = await import('../model/io.js');
  const backend = currentBackend();
  await reportEnvironment(ctx, backend);

  const started = performance.now();
  const result = await trainModel({
    plan,
    settings,
    data,
    augment,
    onEpoch: (p, epochs) => {
      reportProgress(ctx, p);
      ctx.reporter.info(
        `epoch ${String(p.epoch).padStart(String(epochs).length)}/${epochs}  loss ${p.train_loss.toFixed(4)}  acc ${p.train_accuracy.toFixed(4)}` +
          (p.val_accuracy !== undefined ? `  val_loss ${p.val_loss!.toFixed(4)}  val_acc ${p.val_accuracy.toFixed(4)}` : '') +
          `  ${((performance.now() - started) / 1000).toFixed(1)}s`,
      );
    },
  });

  const out = path.resolve(ctx.cwd, options.out);
  const staging = `${out}.rx-staging-${process.pid}`;
  const cancel = onExit(() => fsp.rm(staging, { recursive: true, force: true }));
  try {
    await fsp.rm(staging, { recursive: true, force: true });
    const saved = await saveModel(result.model, staging);
    const record: TrainRecord = {
      schema: 'rx.train/1',
      model: { path: rel(ctx, options.model), hash: await fileHash(modelFile) },
      data: { path: rel(ctx, options.data), hash: await fileHash(path.resolve(ctx.cwd, options.data)), train: result.trainCount, val: result.valCount },
      augment: options.augment ? { path: rel(ctx, options.augment), hash: await fileHash(path.resolve(ctx.cwd, options.augment)) } : null,
      settings,
      backend,
      weights: saved.weights,
      params: plan.params,
      curves: result.curves,
    };
    // No wall-clock facts in here: the record beside the weights must reproduce bitwise.
    await writeFileAtomic(path.join(staging, TRAIN_RECORD), JSON.stringify(record, null, 2) + '\n');
    await writeFileAtomic(path.join(staging, CURVES_FILE), JSON.stringify(record.curves, null, 2) + '\n');
    await swapInto(staging, out);
    result.model.dispose();
    return record;
  } finally {
    cancel();
    await fsp.rm(staging, { recursive: true, force: true });
  }
}

/**
 * Appends an epoch's numbers to RX_PROGRESS when the caller set it (a search watching its
 * rungs): one JSON line per epoch, written whole, so a reader never sees half a line as data.
 */
function reportProgress(ctx: Context, point: EpochPoint): void {
  const file = ctx.env.RX_PROGRESS;
  if (!file) return;
  try {
    appendFileSync(file, JSON.stringify(point) + '\n');
  } catch (err) {
    ctx.reporter.warn(`cannot report progress to ${file}: ${(err as Error).message}`);
  }
}

/** Replaces `out` by `staging` with renames only, so a failure leaves one or the other whole. */
async function swapInto(staging: string, out: string): Promise<void> {
  const old = `${out}.rx-old-${process.pid}`;
  let moved = false;
  try {
    await fsp.rename(out, old);
    moved = true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  await fsp.mkdir(path.dirname(out), { recursive: true });
  await fsp.rename(staging, out);
  if (moved) await fsp.rm(old, { recursive: true, force: true });
}

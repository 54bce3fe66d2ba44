// Model artifacts on disk: a tfjs IO handler that writes model.json and weights.bin into a
// directory atomically (temp file, fsync, rename) and one that loads them back, checking the
// weights against the sha256 recorded beside them. A model directory is a stage output, so rx
// stores it content-addressed; `rx checkout` or `rx repro` bring it back byte for byte.
import { promises as fsp } from 'node:fs';
import { createHash } from 'node:crypto';
import * as path from 'node:path';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import type { io } from '@tensorflow/tfjs-core';
import { writeFileAtomic } from '../core/atomic.js';
import { InvalidFileError, StoreIntegrityError } from '../core/errors.js';
import { tfCore, tfLayers } from './backend.js';
import { registerCustomLayers } from './builder.js';

export const MODEL_FILE = 'model.json';
export const WEIGHTS_FILE = 'weights.bin';

export function sha256Of(data: Uint8Array): string {
  return 'sha256:' + createHash('sha256').update(data).digest('hex');
}

function weightBytes(artifacts: io.ModelArtifacts): Uint8Array {
  const data = artifacts.weightData;
  if (data === undefined) return new Uint8Array(0);
  const buffers = Array.isArray(data) ? data : [data];
  const total = buffers.reduce((n, b) => n + b.byteLength, 0);
  const out = new Uint8Array(total);
  let off = 0;
  for (const b of buffers) {
    out.set(new Uint8Array(b), off);
    off += b.byteLength;
  }
  return out;
}

/** Saves `model` into `dir`; returns the weights' sha256 (also recorded in model.json). */
export async function saveModel(model: LayersModel, dir: string): Promise<{ weights: string; bytes: number }> {
  const tf = tfCore();
  let result: { weights: string; bytes: number } | undefined;
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const bytes = weightBytes(artifacts);
      const weights = sha256Of(bytes);
      await fsp.mkdir(dir, { recursive: true });
      await writeFileAtomic(path.join(dir, WEIGHTS_FILE), bytes);
      const json = {
        format: 'layers-model',
        generatedBy: `rx (tfjs ${tf.version_core})`,
        modelTopology: artifacts.modelTopology,
        weightsManifest: [{ paths: [WEIGHTS_FILE], weights: artifacts.weightSpecs }],
        rx: { weights },
      };
      await writeFileAtomic(path.join(dir, MODEL_FILE), JSON.stringify(json) + '\n');
      result = { weights, bytes: bytes.byteLength };
      return { modelArtifactsInfo: { dateSaved: new Date(0), modelTopologyType: 'JSON', weightDataBytes: bytes.byteLength } };
    }),
  );
  return result!;
}

/** Loads a model saved by saveModel, verifying its weights' hash. */
export async function loadModel(dir: string, displayDir = dir): Promise<{ model: LayersModel; weights: string }> {
  registerCustomLayers();
  const file = path.join(displayDir, MODEL_FILE);
  let json: { modelTopology?: unknown; weightsManifest?: { weights: io.WeightsManifestEntry[] }[]; rx?: { weights?: string } };
  try {
    json = JSON.parse(await fsp.readFile(path.join(dir, MODEL_FILE), 'utf8'));
  } catch (err) {
    throw new InvalidFileError([{ file, message: `not a model saved by rx train: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` }]);
  }
  if (!json.modelTopology || !Array.isArray(json.weightsManifest)) throw new InvalidFileError([{ file, message: 'not a model saved by rx train: no modelTopology or weightsManifest' }]);
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await fsp.readFile(path.join(dir, WEIGHTS_FILE)));
  } catch (err) {
    throw new StoreIntegrityError('RX_MODEL_WEIGHTS_MISSING', `${path.join(displayDir, WEIGHTS_FILE)}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing' : `unreadable (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`}, though ${MODEL_FILE} names it`, {
      hint: 'restore the model with `rx checkout` or re-run training with `rx repro`',
    });
  }
  const weights = sha256Of(bytes);
  if (json.rx?.weights && json.rx.weights !== weights) {
    throw new StoreIntegrityError('RX_MODEL_WEIGHTS_CORRUPT', `${path.join(displayDir, WEIGHTS_FILE)}: weights hash ${weights} differs from ${json.rx.weights} recorded in ${MODEL_FILE}`, {
      hint: 'restore the model with `rx checkout` or re-run training with `rx repro`',
    });
  }
  const handler: io.IOHandler = {
    load: async () => ({
      modelTopology: json.modelTopology as object,
      weightSpecs: json.weightsManifest!.flatMap((g) => g.weights),
      weightData: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer,
    }),
  };
  const model = await tfLayers().loadLayersModel(handler);
  return { model, weights };
}

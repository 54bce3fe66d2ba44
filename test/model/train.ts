// The trainer: seeded shuffling, shard arithmetic, and bitwise-identical weights for two runs
// with one worker and with two data-parallel workers (the reduction order is fixed).
import t from 'tap';
import { initBackend } from '../../src/model/backend.js';
import { planModel, defaultTraining, type ModelConfig } from '../../src/model/config.js';
import { trainModel, shuffledOrder, indicesOfSplit } from '../../src/model/train.js';
import { shardBounds, sumGradients } from '../../src/model/replica.js';
import type { Manifest } from '../../src/data/types.js';

t.test('shuffled order: a permutation, fixed by (seed, epoch)', async (t) => {
  const idx = Array.from({ length: 50 }, (_, i) => i * 2);
  const a = shuffledOrder(idx, 7, 0);
  t.same([...a].sort((x, y) => x - y), idx, 'a permutation');
  t.same(shuffledOrder(idx, 7, 0), a, 'repeatable');
  t.not(shuffledOrder(idx, 7, 1).join(), a.join(), 'another epoch, another order');
  t.not(shuffledOrder(idx, 8, 0).join(), a.join(), 'another seed, another order');
});

t.test('shards cover a batch in order, and sums run in replica order', async (t) => {
  t.same(shardBounds(10, 3), [[0, 4], [4, 7], [7, 10]]);
  t.same(shardBounds(1, 2), [[0, 1], [1, 1]], 'a shard may be empty');
  const sum = sumGradients([[new Float32Array([1, 2])], [new Float32Array([0.5, -2])]]);
  t.same([...sum[0]], [1.5, 0]);
});

/** Two classes of 8x8 images: a bright left half or a bright right half, with seeded noise. */
function toyData(n: number): { manifest: Manifest; pixels: Uint8Array } {
  const pixels = new Uint8Array(n * 64);
  let x = 99;
  const rand = () => ((x = (Math.imul(x, 1103515245) + 12345) >>> 0) >>> 24) / 255;
  const samples = [];
  for (let i = 0; i < n; i++) {
    const label = i % 2;
    for (let p = 0; p < 64; p++) pixels[i * 64 + p] = Math.round(((p % 8 < 4) === (label === 0) ? 0.7 : 0.1) * 255 * 0.7 + rand() * 255 * 0.3);
    samples.push({ id: `toy/${i}`, hash: '', source: 'toy', label, split: i % 5 === 0 ? 'val' : 'train' });
  }
  const manifest = {
    schema: 'rx.manifest/1',
    spec: { path: 'toy.yaml', hash: '' },
    image: { height: 8, width: 8, channels: 1, maxValue: 255 },
    classes: ['left', 'right'],
    split: { seed: 0, fractions: { train: 0.8, val: 0.2, test: 0 } },
    stratify: [],
    pixels: { file: 'pixels.u8', sha256: '', bytes: pixels.length },
    sources: {},
    samples,
  } as unknown as Manifest;
  return { manifest, pixels };
}

const config: ModelConfig = {
  schema: 'rx.model/1',
  blocks: [{ type: 'conv', filters: 4, kernel: 3, pool: { type: 'max' }, dropout: 0.1 }, { type: 'flatten' }, { type: 'dense', units: 8, norm: 'batch' }],
};

async function weightsAfter(workers: number): Promise<{ bytes: string; acc: number }> {
  const data = toyData(120);
  const plan = planModel(config, [8, 8, 1], 2);
  const settings = { ...defaultTraining, epochs: 3, batch_size: 16, learning_rate: 0.01, workers };
  const r = await trainModel({ plan, settings, data });
  const flat = r.model.getWeights().map((w) => Buffer.from((w.dataSync() as Float32Array).buffer).toString('base64')).join('|');
  r.model.dispose();
  if (indicesOfSplit(data.manifest, 'train').length !== r.trainCount) throw new Error('trained on another count than the train split');
  return { bytes: flat, acc: r.curves[r.curves.length - 1].val_accuracy ?? 0 };
}

t.test('two runs give bitwise-identical weights, with one worker and with two', async (t) => {
  await initBackend();
  const one = await weightsAfter(1);
  t.equal((await weightsAfter(1)).bytes, one.bytes, 'one worker: identical weights');
  t.ok(one.acc > 0.8, `the toy task is learnt (val accuracy ${one.acc})`);
  const two = await weightsAfter(2);
  t.equal((await weightsAfter(2)).bytes, two.bytes, 'two workers: identical weights');
  t.ok(two.acc > 0.8, `learnt with two workers too (val accuracy ${two.acc})`);
});

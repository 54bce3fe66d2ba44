// The pure shape plan of model configs: parameter counts and FLOPs against hand counts, width,
// and architectures that do not fit the data reported by block before anything trains.
import t from 'tap';
import { parseModelConfig, planModel, resolveTraining, defaultTraining, scaled } from '../../src/model/config.js';
import { InvalidFileError } from '../../src/core/errors.js';

const cfg = (yaml: string) => parseModelConfig('models/m.yaml', `schema: rx.model/1\n${yaml}`);

t.test('a conv block: weights, bias, batch norm, pooling, by hand', async (t) => {
  const { config } = cfg('blocks:\n  - {type: conv, filters: 4, kernel: 3, norm: batch, pool: {type: max}}\n');
  const plan = planModel(config, [8, 8, 1], 10);
  // conv 3*3*1*4 = 36 (no bias under batch norm); bn 4*4 = 16 (8 trainable); head flatten 4x4x4 = 64 -> 64*10+10 = 650
  t.same(plan.layers.map((l) => [l.kind, l.output, l.params]), [
    ['conv2d', [8, 8, 4], 36],
    ['batchnorm', [8, 8, 4], 16],
    ['activation', [8, 8, 4], 0],
    ['maxpool', [4, 4, 4], 0],
    ['flatten', [64], 0],
    ['dense', [10], 650],
  ]);
  t.equal(plan.params, 36 + 16 + 650);
  t.equal(plan.trainable, 36 + 8 + 650);
  t.equal(plan.layers[0].flops, 2 * 9 * 1 * 4 * 64, 'conv FLOPs = 2 * k*k*cin*cout * H*W');
});

t.test('dense, separable and residual blocks by hand', async (t) => {
  const mlp = planModel(cfg('blocks:\n  - {type: flatten}\n  - {type: dense, units: 32, norm: layer, repeat: 2}\n').config, [4, 4, 2], 3);
  // dense 32*32+32 = 1056, ln 64, dense 32*32+32 = 1056, ln 64, head 32*3+3 = 99
  t.equal(mlp.params, 1056 + 64 + 1056 + 64 + 99);

  const sep = planModel(cfg('blocks:\n  - {type: separable, filters: 8, kernel: 3, padding: valid}\n  - {type: global-avg-pool}\n').config, [6, 6, 4], 2);
  // depthwise 3*3*4 = 36, pointwise 4*8 = 32, bias 8; valid 6 -> 4; gap -> 8; head 8*2+2 = 18
  t.equal(sep.layers[0].params, 36 + 32 + 8);
  t.same(sep.layers[0].output, [4, 4, 8]);
  t.equal(sep.params, 76 + 18);

  const res = planModel(cfg('blocks:\n  - {type: residual, filters: 8, kernel: 3, stride: 2}\n').config, [8, 8, 4], 2);
  // conv a 3*3*4*8+8 = 296, conv b 3*3*8*8+8 = 584, 1x1 projection 4*8+8 = 40; 4x4x8 flatten 128 -> head 258
  t.equal(res.params, 296 + 584 + 40 + 258);
  const add = res.layers.find((l) => l.kind === 'add')!;
  t.same(add.inputs, ['b1_residual1b', 'b1_residual1_proj'], 'the skip joins the main branch through the projection');
  const identity = planModel(cfg('blocks:\n  - {type: residual, filters: 4}\n').config, [8, 8, 4], 2);
  t.notOk(identity.layers.some((l) => l.name.endsWith('_proj')), 'no projection when shapes already match');
});

t.test('the width multiplier scales filters and units', async (t) => {
  const { config } = cfg('width: 2\nblocks:\n  - {type: conv, filters: 3}\n  - {type: flatten}\n  - {type: dense, units: 5}\n');
  const plan = planModel(config, [2, 2, 1], 2);
  t.same(plan.layers[0].output, [2, 2, 6]);
  t.equal(plan.layers.find((l) => l.kind === 'dense')!.output[0], 10);
  t.equal(scaled(3, 0.1), 1, 'never below one unit');
  t.equal(planModel(config, [2, 2, 1], 2, 0.5).layers[0].output[2], 2, 'an explicit width wins');
});

t.test('shapes that do not fit are reported by block, with the line', async (t) => {
  const tooSmall = cfg('blocks:\n  - {type: conv, filters: 4, kernel: 3, padding: valid, pool: {type: max}}\n  - {type: conv, filters: 4, kernel: 5, padding: valid}\n');
  const err = t.throws(() => planModel(tooSmall.config, [8, 8, 1], 10, 1, tooSmall.file, tooSmall.locate)) as InvalidFileError;
  t.type(err, InvalidFileError);
  t.equal(err.exitCode, 4);
  t.equal(err.problems[0].field, 'blocks[1].kernel');
  t.equal(err.problems[0].line, 4);
  t.match(err.problems[0].message, /block 2 \(conv\).*5x5 kernel.*3x3 input/);

  const denseFirst = cfg('blocks:\n  - {type: dense, units: 4}\n');
  const e2 = t.throws(() => planModel(denseFirst.config, [8, 8, 1], 10, 1, denseFirst.file, denseFirst.locate)) as InvalidFileError;
  t.match(e2.problems[0].message, /block 1 \(dense\) needs a flat input but gets 8x8x1/);
  const convAfterFlatten = cfg('blocks:\n  - {type: flatten}\n  - {type: conv, filters: 2}\n');
  t.throws(() => planModel(convAfterFlatten.config, [8, 8, 1], 10), { code: 'RX_INVALID_FILE' });
  const poolTooBig = cfg('blocks:\n  - {type: conv, filters: 2, pool: {type: avg, size: 8}}\n');
  t.throws(() => planModel(poolTooBig.config, [4, 4, 1], 10), /pooling does not fit the 4x4 feature map/);
});

t.test('schema errors name the field and line', async (t) => {
  const err = t.throws(() => cfg('blocks:\n  - {type: conv, filters: 0}\n  - {type: dense}\n')) as InvalidFileError;
  t.equal(err.exitCode, 4);
  const fields = err.problems.map((p) => p.field).sort();
  t.ok(fields.includes('blocks[0].filters'), fields.join(','));
  t.ok(fields.includes('blocks[1].units'), fields.join(','));
  t.throws(() => cfg('blocks:\n  - {type: lstm, units: 3}\n'), { code: 'RX_INVALID_FILE' });
});

t.test('training settings: defaults < config < params', async (t) => {
  const { config } = cfg('width: 1.5\nblocks: [{type: flatten}]\ntraining: {epochs: 7, learning_rate: 0.01}\n');
  const s = resolveTraining(config, { epochs: 3, seed: 9 });
  t.same(s, { ...defaultTraining, epochs: 3, learning_rate: 0.01, seed: 9, width: 1.5 });
  const err = t.throws(() => resolveTraining(config, { epochs: 0, colour: 'red' }, 'params.yaml')) as InvalidFileError;
  t.same(err.problems.map((p) => p.field).sort(), ['train.colour', 'train.epochs']);
});

// Applying specs to samples: independence from batching and order, determinism, schedules,
// conditions, probabilities, mixup weights, and that the input is never modified.
import t from 'tap';
import { parseAugmentSpec, augmentSample, augmentSampleTraced, scheduleScale } from '../../src/augment/index.js';
import type { AugmentSpec, ImageShape, MixPartner, Schedule } from '../../src/augment/types.js';
import { context, specText, digitBytes, gray } from '../../fixtures/augment.js';
import * as path from 'node:path';
import { readFileSync } from 'node:fs';
import { REPO_ROOT } from '../../fixtures/project.js';

const spec = (ops: string[], seed = 1): AugmentSpec => parseAugmentSpec('test.yaml', specText(ops, seed));
const template = (name: string): AugmentSpec => {
  const file = path.join(REPO_ROOT, 'templates/digits/augment', `${name}.yaml`);
  return parseAugmentSpec(file, readFileSync(file, 'utf8'));
};
const s8 = gray(8, 8);
const digit = (i: number, shape: ImageShape = s8): Float32Array => Float32Array.from(digitBytes(i, shape.height, shape.width, shape.channels), (b) => b / 16);

// A dataset of 40 digits, and a mixup partner picker over the whole dataset (not the batch).
const N = 40;
const data = Array.from({ length: N }, (_, i) => ({ id: `clean/${i}`, label: i % 10, image: digit(i) }));
const partner = (u: number): MixPartner => data[Math.floor(u * N)]!;
const augmentOne = (sp: AugmentSpec, i: number, epoch: number, seed = 5) =>
  augmentSample(sp, data[i]!.image, s8, context({ seed, epoch, sampleId: data[i]!.id, label: data[i]!.label }), partner);

t.test('a sample augments the same whatever the batch, the order or the worker split', async (t) => {
  const sp = template('strong');
  const inOrder = data.map((_, i) => augmentOne(sp, i, 4));
  // Reverse order, batches of 7 interleaved with other epochs, and two "workers" taking odd and even ids.
  const reversed = [...data.keys()].reverse().map((i) => [i, augmentOne(sp, i, 4)] as const);
  const batched: [number, ReturnType<typeof augmentOne>][] = [];
  for (let b = 0; b < N; b += 7) {
    for (let i = Math.min(N, b + 7) - 1; i >= b; i--) {
      augmentOne(sp, (i * 13) % N, 9); // someone else's work in between
      batched.push([i, augmentOne(sp, i, 4)]);
    }
  }
  // A different image shape in between reuses scratch buffers of another size.
  augmentSample(sp, digit(3, gray(5, 7)), gray(5, 7), context({ epoch: 4 }), () => ({ image: digit(1, gray(5, 7)), label: 1, id: 'x' }));
  const workers = [0, 1].flatMap((w) => data.flatMap((_, i) => (i % 2 === w ? [[i, augmentOne(sp, i, 4)] as const] : [])));
  for (const [name, results] of [['reversed', reversed], ['batched', batched], ['workers', workers]] as const) {
    let same = 0;
    for (const [i, r] of results) if (JSON.stringify(r) === JSON.stringify(inOrder[i])) same++;
    t.equal(same, N, `${name}: every sample identical`);
  }
  t.ok(inOrder.some((r) => r.mix), 'the strong spec mixes some samples at epoch 4');
  t.ok(inOrder.some((r, i) => r.image.some((v, k) => v !== data[i]!.image[k])), 'and changes images');
});

t.test('determinism: same inputs, same output; another seed or epoch, another output', async (t) => {
  const sp = template('default');
  const a = augmentOne(sp, 3, 2);
  t.same(augmentOne(sp, 3, 2), a);
  const differs = (x: ReturnType<typeof augmentOne>) => JSON.stringify(x) !== JSON.stringify(a);
  t.ok([6, 7, 8, 9, 10].map((seed) => augmentOne(sp, 3, 2, seed)).some(differs), 'run seeds change the draws');
  t.ok([3, 4, 5, 6, 7].map((e) => augmentOne(sp, 3, e)).some(differs), 'epochs change the draws');
  const reseeded = { ...sp, seed: sp.seed + 1 };
  t.ok([0, 1, 2, 3, 4, 5].some((i) => JSON.stringify(augmentOne(reseeded, i, 2)) !== JSON.stringify(augmentOne(sp, i, 2))), 'the spec seed changes the draws');
});

t.test('the input is never modified and the output is a new array', async (t) => {
  const sp = template('strong');
  const img = digit(2);
  const copy = Float32Array.from(img);
  for (let e = 0; e < 10; e++) {
    const r = augmentSample(sp, img, s8, context({ epoch: e, sampleId: `s/${e}` }), partner);
    t.not(r.image, img);
  }
  t.same(Array.from(img), Array.from(copy));
  const none = augmentSample(spec([]), img, s8, context());
  t.not(none.image, img);
  t.same(Array.from(none.image), Array.from(img));
  t.throws(() => augmentSample(sp, new Float32Array(10), s8, context()), RangeError);
});

t.test('p: never at 0, always at 1, about p of samples in between', async (t) => {
  const img = new Float32Array(64).fill(0.25);
  const count = (p: number) => {
    const sp = spec([`{op: invert, p: ${p}}`]);
    let n = 0;
    for (let i = 0; i < 2000; i++) if (augmentSample(sp, img, s8, context({ sampleId: `s/${i}` })).image[0] !== 0.25) n++;
    return n / 2000;
  };
  t.equal(count(0), 0);
  t.equal(count(1), 1);
  const r = count(0.3);
  t.ok(Math.abs(r - 0.3) < 0.04, `p=0.3 applied to ${r}`);
});

t.test('schedules: linear, cosine and step values at chosen epochs', async (t) => {
  const lin: Schedule = { kind: 'linear', from: 0, to: 1, epochs: 10, target: 'magnitude' };
  t.same([0, 5, 10, 20].map((e) => scheduleScale(lin, e, 100)), [0, 0.5, 1, 1]);
  const overRun: Schedule = { kind: 'linear', from: 1, to: 3, target: 'magnitude' };
  t.same([0, 5, 10].map((e) => scheduleScale(overRun, e, 11)), [1, 2, 3], 'without epochs it spans the run (last epoch = epochs-1)');
  const cos: Schedule = { kind: 'cosine', from: 1, to: 0, epochs: 10, target: 'p' };
  const c = [0, 2, 5, 10].map((e) => Math.round(scheduleScale(cos, e, 10) * 1e6) / 1e6);
  t.same(c, [1, Math.round(((1 + Math.cos(0.2 * Math.PI)) / 2) * 1e6) / 1e6, 0.5, 0]);
  const step: Schedule = { kind: 'step', knots: [{ epoch: 2, scale: 0.5 }, { epoch: 5, scale: 2 }], target: 'both' };
  t.same([0, 2, 4, 5, 100].map((e) => scheduleScale(step, e, 10)), [1, 0.5, 0.5, 2, 2]);
  t.equal(scheduleScale({ kind: 'constant', scale: 0.7, target: 'magnitude' }, 3, 10), 0.7);
});

t.test('schedules scale magnitudes towards the op identity, and probabilities', async (t) => {
  const img = new Float32Array(64).fill(0.5);
  const bright = spec(['{op: brightness, magnitude: {min: 0.2, max: 0.2}, schedule: {kind: linear, from: 0, to: 1, epochs: 4}}']);
  t.same([0, 2, 4].map((e) => Math.round(augmentSample(bright, img, s8, context({ epoch: e })).image[0]! * 1e6) / 1e6), [0.5, 0.6, 0.7]);
  // Contrast's identity is 1: factor 2 at half strength is 1.5.
  const ramp = Float32Array.from({ length: 64 }, (_, i) => (i % 2 === 0 ? 0.4 : 0.6));
  const contrast = spec(['{op: contrast, magnitude: {min: 2, max: 2}, schedule: {kind: constant, scale: 0.5}}']);
  t.equal(Math.round(augmentSample(contrast, ramp, s8, context()).image[0]! * 1e6) / 1e6, 0.35);
  const invertRamp = spec(['{op: invert, p: 1, schedule: {kind: linear, from: 0, to: 1, epochs: 10, target: p}}']);
  const rate = (e: number) => {
    let n = 0;
    for (let i = 0; i < 1000; i++) if (augmentSample(invertRamp, img.fill(0.25), s8, context({ epoch: e, sampleId: `s/${i}` })).image[0] !== 0.25) n++;
    return n / 1000;
  };
  t.equal(rate(0), 0, 'p scaled to 0 at epoch 0');
  t.ok(Math.abs(rate(5) - 0.5) < 0.06, `about half at epoch 5: ${rate(5)}`);
  t.equal(rate(10), 1);
});

t.test('conditions: source, class, split and epoch range', async (t) => {
  const img = new Float32Array(64).fill(0.25);
  const applied = (when: string, ctx: Parameters<typeof context>[0]) => augmentSample(spec([`{op: invert, when: ${when}}`]), img, s8, context(ctx)).image[0] !== 0.25;
  t.ok(applied('{source: [clean]}', { source: 'clean' }));
  t.notOk(applied('{source: [clean]}', { source: 'synthetic' }));
  t.ok(applied('{class: [3, 5]}', { label: 5 }));
  t.notOk(applied('{class: [3, 5]}', { label: 4 }));
  t.ok(applied('{class: [shirt]}', { label: 6, className: 'shirt' }), 'class names match ctx.className');
  t.ok(applied('{class: ["6"]}', { label: 6 }), 'without className a name matches the label as text');
  t.ok(applied('{split: [train]}', { split: 'train' }));
  t.notOk(applied('{split: [train]}', { split: 'val' }));
  t.same([1, 2, 4, 5].map((epoch) => applied('{epochs: {from: 2, to: 4}}', { epoch })), [false, true, true, false]);
  t.same([0, 3].map((epoch) => applied('{epochs: {from: 3}, split: [train, val]}', { epoch, split: 'val' })), [false, true], 'all conditions must hold');
});

t.test('mixup: partner chosen through u, lambda in [0, 0.5] weighs the partner, soft-label data returned', async (t) => {
  const sp = spec(['{op: mixup, p: 1, alpha: 0.4}']);
  const zeros = new Float32Array(64);
  const us: number[] = [];
  const pick = (u: number): MixPartner => {
    us.push(u);
    return { image: new Float32Array(64).fill(1), label: 7, id: 'synthetic/9' };
  };
  const lambdas: number[] = [];
  for (let i = 0; i < 300; i++) {
    const r = augmentSample(sp, zeros, s8, context({ sampleId: `m/${i}` }), pick);
    if (!r.mix) t.fail('no mix');
    const { label, lambda } = r.mix!;
    if (label !== 7 || !(lambda >= 0 && lambda <= 0.5)) t.fail(`mix ${JSON.stringify(r.mix)}`);
    if (r.image.some((v) => Math.abs(v - lambda) > 1e-6)) t.fail('image is not (1-lambda)*own + lambda*partner');
    lambdas.push(lambda);
  }
  t.ok(us.every((u) => u >= 0 && u < 1) && new Set(us).size > 290, 'u in [0,1), one per sample');
  t.ok(lambdas.filter((l) => l < 0.1).length > 100, 'alpha 0.4 puts much weight near 0');
  const own = Float32Array.from({ length: 64 }, (_, i) => i / 64);
  const noPartner = augmentSample(sp, own, s8, context());
  t.equal(noPartner.mix, undefined, 'without a partner picker mixup does nothing');
  t.same(Array.from(noPartner.image), Array.from(own));
  t.throws(() => augmentSample(sp, own, s8, context(), () => ({ image: new Float32Array(3), label: 1, id: 'bad' })), RangeError);
});

t.test('salt and pepper in a spec changes about amount of the pixels, as the trace counts', async (t) => {
  const sp = spec(['{op: salt-and-pepper, magnitude: {min: 0.2, max: 0.2}}']);
  const s20 = gray(20, 20);
  const img = new Float32Array(400).fill(0.5);
  const trace: string[] = [];
  const r = augmentSampleTraced(sp, img, s20, context(), undefined, trace);
  const black = r.image.filter((v) => v === 0).length;
  const white = r.image.filter((v) => v === 1).length;
  t.ok(black + white > 50 && black + white < 110, `${black + white} of 400 changed`);
  t.same(trace, [`salt-and-pepper 0.2 (${black} black, ${white} white)`]);
  // An amount too small to hit any pixel of a small image is traced as changing nothing.
  const tiny = spec(['{op: salt-and-pepper, magnitude: {min: 0.001, max: 0.001}}']);
  const s4 = gray(4, 4);
  const flat = new Float32Array(16).fill(0.5);
  const quiet: string[] = [];
  const q = augmentSampleTraced(tiny, flat, s4, context(), undefined, quiet);
  t.same([...q.image], [...flat], 'unchanged');
  t.same(quiet, ['salt-and-pepper 0.001 hit no pixel (image unchanged)']);
});

t.test('each op of the taxonomy runs on a multi-channel image and keeps values in range', async (t) => {
  const shape = { height: 6, width: 5, channels: 3 };
  const img = Float32Array.from({ length: 90 }, (_, i) => (i % 11) / 10);
  const sp = spec([
    '{op: flip, axis: vertical}',
    '{op: rotate, magnitude: {min: -30, max: 30}, fill: edge}',
    '{op: translate, unit: fraction, magnitude: {min: -0.2, max: 0.2}}',
    '{op: scale, magnitude: {min: 0.8, max: 1.2}}',
    '{op: crop, magnitude: {min: 0.6, max: 0.9}}',
    '{op: brightness, magnitude: {min: -0.1, max: 0.1}}',
    '{op: contrast, magnitude: {min: 0.5, max: 1.5}}',
    '{op: gamma, magnitude: {min: 0.7, max: 1.4}, distribution: {kind: truncated-normal, mean: 1, std: 0.2}}',
    '{op: invert, p: 0.5}',
    '{op: gaussian-noise, magnitude: {min: 0, max: 0.1}}',
    '{op: salt-and-pepper, magnitude: {min: 0, max: 0.1}}',
    '{op: blur, magnitude: {min: 0.3, max: 1}, kernel: 3}',
    '{op: erasing, magnitude: {min: 0.1, max: 0.3}, value: random}',
    '{op: mixup, alpha: 1}',
  ]);
  const traces = new Set<string>();
  for (let i = 0; i < 50; i++) {
    const trace: string[] = [];
    const r = augmentSampleTraced(sp, img, shape, context({ sampleId: `c/${i}` }), () => ({ image: new Float32Array(90).fill(0.5), label: 1, id: 'p' }), trace);
    if (r.image.some((v) => !(v >= -1e-6 && v <= 1 + 1e-6))) t.fail(`values out of [0,1]: ${Array.from(r.image).join(',')}`);
    for (const s of trace) traces.add(s.split(' ')[0]!);
  }
  t.equal(traces.size, 14, `every op applied at least once: ${[...traces].join(', ')}`);
});

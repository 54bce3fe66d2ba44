// The counter-based RNG: Philox4x32-10 known answers, purity, and distributions within bounds.
import t from 'tap';
import { philox4x32, SampleStream, sampleKey, truncatedNormal, normalQuantile, normalCdf, symmetricBeta } from '../../src/augment/rng.js';
import { drawMagnitude } from '../../src/augment/policy.js';
import type { AugmentOp } from '../../src/augment/types.js';

t.test('Philox4x32-10 matches the Random123 known-answer vectors', async (t) => {
  const out = new Uint32Array(4);
  const hex = (a: Uint32Array) => Array.from(a, (v) => v.toString(16).padStart(8, '0'));
  t.same(hex(philox4x32(0, 0, 0, 0, 0, 0, out)), ['6627e8d5', 'e169c58d', 'bc57ac4c', '9b00dbd8']);
  const f = 0xffffffff;
  t.same(hex(philox4x32(f, f, f, f, f, f, out)), ['408f276d', '41c83b0e', 'a20bc7c6', '6d5451fd']);
  t.same(hex(philox4x32(0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344, 0xa4093822, 0x299f31d0, out)), ['d16cfe09', '94fdcceb', '5001e420', '24126ea1']);
});

t.test('a draw is a pure function of (seeds, sample id, epoch, op, draw)', async (t) => {
  const a = new SampleStream(1, 2, 'clean/17', 3);
  const b = new SampleStream(1, 2, 'clean/17', 3);
  // Read in different orders: the block cache never changes a value.
  const forward = Array.from({ length: 40 }, (_, k) => a.uniform(k % 5, k));
  const backward = Array.from({ length: 40 }, (_, k) => b.uniform((39 - k) % 5, 39 - k)).reverse();
  t.same(forward, backward);
  for (const other of [new SampleStream(1, 2, 'clean/18', 3), new SampleStream(1, 2, 'clean/17', 4), new SampleStream(2, 2, 'clean/17', 3), new SampleStream(1, 3, 'clean/17', 3)]) {
    t.not(other.uniform(0, 0), a.uniform(0, 0), 'another id, epoch or seed gives another stream');
  }
  t.not(a.uniform(1, 0), a.uniform(0, 0), 'ops have their own counters');
  t.same(sampleKey(5, 6, 'x'), sampleKey(5, 6, 'x'));
  t.not(sampleKey(5, 6, 'ab').join(), sampleKey(5, 6, 'ba').join());
  t.not(sampleKey(5, 6, 'x').join(), sampleKey(5 + 2 ** 32, 6, 'x').join(), 'seeds above 32 bits count');
});

t.test('uniforms are in [0,1) and look uniform (Philox draws and per-pixel draws)', async (t) => {
  const buckets = new Array(10).fill(0);
  let n = 0;
  for (let i = 0; i < 500; i++) {
    const s = new SampleStream(9, 0, `s/${i}`, 0);
    for (let d = 0; d < 20; d++) {
      const u = s.uniform(0, d);
      if (!(u >= 0 && u < 1)) t.fail(`out of range ${u}`);
      buckets[Math.floor(u * 10)]++;
      n++;
    }
  }
  const chi = buckets.reduce((acc, c) => acc + (c - n / 10) ** 2 / (n / 10), 0);
  t.ok(chi < 30, `chi-square over 10 buckets ${chi.toFixed(1)} (df 9)`);

  const px = new Float64Array(4096);
  new SampleStream(9, 0, 'pixels', 0).fillPixelUniform(2, 16, px);
  const pb = new Array(16).fill(0);
  for (const u of px) {
    if (!(u > 0 && u < 1)) t.fail(`pixel uniform out of (0,1): ${u}`);
    pb[Math.floor(u * 16)]++;
  }
  const pchi = pb.reduce((acc, c) => acc + (c - 256) ** 2 / 256, 0);
  t.ok(pchi < 45, `pixel chi-square ${pchi.toFixed(1)} (df 15)`);
  const again = new Float64Array(4096);
  new SampleStream(9, 0, 'pixels', 0).fillPixelUniform(2, 16, again);
  t.same(Array.from(again), Array.from(px), 'per-pixel draws are pure too');
});

t.test('normal quantile and CDF agree', async (t) => {
  for (const p of [1e-6, 0.01, 0.1, 0.3, 0.5, 0.8, 0.99, 1 - 1e-6]) t.ok(Math.abs(normalCdf(normalQuantile(p)) - p) < 1e-6, `p=${p}`);
  t.equal(normalQuantile(0.5), 0);
});

t.test('property: every distribution stays within the magnitude bounds', async (t) => {
  const cases: AugmentOp[] = [
    { op: 'rotate', p: 1, magnitude: { min: -10, max: 10 }, distribution: { kind: 'uniform' } },
    { op: 'rotate', p: 1, magnitude: { min: -10, max: 10 }, distribution: { kind: 'truncated-normal', mean: 0, std: 5 } },
    { op: 'rotate', p: 1, magnitude: { min: 2, max: 3 }, distribution: { kind: 'truncated-normal', mean: -40, std: 1 } },
    { op: 'rotate', p: 1, magnitude: { min: 5, max: 6 }, distribution: { kind: 'truncated-normal', mean: 0, std: 1 } },
    { op: 'rotate', p: 1, magnitude: { min: -6, max: -5 }, distribution: { kind: 'truncated-normal', mean: 0, std: 1 } },
    { op: 'rotate', p: 1, magnitude: { min: 4, max: 4 }, distribution: { kind: 'truncated-normal', mean: 0, std: 1 } },
    { op: 'translate', p: 1, magnitude: { min: -1, max: 1 }, distribution: { kind: 'choice', values: [-1, 0, 1] } },
    { op: 'scale', p: 1, magnitude: { min: 0.5, max: 2 }, distribution: { kind: 'log-uniform' } },
  ];
  for (const op of cases) {
    const seen = new Set<number>();
    let prev = -Infinity;
    for (let k = 0; k <= 2000; k++) {
      const u = k === 2000 ? 1 - 2 ** -32 : k / 2000;
      const v = drawMagnitude(op, u);
      if (!(v >= op.magnitude!.min && v <= op.magnitude!.max && Number.isFinite(v))) t.fail(`${JSON.stringify(op)} u=${u} gave ${v}`);
      if (v < prev - 1e-12) t.fail(`not monotone in u at ${u}`);
      prev = v;
      seen.add(v);
    }
    t.pass(`${op.distribution!.kind} [${op.magnitude!.min}, ${op.magnitude!.max}] within bounds and monotone`);
    if (op.distribution!.kind === 'choice') t.same([...seen].sort(), [-1, 0, 1], 'every choice is reachable');
  }
  // log-uniform over [0.5, 2]: half the draws below 1, the geometric middle.
  const zoom: AugmentOp = { op: 'scale', p: 1, magnitude: { min: 0.5, max: 2 }, distribution: { kind: 'log-uniform' } };
  t.ok(Math.abs(drawMagnitude(zoom, 0.5) - 1) < 1e-12, 'the median is the geometric mean');
  t.equal(drawMagnitude(zoom, 0), 0.5);
  t.ok(Math.abs(drawMagnitude(zoom, 0.25) - Math.SQRT1_2) < 1e-12);
  // A truncated normal centred in wide bounds is centred; narrow std concentrates mass.
  let sum = 0;
  let inner = 0;
  for (let k = 0; k < 10000; k++) {
    const v = truncatedNormal((k + 0.5) / 10000, 1, 2, -9, 11);
    sum += v;
    if (Math.abs(v - 1) < 2) inner++;
  }
  t.ok(Math.abs(sum / 10000 - 1) < 0.01, `mean ${sum / 10000}`);
  t.ok(Math.abs(inner / 10000 - 0.6827) < 0.01, `one-sigma mass ${inner / 10000}`);
});

t.test('symmetric Beta draws are in [0,1] with the right shape', async (t) => {
  for (const alpha of [0.2, 0.5, 1, 2, 5]) {
    let sum = 0;
    let ends = 0;
    const n = 4000;
    for (let i = 0; i < n; i++) {
      const s = new SampleStream(3, 0, `b/${i}`, 0);
      const b = symmetricBeta(alpha, (k) => s.uniform(0, k));
      if (!(b >= 0 && b <= 1)) t.fail(`alpha ${alpha}: ${b}`);
      sum += b;
      if (b < 0.1 || b > 0.9) ends++;
    }
    t.ok(Math.abs(sum / n - 0.5) < 0.03, `alpha ${alpha}: mean ${(sum / n).toFixed(3)}`);
    if (alpha === 0.2) t.ok(ends / n > 0.5, `alpha 0.2 is U-shaped: ${ends / n} near the ends`);
    if (alpha === 5) t.ok(ends / n < 0.02, `alpha 5 is peaked: ${ends / n} near the ends`);
  }
});

import t from 'tap';
import { TEST_FUNCTIONS, noiseNormal, spreadOf } from '../bench/functions.js';

// Deterministic points in a box (a linear congruential stream, not Math.random).
function* points(bounds: [number, number][], n: number, seed: number): Generator<number[]> {
  let s = seed >>> 0;
  const next = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0), s / 2 ** 32);
  for (let i = 0; i < n; i++) yield bounds.map(([lo, hi]) => lo + next() * (hi - lo));
}

for (const fn of TEST_FUNCTIONS) {
  t.test(`${fn.name}: the known minimum at its minimiser, nothing lower in the domain`, async (t) => {
    t.equal(fn.argmin.length, fn.bounds.length);
    t.ok(
      fn.argmin.every((x, i) => x >= fn.bounds[i]![0] && x <= fn.bounds[i]![1]),
      'the minimiser lies in the domain',
    );
    t.ok(Math.abs(fn.f(fn.argmin) - fn.minimum) <= 1e-5 * Math.max(1, Math.abs(fn.minimum)), `f(argmin) = ${fn.f(fn.argmin)}, minimum ${fn.minimum}`);
    let lowest = Infinity;
    for (const x of points(fn.bounds, 5000, 17)) lowest = Math.min(lowest, fn.f(x));
    t.ok(lowest > fn.minimum - 1e-5, `random points: lowest ${lowest}`);
    // Small steps around the minimiser do not go lower (it is a local minimum at least).
    const scale = fn.bounds.map(([lo, hi]) => (hi - lo) * 1e-4);
    for (const x of points(fn.argmin.map((c, i) => [c - scale[i]!, c + scale[i]!]), 500, 5)) {
      if (fn.f(x) < fn.minimum - 1e-5) t.fail(`f(${x.join(', ')}) = ${fn.f(x)} is below the minimum`);
    }
  });
}

t.test('the values the formulas give at fixed points (Virtual Library of Simulation Experiments)', async (t) => {
  const byName = new Map(TEST_FUNCTIONS.map((f) => [f.name, f.f]));
  // Branin's three minimisers.
  for (const x of [[Math.PI, 2.275], [9.42478, 2.475]]) t.ok(Math.abs(byName.get('branin')!(x) - 0.397887) < 1e-5);
  t.equal(byName.get('rosenbrock4')!([0, 0, 0, 0]), 3);
  t.ok(Math.abs(byName.get('ackley4')!([1, 1, 1, 1]) - 3.6253849384403627) < 1e-12);
  t.ok(Math.abs(byName.get('styblinski-tang4')!([0, 0, 0, 0])) === 0);
  t.ok(Math.abs(byName.get('styblinski-tang4')!([-2.903534, -2.903534, -2.903534, -2.903534]) / 4 - -39.16617) < 1e-4);
});

t.test('spreadOf: the standard deviation of f over seeded uniform points of the box', async (t) => {
  const unit: [number, number][] = [[0, 1]];
  t.equal(spreadOf({ bounds: unit, f: () => 4 }, 1000, 1), 0, 'a constant has no spread');
  const identity = spreadOf({ bounds: unit, f: (x) => x[0]! }, 1000, 1);
  t.ok(Math.abs(identity - 1 / Math.sqrt(12)) < 0.02, `x on [0, 1]: ${identity}, uniform sd ${1 / Math.sqrt(12)}`);
  const affine = spreadOf({ bounds: unit, f: (x) => 3 * x[0]! + 7 }, 1000, 1);
  t.ok(Math.abs(affine - 3 * identity) < 1e-12, 'the same points: 3x + 7 spreads 3 times as much as x');
  const wide = spreadOf({ bounds: [[-5, 15]], f: (x) => x[0]! }, 1000, 1);
  t.ok(Math.abs(wide - 20 * identity) < 1e-9, 'the points scale with the box');
  t.equal(spreadOf(TEST_FUNCTIONS[0]!, 1000, 1), spreadOf(TEST_FUNCTIONS[0]!, 1000, 1), 'the same seed, the same value');
  t.not(spreadOf(TEST_FUNCTIONS[0]!, 1000, 1), spreadOf(TEST_FUNCTIONS[0]!, 1000, 2), 'another seed, other points');
});

t.test('noiseNormal: a standard normal keyed by bench seed, evaluation seed and configuration', async (t) => {
  // The value bench/optuna_runner.py's noise_normal(3, 1, [0.5, -2.25, 1e-7]) prints.
  t.equal(noiseNormal(3, 1, [0.5, -2.25, 1e-7]), -1.2058893431365563);
  t.equal(noiseNormal(3, 1, [0.5, -2.25, 1e-7]), noiseNormal(3, 1, [0.5, -2.25, 1e-7]), 'the same key, the same draw');
  const base = noiseNormal(3, 1, [0.5, -2.25]);
  t.not(noiseNormal(4, 1, [0.5, -2.25]), base, 'the bench seed is part of the key');
  t.not(noiseNormal(3, 2, [0.5, -2.25]), base, 'the evaluation seed is part of the key');
  t.not(noiseNormal(3, 1, [0.5, -2.25 + 2 ** -50]), base, 'the last bit of a coordinate is part of the key');
  t.not(noiseNormal(3, 1, [-2.25, 0.5]), base, 'the order of the coordinates is part of the key');
  const draws: number[] = [];
  for (let seed = 0; seed < 4; seed++) for (let i = 0; i < 1000; i++) draws.push(noiseNormal(seed, i % 6, [i / 1000, Math.sin(i)]));
  const mean = draws.reduce((a, b) => a + b, 0) / draws.length;
  const sd = Math.sqrt(draws.reduce((a, v) => a + (v - mean) ** 2, 0) / (draws.length - 1));
  t.ok(Math.abs(mean) < 0.1, `mean of ${draws.length} draws: ${mean}`);
  t.ok(Math.abs(sd - 1) < 0.07, `sd: ${sd}`);
  const beyond2 = draws.filter((z) => Math.abs(z) > 2).length / draws.length;
  t.ok(Math.abs(beyond2 - 0.0455) < 0.015, `share beyond 2 sd: ${beyond2}`);
});

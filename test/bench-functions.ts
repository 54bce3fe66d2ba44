import t from 'tap';
import { TEST_FUNCTIONS } from '../bench/functions.js';

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

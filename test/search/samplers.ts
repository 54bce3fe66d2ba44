import t from 'tap';
import { axisValues, grid, GridExhausted, gridPoints, gridSize, shuffledGrid } from '../../src/search/grid.js';
import { drawScramble, qmc, SOBOL_MAX_DIMS, scrambledSobolPoint, sobolPoint } from '../../src/search/qmc.js';
import { random } from '../../src/search/random.js';
import { configKey } from '../../src/search/space.js';
import type { Config, FloatParam, Param, Sampler, SimplexValue, Space, Trial } from '../../src/search/types.js';

const unitFloat = (name: string): FloatParam => ({ name, path: `p.yaml:${name}`, type: 'float', low: 0, high: 1, log: false });
const square: Space = { params: [unitFloat('x'), unitFloat('y')] };

const mixed: Space = {
  params: [
    { name: 'lr', path: 'p.yaml:lr', type: 'float', low: 1e-5, high: 1e-1, log: true, prior: { kind: 'normal', mean: 1e-3, sd: 1 } },
    { name: 'layers', path: 'p.yaml:layers', type: 'int', low: 2, high: 12, log: false, step: 2 },
    { name: 'opt', path: 'p.yaml:opt', type: 'categorical', choices: ['sgd', 'adam'], weights: [0.25, 0.75] },
    { name: 'momentum', path: 'p.yaml:momentum', type: 'float', low: 0.5, high: 0.99, log: false, when: { opt: ['sgd'] } },
    { name: 'mix', path: 'd.yaml:mix', type: 'simplex', over: ['a', 'b', 'c'] },
  ],
};

function suggestAll(sampler: Sampler, space: Space, seed: number, count: number, withHistory: boolean): Config[] {
  const trials: Trial[] = [];
  const out: Config[] = [];
  for (let n = 0; n < count; n++) {
    const s = sampler.suggest({ space, trials: withHistory ? trials : [], number: n, seed });
    out.push(s.config);
    trials.push({ number: n, config: s.config, state: 'complete', value: n });
  }
  return out;
}

/** The squared L2-star discrepancy (Warnock's formula). */
function l2StarDiscrepancy(points: number[][]): number {
  const n = points.length;
  const d = points[0]!.length;
  let a = 0;
  for (const x of points) a += x.reduce((p, xi) => p * (1 - xi * xi), 1);
  let b = 0;
  for (const x of points) for (const y of points) b += x.reduce((p, xi, k) => p * (1 - Math.max(xi, y[k]!)), 1);
  return 3 ** -d - (2 ** (1 - d) / n) * a + b / (n * n);
}

// ---- Sobol ---------------------------------------------------------------------------

t.test('the unscrambled Sobol sequence starts with the known points (Gray-code order, as scipy gives them)', async (t) => {
  const expected = [
    [0, 0, 0],
    [0.5, 0.5, 0.5],
    [0.75, 0.25, 0.25],
    [0.25, 0.75, 0.75],
    [0.375, 0.375, 0.625],
    [0.875, 0.875, 0.125],
    [0.625, 0.125, 0.875],
    [0.125, 0.625, 0.375],
  ];
  t.same(
    expected.map((_, n) => sobolPoint(n, 3)),
    expected,
  );
  // Dimension 4 (s=3, a=1, m=1,3,1): v = 1/2, 3/4, 1/8; point 4 has Gray code 110.
  t.equal(sobolPoint(4, 4)[3], 0.875);
});

t.test('every Sobol dimension, plain or scrambled, puts one of the first 2^k points in each interval of width 2^-k', async (t) => {
  const scramble = drawScramble(12345, SOBOL_MAX_DIMS);
  for (const [label, point] of [
    ['plain', (n: number) => sobolPoint(n, SOBOL_MAX_DIMS)],
    ['scrambled', (n: number) => scrambledSobolPoint(scramble, n)],
  ] as const) {
    const k = 10;
    const cells = Array.from({ length: SOBOL_MAX_DIMS }, () => new Uint8Array(2 ** k));
    for (let n = 0; n < 2 ** k; n++) point(n).forEach((u, d) => cells[d]![Math.floor(u * 2 ** k)]!++);
    const bad = cells.findIndex((c) => c.some((x) => x !== 1));
    t.equal(bad, -1, `${label}: dimension ${bad + 1} is not stratified`);
  }
});

t.test('scrambled points lie in [0, 1) and differ by seed', async (t) => {
  const a = drawScramble(1, 5);
  const b = drawScramble(2, 5);
  t.notSame(scrambledSobolPoint(a, 3), scrambledSobolPoint(b, 3));
  t.same(scrambledSobolPoint(a, 3), scrambledSobolPoint(drawScramble(1, 5), 3), 'the same seed gives the same scramble');
  // Adding a dimension leaves the scramble of the earlier ones alone.
  t.same(scrambledSobolPoint(drawScramble(1, 6), 9).slice(0, 5), scrambledSobolPoint(a, 9));
  for (let n = 0; n < 300; n++) for (const u of scrambledSobolPoint(a, n)) if (!(u >= 0 && u < 1)) t.fail(`u=${u}`);
});

t.test('Sobol refuses more dimensions than its table and indices beyond 32 bits', async (t) => {
  t.throws(() => sobolPoint(0, SOBOL_MAX_DIMS + 1), RangeError);
  t.throws(() => sobolPoint(2 ** 32, 2), RangeError);
  t.throws(() => sobolPoint(-1, 2), RangeError);
  const wide: Space = { params: Array.from({ length: SOBOL_MAX_DIMS + 1 }, (_, i) => unitFloat(`p${i}`)) };
  t.throws(() => qmc.suggest({ space: wide, trials: [], number: 0, seed: 1 }), RangeError);
});

// ---- determinism and independence from history -----------------------------------------

t.test('random and qmc are deterministic for a seed and ignore the history', async (t) => {
  for (const sampler of [random, qmc]) {
    const a = suggestAll(sampler, mixed, 42, 40, false);
    const b = suggestAll(sampler, mixed, 42, 40, true);
    t.same(a, b, `${sampler.name}: same output with and without history`);
    t.same(a, suggestAll(sampler, mixed, 42, 40, false), `${sampler.name}: same output on a rerun`);
    t.notSame(a, suggestAll(sampler, mixed, 43, 40, false), `${sampler.name}: another seed, other points`);
    // Suggestion 17 alone equals suggestion 17 in the sequence.
    t.same(sampler.suggest({ space: mixed, trials: [], number: 17, seed: 42 }).config, a[17]);
    t.equal(new Set(a.map(configKey)).size, a.length, `${sampler.name}: no repeats in 40 draws`);
  }
});

t.test('qmc details carry the index and the unit point', async (t) => {
  const s = qmc.suggest({ space: square, trials: [], number: 5, seed: 7 });
  t.equal(s.sampler, 'qmc');
  t.equal(s.details.index, 5);
  t.same(s.details.unit, [s.config.x, s.config.y]);
  t.same(JSON.parse(JSON.stringify(s.details)), s.details, 'JSON-serialisable');
});

// ---- qmc coverage ----------------------------------------------------------------------

t.test('qmc: the first 64 points in 2-d hit every cell of an 8x8 grid', async (t) => {
  for (const seed of [1, 2, 3]) {
    const cells = new Uint8Array(64);
    for (const c of suggestAll(qmc, square, seed, 64, false)) cells[Math.floor((c.x as number) * 8) * 8 + Math.floor((c.y as number) * 8)]!++;
    t.equal(cells.filter((x) => x === 0).length, 0, `seed ${seed}: no empty cell`);
  }
});

t.test('qmc has a lower L2-star discrepancy than random', async (t) => {
  const pts = (s: Sampler, seed: number) => suggestAll(s, square, seed, 256, false).map((c) => [c.x as number, c.y as number]);
  for (const seed of [1, 2]) {
    const dq = l2StarDiscrepancy(pts(qmc, seed));
    const dr = l2StarDiscrepancy(pts(random, seed));
    t.ok(dq < dr / 10, `seed ${seed}: qmc ${dq.toExponential(2)} vs random ${dr.toExponential(2)}`);
  }
});

t.test('qmc goes through the priors: category weights and Dirichlet/normal shapes show in the frequencies', async (t) => {
  const configs = suggestAll(qmc, mixed, 5, 1024, false);
  const sgd = configs.filter((c) => c.opt === 'sgd').length / configs.length;
  t.ok(Math.abs(sgd - 0.25) < 0.01, `sgd share ${sgd}`);
  t.ok(configs.every((c) => ('momentum' in c) === (c.opt === 'sgd')), 'momentum only under sgd');
  const geo = Math.exp(configs.reduce((s, c) => s + Math.log(c.lr as number), 0) / configs.length);
  t.ok(Math.abs(Math.log(geo / 1e-3)) < 0.05, `lr geometric mean ${geo}`);
  const meanA = configs.reduce((s, c) => s + (c.mix as SimplexValue).a!, 0) / configs.length;
  t.ok(Math.abs(meanA - 1 / 3) < 0.01, `uniform simplex mean ${meanA}`);
});

// ---- random --------------------------------------------------------------------------

t.test('random respects the priors', async (t) => {
  const configs = suggestAll(random, mixed, 11, 4000, false);
  const sgd = configs.filter((c) => c.opt === 'sgd').length / configs.length;
  t.ok(Math.abs(sgd - 0.25) < 0.025, `sgd share ${sgd}`);
  const logs = configs.map((c) => Math.log(c.lr as number));
  const mean = logs.reduce((s, x) => s + x, 0) / logs.length;
  t.ok(Math.abs(mean - Math.log(1e-3)) < 0.06, `ln lr mean ${mean}`);
  const layers = new Set(configs.map((c) => c.layers));
  t.same([...layers].sort((a, b) => (a as number) - (b as number)), [2, 4, 6, 8, 10, 12]);
  const s = random.suggest({ space: mixed, trials: [], number: 0, seed: 11 });
  t.same(s.details, {
    stream: 'random',
    prior: { lr: 'user', layers: 'uninformative', opt: 'user', momentum: 'uninformative', mix: 'uninformative' },
  });
});

// ---- grid ----------------------------------------------------------------------------

const flat: Space = {
  params: [
    { name: 'lr', path: 'p.yaml:lr', type: 'float', low: 1e-5, high: 1e-1, log: true },
    { name: 'layers', path: 'p.yaml:layers', type: 'int', low: 2, high: 12, log: false, step: 2 },
    { name: 'opt', path: 'p.yaml:opt', type: 'categorical', choices: ['sgd', 'adam', 'lion'] },
  ],
};

t.test('grid axes: float 5 points on the internal scale, small ints whole, wide ints spread, explicit grids as given, simplex lattice', async (t) => {
  t.same(axisValues(flat.params[0]!), [1e-5, 1e-4, 1e-3, 1e-2, 1e-1]);
  t.same(axisValues(unitFloat('x')), [0, 0.25, 0.5, 0.75, 1]);
  t.same(axisValues(flat.params[1]!), [2, 4, 6, 8, 10, 12]);
  t.same(axisValues({ name: 'k', path: 'p.yaml:k', type: 'int', low: 1, high: 10, log: false, step: 1 }), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  t.same(axisValues({ name: 'k', path: 'p.yaml:k', type: 'int', low: 0, high: 100, log: false, step: 1 }), [0, 25, 50, 75, 100]);
  t.same(axisValues({ name: 'k', path: 'p.yaml:k', type: 'int', low: 1, high: 10000, log: true, step: 1 }), [1, 10, 100, 1000, 10000]);
  const stepped = axisValues({ name: 'd', path: 'p.yaml:d', type: 'float', low: 0, high: 0.5, log: false, step: 0.1 }) as number[];
  t.equal(stepped[0], 0);
  t.equal(stepped[stepped.length - 1], 0.5);
  t.ok(stepped.every((x) => [0, 0.1, 0.2, 0.3, 0.4, 0.5].includes(x)), `on the step lattice: ${stepped}`);
  t.equal(new Set(stepped).size, stepped.length, 'duplicates dropped');
  t.same(axisValues({ name: 'd', path: 'p.yaml:d', type: 'float', low: 0, high: 0.2, log: false, step: 0.1 }), [0, 0.1, 0.2], 'five points on a three-value lattice collapse to it');
  t.same(axisValues({ name: 'g', path: 'p.yaml:g', type: 'float', low: 0, high: 1, log: false, grid: [0.1, 0.9, 0.1] }), [0.1, 0.9]);
  const lattice = axisValues({ name: 'm', path: 'd.yaml:m', type: 'simplex', over: ['a', 'b', 'c'] }) as SimplexValue[];
  t.equal(lattice.length, 15, 'C(6, 2) compositions of 4 into 3 parts');
  t.same(lattice[0], { a: 1, b: 0, c: 0 });
  t.equal(new Set(lattice.map((w) => JSON.stringify(w))).size, 15);
  for (const w of lattice) {
    t.equal(w.a! + w.b! + w.c!, 1);
    t.ok([w.a!, w.b!, w.c!].every((x) => Number.isInteger(x * 4)));
  }
  t.equal(axisValues({ name: 'm', path: 'd.yaml:m', type: 'simplex', over: ['a', 'b', 'c', 'd'] }).length, 35);
});

t.test('grid covers every point exactly once over gridSize trials, then is exhausted', async (t) => {
  t.equal(gridSize(flat), 5 * 6 * 3);
  t.equal(gridPoints(flat).length, 90);
  for (const withHistory of [true, false]) {
    const configs = suggestAll(grid, flat, 3, 90, withHistory);
    const keys = new Set(configs.map(configKey));
    t.equal(keys.size, 90, `withHistory=${withHistory}: 90 distinct points`);
    t.same(keys, new Set(gridPoints(flat).map(configKey)));
    const trials: Trial[] = withHistory ? configs.map((config, number) => ({ number, config, state: 'complete' as const, value: 0 })) : [];
    t.throws(() => grid.suggest({ space: flat, trials, number: 90, seed: 3 }), GridExhausted);
  }
  const s = grid.suggest({ space: flat, trials: [], number: 4, seed: 3 });
  t.same(s.details, { index: 4, size: 90 });
  t.equal(s.sampler, 'grid');
});

t.test('grid order is a seeded shuffle, so early trials spread out', async (t) => {
  const plain = gridPoints(flat).map(configKey);
  const a = shuffledGrid(flat, 1).map(configKey);
  t.notSame(a, plain);
  t.same(new Set(a), new Set(plain));
  t.same(a, shuffledGrid(flat, 1).map(configKey), 'deterministic');
  t.notSame(a, shuffledGrid(flat, 2).map(configKey));
  // The first 9 trials are not stuck on one learning rate, as the unshuffled order would be.
  const firstNine = suggestAll(grid, flat, 1, 9, true);
  t.ok(new Set(firstNine.map((c) => c.lr)).size > 1);
});

t.test('a conditional parameter multiplies only its branch of the grid', async (t) => {
  const space: Space = {
    params: [
      { name: 'opt', path: 'p.yaml:opt', type: 'categorical', choices: ['sgd', 'adam'] },
      { name: 'momentum', path: 'p.yaml:momentum', type: 'float', low: 0.5, high: 0.9, log: false, when: { opt: ['sgd'] } },
      { name: 'nesterov', path: 'p.yaml:nesterov', type: 'categorical', choices: [true, false], when: { opt: ['sgd'], momentum: [0.9] } },
      { name: 'lr', path: 'p.yaml:lr', type: 'float', low: 0.01, high: 0.1, log: false, grid: [0.01, 0.1] },
    ],
  };
  // sgd: 4 momenta without nesterov + 1 momentum (0.9) x 2 nesterov = 6; adam: 1. Times 2 lr.
  t.equal(gridSize(space), (4 + 2 + 1) * 2);
  const points = gridPoints(space);
  t.equal(points.length, 14);
  t.equal(new Set(points.map(configKey)).size, 14);
  for (const p of points) {
    t.equal('momentum' in p, p.opt === 'sgd');
    t.equal('nesterov' in p, p.opt === 'sgd' && p.momentum === 0.9);
  }
  t.equal(points.filter((p) => p.opt === 'adam').length, 2);
  const all = suggestAll(grid, space, 9, 14, true);
  t.equal(new Set(all.map(configKey)).size, 14);
  t.throws(() => grid.suggest({ space, trials: [], number: 14, seed: 9 }), GridExhausted);
});

t.test('grid skips points the history already holds (an earlier phase, a failed trial) and never repeats them', async (t) => {
  const points = shuffledGrid(flat, 5);
  // Trials 0-2 came from an earlier random phase: one of them happens to be a grid point.
  const trials: Trial[] = [
    { number: 0, config: points[10]!, state: 'complete', value: 1 },
    { number: 1, config: { lr: 0.0123, layers: 4, opt: 'sgd' }, state: 'complete', value: 2 },
    { number: 2, config: points[0]!, state: 'failed' },
  ];
  const seen: string[] = [];
  for (let n = 3; n < 3 + 88; n++) {
    const s = grid.suggest({ space: flat, trials, number: n, seed: 5 });
    seen.push(configKey(s.config));
    trials.push({ number: n, config: s.config, state: 'running' });
  }
  t.equal(seen[0], configKey(points[1]!), 'the grid phase starts at the first free point');
  t.equal(new Set(seen).size, 88);
  t.notOk(seen.includes(configKey(points[10]!)));
  t.notOk(seen.includes(configKey(points[0]!)));
  t.throws(() => grid.suggest({ space: flat, trials, number: 91, seed: 5 }), GridExhausted);
});

t.test('grid suggestion n does not depend on which earlier grid trials are listed', async (t) => {
  const all = suggestAll(grid, flat, 8, 30, true);
  const history: Trial[] = all.slice(0, 29).map((config, number) => ({ number, config, state: 'complete', value: 0 }));
  const sparse = history.filter((tr) => tr.number % 3 === 0);
  t.same(grid.suggest({ space: flat, trials: sparse, number: 29, seed: 8 }).config, all[29]);
  t.same(grid.suggest({ space: flat, trials: [], number: 29, seed: 8 }).config, all[29]);
});

t.test('grid compares simplex values whatever the key order of the stored config', async (t) => {
  const space: Space = { params: [{ name: 'm', path: 'd.yaml:m', type: 'simplex', over: ['a', 'b'] } as Param] };
  t.equal(gridSize(space), 5);
  const first = grid.suggest({ space, trials: [], number: 0, seed: 1 }).config.m as SimplexValue;
  const reordered = { b: first.b!, a: first.a! };
  const next = grid.suggest({ space, trials: [{ number: 0, config: { m: reordered }, state: 'complete', value: 0 }], number: 1, seed: 1 });
  t.notSame(next.config.m, first);
  t.same(next.config, grid.suggest({ space, trials: [], number: 1, seed: 1 }).config);
});

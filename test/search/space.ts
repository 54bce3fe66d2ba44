import t from 'tap';
import { Rng } from '../../src/search/rng.js';
import {
  betaCdf,
  betaQuantile,
  configFromUnit,
  configToUnit,
  dimsOf,
  isActive,
  isLegal,
  normalCdf,
  normalQuantile,
  samplePrior,
  simplexToSticks,
  snapNumeric,
  sticksToSimplex,
} from '../../src/search/space.js';
import type { FloatParam, IntParam, Param, SimplexParam, SimplexValue, Space } from '../../src/search/types.js';

const lr: FloatParam = { name: 'lr', path: 'params.yaml:lr', type: 'float', low: 1e-5, high: 1e-1, log: true };
const dropout: FloatParam = { name: 'dropout', path: 'params.yaml:dropout', type: 'float', low: 0, high: 0.5, log: false, step: 0.1 };
const layers: IntParam = { name: 'layers', path: 'params.yaml:layers', type: 'int', low: 2, high: 12, log: false, step: 2 };
const width: IntParam = { name: 'width', path: 'params.yaml:width', type: 'int', low: 16, high: 1024, log: true, step: 1 };
const opt: Param = { name: 'opt', path: 'params.yaml:opt', type: 'categorical', choices: ['sgd', 'adam', 'lion'], weights: [0.2, 0.5, 0.3] };
const momentum: FloatParam = { name: 'momentum', path: 'params.yaml:momentum', type: 'float', low: 0.5, high: 0.99, log: false, when: { opt: ['sgd'] } };
const mix: SimplexParam = { name: 'mix', path: 'data.yaml:mix', type: 'simplex', over: ['web', 'books', 'code'], dirichlet: [4, 1, 1] };
const everyKind: Space = { params: [lr, dropout, layers, width, opt, momentum, mix] };

t.test('sticks round trip: simplexToSticks after sticksToSimplex is the identity', async (t) => {
  const p: SimplexParam = { name: 'm', path: 'd.yaml:m', type: 'simplex', over: ['a', 'b', 'c', 'd', 'e'] };
  const rng = new Rng(11);
  for (let round = 0; round < 500; round++) {
    const sticks = [0, 1, 2, 3].map(() => rng.uniform());
    const w = sticksToSimplex(p, sticks);
    const sum = Object.values(w).reduce((s, x) => s + x, 0);
    t.ok(Math.abs(sum - 1) < 1e-12, 'weights sum to 1');
    const back = simplexToSticks(p, w);
    for (let i = 0; i < sticks.length; i++) {
      if (Math.abs(back[i]! - sticks[i]!) > 1e-9) t.fail(`stick ${i}: ${back[i]} vs ${sticks[i]}`);
    }
  }
});

t.test('configFromUnit gives legal values for random unit points over every kind of parameter', async (t) => {
  const dims = dimsOf(everyKind);
  t.equal(dims.length, 6 + 2, 'one dim per scalar parameter, k-1 per simplex');
  const rng = new Rng(3);
  let illegal = 0;
  for (const withPrior of [false, true]) {
    for (let round = 0; round < 2000; round++) {
      const u = dims.map(() => rng.uniform());
      const config = configFromUnit(everyKind, u, withPrior);
      for (const p of everyKind.params) {
        if (!isActive(p, config)) continue;
        if (!(p.name in config) || !isLegal(p, config[p.name]!)) illegal++;
      }
    }
  }
  t.equal(illegal, 0);
  // The corners too: u = 0 and u just below 1.
  for (const edge of [0, 1 - 1e-16, 1]) {
    const config = configFromUnit(everyKind, dims.map(() => edge));
    for (const p of everyKind.params) if (p.name in config) t.ok(isLegal(p, config[p.name]!), `${p.name} at u=${edge}: ${JSON.stringify(config[p.name])}`);
  }
});

t.test('a parameter whose condition fails is absent from the configuration', async (t) => {
  const dims = dimsOf(everyKind);
  const optIndex = 4;
  const u = dims.map(() => 0.5);
  u[optIndex] = 0.01; // sgd (first choice) without the prior
  t.equal(configFromUnit(everyKind, u).opt, 'sgd');
  t.ok('momentum' in configFromUnit(everyKind, u));
  u[optIndex] = 0.9;
  const c = configFromUnit(everyKind, u);
  t.equal(c.opt, 'lion');
  t.notOk('momentum' in c);
  t.equal(configToUnit(everyKind, c)[5], undefined, 'the inactive dimension has no unit coordinate');
  // Through the prior too.
  const rng = new Rng(5);
  for (let i = 0; i < 200; i++) {
    const draw = samplePrior(everyKind, rng);
    t.equal('momentum' in draw, draw.opt === 'sgd');
  }
});

t.test('samplePrior: simplex weights sum to 1 and their mean is the Dirichlet mean for [4, 1, 1]', async (t) => {
  const rng = new Rng(2024);
  const space: Space = { params: [mix] };
  const n = 20000;
  const total = { web: 0, books: 0, code: 0 };
  for (let i = 0; i < n; i++) {
    const w = samplePrior(space, rng).mix as SimplexValue;
    const sum = w.web! + w.books! + w.code!;
    if (Math.abs(sum - 1) > 1e-12) t.fail(`sum ${sum}`);
    total.web += w.web!;
    total.books += w.books!;
    total.code += w.code!;
  }
  t.ok(Math.abs(total.web / n - 4 / 6) < 0.01, `web ${total.web / n}`);
  t.ok(Math.abs(total.books / n - 1 / 6) < 0.01, `books ${total.books / n}`);
  t.ok(Math.abs(total.code / n - 1 / 6) < 0.01, `code ${total.code / n}`);
});

t.test('a normal prior on a log parameter is centred on ln(mean): the geometric mean is the prior mean', async (t) => {
  const p: FloatParam = { name: 'lr', path: 'p.yaml:lr', type: 'float', low: 1e-8, high: 1, log: true, prior: { kind: 'normal', mean: 0.001, sd: 1 } };
  const rng = new Rng(9);
  const n = 20000;
  let sumLog = 0;
  let sumSq = 0;
  for (let i = 0; i < n; i++) {
    const x = samplePrior({ params: [p] }, rng).lr as number;
    sumLog += Math.log(x);
    sumSq += (Math.log(x) - Math.log(0.001)) ** 2;
  }
  const geo = Math.exp(sumLog / n);
  t.ok(Math.abs(Math.log(geo / 0.001)) < 0.03, `geometric mean ${geo}`);
  t.ok(Math.abs(Math.sqrt(sumSq / n) - 1) < 0.03, 'sd in natural-log units');
});

t.test('priors are truncated to the bounds', async (t) => {
  // A prior mostly outside the range: every draw still lands inside it.
  const p: FloatParam = { name: 'x', path: 'p.yaml:x', type: 'float', low: 0, high: 1, log: false, prior: { kind: 'normal', mean: 1.5, sd: 0.5 } };
  const q: IntParam = { name: 'k', path: 'p.yaml:k', type: 'int', low: 1, high: 8, log: true, step: 1, prior: { kind: 'lognormal', mu: 3, sigma: 0.5 } };
  const rng = new Rng(1);
  let above = 0;
  for (let i = 0; i < 5000; i++) {
    const c = samplePrior({ params: [p, q] }, rng);
    const x = c.x as number;
    const k = c.k as number;
    if (!isLegal(p, x) || !isLegal(q, k)) t.fail(`illegal ${x} ${k}`);
    if (x > 0.5) above++;
  }
  t.ok(above / 5000 > 0.75, 'the density still leans toward the prior mean');
  // Through the unit cube with the prior, the extremes map to the bounds.
  const bottom = configFromUnit({ params: [p] }, [0], true).x as number;
  const top = configFromUnit({ params: [p] }, [1], true).x as number;
  t.ok(bottom >= 0 && bottom < 1e-6, `u=0 -> ${bottom}`);
  t.ok(top <= 1 && top > 1 - 1e-6, `u=1 -> ${top}`);
});

t.test('betaQuantile inverts betaCdf', async (t) => {
  for (const [a, b] of [
    [0.5, 0.5],
    [2, 3],
    [4, 2],
    [1, 5],
    [3, 1],
    [1, 1],
    [0.7, 2.5],
  ] as const) {
    for (const p of [0.001, 0.05, 0.3, 0.5, 0.77, 0.99, 0.999]) {
      const x = betaQuantile(p, a, b);
      t.ok(x >= 0 && x <= 1);
      if (Math.abs(betaCdf(x, a, b) - p) > 1e-9) t.fail(`Beta(${a},${b}) p=${p}: cdf(q)=${betaCdf(x, a, b)}`);
    }
  }
  // A known value: the median of Beta(2, 2) is 1/2; I_{0.25}(2, 3) = 0.26171875.
  t.ok(Math.abs(betaQuantile(0.5, 2, 2) - 0.5) < 1e-12);
  t.ok(Math.abs(betaCdf(0.25, 2, 3) - 0.26171875) < 1e-12);
});

t.test('normalQuantile inverts normalCdf', async (t) => {
  for (const p of [1e-6, 0.001, 0.02, 0.1, 0.5, 0.8, 0.975, 0.999]) {
    const z = normalQuantile(p);
    t.ok(Math.abs(normalCdf(z) - p) < 1e-6 * Math.max(p, 1e-3), `p=${p}: cdf(q)=${normalCdf(z)}`);
  }
  t.ok(Math.abs(normalQuantile(0.975) - 1.959963984540054) < 1e-8);
  t.ok(Math.abs(normalCdf(1.959963984540054) - 0.975) < 1e-7);
  t.equal(normalQuantile(0), -Infinity);
  t.equal(normalQuantile(1), Infinity);
});

t.test('snapNumeric: ints with a step land on the lattice, float steps keep short decimals', async (t) => {
  // layers: 2, 4, ..., 12
  t.equal(snapNumeric(layers, 5.2), 6);
  t.equal(snapNumeric(layers, 4.9), 4);
  t.equal(snapNumeric(layers, 12.9), 12);
  t.equal(snapNumeric(layers, 1.1), 2);
  t.equal(snapNumeric(layers, -3), 2);
  const odd: IntParam = { name: 'o', path: 'p.yaml:o', type: 'int', low: 1, high: 10, log: false, step: 3 }; // 1, 4, 7, 10
  t.same([0.6, 2.4, 2.6, 8.4, 9.5, 11].map((x) => snapNumeric(odd, x)), [1, 1, 4, 7, 10, 10]);
  const ragged: IntParam = { name: 'r', path: 'p.yaml:r', type: 'int', low: 0, high: 10, log: false, step: 4 }; // 0, 4, 8
  t.equal(snapNumeric(ragged, 10.4), 8, 'never above high, never off the lattice');
  // Float steps: multiples of 0.1 without binary noise.
  const seen = new Set<number>();
  for (let i = 0; i <= 100; i++) seen.add(snapNumeric(dropout, i * 0.005));
  t.same([...seen].sort(), [0, 0.1, 0.2, 0.3, 0.4, 0.5]);
  t.equal(snapNumeric(dropout, 0.29), 0.3);
  t.not(snapNumeric(dropout, 0.29), 0.30000000000000004);
  t.equal(snapNumeric(dropout, 0.7), 0.5);
  // Log ints snap in linear units.
  t.equal(snapNumeric(width, Math.log(100.4)), 100);
  t.equal(snapNumeric(width, Math.log(2000)), 1024);
});

t.test('configToUnit inverts configFromUnit for floats', async (t) => {
  const space: Space = {
    params: [
      lr,
      { name: 'wd', path: 'p.yaml:wd', type: 'float', low: -2, high: 3, log: false },
    ],
  };
  const rng = new Rng(77);
  for (let i = 0; i < 500; i++) {
    const u = [rng.uniform(), rng.uniform()];
    const back = configToUnit(space, configFromUnit(space, u));
    if (Math.abs(back[0]! - u[0]!) > 1e-9 || Math.abs(back[1]! - u[1]!) > 1e-9) t.fail(`${u} -> ${back}`);
  }
  // And a config is a fixed point of the round trip through the unit cube.
  const config = { lr: 0.003, wd: 0.25 };
  const again = configFromUnit(space, configToUnit(space, config) as number[]);
  t.ok(Math.abs((again.lr as number) - 0.003) < 1e-12 && Math.abs((again.wd as number) - 0.25) < 1e-12);
});

t.test('configToUnit inverts configFromUnit for simplex weights and keeps categories in their cells', async (t) => {
  const space: Space = { params: [{ ...mix, dirichlet: undefined }, opt] };
  const rng = new Rng(8);
  for (let i = 0; i < 200; i++) {
    const u = [rng.uniform(), rng.uniform(), rng.uniform()];
    const config = configFromUnit(space, u);
    const back = configToUnit(space, config);
    if (Math.abs(back[0]! - u[0]!) > 1e-6 || Math.abs(back[1]! - u[1]!) > 1e-6) t.fail(`sticks ${u} -> ${back}`);
    t.equal(Math.floor(back[2]! * 3), Math.floor(u[2]! * 3));
  }
});

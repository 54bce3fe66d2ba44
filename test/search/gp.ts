import t from 'tap';
import { cholesky, choleskyInverse, choleskyLogDet, choleskySolve, solveLower, solveUpperT } from '../../src/search/linalg.js';
import { gp, gpOptions } from '../../src/search/gp.js';
import { GpPosterior, normalCdfPrecise, normalPdf, standardLogEI, unitLogPrior } from '../../src/search/gp-acquisition.js';
import { logMarginalLikelihood, paramsToRaw, trainingSet } from '../../src/search/gp-kernel.js';
import { warpLosses, yeoJohnson } from '../../src/search/gp-warp.js';
import { lbfgsMinimise } from '../../src/search/lbfgs.js';
import { auto, autoDelegate } from '../../src/search/auto.js';
import { samplerSetFor } from '../../src/search/samplers.js';
import { betaCdf, configToUnit, dimsOf, isLegal, normalCdf, samplePrior } from '../../src/search/space.js';
import { Rng, streamFor } from '../../src/search/rng.js';
import type { Config, Space, Trial } from '../../src/search/types.js';

const floatParam = (name: string, low: number, high: number, extra: object = {}) => ({ name, path: `p.yaml:${name}`, type: 'float' as const, low, high, log: false, ...extra });

const braninSpace: Space = { params: [floatParam('x1', -5, 10), floatParam('x2', 0, 15)] };
function branin(c: Config): number {
  const x1 = c.x1 as number;
  const x2 = c.x2 as number;
  const b = 5.1 / (4 * Math.PI * Math.PI);
  return (x2 - b * x1 * x1 + (5 / Math.PI) * x1 - 6) ** 2 + 10 * (1 - 1 / (8 * Math.PI)) * Math.cos(x1) + 10;
}
const quadSpace: Space = { params: [floatParam('a', -5, 5), floatParam('b', -5, 5)] };
const quadratic = (c: Config) => ((c.a as number) - 1) ** 2 + ((c.b as number) + 2) ** 2;

/** Runs a sampler for `budget` sequential trials; returns the trials and the best loss. */
function optimise(space: Space, f: (c: Config) => number, seed: number, budget: number, options?: Record<string, unknown>) {
  const trials: Trial[] = [];
  const suggestions = [];
  let best = Infinity;
  for (let n = 0; n < budget; n++) {
    const s = gp.suggest({ space, trials, number: n, seed, ...(options ? { options } : {}) });
    suggestions.push(s);
    const value = f(s.config);
    best = Math.min(best, value);
    trials.push({ number: n, config: s.config, state: 'complete', value });
  }
  return { trials, suggestions, best };
}

function randomBest(space: Space, f: (c: Config) => number, seed: number, budget: number): number {
  let best = Infinity;
  for (let n = 0; n < budget; n++) best = Math.min(best, f(samplePrior(space, streamFor(seed, n, 'random-baseline'))));
  return best;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

t.test('Cholesky of a known SPD matrix, the solves, the inverse and the log determinant', async (t) => {
  const a = Float64Array.from([4, 12, -16, 12, 37, -43, -16, -43, 98]);
  const l = cholesky(a, 3)!;
  t.same(Array.from(l), [2, 0, 0, 6, 1, 0, -8, 5, 3]);
  // A x = b with x = (1, -2, 3): b = A x.
  const b = [4 * 1 + 12 * -2 + -16 * 3, 12 * 1 + 37 * -2 + -43 * 3, -16 * 1 + -43 * -2 + 98 * 3];
  const x = choleskySolve(l, 3, b);
  [1, -2, 3].forEach((v, i) => t.ok(Math.abs(x[i]! - v) < 1e-12, `x[${i}]`));
  // L y = c and Lᵀ z = c by hand: L = [[2,0,0],[6,1,0],[-8,5,3]].
  t.same(Array.from(solveLower(l, 3, [2, 7, 0])), [1, 1, 1]);
  t.same(Array.from(solveUpperT(l, 3, [0, 6, 3])), [1, 1, 1]);
  const inv = choleskyInverse(l, 3);
  for (let i = 0; i < 3; i++)
    for (let j = 0; j < 3; j++) {
      let s = 0;
      for (let k = 0; k < 3; k++) s += a[i * 3 + k]! * inv[k * 3 + j]!;
      t.ok(Math.abs(s - (i === j ? 1 : 0)) < 1e-10, `(A A⁻¹)[${i}][${j}]`);
    }
  t.ok(Math.abs(choleskyLogDet(l, 3) - 2 * Math.log(6)) < 1e-12);
  t.equal(cholesky(Float64Array.from([1, 2, 2, 1]), 2), undefined, 'indefinite');
  t.equal(cholesky(Float64Array.from([1, 1, 1, 1]), 2), undefined, 'singular');
});

t.test('the log marginal likelihood of one point is the normal density', async (t) => {
  const ts = trainingSet([[0.3, 0.7]], [1.5]);
  const raw = paramsToRaw({ inverseSquaredLengthscales: [2, 3], scale: 0.8, noise: 0.05 });
  const v = 0.8 + 0.05;
  const expected = -0.5 * (1.5 * 1.5) / v - 0.5 * Math.log(v) - 0.5 * Math.log(2 * Math.PI);
  t.ok(Math.abs(logMarginalLikelihood(ts, raw, false).value - expected) < 1e-12);
});

t.test('the log marginal likelihood gradient matches central finite differences', async (t) => {
  const rng = new Rng(42);
  const n = 12;
  const d = 3;
  const points = Array.from({ length: n }, () => Array.from({ length: d }, () => rng.uniform()));
  const values = points.map((p) => Math.sin(5 * p[0]!) + p[1]! * p[1]! - p[2]! + 0.1 * rng.normal());
  const ts = trainingSet(points, values);
  for (const withPrior of [false, true]) {
    for (const params of [
      { inverseSquaredLengthscales: [1, 1, 1], scale: 1, noise: 1 },
      { inverseSquaredLengthscales: [4, 0.5, 9], scale: 2.5, noise: 0.01 },
    ]) {
      const raw = paramsToRaw(params);
      const { grad } = logMarginalLikelihood(ts, raw, withPrior);
      for (let i = 0; i < raw.length; i++) {
        const h = 1e-5;
        const up = Float64Array.from(raw);
        const down = Float64Array.from(raw);
        up[i] = up[i]! + h;
        down[i] = down[i]! - h;
        const fd = (logMarginalLikelihood(ts, up, withPrior).value - logMarginalLikelihood(ts, down, withPrior).value) / (2 * h);
        t.ok(Math.abs(fd - grad[i]!) < 1e-5 * Math.max(1, Math.abs(fd)), `prior=${withPrior} θ${i}: analytic ${grad[i]} vs ${fd}`);
      }
    }
  }
});

t.test('the logEI gradient in the unit cube matches finite differences', async (t) => {
  const rng = new Rng(7);
  const points = Array.from({ length: 9 }, () => [rng.uniform(), rng.uniform()]);
  const values = points.map((p) => (p[0]! - 0.4) ** 2 + (p[1]! - 0.6) ** 2);
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const ys = values.map((v) => (v - mean) * 10);
  const post = new GpPosterior(trainingSet(points, ys), { inverseSquaredLengthscales: [6, 3], scale: 1.3, noise: 1e-4 }, Math.min(...ys));
  for (const u of [
    [0.2, 0.8],
    [0.5, 0.5],
    [0.9, 0.1],
  ]) {
    const { grad } = post.logEI(u, true);
    for (let j = 0; j < 2; j++) {
      const h = 1e-6;
      const up = [...u];
      const down = [...u];
      up[j]! += h;
      down[j]! -= h;
      const fd = (post.logEI(up).value - post.logEI(down).value) / (2 * h);
      t.ok(Math.abs(fd - grad![j]!) < 1e-4 * Math.max(1, Math.abs(fd)), `u=${u} j=${j}: ${grad![j]} vs ${fd}`);
    }
  }
});

t.test('the precise normal CDF against reference values', async (t) => {
  for (const [z, p] of [
    [-1, 0.15865525393145707],
    [-3, 0.0013498980316301035],
    [-10, 7.619853024160527e-24],
    [0.5, 0.6914624612740131],
    [2.4, 0.9918024640754038],
    [4, 0.9999683287581669],
  ] as const)
    t.ok(Math.abs(normalCdfPrecise(z) - p) < 1e-14 * Math.max(1e-10, p) + 1e-16, `Φ(${z}) = ${normalCdfPrecise(z)}`);
});

t.test('logEI equals log(EI) by quadrature where EI is not tiny, and stays finite where EI underflows', async (t) => {
  // EI(z) = ∫ max(0, z + x) φ(x) dx by Simpson's rule over [-z, 12].
  const quadratureEI = (z: number) => {
    const lo = -z;
    const hi = 12;
    const m = 20000;
    const h = (hi - lo) / m;
    let s = 0;
    for (let i = 0; i <= m; i++) {
      const x = lo + i * h;
      s += (i === 0 || i === m ? 1 : i % 2 ? 4 : 2) * (z + x) * normalPdf(x);
    }
    return (s * h) / 3;
  };
  for (const z of [-6, -4, -2.6, -2.5, -2.4, -1, 0, 0.7, 2, 4]) {
    const exact = Math.log(quadratureEI(z));
    t.ok(Math.abs(standardLogEI(z).value - exact) < 1e-8, `z=${z}: ${standardLogEI(z).value} vs ${exact}`);
    const h = 1e-6;
    const fd = (standardLogEI(z + h).value - standardLogEI(z - h).value) / (2 * h);
    t.ok(Math.abs(fd - standardLogEI(z).dz) < 1e-5 * Math.max(1, Math.abs(fd)), `d/dz at ${z}`);
  }
  for (const z of [-40, -1e3, -1e8]) {
    const naive = Math.log(normalPdf(z) + z * normalCdfPrecise(z));
    t.equal(naive, -Infinity, `naive log EI underflows at ${z}`);
    const v = standardLogEI(z).value;
    // Asymptotically EI(z) ~ φ(z) / z², with relative error about 3 / z².
    const asymptotic = -0.5 * z * z - 0.5 * Math.log(2 * Math.PI) - 2 * Math.log(-z);
    t.ok(Number.isFinite(v) && Math.abs(v - asymptotic) < 4 / (z * z) + 1e-12 * Math.abs(asymptotic), `z=${z}: ${v} vs ${asymptotic}`);
  }
});

t.test('the prior on the unit cube: log density ratios and gradient', async (t) => {
  const space: Space = {
    params: [
      floatParam('lr', 1e-4, 1, { log: true, prior: { kind: 'normal', mean: 1e-2, sd: 1 } }),
      floatParam('flat', 0, 1),
      { name: 'mix', path: 'data.yaml:mix', type: 'simplex', over: ['a', 'b', 'c'], dirichlet: [6, 2, 1] },
    ],
  };
  const dims = dimsOf(space);
  const lp = unitLogPrior(dims)!;
  t.equal(unitLogPrior(dimsOf(quadSpace)), undefined, 'no prior, no term');
  // The density of u under the prior, from the prior's CDF through the unit encoding.
  const lrDim = dims[0]! as Extract<(typeof dims)[0], { kind: 'numeric' }>;
  const cdfs: ((u: number) => number)[] = [
    (u) => normalCdf((lrDim.low + u * (lrDim.high - lrDim.low) - lrDim.prior!.mu) / lrDim.prior!.sigma),
    (u) => u,
    (u) => betaCdf(1 - Math.pow(1 - u, 1 / 2), 6, 3),
    (u) => betaCdf(u, 2, 1),
  ];
  const density = (u: number[]) => cdfs.reduce((s, cdf, j) => s + Math.log((cdf(u[j]! + 1e-6) - cdf(u[j]! - 1e-6)) / 2e-6), 0);
  const u1 = [0.3, 0.5, 0.4, 0.7];
  const u2 = [0.8, 0.1, 0.2, 0.3];
  t.ok(Math.abs(lp(u1) - lp(u2) - (density(u1) - density(u2))) < 1e-4, `${lp(u1) - lp(u2)} vs ${density(u1) - density(u2)}`);
  const grad = new Float64Array(4);
  lp(u1, grad);
  for (let j = 0; j < 4; j++) {
    const up = [...u1];
    const down = [...u1];
    up[j]! += 1e-6;
    down[j]! -= 1e-6;
    t.ok(Math.abs((lp(up) - lp(down)) / 2e-6 - grad[j]!) < 1e-4, `d/du${j}`);
  }
});

t.test('Yeo-Johnson warping keeps the order, standardises, and tames a heavy tail', async (t) => {
  t.ok(Math.abs(yeoJohnson(1, 0) - Math.log(2)) < 1e-15);
  t.equal(yeoJohnson(3, 0.5), 2);
  t.ok(Math.abs(yeoJohnson(-1, 2) + Math.log(2)) < 1e-15);
  t.equal(yeoJohnson(-3, 1.5), -2);
  t.ok(Math.abs(yeoJohnson(2, 1e-6) - Math.log(3)) < 1e-5, 'continuous at λ = 0');
  t.equal(yeoJohnson(2.5, 1), 2.5, 'λ = 1 is the identity');
  const rng = new Rng(3);
  const normal = Array.from({ length: 200 }, () => rng.normal());
  const heavy = Array.from({ length: 60 }, () => Math.exp(2.5 * rng.normal()));
  t.ok(Math.abs(warpLosses(normal).lambda - 1) < 0.3, `normal data: λ ${warpLosses(normal).lambda}`);
  const w = warpLosses(heavy);
  t.ok(w.lambda < 0.5, `heavy right tail: λ ${w.lambda}`);
  const mean = w.values.reduce((a, b) => a + b, 0) / w.values.length;
  const sd = Math.sqrt(w.values.reduce((a, b) => a + (b - mean) ** 2, 0) / w.values.length);
  t.ok(Math.abs(mean) < 1e-12 && Math.abs(sd - 1) < 1e-12);
  const order = heavy.map((_, i) => i).sort((a, b) => heavy[a]! - heavy[b]!);
  t.ok(order.every((i, k) => k === 0 || w.values[order[k - 1]!]! < w.values[i]!), 'order kept');
  t.same(warpLosses([2, 2, 2]).values, [0, 0, 0], 'constant losses');
});

t.test('L-BFGS finds the Rosenbrock minimum, and respects a box', async (t) => {
  const rosen = (x: Float64Array) => ({
    value: (1 - x[0]!) ** 2 + 100 * (x[1]! - x[0]! ** 2) ** 2,
    grad: [-2 * (1 - x[0]!) - 400 * x[0]! * (x[1]! - x[0]! ** 2), 200 * (x[1]! - x[0]! ** 2)],
  });
  const r = lbfgsMinimise(rosen, [-1.2, 1], { maxIterations: 500, gtol: 1e-8 });
  t.ok(Math.abs(r.x[0]! - 1) < 1e-5 && Math.abs(r.x[1]! - 1) < 1e-5, `at ${Array.from(r.x)}`);
  const boxed = lbfgsMinimise((x) => ({ value: (x[0]! - 2) ** 2 + (x[1]! - 0.3) ** 2, grad: [2 * (x[0]! - 2), 2 * (x[1]! - 0.3)] }), [0.5, 0.5], { box: { lo: 0, hi: 1 } });
  t.ok(boxed.x[0] === 1 && Math.abs(boxed.x[1]! - 0.3) < 1e-6, `at ${Array.from(boxed.x)}`);
});

t.test('start-up suggestions are prior draws; then the GP reports its kernel and candidates', async (t) => {
  const { suggestions } = optimise(quadSpace, quadratic, 5, 12);
  for (let n = 0; n < 10; n++) {
    t.equal(suggestions[n]!.details.phase, 'startup');
    t.same(suggestions[n]!.config, samplePrior(quadSpace, streamFor(5, n, 'gp/startup')));
  }
  const s = suggestions[10]!;
  t.equal(s.sampler, 'gp');
  t.equal(s.details.phase, 'gp');
  const kernel = s.details.kernel as { lengthscales: number[]; scale: number; noise: number };
  t.equal(kernel.lengthscales.length, 2);
  t.ok(kernel.scale > 0 && kernel.noise >= 1e-6);
  const top = s.details.top as { unit: number[]; logEI: number; acquisition: number }[];
  t.ok(top.length >= 5 && top.length <= 10);
  t.equal(s.details.bestAcquisition, top[0]!.acquisition);
  for (let i = 1; i < top.length; i++) t.ok(top[i - 1]!.acquisition >= top[i]!.acquisition, 'sorted');
  t.same(configToUnit(quadSpace, s.config), top[0]!.unit, 'the chosen point is the best candidate');
  t.equal(s.details.priorWeight, 0, 'no prior declared');
  t.doesNotThrow(() => JSON.stringify(s.details));
});

t.test('deterministic for a seed; another seed gives another suggestion', async (t) => {
  const a = optimise(braninSpace, branin, 3, 13);
  const b = optimise(braninSpace, branin, 3, 13);
  t.same(a.suggestions, b.suggestions);
  const other = gp.suggest({ space: braninSpace, trials: a.trials.slice(0, 12), number: 12, seed: 4 });
  t.not(JSON.stringify(other.config), JSON.stringify(a.suggestions[12]!.config));
});

t.test('the GP concentrates near the optimum of a 2-d quadratic and of Branin within 40 trials', async (t) => {
  for (const [name, space, f, optimum] of [
    ['quadratic', quadSpace, quadratic, 0],
    ['branin', braninSpace, branin, 0.397887],
  ] as const) {
    const gpBest: number[] = [];
    const randBest: number[] = [];
    for (const seed of [1, 2, 3]) {
      gpBest.push(optimise(space, f, seed, 40).best);
      randBest.push(randomBest(space, f, seed, 40));
    }
    t.ok(median(gpBest) < 0.6, `${name}: gp median ${median(gpBest)}`);
    t.ok(median(gpBest) < median(randBest), `${name}: gp ${median(gpBest)} < random ${median(randBest)}`);
    t.ok(median(gpBest) - optimum < 0.05, `${name}: within 0.05 of the optimum (${median(gpBest)})`);
  }
});

t.test('a prior moves the first post-start-up suggestions toward its mean (πBO)', async (t) => {
  // The same ten start-up trials for both spaces, so only the prior differs.
  const startup: Trial[] = [];
  for (let n = 0; n < 10; n++) {
    const config = samplePrior(quadSpace, streamFor(9, n, 'fixed-startup'));
    startup.push({ number: n, config, state: 'complete', value: quadratic(config) });
  }
  const priorSpace: Space = {
    params: [floatParam('a', -5, 5, { prior: { kind: 'normal', mean: -3.5, sd: 0.7 } }), floatParam('b', -5, 5, { prior: { kind: 'normal', mean: 3.5, sd: 0.7 } })],
  };
  const distance = (c: Config) => Math.hypot((c.a as number) + 3.5, (c.b as number) - 3.5);
  for (const seed of [1, 2, 3]) {
    let withPrior = 0;
    let without = 0;
    const trialsP = [...startup];
    const trialsU = [...startup];
    for (let n = 10; n < 13; n++) {
      const p = gp.suggest({ space: priorSpace, trials: trialsP, number: n, seed });
      const u = gp.suggest({ space: quadSpace, trials: trialsU, number: n, seed });
      if (n === 10) {
        t.equal(p.details.priorWeight, 10 / 10, 'beta / completed trials');
        t.same(p.details.prior, { beta: 10, weight: 1 });
      }
      withPrior += distance(p.config);
      without += distance(u.config);
      trialsP.push({ number: n, config: p.config, state: 'complete', value: quadratic(p.config) });
      trialsU.push({ number: n, config: u.config, state: 'complete', value: quadratic(u.config) });
    }
    t.ok(withPrior < without - 1, `seed ${seed}: mean distance to the prior mean ${withPrior / 3} with, ${without / 3} without`);
  }
  // priorBeta 0 switches the prior off in the acquisition.
  const off = gp.suggest({ space: priorSpace, trials: startup, number: 10, seed: 1, options: { priorBeta: 0 } });
  const plain = gp.suggest({ space: quadSpace, trials: startup, number: 10, seed: 1 });
  t.equal(off.details.priorWeight, 0);
  t.ok(distance(off.config) > distance(gp.suggest({ space: priorSpace, trials: startup, number: 10, seed: 1 }).config));
  t.ok(Math.abs(distance(off.config) - distance(plain.config)) < 1.5, 'without the weight it behaves like no prior');
});

t.test('int parameters come out as legal integers', async (t) => {
  const space: Space = {
    params: [
      { name: 'units', path: 'p.yaml:units', type: 'int', low: 1, high: 512, log: true, step: 1 },
      { name: 'layers', path: 'p.yaml:layers', type: 'int', low: 2, high: 12, log: false, step: 2 },
      floatParam('lr', 0, 1),
    ],
  };
  const f = (c: Config) => (Math.log(c.units as number) - Math.log(64)) ** 2 + ((c.layers as number) - 6) ** 2 / 10 + ((c.lr as number) - 0.3) ** 2;
  const { suggestions } = optimise(space, f, 2, 18);
  for (const s of suggestions.slice(10)) {
    t.ok(Number.isInteger(s.config.units) && Number.isInteger(s.config.layers), JSON.stringify(s.config));
    for (const p of space.params) t.ok(isLegal(p, s.config[p.name]!), `${p.name}=${s.config[p.name]}`);
  }
});

t.test('a running trial is a constant liar: the next suggestion moves away from it', async (t) => {
  const { trials } = optimise(quadSpace, quadratic, 6, 12);
  const next = gp.suggest({ space: quadSpace, trials, number: 12, seed: 6 });
  const running: Trial = { number: 12, config: next.config, state: 'running' };
  const after = gp.suggest({ space: quadSpace, trials: [...trials, running], number: 13, seed: 6 });
  const alone = gp.suggest({ space: quadSpace, trials, number: 13, seed: 6 });
  t.not(JSON.stringify(after.config), JSON.stringify(alone.config));
  const liars = after.details.liars as { count: number; trials: number[]; value: number };
  t.equal(liars.count, 1);
  t.same(liars.trials, [12]);
  t.equal(liars.value, Math.max(...trials.map((x) => x.value!)));
  const u0 = configToUnit(quadSpace, next.config) as number[];
  const u1 = configToUnit(quadSpace, after.config) as number[];
  t.ok(Math.hypot(u0[0]! - u1[0]!, u0[1]! - u1[1]!) > 0.01, 'not on top of the pending point');
});

t.test('failed and pruned trials are ignored', async (t) => {
  const { trials } = optimise(quadSpace, quadratic, 8, 11);
  const base = gp.suggest({ space: quadSpace, trials, number: 11, seed: 8 });
  const noisy: Trial[] = [
    ...trials,
    { number: 11, config: { a: 0, b: 0 }, state: 'failed' },
    { number: 12, config: { a: 1, b: 1 }, state: 'pruned', value: 100 },
  ];
  t.same(gp.suggest({ space: quadSpace, trials: noisy, number: 11, seed: 8 }), base);
});

t.test('options are validated; categorical and conditional spaces are refused', async (t) => {
  t.same(gpOptions(undefined), { nStartupTrials: 10, nCandidates: 2048, priorBeta: 10 });
  t.same(gpOptions({ nStartupTrials: 3, nCandidates: 64, priorBeta: 2.5 }), { nStartupTrials: 3, nCandidates: 64, priorBeta: 2.5 });
  t.throws(() => gpOptions({ nStartup: 3 }), { name: 'TypeError', message: /nStartup/ });
  t.throws(() => gpOptions({ nCandidates: 0 }), { name: 'TypeError', message: /nCandidates/ });
  t.throws(() => gpOptions({ nStartupTrials: 2.5 }), { name: 'TypeError', message: /nStartupTrials/ });
  t.throws(() => gpOptions({ priorBeta: -1 }), { name: 'TypeError', message: /priorBeta/ });
  t.throws(() => gp.suggest({ space: quadSpace, trials: [], number: 0, seed: 1, options: { bogus: 1 } }), { name: 'TypeError', message: /bogus/ });
  const few = optimise(quadSpace, quadratic, 1, 4, { nStartupTrials: 3, nCandidates: 64 });
  t.equal(few.suggestions[2]!.details.phase, 'startup');
  t.equal(few.suggestions[3]!.details.phase, 'gp');
  const categorical: Space = { params: [floatParam('a', 0, 1), { name: 'opt', path: 'p.yaml:opt', type: 'categorical', choices: ['sgd', 'adam'] }] };
  t.throws(() => gp.suggest({ space: categorical, trials: [], number: 0, seed: 1 }), { name: 'TypeError', message: /opt/ });
  const conditional: Space = { params: [floatParam('a', 0, 1), floatParam('b', 0, 1, { when: { a: [0.5] } })] };
  t.throws(() => gp.suggest({ space: conditional, trials: [], number: 0, seed: 1 }), { name: 'TypeError', message: /'b'/ });
});

t.test('a simplex is modelled through its stick coordinates', async (t) => {
  const space: Space = { params: [{ name: 'mix', path: 'data.yaml:mix', type: 'simplex', over: ['a', 'b', 'c'] }, floatParam('x', 0, 1)] };
  const f = (c: Config) => {
    const m = c.mix as Record<string, number>;
    return (m.a! - 0.6) ** 2 + (m.b! - 0.3) ** 2 + ((c.x as number) - 0.5) ** 2;
  };
  const { suggestions } = optimise(space, f, 4, 14);
  for (const s of suggestions) for (const p of space.params) t.ok(isLegal(p, s.config[p.name]!), JSON.stringify(s.config));
});

t.test('auto: GP for unconditional numeric spaces, TPE otherwise', async (t) => {
  t.same(autoDelegate(braninSpace).delegate, 'gp');
  const ints: Space = { params: [{ name: 'k', path: 'p.yaml:k', type: 'int', low: 1, high: 9, log: false, step: 1 }, floatParam('lr', 1e-4, 1, { log: true })] };
  t.equal(autoDelegate(ints).delegate, 'gp');
  const categorical: Space = { params: [floatParam('a', 0, 1), { name: 'opt', path: 'p.yaml:opt', type: 'categorical', choices: ['sgd', 'adam'] }] };
  const conditional: Space = { params: [floatParam('a', 0, 1), floatParam('b', 0, 1, { when: { a: [0.5] } })] };
  const simplex: Space = { params: [{ name: 'mix', path: 'data.yaml:mix', type: 'simplex', over: ['a', 'b'] }] };
  for (const space of [categorical, conditional, simplex]) {
    const s = auto.suggest({ space, trials: [], number: 0, seed: 1 });
    t.equal(s.details.delegate, 'tpe');
    t.equal(s.sampler, 'tpe');
    t.type(s.details.reason, 'string');
  }
  t.match(autoDelegate(categorical).reason, /opt/);
  t.match(autoDelegate(conditional).reason, /'b'/);
  const { trials } = optimise(braninSpace, branin, 2, 11);
  const viaAuto = auto.suggest({ space: braninSpace, trials, number: 11, seed: 2 });
  const direct = gp.suggest({ space: braninSpace, trials, number: 11, seed: 2 });
  t.equal(viaAuto.sampler, 'gp');
  t.equal(viaAuto.details.delegate, 'gp');
  t.same(viaAuto.config, direct.config);
  t.equal(viaAuto.details.phase, 'gp');
});

t.test('the registry knows gp and auto, and records auto\'s delegates', async (t) => {
  const set = samplerSetFor(['auto']);
  t.same(set.versions, { auto: '1', gp: '1', tpe: '2' });
  t.equal(set.get('auto'), auto);
  t.equal(samplerSetFor(['gp']).get('gp'), gp);
});

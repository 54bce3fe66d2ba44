// Search evidence statistics: bootstrap intervals cover at the nominal rate and match
// scipy's BCa on the same resamples, the paired t-test has its size and power and scipy's
// p-values, Holm matches a hand-worked table, probability of improvement and expected-max
// curves match hand cases and brute force, describe() is deterministic and JSON-stable.
import t from 'tap';
import { Rng } from '../../src/search/rng.js';
import {
  bcaInterval,
  bestSoFar,
  bootstrap,
  describe,
  expectedMaxCurve,
  holm,
  iqm,
  jackknifeAcceleration,
  mean,
  pairedDifferenceInterval,
  pairedTTest,
  percentileInterval,
  probabilityOfImprovement,
  quantileSorted,
  sampleSd,
  studentTCdf,
  T_SENTINEL,
  type BootstrapResult,
} from '../../src/search/stats.js';

const close = (t: Tap.Test, actual: number, expected: number, tol: number, what: string): void => {
  t.ok(Math.abs(actual - expected) <= tol, `${what}: ${actual} within ${tol} of ${expected}`);
};

// Every leaf, compared with Object.is: 0 and -0 differ, NaN would not equal itself.
function bitwiseSame(a: unknown, b: unknown): boolean {
  if (typeof a === 'number' || typeof b === 'number') return Object.is(a, b);
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return a === b;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => bitwiseSame((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

function allFinite(x: unknown): boolean {
  if (typeof x === 'number') return Number.isFinite(x);
  if (x !== null && typeof x === 'object') return Object.values(x).every(allFinite);
  return true;
}

// Park-Miller: exact in doubles, and the same in the Python that produced the scipy numbers.
function parkMillerIndices(n: number, resamples: number, seed: number): number[][] {
  let s = seed;
  const out: number[][] = [];
  for (let r = 0; r < resamples; r++) {
    const row: number[] = [];
    for (let j = 0; j < n; j++) {
      s = (s * 16807) % 2147483647;
      row.push(s % n);
    }
    out.push(row);
  }
  return out;
}

t.test('mean and iqm: scipy trim_mean(x, 0.25) semantics, floor(n/4) cut from each end', async (t) => {
  // scipy.stats.trim_mean(np.arange(k)**2.0, 0.25) for k = 1..9.
  const expected = [0, 0.5, 1.6666666666666667, 2.5, 4.666666666666667, 7.5, 11, 13.5, 18];
  for (let k = 1; k <= 9; k++) {
    const xs = Array.from({ length: k }, (_, i) => i * i);
    close(t, iqm(xs.slice().reverse()), expected[k - 1]!, 1e-12, `iqm of squares 0..${k - 1}`);
  }
  // n = 8: cut 2 from each end of [1..8] leaves [3,4,5,6].
  t.equal(iqm([8, 1, 7, 2, 6, 3, 5, 4]), 4.5);
  // An outlier beyond the quartiles does not move the IQM.
  t.equal(iqm([1, 2, 3, 4, 5, 6, 7, 1e9]), iqm([1, 2, 3, 4, 5, 6, 7, 8]));
  t.equal(mean([0.1, 0.1, 0.1]), 0.1, 'a constant sample has its own value as mean');
  t.equal(iqm([0.7, 0.7, 0.7, 0.7, 0.7]), 0.7);
  close(t, mean([1, 2, 3, 4]), 2.5, 0, 'mean');
  close(t, sampleSd([2, 4, 4, 4, 5, 5, 7, 9]), Math.sqrt(32 / 7), 1e-15, 'sd with n - 1');
  t.equal(sampleSd([3]), 0);
  t.ok(Number.isNaN(mean([])) && Number.isNaN(iqm([])));
});

t.test('quantileSorted interpolates linearly between order statistics (numpy linear)', async (t) => {
  const s = [1, 2, 3, 4];
  t.equal(quantileSorted(s, 0), 1);
  t.equal(quantileSorted(s, 1), 4);
  t.equal(quantileSorted(s, 0.5), 2.5);
  t.equal(quantileSorted(s, 0.25), 1.75); // h = 3 * 0.25 = 0.75
  t.equal(quantileSorted(s, 0.025), 1.075); // h = 0.075
  t.same(percentileInterval([5], 0.95), { low: 5, high: 5 });
});

t.test('bootstrap draws its resamples from new Rng(seed), n indices per resample in order', async (t) => {
  const xs = [3.1, 0.4, 2.2, 5.9, 1.0, 4.4, 2.8];
  const n = xs.length;
  const resamples = 500;
  const result = bootstrap(xs, mean, { seed: 1234, resamples, level: 0.9 });
  const rng = new Rng(1234);
  const stats: number[] = [];
  for (let r = 0; r < resamples; r++) {
    const sample: number[] = [];
    for (let j = 0; j < n; j++) sample.push(xs[Math.floor(rng.uniform() * n)]!);
    stats.push(mean(sample));
  }
  stats.sort((a, b) => a - b);
  t.same(result.percentile, { low: quantileSorted(stats, 0.05), high: quantileSorted(stats, 0.95) });
  t.equal(result.estimate, mean(xs));
  t.equal(result.resamples, 500);
  t.equal(result.level, 0.9);
  t.equal(result.seed, 1234);
  const other = bootstrap(xs, mean, { seed: 1235, resamples, level: 0.9 });
  t.not(other.percentile.low, result.percentile.low, 'another seed, other resamples');
  const byDefault = bootstrap(xs, mean, { seed: 1 });
  t.equal(byDefault.resamples, 2000);
  t.equal(byDefault.level, 0.95);
  t.throws(() => bootstrap([], mean, { seed: 1 }), RangeError);
  t.throws(() => bootstrap([1, NaN], mean, { seed: 1 }), RangeError);
  t.throws(() => bootstrap([1, 2], mean, { seed: 1.5 }), RangeError);
  t.throws(() => bootstrap([1, 2], mean, { seed: 1, level: 1 }), RangeError);
  t.throws(() => bootstrap([1, 2], mean, { seed: 1, resamples: 0 }), RangeError);
});

t.test('BCa matches scipy.stats.bootstrap (_bca_interval, np.percentile) on the same resamples', async (t) => {
  // Python: x as below, idx from the same Park-Miller stream (seed 42, 60 x 12), statistics
  // np.mean and scipy.stats.trim_mean(., 0.25); scipy 1.17.1.
  const x = [0.3, 1.7, 0.2, 4.1, 0.9, 2.2, 0.05, 7.5, 1.1, 0.6, 3.3, 0.4];
  const idx = parkMillerIndices(x.length, 60, 42);
  const reference = [
    { name: 'mean', statistic: mean, level: 0.9, a: 0.0751090810500628, bca: [1.1009688237633695, 3.2335808073054073], pct: [0.8489583333333333, 2.8014583333333336] },
    { name: 'mean', statistic: mean, level: 0.95, a: 0.0751090810500628, bca: [0.986562553514521, 3.5448953900082816], pct: [0.8051041666666667, 2.8401041666666664] },
    { name: 'iqm', statistic: iqm, level: 0.9, a: 0.02734873478614982, bca: [0.5929483569435461, 2.387621657522272], pct: [0.48083333333333333, 2.334166666666667] },
    { name: 'iqm', statistic: iqm, level: 0.95, a: 0.02734873478614982, bca: [0.49535700236547875, 2.8349477221512105], pct: [0.4070833333333334, 2.3762499999999998] },
  ];
  for (const ref of reference) {
    const stats = idx.map((row) => ref.statistic(row.map((i) => x[i]!))).sort((a, b) => a - b);
    const jackknife = x.map((_, i) => ref.statistic(x.filter((_, j) => j !== i)));
    close(t, jackknifeAcceleration(jackknife)!, ref.a, 1e-12, `${ref.name} acceleration`);
    const bca = bcaInterval(stats, ref.statistic(x), jackknife, ref.level)!;
    // space.ts's normalCdf is good to ~1e-7 relative, which moves an adjusted quantile level by
    // about that much and an interpolated endpoint by far less (measured: under 4e-8).
    close(t, bca.low, ref.bca[0]!, 2e-7, `${ref.name} ${ref.level} BCa low`);
    close(t, bca.high, ref.bca[1]!, 2e-7, `${ref.name} ${ref.level} BCa high`);
    const pct = percentileInterval(stats, ref.level);
    close(t, pct.low, ref.pct[0]!, 1e-12, `${ref.name} ${ref.level} percentile low`);
    close(t, pct.high, ref.pct[1]!, 1e-12, `${ref.name} ${ref.level} percentile high`);
  }
  // For the mean the jackknife acceleration is the sample skewness over 6 sqrt(n) (Efron-Tibshirani 14.15).
  const m = mean(x);
  const s2 = x.reduce((s, v) => s + (v - m) ** 2, 0);
  const s3 = x.reduce((s, v) => s + (v - m) ** 3, 0);
  close(t, jackknifeAcceleration(x.map((_, i) => mean(x.filter((_, j) => j !== i))))!, s3 / (6 * s2 ** 1.5), 1e-12, 'mean acceleration closed form');
});

t.test('BCa degenerate cases stay finite and fall back to the percentile interval', async (t) => {
  t.equal(bcaInterval([1, 2, 3], 2, [1, 2], 0.95), undefined, 'fewer than 3 jackknife values');
  t.equal(bcaInterval([1, 2, 3], 2, [4, 4, 4], 0.95), undefined, 'all jackknife values equal');
  // The estimate below every resample: the fraction is clamped, z0 finite, the interval inside the resamples.
  const outside = bcaInterval([1, 2, 3, 4], -10, [0, 1, 3], 0.95)!;
  t.ok(Number.isFinite(outside.low) && Number.isFinite(outside.high) && outside.low >= 1 && outside.high <= 4 && outside.low <= outside.high, JSON.stringify(outside));
  // |w| >= 6 with a strong acceleration: 1 - a w <= 0 takes the limit, not a wrapped-around alpha.
  const extreme = bcaInterval([1, 2, 3, 4], 4.5, [0, 0, 0, 0, 10], 0.999999)!;
  t.ok(Number.isFinite(extreme.low) && extreme.low <= extreme.high, JSON.stringify(extreme));
  for (const xs of [[2.5], [1, 4], [7, 7, 7, 7, 7], [-0, -0, -0]]) {
    const r = bootstrap(xs, mean, { seed: 9, resamples: 2000 });
    t.same(r.bca, r.percentile, `${JSON.stringify(xs)}: BCa is the percentile interval`);
    t.ok(allFinite(r), `${JSON.stringify(xs)}: finite`);
  }
  const constant = bootstrap([7, 7, 7, 7, 7], iqm, { seed: 9 });
  t.same(constant.percentile, { low: 7, high: 7 });
  t.ok(Object.is(bootstrap([-0, -0], mean, { seed: 1 }).estimate, 0), '-0 is written as 0');
});

t.test('bootstrap intervals (95%) cover a known mean at the nominal rate: 1000 normal data sets, n = 50, 2000 resamples', async (t) => {
  // With n = 50 the percentile interval's own coverage is about 94.6% (it is a z-interval
  // with the n-denominator sd: P(|T_49| < 1.96 sqrt(50/49))), so [93, 97] is an honest band
  // around it for 1000 data sets (Monte Carlo sd 0.7 points). Measured: percentile 94.3%, BCa 94.1%.
  const datasets = 1000;
  const n = 50;
  const trueMean = 3;
  let percentileHits = 0;
  let bcaHits = 0;
  for (let d = 0; d < datasets; d++) {
    const rng = new Rng(1000 + d);
    const xs = Array.from({ length: n }, () => trueMean + 2 * rng.normal());
    const r = bootstrap(xs, mean, { seed: d });
    if (r.percentile.low <= trueMean && trueMean <= r.percentile.high) percentileHits++;
    if (r.bca.low <= trueMean && trueMean <= r.bca.high) bcaHits++;
  }
  const pct = (100 * percentileHits) / datasets;
  const bca = (100 * bcaHits) / datasets;
  t.ok(pct >= 93 && pct <= 97, `percentile interval covers in ${pct}% of ${datasets} data sets (band [93, 97])`);
  t.ok(bca >= 93 && bca <= 97, `BCa interval covers in ${bca}% of ${datasets} data sets (band [93, 97])`);
});

t.test('BCa shifts toward the long tail on right-skewed data', async (t) => {
  // Exponential data: the mean's sampling distribution is right-skewed, a > 0, and the BCa
  // interval sits above the percentile one (both ends) in most data sets.
  let above = 0;
  const datasets = 50;
  for (let d = 0; d < datasets; d++) {
    const rng = new Rng(500 + d);
    const xs = Array.from({ length: 20 }, () => -Math.log(1 - rng.uniform()));
    const r = bootstrap(xs, mean, { seed: d });
    if (r.bca.low > r.percentile.low && r.bca.high > r.percentile.high) above++;
  }
  t.ok(above >= 0.8 * datasets, `BCa above the percentile interval in ${above} of ${datasets}`);
});

t.test('studentTCdf matches table values (scipy.stats.t.cdf) to 1e-9, and the normal as df grows', async (t) => {
  const table: [number, number, number][] = [
    [2.0, 10, 0.9633059826146299],
    [2.228138852, 10, 0.9750000000005817],
    [-1.5, 3, 0.11529193262241147],
    [0.5, 1, 0.6475836176504333],
    [1, 1, 0.75], // Cauchy: 1/2 + atan(1)/pi
    [3.0, 2, 0.9522670168666454], // df 2: 1/2 + t / (2 sqrt(2 + t^2))
    [-2.7, 25, 0.006129119239327967],
    [1.0, 0.5, 0.698878389158678],
    [10.0, 4, 0.999718998188642],
    [0.0, 7, 0.5],
    [1.3, 200, 0.9024514053455719],
    [1e-6, 10, 0.500000389108384],
    [0.001, 1000, 0.5003988424907736],
    [-40.0, 3, 1.7190340394579253e-5],
  ];
  for (const [x, df, p] of table) close(t, studentTCdf(x, df), p, 1e-9, `T_${df} cdf at ${x}`);
  close(t, studentTCdf(2.0, 1e6), 0.9772497330743404, 1e-7, 'df 1e6 is nearly normal');
  close(t, studentTCdf(2.0, Infinity), 0.9772498680518208, 2e-7, 'df Infinity is the normal');
  // The far tail keeps its relative precision: scipy t.sf(12, 19) = 1.2954473186110983e-10.
  const tail = studentTCdf(-12, 19);
  t.ok(Math.abs(tail / 1.2954473186110983e-10 - 1) < 1e-8, `T_19 cdf at -12: ${tail}`);
  // Near t = 0 the beta argument df/(df+t^2) rounds to 1; its complement t^2/(df+t^2) keeps
  // the deviation from 1/2 (scipy: t.cdf(1e-6, 10) - 0.5 = 3.89108384e-7, linear in t here).
  const nearZero = studentTCdf(1e-10, 10) - 0.5;
  t.ok(Math.abs(nearZero / 3.89108384e-11 - 1) < 1e-4, `T_10 cdf at 1e-10 minus 1/2: ${nearZero}`);
  t.equal(studentTCdf(Infinity, 5), 1);
  t.equal(studentTCdf(-Infinity, 5), 0);
  t.ok(Number.isNaN(studentTCdf(NaN, 5)));
  t.throws(() => studentTCdf(1, 0), RangeError);
  // Two-sided p for t = 2.0, df = 10 (the classic table value 0.07339).
  const twoSided = 2 * (1 - studentTCdf(2.0, 10));
  close(t, twoSided, 0.07338803477074037, 1e-9, 't = 2, df = 10 two-sided');
});

t.test('pairedTTest agrees with scipy.stats.ttest_rel', async (t) => {
  const a = [0.81, 0.77, 0.93, 0.7, 0.88, 0.79, 0.85, 0.91];
  const b = [0.78, 0.75, 0.86, 0.71, 0.8, 0.77, 0.83, 0.84];
  const expected = { 'two-sided': 0.012787255245805408, greater: 0.006393627622902704, less: 0.9936063723770973 } as const;
  for (const alternative of ['two-sided', 'greater', 'less'] as const) {
    const r = pairedTTest(a, b, alternative);
    t.equal(r.n, 8);
    t.equal(r.df, 7);
    t.equal(r.alternative, alternative);
    close(t, r.t, 3.318732591515324, 1e-9, `${alternative} t`);
    close(t, r.p, expected[alternative], 1e-9, `${alternative} p`);
    close(t, r.meanDiff, 0.0375, 1e-12, 'mean difference');
    close(t, r.sd, 0.03195979617313872, 1e-12, 'sd of differences');
  }
  // A large t keeps a precise one-sided p (not 1 - cdf): p is the lower tail at -t.
  const strong = pairedTTest([1.1, 2.05, 2.9, 4.02, 5.1], [0, 1, 2, 3, 4], 'greater');
  t.ok(strong.t > 10, `t = ${strong.t}`);
  t.equal(strong.p, studentTCdf(-strong.t, 4));
  const flipped = pairedTTest(b, a, 'less');
  close(t, flipped.p, expected.greater, 1e-12, 'swapping a and b mirrors the alternative');
  t.throws(() => pairedTTest([1, 2], [1], 'greater'), RangeError);
});

t.test('pairedTTest: power and size on synthetic paired data', async (t) => {
  // Effect 1 sd of the differences, n = 20: t is near 4.5, so p < 0.01 in a fixed data set
  // and in nearly every simulated one (power of the one-sided 1% test is about 0.97).
  const simulate = (effect: number, n: number, rng: Rng): { a: number[]; b: number[] } => {
    const b = Array.from({ length: n }, () => 10 + 3 * rng.normal()); // the seed's shared part
    const a = b.map((x) => x + effect + rng.normal());
    return { a, b };
  };
  const one = simulate(1, 20, new Rng(77));
  const r = pairedTTest(one.a, one.b, 'greater');
  t.ok(r.p < 0.01, `effect 1 sd, n = 20: p = ${r.p}`);
  let rejected = 0;
  for (let s = 0; s < 200; s++) {
    const d = simulate(1, 20, new Rng(20_000 + s));
    if (pairedTTest(d.a, d.b, 'greater').p < 0.01) rejected++;
  }
  t.ok(rejected >= 180, `power: ${rejected} of 200 rejected at 1%`);
  // Null: 2000 simulations; the false positive rate at 5% is 5 +- 1.5 points (Monte Carlo sd 0.5).
  const sims = 2000;
  let twoSided = 0;
  let greater = 0;
  let under1 = 0;
  for (let s = 0; s < sims; s++) {
    const d = simulate(0, 20, new Rng(40_000 + s));
    const p2 = pairedTTest(d.a, d.b, 'two-sided').p;
    if (p2 < 0.05) twoSided++;
    if (p2 < 0.01) under1++;
    if (pairedTTest(d.a, d.b, 'greater').p < 0.05) greater++;
  }
  const rate = (k: number): number => (100 * k) / sims;
  t.ok(rate(twoSided) >= 3.5 && rate(twoSided) <= 6.5, `two-sided false positive rate ${rate(twoSided)}% at 5%`);
  t.ok(rate(greater) >= 3.5 && rate(greater) <= 6.5, `one-sided false positive rate ${rate(greater)}% at 5%`);
  t.ok(rate(under1) >= 0.3 && rate(under1) <= 1.7, `two-sided false positive rate ${rate(under1)}% at 1%`);
});

t.test('pairedTTest degenerate cases: finite, JSON-safe, documented p', async (t) => {
  const zero = { greater: pairedTTest([1, 2, 3], [1, 2, 3], 'greater'), less: pairedTTest([1, 2, 3], [1, 2, 3], 'less'), two: pairedTTest([1, 2, 3], [1, 2, 3], 'two-sided') };
  t.match(zero.two, { t: 0, sd: 0, meanDiff: 0, p: 1, df: 2 });
  t.equal(zero.greater.p, 0.5);
  t.equal(zero.less.p, 0.5);
  // Every difference exactly 1: no spread, a definite direction.
  const up = { greater: pairedTTest([2, 3, 4], [1, 2, 3], 'greater'), less: pairedTTest([2, 3, 4], [1, 2, 3], 'less'), two: pairedTTest([2, 3, 4], [1, 2, 3], 'two-sided') };
  t.equal(up.greater.t, T_SENTINEL);
  t.equal(up.greater.p, 0);
  t.equal(up.less.p, 1);
  t.equal(up.two.p, 0);
  t.equal(pairedTTest([1, 2, 3], [2, 3, 4], 'less').t, -T_SENTINEL);
  t.equal(pairedTTest([1, 2, 3], [2, 3, 4], 'less').p, 0);
  for (const r of [zero.greater, zero.two, up.greater, up.less, up.two]) t.ok(bitwiseSame(JSON.parse(JSON.stringify(r)), r), 'JSON round trip');
  t.match(pairedTTest([5], [3], 'greater'), { n: 1, meanDiff: 2, sd: 0, t: 0, df: 0, p: 1 });
  t.match(pairedTTest([], [], 'two-sided'), { n: 0, meanDiff: 0, p: 1, df: 0 });
});

t.test('holm against a hand-worked table', async (t) => {
  // p = [0.01, 0.04, 0.03, 0.005], m = 4, alpha 0.05. Sorted: 0.005 (#3), 0.01 (#0), 0.03 (#2), 0.04 (#1).
  //   k=1: 4 x 0.005 = 0.02          running max 0.02   0.005 <= 0.05/4 = 0.0125  reject
  //   k=2: 3 x 0.01  = 0.03          running max 0.03   0.01  <= 0.05/3 = 0.0167  reject
  //   k=3: 2 x 0.03  = 0.06          running max 0.06   0.03  >  0.05/2 = 0.025   stop
  //   k=4: 1 x 0.04  = 0.04 -> 0.06  (monotone)         not rejected after the stop
  // In input order: adjusted [0.03, 0.06, 0.06, 0.02], reject [true, false, false, true].
  const r = holm([0.01, 0.04, 0.03, 0.005], 0.05);
  const expected = [0.03, 0.06, 0.06, 0.02];
  r.adjusted.forEach((p, i) => close(t, p, expected[i]!, 1e-15, `adjusted[${i}]`));
  t.same(r.reject, [true, false, false, true]);
  // Capped at 1: 3 x 0.5 = 1.5 -> 1, 2 x 0.6 = 1.2 -> 1, 0.9 -> running max 1.
  t.same(holm([0.9, 0.5, 0.6], 0.05), { adjusted: [1, 1, 1], reject: [false, false, false] });
  // A single test is not corrected; ties get the same adjusted value.
  t.same(holm([0.04], 0.05), { adjusted: [0.04], reject: [true] });
  t.same(holm([0.02, 0.02], 0.05), { adjusted: [0.04, 0.04], reject: [true, true] });
  // Holm rejects everything Bonferroni rejects, and here more.
  const more = holm([0.011, 0.02, 0.04], 0.05); // 0.033, 0.04, 0.04
  t.same(more.reject, [true, true, true]);
  t.same(holm([], 0.05), { adjusted: [], reject: [] });
  t.throws(() => holm([1.2], 0.05), RangeError);
  t.throws(() => holm([NaN], 0.05), RangeError);
});

t.test('probabilityOfImprovement: hand cases and brute force, ties count 1/2', async (t) => {
  t.equal(probabilityOfImprovement([1, 2, 3], [2]), 0.5); // 0 + 1/2 + 1 over 3
  t.equal(probabilityOfImprovement([3, 4], [1, 2]), 1);
  t.equal(probabilityOfImprovement([1, 2], [3, 4]), 0);
  t.equal(probabilityOfImprovement([1, 1], [1, 1]), 0.5);
  // x=1: 0; x=2: ties with two 2s -> 2 x 1/2 = 1; x=3: beats two -> 2; x=4: beats two -> 2. Total 5 of 12.
  t.equal(probabilityOfImprovement([1, 2, 3, 4], [2, 2, 5]), 5 / 12);
  const rng = new Rng(3);
  const x = Array.from({ length: 37 }, () => Math.floor(rng.uniform() * 6));
  const y = Array.from({ length: 23 }, () => Math.floor(rng.uniform() * 6));
  let score = 0;
  for (const u of x) for (const v of y) score += u > v ? 1 : u === v ? 0.5 : 0;
  close(t, probabilityOfImprovement(x, y), score / (x.length * y.length), 1e-15, 'brute force over all pairs');
  close(t, probabilityOfImprovement(x, y) + probabilityOfImprovement(y, x), 1, 1e-15, 'P(X>Y) + P(Y>X) = 1 with ties halved');
  t.throws(() => probabilityOfImprovement([], [1]), RangeError);
});

t.test('pairedDifferenceInterval bootstraps the mean difference over seed indices', async (t) => {
  const a = [0.81, 0.77, 0.93, 0.7, 0.88, 0.79, 0.85, 0.91];
  const b = [0.78, 0.75, 0.86, 0.71, 0.8, 0.77, 0.83, 0.84];
  const r = pairedDifferenceInterval(a, b, { seed: 5 });
  const d = a.map((x, i) => x - b[i]!);
  t.same(r, bootstrap(d, mean, { seed: 5 }), 'the bootstrap of the differences, same stream');
  close(t, r.estimate, 0.0375, 1e-12, 'estimate');
  t.ok(r.percentile.low > 0 && r.bca.low > 0, 'a consistent improvement excludes 0');
  // Pairing matters: the shared per-seed part would swamp an unpaired interval.
  t.ok(r.percentile.high - r.percentile.low < 0.05, `narrow: ${JSON.stringify(r.percentile)}`);
  t.throws(() => pairedDifferenceInterval([1, 2], [1], { seed: 1 }), RangeError);
});

t.test('expectedMaxCurve: hand values, mean at n = 1, monotone, bounded, brute force', async (t) => {
  // v = 1,2,3,4 (N = 4). n = 2: weights (i/4)^2 - ((i-1)/4)^2 = 1/16, 3/16, 5/16, 7/16,
  // so E = (1 + 6 + 15 + 28)/16 = 3.125. n = 4: weights 1, 15, 65, 175 over 256, E = 926/256.
  const curve = expectedMaxCurve([3, 1, 4, 2], 'maximize');
  t.equal(curve.length, 4);
  close(t, curve[0]!, 2.5, 1e-15, 'n = 1 is the mean');
  close(t, curve[1]!, 3.125, 1e-15, 'n = 2');
  close(t, curve[3]!, 926 / 256, 1e-15, 'n = 4');
  const down = expectedMaxCurve([3, 1, 4, 2], 'minimize');
  close(t, down[1]!, 5 - 3.125, 1e-15, 'minimize mirrors: E[min of 2] = 1.875');
  const rng = new Rng(11);
  const values = Array.from({ length: 40 }, () => rng.normal() * 2 + Math.floor(rng.uniform() * 3));
  for (const direction of ['maximize', 'minimize'] as const) {
    const c = expectedMaxCurve(values, direction);
    const best = direction === 'maximize' ? Math.max(...values) : Math.min(...values);
    const better = (u: number, v: number): boolean => (direction === 'maximize' ? u >= v : u <= v);
    close(t, c[0]!, mean(values), 1e-12, `${direction}: n = 1 is the mean`);
    t.ok(c.every((v, i) => i === 0 || better(v, c[i - 1]!)), `${direction}: monotone`);
    t.ok(c.every((v) => better(best, v)), `${direction}: never past the best value`);
    t.ok(Math.abs(c[values.length - 1]! - best) < Math.abs(c[0]! - best), `${direction}: n = N approaches the best`);
    // Brute force: 20000 draws of n with replacement, for a few n.
    const sim = new Rng(12);
    for (const n of [1, 3, 10, 40]) {
      let total = 0;
      const draws = 20_000;
      for (let k = 0; k < draws; k++) {
        let b = direction === 'maximize' ? -Infinity : Infinity;
        for (let j = 0; j < n; j++) {
          const v = values[Math.floor(sim.uniform() * values.length)]!;
          if (direction === 'maximize' ? v > b : v < b) b = v;
        }
        total += b;
      }
      close(t, c[n - 1]!, total / draws, 0.05, `${direction}: n = ${n} against simulation`);
    }
  }
  t.same(expectedMaxCurve([0.3, 0.3, 0.3], 'maximize'), [0.3, 0.3, 0.3], 'constant values, constant curve');
  t.same(expectedMaxCurve([], 'maximize'), []);
  t.same(expectedMaxCurve([5], 'minimize'), [5]);
});

t.test('bestSoFar skips failed (null) trials', async (t) => {
  t.same(bestSoFar([null, 3, 1, null, 5, 4], 'maximize'), [null, 3, 3, 3, 5, 5]);
  t.same(bestSoFar([null, 3, 1, null, 5, 0.5], 'minimize'), [null, 3, 1, 1, 1, 0.5]);
  t.same(bestSoFar([], 'minimize'), []);
  t.throws(() => bestSoFar([1, NaN], 'maximize'), RangeError);
});

t.test('describe: deterministic for a seed, JSON round-trips bit for bit, finite for n = 1, 2 and constants', async (t) => {
  const values = [0.8123, 0.7991, 0.8302, 0.8057, 0.8219];
  const first = describe(values, { seed: 42 });
  const again = describe(values, { seed: 42 });
  t.ok(bitwiseSame(first, again), 'same seed, same numbers');
  t.ok(bitwiseSame(JSON.parse(JSON.stringify(first)), first), 'JSON round trip');
  t.equal(first.n, 5);
  close(t, first.sd, sampleSd(values), 0, 'sd');
  t.equal(first.mean.estimate, mean(values));
  t.equal(first.iqm.estimate, iqm(values));
  // With 5 values the resample means take few distinct values, so compare a larger sample.
  const twelve = [0.81, 0.77, 0.93, 0.7, 0.88, 0.79, 0.85, 0.91, 0.74, 0.82, 0.9, 0.76];
  t.not(describe(twelve, { seed: 43 }).mean.percentile.low, describe(twelve, { seed: 42 }).mean.percentile.low, 'the seed matters');
  t.ok(first.mean.percentile.low < first.mean.estimate && first.mean.estimate < first.mean.percentile.high);
  const cases: [string, number[]][] = [
    ['n = 1', [0.731]],
    ['n = 2', [0.7, 0.9]],
    ['constant', [0.1, 0.1, 0.1, 0.1]],
    ['negative zero', [-0, -0, -0]],
    ['n = 3, large magnitudes', [1e100, -1e100, 3]],
  ];
  for (const [name, xs] of cases) {
    const s = describe(xs, { seed: 7, resamples: 2000 });
    t.ok(allFinite(s), `${name}: finite`);
    t.ok(bitwiseSame(JSON.parse(JSON.stringify(s)), s), `${name}: JSON round trip`);
  }
  const single = describe([0.731], { seed: 7 });
  const collapsed = (r: BootstrapResult): boolean => [r.estimate, r.percentile.low, r.percentile.high, r.bca.low, r.bca.high].every((v) => v === 0.731);
  t.ok(collapsed(single.mean) && collapsed(single.iqm), 'n = 1: every interval is the value');
  t.equal(single.sd, 0);
  const constant = describe([0.1, 0.1, 0.1, 0.1], { seed: 7 });
  t.same(constant.mean.bca, { low: 0.1, high: 0.1 });
  t.same(constant.iqm.percentile, { low: 0.1, high: 0.1 });
  t.equal(constant.sd, 0);
  t.throws(() => describe([], { seed: 1 }), RangeError);
  t.throws(() => describe([1, Infinity], { seed: 1 }), RangeError);
});

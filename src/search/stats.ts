// The statistics behind search evidence: per-seed summaries with bootstrap intervals, the
// paired t-test on common-random-number seeds, Holm's correction, probability of improvement
// and expected-max curves. Pure: no I/O, no clock; every random draw comes from a seeded Rng.
import { Rng } from './rng.js';
import { betaCdf, normalCdf, normalQuantile } from './space.js';

export type Direction = 'maximize' | 'minimize';
export type Alternative = 'greater' | 'less' | 'two-sided';

export interface Interval {
  low: number;
  high: number;
}

export interface BootstrapResult {
  /** The statistic on the original sample. */
  estimate: number;
  /** Quantiles (1-level)/2 and (1+level)/2 of the resample statistics, linear interpolation. */
  percentile: Interval;
  /** Bias-corrected and accelerated; equals `percentile` when it cannot be computed. */
  bca: Interval;
  level: number;
  resamples: number;
  seed: number;
}

export interface BootstrapOptions {
  seed: number;
  /** Default DEFAULT_RESAMPLES. */
  resamples?: number;
  /** Default 0.95. */
  level?: number;
}

export interface SeedStats {
  n: number;
  mean: BootstrapResult;
  iqm: BootstrapResult;
  /** Sample standard deviation (n - 1 denominator); 0 when n = 1. */
  sd: number;
}

export interface PairedTest {
  n: number;
  meanDiff: number;
  sd: number;
  t: number;
  df: number;
  p: number;
  alternative: Alternative;
}

export const DEFAULT_RESAMPLES = 2000;
export const DEFAULT_LEVEL = 0.95;
/**
 * The t statistic reported when the differences have zero spread but a non-zero mean: the
 * largest finite double, so a ledger line stays valid JSON (JSON has no Infinity) and the
 * sign still says which way the effect goes.
 */
export const T_SENTINEL = Number.MAX_VALUE;

// ---- summaries -----------------------------------------------------------------------

/**
 * Arithmetic mean, accumulated as offsets from the first element: a constant sample gives
 * its value exactly (a plain sum/n turns [0.1, 0.1, 0.1] into 0.10000000000000002), so an
 * interval over identical seeds collapses onto the value itself. NaN for an empty sample.
 */
export function mean(xs: readonly number[]): number {
  const n = xs.length;
  if (n === 0) return NaN;
  const origin = xs[0]!;
  let offset = 0;
  for (let i = 1; i < n; i++) offset += xs[i]! - origin;
  return origin + offset / n;
}

/**
 * Interquartile mean as rliable computes it: scipy.stats.trim_mean(x, 0.25), which sorts and
 * drops floor(0.25 n) values from each end, then averages the rest. No fractional weighting
 * of the boundary values: n = 5 averages the middle 3, n = 6 the middle 4, n = 7 the middle 5.
 * For n < 4 nothing is dropped, so the IQM is the plain mean: that is scipy's (and rliable's)
 * answer too, not a special case. NaN for an empty sample.
 */
export function iqm(xs: readonly number[]): number {
  const n = xs.length;
  if (n === 0) return NaN;
  const sorted = Float64Array.from(xs).sort();
  const cut = Math.floor(n / 4);
  const origin = sorted[cut]!;
  let offset = 0;
  for (let i = cut + 1; i < n - cut; i++) offset += sorted[i]! - origin;
  return origin + offset / (n - 2 * cut);
}

/** Sample standard deviation (n - 1 denominator, two passes); 0 for fewer than two values. */
export function sampleSd(xs: readonly number[]): number {
  const n = xs.length;
  if (n < 2) return 0;
  const m = mean(xs);
  let ss = 0;
  for (const x of xs) ss += (x - m) * (x - m);
  return Math.sqrt(ss / (n - 1));
}

// ---- bootstrap -----------------------------------------------------------------------

/**
 * The p-quantile of ascending `sorted` with linear interpolation between order statistics
 * (numpy's default `linear` method, Hyndman-Fan type 7): h = (m - 1) p, then
 * s[floor h] + (h - floor h)(s[floor h + 1] - s[floor h]).
 */
export function quantileSorted(sorted: ArrayLike<number>, p: number): number {
  const m = sorted.length;
  const h = (m - 1) * Math.min(1, Math.max(0, p));
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, m - 1);
  const a = sorted[lo]!;
  const b = sorted[hi]!;
  return a === b ? a : a + (h - lo) * (b - a);
}

/** The percentile interval of ascending resample statistics. */
export function percentileInterval(sorted: ArrayLike<number>, level: number): Interval {
  return { low: quantileSorted(sorted, (1 - level) / 2), high: quantileSorted(sorted, (1 + level) / 2) };
}

/**
 * The jackknife acceleration a = sum (mean_j - theta_i)^3 / (6 (sum (mean_j - theta_i)^2)^1.5)
 * over leave-one-out statistics theta_i (Efron and Tibshirani 1993, 14.15). undefined when all
 * of them are equal (the denominator is 0). |a| <= 1/6 always, by the power-mean inequality.
 */
export function jackknifeAcceleration(jackknife: readonly number[]): number | undefined {
  const jm = mean(jackknife);
  let s2 = 0;
  let s3 = 0;
  for (const theta of jackknife) {
    const d = jm - theta;
    s2 += d * d;
    s3 += d * d * d;
  }
  if (!(s2 > 0)) return undefined;
  return s3 / (6 * Math.pow(s2, 1.5));
}

/**
 * The BCa interval from ascending resample statistics, the estimate and the leave-one-out
 * statistics, or undefined when it cannot be computed (fewer than 3 jackknife values, or all
 * equal). z0 = Phi^-1(fraction of resamples below the estimate plus half of those equal to
 * it), that fraction clamped to [1/(2B), 1 - 1/(2B)] so z0 stays finite when the estimate lies
 * outside every resample; alpha_i = Phi(z0 + w/(1 - a w)) with w = z0 + z_i. When 1 - a w <= 0
 * (only for |w| >= 6) alpha_i takes its limit from the valid side: 1 for w > 0, 0 for w < 0.
 * The scipy.stats.bootstrap BCa formulas, so its numbers are the reference in the tests.
 */
export function bcaInterval(sorted: ArrayLike<number>, estimate: number, jackknife: readonly number[], level: number): Interval | undefined {
  if (jackknife.length < 3) return undefined;
  const a = jackknifeAcceleration(jackknife);
  if (a === undefined) return undefined;
  const b = sorted.length;
  let below = 0;
  let equal = 0;
  for (let i = 0; i < b; i++) {
    const s = sorted[i]!;
    if (s < estimate) below++;
    else if (s === estimate) equal++;
  }
  const fraction = Math.min(1 - 0.5 / b, Math.max(0.5 / b, (below + 0.5 * equal) / b));
  const z0 = normalQuantile(fraction);
  const adjusted = (p: number): number => {
    const w = z0 + normalQuantile(p);
    const denominator = 1 - a * w;
    if (!(denominator > 0)) return w > 0 ? 1 : 0;
    return normalCdf(z0 + w / denominator);
  };
  return { low: quantileSorted(sorted, adjusted((1 - level) / 2)), high: quantileSorted(sorted, adjusted((1 + level) / 2)) };
}

function checkOptions(options: BootstrapOptions): { seed: number; resamples: number; level: number } {
  const { seed, resamples = DEFAULT_RESAMPLES, level = DEFAULT_LEVEL } = options;
  if (!Number.isSafeInteger(seed)) throw new RangeError(`bootstrap seed must be a safe integer, got ${seed}`);
  if (!Number.isSafeInteger(resamples) || resamples < 1) throw new RangeError(`bootstrap resamples must be an integer >= 1, got ${resamples}`);
  if (!(level > 0 && level < 1)) throw new RangeError(`bootstrap level must be in (0, 1), got ${level}`);
  return { seed, resamples, level };
}

function checkFinite(xs: readonly number[], what: string): void {
  if (xs.length === 0) throw new RangeError(`${what}: no values`);
  for (const x of xs) if (!Number.isFinite(x)) throw new RangeError(`${what}: every value must be a finite number, got ${x}`);
}

function checkStatistic(value: number): number {
  if (!Number.isFinite(value)) throw new RangeError(`bootstrap statistic returned ${value}`);
  return value;
}

/** -0 becomes 0: JSON writes -0 as 0, and a ledger line must read back to the same numbers. */
function plain(x: number): number {
  return x + 0;
}

function plainInterval(i: Interval): Interval {
  return { low: plain(i.low), high: plain(i.high) };
}

/**
 * Nonparametric bootstrap of `statistic` over `xs`. The stream: one `new Rng(seed)`; resample
 * r = 0..B-1 takes its n indices in order, each `Math.floor(rng.uniform() * n)`, so resample r
 * uses draws r*n .. r*n + n - 1. Two calls with the same seed and n resample the same indices,
 * whatever the statistic (describe() relies on this: mean and IQM share their resamples).
 * `statistic` gets one reused array per resample and must not keep it. The BCa interval uses
 * the jackknife (n leave-one-out statistics) and falls back to the percentile interval when
 * n < 3 or every leave-one-out statistic is equal. Every number in the result is finite.
 */
export function bootstrap(xs: readonly number[], statistic: (xs: readonly number[]) => number, options: BootstrapOptions): BootstrapResult {
  checkFinite(xs, 'bootstrap');
  const { seed, resamples, level } = checkOptions(options);
  const n = xs.length;
  const estimate = checkStatistic(statistic(xs));
  const rng = new Rng(seed);
  const sample: number[] = new Array<number>(n).fill(0);
  const stats = new Float64Array(resamples);
  for (let r = 0; r < resamples; r++) {
    for (let j = 0; j < n; j++) sample[j] = xs[Math.floor(rng.uniform() * n)]!;
    stats[r] = checkStatistic(statistic(sample));
  }
  stats.sort();
  const percentile = percentileInterval(stats, level);
  let bca: Interval | undefined;
  if (n >= 3) {
    const jackknife: number[] = [];
    const rest: number[] = new Array<number>(n - 1).fill(0);
    for (let i = 0; i < n; i++) {
      for (let j = 0, k = 0; j < n; j++) if (j !== i) rest[k++] = xs[j]!;
      jackknife.push(checkStatistic(statistic(rest)));
    }
    bca = bcaInterval(stats, estimate, jackknife, level);
  }
  return { estimate: plain(estimate), percentile: plainInterval(percentile), bca: plainInterval(bca ?? percentile), level, resamples, seed };
}

/**
 * What a trial's ledger line records about its per-seed values: count, mean and IQM with
 * bootstrap intervals (the same resamples for both: one seed), and the sample sd. Finite
 * numbers only, -0 written as 0, so JSON.parse(JSON.stringify(x)) gives x back bit for bit.
 * n = 1 (or a constant sample) collapses every interval onto the value.
 */
export function describe(values: readonly number[], options: BootstrapOptions): SeedStats {
  checkFinite(values, 'describe');
  return {
    n: values.length,
    mean: bootstrap(values, mean, options),
    iqm: bootstrap(values, iqm, options),
    sd: plain(sampleSd(values)),
  };
}

/** The bootstrap, over seed indices, of mean(a_i - b_i): the seeds are paired, so they resample together. */
export function pairedDifferenceInterval(a: readonly number[], b: readonly number[], options: BootstrapOptions): BootstrapResult {
  return bootstrap(differences(a, b, 'pairedDifferenceInterval'), mean, options);
}

// ---- t-test --------------------------------------------------------------------------

/** P(T > t) for Student's t with df degrees of freedom, without cancellation in either tail. */
function tUpperTail(t: number, df: number): number {
  if (Number.isNaN(t)) return NaN;
  if (df === Infinity) return normalCdf(-t);
  const t2 = t * t;
  // Both halves of the beta argument directly: 1 - x is never formed by subtraction.
  const x = df / (df + t2);
  const y = t2 / (df + t2);
  // P(|T| > |t|) = I_x(df/2, 1/2) = 1 - I_y(1/2, df/2).
  const twoTail = t2 === Infinity ? 0 : x < 0.5 ? betaCdf(x, df / 2, 0.5) : 1 - betaCdf(y, 0.5, df / 2);
  return t >= 0 ? 0.5 * twoTail : 1 - 0.5 * twoTail;
}

/** The CDF of Student's t with df > 0 degrees of freedom (df = Infinity: the standard normal). */
export function studentTCdf(t: number, df: number): number {
  if (!(df > 0)) throw new RangeError(`studentTCdf: degrees of freedom must be > 0, got ${df}`);
  if (Number.isNaN(t)) return NaN;
  return t <= 0 ? tUpperTail(-t, df) : 1 - tUpperTail(t, df);
}

function differences(a: readonly number[], b: readonly number[], what: string): number[] {
  if (a.length !== b.length) throw new RangeError(`${what}: paired samples must have the same length, got ${a.length} and ${b.length}`);
  const d = a.map((x, i) => x - b[i]!);
  for (const x of d) if (!Number.isFinite(x)) throw new RangeError(`${what}: every value must be a finite number`);
  return d;
}

/**
 * Paired t-test on d = a - b (df = n - 1); 'greater' means H1: mean(d) > 0. Conventions that
 * keep the result finite and JSON-safe:
 * - n < 2: t = 0, sd = 0, p = 1 (no evidence either way), df = max(n - 1, 0).
 * - sd = 0 and mean(d) = 0: t = 0, which gives p = 1 two-sided and 0.5 one-sided (the t
 *   distribution's answer at t = 0: every difference exactly zero is no evidence).
 * - sd = 0 and mean(d) != 0 (or |t| overflows): t = +-T_SENTINEL, and p is the limit: 0 when
 *   the sign agrees with the alternative (two-sided: 0), 1 when it does not.
 */
export function pairedTTest(a: readonly number[], b: readonly number[], alternative: Alternative): PairedTest {
  const d = differences(a, b, 'pairedTTest');
  const n = d.length;
  if (n < 2) return { n, meanDiff: plain(n === 1 ? d[0]! : 0), sd: 0, t: 0, df: Math.max(n - 1, 0), p: 1, alternative };
  const meanDiff = mean(d);
  const sd = sampleSd(d);
  const df = n - 1;
  let t = meanDiff === 0 ? 0 : sd === 0 ? Math.sign(meanDiff) * T_SENTINEL : meanDiff / (sd / Math.sqrt(n));
  if (!Number.isFinite(t)) t = Math.sign(t) * T_SENTINEL;
  const p = alternative === 'greater' ? tUpperTail(t, df) : alternative === 'less' ? tUpperTail(-t, df) : Math.min(1, 2 * tUpperTail(Math.abs(t), df));
  return { n, meanDiff: plain(meanDiff), sd: plain(sd), t: plain(t), df, p: plain(p), alternative };
}

// ---- multiple comparisons ------------------------------------------------------------

/**
 * Holm-Bonferroni step-down, in input order. Sorted ascending (ties keep input order), the
 * k-th smallest (k = 1..m) gets (m - k + 1) p_(k), then a running maximum makes the adjusted
 * values monotone, capped at 1 (statsmodels' multipletests 'holm'). reject[i] is
 * adjusted[i] <= alpha, which is the step-down rule (reject until the first p_(k) above
 * alpha / (m - k + 1)) and never contradicts the adjusted value recorded beside it.
 */
export function holm(pValues: readonly number[], alpha: number): { adjusted: number[]; reject: boolean[] } {
  for (const p of pValues) if (!(p >= 0 && p <= 1)) throw new RangeError(`holm: p-values must be in [0, 1], got ${p}`);
  if (!(alpha > 0 && alpha < 1)) throw new RangeError(`holm: alpha must be in (0, 1), got ${alpha}`);
  const m = pValues.length;
  const order = pValues.map((_, i) => i).sort((i, j) => pValues[i]! - pValues[j]! || i - j);
  const adjusted: number[] = new Array<number>(m).fill(0);
  let running = 0;
  order.forEach((index, k) => {
    running = Math.max(running, Math.min(1, (m - k) * pValues[index]!));
    adjusted[index] = running;
  });
  return { adjusted, reject: adjusted.map((p) => p <= alpha) };
}

// ---- comparisons and curves ----------------------------------------------------------

/**
 * P(X > Y) over all |x| |y| pairs, ties counting 1/2: the Mann-Whitney U over n m, which is
 * rliable's probability_of_improvement for one task. Counted exactly in integers.
 */
export function probabilityOfImprovement(x: readonly number[], y: readonly number[]): number {
  checkFinite(x, 'probabilityOfImprovement');
  checkFinite(y, 'probabilityOfImprovement');
  const ys = Float64Array.from(y).sort();
  // The number of ys strictly below v (first index with ys[i] >= v), by bisection.
  const countBelow = (v: number, strict: boolean): number => {
    let lo = 0;
    let hi = ys.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (strict ? ys[mid]! < v : ys[mid]! <= v) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  let twiceScore = 0;
  for (const v of x) {
    const below = countBelow(v, true);
    const atOrBelow = countBelow(v, false);
    twiceScore += 2 * below + (atOrBelow - below);
  }
  return twiceScore / (2 * x.length * ys.length);
}

/**
 * Expected best of n draws with replacement from `values`, n = 1..N (Dodge et al. 2019,
 * "expected validation performance"). With v_(1) <= .. <= v_(N),
 * E[max_n] = sum_i v_(i) ((i/N)^n - ((i-1)/N)^n), computed in the equivalent form
 * v_(N) - sum_{i<N} (v_(i+1) - v_(i)) (i/N)^n: every term is >= 0 and the weights shrink by
 * one multiplication per n, so the curve is monotone and never above the maximum even in
 * floating point. 'minimize' is the mirror (the expected least of n draws), by negation.
 */
export function expectedMaxCurve(values: readonly number[], direction: Direction): number[] {
  if (values.length === 0) return [];
  checkFinite(values, 'expectedMaxCurve');
  const sign = direction === 'maximize' ? 1 : -1;
  const v = Float64Array.from(values, (x) => sign * x).sort();
  const N = v.length;
  const top = v[N - 1]!;
  const weights = new Float64Array(N - 1).fill(1);
  const curve: number[] = [];
  for (let n = 1; n <= N; n++) {
    let shortfall = 0;
    for (let i = 1; i < N; i++) {
      weights[i - 1] *= i / N;
      shortfall += (v[i]! - v[i - 1]!) * weights[i - 1]!;
    }
    curve.push(plain(sign * (top - shortfall)));
  }
  return curve;
}

/** The best value seen up to each index; null entries (failed trials) are skipped, and the running best is null until a value appears. */
export function bestSoFar(values: readonly (number | null)[], direction: Direction): (number | null)[] {
  let best: number | null = null;
  return values.map((v) => {
    if (v !== null) {
      if (Number.isNaN(v)) throw new RangeError('bestSoFar: NaN is not a value (use null for a failed trial)');
      if (best === null || (direction === 'maximize' ? v > best : v < best)) best = v;
    }
    return best;
  });
}

// Parzen estimators on PED-ANOVA's grids, as Optuna 5 builds them: Scott's width, numeric and
// categorical kernels with a prior kernel, the 1-D estimator, the Pearson divergence, and the
// 2-D product-kernel estimator with its reusable buffers for interactions. Pure.
import { logGaussMass } from './parzen.js';
import type { Feature } from './importance-sets.js';

const PRIOR_WEIGHT = 1;
const EPS = 1e-12;
const SIGMA_MIN = 0.5 / 1.64;

// ---- Parzen estimators on a grid ---------------------------------------------------------

/** Scott's width in grid units from counts over a grid, with exponent -1/(d+4); at least 0.5/1.64 (Optuna's floor). */
function scottSigma(counts: Float64Array, exponent: number): number {
  let total = 0;
  let mean = 0;
  for (let i = 0; i < counts.length; i++) {
    total += counts[i]!;
    mean += counts[i]! * i;
  }
  mean /= total;
  let sq = 0;
  for (let i = 0; i < counts.length; i++) sq += counts[i]! * (i - mean) ** 2;
  const sd = Math.sqrt(sq / Math.max(1, total - 1));
  // The quartiles as Optuna finds them on the cumulative counts of the occupied points.
  const q1Count = Math.floor(total / 4);
  const q3Count = Math.floor((total * 3) / 4);
  let q1 = -1;
  let q3 = -1;
  let last = 0;
  let cum = 0;
  for (let i = 0; i < counts.length; i++) {
    if (counts[i]! <= 0) continue;
    cum += counts[i]!;
    last = i;
    if (q1 < 0 && cum >= q1Count) q1 = i;
    if (q3 < 0 && cum > q3Count) q3 = i;
  }
  const iqr = (q3 < 0 ? last : q3) - q1;
  return Math.max(1.059 * Math.min(iqr / 1.34, sd) * Math.pow(total, exponent), SIGMA_MIN);
}

/**
 * The kernels of one grid axis. Every kernel on it has one shape shifted to its centre, so the mass
 * the kernel centred on cell c puts on cell x is shape[|x - c|] * invNorm[c]: for a number the
 * discrete normal's cell masses by distance and 1 / its mass inside the grid (the truncation), for
 * a category Optuna's row (prior_weight/(kernels + 1) on every choice, 1 more on its own,
 * normalised). `prior` is the prior kernel's density over the cells.
 */
interface AxisKernels {
  shape: Float64Array;
  invNorm: Float64Array;
  prior: Float64Array;
}

const numericPriors = new Map<number, Float64Array>();

/** The prior kernel of an n-point grid: a normal at the centre as wide as the grid, truncated to it. */
function numericPrior(n: number): Float64Array {
  let prior = numericPriors.get(n);
  if (!prior) {
    const centre = (n - 1) / 2;
    const z = Math.exp(logGaussMass((-0.5 - centre) / n, (n - 0.5 - centre) / n));
    prior = Float64Array.from({ length: n }, (_, x) => Math.exp(logGaussMass((x - 0.5 - centre) / n, (x + 0.5 - centre) / n)) / z);
    numericPriors.set(n, prior);
  }
  return prior;
}

function numericKernels(n: number, sigma: number): AxisKernels {
  const shape = new Float64Array(n);
  for (let d = 0; d < n; d++) shape[d] = Math.exp(logGaussMass((d - 0.5) / sigma, (d + 0.5) / sigma));
  // The mass inside the grid of the kernel at c: shape summed over distances 0..c and 0..n-1-c.
  const cumulative = new Float64Array(n);
  let acc = 0;
  for (let d = 0; d < n; d++) cumulative[d] = acc += shape[d]!;
  const invNorm = new Float64Array(n);
  for (let c = 0; c < n; c++) invNorm[c] = 1 / (cumulative[c]! + cumulative[n - 1 - c]! - shape[0]!);
  return { shape, invNorm, prior: numericPrior(n) };
}

function categoricalKernels(n: number, kernels: number): AxisKernels {
  const spread = PRIOR_WEIGHT / (kernels + 1);
  const norm = 1 + n * spread;
  const shape = new Float64Array(n).fill(spread / norm);
  shape[0] = (spread + 1) / norm;
  return { shape, invNorm: new Float64Array(n).fill(1), prior: new Float64Array(n).fill(1 / n) };
}

function axisKernels(kind: Feature['kind'], marginal: Float64Array, kernels: number, exponent: number): AxisKernels {
  return kind === 'numeric' ? numericKernels(marginal.length, scottSigma(marginal, exponent)) : categoricalKernels(marginal.length, kernels);
}

/** The 1-D Parzen density over the grid from counts per cell (the mixture sums to 1 over the grid). */
export function parzen1d(kind: Feature['kind'], counts: Float64Array): Float64Array {
  const n = counts.length;
  let total = 0;
  let kernels = 0;
  for (let c = 0; c < n; c++) {
    if (counts[c]! <= 0) continue;
    total += counts[c]!;
    kernels++;
  }
  const k = axisKernels(kind, counts, kernels, -1 / 5);
  const pdf = new Float64Array(n);
  const norm = total + PRIOR_WEIGHT;
  for (let x = 0; x < n; x++) pdf[x] = (PRIOR_WEIGHT / norm) * k.prior[x]!;
  for (let c = 0; c < n; c++) {
    if (counts[c]! <= 0) continue;
    const w = (counts[c]! / norm) * k.invNorm[c]!;
    for (let x = 0; x < n; x++) pdf[x]! += w * k.shape[x > c ? x - c : c - x]!;
  }
  return pdf;
}

/** sum_x p_region(x) (p_top(x) / p_region(x) - 1)^2, both densities raised by 1e-12 as Optuna does. */
export function pearson(top: ArrayLike<number>, region: ArrayLike<number>): number {
  let sum = 0;
  for (let x = 0; x < top.length; x++) {
    const r = region[x]! + EPS;
    const ratio = (top[x]! + EPS) / r - 1;
    sum += r * ratio * ratio;
  }
  return sum;
}

/**
 * condPED-ANOVA's scale (|T|/|R|)^2 alpha^2/beta for the nTopIn target and nRegionIn region
 * observations that have a value; undefined when that regime is too small to estimate.
 */

export interface PairWork {
  na: number;
  nb: number;
  top: Float64Array;
  region: Float64Array;
  pdfTop: Float64Array;
  pdfRegion: Float64Array;
  /** Weighted kernel b-rows summed per a-row: counts x B. */
  mixed: Float64Array;
  rowsA: Float64Array;
  rowsB: Float64Array;
  marginalA: Float64Array;
  marginalB: Float64Array;
  topA: Float64Array;
  topB: Float64Array;
  regionA: Float64Array;
  regionB: Float64Array;
}

export function pairWork(na: number, nb: number): PairWork {
  const f = (n: number) => new Float64Array(n);
  return {
    na,
    nb,
    top: f(na * nb),
    region: f(na * nb),
    pdfTop: f(na * nb),
    pdfRegion: f(na * nb),
    mixed: f(na * nb),
    rowsA: f(na * na),
    rowsB: f(nb * nb),
    marginalA: f(na),
    marginalB: f(nb),
    topA: f(na),
    topB: f(nb),
    regionA: f(na),
    regionB: f(nb),
  };
}

/** Row c of `rows` (n x n): the density over the axis of the kernel centred on cell c, for each occupied c. */
function fillKernelRows(k: AxisKernels, marginal: Float64Array, rows: Float64Array): void {
  const n = marginal.length;
  for (let c = 0; c < n; c++) {
    if (!(marginal[c]! > 0)) continue;
    const inv = k.invNorm[c]!;
    const base = c * n;
    for (let x = 0; x < n; x++) rows[base + x] = k.shape[x > c ? x - c : c - x]! * inv;
  }
}

/**
 * The 2-D product-kernel Parzen density over an na x nb grid from counts per cell, into `pdf`:
 * every occupied cell is a kernel (weight: its count) whose width on each numeric axis is Scott's
 * rule for d = 2, 1.059 min(IQR/1.34, sd) n^(-1/6), from that axis's marginal counts; plus the
 * product of the prior kernels (weight 1). As pdf = A^T (counts B) + prior, the cost is occupied
 * cells x nb plus occupied a-rows x na x nb rather than occupied cells x na x nb.
 */
export function parzen2d(fa: Feature, fb: Feature, counts: Float64Array, pdf: Float64Array, w: PairWork): void {
  const { na, nb, marginalA: ma, marginalB: mb, rowsA, rowsB, mixed } = w;
  ma.fill(0);
  mb.fill(0);
  let kernels = 0;
  let total = 0;
  for (let i = 0; i < na; i++) {
    for (let j = 0; j < nb; j++) {
      const c = counts[i * nb + j]!;
      if (c <= 0) continue;
      ma[i]! += c;
      mb[j]! += c;
      kernels++;
      total += c;
    }
  }
  const ka = axisKernels(fa.kind, ma, kernels, -1 / 6);
  const kb = axisKernels(fb.kind, mb, kernels, -1 / 6);
  fillKernelRows(ka, ma, rowsA);
  fillKernelRows(kb, mb, rowsB);
  const norm = total + PRIOR_WEIGHT;
  for (let i = 0; i < na; i++) {
    const pa = (PRIOR_WEIGHT / norm) * ka.prior[i]!;
    for (let j = 0; j < nb; j++) pdf[i * nb + j] = pa * kb.prior[j]!;
  }
  mixed.fill(0);
  for (let ci = 0; ci < na; ci++) {
    if (!(ma[ci]! > 0)) continue;
    const out = ci * nb;
    for (let cj = 0; cj < nb; cj++) {
      const weight = counts[out + cj]! / norm;
      if (weight <= 0) continue;
      const b = cj * nb;
      for (let j = 0; j < nb; j++) mixed[out + j]! += weight * rowsB[b + j]!;
    }
    const a = ci * na;
    for (let i = 0; i < na; i++) {
      const ai = rowsA[a + i]!;
      const base = i * nb;
      for (let j = 0; j < nb; j++) pdf[base + j]! += ai * mixed[out + j]!;
    }
  }
}

export function marginalsInto(pdf: Float64Array, na: number, nb: number, pa: Float64Array, pb: Float64Array): void {
  pa.fill(0);
  pb.fill(0);
  for (let i = 0; i < na; i++) {
    for (let j = 0; j < nb; j++) {
      pa[i]! += pdf[i * nb + j]!;
      pb[j]! += pdf[i * nb + j]!;
    }
  }
}

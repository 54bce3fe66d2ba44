// What mattered in a search, for `rx search report`: PED-ANOVA importance per parameter with
// bootstrap intervals, the pairwise interaction of parameters from different files (architecture,
// data, augmentation, training), and one-parameter-at-a-time sensitivity around the winner.
// Pure: no I/O, no clock; the bootstrap draws only from streamFor(seed, 0, 'importance').
//
// PED-ANOVA (Watanabe et al., IJCAI 2023) as Optuna 5's PedAnovaImportanceEvaluator computes it,
// conditions included (condPED-ANOVA, Optuna 5's regime weighting):
// - target set T: the trials with loss <= the ceil(targetQuantile * n)-th smallest loss; region
//   set R likewise with regionQuantile (1.0: every trial). Ties at the cut are all kept.
// - each parameter is discretised: a number onto `steps` evenly spaced points of its internal
//   scale (ln for log parameters), fewer for ints and stepped floats with fewer legal values,
//   ceil(log2(high - low + 1)) + 1 for log ints; each value goes to its nearest point (midpoint
//   ties to the lower one). A category is its choice index.
// - a 1-D Parzen estimator on that grid from T and one from R: one discrete truncated normal per
//   occupied point, weighted by its count, with Scott's width 1.059 min(IQR/1.34, sd) n^(-1/5) in
//   grid units (at least 0.5/1.64), plus a prior kernel (centre, width = grid size, weight 1);
//   categories use Optuna's categorical kernels (prior mass 1/(k+1) spread over the choices).
// - importance = (|T|/|R|)^2 * alpha^2/beta * sum_x p_R(x) (p_T(x)/p_R(x) - 1)^2, both densities
//   + 1e-12, where alpha = |T_p|/|T| and beta = |R_p|/|R| are the shares of T and R in which the
//   parameter has a value (1 without conditions). Only those observations enter its estimators:
//   an inactive parameter has no value to place on the grid, and the alpha^2/beta factor is
//   condPED-ANOVA's weight for the active regime (the inactive regime contributes nothing). With
//   no conditions and regionQuantile 1 this is the paper's gamma^2 * Pearson divergence.
//   Optuna reports it unnormalised too; `normalized` is each share of the sum (0 when all are 0).
// - a simplex is analysed as one numeric parameter per component, named `param.component`, over
//   its weight in [0, 1]: which source's share mattered is what a report asks, and an average
//   would hide it. Each component counts once in `normalized`.
// - fewer than 4 usable observations (finite loss), fewer than 2 region trials with the
//   parameter, none in the target set, or a single legal value: importance 0, interval [0, 0].
// Interactions: see `interactions` for the definition (and where it departs from subtracting
// only the two marginal divergences).
// Intervals: percentile bootstrap. A replicate draws n trials with replacement (a multiplicity
// per trial), recomputes T and R from the replicate and every statistic on it; `interactions`
// uses the same stream, so its replicate r resamples the same trials as `pedAnova`'s.
import type { Config, NumericParam, Param, Scalar, SimplexValue, Space } from './types.js';
import { configKey, configToUnit, dimsOf, isActive, toInternal } from './space.js';
import { logGaussMass } from './parzen.js';
import { streamFor } from './rng.js';
import { UsageError } from '../core/errors.js';

export type Family = 'architecture' | 'data' | 'augmentation' | 'training' | 'other';

/**
 * The family of a parameter, from the file of its `file:key` path (split at the last colon,
 * as the spec reader does): models/* is architecture, data/* data, augment/* augmentation,
 * the project's params.yaml training; anything else (another file, a nested params.yaml) other.
 */
export function familyOf(param: Param): Family {
  const colon = param.path.lastIndexOf(':');
  const file = (colon < 0 ? param.path : param.path.slice(0, colon)).replace(/\\/g, '/').replace(/^(\.\/)+/, '');
  if (file.startsWith('models/')) return 'architecture';
  if (file.startsWith('data/')) return 'data';
  if (file.startsWith('augment/')) return 'augmentation';
  if (file === 'params.yaml') return 'training';
  return 'other';
}

/** A finished trial: its configuration and its objective as a loss (smaller is better). */
export interface Observation {
  config: Config;
  value: number;
}

export interface ImportanceOptions {
  seed: number;
  /** Bootstrap replicates for the intervals (200); 0 gives intervals collapsed on the estimate. */
  resamples?: number;
  /** Coverage of the percentile interval (0.95). */
  level?: number;
  /** The target set: this top share of the region by loss (0.1). */
  targetQuantile?: number;
  /** The region importance is measured in: this top share of all trials (1.0: all). */
  regionQuantile?: number;
  /** Grid points of a number's 1-D estimator (50, Optuna's). */
  steps?: number;
  /** Grid points per number of a 2-D estimator in `interactions` (20): its cost grows with the square. */
  pairSteps?: number;
}

export interface ParamImportance {
  /** The parameter's name; `param.component` for a simplex component. */
  param: string;
  family: Family;
  importance: number;
  interval: { low: number; high: number };
  /** Share of the sum of all importances (0 when the sum is 0). */
  normalized: number;
}

export interface Interaction {
  a: string;
  b: string;
  families: [Family, Family];
  strength: number;
  interval: { low: number; high: number };
}

export interface SensitivityAxis {
  param: string;
  family: Family;
  points: { value: number | string; objective: number; trial: number }[];
  /** max - min of the objective over the points (0 without points). */
  range: number;
}

const MIN_OBSERVATIONS = 4;
/** Optuna's _min_n_trials_in_regime: a regime with fewer region trials is left out. */
const MIN_REGION_IN_REGIME = 2;
const PRIOR_WEIGHT = 1;
const EPS = 1e-12;
const SIGMA_MIN = 0.5 / 1.64;

// ---- options ------------------------------------------------------------------------------

interface Settings {
  seed: number;
  resamples: number;
  level: number;
  targetQuantile: number;
  regionQuantile: number;
  steps: number;
  pairSteps: number;
}

function settingsOf(options: ImportanceOptions): Settings {
  const s: Settings = {
    seed: options.seed,
    resamples: options.resamples ?? 200,
    level: options.level ?? 0.95,
    targetQuantile: options.targetQuantile ?? 0.1,
    regionQuantile: options.regionQuantile ?? 1,
    steps: options.steps ?? 50,
    pairSteps: options.pairSteps ?? 20,
  };
  if (!Number.isFinite(s.seed)) throw new UsageError(`importance: the seed must be a number, not ${s.seed}`);
  if (!Number.isInteger(s.resamples) || s.resamples < 0) throw new UsageError(`importance: resamples must be a whole number >= 0, not ${s.resamples}`);
  if (!(s.level > 0 && s.level < 1)) throw new UsageError(`importance: level must be between 0 and 1, not ${s.level}`);
  if (!(s.targetQuantile > 0 && s.targetQuantile < s.regionQuantile && s.regionQuantile <= 1)) {
    throw new UsageError(`importance: needs 0 < targetQuantile < regionQuantile <= 1, not ${s.targetQuantile} and ${s.regionQuantile}`);
  }
  for (const [name, v] of [['steps', s.steps], ['pairSteps', s.pairSteps]] as const) {
    if (!Number.isInteger(v) || v < 2) throw new UsageError(`importance: ${name} must be a whole number >= 2, not ${v}`);
  }
  return s;
}

// ---- features: what each parameter becomes on a grid -------------------------------------

/** One analysed axis: a parameter, or one component of a simplex. */
interface Feature {
  name: string;
  param: Param;
  family: Family;
  kind: 'numeric' | 'categorical';
  /** Grid points (numbers) or choices (categories). */
  size: number;
  /** The grid cell of a configuration's value; -1 when it has none (inactive, or not a legal choice). */
  cellOf(config: Config): number;
}

/** Grid points of a number, by Optuna's rules (fewer when the parameter has fewer legal values). */
function numericGridSize(p: NumericParam, steps: number): number {
  if (!(p.high > p.low)) return 1;
  if (p.type === 'int' && p.log) return Math.min(Math.ceil(Math.log(p.high - p.low + 1) / Math.log(2)) + 1, steps);
  if (!p.log && p.step !== undefined) return Math.min(Math.round((p.high - p.low) / p.step) + 1, steps);
  return steps;
}

/** The nearest of n evenly spaced points on [low, high] (midpoint ties to the lower one). */
function gridCell(t: number, low: number, high: number, n: number): number {
  if (n <= 1) return 0;
  const i = Math.ceil((t - low) / ((high - low) / (n - 1)) - 0.5);
  return Math.min(n - 1, Math.max(0, Number.isFinite(i) ? i : 0));
}

function hasValue(p: Param, config: Config): boolean {
  return config[p.name] !== undefined && isActive(p, config);
}

function featuresOf(space: Space, steps: number): Feature[] {
  const out: Feature[] = [];
  for (const p of space.params) {
    const family = familyOf(p);
    if (p.type === 'categorical') {
      out.push({
        name: p.name,
        param: p,
        family,
        kind: 'categorical',
        size: p.choices.length,
        cellOf: (c) => (hasValue(p, c) ? p.choices.findIndex((choice) => choice === c[p.name]) : -1),
      });
    } else if (p.type === 'simplex') {
      for (const component of p.over) {
        out.push({
          name: `${p.name}.${component}`,
          param: p,
          family,
          kind: 'numeric',
          size: steps,
          cellOf: (c) => {
            if (!hasValue(p, c)) return -1;
            const w = (c[p.name] as SimplexValue)[component];
            return typeof w === 'number' && Number.isFinite(w) ? gridCell(w, 0, 1, steps) : -1;
          },
        });
      }
    } else {
      const n = numericGridSize(p, steps);
      const low = toInternal(p, p.low);
      const high = toInternal(p, p.high);
      out.push({
        name: p.name,
        param: p,
        family,
        kind: 'numeric',
        size: n,
        cellOf: (c) => {
          if (!hasValue(p, c)) return -1;
          const v = c[p.name];
          if (typeof v !== 'number' || !Number.isFinite(v) || (p.log && !(v > 0))) return -1;
          return gridCell(toInternal(p, v), low, high, n);
        },
      });
    }
  }
  return out;
}

// ---- the data, the target and region sets, the bootstrap ---------------------------------

interface Prepared {
  losses: Float64Array;
  /** Observation indices by ascending loss (ties by index). */
  order: Int32Array;
  /** Per feature, the grid cell of each observation (-1: none). */
  cells: Int32Array[];
}

function prepare(observations: readonly Observation[], features: readonly Feature[]): Prepared {
  const usable = observations.filter((o) => Number.isFinite(o.value));
  const losses = Float64Array.from(usable, (o) => o.value);
  const order = Int32Array.from(usable.keys()).sort((a, b) => losses[a]! - losses[b]! || a - b);
  const cells = features.map((f) => Int32Array.from(usable, (o) => f.cellOf(o.config)));
  return { losses, order, cells };
}

/** Multiplicities of the observations in the target set and in the region set of one sample. */
interface Sets {
  top: Float64Array;
  region: Float64Array;
  nTop: number;
  nRegion: number;
}

/** The loss at or under which a trial is in the top `q` share of a sample with these multiplicities (Optuna's inverted-CDF cut). */
function cutoff(prep: Prepared, mult: Float64Array, total: number, q: number): number {
  if (q >= 1) return Infinity;
  const index = Math.ceil(q * total) - 1;
  let seen = 0;
  for (const i of prep.order) {
    seen += mult[i]!;
    if (seen > index) return prep.losses[i]!;
  }
  return Infinity;
}

function setsOf(prep: Prepared, mult: Float64Array, s: Settings): Sets {
  let total = 0;
  for (const m of mult) total += m;
  const cutTop = cutoff(prep, mult, total, s.targetQuantile);
  const cutRegion = cutoff(prep, mult, total, s.regionQuantile);
  const top = new Float64Array(mult.length);
  const region = new Float64Array(mult.length);
  let nTop = 0;
  let nRegion = 0;
  for (let i = 0; i < mult.length; i++) {
    const m = mult[i]!;
    if (m === 0) continue;
    const loss = prep.losses[i]!;
    if (loss <= cutTop) {
      top[i] = m;
      nTop += m;
    }
    if (loss <= cutRegion) {
      region[i] = m;
      nRegion += m;
    }
  }
  return { top, region, nTop, nRegion };
}

/**
 * The statistics on the data and on `resamples` bootstrap replicates: each replicate draws n
 * observations with replacement. Returns the estimates and, per statistic, the replicates' values.
 */
function withBootstrap(prep: Prepared, s: Settings, statistics: (sets: Sets) => Float64Array): { estimate: Float64Array; replicates: Float64Array[] } {
  const n = prep.losses.length;
  const estimate = statistics(setsOf(prep, new Float64Array(n).fill(1), s));
  const replicates = Array.from(estimate, () => new Float64Array(s.resamples));
  const rng = streamFor(s.seed, 0, 'importance');
  const mult = new Float64Array(n);
  for (let r = 0; r < s.resamples; r++) {
    mult.fill(0);
    for (let k = 0; k < n; k++) mult[rng.int(n)]! += 1;
    const values = statistics(setsOf(prep, mult, s));
    values.forEach((v, i) => (replicates[i]![r] = v));
  }
  return { estimate, replicates };
}

/** The percentile interval of the replicates (linear interpolation between order statistics). */
function percentileInterval(replicates: Float64Array, estimate: number, level: number): { low: number; high: number } {
  if (replicates.length === 0) return { low: estimate, high: estimate };
  const sorted = Float64Array.from(replicates).sort();
  const at = (p: number) => {
    const h = (sorted.length - 1) * p;
    const lo = Math.floor(h);
    const hi = Math.min(sorted.length - 1, lo + 1);
    return sorted[lo]! + (h - lo) * (sorted[hi]! - sorted[lo]!);
  };
  const tail = (1 - level) / 2;
  return { low: at(tail), high: at(1 - tail) };
}

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
function parzen1d(kind: Feature['kind'], counts: Float64Array): Float64Array {
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
function pearson(top: ArrayLike<number>, region: ArrayLike<number>): number {
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
function regimeScale(sets: Sets, nTopIn: number, nRegionIn: number): number | undefined {
  if (nRegionIn < MIN_REGION_IN_REGIME || nTopIn <= 0 || sets.nTop <= 0) return undefined;
  const alpha = nTopIn / sets.nTop;
  const beta = nRegionIn / sets.nRegion;
  return (sets.nTop / sets.nRegion) ** 2 * (alpha * alpha) / beta;
}

function featureImportance(f: Feature, cells: Int32Array, sets: Sets): number {
  if (f.size < 2) return 0;
  const top = new Float64Array(f.size);
  const region = new Float64Array(f.size);
  let nTop = 0;
  let nRegion = 0;
  for (let i = 0; i < cells.length; i++) {
    const c = cells[i]!;
    if (c < 0) continue;
    top[c]! += sets.top[i]!;
    region[c]! += sets.region[i]!;
    nTop += sets.top[i]!;
    nRegion += sets.region[i]!;
  }
  const scale = regimeScale(sets, nTop, nRegion);
  if (scale === undefined) return 0;
  return scale * pearson(parzen1d(f.kind, top), parzen1d(f.kind, region));
}

// ---- PED-ANOVA --------------------------------------------------------------------------

/** Importance of every parameter (simplex: every component), sorted by importance, then space order. */
export function pedAnova(space: Space, observations: readonly Observation[], options: ImportanceOptions): ParamImportance[] {
  const s = settingsOf(options);
  const features = featuresOf(space, s.steps);
  const prep = prepare(observations, features);
  const zero = () => new Float64Array(features.length);
  const { estimate, replicates } =
    prep.losses.length < MIN_OBSERVATIONS
      ? { estimate: zero(), replicates: features.map(() => new Float64Array(0)) }
      : withBootstrap(prep, s, (sets) => Float64Array.from(features, (f, i) => featureImportance(f, prep.cells[i]!, sets)));
  let sum = 0;
  for (const v of estimate) sum += v;
  const rows = features.map((f, i): ParamImportance => ({
    param: f.name,
    family: f.family,
    importance: estimate[i]!,
    interval: prep.losses.length < MIN_OBSERVATIONS ? { low: 0, high: 0 } : percentileInterval(replicates[i]!, estimate[i]!, s.level),
    normalized: sum > 0 ? estimate[i]! / sum : 0,
  }));
  return rows.map((row, i) => ({ row, i })).sort((x, y) => y.row.importance - x.row.importance || x.i - y.i).map((x) => x.row);
}

// ---- interactions -----------------------------------------------------------------------

/** Buffers for one pair's estimators, reused across bootstrap replicates (allocation dominated otherwise). */
interface PairWork {
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

function pairWork(na: number, nb: number): PairWork {
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
function parzen2d(fa: Feature, fb: Feature, counts: Float64Array, pdf: Float64Array, w: PairWork): void {
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

function marginalsInto(pdf: Float64Array, na: number, nb: number, pa: Float64Array, pb: Float64Array): void {
  pa.fill(0);
  pb.fill(0);
  for (let i = 0; i < na; i++) {
    for (let j = 0; j < nb; j++) {
      pa[i]! += pdf[i * nb + j]!;
      pb[j]! += pdf[i * nb + j]!;
    }
  }
}

function pairStrength(fa: Feature, fb: Feature, cellsA: Int32Array, cellsB: Int32Array, sets: Sets, w: PairWork): number {
  const { na, nb, top, region } = w;
  if (na < 2 || nb < 2) return 0;
  top.fill(0);
  region.fill(0);
  let nTop = 0;
  let nRegion = 0;
  for (let i = 0; i < cellsA.length; i++) {
    const a = cellsA[i]!;
    const b = cellsB[i]!;
    if (a < 0 || b < 0) continue;
    top[a * nb + b]! += sets.top[i]!;
    region[a * nb + b]! += sets.region[i]!;
    nTop += sets.top[i]!;
    nRegion += sets.region[i]!;
  }
  const scale = regimeScale(sets, nTop, nRegion);
  if (scale === undefined) return 0;
  parzen2d(fa, fb, top, w.pdfTop, w);
  parzen2d(fa, fb, region, w.pdfRegion, w);
  marginalsInto(w.pdfTop, na, nb, w.topA, w.topB);
  marginalsInto(w.pdfRegion, na, nb, w.regionA, w.regionB);
  const chiA = pearson(w.topA, w.regionA);
  const chiB = pearson(w.topB, w.regionB);
  // What the joint divergence would be if each parameter acted on its own (see `interactions`).
  const independent = chiA + chiB + chiA * chiB;
  return Math.max(0, scale * (pearson(w.pdfTop, w.pdfRegion) - independent));
}

/**
 * The interaction of every pair of parameters from different families, strongest first.
 *
 * strength = scale * (D_ab - D_a - D_b - D_a D_b), clamped at 0, where D_s is the Pearson
 * divergence sum p_R (p_T/p_R - 1)^2 of the target against the region density of the subset s
 * and scale is PED-ANOVA's (|T|/|R|)^2 alpha^2/beta for the observations with both parameters.
 * When the pair acts independently (p_T(a,b) = p_T(a) p_T(b) and p_R(a,b) = p_R(a) p_R(b)), the
 * ratio p_T/p_R factorises and D_ab = (1 + D_a)(1 + D_b) - 1 exactly, so the strength is 0; it is
 * what the joint shows beyond the two parameters each acting on its own. Subtracting only
 * D_a + D_b (f-ANOVA's second-order term of the chance of reaching the target) leaves D_a D_b,
 * which any two independently important parameters have: on 200 trials of an additive loss
 * 4(x-0.3)^2 + 4(z-0.6)^2 it exceeded a real -(x-0.5)(z-0.5) product in 12 of 12 seeds; with the
 * product term removed the product pair came out stronger in 10 of 12. A threshold on an additive
 * loss still leaves a little (the target set is not a rectangle), and estimation noise or a
 * sampler that correlates its choices can make the difference negative, which carries no
 * interaction, hence the clamp.
 * D_ab comes from 2-D product-kernel estimators over the observations with both parameters, D_a
 * and D_b from the marginals of those same estimators, so that all three share one grid, one
 * width per axis and one set of observations, and the difference measures the pair rather than
 * a change of resolution. Same-family pairs are left out (they share a file; the report asks
 * across files). Simplex components enter as their own numbers; numbers use
 * min(steps, pairSteps) grid points.
 */
export function interactions(space: Space, observations: readonly Observation[], options: ImportanceOptions): Interaction[] {
  const s = settingsOf(options);
  const features = featuresOf(space, Math.min(s.steps, s.pairSteps));
  const prep = prepare(observations, features);
  const pairs: [number, number][] = [];
  for (let a = 0; a < features.length; a++) {
    for (let b = a + 1; b < features.length; b++) if (features[a]!.family !== features[b]!.family) pairs.push([a, b]);
  }
  const few = prep.losses.length < MIN_OBSERVATIONS;
  const work = pairs.map(([a, b]) => pairWork(features[a]!.size, features[b]!.size));
  const { estimate, replicates } = few
    ? { estimate: new Float64Array(pairs.length), replicates: pairs.map(() => new Float64Array(0)) }
    : withBootstrap(prep, s, (sets) => Float64Array.from(pairs, ([a, b], i) => pairStrength(features[a]!, features[b]!, prep.cells[a]!, prep.cells[b]!, sets, work[i]!)));
  const rows = pairs.map(([a, b], i): Interaction => ({
    a: features[a]!.name,
    b: features[b]!.name,
    families: [features[a]!.family, features[b]!.family],
    strength: estimate[i]!,
    interval: few ? { low: 0, high: 0 } : percentileInterval(replicates[i]!, estimate[i]!, s.level),
  }));
  return rows.map((row, i) => ({ row, i })).sort((x, y) => y.row.strength - x.row.strength || x.i - y.i).map((x) => x.row);
}

// ---- sensitivity ------------------------------------------------------------------------

/**
 * Per parameter the winner has (simplex: per component), the winner's trial and the `neighbours`
 * (8) trials nearest to the winner in the OTHER parameters, with their value of this parameter
 * and their objective, sorted by that value (numbers ascending, categories in choice order, ties
 * by trial): a one-parameter-at-a-time slice through the winner.
 *
 * Nearness is Euclidean over the other parameters' unit-cube coordinates (configToUnit; a simplex
 * by its sticks), except that two categories differ by 1 or 0, since their cell centres would
 * invent an order; a coordinate one trial has and the other lacks (a condition) differs by 1. Ties
 * go to the lower trial number. Only trials with a value for the parameter count. The winner's
 * trial is every observation whose configuration equals `winner`. `objective` is the observation's
 * value unchanged, in whatever sign convention the caller passed (nothing here ranks by it); a
 * boolean choice is reported as its string. Axes come in space order; non-finite values are skipped.
 */
export function sensitivity(
  space: Space,
  observations: readonly (Observation & { trial: number })[],
  winner: Config,
  options: { neighbours?: number } = {},
): SensitivityAxis[] {
  const k = options.neighbours ?? 8;
  if (!Number.isInteger(k) || k < 0) throw new UsageError(`sensitivity: neighbours must be a whole number >= 0, not ${k}`);
  const dims = dimsOf(space);
  const usable = observations.filter((o) => Number.isFinite(o.value));
  const units = usable.map((o) => configToUnit(space, o.config));
  const winnerUnit = configToUnit(space, winner);
  const winnerKey = configKey(winner);
  const isWinner = usable.map((o) => configKey(o.config) === winnerKey);
  const axes: SensitivityAxis[] = [];
  for (const p of space.params) {
    if (!hasValue(p, winner)) continue;
    const others = dims.flatMap((d, i) => (d.param === p ? [] : [i]));
    const distance = (u: (number | undefined)[]) => {
      let sq = 0;
      for (const i of others) {
        const a = u[i];
        const b = winnerUnit[i];
        if (a === undefined && b === undefined) continue;
        if (a === undefined || b === undefined) sq += 1;
        else if (dims[i]!.kind === 'categorical') sq += a === b ? 0 : 1;
        else sq += (a - b) ** 2;
      }
      return Math.sqrt(sq);
    };
    const components = p.type === 'simplex' ? p.over.map((c) => ({ name: `${p.name}.${c}`, component: c })) : [{ name: p.name, component: undefined }];
    for (const { name, component } of components) {
      const valueOf = (c: Config): { value: number | string; order: number } | undefined => {
        if (!hasValue(p, c)) return undefined;
        const v = c[p.name];
        if (p.type === 'categorical') {
          const index = p.choices.findIndex((choice) => choice === v);
          if (index < 0) return undefined;
          const choice: Scalar = p.choices[index]!;
          return { value: typeof choice === 'number' ? choice : String(choice), order: index };
        }
        const x = component === undefined ? v : (v as SimplexValue)[component];
        return typeof x === 'number' && Number.isFinite(x) ? { value: x, order: x } : undefined;
      };
      const candidates: { index: number; distance: number }[] = [];
      const chosen: number[] = [];
      usable.forEach((o, index) => {
        if (valueOf(o.config) === undefined) return;
        if (isWinner[index]) chosen.push(index);
        else candidates.push({ index, distance: distance(units[index]!) });
      });
      candidates.sort((x, y) => x.distance - y.distance || usable[x.index]!.trial - usable[y.index]!.trial);
      for (const c of candidates.slice(0, k)) chosen.push(c.index);
      const points = chosen
        .map((index) => ({ at: valueOf(usable[index]!.config)!, o: usable[index]! }))
        .sort((x, y) => x.at.order - y.at.order || x.o.trial - y.o.trial)
        .map(({ at, o }) => ({ value: at.value, objective: o.value, trial: o.trial }));
      let min = Infinity;
      let max = -Infinity;
      for (const pt of points) {
        min = Math.min(min, pt.objective);
        max = Math.max(max, pt.objective);
      }
      axes.push({ param: name, family: familyOf(p), points, range: points.length > 0 ? max - min : 0 });
    }
  }
  return axes;
}

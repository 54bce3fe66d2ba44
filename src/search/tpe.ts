// The TPE sampler (tree-structured Parzen estimator) after Optuna's TPESampler, pure: finished
// trials split into a good group l(x) and the rest g(x), each a mixture of truncated normals
// (categoricals: smoothed one-hot rows) plus a prior kernel; candidates drawn from l, the best
// log l - log g kept. The user's prior replaces Optuna's uninformative prior kernel.
//
// Choices where rx differs from or narrows Optuna (TPESampler defaults otherwise):
// - multivariate (default on): one joint estimator per group of dimensions, the groups being
//   Optuna's group decomposition (group=True) of the parameter sets the finished trials used;
//   parameters no finished trial has yet form one more group, sampled from their prior kernels.
//   multivariate: false gives independent univariate TPE per dimension (simplex sticks too).
//   Every group is sampled; the configuration keeps the parameters active under the values
//   chosen, as Optuna's relative sampling does.
// - ints and stepped floats use Optuna's discrete handling: a candidate is snapped to the grid
//   and scored by the kernels' mass over its cell; log floats with a step are scored as
//   continuous and snapped afterwards.
// - pruned trials have no intermediate steps here: they rank after complete ones by value.
// - the score is log l - log g, which has the argmax of Optuna's acquisition function.
// - the good group is min(ceil(0.15 n), 25) trials, not Optuna's min(ceil(0.1 n), 25), and the
//   multivariate kernels' width on an axis is Scott's rule, sd(observations) n^(-1/(d+4)), not
//   Optuna 3.1's 0.2 (high - low) n^(-1/(d+4)); Optuna's magic clip still bounds it below
//   (range / min(100, kernels + 1)) and the range above. Both are settings Watanabe (2023, "TPE:
//   understanding its algorithm components") studies: a larger linear gamma and Scott's rule
//   make l sharper around the good trials. On bench/search.ts (60 trials, median best of 10
//   seeds) they took rx tpe from 3/6 to 6/6 functions below Optuna 3.1's TPE, and 6/6 on seeds
//   10-19 too (from 4/6); either alone gave 5/6 on both seed sets. Univariate TPE keeps
//   Optuna's neighbour-gap widths. Candidates (24), prior weight (1) and the weights of old
//   observations stay Optuna's: 48 or 100 candidates, uniform weights, prior weight 0.5 or 2,
//   a fixed minimum width of 1% or 3% of the range for the magic clip and candidates drawn
//   from a narrowed l did no better in the same measurement. A liar's kernel in g is as wide as
//   g's Scott width, so it repels less locally than with Optuna's width (same candidates: the
//   argmax moved in 14 of 20 seeds, from 20). A suggestion at trial 60 still takes ~0.35 ms.
import type { Config, NumericParam, Sampler, Scalar, SimplexValue, Space, SuggestInput, Suggestion, Trial } from './types.js';
import { configFromDims, dimsOf, samplePrior, simplexToSticks, snapNumeric, toInternal, truncatedNormal, type Dim } from './space.js';
import { streamFor, type Rng } from './rng.js';

export interface TpeOptions {
  nStartupTrials: number;
  nEiCandidates: number;
  priorWeight: number;
  multivariate: boolean;
  constantLiar: boolean;
  /** A fixed fraction of the finished trials in the good group (rounded up); defaultGamma's min(ceil(0.15 n), 25) when absent. */
  gamma?: number;
}

export const TPE_DEFAULTS: Readonly<TpeOptions> = Object.freeze({
  nStartupTrials: 10,
  nEiCandidates: 24,
  priorWeight: 1,
  multivariate: true,
  constantLiar: true,
});

const EPS = 1e-12;
const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);

/** The options of a phase over the defaults; an unknown key or an ill-typed value is a TypeError naming it. */
export function tpeOptions(options: Record<string, unknown> | undefined): TpeOptions {
  const out: TpeOptions = { ...TPE_DEFAULTS };
  for (const [key, value] of Object.entries(options ?? {})) {
    switch (key) {
      case 'nStartupTrials':
        if (!Number.isInteger(value) || (value as number) < 0) throw new TypeError(`tpe option nStartupTrials must be an integer >= 0, got ${String(value)}`);
        out.nStartupTrials = value as number;
        break;
      case 'nEiCandidates':
        if (!Number.isInteger(value) || (value as number) < 1) throw new TypeError(`tpe option nEiCandidates must be an integer >= 1, got ${String(value)}`);
        out.nEiCandidates = value as number;
        break;
      case 'priorWeight':
        if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) throw new TypeError(`tpe option priorWeight must be a number > 0, got ${String(value)}`);
        out.priorWeight = value;
        break;
      case 'gamma':
        if (typeof value !== 'number' || !(value > 0 && value <= 1)) throw new TypeError(`tpe option gamma must be a fraction in (0, 1], got ${String(value)}`);
        out.gamma = value;
        break;
      case 'multivariate':
      case 'constantLiar':
        if (typeof value !== 'boolean') throw new TypeError(`tpe option ${key} must be a boolean, got ${String(value)}`);
        out[key] = value;
        break;
      default:
        throw new TypeError(`unknown tpe option ${key}`);
    }
  }
  return out;
}

/** How many of n finished trials form the good group: Optuna's default_gamma with 15% for its 10% (see the header). */
export function defaultGamma(n: number): number {
  return Math.min(Math.ceil((15 * n) / 100), 25);
}

/** Optuna's default_weights: flat up to 25 observations, then a ramp from 1/n that discounts the oldest. */
export function defaultWeights(n: number): number[] {
  if (n < 25) return new Array<number>(n).fill(1);
  const ramp = n - 25;
  const out: number[] = [];
  // numpy's linspace(1/n, 1, ramp): the last point is exactly 1.
  for (let i = 0; i < ramp; i++) out.push(ramp === 1 ? 1 / n : i === ramp - 1 ? 1 : 1 / n + (i * (1 - 1 / n)) / (ramp - 1));
  for (let i = 0; i < 25; i++) out.push(1);
  return out;
}

function lossOf(t: Trial): number {
  return typeof t.value === 'number' && !Number.isNaN(t.value) ? t.value : Infinity;
}

/**
 * Optuna's split: the nBelow best complete trials (then the best pruned ones) are good, the
 * rest and, as constant liars, the running ones are bad; both groups in trial-number order so
 * the weights discount the oldest. Failed trials take no part.
 */
export function splitTrials(trials: readonly Trial[], nBelow: number, constantLiar: boolean): { below: Trial[]; above: Trial[] } {
  const byLoss = (a: Trial, b: Trial) => lossOf(a) - lossOf(b) || a.number - b.number;
  const complete = trials.filter((t) => t.state === 'complete').sort(byLoss);
  const pruned = trials.filter((t) => t.state === 'pruned').sort(byLoss);
  const running = constantLiar ? trials.filter((t) => t.state === 'running') : [];
  const nComplete = Math.min(nBelow, complete.length);
  const nPruned = Math.min(nBelow - nComplete, pruned.length);
  const below = [...complete.slice(0, nComplete), ...pruned.slice(0, nPruned)];
  const above = [...complete.slice(nComplete), ...pruned.slice(nPruned), ...running];
  const byNumber = (a: Trial, b: Trial) => a.number - b.number;
  return { below: below.sort(byNumber), above: above.sort(byNumber) };
}

// ---- axes: a dimension as the estimator sees it ---------------------------------------------

export type PriorSource = 'user' | 'uninformative';

/** A discrete numeric: candidates snap to the grid and are scored by mass over [x - half, x + half] (ln of both ends on a log scale). */
export interface DiscreteCell {
  param: NumericParam;
  half: number;
  log: boolean;
}

export type Axis =
  | { kind: 'numeric'; label: string; low: number; high: number; priorMu: number; priorSigma: number; prior: PriorSource; discrete: DiscreteCell | undefined }
  | { kind: 'categorical'; label: string; size: number; priorWeights: number[]; prior: PriorSource };

export function dimLabel(dim: Dim): string {
  return dim.kind === 'stick' ? `${dim.param.name}[${dim.index}]` : dim.param.name;
}

/** The axis of a dimension: its internal bounds, its prior kernel (the user's, else Optuna's N(centre, range) or uniform), its grid. */
export function axisOf(dim: Dim): Axis {
  const label = dimLabel(dim);
  if (dim.kind === 'categorical') {
    const given = dim.param.weights;
    const total = given ? given.reduce((s, w) => s + w, 0) : 0;
    // A zero weight is floored so that no choice has zero density under g (an infinite score).
    const floored = given && total > 0 ? given.map((w) => Math.max(w / total, EPS)) : undefined;
    const flooredTotal = floored ? floored.reduce((s, w) => s + w, 0) : 1;
    const priorWeights = floored ? floored.map((w) => w / flooredTotal) : new Array<number>(dim.size).fill(1 / dim.size);
    return { kind: 'categorical', label, size: dim.size, priorWeights, prior: given ? 'user' : 'uninformative' };
  }
  if (dim.kind === 'stick') {
    // The Beta(a, b) marginal of the stick as a normal kernel; with no Dirichlet given the
    // Beta is the uniform simplex's, which is the uninformative prior over a simplex.
    const s = dim.a + dim.b;
    const mean = dim.a / s;
    const sd = Math.sqrt((dim.a * dim.b) / (s * s * (s + 1)));
    return { kind: 'numeric', label, low: 0, high: 1, priorMu: mean, priorSigma: sd, prior: dim.param.dirichlet ? 'user' : 'uninformative', discrete: undefined };
  }
  const p = dim.param;
  let discrete: DiscreteCell | undefined;
  if (p.type === 'int') discrete = { param: p, half: p.log ? 0.5 : p.step / 2, log: p.log };
  else if (p.step !== undefined && !p.log) discrete = { param: p, half: p.step / 2, log: false };
  const range = dim.high - dim.low;
  if (dim.prior) {
    return { kind: 'numeric', label, low: dim.low, high: dim.high, priorMu: dim.prior.mu, priorSigma: Math.max(dim.prior.sigma, EPS * Math.max(range, 1)), prior: 'user', discrete };
  }
  return { kind: 'numeric', label, low: dim.low, high: dim.high, priorMu: 0.5 * (dim.low + dim.high), priorSigma: range, prior: 'uninformative', discrete };
}

function isFixed(axis: Axis): boolean {
  return axis.kind === 'categorical' ? axis.size <= 1 : !(axis.high > axis.low);
}

/** A value on the axis's internal scale, snapped to the grid for a discrete axis. */
export function snapAxis(axis: Axis, t: number): number {
  if (axis.kind === 'numeric' && axis.discrete) return toInternal(axis.discrete.param, snapNumeric(axis.discrete.param, t));
  return t;
}

// ---- Gaussian masses ---------------------------------------------------------------------------

/** ln erfc(y) for y >= 0, from the same Chebyshev fit as space.ts's erfc but without its underflow. */
function logErfcPositive(y: number): number {
  const t = 1 / (1 + 0.5 * y);
  return (
    Math.log(t) -
    y * y -
    1.26551223 +
    t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))))
  );
}

/** ln P(Z > z) for the standard normal, z >= 0. */
function logUpperTail(z: number): number {
  return Math.log(0.5) + logErfcPositive(z / Math.SQRT2);
}

/** ln P(a < Z < b) for the standard normal, accurate in the tails (Optuna's _log_gauss_mass). */
export function logGaussMass(a: number, b: number): number {
  if (!(b > a)) return -Infinity;
  if (b <= 0) return logGaussMass(-b, -a);
  if (a >= 0) {
    const la = logUpperTail(a);
    const lb = b === Infinity ? -Infinity : logUpperTail(b);
    return la + Math.log1p(-Math.exp(lb - la));
  }
  // a < 0 < b: both tails outside are at most one half each.
  const outside = Math.exp(logUpperTail(-a)) + (b === Infinity ? 0 : Math.exp(logUpperTail(b)));
  return Math.log1p(-Math.min(outside, 1));
}

// ---- the Parzen estimator -----------------------------------------------------------------------

export interface ParzenParams {
  priorWeight: number;
  multivariate: boolean;
}

/**
 * A mixture of product kernels over some axes: kernel k has weight exp(logWeights[k]); on a
 * numeric axis a normal (mu, sigma) truncated to the bounds, on a categorical one a row of
 * probabilities. The last kernel is the prior. Arrays are flat so scoring allocates nothing.
 */
export interface ParzenEstimator {
  axes: readonly Axis[];
  nKernels: number;
  weights: Float64Array;
  logWeights: Float64Array;
  /** Per axis (numeric; empty for categorical): centres, widths, 1/width. */
  mu: Float64Array[];
  sigma: Float64Array[];
  invSigma: Float64Array[];
  /** Per axis (categorical; empty for numeric): probabilities, nKernels rows of size. */
  catP: Float64Array[];
  catLogP: Float64Array[];
  /** log weight plus every kernel's normalising terms; what log_pdf adds its exponents to. */
  base: Float64Array;
  scratch: Float64Array;
}

const EMPTY = new Float64Array(0);

/**
 * Builds the estimator from observations (one row of internal values per trial, one value
 * per axis) and their weights (Optuna's defaultWeights for the group); the prior kernel takes
 * priorWeight, and is alone when there are no observations.
 */
export function buildParzenEstimator(axes: readonly Axis[], observations: readonly ArrayLike<number>[], obsWeights: readonly number[], params: ParzenParams): ParzenEstimator {
  const n = observations.length;
  const nK = n + 1;
  const weights = new Float64Array(nK);
  if (n === 0) weights[0] = 1;
  else {
    let total = params.priorWeight;
    for (let i = 0; i < n; i++) total += obsWeights[i]!;
    for (let i = 0; i < n; i++) weights[i] = obsWeights[i]! / total;
    weights[n] = params.priorWeight / total;
  }
  const logWeights = weights.map(Math.log);
  const base = Float64Array.from(logWeights);
  const mu: Float64Array[] = [];
  const sigma: Float64Array[] = [];
  const invSigma: Float64Array[] = [];
  const catP: Float64Array[] = [];
  const catLogP: Float64Array[] = [];
  const nAxes = axes.length;

  for (let j = 0; j < nAxes; j++) {
    const axis = axes[j]!;
    if (axis.kind === 'categorical') {
      const size = axis.size;
      const p = new Float64Array(nK * size);
      // Optuna: every observation row is prior_weight/nKernels everywhere plus one on the
      // observed choice; the prior row is the prior (the user's weights, else uniform).
      for (let i = 0; i < n; i++) {
        const obs = observations[i]![j]!;
        let rowSum = 0;
        for (let c = 0; c < size; c++) {
          const w = params.priorWeight / nK + (c === obs ? 1 : 0);
          p[i * size + c] = w;
          rowSum += w;
        }
        for (let c = 0; c < size; c++) p[i * size + c]! /= rowSum;
      }
      for (let c = 0; c < size; c++) p[n * size + c] = axis.priorWeights[c]!;
      catP.push(p);
      catLogP.push(p.map(Math.log));
      mu.push(EMPTY);
      sigma.push(EMPTY);
      invSigma.push(EMPTY);
      continue;
    }
    const { low, high } = axis;
    const range = high - low;
    const m = new Float64Array(nK);
    const s = new Float64Array(nK);
    for (let i = 0; i < n; i++) m[i] = observations[i]![j]!;
    if (n > 0) {
      if (params.multivariate) s.fill(scottBandwidth(m, n, nAxes, range), 0, n);
      else univariateSigmas(m, n, Math.min(high, Math.max(low, axis.priorMu)), low, high, s);
      // Optuna's magic clip, counting the prior among the kernels.
      const minSigma = range / Math.min(100, 1 + nK);
      for (let i = 0; i < n; i++) s[i] = Math.min(range, Math.max(minSigma, s[i]!));
    }
    m[n] = axis.priorMu;
    s[n] = axis.priorSigma;
    const inv = s.map((x) => 1 / x);
    for (let k = 0; k < nK; k++) {
      const norm = logGaussMass((low - m[k]!) * inv[k]!, (high - m[k]!) * inv[k]!);
      // A continuous axis adds the density's constant; a discrete one only the truncation,
      // its cell mass being computed per candidate.
      base[k]! -= axis.discrete ? norm : norm + Math.log(s[k]!) + HALF_LOG_2PI;
    }
    mu.push(m);
    sigma.push(s);
    invSigma.push(inv);
    catP.push(EMPTY);
    catLogP.push(EMPTY);
  }
  return { axes, nKernels: nK, weights, logWeights, mu, sigma, invSigma, catP, catLogP, base, scratch: new Float64Array(nK) };
}

/**
 * The multivariate bandwidth of one axis: Scott's rule (scipy's gaussian_kde 'scott' on a
 * diagonal covariance), the observations' sample standard deviation times n^(-1/(d+4)). With a
 * single observation there is no spread and Optuna's 0.2 (high - low) n^(-1/(d+4)) stands in.
 */
function scottBandwidth(m: Float64Array, n: number, nAxes: number, range: number): number {
  const factor = Math.pow(n, -1 / (nAxes + 4));
  if (n < 2) return 0.2 * range * factor;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += m[i]!;
  mean /= n;
  let ss = 0;
  for (let i = 0; i < n; i++) ss += (m[i]! - mean) ** 2;
  return Math.sqrt(ss / (n - 1)) * factor;
}

/** Optuna's univariate bandwidth: the larger gap to a neighbour among the observations, the prior centre and the bounds (consider_endpoints off). */
function univariateSigmas(m: Float64Array, n: number, priorMu: number, low: number, high: number, out: Float64Array): void {
  const values = new Float64Array(n + 1);
  values.set(m.subarray(0, n));
  values[n] = priorMu;
  const order = Array.from({ length: n + 1 }, (_, i) => i).sort((a, b) => values[a]! - values[b]! || a - b);
  const sorted = new Float64Array(n + 3);
  sorted[0] = low;
  for (let i = 0; i <= n; i++) sorted[i + 1] = values[order[i]!]!;
  sorted[n + 2] = high;
  const sig = new Float64Array(n + 1);
  for (let i = 0; i <= n; i++) sig[i] = Math.max(sorted[i + 1]! - sorted[i]!, sorted[i + 2]! - sorted[i + 1]!);
  if (sorted.length >= 4) {
    sig[0] = sorted[2]! - sorted[1]!;
    sig[n] = sorted[n + 1]! - sorted[n]!;
  }
  for (let i = 0; i <= n; i++) {
    const idx = order[i]!;
    if (idx < n) out[idx] = sig[i]!;
  }
}

/** ln of the estimator's density (mass, on discrete axes) at x: internal values, one per axis, discrete ones on the grid. */
export function parzenLogPdf(pe: ParzenEstimator, x: ArrayLike<number>): number {
  const nK = pe.nKernels;
  const acc = pe.scratch;
  acc.set(pe.base);
  for (let j = 0; j < pe.axes.length; j++) {
    const axis = pe.axes[j]!;
    const v = x[j]!;
    if (axis.kind === 'categorical') {
      const lp = pe.catLogP[j]!;
      const size = axis.size;
      for (let k = 0; k < nK; k++) acc[k]! += lp[k * size + v]!;
      continue;
    }
    const m = pe.mu[j]!;
    const inv = pe.invSigma[j]!;
    if (axis.discrete) {
      const cell = axis.discrete;
      const ext = cell.log ? Math.exp(v) : v;
      const left = cell.log ? Math.log(Math.max(ext - cell.half, Number.MIN_VALUE)) : ext - cell.half;
      const right = cell.log ? Math.log(ext + cell.half) : ext + cell.half;
      for (let k = 0; k < nK; k++) acc[k]! += logGaussMass((left - m[k]!) * inv[k]!, (right - m[k]!) * inv[k]!);
    } else {
      for (let k = 0; k < nK; k++) {
        const z = (v - m[k]!) * inv[k]!;
        acc[k]! -= 0.5 * z * z;
      }
    }
  }
  let max = -Infinity;
  for (let k = 0; k < nK; k++) if (acc[k]! > max) max = acc[k]!;
  if (max === -Infinity) return -Infinity;
  let sum = 0;
  for (let k = 0; k < nK; k++) sum += Math.exp(acc[k]! - max);
  return max + Math.log(sum);
}

function pickRow(rng: Rng, p: Float64Array, offset: number, size: number): number {
  let r = rng.uniform();
  for (let c = 0; c < size; c++) {
    r -= p[offset + c]!;
    if (r < 0) return c;
  }
  return size - 1;
}

/** One draw into out (internal values, discrete ones snapped); returns the kernel drawn. */
export function sampleParzen(pe: ParzenEstimator, rng: Rng, out: Float64Array): number {
  const k = pickRow(rng, pe.weights, 0, pe.nKernels);
  for (let j = 0; j < pe.axes.length; j++) {
    const axis = pe.axes[j]!;
    if (axis.kind === 'categorical') {
      out[j] = pickRow(rng, pe.catP[j]!, k * axis.size, axis.size);
      continue;
    }
    const t = truncatedNormal(rng.uniform(), pe.mu[j]![k]!, pe.sigma[j]![k]!, axis.low, axis.high);
    out[j] = snapAxis(axis, t);
  }
  return k;
}

// ---- observations and groups ---------------------------------------------------------------------

/** A trial's value on every dimension's internal scale; NaN where the parameter is absent or unreadable. */
function observe(dims: readonly Dim[], axes: readonly Axis[], config: Config): Float64Array {
  const row = new Float64Array(dims.length).fill(NaN);
  const sticksOf = new Map<string, number[]>();
  for (let i = 0; i < dims.length; i++) {
    const dim = dims[i]!;
    const v = config[dim.param.name];
    if (v === undefined) continue;
    if (dim.kind === 'categorical') {
      const idx = dim.param.choices.findIndex((c) => c === v);
      if (idx >= 0) row[i] = idx;
    } else if (dim.kind === 'stick') {
      if (typeof v !== 'object' || v === null) continue;
      let sticks = sticksOf.get(dim.param.name);
      if (!sticks) sticksOf.set(dim.param.name, (sticks = simplexToSticks(dim.param, v as SimplexValue)));
      const s = sticks[dim.index]!;
      if (Number.isFinite(s)) row[i] = s;
    } else if (typeof v === 'number' && Number.isFinite(v) && (!dim.param.log || v > 0)) {
      const axis = axes[i] as Extract<Axis, { kind: 'numeric' }>;
      row[i] = Math.min(axis.high, Math.max(axis.low, toInternal(dim.param, v)));
    }
  }
  return row;
}

/**
 * Optuna's group decomposition: the coarsest partition of the parameters such that every
 * trial's parameter set is a union of parts. Two parameters share a part exactly when every
 * trial has both or neither, so the part of a parameter is keyed by the trials it is in;
 * parameters no trial has share the last part. Parts and their members are in space order.
 */
export function groupParams(space: Space, trials: readonly Trial[]): string[][] {
  const signatures = new Set<string>();
  for (const t of trials) {
    let sig = '';
    for (const p of space.params) sig += p.name in t.config ? '1' : '0';
    signatures.add(sig);
  }
  const sigs = [...signatures];
  const parts = new Map<string, string[]>();
  space.params.forEach((p, i) => {
    let key = '';
    for (const sig of sigs) key += sig[i];
    const part = parts.get(key);
    if (part) part.push(p.name);
    else parts.set(key, [p.name]);
  });
  const unseen = '0'.repeat(sigs.length);
  const out = [...parts.entries()].filter(([k]) => k !== unseen).map(([, v]) => v);
  const rest = parts.get(unseen);
  if (rest) out.push(rest);
  return out;
}

// ---- the sampler ---------------------------------------------------------------------------------

export interface TpeCandidate {
  /** The candidate on each dimension of its group: the value written (a choice, a snapped number) or, for a stick, its fraction. */
  values: Record<string, Scalar>;
  logL: number;
  logG: number;
  score: number;
}

export interface TpeGroupDetails {
  dims: string[];
  /** Observations in l and g (trials of each group that have every dimension here). */
  nBelow: number;
  nAbove: number;
  stream: string;
  candidates: TpeCandidate[];
  chosen: number;
}

function externalValue(dim: Dim, t: number): Scalar {
  if (dim.kind === 'categorical') return dim.param.choices[t]!;
  if (dim.kind === 'numeric') return snapNumeric(dim.param, t);
  return t;
}

/** The rows that have every dimension of the group, cut down to those dimensions (Optuna's _get_internal_repr). */
function rowsHaving(rows: readonly Float64Array[], group: readonly number[]): Float64Array[] {
  const out: Float64Array[] = [];
  outer: for (const r of rows) {
    for (const i of group) if (Number.isNaN(r[i]!)) continue outer;
    const cut = new Float64Array(group.length);
    for (let j = 0; j < group.length; j++) cut[j] = r[group[j]!]!;
    out.push(cut);
  }
  return out;
}

function suggest(input: SuggestInput): Suggestion {
  const opts = tpeOptions(input.options);
  const { space, trials, number, seed } = input;
  const dims = dimsOf(space);
  const axes = dims.map(axisOf);
  const prior: Record<string, PriorSource> = {};
  axes.forEach((a, i) => (prior[dims[i]!.param.name] = a.prior));

  const finished = trials.filter((t) => t.state === 'complete' || t.state === 'pruned');
  if (finished.length < opts.nStartupTrials) {
    const stream = 'tpe/startup';
    return {
      config: samplePrior(space, streamFor(seed, number, stream)),
      sampler: 'tpe',
      details: { phase: 'startup', nFinished: finished.length, nStartupTrials: opts.nStartupTrials, stream, prior },
    };
  }

  const n = finished.length;
  const nBelowWanted = opts.gamma !== undefined ? Math.ceil(opts.gamma * n) : defaultGamma(n);
  const { below, above } = splitTrials(trials, nBelowWanted, opts.constantLiar);
  const rowsBelow = below.map((t) => observe(dims, axes, t.config));
  const rowsAbove = above.map((t) => observe(dims, axes, t.config));

  const dimsOfParam = new Map<string, number[]>();
  dims.forEach((d, i) => {
    if (isFixed(axes[i]!)) return;
    const list = dimsOfParam.get(d.param.name) ?? [];
    list.push(i);
    dimsOfParam.set(d.param.name, list);
  });
  const groups: number[][] = opts.multivariate
    ? groupParams(space, finished).map((names) => names.flatMap((name) => dimsOfParam.get(name) ?? []))
    : [...dimsOfParam.values()].flat().map((i) => [i]);

  const values = new Float64Array(dims.length);
  axes.forEach((a, i) => (values[i] = a.kind === 'categorical' ? 0 : a.low));
  const params: ParzenParams = { priorWeight: opts.priorWeight, multivariate: opts.multivariate };
  const groupDetails: TpeGroupDetails[] = [];
  for (const group of groups) {
    if (group.length === 0) continue;
    const gAxes = group.map((i) => axes[i]!);
    const obsBelow = rowsHaving(rowsBelow, group);
    const obsAbove = rowsHaving(rowsAbove, group);
    const l = buildParzenEstimator(gAxes, obsBelow, defaultWeights(obsBelow.length), params);
    const g = buildParzenEstimator(gAxes, obsAbove, defaultWeights(obsAbove.length), params);
    const labels = group.map((i) => axes[i]!.label);
    const stream = `tpe/${labels.join(',')}`;
    const rng = streamFor(seed, number, stream);
    const x = new Float64Array(group.length);
    const best = new Float64Array(group.length);
    const candidates: TpeCandidate[] = [];
    let chosen = 0;
    let bestScore = -Infinity;
    for (let c = 0; c < opts.nEiCandidates; c++) {
      sampleParzen(l, rng, x);
      const logL = parzenLogPdf(l, x);
      const logG = parzenLogPdf(g, x);
      const score = logL - logG;
      const shown: Record<string, Scalar> = {};
      group.forEach((i, j) => (shown[axes[i]!.label] = externalValue(dims[i]!, x[j]!)));
      candidates.push({ values: shown, logL, logG, score });
      // The first of equal scores wins, as numpy's argmax; a NaN score never does.
      const ranked = Number.isNaN(score) ? -Infinity : score;
      if (c === 0 || ranked > bestScore) {
        bestScore = ranked;
        chosen = c;
        best.set(x);
      }
    }
    group.forEach((i, j) => (values[i] = best[j]!));
    groupDetails.push({ dims: labels, nBelow: obsBelow.length, nAbove: obsAbove.length, stream, candidates, chosen });
  }

  const config = configFromDims(space, Array.from(values));
  return {
    config,
    sampler: 'tpe',
    details: {
      phase: 'tpe',
      nFinished: n,
      nBelow: below.length,
      nAbove: above.length,
      nRunning: trials.filter((t) => t.state === 'running').length,
      constantLiar: opts.constantLiar,
      multivariate: opts.multivariate,
      prior,
      groups: groupDetails,
    },
  };
}

export const tpe: Sampler = { name: 'tpe', version: '2', suggest };

// The Gaussian-process sampler, after Optuna 4's GPSampler: unit-cube inputs, standardised
// and Yeo-Johnson-warped losses, a Matérn 5/2 ARD kernel fitted by maximum a posteriori (L-BFGS on the log marginal
// likelihood plus weak priors), and log expected improvement times the user's prior (πBO)
// maximised over a deterministic candidate set refined by bounded L-BFGS. Pure.
import type { Config, Sampler, Space, SuggestInput, Suggestion, Trial } from './types.js';
import { streamFor, type Rng } from './rng.js';
import { betaCdf, betaLogPdf, configFromUnit, configToUnit, dimsOf, samplePrior, truncatedNormal, type Dim } from './space.js';
import { cholesky, choleskyInverse, solveLower, solveUpperT } from './linalg.js';

// ---- options ----------------------------------------------------------------------------

export interface GpOptions {
  /** Completed trials drawn from the prior before the GP takes over (Optuna's n_startup_trials); the GP needs at least one. */
  nStartupTrials: number;
  /** Points scored before the local refinement. */
  nCandidates: number;
  /** πBO's beta: the acquisition is multiplied by prior(x)^(beta / completed trials). */
  priorBeta: number;
}

export const GP_DEFAULTS: Readonly<GpOptions> = { nStartupTrials: 10, nCandidates: 2048, priorBeta: 10 };

export function gpOptions(options: Record<string, unknown> | undefined): GpOptions {
  const out: GpOptions = { ...GP_DEFAULTS };
  for (const [key, value] of Object.entries(options ?? {})) {
    if (key === 'nStartupTrials' || key === 'nCandidates') {
      const min = key === 'nCandidates' ? 1 : 0;
      if (typeof value !== 'number' || !Number.isInteger(value) || value < min) throw new TypeError(`gp option ${key} must be an integer >= ${min}, got ${JSON.stringify(value)}`);
      out[key] = value;
    } else if (key === 'priorBeta') {
      if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) throw new TypeError(`gp option priorBeta must be a finite number >= 0, got ${JSON.stringify(value)}`);
      out.priorBeta = value;
    } else throw new TypeError(`unknown gp option '${key}' (known: nStartupTrials, nCandidates, priorBeta)`);
  }
  return out;
}

// ---- the standard normal and log expected improvement ---------------------------------

const LOG_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);
// Below -TAIL the normal tail goes through the continued fraction instead of erf.
const TAIL = 2.5;

/**
 * c(w) = 1 / (w + 2 / (w + 3 / (w + ...))), the tail of Laplace's continued fraction for
 * the Mills ratio: Φ(-w)/φ(w) = 1 / (w + c(w)). Converges to double precision for w >= 2.5
 * within 64 terms (20 beyond w = 5).
 */
function millsTail(w: number): number {
  let t = 0;
  for (let k = w >= 5 ? 24 : 64; k >= 2; k--) t = k / (w + t);
  return 1 / (w + t);
}

/** erf by its everywhere-positive series e^{-x²} Σ 2ⁿ x^{2n+1} / (2n+1)!! (for |x| below ~2). */
function erfSeries(x: number): number {
  const x2 = x * x;
  let term = x;
  let sum = x;
  for (let n = 1; n < 200; n++) {
    term *= (2 * x2) / (2 * n + 1);
    sum += term;
    if (Math.abs(term) < 1e-17 * Math.abs(sum)) break;
  }
  return (2 / Math.sqrt(Math.PI)) * Math.exp(-x2) * sum;
}

export function normalPdf(z: number): number {
  return Math.exp(-0.5 * z * z - LOG_SQRT_2PI);
}

/** Φ(z) to near double precision, with full relative accuracy in the lower tail. */
export function normalCdfPrecise(z: number): number {
  if (z <= -TAIL) return normalPdf(z) / (-z + millsTail(-z));
  if (z >= TAIL) return 1 - normalPdf(z) / (z + millsTail(z));
  return 0.5 + 0.5 * erfSeries(z / Math.SQRT2);
}

/**
 * ln E[max(0, z + N(0, 1))] = ln(φ(z) + z Φ(z)) and its derivative in z (Φ(z) / EI). In the
 * lower tail EI = φ(w) c / (w + c) with w = -z (see millsTail), so the log never meets the
 * cancellation or underflow of the naive formula (Ament et al. 2023, "Unexpected improvements").
 */
export function standardLogEI(z: number): { value: number; dz: number } {
  if (z > -TAIL) {
    const cdf = normalCdfPrecise(z);
    const ei = normalPdf(z) + z * cdf;
    return { value: Math.log(ei), dz: cdf / ei };
  }
  const w = -z;
  const c = millsTail(w);
  return { value: -0.5 * w * w - LOG_SQRT_2PI + Math.log(c) - Math.log(w + c), dz: 1 / c };
}

// ---- output warping -----------------------------------------------------------------------

/** The Yeo-Johnson transform of one value (a Box-Cox power that also takes negatives). */
export function yeoJohnson(y: number, lambda: number): number {
  if (y >= 0) return Math.abs(lambda) < 1e-8 ? Math.log1p(y) : (Math.pow(y + 1, lambda) - 1) / lambda;
  return Math.abs(lambda - 2) < 1e-8 ? -Math.log1p(-y) : -(Math.pow(1 - y, 2 - lambda) - 1) / (2 - lambda);
}

/** The normal profile log-likelihood of λ for standardised values (Yeo & Johnson 2000). */
function yeoJohnsonLogLikelihood(z: readonly number[], lambda: number): number {
  const n = z.length;
  const t = z.map((v) => yeoJohnson(v, lambda));
  let mean = 0;
  for (const v of t) mean += v;
  mean /= n;
  let variance = 0;
  for (const v of t) variance += (v - mean) * (v - mean);
  variance /= n;
  let jacobian = 0;
  for (const v of z) jacobian += Math.sign(v) * Math.log1p(Math.abs(v));
  return -0.5 * n * Math.log(Math.max(variance, 1e-300)) + (lambda - 1) * jacobian;
}

/**
 * Losses made closer to normal before the GP sees them: standardised, Yeo-Johnson with the
 * maximum-likelihood λ in [-2, 2] (golden section), standardised again. Monotone, so the
 * best loss stays the best; it keeps a few huge losses (Rosenbrock's walls) from flattening
 * the model everywhere else, as HEBO's power transform does.
 */
export function warpLosses(losses: readonly number[]): { values: number[]; lambda: number } {
  const standardise = (v: readonly number[]) => {
    let mean = 0;
    for (const x of v) mean += x;
    mean /= v.length;
    let variance = 0;
    for (const x of v) variance += (x - mean) * (x - mean);
    const std = Math.sqrt(variance / v.length);
    return std > 1e-12 ? v.map((x) => (x - mean) / std) : v.map(() => 0);
  };
  const z = standardise(losses);
  if (z.every((v) => v === 0)) return { values: z, lambda: 1 };
  let lo = -2;
  let hi = 2;
  const ratio = (Math.sqrt(5) - 1) / 2;
  let a = hi - ratio * (hi - lo);
  let b = lo + ratio * (hi - lo);
  let fa = yeoJohnsonLogLikelihood(z, a);
  let fb = yeoJohnsonLogLikelihood(z, b);
  for (let i = 0; i < 40; i++) {
    if (fa > fb) {
      hi = b;
      b = a;
      fb = fa;
      a = hi - ratio * (hi - lo);
      fa = yeoJohnsonLogLikelihood(z, a);
    } else {
      lo = a;
      a = b;
      fa = fb;
      b = lo + ratio * (hi - lo);
      fb = yeoJohnsonLogLikelihood(z, b);
    }
  }
  const lambda = (lo + hi) / 2;
  return { values: standardise(z.map((v) => yeoJohnson(v, lambda))), lambda };
}

// ---- the kernel and its hyperparameters ---------------------------------------------------

/** Optuna's floor on the noise variance (DEFAULT_MINIMUM_NOISE_VAR). */
export const MIN_NOISE = 1e-6;

export interface KernelParams {
  /** One per dimension: 1 / lengthscale², on the unit cube. */
  inverseSquaredLengthscales: number[];
  /** The kernel's variance (of standardised losses). */
  scale: number;
  noise: number;
}

/** The raw, unconstrained vector the fit works on: ln λ_1..d, ln scale, ln(noise - MIN_NOISE). */
export function paramsToRaw(p: KernelParams): Float64Array {
  return Float64Array.from([...p.inverseSquaredLengthscales.map(Math.log), Math.log(p.scale), Math.log(p.noise - MIN_NOISE)]);
}

export function rawToParams(raw: ArrayLike<number>, d: number): KernelParams {
  const lam: number[] = [];
  for (let j = 0; j < d; j++) lam.push(Math.exp(raw[j]!));
  return { inverseSquaredLengthscales: lam, scale: Math.exp(raw[d]!), noise: MIN_NOISE + Math.exp(raw[d + 1]!) };
}

/** Training inputs: n points of d unit coordinates, row-major, and their per-dimension squared differences. */
export interface TrainingSet {
  n: number;
  d: number;
  x: Float64Array;
  y: Float64Array;
  /** For each pair a < b in row order, the d squared differences (x_aj - x_bj)², contiguous. */
  sq: Float64Array;
}

export function trainingSet(points: readonly (readonly number[])[], values: readonly number[]): TrainingSet {
  const n = points.length;
  const d = n > 0 ? points[0]!.length : 0;
  const x = new Float64Array(n * d);
  points.forEach((p, a) => p.forEach((v, j) => (x[a * d + j] = v)));
  const sq = new Float64Array(((n * (n - 1)) / 2) * d);
  let o = 0;
  for (let a = 0; a < n; a++)
    for (let b = a + 1; b < n; b++)
      for (let j = 0; j < d; j++) {
        const diff = x[a * d + j]! - x[b * d + j]!;
        sq[o++] = diff * diff;
      }
  return { n, d, x, y: Float64Array.from(values), sq };
}

/** Optuna's weak priors: -(0.1/λ + 0.1λ) per λ, Gamma(2, 1) on the scale, Gamma(1.1, 30) on the noise (constants dropped). */
function logHyperPrior(raw: ArrayLike<number>, d: number, grad: Float64Array): number {
  let lp = 0;
  for (let j = 0; j < d; j++) {
    const lam = Math.exp(raw[j]!);
    lp += -(0.1 / lam + 0.1 * lam);
    grad[j] = grad[j]! + 0.1 / lam - 0.1 * lam;
  }
  const s = Math.exp(raw[d]!);
  lp += Math.log(s) - s;
  grad[d] = grad[d]! + 1 - s;
  const excess = Math.exp(raw[d + 1]!);
  const v = MIN_NOISE + excess;
  lp += 0.1 * Math.log(v) - 30 * v;
  grad[d + 1] = grad[d + 1]! + (0.1 / v - 30) * excess;
  return lp;
}

/**
 * The log marginal likelihood ln N(y | 0, s·M(λ) + noise·I) at raw hyperparameters, plus
 * (when `withPrior`) the log hyperprior, with the gradient in the raw parameters:
 * ½ tr((ααᵀ - K⁻¹) ∂K/∂θ) with α = K⁻¹y. -Infinity when K is not positive definite.
 */
export function logMarginalLikelihood(ts: TrainingSet, raw: ArrayLike<number>, withPrior = true): { value: number; grad: Float64Array } {
  const { n, d, sq, y } = ts;
  const grad = new Float64Array(d + 2);
  const { inverseSquaredLengthscales: lam, scale: s, noise } = rawToParams(raw, d);
  const pairs = (n * (n - 1)) / 2;
  const corr = new Float64Array(pairs);
  const dcorr = new Float64Array(pairs);
  const kmat = new Float64Array(n * n);
  for (let a = 0, p = 0; a < n; a++) {
    kmat[a * n + a] = s + noise;
    for (let b = a + 1; b < n; b++, p++) {
      let d2 = 0;
      const off = p * d;
      for (let j = 0; j < d; j++) d2 += lam[j]! * sq[off + j]!;
      // Matérn 5/2 and its derivative in d2, inlined: this loop is the fit's hot spot.
      const r = Math.sqrt(5 * d2);
      const e = Math.exp(-r);
      corr[p] = e * (1 + r + (r * r) / 3);
      dcorr[p] = -(5 / 6) * (1 + r) * e;
      kmat[a * n + b] = kmat[b * n + a] = s * corr[p]!;
    }
  }
  const l = cholesky(kmat, n);
  if (!l) return { value: -Infinity, grad };
  const alpha = solveUpperT(l, n, solveLower(l, n, y));
  let value = -n * LOG_SQRT_2PI;
  for (let a = 0; a < n; a++) value -= 0.5 * y[a]! * alpha[a]! + Math.log(l[a * n + a]!);
  const kinv = choleskyInverse(l, n);
  // W = ααᵀ - K⁻¹; every ∂K/∂θ is a Hadamard factor of W. Off-diagonal pairs count twice;
  // on the diagonal the correlation is 1 and the squared differences are 0.
  let trScale = 0;
  let trNoise = 0;
  for (let a = 0; a < n; a++) {
    const w = alpha[a]! * alpha[a]! - kinv[a * n + a]!;
    trScale += w * s;
    trNoise += w;
  }
  const gl = new Float64Array(d);
  for (let a = 0, p = 0; a < n; a++) {
    for (let b = a + 1; b < n; b++, p++) {
      const w = 2 * (alpha[a]! * alpha[b]! - kinv[a * n + b]!);
      trScale += w * s * corr[p]!;
      const g = w * s * dcorr[p]!;
      const off = p * d;
      for (let j = 0; j < d; j++) gl[j] = gl[j]! + g * sq[off + j]!;
    }
  }
  for (let j = 0; j < d; j++) grad[j] = 0.5 * gl[j]! * lam[j]!;
  grad[d] = 0.5 * trScale;
  grad[d + 1] = 0.5 * trNoise * (noise - MIN_NOISE);
  if (withPrior) value += logHyperPrior(raw, d, grad);
  return { value, grad };
}

/** Optuna's starting point: every λ, the scale and the noise at 1. */
export function defaultKernelParams(d: number): KernelParams {
  return { inverseSquaredLengthscales: new Array<number>(d).fill(1), scale: 1, noise: 1 };
}

/**
 * The MAP hyperparameters, by L-BFGS from Optuna's default start (one start: on 60 Branin fits a
 * second start at low noise reached the same optimum). Falls back to the
 * defaults if the likelihood cannot be evaluated.
 */
export function fitKernel(ts: TrainingSet): { params: KernelParams; logPosterior: number; evaluations: number } {
  const d = ts.d;
  const objective = (raw: Float64Array) => {
    const r = logMarginalLikelihood(ts, raw, true);
    return { value: -r.value, grad: r.grad.map((v) => -v) };
  };
  const res = lbfgsMinimise(objective, paramsToRaw(defaultKernelParams(d)), { maxIterations: 200, gtol: 1e-2 });
  if (!Number.isFinite(res.value)) return { params: defaultKernelParams(d), logPosterior: -Infinity, evaluations: res.evaluations };
  return { params: rawToParams(res.x, d), logPosterior: -res.value, evaluations: res.evaluations };
}

// ---- L-BFGS -------------------------------------------------------------------------------

export interface MinimiseResult {
  x: Float64Array;
  value: number;
  iterations: number;
  evaluations: number;
}

/**
 * L-BFGS with Armijo backtracking. With `box`, coordinates are kept in [lo, hi] by
 * projection and those held at a bound by their gradient are frozen for the step (a
 * small L-BFGS-B). Stops at max |projected gradient| < gtol or when progress stalls.
 */
export function lbfgsMinimise(
  f: (x: Float64Array) => { value: number; grad: ArrayLike<number> },
  x0: ArrayLike<number>,
  opts: { maxIterations?: number; gtol?: number; memory?: number; box?: { lo: number; hi: number } } = {},
): MinimiseResult {
  const maxIterations = opts.maxIterations ?? 100;
  const gtol = opts.gtol ?? 1e-5;
  const memory = opts.memory ?? 10;
  const box = opts.box;
  const n = x0.length;
  const clip = (v: number) => (box ? Math.min(box.hi, Math.max(box.lo, v)) : v);
  let x: Float64Array = Float64Array.from(x0, clip);
  let cur = f(x);
  let evaluations = 1;
  let value = cur.value;
  let grad: Float64Array = Float64Array.from(cur.grad);
  if (!Number.isFinite(value)) return { x, value, iterations: 0, evaluations };
  const ss: Float64Array[] = [];
  const ys: Float64Array[] = [];
  const free = new Uint8Array(n);
  let iterations = 0;
  for (; iterations < maxIterations; iterations++) {
    // Coordinates at a bound whose descent direction leaves the box are frozen.
    let gmax = 0;
    const pg = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const blocked = box !== undefined && ((x[i]! <= box.lo && grad[i]! > 0) || (x[i]! >= box.hi && grad[i]! < 0));
      free[i] = blocked ? 0 : 1;
      pg[i] = blocked ? 0 : grad[i]!;
      gmax = Math.max(gmax, Math.abs(pg[i]!));
    }
    if (!(gmax >= gtol)) break;
    // Two-loop recursion on the free coordinates.
    const q = Float64Array.from(pg);
    const alphas: number[] = [];
    for (let m = ss.length - 1; m >= 0; m--) {
      const rho = 1 / dot(ys[m]!, ss[m]!);
      const a = rho * dot(ss[m]!, q);
      alphas[m] = a;
      for (let i = 0; i < n; i++) q[i] = q[i]! - a * ys[m]![i]!;
    }
    const last = ss.length - 1;
    const gamma = last >= 0 ? dot(ss[last]!, ys[last]!) / dot(ys[last]!, ys[last]!) : 1 / Math.max(1, gmax);
    for (let i = 0; i < n; i++) q[i] = q[i]! * gamma;
    for (let m = 0; m < ss.length; m++) {
      const rho = 1 / dot(ys[m]!, ss[m]!);
      const b = rho * dot(ys[m]!, q);
      for (let i = 0; i < n; i++) q[i] = q[i]! + ss[m]![i]! * (alphas[m]! - b);
    }
    const dir = new Float64Array(n);
    for (let i = 0; i < n; i++) dir[i] = free[i] ? -q[i]! : 0;
    if (dot(dir, pg) >= 0) {
      // Not a descent direction: restart from steepest descent.
      ss.length = 0;
      ys.length = 0;
      for (let i = 0; i < n; i++) dir[i] = -pg[i]! / Math.max(1, gmax);
    }
    let step = 1;
    let accepted: { x: Float64Array; value: number; grad: Float64Array } | undefined;
    for (let tries = 0; tries < 40; tries++) {
      const xn = new Float64Array(n);
      let decrease = 0;
      for (let i = 0; i < n; i++) {
        xn[i] = clip(x[i]! + step * dir[i]!);
        decrease += grad[i]! * (xn[i]! - x[i]!);
      }
      const r = f(xn);
      evaluations++;
      if (Number.isFinite(r.value) && r.value <= value + 1e-4 * decrease) {
        accepted = { x: xn, value: r.value, grad: Float64Array.from(r.grad) };
        break;
      }
      step *= 0.5;
    }
    if (!accepted) break;
    const s = new Float64Array(n);
    const yv = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      s[i] = accepted.x[i]! - x[i]!;
      yv[i] = free[i] ? accepted.grad[i]! - grad[i]! : 0;
      if (!free[i]) s[i] = 0;
    }
    if (dot(s, yv) > 1e-12 * Math.sqrt(dot(yv, yv) * dot(s, s))) {
      ss.push(s);
      ys.push(yv);
      if (ss.length > memory) {
        ss.shift();
        ys.shift();
      }
    }
    const progress = value - accepted.value;
    x = accepted.x;
    value = accepted.value;
    grad = accepted.grad;
    if (progress <= 1e-12 * Math.max(1, Math.abs(value))) {
      iterations++;
      break;
    }
  }
  return { x, value, iterations, evaluations };
}

function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

// ---- the posterior and the acquisition -----------------------------------------------------

/** The GP posterior over standardised losses, with log EI below the best observed loss. */
export class GpPosterior {
  readonly n: number;
  readonly d: number;
  private readonly l: Float64Array;
  private readonly alpha: Float64Array;
  private readonly lam: number[];

  constructor(
    private readonly ts: TrainingSet,
    readonly params: KernelParams,
    /** The standardised loss EI improves on (the smallest observed). */
    readonly best: number,
  ) {
    this.n = ts.n;
    this.d = ts.d;
    this.lam = params.inverseSquaredLengthscales;
    const { n, d, x } = ts;
    const kmat = new Float64Array(n * n);
    for (let a = 0; a < n; a++)
      for (let b = a; b < n; b++) {
        let d2 = 0;
        for (let j = 0; j < d; j++) {
          const diff = x[a * d + j]! - x[b * d + j]!;
          d2 += this.lam[j]! * diff * diff;
        }
        const r = Math.sqrt(5 * d2);
        kmat[a * n + b] = kmat[b * n + a] = params.scale * Math.exp(-r) * (1 + r + (r * r) / 3) + (a === b ? params.noise : 0);
      }
    // The MAP fit keeps K positive definite; jitter only guards a degenerate fallback.
    let l = cholesky(kmat, n);
    for (let jitter = 1e-8; !l && jitter < 1; jitter *= 10) {
      for (let a = 0; a < n; a++) kmat[a * n + a] = kmat[a * n + a]! + jitter;
      l = cholesky(kmat, n);
    }
    if (!l) throw new Error('gp: the kernel matrix is not positive definite');
    this.l = l;
    this.alpha = solveUpperT(l, n, solveLower(l, n, ts.y));
    this.k = new Float64Array(n);
    this.dk = new Float64Array(n);
    this.v = new Float64Array(n);
  }

  // Scratch for predict(): one posterior serves one suggestion on one thread.
  private readonly k: Float64Array;
  private readonly dk: Float64Array;
  private readonly v: Float64Array;

  /** Posterior mean and variance of the latent loss at u, with their gradients when asked. */
  predict(u: ArrayLike<number>, withGrad = false): { mean: number; variance: number; dMean?: Float64Array; dVariance?: Float64Array } {
    const { n, d, k, dk, v, l } = this;
    const x = this.ts.x;
    const lam = this.lam;
    const s = this.params.scale;
    let mean = 0;
    for (let i = 0; i < n; i++) {
      let d2 = 0;
      const off = i * d;
      for (let j = 0; j < d; j++) {
        const diff = u[j]! - x[off + j]!;
        d2 += lam[j]! * diff * diff;
      }
      const r = Math.sqrt(5 * d2);
      const e = Math.exp(-r);
      k[i] = s * e * (1 + r + (r * r) / 3);
      dk[i] = -s * (5 / 6) * (1 + r) * e;
      mean += k[i]! * this.alpha[i]!;
    }
    // v = L⁻¹k; the variance is s - |v|².
    let vv = 0;
    for (let i = 0; i < n; i++) {
      const ri = i * n;
      let t = k[i]!;
      for (let m = 0; m < i; m++) t -= l[ri + m]! * v[m]!;
      t /= l[ri + i]!;
      v[i] = t;
      vv += t * t;
    }
    const raw = s - vv;
    const variance = Math.max(raw, 1e-10);
    if (!withGrad) return { mean, variance };
    const q = solveUpperT(l, n, v);
    const dMean = new Float64Array(d);
    const dVariance = new Float64Array(d);
    for (let i = 0; i < n; i++) {
      const am = this.alpha[i]! * dk[i]!;
      const qm = q[i]! * dk[i]!;
      const off = i * d;
      for (let j = 0; j < d; j++) {
        const g = 2 * lam[j]! * (u[j]! - x[off + j]!);
        dMean[j] = dMean[j]! + am * g;
        dVariance[j] = dVariance[j]! - 2 * qm * g;
      }
    }
    if (raw < 1e-10) dVariance.fill(0);
    return { mean, variance, dMean, dVariance };
  }

  /** ln EI(u) for minimisation: ln σ + h((best - μ) / σ), with its gradient in u when asked. */
  logEI(u: ArrayLike<number>, withGrad = false): { value: number; grad?: Float64Array } {
    const p = this.predict(u, withGrad);
    const sigma = Math.sqrt(p.variance);
    const z = (this.best - p.mean) / sigma;
    const h = standardLogEI(z);
    const value = Math.log(sigma) + h.value;
    if (!withGrad) return { value };
    const grad = new Float64Array(this.d);
    for (let j = 0; j < this.d; j++) {
      const dSigma = p.dVariance![j]! / (2 * sigma);
      const dz = -p.dMean![j]! / sigma - (z * dSigma) / sigma;
      grad[j] = dSigma / sigma + h.dz * dz;
    }
    return { value, grad };
  }
}

// ---- the user's prior on the unit cube -----------------------------------------------------

/** ln of the prior density of a unit point up to a constant, with its gradient; undefined when no dimension has a prior. */
export function unitLogPrior(dims: readonly Dim[]): ((u: ArrayLike<number>, grad?: Float64Array) => number) | undefined {
  const terms: ((u: number) => { v: number; g: number })[] = [];
  const index: number[] = [];
  dims.forEach((dim, j) => {
    if (dim.kind === 'numeric' && dim.prior) {
      const { mu, sigma } = dim.prior;
      const width = dim.high - dim.low;
      index.push(j);
      terms.push((u) => {
        const t = (dim.low + u * width - mu) / sigma;
        return { v: -0.5 * t * t, g: (-t / sigma) * width };
      });
    } else if (dim.kind === 'stick') {
      // The unit coordinate is the stick's CDF under the uniform-simplex Beta(1, b0); the
      // prior is Beta(a, b) on the stick itself, so its density in u is the ratio.
      const b0 = dim.param.over.length - 1 - dim.index;
      if (dim.a === 1 && dim.b === b0) return;
      index.push(j);
      terms.push((uRaw) => {
        const u = Math.min(1 - 1e-9, Math.max(1e-9, uRaw));
        const stick = 1 - Math.pow(1 - u, 1 / b0);
        const dStick = (1 / b0) * Math.pow(1 - u, 1 / b0 - 1);
        const v = betaLogPdf(stick, dim.a, dim.b) - betaLogPdf(stick, 1, b0);
        const g = ((dim.a - 1) / stick - (dim.b - b0) / (1 - stick)) * dStick;
        return { v, g };
      });
    }
  });
  if (terms.length === 0) return undefined;
  return (u, grad) => {
    let total = 0;
    terms.forEach((term, t) => {
      const { v, g } = term(u[index[t]!]!);
      total += v;
      if (grad) grad[index[t]!] = grad[index[t]!]! + g;
    });
    return total;
  };
}

/** A unit point drawn from the prior where a dimension has one, uniform elsewhere. */
function unitFromPrior(dims: readonly Dim[], rng: Rng): number[] {
  return dims.map((dim) => {
    const u = rng.uniform();
    if (dim.kind === 'numeric' && dim.prior) {
      const t = truncatedNormal(u, dim.prior.mu, dim.prior.sigma, dim.low, dim.high);
      return dim.high > dim.low ? (t - dim.low) / (dim.high - dim.low) : 0.5;
    }
    if (dim.kind === 'stick') {
      const b0 = dim.param.over.length - 1 - dim.index;
      // Beta(a, b) by the ratio of gammas, then into the uniform-simplex CDF.
      const ga = rng.gamma(dim.a);
      const gb = rng.gamma(dim.b);
      const stick = ga + gb > 0 ? ga / (ga + gb) : 0.5;
      return betaCdf(stick, 1, b0);
    }
    return u;
  });
}

// ---- the sampler -------------------------------------------------------------------------

const TOP_REPORTED = 10;
const LOCAL_STARTS = 10;
const LOCAL_INCUMBENTS = 5;

function checkSpace(space: Space): void {
  for (const p of space.params) {
    if (p.type === 'categorical') throw new TypeError(`gp handles float, int and simplex parameters; '${p.name}' is categorical (use method tpe or auto)`);
    if (p.when) throw new TypeError(`gp handles unconditional spaces; '${p.name}' has a condition (use method tpe or auto)`);
  }
}

interface Observation {
  unit: number[];
  value: number;
  number: number;
}

/** Usable observations: complete trials with a finite value and every coordinate; failed, pruned and unencodable ones are left out. */
function observationsOf(space: Space, trials: readonly Trial[]): { complete: Observation[]; running: Omit<Observation, 'value'>[] } {
  const complete: Observation[] = [];
  const running: Omit<Observation, 'value'>[] = [];
  for (const trial of trials) {
    if (trial.state !== 'complete' && trial.state !== 'running') continue;
    const coords = configToUnit(space, trial.config);
    if (coords.some((c) => c === undefined || !Number.isFinite(c))) continue;
    const unit = (coords as number[]).map((c) => Math.min(1, Math.max(0, c)));
    if (trial.state === 'running') running.push({ unit, number: trial.number });
    else if (typeof trial.value === 'number' && Number.isFinite(trial.value)) complete.push({ unit, value: trial.value, number: trial.number });
  }
  return { complete, running };
}

interface Scored {
  unit: number[];
  logEI: number;
  acquisition: number;
}

function suggest(input: SuggestInput): Suggestion {
  const options = gpOptions(input.options);
  const { space, seed, number } = input;
  checkSpace(space);
  const dims = dimsOf(space);
  const { complete, running } = observationsOf(space, input.trials);

  if (complete.length < Math.max(1, options.nStartupTrials) || dims.length === 0) {
    const purpose = 'gp/startup';
    return {
      config: samplePrior(space, streamFor(seed, number, purpose)),
      sampler: 'gp',
      details: { phase: 'startup', completed: complete.length, nStartupTrials: options.nStartupTrials, stream: purpose },
    };
  }

  // Running trials are constant liars at the worst observed loss, so parallel workers spread out.
  let worst = -Infinity;
  for (const o of complete) worst = Math.max(worst, o.value);
  const points = [...complete.map((o) => o.unit), ...running.map((o) => o.unit)];
  const losses = [...complete.map((o) => o.value), ...running.map(() => worst)];
  // Optuna only standardises; the power warp on top is rx's (see warpLosses).
  const warped = warpLosses(losses);
  const standardised = warped.values;
  const ts = trainingSet(points, standardised);
  const fit = fitKernel(ts);
  let best = Infinity;
  for (let i = 0; i < complete.length; i++) best = Math.min(best, standardised[i]!);
  const posterior = new GpPosterior(ts, fit.params, best);

  const logPrior = unitLogPrior(dims);
  const priorWeight = logPrior ? options.priorBeta / complete.length : 0;
  const acquisition = (u: ArrayLike<number>, withGrad: boolean): { value: number; logEI: number; grad?: Float64Array } => {
    const ei = posterior.logEI(u, withGrad);
    let value = ei.value;
    if (logPrior && priorWeight > 0) {
      const pg = withGrad ? new Float64Array(dims.length) : undefined;
      value += priorWeight * logPrior(u, pg);
      if (pg) for (let j = 0; j < pg.length; j++) ei.grad![j] = ei.grad![j]! + priorWeight * pg[j]!;
    }
    return withGrad ? { value, logEI: ei.value, grad: ei.grad! } : { value, logEI: ei.value };
  };

  // Candidates: uniform points, draws from the prior (when there is one), and perturbations of the best observations.
  const purpose = 'gp/candidates';
  const rng = streamFor(seed, number, purpose);
  const d = dims.length;
  const ranked = [...complete].sort((a, b) => a.value - b.value || a.number - b.number);
  const incumbents = ranked.slice(0, Math.min(LOCAL_INCUMBENTS, ranked.length));
  const nLocal = Math.floor(options.nCandidates / 4);
  const nPrior = logPrior ? Math.floor(options.nCandidates / 4) : 0;
  const candidates: number[][] = [];
  for (let c = 0; c < options.nCandidates; c++) {
    if (c < nLocal) {
      const centre = incumbents[c % incumbents.length]!.unit;
      const sd = [0.01, 0.03, 0.1, 0.2][Math.floor(c / incumbents.length) % 4]!;
      candidates.push(centre.map((v) => Math.min(1, Math.max(0, v + sd * rng.normal()))));
    } else if (c < nLocal + nPrior) candidates.push(unitFromPrior(dims, rng));
    else {
      const u: number[] = [];
      for (let j = 0; j < d; j++) u.push(rng.uniform());
      candidates.push(u);
    }
  }
  const scored = candidates.map((unit) => ({ unit, value: finiteOr(acquisition(unit, false).value) }));
  scored.sort((a, b) => b.value - a.value);

  // Local refinement from the best candidates and the best observation (Optuna warm-starts from it).
  const starts = [incumbents[0]!.unit, ...scored.slice(0, LOCAL_STARTS).map((s) => s.unit)];
  const refined: Scored[] = [];
  for (const start of starts) {
    const res = lbfgsMinimise(
      (u) => {
        const a = acquisition(u, true);
        return { value: -a.value, grad: a.grad!.map((g) => -g) };
      },
      start,
      { maxIterations: 30, gtol: 1e-4, box: { lo: 0, hi: 1 } },
    );
    // Snap to legal values (ints, steps, bounds), then score the point actually proposed.
    const unit = snapUnit(space, Array.from(res.x));
    const a = acquisition(unit, false);
    refined.push({ unit, logEI: a.logEI, acquisition: finiteOr(a.value) });
  }
  for (const s of scored.slice(0, TOP_REPORTED)) {
    const unit = snapUnit(space, s.unit);
    const a = acquisition(unit, false);
    refined.push({ unit, logEI: a.logEI, acquisition: finiteOr(a.value) });
  }
  refined.sort((a, b) => b.acquisition - a.acquisition);
  const top: Scored[] = [];
  const seen = new Set<string>();
  for (const r of refined) {
    const key = r.unit.join(',');
    if (seen.has(key)) continue;
    seen.add(key);
    top.push(r);
    if (top.length === TOP_REPORTED) break;
  }
  const chosen = top[0]!;
  const lengthscales = fit.params.inverseSquaredLengthscales.map((lam) => 1 / Math.sqrt(lam));
  return {
    config: configFromUnit(space, chosen.unit),
    sampler: 'gp',
    details: {
      phase: 'gp',
      completed: complete.length,
      liars: { count: running.length, trials: running.map((r) => r.number), value: worst },
      warping: { kind: 'yeo-johnson', lambda: warped.lambda },
      kernel: {
        lengthscales,
        inverseSquaredLengthscales: fit.params.inverseSquaredLengthscales,
        scale: fit.params.scale,
        noise: fit.params.noise,
        logPosterior: finiteOr(fit.logPosterior),
        evaluations: fit.evaluations,
      },
      acquisition: 'logEI',
      bestAcquisition: chosen.acquisition,
      bestLogEI: chosen.logEI,
      prior: logPrior ? { beta: options.priorBeta, weight: priorWeight } : null,
      priorWeight,
      candidates: { count: candidates.length, local: nLocal, fromPrior: nPrior, refined: starts.length, stream: purpose },
      top: top.map((t) => ({ unit: t.unit, logEI: t.logEI, acquisition: t.acquisition })),
    },
  };
}

/** The unit point of the legal configuration nearest u (ints rounded, steps snapped, as Optuna rounds). */
function snapUnit(space: Space, u: number[]): number[] {
  const config: Config = configFromUnit(space, u);
  return configToUnit(space, config).map((c) => Math.min(1, Math.max(0, c ?? 0.5)));
}

// JSON has no -Infinity; the lowest double keeps comparisons and the ledger honest.
function finiteOr(v: number): number {
  return Number.isFinite(v) ? v : v > 0 ? Number.MAX_VALUE : -Number.MAX_VALUE;
}

export const gp: Sampler = { name: 'gp', version: '1', suggest };

// The GP sampler's model: the Matérn 5/2 ARD kernel on unit-cube training sets, hyperparameter
// packing, the log marginal likelihood with its gradient, Optuna's weak hyperpriors, and the
// MAP fit by L-BFGS. Pure.
import { cholesky, choleskyInverse, solveLower, solveUpperT } from './linalg.js';
import { lbfgsMinimise } from './lbfgs.js';

const LOG_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);

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

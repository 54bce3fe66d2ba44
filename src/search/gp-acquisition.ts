// The GP sampler's acquisition: the standard normal helpers and log expected improvement,
// the GP posterior at a unit point (mean, variance, log EI, gradients), and the user's prior
// as a log density on the unit cube (πBO). Pure.
import { betaLogPdf, type Dim } from './space.js';
import { cholesky, solveLower, solveUpperT } from './linalg.js';
import type { KernelParams, TrainingSet } from './gp-kernel.js';

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

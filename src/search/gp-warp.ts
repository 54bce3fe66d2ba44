// The Yeo-Johnson output warp the GP sampler applies to losses before fitting: the transform,
// its profile likelihood in λ, and the golden-section choice of λ. Pure.

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

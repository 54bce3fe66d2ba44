// The geometry of a search space: conditions, the internal scale of every parameter (ln for
// log parameters), the unit-cube encoding QMC and the GP work in, priors as densities on
// that scale, and the snapping of raw numbers to legal values. A simplex over k components
// is k-1 stick-breaking fractions; a Dirichlet(a) prior makes stick i Beta(a_i, a_{i+1}+...+a_k),
// so every sampler sees only scalar dimensions. Pure: no I/O, randomness passed in.
import type { Config, Param, NumericParam, ParamValue, Space, SimplexParam, SimplexValue, Scalar } from './types.js';
import type { Rng } from './rng.js';

/** Whether a parameter is active under the values chosen so far. */
export function isActive(param: Param, config: Config): boolean {
  if (!param.when) return true;
  for (const [name, values] of Object.entries(param.when)) {
    if (!(name in config)) return false;
    const v = config[name];
    if (!values.some((w) => w === v)) return false;
  }
  return true;
}

/** One scalar dimension of the space: a number on its internal scale, a category, or a simplex stick. */
export type Dim =
  | { kind: 'numeric'; param: NumericParam; low: number; high: number; prior?: { mu: number; sigma: number } }
  | { kind: 'categorical'; param: Extract<Param, { type: 'categorical' }>; size: number; weights: number[] }
  | { kind: 'stick'; param: SimplexParam; index: number; a: number; b: number };

/** The internal scale of a number: ln(x) for log parameters. Int bounds widen by half a step, as Optuna's TPE does. */
export function internalBounds(p: NumericParam): { low: number; high: number } {
  if (p.log) {
    const half = p.type === 'int' ? 0.5 : 0;
    return { low: Math.log(Math.max(p.low - half, Number.MIN_VALUE)), high: Math.log(p.high + half) };
  }
  const half = p.type === 'int' ? p.step / 2 : p.step !== undefined ? p.step / 2 : 0;
  return { low: p.low - half, high: p.high + half };
}

export function toInternal(p: NumericParam, x: number): number {
  return p.log ? Math.log(x) : x;
}

/** The prior as a normal on the internal scale (moment-matched where it is not one). */
export function priorKernel(p: NumericParam): { mu: number; sigma: number } | undefined {
  const pr = p.prior;
  if (!pr) return undefined;
  if (pr.kind === 'normal') return p.log ? { mu: Math.log(pr.mean), sigma: pr.sd } : { mu: pr.mean, sigma: pr.sd };
  if (p.log) return { mu: pr.mu, sigma: pr.sigma };
  // A log-normal over a linear parameter: the normal with its mean and standard deviation.
  const mean = Math.exp(pr.mu + (pr.sigma * pr.sigma) / 2);
  const sd = Math.sqrt((Math.exp(pr.sigma * pr.sigma) - 1) * Math.exp(2 * pr.mu + pr.sigma * pr.sigma));
  return { mu: mean, sigma: sd };
}

export function dirichletOf(p: SimplexParam): number[] {
  return p.dirichlet ?? p.over.map(() => 1);
}

export function dimsOf(space: Space): Dim[] {
  const dims: Dim[] = [];
  for (const p of space.params) {
    if (p.type === 'float' || p.type === 'int') {
      const { low, high } = internalBounds(p);
      const prior = priorKernel(p);
      dims.push(prior ? { kind: 'numeric', param: p, low, high, prior } : { kind: 'numeric', param: p, low, high });
    } else if (p.type === 'categorical') {
      dims.push({ kind: 'categorical', param: p, size: p.choices.length, weights: p.weights ?? p.choices.map(() => 1 / p.choices.length) });
    } else {
      const alpha = dirichletOf(p);
      for (let i = 0; i < p.over.length - 1; i++) {
        let rest = 0;
        for (let j = i + 1; j < alpha.length; j++) rest += alpha[j]!;
        dims.push({ kind: 'stick', param: p, index: i, a: alpha[i]!, b: rest });
      }
    }
  }
  return dims;
}

/** Snaps a number on the internal scale to the parameter's legal value (bounds, step, integer). */
export function snapNumeric(p: NumericParam, t: number): number {
  let x = p.log ? Math.exp(t) : t;
  if (p.type === 'int') {
    x = p.low + Math.round((x - p.low) / p.step) * p.step;
    while (x > p.high) x -= p.step;
    return Math.max(p.low, x);
  }
  if (p.step !== undefined) {
    const n = Math.round((x - p.low) / p.step);
    x = p.low + n * p.step;
    while (x > p.high + 1e-12 * Math.abs(p.high)) x -= p.step;
    // Keep the decimal representation of step multiples short (0.30000000000000004 -> 0.3).
    x = Number(x.toPrecision(12));
  }
  return Math.min(p.high, Math.max(p.low, x));
}

/** Weights from sticks: w_i = s_i * prod_{j<i} (1 - s_j), the last takes the rest. */
export function sticksToSimplex(p: SimplexParam, sticks: readonly number[]): SimplexValue {
  const out: SimplexValue = {};
  let rest = 1;
  for (let i = 0; i < p.over.length; i++) {
    const w = i === p.over.length - 1 ? rest : rest * Math.min(1, Math.max(0, sticks[i]!));
    out[p.over[i]!] = w;
    rest -= w;
  }
  return out;
}

export function simplexToSticks(p: SimplexParam, value: SimplexValue): number[] {
  const sticks: number[] = [];
  let rest = 1;
  for (let i = 0; i < p.over.length - 1; i++) {
    const w = value[p.over[i]!] ?? 0;
    sticks.push(rest > 1e-15 ? Math.min(1, Math.max(0, w / rest)) : 0.5);
    rest -= w;
  }
  return sticks;
}

// ---- distributions -------------------------------------------------------------------

/** The standard normal CDF, through erfc. */
export function normalCdf(x: number): number {
  return 0.5 * erfc(-x / Math.SQRT2);
}

/** erfc with relative error below 1.2e-7 everywhere (Numerical Recipes' erfcc, Chebyshev fit). */
export function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? r : 2 - r;
}

/** The standard normal quantile (Acklam's algorithm, relative error 1.15e-9). */
export function normalQuantile(p: number): number {
  if (p <= 0) return -Infinity;
  if (p >= 1) return Infinity;
  const a = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
  const b = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
  const c = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
  const lo = 0.02425;
  if (p < lo) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) / ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
  }
  if (p > 1 - lo) {
    const q = Math.sqrt(-2 * Math.log(1 - p));
    return -(((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) / ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
  }
  const q = p - 0.5;
  const r = q * q;
  return ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) / (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1);
}

/** ln Gamma (Lanczos, g=7, n=9). */
export function lnGamma(x: number): number {
  const g = [0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7];
  if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - lnGamma(1 - x);
  x -= 1;
  let a = g[0]!;
  const t = x + 7.5;
  for (let i = 1; i < 9; i++) a += g[i]! / (x + i);
  return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(a);
}

/** The regularised incomplete beta I_x(a, b) (Numerical Recipes' continued fraction). */
export function betaCdf(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const front = Math.exp(lnGamma(a + b) - lnGamma(a) - lnGamma(b) + a * Math.log(x) + b * Math.log(1 - x));
  if (x < (a + 1) / (a + b + 2)) return (front * betaFraction(x, a, b)) / a;
  return 1 - (front * betaFraction(1 - x, b, a)) / b;
}

function betaFraction(x: number, a: number, b: number): number {
  const tiny = 1e-300;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 300; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((a + m2 - 1) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < 3e-14) break;
  }
  return h;
}

/** The Beta(a, b) quantile by bisection on the CDF (60 halvings: below 1e-15). */
export function betaQuantile(p: number, a: number, b: number): number {
  if (a === 1 && b === 1) return p;
  if (a === 1) return 1 - Math.pow(1 - p, 1 / b);
  if (b === 1) return Math.pow(p, 1 / a);
  let lo = 0;
  let hi = 1;
  for (let i = 0; i < 60; i++) {
    const mid = (lo + hi) / 2;
    if (betaCdf(mid, a, b) < p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/** ln of the Beta(a, b) density. */
export function betaLogPdf(x: number, a: number, b: number): number {
  if (x <= 0 || x >= 1) return -Infinity;
  return lnGamma(a + b) - lnGamma(a) - lnGamma(b) + (a - 1) * Math.log(x) + (b - 1) * Math.log(1 - x);
}

/** A draw from N(mu, sigma) truncated to [low, high], by inverting the CDF. */
export function truncatedNormal(u: number, mu: number, sigma: number, low: number, high: number): number {
  const a = normalCdf((low - mu) / sigma);
  const b = normalCdf((high - mu) / sigma);
  if (b - a < 1e-12) return Math.min(high, Math.max(low, mu));
  const x = mu + sigma * normalQuantile(a + u * (b - a));
  return Math.min(high, Math.max(low, x));
}

// ---- the unit cube ----------------------------------------------------------------------

/** The value of one dimension for a unit coordinate u in [0, 1): uniform, or through the prior's quantile. */
export function dimFromUnit(dim: Dim, u: number, withPrior: boolean): number {
  const v = Math.min(1 - 1e-12, Math.max(0, u));
  if (dim.kind === 'numeric') {
    if (withPrior && dim.prior) return truncatedNormal(v, dim.prior.mu, dim.prior.sigma, dim.low, dim.high);
    return dim.low + v * (dim.high - dim.low);
  }
  if (dim.kind === 'categorical') {
    if (!withPrior) return Math.min(dim.size - 1, Math.floor(v * dim.size));
    let acc = 0;
    for (let i = 0; i < dim.size; i++) {
      acc += dim.weights[i]!;
      if (v < acc) return i;
    }
    return dim.size - 1;
  }
  // A stick: Beta(a, b) under the prior; Beta(1, k-1-i) otherwise, which makes the simplex uniform.
  const uniformB = dim.param.over.length - 1 - dim.index;
  return withPrior ? betaQuantile(v, dim.a, dim.b) : betaQuantile(v, 1, uniformB);
}

/**
 * A configuration from one value per dimension (internal scale for numbers, an index for
 * categories, a fraction for sticks). Inactive parameters are dropped.
 */
export function configFromDims(space: Space, values: readonly number[]): Config {
  const config: Config = {};
  let i = 0;
  for (const p of space.params) {
    if (p.type === 'simplex') {
      const sticks = values.slice(i, i + p.over.length - 1);
      i += p.over.length - 1;
      if (isActive(p, config)) config[p.name] = sticksToSimplex(p, sticks);
      continue;
    }
    const v = values[i++]!;
    if (!isActive(p, config)) continue;
    if (p.type === 'categorical') config[p.name] = p.choices[Math.min(p.choices.length - 1, Math.max(0, Math.round(v)))]!;
    else config[p.name] = snapNumeric(p, v);
  }
  return config;
}

/** A configuration from a point of the unit cube (one coordinate per dimension). */
export function configFromUnit(space: Space, u: readonly number[], withPrior = false): Config {
  const dims = dimsOf(space);
  return configFromDims(
    space,
    dims.map((d, i) => dimFromUnit(d, u[i]!, withPrior)),
  );
}

/** The unit-cube coordinates of a configuration (undefined for inactive dimensions). Categories map to their cell centres. */
export function configToUnit(space: Space, config: Config): (number | undefined)[] {
  const out: (number | undefined)[] = [];
  for (const p of space.params) {
    const v = config[p.name];
    if (p.type === 'simplex') {
      if (v === undefined) {
        for (let i = 0; i < p.over.length - 1; i++) out.push(undefined);
        continue;
      }
      const sticks = simplexToSticks(p, v as SimplexValue);
      sticks.forEach((s, i) => out.push(betaCdf(s, 1, p.over.length - 1 - i)));
    } else if (v === undefined) out.push(undefined);
    else if (p.type === 'categorical') out.push((p.choices.indexOf(v as Scalar) + 0.5) / p.choices.length);
    else {
      const { low, high } = internalBounds(p);
      out.push(high > low ? (toInternal(p, v as number) - low) / (high - low) : 0.5);
    }
  }
  return out;
}

/** A draw from the prior (the uninformative one where none is declared), conditions applied. */
export function samplePrior(space: Space, rng: Rng): Config {
  const config: Config = {};
  for (const p of space.params) {
    if (p.type === 'simplex') {
      const alpha = dirichletOf(p);
      const g = alpha.map((a) => rng.gamma(a));
      if (!isActive(p, config)) continue;
      const total = g.reduce((s, x) => s + x, 0);
      const w: SimplexValue = {};
      p.over.forEach((name, i) => (w[name] = total > 0 ? g[i]! / total : 1 / p.over.length));
      config[p.name] = w;
      continue;
    }
    const u = rng.uniform();
    if (!isActive(p, config)) continue;
    if (p.type === 'categorical') {
      const dim = dimsOf({ params: [p] })[0]!;
      config[p.name] = p.choices[dimFromUnit(dim, u, true)]!;
    } else {
      const dim = dimsOf({ params: [p] })[0]!;
      config[p.name] = snapNumeric(p, dimFromUnit(dim, u, true));
    }
  }
  return config;
}

/** Whether a value is legal for a parameter (used when reading results back and by tests). */
export function isLegal(p: Param, v: ParamValue): boolean {
  if (p.type === 'categorical') return p.choices.some((c) => c === v);
  if (p.type === 'simplex') {
    if (typeof v !== 'object' || v === null) return false;
    const w = v as SimplexValue;
    let sum = 0;
    for (const name of p.over) {
      const x = w[name];
      if (typeof x !== 'number' || !(x >= 0)) return false;
      sum += x;
    }
    return Math.abs(sum - 1) < 1e-9 && Object.keys(w).length === p.over.length;
  }
  if (typeof v !== 'number' || !Number.isFinite(v) || v < p.low || v > p.high) return false;
  if (p.type === 'int') return Number.isInteger(v) && Number.isInteger((v - p.low) / p.step);
  return true;
}

/** Stable key of a configuration (for duplicates and the run cache). */
export function configKey(config: Config): string {
  return JSON.stringify(Object.keys(config).sort().map((k) => [k, config[k]]));
}

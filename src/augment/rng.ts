// Counter-based randomness for augmentation: every draw is a pure function of
// (spec seed, run seed, sample id, epoch, op index, draw index), computed with Philox4x32-10
// (Salmon et al., SC'11; checked against Random123's known-answer vectors). Nothing is shared
// between samples, so what a sample sees depends neither on batch composition, nor on order,
// nor on how many workers augment in parallel.

const M0 = 0xd2511f53;
const M1 = 0xcd9e8d57;
const W0 = 0x9e3779b9;
const W1 = 0xbb67ae85;

// The Philox multipliers in 16-bit halves, for the high word of a 32x32-bit product.
const M0H = M0 >>> 16;
const M0L = M0 & 0xffff;
const M1H = M1 >>> 16;
const M1L = M1 & 0xffff;

/** High 32 bits of x * (mh*2^16 + ml), exact with integer operations on 16-bit halves. */
function mulhi(x: number, mh: number, ml: number): number {
  const xl = x & 0xffff;
  const xh = x >>> 16;
  const m1 = xh * ml;
  const m2 = xl * mh;
  const mid = ((xl * ml) >>> 16) + (m1 & 0xffff) + (m2 & 0xffff);
  return (xh * mh + (m1 >>> 16) + (m2 >>> 16) + (mid >>> 16)) >>> 0;
}

/** Philox4x32 with 10 rounds: writes the 4 output words for counter c and key k into out. */
export function philox4x32(c0: number, c1: number, c2: number, c3: number, k0: number, k1: number, out: Uint32Array): Uint32Array {
  let x0 = c0 >>> 0;
  let x1 = c1 >>> 0;
  let x2 = c2 >>> 0;
  let x3 = c3 >>> 0;
  let key0 = k0 >>> 0;
  let key1 = k1 >>> 0;
  for (let r = 0; r < 10; r++) {
    const hi0 = mulhi(x0, M0H, M0L);
    const lo0 = Math.imul(M0, x0) >>> 0;
    const hi1 = mulhi(x2, M1H, M1L);
    const lo1 = Math.imul(M1, x2) >>> 0;
    x0 = (hi1 ^ x1 ^ key0) >>> 0;
    x1 = lo1;
    x2 = (hi0 ^ x3 ^ key1) >>> 0;
    x3 = lo0;
    key0 = (key0 + W0) >>> 0;
    key1 = (key1 + W1) >>> 0;
  }
  out[0] = x0;
  out[1] = x1;
  out[2] = x2;
  out[3] = x3;
  return out;
}

/** murmur3's 32-bit finaliser: a bijective avalanche over uint32. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * The 64-bit Philox key of one sample under two seeds: two independent murmur3-style lanes
 * over the id's UTF-16 code units and the seeds. 64 bits keep collisions between the
 * samples of a dataset negligible (60k ids: ~1e-10).
 */
export function sampleKey(specSeed: number, runSeed: number, sampleId: string): [number, number] {
  let h1 = fmix32((specSeed >>> 0) ^ 0x3c6ef372);
  let h2 = fmix32(((runSeed >>> 0) + 0x6a09e667) >>> 0);
  // Seeds beyond 32 bits still count: their high part is mixed in too.
  h1 ^= fmix32(Math.floor(specSeed / 0x100000000) >>> 0);
  h2 ^= fmix32((Math.floor(runSeed / 0x100000000) >>> 0) ^ 0x510e527f);
  for (let i = 0; i < sampleId.length; i++) {
    const c = sampleId.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0xcc9e2d51);
    h1 = (h1 << 15) | (h1 >>> 17);
    h1 = (Math.imul(h1, 5) + 0xe6546b64) | 0;
    h2 = Math.imul(h2 ^ c, 0x1b873593);
    h2 = (h2 << 13) | (h2 >>> 19);
    h2 = (Math.imul(h2, 5) + 0x561ccd1b) | 0;
  }
  h1 ^= sampleId.length;
  h2 ^= sampleId.length;
  h1 = (h1 + h2) | 0;
  h2 = (h2 + h1) | 0;
  h1 = fmix32(h1);
  h2 = fmix32(h2);
  h1 = (h1 + h2) >>> 0;
  h2 = (h2 + h1) >>> 0;
  return [h1, h2];
}

const INV_2_32 = 1 / 0x100000000;

/**
 * The random stream of one sample at one epoch. `uniform(op, draw)` is in [0,1) and depends
 * only on the key, the epoch, the op index and the draw index; it carries a one-block cache
 * (4 draws share a Philox call) that never changes any value.
 */
export class SampleStream {
  readonly k0: number;
  readonly k1: number;
  readonly epoch: number;
  private readonly block = new Uint32Array(4);
  private cachedOp = -1;
  private cachedBlock = -1;

  constructor(specSeed: number, runSeed: number, sampleId: string, epoch: number) {
    [this.k0, this.k1] = sampleKey(specSeed, runSeed, sampleId);
    this.epoch = epoch >>> 0;
  }

  /** Uniform in [0,1) with 32 bits of resolution. */
  uniform(op: number, draw: number): number {
    const b = draw >>> 2;
    if (b !== this.cachedBlock || op !== this.cachedOp) {
      philox4x32(b, op, this.epoch, 0x72780000, this.k0, this.k1, this.block);
      this.cachedBlock = b;
      this.cachedOp = op;
    }
    return this.block[draw & 3]! * INV_2_32;
  }

  /** Uniform in (0,1]: safe under a logarithm. */
  uniformPositive(op: number, draw: number): number {
    return 1 - this.uniform(op, draw);
  }

  /**
   * Fills out[0..count) with per-pixel uniforms in (0,1) for op: one Philox block (at draw
   * index `first`) keys a murmur3-finalised Weyl sequence over the pixel index. Philox for every
   * pixel would cost ~0.1 µs per 4 values; this keeps per-pixel noise at a few ns per value and
   * is still a pure function of (seeds, sample id, epoch, op, index).
   */
  fillPixelUniform(op: number, first: number, out: Float32Array | Float64Array, count = out.length): void {
    philox4x32(first >>> 2, op, this.epoch, 0x72780001, this.k0, this.k1, this.block);
    this.cachedBlock = -1;
    const a = this.block[0]!;
    const b = this.block[1]!;
    for (let i = 0; i < count; i++) {
      let h = (a + Math.imul(i, 0x9e3779b9)) | 0;
      h ^= h >>> 16;
      h = Math.imul(h, 0x85ebca6b);
      h ^= h >>> 13;
      h = Math.imul(h ^ b, 0xc2b2ae35);
      h ^= h >>> 16;
      out[i] = ((h >>> 0) + 0.5) * INV_2_32;
    }
  }

  /** Standard normal from two draws (Box-Muller, cosine branch). */
  normal(op: number, draw: number): number {
    const u1 = this.uniformPositive(op, draw);
    const u2 = this.uniform(op, draw + 1);
    return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  }
}

/** Uniform on [a, b) from u in [0,1). */
export function uniformIn(u: number, a: number, b: number): number {
  return a + (b - a) * u;
}

/** Standard normal CDF (Abramowitz-Stegun 7.1.26 via erfc, |error| < 1.5e-7). */
export function normalCdf(x: number): number {
  const z = Math.abs(x) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * z);
  const erfc = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429)))) * Math.exp(-z * z);
  return x >= 0 ? 1 - erfc / 2 : erfc / 2;
}

/** Inverse standard normal CDF (Acklam's rational approximation, relative error < 1.2e-9). */
export function normalQuantile(p: number): number {
  if (p <= 0) return -Infinity;
  if (p >= 1) return Infinity;
  if (p < P_LOW || p > 1 - P_LOW) {
    const q = Math.sqrt(-2 * Math.log(p < P_LOW ? p : 1 - p));
    const x = (((((C0 * q + C1) * q + C2) * q + C3) * q + C4) * q + C5) / ((((D0 * q + D1) * q + D2) * q + D3) * q + 1);
    return p < P_LOW ? x : -x;
  }
  const q = p - 0.5;
  const r = q * q;
  return ((((((A0 * r + A1) * r + A2) * r + A3) * r + A4) * r + A5) * q) / (((((B0 * r + B1) * r + B2) * r + B3) * r + B4) * r + 1);
}
// Acklam's coefficients (module constants: this runs once per noisy pixel).
const P_LOW = 0.02425;
const [A0, A1, A2, A3, A4, A5] = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
const [B0, B1, B2, B3, B4] = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
const [C0, C1, C2, C3, C4, C5] = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
const [D0, D1, D2, D3] = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];

/**
 * Normal(mean, std) truncated to [lo, hi] by the inverse CDF: exactly one uniform per value
 * (so the counter budget is fixed), and the result is always within the bounds. Works on
 * the side of the mean with more tail mass so far tails keep their precision.
 */
export function truncatedNormal(u: number, mean: number, std: number, lo: number, hi: number): number {
  if (!(std > 0) || lo === hi) return Math.min(hi, Math.max(lo, mean));
  let a = (lo - mean) / std;
  let b = (hi - mean) / std;
  let flip = false;
  if (a > 0) {
    // Both bounds right of the mean: mirror, so the CDF values are small and precise.
    [a, b] = [-b, -a];
    flip = true;
  }
  const fa = normalCdf(a);
  const fb = normalCdf(b);
  let z: number;
  if (fb - fa < 1e-12) z = (a + b) / 2;
  // Mirrored, the draw runs from the far bound inwards: take 1-u so the value still grows with u.
  else z = normalQuantile(fa + (flip ? 1 - u : u) * (fb - fa));
  if (flip) z = -z;
  return Math.min(hi, Math.max(lo, mean + std * z));
}

/**
 * A draw from Beta(alpha, alpha) for mixup, by Jöhnk's rejection with a bounded budget of
 * counter draws (`draw`, `draw+1`, ...): after `maxTries` rejections it returns 0.5, which
 * for alpha in the usual range (0.1..2) happens with probability below 1e-9.
 */
export function symmetricBeta(alpha: number, next: (k: number) => number, maxTries = 64): number {
  if (alpha >= 1) {
    // Jöhnk's acceptance falls as alpha grows; use the ratio of two gammas (Marsaglia-Tsang, alpha >= 1).
    const g1 = gammaDraw(alpha, next, 0, maxTries);
    const g2 = gammaDraw(alpha, next, 3 * maxTries, maxTries);
    return g1 + g2 > 0 ? g1 / (g1 + g2) : 0.5;
  }
  const inv = 1 / alpha;
  for (let i = 0; i < maxTries; i++) {
    const x = Math.pow(1 - next(2 * i), inv);
    const y = Math.pow(1 - next(2 * i + 1), inv);
    if (x + y <= 1 && x + y > 0) return x / (x + y);
  }
  return 0.5;
}

function gammaDraw(alpha: number, next: (k: number) => number, offset: number, maxTries: number): number {
  const d = alpha - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (let i = 0; i < maxTries; i++) {
    const base = offset + 3 * i;
    const u1 = 1 - next(base);
    const u2 = next(base + 1);
    const z = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
    const v0 = 1 + c * z;
    if (v0 <= 0) continue;
    const v = v0 * v0 * v0;
    const u = 1 - next(base + 2);
    if (Math.log(u) < 0.5 * z * z + d - d * v + d * Math.log(v)) return d * v;
  }
  return d;
}

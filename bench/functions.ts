// The synthetic objectives of `npm run bench -- search`: standard global-optimisation test
// functions on their usual domains (Surjanovic & Bingham's Virtual Library of Simulation
// Experiments), each with its known minimum and a minimiser. bench/optuna_runner.py holds the
// same formulas; the bench checks both give the same values before it compares samplers.
// Also the noisy variant's spread and keyed normal draws (the end of this file).
import { createHash } from 'node:crypto';

export interface TestFunction {
  name: string;
  /** Per-dimension [low, high]. */
  bounds: [number, number][];
  f: (x: readonly number[]) => number;
  /** The global minimum value and one point attaining it. */
  minimum: number;
  argmin: number[];
}

const repeat = (d: number, b: [number, number]): [number, number][] => Array.from({ length: d }, () => [b[0], b[1]]);

export function branin(x: readonly number[]): number {
  const [x1, x2] = x as [number, number];
  const a = 1;
  const b = 5.1 / (4 * Math.PI * Math.PI);
  const c = 5 / Math.PI;
  const r = 6;
  const s = 10;
  const t = 1 / (8 * Math.PI);
  return a * (x2 - b * x1 * x1 + c * x1 - r) ** 2 + s * (1 - t) * Math.cos(x1) + s;
}

const HARTMANN_ALPHA = [1.0, 1.2, 3.0, 3.2];
const HARTMANN_A = [
  [10, 3, 17, 3.5, 1.7, 8],
  [0.05, 10, 17, 0.1, 8, 14],
  [3, 3.5, 1.7, 10, 17, 8],
  [17, 8, 0.05, 10, 0.1, 14],
];
const HARTMANN_P = [
  [1312, 1696, 5569, 124, 8283, 5886],
  [2329, 4135, 8307, 3736, 1004, 9991],
  [2348, 1451, 3522, 2883, 3047, 6650],
  [4047, 8828, 8732, 5743, 1091, 381],
].map((row) => row.map((v) => v * 1e-4));

export function hartmann6(x: readonly number[]): number {
  let sum = 0;
  for (let i = 0; i < 4; i++) {
    let inner = 0;
    for (let j = 0; j < 6; j++) inner += HARTMANN_A[i]![j]! * (x[j]! - HARTMANN_P[i]![j]!) ** 2;
    sum += HARTMANN_ALPHA[i]! * Math.exp(-inner);
  }
  return -sum;
}

export function rosenbrock(x: readonly number[]): number {
  let s = 0;
  for (let i = 0; i < x.length - 1; i++) s += 100 * (x[i + 1]! - x[i]! ** 2) ** 2 + (x[i]! - 1) ** 2;
  return s;
}

export function styblinskiTang(x: readonly number[]): number {
  let s = 0;
  for (const v of x) s += v ** 4 - 16 * v ** 2 + 5 * v;
  return s / 2;
}

export function levy(x: readonly number[]): number {
  const w = x.map((v) => 1 + (v - 1) / 4);
  const d = w.length;
  let s = Math.sin(Math.PI * w[0]!) ** 2;
  for (let i = 0; i < d - 1; i++) s += (w[i]! - 1) ** 2 * (1 + 10 * Math.sin(Math.PI * w[i]! + 1) ** 2);
  s += (w[d - 1]! - 1) ** 2 * (1 + Math.sin(2 * Math.PI * w[d - 1]!) ** 2);
  return s;
}

export function ackley(x: readonly number[]): number {
  const d = x.length;
  let sq = 0;
  let cos = 0;
  for (const v of x) {
    sq += v * v;
    cos += Math.cos(2 * Math.PI * v);
  }
  return -20 * Math.exp(-0.2 * Math.sqrt(sq / d)) - Math.exp(cos / d) + 20 + Math.E;
}

/** The minimiser of Styblinski-Tang in each coordinate (a root of 4x^3 - 32x + 5). */
const ST_ARGMIN = -2.903534027771178;

export const TEST_FUNCTIONS: TestFunction[] = [
  { name: 'branin', bounds: [[-5, 10], [0, 15]], f: branin, minimum: 5 / (4 * Math.PI), argmin: [-Math.PI, 12.275] },
  {
    name: 'hartmann6',
    bounds: repeat(6, [0, 1]),
    f: hartmann6,
    // The published minimum is -3.32237 (5 digits); the minimiser's digits give it to 1e-13.
    minimum: -3.32237,
    argmin: [0.20168951265373836, 0.15001068862048662, 0.4768739727643224, 0.2753324306183083, 0.31165161659349725, 0.6573005592280516],
  },
  { name: 'rosenbrock4', bounds: repeat(4, [-5, 10]), f: rosenbrock, minimum: 0, argmin: [1, 1, 1, 1] },
  { name: 'styblinski-tang4', bounds: repeat(4, [-5, 5]), f: styblinskiTang, minimum: 4 * styblinskiTang([ST_ARGMIN]), argmin: [ST_ARGMIN, ST_ARGMIN, ST_ARGMIN, ST_ARGMIN] },
  { name: 'levy4', bounds: repeat(4, [-10, 10]), f: levy, minimum: 0, argmin: [1, 1, 1, 1] },
  { name: 'ackley4', bounds: repeat(4, [-32.768, 32.768]), f: ackley, minimum: 0, argmin: [0, 0, 0, 0] },
];

// ---------------------------------------------------------------------------------------
// The noisy variant (bench/search.ts's NOISY section): observed = f(x) + sd_f * z, with sd_f a
// fixed fraction of f's spread over its domain and z a standard normal keyed by the bench
// seed, the evaluation seed and the configuration. bench/optuna_runner.py mirrors noiseNormal
// bit for bit (the bench checks it at probe points); it is handed the sd values, never
// recomputes them.

/** A seeded uniform stream on [0, 1) (mulberry32): the points the spread is measured on. */
function uniformStream(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/**
 * The typical spread of f over its domain: the standard deviation (n - 1 denominator) of f
 * at `points` uniform random points of the box, drawn from a stream seeded with `seed`.
 */
export function spreadOf(fn: Pick<TestFunction, 'bounds' | 'f'>, points: number, seed: number): number {
  const next = uniformStream(seed);
  const values: number[] = [];
  for (let i = 0; i < points; i++) values.push(fn.f(fn.bounds.map(([lo, hi]) => lo + next() * (hi - lo))));
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  return Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / (values.length - 1));
}

/**
 * A standard normal draw keyed by (bench seed, evaluation seed, configuration): sha256 over
 * the two seeds as little-endian uint32 and the coordinates as little-endian float64, its
 * first two 64-bit words (little-endian) turned into uniforms in (0, 1) with 53 bits, then
 * Box-Muller. The same key always gives the same draw, in either language.
 */
export function noiseNormal(benchSeed: number, evalSeed: number, x: readonly number[]): number {
  const buf = Buffer.alloc(8 + 8 * x.length);
  buf.writeUInt32LE(benchSeed >>> 0, 0);
  buf.writeUInt32LE(evalSeed >>> 0, 4);
  x.forEach((v, i) => buf.writeDoubleLE(v, 8 + 8 * i));
  const digest = createHash('sha256').update(buf).digest();
  const unit = (offset: number) => (Number(digest.readBigUInt64LE(offset) >> 11n) + 0.5) / 2 ** 53;
  const u1 = unit(0);
  const u2 = unit(8);
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
}

// What mattered in a search, for `rx search report`: PED-ANOVA importance per parameter with
// bootstrap intervals, the pairwise interaction of parameters from different files (architecture,
// data, augmentation, training), and one-parameter-at-a-time sensitivity around the winner.
// Pure: no I/O, no clock; the bootstrap draws only from streamFor(seed, 0, 'importance').
// The grid features, target/region sets and bootstrap live in importance-sets.ts, the Parzen
// estimators in importance-parzen.ts, the winner's sensitivity in sensitivity.ts.
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
import type { Config, Param, Space } from './types.js';
import { quantileSorted } from './stats.js';
import { featuresOf, prepare, settingsOf, withBootstrap, MIN_OBSERVATIONS, MIN_REGION_IN_REGIME, type Feature, type Sets } from './importance-sets.js';
import { marginalsInto, pairWork, parzen1d, parzen2d, pearson, type PairWork } from './importance-parzen.js';


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

/** The percentile interval of bootstrap replicates (linear interpolation between order statistics). */
function percentileInterval(replicates: Float64Array, estimate: number, level: number): { low: number; high: number } {
  if (replicates.length === 0) return { low: estimate, high: estimate };
  const sorted = Float64Array.from(replicates).sort();
  const tail = (1 - level) / 2;
  return { low: quantileSorted(sorted, tail), high: quantileSorted(sorted, 1 - tail) };
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

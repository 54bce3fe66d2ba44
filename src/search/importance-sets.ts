// The data PED-ANOVA and interactions work on: options checked into settings, each parameter
// (simplex: each component) as a feature on a grid, the observations' cells, the target and
// region sets of a (bootstrap-weighted) sample, and the bootstrap over trials. Pure.
import type { Config, NumericParam, Param, SimplexValue, Space } from './types.js';
import { isActive, toInternal } from './space.js';
import { streamFor } from './rng.js';
import { UsageError } from '../core/errors.js';
import { familyOf, type Family, type ImportanceOptions, type Observation } from './importance.js';

export const MIN_OBSERVATIONS = 4;
/** Optuna's _min_n_trials_in_regime: a regime with fewer region trials is left out. */
export const MIN_REGION_IN_REGIME = 2;


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

export function settingsOf(options: ImportanceOptions): Settings {
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
export interface Feature {
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

export function hasValue(p: Param, config: Config): boolean {
  return config[p.name] !== undefined && isActive(p, config);
}

export function featuresOf(space: Space, steps: number): Feature[] {
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

export function prepare(observations: readonly Observation[], features: readonly Feature[]): Prepared {
  const usable = observations.filter((o) => Number.isFinite(o.value));
  const losses = Float64Array.from(usable, (o) => o.value);
  const order = Int32Array.from(usable.keys()).sort((a, b) => losses[a]! - losses[b]! || a - b);
  const cells = features.map((f) => Int32Array.from(usable, (o) => f.cellOf(o.config)));
  return { losses, order, cells };
}

/** Multiplicities of the observations in the target set and in the region set of one sample. */
export interface Sets {
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
export function withBootstrap(prep: Prepared, s: Settings, statistics: (sets: Sets) => Float64Array): { estimate: Float64Array; replicates: Float64Array[] } {
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

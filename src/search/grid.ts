// The grid sampler: the cartesian product of every parameter's grid, walked with conditions
// (an inactive parameter does not multiply the grid), shuffled once per seed so the early
// trials spread out, and handed out in that order, skipping points the history already holds.
import { streamFor } from './rng.js';
import { configKey, isActive, snapNumeric, toInternal } from './space.js';
import type { Config, NumericParam, Param, ParamValue, Sampler, SimplexParam, SimplexValue, Space, SuggestInput, Suggestion } from './types.js';

/** Points per float (and per wide int) axis when the spec gives no `grid` values. */
export const GRID_AXIS_POINTS = 5;
/** An int range with at most this many step values is gridded on every value. */
export const GRID_FULL_INT_VALUES = 10;
/** Simplex grids are the weights k/4: every composition of 4 into one part per component. */
export const GRID_SIMPLEX_RESOLUTION = 4;
/** Grids larger than this are refused: they are materialised to be shuffled. */
export const GRID_MAX_POINTS = 1_000_000;
export const GRID_ORDER_STREAM = 'grid-order';

/** Thrown when every grid point has been tried; the driver turns it into a stopping decision. */
export class GridExhausted extends Error {
  readonly size: number;
  constructor(size: number) {
    super(`all ${size} grid points have been tried`);
    this.name = 'GridExhausted';
    this.size = size;
  }
}

/**
 * The values one parameter takes on the grid, in a fixed order.
 * - float: its `grid` values, else 5 points evenly spaced from low to high on the internal
 *   (ln for log) scale, snapped to `step` when it has one;
 * - int: its `grid` values, else every step value when there are at most 10, else 5 spread
 *   points on the internal scale snapped to the step;
 * - categorical: every choice;
 * - simplex over k components: every weight vector with entries in {0, 1/4, ..., 1} summing
 *   to 1 (the C(k+3, 3) compositions of 4 into k parts, divided by 4), first component largest first.
 */
export function axisValues(p: Param): ParamValue[] {
  if (p.type === 'categorical') return [...p.choices];
  if (p.type === 'simplex') return simplexLattice(p, GRID_SIMPLEX_RESOLUTION);
  if (p.grid && p.grid.length > 0) return unique(p.grid);
  if (p.type === 'int') {
    const count = Math.floor((p.high - p.low) / p.step) + 1;
    if (count <= GRID_FULL_INT_VALUES) return Array.from({ length: count }, (_, i) => p.low + i * p.step);
  }
  return spread(p, GRID_AXIS_POINTS);
}

function spread(p: NumericParam, points: number): number[] {
  const lo = toInternal(p, p.low);
  const hi = toInternal(p, p.high);
  const values: number[] = [];
  for (let i = 0; i < points; i++) {
    let x = snapNumeric(p, lo + (i / (points - 1)) * (hi - lo));
    if (p.type === 'float' && p.step === undefined) {
      // The ends are the bounds exactly (exp(ln(x)) need not give x back); inner points
      // keep 12 significant digits so a log grid reads 0.0001, not 0.00010000000000000009.
      x = i === 0 ? p.low : i === points - 1 ? p.high : Number(x.toPrecision(12));
    }
    values.push(x);
  }
  return unique(values);
}

function unique<T>(values: readonly T[]): T[] {
  return values.filter((v, i) => values.indexOf(v) === i);
}

function simplexLattice(p: SimplexParam, resolution: number): SimplexValue[] {
  const out: SimplexValue[] = [];
  const parts: number[] = [];
  const walk = (left: number, slot: number): void => {
    if (slot === p.over.length - 1) {
      const w: SimplexValue = {};
      [...parts, left].forEach((c, i) => (w[p.over[i]!] = c / resolution));
      out.push(w);
      return;
    }
    for (let c = left; c >= 0; c--) {
      parts.push(c);
      walk(left - c, slot + 1);
      parts.pop();
    }
  };
  walk(resolution, 0);
  return out;
}

/** How many points the grid has (conditions applied), without listing them. */
export function gridSize(space: Space): number {
  const axes = space.params.map(axisValues);
  // Only a parameter that a later condition names needs branching; the others multiply.
  const named = space.params.map((p, i) => space.params.slice(i + 1).some((q) => q.when !== undefined && p.name in q.when));
  const count = (i: number, config: Config): number => {
    if (i === space.params.length) return 1;
    const p = space.params[i]!;
    if (!isActive(p, config)) return count(i + 1, config);
    const values = axes[i]!;
    if (!named[i]) {
      if (values.length === 0) return 0;
      return values.length * count(i + 1, { ...config, [p.name]: values[0]! });
    }
    let total = 0;
    for (const v of values) total += count(i + 1, { ...config, [p.name]: v });
    return total;
  };
  return count(0, {});
}

/** Every grid point in the deterministic order: parameters in space order, the last varying fastest. */
export function gridPoints(space: Space): Config[] {
  const size = gridSize(space);
  if (size > GRID_MAX_POINTS) throw new RangeError(`the grid has ${size} points, more than the ${GRID_MAX_POINTS} the grid sampler lists`);
  const axes = space.params.map(axisValues);
  const out: Config[] = [];
  const walk = (i: number, config: Config): void => {
    if (i === space.params.length) {
      out.push({ ...config });
      return;
    }
    const p = space.params[i]!;
    if (!isActive(p, config)) return walk(i + 1, config);
    for (const v of axes[i]!) {
      config[p.name] = v;
      walk(i + 1, config);
    }
    delete config[p.name];
  };
  walk(0, {});
  return out;
}

/** The grid in the order trials take it: a Fisher-Yates shuffle from the seed's grid-order stream. */
export function shuffledGrid(space: Space, seed: number): Config[] {
  const points = gridPoints(space);
  const rng = streamFor(seed, 0, GRID_ORDER_STREAM);
  for (let i = points.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [points[i], points[j]] = [points[j]!, points[i]!];
  }
  return points;
}

/** configKey with simplex weights in `over` order, so a config read back from JSON compares equal. */
function pointKey(space: Space, config: Config): string {
  const normal: Config = {};
  for (const [name, value] of Object.entries(config)) normal[name] = value;
  for (const p of space.params) {
    const v = config[p.name];
    if (p.type !== 'simplex' || v === undefined || typeof v !== 'object') continue;
    const w: SimplexValue = {};
    for (const c of p.over) w[c] = (v as SimplexValue)[c]!;
    normal[p.name] = w;
  }
  return configKey(normal);
}

export const grid: Sampler = {
  name: 'grid',
  version: '1',
  /**
   * Trial n takes the j-th point of the shuffled grid that no trial in the history holds,
   * with j = n minus the number of history trials numbered below n. When the history is
   * the grid's own earlier trials this is shuffled point n, whether or not they are listed;
   * points an earlier phase (or a failed trial) already holds are skipped, not repeated.
   */
  suggest(input: SuggestInput): Suggestion {
    const points = shuffledGrid(input.space, input.seed);
    const held = new Set<string>();
    let before = 0;
    for (const trial of input.trials) {
      if (trial.number === input.number) continue;
      if (trial.number < input.number) before++;
      held.add(pointKey(input.space, trial.config));
    }
    let rank = input.number - before;
    for (let index = 0; index < points.length; index++) {
      const point = points[index]!;
      if (held.has(pointKey(input.space, point))) continue;
      if (rank-- === 0) return { config: point, sampler: 'grid', details: { index, size: points.length } };
    }
    throw new GridExhausted(points.length);
  },
};

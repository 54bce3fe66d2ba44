// One-parameter-at-a-time sensitivity around a search's winner, for `rx search report`: per
// parameter, the trials nearest to the winner in the other parameters and their objective. Pure.
import type { Config, Scalar, SimplexValue, Space } from './types.js';
import { configKey, configToUnit, dimsOf } from './space.js';
import { UsageError } from '../core/errors.js';
import { familyOf, type Observation, type SensitivityAxis } from './importance.js';
import { hasValue } from './importance-sets.js';

// ---- sensitivity ------------------------------------------------------------------------

/**
 * Per parameter the winner has (simplex: per component), the winner's trial and the `neighbours`
 * (8) trials nearest to the winner in the OTHER parameters, with their value of this parameter
 * and their objective, sorted by that value (numbers ascending, categories in choice order, ties
 * by trial): a one-parameter-at-a-time slice through the winner.
 *
 * Nearness is Euclidean over the other parameters' unit-cube coordinates (configToUnit; a simplex
 * by its sticks), except that two categories differ by 1 or 0, since their cell centres would
 * invent an order; a coordinate one trial has and the other lacks (a condition) differs by 1. Ties
 * go to the lower trial number. Only trials with a value for the parameter count. The winner's
 * trial is every observation whose configuration equals `winner`. `objective` is the observation's
 * value unchanged, in whatever sign convention the caller passed (nothing here ranks by it); a
 * boolean choice is reported as its string. Axes come in space order; non-finite values are skipped.
 */
export function sensitivity(
  space: Space,
  observations: readonly (Observation & { trial: number })[],
  winner: Config,
  options: { neighbours?: number } = {},
): SensitivityAxis[] {
  const k = options.neighbours ?? 8;
  if (!Number.isInteger(k) || k < 0) throw new UsageError(`sensitivity: neighbours must be a whole number >= 0, not ${k}`);
  const dims = dimsOf(space);
  const usable = observations.filter((o) => Number.isFinite(o.value));
  const units = usable.map((o) => configToUnit(space, o.config));
  const winnerUnit = configToUnit(space, winner);
  const winnerKey = configKey(winner);
  const isWinner = usable.map((o) => configKey(o.config) === winnerKey);
  const axes: SensitivityAxis[] = [];
  for (const p of space.params) {
    if (!hasValue(p, winner)) continue;
    const others = dims.flatMap((d, i) => (d.param === p ? [] : [i]));
    const distance = (u: (number | undefined)[]) => {
      let sq = 0;
      for (const i of others) {
        const a = u[i];
        const b = winnerUnit[i];
        if (a === undefined && b === undefined) continue;
        if (a === undefined || b === undefined) sq += 1;
        else if (dims[i]!.kind === 'categorical') sq += a === b ? 0 : 1;
        else sq += (a - b) ** 2;
      }
      return Math.sqrt(sq);
    };
    const components = p.type === 'simplex' ? p.over.map((c) => ({ name: `${p.name}.${c}`, component: c })) : [{ name: p.name, component: undefined }];
    for (const { name, component } of components) {
      const valueOf = (c: Config): { value: number | string; order: number } | undefined => {
        if (!hasValue(p, c)) return undefined;
        const v = c[p.name];
        if (p.type === 'categorical') {
          const index = p.choices.findIndex((choice) => choice === v);
          if (index < 0) return undefined;
          const choice: Scalar = p.choices[index]!;
          return { value: typeof choice === 'number' ? choice : String(choice), order: index };
        }
        const x = component === undefined ? v : (v as SimplexValue)[component];
        return typeof x === 'number' && Number.isFinite(x) ? { value: x, order: x } : undefined;
      };
      const candidates: { index: number; distance: number }[] = [];
      const chosen: number[] = [];
      usable.forEach((o, index) => {
        if (valueOf(o.config) === undefined) return;
        if (isWinner[index]) chosen.push(index);
        else candidates.push({ index, distance: distance(units[index]!) });
      });
      candidates.sort((x, y) => x.distance - y.distance || usable[x.index]!.trial - usable[y.index]!.trial);
      for (const c of candidates.slice(0, k)) chosen.push(c.index);
      const points = chosen
        .map((index) => ({ at: valueOf(usable[index]!.config)!, o: usable[index]! }))
        .sort((x, y) => x.at.order - y.at.order || x.o.trial - y.o.trial)
        .map(({ at, o }) => ({ value: at.value, objective: o.value, trial: o.trial }));
      let min = Infinity;
      let max = -Infinity;
      for (const pt of points) {
        min = Math.min(min, pt.objective);
        max = Math.max(max, pt.objective);
      }
      axes.push({ param: name, family: familyOf(p), points, range: points.length > 0 ? max - min : 0 });
    }
  }
  return axes;
}

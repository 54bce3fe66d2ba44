// The phases of a search, as pure functions of the spec: which phase a trial falls in, the
// bounds a refinement phase narrows to around the incumbent, the space a phase line describes,
// and a configuration seen through that space. The schedule (src/search/schedule.ts) writes
// phase lines with these and reads them back with them, so run and replay agree.
import type { Config, Param, Space } from './types.js';
import type { Phase } from './spec.js';
import type { PhaseEvent } from './ledger.js';
import { isActive, snapNumeric, toInternal } from './space.js';

/** The phase of trial n: each phase but the last holds its `trials`, the last runs on. */
export function phaseIndex(phases: readonly Phase[], n: number): number {
  let start = 0;
  for (let i = 0; i < phases.length; i++) {
    const t = phases[i]!.trials;
    if (t === undefined || n < start + t) return i;
    start += t;
  }
  return phases.length - 1;
}

/** Bounds of a numeric parameter shrunk to `shrink` of its (internal-scale) range around a value. */
export function shrinkBounds(p: Extract<Param, { type: 'float' | 'int' }>, around: number, shrink: number): [number, number] {
  const L = toInternal(p, p.low);
  const H = toInternal(p, p.high);
  const w = (H - L) * shrink;
  const c = toInternal(p, around);
  let lo = Math.max(L, c - w / 2);
  const hi = Math.min(H, lo + w);
  lo = Math.max(L, hi - w);
  let low = p.log ? Math.exp(lo) : lo;
  let high = p.log ? Math.exp(hi) : hi;
  if (p.type === 'int') {
    low = p.low + Math.ceil((low - p.low) / p.step - 1e-9) * p.step;
    high = p.low + Math.floor((high - p.low) / p.step + 1e-9) * p.step;
    if (high <= low) {
      // At least two values stay, so the phase still has something to choose.
      high = Math.min(p.high, low + p.step);
      low = Math.max(p.low, high - p.step);
    }
  } else {
    low = Math.max(p.low, Math.min(low, around));
    high = Math.min(p.high, Math.max(high, around));
  }
  return [low, high];
}

/**
 * The phase line for phase `phase` starting at trial n. A refinement records the bounds of every
 * numeric parameter: shrunk around the incumbent's value, or the spec's own without an incumbent.
 */
export function phaseLine(phases: readonly Phase[], space: Space, phase: number, n: number, incumbent: { trial: number; config: Config } | undefined): PhaseEvent {
  const p = phases[phase]!;
  const ev: PhaseEvent = { type: 'phase', phase, method: p.method, trial: n };
  if (p.options) ev.options = p.options;
  if (p.refine) {
    const bounds: Record<string, [number, number]> = {};
    for (const q of space.params) {
      if (q.type !== 'float' && q.type !== 'int') continue;
      const v = incumbent?.config[q.name];
      bounds[q.name] = typeof v === 'number' ? shrinkBounds(q, v, p.refine.shrink) : [q.low, q.high];
    }
    ev.refine = { shrink: p.refine.shrink, incumbent: incumbent?.trial ?? null, bounds };
  }
  return ev;
}

/** The space of a phase: the spec's, with a refinement's bounds (grid points outside them dropped). */
export function phaseSpace(space: Space, ev: PhaseEvent): Space {
  if (!ev.refine) return space;
  const bounds = ev.refine.bounds;
  return {
    params: space.params.map((q) => {
      const b = bounds[q.name];
      if (!b || (q.type !== 'float' && q.type !== 'int')) return q;
      const { grid, ...rest } = q;
      const kept = grid?.filter((g) => g >= b[0] && g <= b[1]);
      return kept && kept.length > 0 ? { ...rest, low: b[0], high: b[1], grid: kept } : { ...rest, low: b[0], high: b[1] };
    }),
  };
}

/** A configuration seen through a phase's space: inactive parameters dropped, numbers clamped into its bounds. */
export function clampToSpace(space: Space, config: Config): Config {
  const out: Config = {};
  for (const q of space.params) {
    const v = config[q.name];
    if (v === undefined || !isActive(q, out)) continue;
    if ((q.type === 'float' || q.type === 'int') && typeof v === 'number') {
      out[q.name] = v < q.low || v > q.high ? snapNumeric(q, toInternal(q, Math.min(q.high, Math.max(q.low, v)))) : v;
    } else out[q.name] = v;
  }
  return out;
}

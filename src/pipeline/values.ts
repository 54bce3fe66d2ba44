// Pure comparisons of parameter and metric values between two sides (flattened to dotted
// keys), with numeric deltas for metrics.
import { canonicalJson, compareStrings } from '../core/canonical.js';

/** Flattens nested mappings to dotted keys; lists and scalars are leaves. */
export function flatten(value: unknown, prefix = '', out = new Map<string, unknown>()): Map<string, unknown> {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) flatten(v, prefix === '' ? k : `${prefix}.${k}`, out);
  } else if (prefix !== '') {
    out.set(prefix, value);
  }
  return out;
}

export interface ValueRow {
  file: string;
  key: string;
  old?: unknown;
  new?: unknown;
  change: 'added' | 'removed' | 'modified' | 'unchanged';
  /** new - old, when both are numbers. */
  delta?: number;
}

/** Rows for every (file, key) on either side, sorted; unchanged rows only with `all`. */
export function diffValues(a: Map<string, Map<string, unknown>>, b: Map<string, Map<string, unknown>>, all = false): ValueRow[] {
  const rows: ValueRow[] = [];
  const files = [...new Set([...a.keys(), ...b.keys()])].sort(compareStrings);
  for (const file of files) {
    const av = a.get(file) ?? new Map();
    const bv = b.get(file) ?? new Map();
    for (const key of [...new Set([...av.keys(), ...bv.keys()])].sort(compareStrings)) {
      const hasOld = av.has(key);
      const hasNew = bv.has(key);
      const row: ValueRow = { file, key, change: 'unchanged' };
      if (hasOld) row.old = av.get(key);
      if (hasNew) row.new = bv.get(key);
      if (!hasOld) row.change = 'added';
      else if (!hasNew) row.change = 'removed';
      else if (canonicalJson(row.old) !== canonicalJson(row.new)) row.change = 'modified';
      if (typeof row.old === 'number' && typeof row.new === 'number') row.delta = roundDelta(row.new - row.old);
      if (row.change !== 'unchanged' || all) rows.push(row);
    }
  }
  return rows;
}

/** Removes floating-point noise from a difference (0.3 - 0.1 -> 0.2, not 0.19999999999999998). */
export function roundDelta(d: number): number {
  return Number(d.toPrecision(12));
}

export function formatValue(v: unknown): string {
  if (v === undefined) return '-';
  if (typeof v === 'string') return v;
  return JSON.stringify(v);
}

export function formatDelta(d: number | undefined): string {
  if (d === undefined) return '';
  return d > 0 ? `+${d}` : d < 0 ? `${d}` : '0';
}

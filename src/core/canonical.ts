// Canonical serialisation: the same value always gives the same bytes (sorted keys, no
// insignificant whitespace), so hashes of manifests and lock entries are stable.

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function sortValue(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortValue);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value as object).sort()) {
      const v = (value as Record<string, unknown>)[key];
      if (v !== undefined) out[key] = sortValue(v);
    }
    return out;
  }
  return value;
}

/** JSON with object keys sorted recursively and undefined members dropped. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortValue(value));
}

export function sortedKeys<T>(value: T): T {
  return sortValue(value) as T;
}

/** Compares strings by UTF-16 code units, the order every canonical list in rx uses. */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

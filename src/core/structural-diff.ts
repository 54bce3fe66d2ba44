// Field-by-field differences of two parsed documents (YAML or JSON values), as dotted paths
// with array indices: `blocks[1].filters: 32 -> 64`. Used where a file kind has no richer
// semantic diff of its own.
import { canonicalJson } from './canonical.js';

export interface FieldChange {
  path: string;
  from?: unknown;
  to?: unknown;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function structuralChanges(a: unknown, b: unknown, path = ''): FieldChange[] {
  if (canonicalJson(a) === canonicalJson(b)) return [];
  if (isObject(a) && isObject(b)) {
    const out: FieldChange[] = [];
    for (const key of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) {
      const p = path ? `${path}.${key}` : key;
      if (!(key in b)) out.push({ path: p, from: a[key] });
      else if (!(key in a)) out.push({ path: p, to: b[key] });
      else out.push(...structuralChanges(a[key], b[key], p));
    }
    return out;
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    const out: FieldChange[] = [];
    for (let i = 0; i < Math.max(a.length, b.length); i++) {
      const p = `${path}[${i}]`;
      if (i >= b.length) out.push({ path: p, from: a[i] });
      else if (i >= a.length) out.push({ path: p, to: b[i] });
      else out.push(...structuralChanges(a[i], b[i], p));
    }
    return out;
  }
  return [{ path, from: a, to: b }];
}

function show(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}

export function fieldChangeLine(c: FieldChange): string {
  if (!('from' in c)) return `+ ${c.path}: ${show(c.to)}`;
  if (!('to' in c)) return `- ${c.path}: ${show(c.from)}`;
  return `~ ${c.path}: ${show(c.from)} -> ${show(c.to)}`;
}

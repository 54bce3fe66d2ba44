// DVC's templating in rx's terms: `${...}` expressions rewritten to rx's syntax, stage-level
// vars substituted, vars mappings and files merged as DVC merges them, and a `${mapping}`
// in cmd unpacked into flags.
import { DEFAULT_PARAMS_FILE } from './definition.js';
import { getPath } from './template.js';
import { isDict, isScalar, varsList, varsRef, type Dict, type Segments } from './dvc-read.js';
import type { Warn } from './dvc-report.js';

/** DVC's `${a.b[0]}` list index is rx's `${a.b.0}`; escaped `\${` is left alone. */
function convertExpressions(s: string): string {
  return s.replace(/(\\?)\$\{([^}]*)\}/g, (m, escape: string, inner: string) => (escape ? m : `\${${inner.replace(/\[\s*(\d+)\s*\]/g, '.$1')}}`));
}

function mapStrings(v: unknown, f: (s: string) => unknown): unknown {
  if (typeof v === 'string') return f(v);
  if (Array.isArray(v)) return v.map((x) => mapStrings(x, f));
  if (isDict(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [typeof k === 'string' ? (f(k) as string) : k, mapStrings(x, f)]));
  return v;
}

export const EXPR = /(\\?)\$\{\s*([^}]*?)\s*\}/g;

/** Replaces the `${...}` whose first name `scope` defines by their values (whole strings keep the type). */
function substitute(s: string, scope: Dict): unknown {
  const known = (expr: string) => Object.prototype.hasOwnProperty.call(scope, expr.split('.')[0]!) && getPath(scope, expr).found;
  const whole = /^\$\{\s*([^}]*?)\s*\}$/.exec(s);
  if (whole && known(whole[1]!)) return getPath(scope, whole[1]!).found ? (getPath(scope, whole[1]!) as { value: unknown }).value : s;
  return s.replace(EXPR, (m, escape: string, expr: string) => {
    if (escape || !known(expr)) return m;
    const v = (getPath(scope, expr) as { value: unknown }).value;
    return isScalar(v) || v === null ? String(v) : m;
  });
}

/** Deep merge in DVC's way: mappings merge, anything else is replaced (a conflict is reported). */
function mergeInto(target: Dict, source: Dict, conflict: (key: string) => void, prefix = ''): void {
  for (const [k, v] of Object.entries(source)) {
    const here = prefix ? `${prefix}.${k}` : k;
    if (isDict(target[k]) && isDict(v)) mergeInto(target[k] as Dict, v, conflict, here);
    else {
      if (k in target && JSON.stringify(target[k]) !== JSON.stringify(v)) conflict(here);
      target[k] = structuredClone(v);
    }
  }
}

function pick(doc: unknown, keys: string[] | null): Dict | undefined {
  if (!isDict(doc)) return undefined;
  if (keys === null) return doc;
  const out: Dict = {};
  for (const k of keys) if (k in doc) out[k] = doc[k];
  return out;
}

/** Templating syntax converted, a stage's local vars substituted. */
export const convertText = (v: unknown, localScope: Dict | undefined): unknown =>
  mapStrings(v, (s) => {
    const converted = convertExpressions(s);
    return localScope ? substitute(converted, localScope) : converted;
  });

/** Loads a vars list (mappings, files and `file:keys`) into a mapping; what cannot be loaded is reported. */
export function varsLoader(files: Record<string, unknown>, warn: Warn) {
  return (entries: unknown, at: Segments, wdir: string, into: Dict): void => {
    varsList(entries).forEach((e, i) => {
      const here = Array.isArray(entries) ? [...at, i] : at;
      const conflict = (key: string) => warn('dvc-vars-conflict', here, `${key} is set twice with different values; the later one is kept`);
      if (isDict(e)) return mergeInto(into, e, conflict);
      if (typeof e !== 'string') return warn('dvc-unknown-key', here, 'a vars entry is a file name or a mapping; this one is neither and is dropped');
      const ref = varsRef(e, wdir);
      if (ref.file === DEFAULT_PARAMS_FILE) return; // rx, like DVC, always templates from params.yaml
      const doc = pick(files[ref.file], ref.keys);
      if (doc === undefined) return warn('dvc-vars-missing', here, `${ref.file} was not found (or is not a YAML/JSON mapping): its values are not in rx.yaml`);
      mergeInto(into, structuredClone(doc), conflict);
      warn('dvc-vars-file', here, `the values of ${ref.file}${ref.keys ? ` (${ref.keys.join(', ')})` : ''} are copied into vars: edit them in rx.yaml from now on`);
    });
  };
}

export type LoadVars = ReturnType<typeof varsLoader>;

/** DVC's flags for a mapping: `--key value`, nested keys dotted, lists as nargs, true as a bare flag. */
export function flagsOf(dict: Dict, ref: string): string[] {
  const flags: string[] = [];
  const walk = (v: unknown, key: string, at: string) => {
    if (isDict(v)) {
      for (const [k, x] of Object.entries(v)) walk(x, key ? `${key}.${k}` : k, `${at}.${k}`);
      return;
    }
    const quoted = (x: unknown, r: string) => (typeof x === 'string' ? `'\${${r}}'` : `\${${r}}`);
    if (typeof v === 'boolean') {
      if (v) flags.push(`--${key}`);
    } else if (Array.isArray(v)) {
      flags.push(`--${key}`, ...v.map((x, i) => quoted(x, `${at}.${i}`)));
    } else flags.push(`--${key}`, quoted(v, at));
  };
  walk(dict, '', ref);
  return flags;
}

// Templating of rx.yaml values: `${name}` and `${a.b.c}` are looked up in a context
// (foreach/matrix item, vars, params.yaml); a string that is exactly one `${...}` takes the
// value's own type. `\${` escapes. Pure: lookups and failures are reported to the caller.

export type Lookup = (name: string) => { found: true; value: unknown; source: string } | { found: false };

export class TemplateError extends Error {
  readonly expression: string;
  constructor(expression: string, message: string) {
    super(message);
    this.name = 'TemplateError';
    this.expression = expression;
  }
}

const EXPR = /(\\?)\$\{\s*([^}]*?)\s*\}/g;
const NAME = /^[A-Za-z_][A-Za-z0-9_-]*(\.[A-Za-z0-9_-]+)*$/;

function render(value: unknown, expression: string): string {
  if (value === null || typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return String(value);
  throw new TemplateError(expression, `\${${expression}} is ${Array.isArray(value) ? 'a list' : 'a mapping'}; only a whole-string reference can take one`);
}

/** Interpolates one string; returns the value and the names it used (with their sources). */
export function interpolateString(input: string, lookup: Lookup, used?: Map<string, string>): unknown {
  const whole = /^\$\{\s*([^}]*?)\s*\}$/.exec(input);
  const resolve = (name: string): unknown => {
    if (!NAME.test(name)) throw new TemplateError(name, `\${${name}} is not a valid reference (letters, digits, _ and - separated by dots)`);
    const r = lookup(name);
    if (!r.found) throw new TemplateError(name, `\${${name}} is not defined (in vars, params.yaml or the foreach/matrix item)`);
    used?.set(name, r.source);
    return r.value;
  };
  if (whole) return resolve(whole[1]!);
  return input.replace(EXPR, (_m, escape: string, name: string) => (escape ? `\${${name}}` : render(resolve(name), name)));
}

/** Interpolates every string inside a value (recursively through lists and mappings). */
export function interpolateValue(value: unknown, lookup: Lookup, path: (string | number)[], onError: (path: (string | number)[], err: TemplateError) => void, used?: Map<string, string>): unknown {
  if (typeof value === 'string') {
    try {
      return interpolateString(value, lookup, used);
    } catch (err) {
      if (err instanceof TemplateError) {
        onError(path, err);
        return value;
      }
      throw err;
    }
  }
  if (Array.isArray(value)) return value.map((v, i) => interpolateValue(v, lookup, [...path, i], onError, used));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = interpolateValue(v, lookup, [...path, k], onError, used);
    return out;
  }
  return value;
}

/** Looks up a dotted path in nested mappings (and list indices). */
export function getPath(root: unknown, dotted: string): { found: true; value: unknown } | { found: false } {
  let node: unknown = root;
  for (const part of dotted.split('.')) {
    if (Array.isArray(node) && /^\d+$/.test(part) && Number(part) < node.length) node = node[Number(part)];
    else if (node !== null && typeof node === 'object' && !Array.isArray(node) && Object.prototype.hasOwnProperty.call(node, part)) node = (node as Record<string, unknown>)[part];
    else return { found: false };
  }
  return { found: true, value: node };
}

/** A lookup over layered scopes, first match wins. */
export function layeredLookup(scopes: { source: string; values: unknown }[]): Lookup {
  return (name) => {
    for (const scope of scopes) {
      const r = getPath(scope.values, name);
      if (r.found) return { found: true, value: r.value, source: scope.source };
    }
    return { found: false };
  };
}

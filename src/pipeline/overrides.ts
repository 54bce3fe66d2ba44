// Parameter overrides for experiments (`-S path=value`): parsing the argument and editing a
// YAML or JSON file in place, keeping YAML comments and layout. `file:key.path=value`
// targets any file; a bare `key.path=value` targets params.yaml. The key must exist unless
// written `+key=value` (a typo must not silently add a parameter). Pure.
import { UsageError } from '../core/errors.js';
import { parseYaml, parseYamlDocument } from '../core/yaml.js';
import { DEFAULT_PARAMS_FILE } from './definition.js';
import { getPath } from './template.js';

export interface Override {
  file: string;
  key: string;
  segments: (string | number)[];
  value: unknown;
  add: boolean;
  /** The argument as written. */
  raw: string;
}

export function parseOverride(arg: string): Override {
  const eq = arg.indexOf('=');
  if (eq <= 0) throw new UsageError(`-S ${arg}: expected PATH=VALUE, e.g. -S train.lr=0.01 or -S models/cnn.yaml:blocks.0.filters=32`);
  let target = arg.slice(0, eq);
  const rawValue = arg.slice(eq + 1);
  const add = target.startsWith('+');
  if (add) target = target.slice(1);
  const colon = target.lastIndexOf(':');
  const file = colon > 0 ? target.slice(0, colon) : DEFAULT_PARAMS_FILE;
  const key = colon > 0 ? target.slice(colon + 1) : target;
  if (key === '' || key.split('.').some((s) => s === '')) throw new UsageError(`-S ${arg}: "${key}" is not a key path`);
  let value: unknown;
  try {
    value = rawValue === '' ? '' : parseYaml(rawValue, `-S ${arg}`);
  } catch {
    value = rawValue;
  }
  return { file, key, segments: key.split('.').map((s) => (/^\d+$/.test(s) ? Number(s) : s)), value, add, raw: arg };
}

/** The file's text with every override for it applied. */
export function applyOverrides(file: string, text: string, overrides: Override[]): string {
  const mine = overrides.filter((o) => o.file === file);
  if (mine.length === 0) return text;
  if (file.endsWith('.json')) {
    const doc = JSON.parse(text) as unknown;
    for (const o of mine) {
      if (!o.add && !getPath(doc, o.key).found) throw unknownKey(o);
      setIn(doc, o.segments, o.value);
    }
    return JSON.stringify(doc, null, 2) + '\n';
  }
  const { doc } = parseYamlDocument(file, text);
  for (const o of mine) {
    if (!o.add && !doc.hasIn(o.segments)) throw unknownKey(o);
    doc.setIn(o.segments, o.value);
  }
  return doc.toString();
}

function unknownKey(o: Override): UsageError {
  return new UsageError(`-S ${o.raw}: ${o.file} has no key ${o.key}`, { hint: `to add a new key write -S +${o.raw}` });
}

function setIn(root: unknown, segments: (string | number)[], value: unknown): void {
  let node = root as Record<string | number, unknown>;
  for (const seg of segments.slice(0, -1)) {
    if (node[seg] === undefined || node[seg] === null || typeof node[seg] !== 'object') node[seg] = typeof seg === 'number' ? [] : {};
    node = node[seg] as Record<string | number, unknown>;
  }
  node[segments[segments.length - 1]!] = value;
}

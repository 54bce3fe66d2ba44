// Parameter overrides for experiments (`-S path=value`): parsing the argument and editing a
// YAML or JSON file in place, keeping YAML comments and layout. `file:key.path=value`
// targets any file; a bare `key.path=value` targets params.yaml. The key must exist unless
// written `+key=value` (a typo must not silently add a parameter). A value replacing one is
// spliced into the text, so the rest of the file stays as written. Pure.
import { UsageError } from '../core/errors.js';
import type { Document, Node } from 'yaml';
import { parseYaml, parseYamlDocument, yamlLib } from '../core/yaml.js';
import { canonicalJson } from '../core/canonical.js';
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
  for (const o of mine) if (!o.add && !doc.hasIn(o.segments)) throw unknownKey(o);
  return spliceOverrides(file, text, doc, mine) ?? rewriteOverrides(file, text, mine);
}

/**
 * Every override spliced into the text at the range of the value it replaces, so the rest of
 * the file (comments, spacing, line breaks, quoting) stays byte for byte. Undefined when some
 * override cannot be spliced (a key new to a flow mapping, a block collection or block scalar,
 * overlapping targets) or the result does not read back as intended; the Document then rewrites the file.
 */
function spliceOverrides(file: string, text: string, doc: Document, overrides: Override[]): string | undefined {
  const Y = yamlLib();
  // Replacements by the offset of what they replace (a later override of one value wins);
  // insertions by offset, each with the indent of the mapping it extends.
  const edits = new Map<number, { start: number; end: number; text: string }>();
  const inserts: { at: number; indent: number; line: string }[] = [];
  for (const o of overrides) {
    const node = doc.getIn(o.segments, true) as Node | undefined;
    if (node === undefined) {
      // A new key of a block mapping: a line of its own after the mapping's last entry.
      const parent = doc.getIn(o.segments.slice(0, -1), true) as Node | undefined;
      const key = o.segments[o.segments.length - 1];
      const value = inlineYaml(o.value, false);
      const pr = parent?.range;
      if (!Y.isMap(parent) || parent.flow === true || !pr || typeof key !== 'string' || value === undefined) return undefined;
      const indent = pr[0] - (text.lastIndexOf('\n', pr[0] - 1) + 1);
      const line = `${' '.repeat(indent)}${inlineYaml(key, false)}: ${value}\n`;
      inserts.push({ at: pr[1], indent, line });
      continue;
    }
    const range = node.range;
    if (!range || range[0] >= range[1]) return undefined;
    let replacement: string | undefined;
    if (Y.isScalar(node) && (node.type === 'PLAIN' || node.type === 'QUOTE_DOUBLE' || node.type === 'QUOTE_SINGLE')) replacement = inlineYaml(o.value, false);
    else if (Y.isCollection(node) && node.flow === true) replacement = inlineYaml(o.value, /^[{[] /.test(text.slice(range[0], range[1])));
    if (replacement === undefined) return undefined;
    edits.set(range[0], { start: range[0], end: range[1], text: replacement });
  }
  // Mappings that end at one offset (a nested one and its parent) take their new lines
  // innermost first, so each line lands inside its own mapping.
  const byOffset = new Map<number, typeof inserts>();
  for (const ins of inserts) byOffset.set(ins.at, [...(byOffset.get(ins.at) ?? []), ins]);
  for (const [at, group] of byOffset) {
    if (edits.has(at)) return undefined;
    const lines = group.sort((a, b) => b.indent - a.indent).map((g) => g.line).join('');
    edits.set(at, { start: at, end: at, text: (at > 0 && text[at - 1] !== '\n' ? '\n' : '') + lines });
  }
  const sorted = [...edits.values()].sort((a, b) => a.start - b.start);
  for (let i = 1; i < sorted.length; i++) if (sorted[i]!.start < sorted[i - 1]!.end) return undefined;
  let out = text;
  for (const e of sorted.reverse()) out = out.slice(0, e.start) + e.text + out.slice(e.end);
  let value: unknown;
  try {
    value = parseYaml(out, file);
  } catch {
    return undefined;
  }
  const last = new Map(overrides.map((o) => [o.segments.join('\0'), o]));
  for (const o of last.values()) {
    const at = getIn(value, o.segments);
    if (!at.found || canonicalJson(at.value) !== canonicalJson(o.value)) return undefined;
  }
  return out;
}

/** A plain value written on one line in YAML flow style; undefined for what has no such form. */
function inlineYaml(value: unknown, padded: boolean): string | undefined {
  if (value === null) return 'null';
  if (typeof value === 'boolean') return String(value);
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : undefined;
  if (typeof value === 'string') {
    // Plain when it cannot read as anything else (a number, a boolean, null, flow punctuation).
    if (/^[A-Za-z_][A-Za-z0-9_./-]*$/.test(value) && !/^(true|false|null|~|y|n|yes|no|on|off)$/i.test(value)) return value;
    return JSON.stringify(value);
  }
  const pad = padded ? ' ' : '';
  if (Array.isArray(value)) {
    const items = value.map((v) => inlineYaml(v, padded));
    return items.some((v) => v === undefined) ? undefined : items.length === 0 ? '[]' : `[${pad}${items.join(', ')}${pad}]`;
  }
  if (typeof value === 'object') {
    const pairs = Object.entries(value as Record<string, unknown>).map(([k, v]) => {
      const key = inlineYaml(k, padded);
      const val = inlineYaml(v, padded);
      return val === undefined ? undefined : `${key}: ${val}`;
    });
    return pairs.some((v) => v === undefined) ? undefined : pairs.length === 0 ? '{}' : `{${pad}${pairs.join(', ')}${pad}}`;
  }
  return undefined;
}

function getIn(root: unknown, segments: (string | number)[]): { found: true; value: unknown } | { found: false } {
  let node = root;
  for (const seg of segments) {
    if (node === null || typeof node !== 'object' || !Object.prototype.hasOwnProperty.call(node, seg)) return { found: false };
    node = (node as Record<string | number, unknown>)[seg];
  }
  return { found: true, value: node };
}

/** The overrides set through the yaml Document (comments kept; the layout is the library's). */
function rewriteOverrides(file: string, text: string, overrides: Override[]): string {
  const { doc } = parseYamlDocument(file, text);
  const { isCollection } = yamlLib();
  for (const o of overrides) {
    // A collection replacing a `{...}` or `[...]` one keeps the flow style it replaces.
    const old = doc.getIn(o.segments, true);
    const flow = isCollection(old) && old.flow === true && o.value !== null && typeof o.value === 'object';
    doc.setIn(o.segments, flow ? doc.createNode(o.value, { flow: true }) : o.value);
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

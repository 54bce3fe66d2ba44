// Compiled validators and YAML/JSON parsing that reports problems as file:line:col: field.
// Validators compile lazily (once per process) so commands pay only for what they read.
import { createRequire } from 'node:module';
import { createHash } from 'node:crypto';
import type { ValidateFunction, ErrorObject } from 'ajv';
import type { Node, Document } from 'yaml';
import { yamlLib, parseYamlDocument, type YamlLimits } from '../core/yaml.js';
import { InvalidFileError, type FileProblem } from '../core/errors.js';

const require = createRequire(import.meta.url);
type AjvCtor = new (opts: Record<string, unknown>) => {
  compile(schema: object): ValidateFunction;
};
let ajvInstance: InstanceType<AjvCtor> | undefined;
const compiled = new Map<object, ValidateFunction>();

function ajv(): InstanceType<AjvCtor> {
  if (!ajvInstance) {
    const Ajv2020 = require('ajv/dist/2020.js') as AjvCtor | { default: AjvCtor };
    const Ctor = 'default' in Ajv2020 ? Ajv2020.default : Ajv2020;
    ajvInstance = new Ctor({ allErrors: true, strict: true, allowUnionTypes: true });
    const formats = require('ajv-formats') as ((a: unknown) => void) | { default: (a: unknown) => void };
    (typeof formats === 'function' ? formats : formats.default)(ajvInstance);
  }
  return ajvInstance;
}

type Precompiled = Record<string, ValidateFunction>;
let precompiled: Precompiled | null | undefined;

/** Validators compiled at build time (scripts/build-validators.js), keyed by schema $id. */
function loadPrecompiled(): Precompiled | null {
  if (precompiled !== undefined) return precompiled;
  precompiled = null;
  for (const candidate of ['./validators.cjs', '../../dist/schema/validators.cjs']) {
    try {
      precompiled = (require(candidate) as { byId: Precompiled }).byId;
      break;
    } catch {
      // not built here: compile at run time instead
    }
  }
  return precompiled;
}

export function validatorFor(schema: object): ValidateFunction {
  let v = compiled.get(schema);
  if (!v) {
    const id = (schema as { $id?: unknown }).$id;
    v = (typeof id === 'string' ? loadPrecompiled()?.[id] : undefined) ?? ajv().compile(schema);
    compiled.set(schema, v);
  }
  return v;
}

function pointerToPath(instancePath: string): string[] {
  if (instancePath === '') return [];
  return instancePath
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function fieldName(segments: string[]): string {
  return segments.map((s, i) => (/^\d+$/.test(s) ? `[${s}]` : i === 0 ? s : `.${s}`)).join('') || '(root)';
}

function describe(err: ErrorObject): { segments: string[]; message: string; keyOf?: string } {
  const segments = pointerToPath(err.instancePath);
  const p = err.params as Record<string, unknown>;
  switch (err.keyword) {
    case 'required':
      return { segments: [...segments, String(p.missingProperty)], message: 'is required' };
    case 'additionalProperties':
      return { segments: [...segments, String(p.additionalProperty)], message: 'is not a known field', keyOf: String(p.additionalProperty) };
    case 'enum':
      return { segments, message: `must be one of ${(p.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}` };
    case 'const':
      return { segments, message: `must be ${JSON.stringify(p.allowedValue)}` };
    default:
      return { segments, message: err.message ?? err.keyword };
  }
}

/** The sub-schema a JSON pointer (ajv's schemaPath, `#/a/0/b`) names, if it resolves. */
function schemaAt(root: object, pointer: string): unknown {
  let node: unknown = root;
  for (const raw of pointer.replace(/^#\/?/, '').split('/')) {
    if (raw === '') continue;
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (node === null || typeof node !== 'object' || !(key in node)) return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

const TYPE_WORDS: Record<string, string> = {
  string: 'a string',
  integer: 'an integer',
  number: 'a number',
  boolean: 'true or false',
  array: 'a list',
  object: 'a mapping',
  null: 'empty (null)',
};

/** How one alternative reads in a message: its `description`, else words from its type or constant. */
function describeForm(schema: unknown): string {
  if (schema === null || typeof schema !== 'object') return 'another form';
  const s = schema as Record<string, unknown>;
  if (typeof s.description === 'string') return s.description;
  if ('const' in s) return JSON.stringify(s.const);
  if (Array.isArray(s.enum)) return `one of ${s.enum.map((v) => JSON.stringify(v)).join(', ')}`;
  const types = Array.isArray(s.type) ? (s.type as string[]) : typeof s.type === 'string' ? [s.type] : [];
  if (types.length > 0) return types.map((t) => TYPE_WORDS[t] ?? t).join(' or ');
  const inner = Array.isArray(s.anyOf) ? s.anyOf : Array.isArray(s.oneOf) ? s.oneOf : undefined;
  return inner ? inner.map(describeForm).join(' or ') : 'another form';
}

// Keywords whose failure at an alternative's root means the value is not of that
// alternative's shape at all (as opposed to of its shape but wrong inside).
const SHAPE_KEYWORDS = new Set(['type', 'const', 'enum']);

/**
 * ajv reports an anyOf/oneOf failure once per alternative plus once for itself. When the
 * value has the shape of exactly one alternative (a list where a string or a list is
 * allowed), that alternative's own errors are what the person needs; otherwise the
 * alternatives' errors are replaced by ONE message at the value listing the allowed forms.
 * Applies to every anyOf/oneOf of every schema, nested ones included.
 */
export function collapseAlternatives(errors: ErrorObject[], schema: object): ErrorObject[] {
  const dropped = new Set<ErrorObject>();
  const replaced = new Map<ErrorObject, ErrorObject>();
  const alternatives = errors
    .filter((e) => (e.keyword === 'anyOf' || e.keyword === 'oneOf') && !(e.params as { passingSchemas?: unknown }).passingSchemas)
    .sort((a, b) => a.schemaPath.length - b.schemaPath.length);
  for (const alt of alternatives) {
    if (dropped.has(alt)) continue;
    const prefix = `${alt.schemaPath}/`;
    const branches = schemaAt(schema, alt.schemaPath);
    const count = Array.isArray(branches) ? branches.length : 0;
    const inside = errors.filter((e) => e !== alt && e.schemaPath.startsWith(prefix));
    const branchOf = (e: ErrorObject) => Number(e.schemaPath.slice(prefix.length).split('/')[0]);
    const misshapen = new Set(
      inside.filter((e) => e.instancePath === alt.instancePath && SHAPE_KEYWORDS.has(e.keyword) && e.schemaPath === `${prefix}${branchOf(e)}/${e.keyword}`).map(branchOf),
    );
    const fitting = [...Array(count).keys()].filter((i) => !misshapen.has(i));
    if (count > 0 && fitting.length === 1) {
      for (const e of inside) if (branchOf(e) !== fitting[0]) dropped.add(e);
      dropped.add(alt);
      continue;
    }
    for (const e of inside) dropped.add(e);
    const forms = Array.isArray(branches) ? branches.map(describeForm) : [];
    const message = forms.length > 0 ? `must be ${forms.slice(0, -1).join(', ')}${forms.length > 1 ? ' or ' : ''}${forms[forms.length - 1]}` : 'must be one of the allowed forms';
    replaced.set(alt, { ...alt, message });
  }
  return errors.filter((e) => !dropped.has(e)).map((e) => replaced.get(e) ?? e);
}

/** Validates a plain value (e.g. parsed JSON) and returns problems located by field only. */
export function schemaProblems(file: string, value: unknown, schema: object): FileProblem[] {
  const validate = validatorFor(schema);
  if (validate(value)) return [];
  return collapseAlternatives(validate.errors ?? [], schema).map((e) => {
    const d = describe(e);
    return { file, field: fieldName(d.segments), message: d.message };
  });
}

function nodeAt(doc: Document, segments: string[]): Node | undefined {
  const { isMap, isPair, isScalar } = yamlLib();
  let node: unknown = doc.contents;
  for (const seg of segments) {
    if (isMap(node)) {
      const pair = node.items.find((it) => isPair(it) && isScalar(it.key) && String(it.key.value) === seg);
      if (!pair) return node as Node;
      node = pair.value ?? pair.key;
    } else if (node && typeof node === 'object' && 'items' in node && Array.isArray((node as { items: unknown[] }).items)) {
      const items = (node as { items: unknown[] }).items;
      const next = items[Number(seg)];
      if (next === undefined) return node as Node;
      node = next;
    } else {
      return node as Node | undefined;
    }
  }
  return node as Node | undefined;
}

function keyNodeAt(doc: Document, segments: string[], key: string): Node | undefined {
  const { isMap, isPair, isScalar } = yamlLib();
  const parent = nodeAt(doc, segments);
  if (isMap(parent)) {
    const pair = parent.items.find((it) => isPair(it) && isScalar(it.key) && String(it.key.value) === key);
    if (pair && isScalar(pair.key)) return pair.key;
  }
  return parent;
}

/** Where a value sits in its source file. */
export type Locate = (segments: (string | number)[]) => { line: number; column: number } | undefined;

/**
 * Remembers values of texts that parsed and validated before, keyed by the text and the
 * schema: YAML parsing dominates a no-op command's time, and locks and pipelines rarely
 * change between runs. Implemented over the project's temp directory (store/parse-cache).
 */
export interface ParsedCache {
  get(key: string): unknown;
  set(key: string, value: unknown): void;
}

function cacheKey(text: string, schema: object): string {
  return createHash('sha256').update(String((schema as { $id?: unknown }).$id ?? '')).update('\0').update(text).digest('hex');
}

/**
 * Parses YAML text and validates it against a schema, returning the value and a way to
 * locate any path in it (for errors found later, such as template or graph errors).
 * Throws InvalidFileError (exit 4) listing every problem with file:line:col and field.
 */
export function parseYamlLocated<T>(file: string, text: string, schema: object, cache?: ParsedCache, limits?: YamlLimits): { value: T; locate: Locate } {
  const key = cache ? cacheKey(text, schema) : '';
  const hit = cache?.get(key);
  if (hit !== undefined) {
    // Locations are only needed for errors: parse again lazily then.
    let located: Locate | undefined;
    return { value: hit as T, locate: (segments) => (located ??= parseYamlLocated<T>(file, text, schema, undefined, limits).locate)(segments) };
  }
  const result = parseYamlUncached<T>(file, text, schema, limits);
  cache?.set(key, result.value);
  return result;
}

function parseYamlUncached<T>(file: string, text: string, schema: object, limits?: YamlLimits): { value: T; locate: Locate } {
  const { doc, lineCounter, value, empty } = parseYamlDocument(file, text, limits);
  const locate: Locate = (segments) => {
    const offset = nodeAt(doc, segments.map(String))?.range?.[0];
    if (offset === undefined) return undefined;
    const pos = lineCounter.linePos(offset);
    return { line: pos.line, column: pos.col };
  };
  const validate = validatorFor(schema);
  if (validate(value)) return { value: value as T, locate };
  if (empty) throw new InvalidFileError([{ file, line: 1, column: 1, message: emptyFileMessage(schema) }]);
  // "must match then/else schema" only repeats the errors of the branch itself.
  const problems: FileProblem[] = collapseAlternatives(validate.errors ?? [], schema).filter((e) => e.keyword !== 'if').map((e) => {
    const d = describe(e);
    const base = pointerToPath(e.instancePath);
    const node = d.keyOf !== undefined ? keyNodeAt(doc, base, d.keyOf) : nodeAt(doc, base);
    const offset = node?.range?.[0];
    if (offset === undefined) return { file, field: fieldName(d.segments), message: d.message };
    const pos = lineCounter.linePos(offset);
    return { file, line: pos.line, column: pos.col, field: fieldName(d.segments), message: d.message };
  });
  throw new InvalidFileError(dedupeProblems(problems));
}

/** What an empty file should have held: "(root): must be object" says it less plainly. */
function emptyFileMessage(schema: object): string {
  const required = (schema as { required?: unknown }).required;
  const keys = Array.isArray(required) ? required.filter((k): k is string => typeof k === 'string') : [];
  return `the file is empty; expected a mapping${keys.length > 0 ? ` with ${keys.join(', ')}` : ''}`;
}

/** oneOf/anyOf failures repeat themselves per branch; keep each located message once. */
function dedupeProblems(problems: FileProblem[]): FileProblem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const key = `${p.line}:${p.column}:${p.field}:${p.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

export function parseYamlValidated<T>(file: string, text: string, schema: object, cache?: ParsedCache): T {
  return parseYamlLocated<T>(file, text, schema, cache).value;
}

export function fieldPath(segments: (string | number)[]): string {
  return fieldName(segments.map(String));
}

/** Parses JSON text and validates it; syntax errors carry the line of the failure. */
export function parseJsonValidated<T>(file: string, text: string, schema: object): T {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    const m = /position (\d+)/.exec(msg);
    if (m) {
      const offset = Number(m[1]);
      const before = text.slice(0, offset);
      const line = before.split('\n').length;
      const column = offset - before.lastIndexOf('\n');
      throw new InvalidFileError([{ file, line, column, message: msg }]);
    }
    throw new InvalidFileError([{ file, message: msg }]);
  }
  const problems = schemaProblems(file, value, schema);
  if (problems.length > 0) throw new InvalidFileError(problems);
  return value as T;
}

// The one YAML entry point. Every YAML (and JSON-as-YAML) file rx reads goes through
// parseYamlDocument: input over the documented limits (size, entries, nesting, aliases) is
// refused before the yaml library builds anything, and syntax errors, unknown tags and
// duplicate keys come back as file:line:col problems (exit 4), never as a thrown library error.
// The yaml library is loaded on first use: importing it costs ~70 ms, and a command whose
// files all come from the parsed-file cache never needs it.
import { createRequire } from 'node:module';
import type { Document, LineCounter, Node, Pair } from 'yaml';
import { InvalidFileError, type FileProblem } from './errors.js';

type YamlLib = typeof import('yaml');
const require = createRequire(import.meta.url);
let lib: YamlLib | undefined;

export function yamlLib(): YamlLib {
  lib ??= require('yaml') as YamlLib;
  return lib;
}

/**
 * What one file may contain. The yaml library's time grows with the number of entries far
 * more than with bytes (15-35 µs of CPU per entry measured here), so the entry cap is what
 * keeps one parse under about a second; the byte cap bounds memory and the cheap-but-long
 * content (comments, long strings, block scalars).
 */
export interface YamlLimits {
  /** UTF-8 bytes */
  maxBytes: number;
  /** entries: block lines that hold content plus items of flow collections ([...], {...}) */
  maxEntries: number;
  /** nesting of collections (block and flow together) */
  maxDepth: number;
  /** anchors (&a) plus aliases (*a) */
  maxAliases: number;
  /** nodes that aliases and merge keys (<<: *a) may add to the document when expanded */
  maxAliasExpansion: number;
}

/** Every hand-written or small file: rx.yaml, params and metrics files, specs, model configs, pointers, config. */
export const YAML_LIMITS: YamlLimits = {
  maxBytes: 4 * 1024 * 1024,
  maxEntries: 20_000,
  maxDepth: 256,
  maxAliases: 1_000,
  maxAliasExpansion: 100_000,
};

/**
 * rx.lock grows with the project (about six lines per recorded file); rx writes it. Parsing
 * one near these limits takes minutes: they bound a hostile lock, not a comfortable one.
 */
export const LOCK_YAML_LIMITS: YamlLimits = { ...YAML_LIMITS, maxBytes: 32 * 1024 * 1024, maxEntries: 500_000 };

/** Stable codes of the limit errors (all InvalidFileError, exit 4). */
export const YAML_LIMIT_CODES = {
  maxBytes: 'RX_YAML_TOO_LARGE',
  maxEntries: 'RX_YAML_TOO_MANY_ENTRIES',
  maxDepth: 'RX_YAML_TOO_DEEP',
  maxAliases: 'RX_YAML_ALIASES',
  maxAliasExpansion: 'RX_YAML_ALIASES',
} as const;

/** Syntax problems listed in one error before the rest are summarised. */
const MAX_REPORTED_PROBLEMS = 10;

export interface ParsedYaml {
  doc: Document;
  lineCounter: LineCounter;
  /** The plain value (null for an empty document). */
  value: unknown;
  /** The file holds no value at all (empty, or only comments). */
  empty: boolean;
}

function limitError(file: string, limit: keyof YamlLimits, limits: YamlLimits, message: string, pos: { line?: number; column?: number } = {}): InvalidFileError {
  return new InvalidFileError([{ file, ...pos, message }], {
    code: YAML_LIMIT_CODES[limit],
    data: { limit: { name: limit, value: limits[limit] } },
    hint: 'rx reads YAML within fixed limits (README, "Limits")',
  });
}

/** 1-based line and column of an offset, counted directly (used before the yaml library runs). */
function positionOf(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let start = 0;
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) {
    line++;
    start = i + 1;
  }
  return { line, column: offset - start + 1 };
}

/**
 * Depth is the number of collections nested in one another: more than maxDepth is refused,
 * here coarsely (a line's last node may be a scalar, so block lines get one level of slack)
 * and exactly in checkStructure.
 *
 * A linear pre-scan of nesting depth and entry count, so that deep or huge input never reaches
 * the yaml library (whose parser is recursive and whose time grows with entries). It follows
 * quotes, comments and block scalars well enough to count only real structure. Where it could
 * misread text the parser reads otherwise, the entry cap still bounds what the parser gets, and
 * checkStructure (or the parser's own stack guard) still refuses the depth.
 */
function prescan(text: string, limits: YamlLimits): { limit: 'maxDepth' | 'maxEntries'; offset: number } | undefined {
  const n = text.length;
  /** columns of the open block collections */
  const indents: number[] = [];
  let flow = 0;
  let entries = 0;
  let i = 0;
  // The column a block scalar's content lines must be indented past, while inside one.
  let blockScalarParent: number | undefined;
  const isBlank = (c: number) => c === 32 || c === 9;
  while (i < n) {
    // ---- the start of a line outside any flow collection
    const lineStart = i;
    while (i < n && isBlank(text.charCodeAt(i))) i++;
    const indent = i - lineStart;
    const c0 = text[i];
    if (c0 === undefined || c0 === '\n' || c0 === '\r') {
      i = skipLine(text, i);
      continue;
    }
    if (blockScalarParent !== undefined) {
      if (indent > blockScalarParent) {
        i = skipLine(text, i);
        continue;
      }
      blockScalarParent = undefined;
    }
    if (c0 === '#') {
      i = skipLine(text, i);
      continue;
    }
    if (indent === 0 && (text.startsWith('---', i) || text.startsWith('...', i)) && /\s/.test(text[i + 3] ?? ' ')) {
      indents.length = 0;
      i += 3;
    } else {
      while (indents.length > 0 && indents[indents.length - 1]! >= indent) indents.pop();
      indents.push(indent);
      entries++;
      // Compact nesting on one line: `- - x`, `- key: v`, `? x`.
      while ((text[i] === '-' || text[i] === '?') && /[ \t\r\n]/.test(text[i + 1] ?? '\n')) {
        i++;
        while (i < n && isBlank(text.charCodeAt(i))) i++;
        if (i >= n || text[i] === '\n' || text[i] === '\r' || text[i] === '#') break;
        indents.push(i - lineStart);
        entries++;
        if (indents.length > limits.maxDepth + 1) return { limit: 'maxDepth', offset: i };
      }
      // One more than maxDepth: the last node a line pushes may be a scalar, not a collection.
      if (indents.length > limits.maxDepth + 1) return { limit: 'maxDepth', offset: i };
      if (entries > limits.maxEntries) return { limit: 'maxEntries', offset: lineStart };
    }
    // ---- the rest of the line, and of any flow collection it opens (which may span lines)
    // A quote, [, { or block scalar indicator starts a token only at the start of a value;
    // inside a plain scalar (`desc: it's [x]`) it is text.
    let tokenStart = true;
    let afterSpace = true;
    while (i < n) {
      const c = text[i]!;
      if (c === '\n') {
        i++;
        if (flow === 0) break;
        afterSpace = true;
        continue;
      }
      if (c === ' ' || c === '\t' || c === '\r') {
        afterSpace = true;
        i++;
        continue;
      }
      const wasAfterSpace = afterSpace;
      afterSpace = false;
      if (c === '#' && wasAfterSpace) {
        while (i < n && text[i] !== '\n') i++;
        continue;
      }
      if ((c === '"' || c === "'") && tokenStart) {
        i = skipQuoted(text, i);
        tokenStart = false;
        continue;
      }
      if ((c === '[' || c === '{') && (flow > 0 || tokenStart)) {
        // The node this line pushed for this column is this collection: count it once.
        if (flow === 0 && indents[indents.length - 1] === i - lineStart) indents.pop();
        flow++;
        entries++;
        if (indents.length + flow > limits.maxDepth) return { limit: 'maxDepth', offset: i };
        if (entries > limits.maxEntries) return { limit: 'maxEntries', offset: i };
        tokenStart = true;
        i++;
        continue;
      }
      if ((c === ']' || c === '}') && flow > 0) {
        flow--;
        tokenStart = false;
        i++;
        continue;
      }
      if (c === ',' && flow > 0) {
        entries++;
        if (entries > limits.maxEntries) return { limit: 'maxEntries', offset: i };
        tokenStart = true;
        i++;
        continue;
      }
      if ((c === '|' || c === '>') && flow === 0 && tokenStart) {
        // A block scalar: the lines indented past its parent are content, whatever they hold.
        const top = indents[indents.length - 1];
        blockScalarParent = top === i - lineStart ? (indents[indents.length - 2] ?? -1) : (top ?? -1);
        i = skipLine(text, i);
        break;
      }
      if (c === ':' && /[ \t\r\n,\]}]/.test(text[i + 1] ?? '\n')) {
        tokenStart = true;
        i++;
        continue;
      }
      if ((c === '!' || c === '&') && tokenStart) {
        // A tag or an anchor: the token after it may still be a quote or a collection.
        while (i < n && !/[ \t\r\n,\]}]/.test(text[i]!)) i++;
        continue;
      }
      tokenStart = false;
      i++;
    }
  }
  return undefined;
}

function skipLine(text: string, i: number): number {
  const nl = text.indexOf('\n', i);
  return nl === -1 ? text.length : nl + 1;
}

/** The offset after a quoted scalar starting at i (the end of the text when unterminated). */
function skipQuoted(text: string, i: number): number {
  const q = text[i];
  i++;
  while (i < text.length) {
    const c = text[i];
    if (q === '"' && c === '\\') i += 2;
    else if (c === q) {
      if (q === "'" && text[i + 1] === "'") i += 2;
      else return i + 1;
    } else i++;
  }
  return i;
}

/** Tags of the YAML core schema, the only ones rx reads. */
const CORE_TAGS = new Set(['!!str', '!!int', '!!float', '!!bool', '!!null', '!!seq', '!!map']);

/** `tag:yaml.org,2002:binary` as written in a file: `!!binary`. */
function shownTag(tag: string): string {
  return tag.startsWith('tag:yaml.org,2002:') ? `!!${tag.slice('tag:yaml.org,2002:'.length)}` : tag;
}

/**
 * Hints for the two syntax traps seen in rx files. `: ` inside a plain value (`cmd: python
 * train.py --msg a: b`) starts a nested mapping; `${...}` unquoted inside [ ] or { } reads as a
 * flow mapping. Each fires only when the error's line shows that cause.
 */
function syntaxHint(lines: string[], problems: FileProblem[]): string | undefined {
  for (const p of problems) {
    const line = lines[(p.line ?? 0) - 1] ?? '';
    if (templateInFlow(line)) return 'quote values with ${...} inside [ ] or { }, e.g. outs: ["out/${item}"]';
    const m = /^(\s*(?:-\s+)?)([\w.-]+):\s+(.*)$/.exec(line);
    if (m && !/^["'|>[{&!*]/.test(m[3]!) && /:\s/.test(m[3]!)) {
      const key = m[2]!;
      return `the value of ${key}: contains ": " (colon and space), which YAML reads as a nested mapping; quote it or write it as a block, e.g. ${key}: "${m[3]!.replace(/"/g, '\\"')}" or ${key}: | followed by the text on the next line, indented`;
    }
  }
  return undefined;
}

/** Whether the line has `${` outside quotes inside a flow collection it opens (one linear pass). */
function templateInFlow(line: string): boolean {
  let depth = 0;
  let quote = '';
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote) {
      if (c === quote) quote = '';
      else if (c === '\\' && quote === '"') i++;
    } else if (c === '"' || c === "'") {
      if (depth > 0 && /[[{,\s]/.test(line[i - 1] ?? ' ')) quote = c;
    } else if (c === '[' || (c === '{' && line[i - 1] !== '$')) depth++;
    else if ((c === ']' || c === '}') && depth > 0) depth--;
    else if (c === '$' && line[i + 1] === '{' && depth > 0) return true;
  }
  return false;
}

type Located = (node: unknown) => { line?: number; column?: number };

/**
 * Checks a composed document before it becomes plain values: nesting depth, duplicate and
 * non-scalar keys, merge values written in place, and the number of anchors and aliases.
 * One iterative pass (linear time, flat stack); returns whether there are aliases to check.
 */
function checkStructure(file: string, doc: Document, at: Located, limits: YamlLimits): boolean {
  const { isAlias, isMap, isSeq, isPair, isScalar, isCollection } = yamlLib();
  const invalid = (node: unknown, message: string) => new InvalidFileError([{ file, ...at(node), message }]);
  let anchorsAndAliases = 0;
  const nodes: unknown[] = [doc.contents];
  const depths: number[] = [0];
  while (nodes.length > 0) {
    const node = nodes.pop();
    const depth = depths.pop()!;
    if (node === null || node === undefined) continue;
    if (isCollection(node) && depth >= limits.maxDepth) throw limitError(file, 'maxDepth', limits, `nested deeper than ${limits.maxDepth} levels`, at(node));
    if (isAlias(node) || (node as { anchor?: string }).anchor) {
      if (++anchorsAndAliases > limits.maxAliases) throw limitError(file, 'maxAliases', limits, `more than ${limits.maxAliases} anchors and aliases`, at(node));
    }
    if (!isCollection(node)) continue;
    if (isMap(node)) {
      const seen = new Set<string>();
      for (const item of node.items) {
        const key = item.key;
        if (isMergeKey(key)) {
          for (const source of isSeq(item.value) ? item.value.items : [item.value]) {
            if (!isMap(source) && !isAlias(source)) throw invalid(source ?? key, MERGE_VALUE);
          }
        } else if (key !== null && !isScalar(key)) {
          throw invalid(key, isAlias(key) ? 'an alias cannot be a mapping key' : 'a mapping key must be a plain value, not a mapping or a list');
        } else {
          // Keys become object properties: 1 and "1" are the same key.
          const name = String(isScalar(key) ? key.value : null);
          if (seen.has(name)) throw invalid(key, `duplicate key ${JSON.stringify(name)}`);
          seen.add(name);
        }
      }
    }
    const items = node.items as unknown[];
    for (let k = items.length - 1; k >= 0; k--) {
      const item = items[k];
      if (isPair(item)) {
        nodes.push(item.value, item.key);
        depths.push(depth + 1, depth + 1);
      } else {
        nodes.push(item);
        depths.push(depth + 1);
      }
    }
  }
  return anchorsAndAliases > 0;
}

const MERGE_VALUE = 'a merge key (<<) takes a mapping, an alias of one, or a list of them';

/** With merge keys on, the library resolves a plain `<<` key to Symbol(<<). */
function isMergeKey(key: unknown): boolean {
  const { isScalar } = yamlLib();
  return isScalar(key) && typeof key.value === 'symbol' && key.value.description === '<<';
}

/**
 * For documents with aliases: each alias names an anchor before it and outside itself, merge
 * keys take mappings, and expanding every alias (what conversion to plain values does, merge
 * keys included) adds at most maxAliasExpansion nodes. Post-order, so each node's expanded size
 * is known when an alias refers to it.
 */
function checkAliases(file: string, doc: Document, at: Located, limits: YamlLimits): void {
  const { isAlias, isMap, isSeq, isPair, isCollection } = yamlLib();
  const invalid = (node: unknown, message: string) => new InvalidFileError([{ file, ...at(node), message }]);
  /** nodes each finished node becomes with its aliases expanded, and as written */
  const expandedSize = new Map<unknown, number>();
  const ownSize = new Map<unknown, number>();
  /** the latest node with each anchor, in document order */
  const anchors = new Map<string, Node>();
  const aliasTarget = new Map<unknown, Node>();
  const open = new Set<unknown>();
  const resolved = (node: unknown) => (isAlias(node) ? aliasTarget.get(node) : node);
  const stack: { node: unknown; entered: boolean }[] = [{ node: doc.contents, entered: false }];
  while (stack.length > 0) {
    const frame = stack[stack.length - 1]!;
    const { node } = frame;
    if (node === null || node === undefined) {
      stack.pop();
      continue;
    }
    if (!frame.entered) {
      frame.entered = true;
      if (isAlias(node)) {
        const target = anchors.get(node.source);
        if (!target) throw invalid(node, `alias *${node.source} has no anchor &${node.source} before it`);
        if (open.has(target)) throw invalid(node, `alias *${node.source} refers to a node that contains it`);
        aliasTarget.set(node, target);
        continue;
      }
      const anchor = (node as { anchor?: string }).anchor;
      if (anchor) anchors.set(anchor, node as Node);
      open.add(node);
      if (isCollection(node)) {
        const items = node.items as unknown[];
        for (let k = items.length - 1; k >= 0; k--) {
          const item = items[k];
          if (isPair(item)) stack.push({ node: item.value, entered: false }, { node: item.key, entered: false });
          else stack.push({ node: item, entered: false });
        }
      }
      continue;
    }
    stack.pop();
    open.delete(node);
    if (isAlias(node)) {
      expandedSize.set(node, expandedSize.get(aliasTarget.get(node)) ?? 1);
      ownSize.set(node, 1);
      continue;
    }
    if (isMap(node)) {
      for (const item of node.items) {
        if (!isMergeKey(item.key)) continue;
        const value = resolved(item.value);
        for (const source of isSeq(value) ? value.items : [value]) {
          if (!isMap(resolved(source))) throw invalid(item.value ?? item.key, MERGE_VALUE);
        }
      }
    }
    let expanded = 1;
    let own = 1;
    if (isCollection(node)) {
      for (const item of node.items as unknown[]) {
        for (const part of isPair(item) ? [item.key, item.value] : [item]) {
          if (part === null || part === undefined) continue;
          expanded += expandedSize.get(part) ?? 1;
          own += ownSize.get(part) ?? 1;
        }
      }
    }
    expandedSize.set(node, expanded);
    ownSize.set(node, own);
    if (expanded - own > limits.maxAliasExpansion) {
      throw limitError(file, 'maxAliasExpansion', limits, `its aliases expand to more than ${limits.maxAliasExpansion} nodes (an alias bomb)`, at(node));
    }
  }
}

/**
 * Parses one YAML file with rx's rules: the core schema whatever the %YAML directive says,
 * merge keys (<<) supported, no custom or 1.1-only tags, unique keys, and the limits above.
 * Throws InvalidFileError (exit 4) naming the file and, where the text allows, line:column.
 */
export function parseYamlDocument(file: string, text: string, limits: YamlLimits = YAML_LIMITS): ParsedYaml {
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > limits.maxBytes) {
    throw limitError(file, 'maxBytes', limits, `is ${bytes} bytes, over the limit of ${limits.maxBytes} bytes for this kind of file`);
  }
  const shape = prescan(text, limits);
  if (shape) {
    const message = shape.limit === 'maxDepth' ? `nested deeper than ${limits.maxDepth} levels` : `has more than ${limits.maxEntries} entries (lines and collection items)`;
    throw limitError(file, shape.limit, limits, message, positionOf(text, shape.offset));
  }
  const Y = yamlLib();
  const lineCounter = new Y.LineCounter();
  const doc = Y.parseDocument(text, {
    lineCounter,
    prettyErrors: false,
    // Checked in checkDocument with a set: the library's own check is quadratic in a map's size.
    uniqueKeys: false,
    schema: 'core',
    resolveKnownTags: false,
    merge: true,
    logLevel: 'silent',
  });
  const located = (e: { pos: [number, number]; message: string }): FileProblem => {
    const pos = lineCounter.linePos(e.pos[0]);
    return { file, line: pos.line, column: pos.col, message: e.message.split('\n')[0]! };
  };
  // An unknown tag is a warning to the library (it falls back to a string or map); rx refuses it.
  const problems = [
    ...doc.errors.map((e) => (e.code === 'RESOURCE_EXHAUSTION' ? { ...located(e), message: `nested too deeply to parse (${e.message})` } : located(e))),
    ...doc.warnings.map((w) => {
      const p = located(w);
      const tag = /^Unresolved tag: (.*)$/.exec(p.message);
      if (!tag) return p;
      const shown = shownTag(tag[1]!);
      return CORE_TAGS.has(shown)
        ? { ...p, message: `the value is not a valid ${shown}` }
        : { ...p, message: `unknown tag ${shown}; rx files use plain YAML values (no custom or language-specific tags)` };
    }),
  ].sort((a, b) => a.line! - b.line! || a.column! - b.column!);
  if (doc.errors.some((e) => e.code === 'RESOURCE_EXHAUSTION')) {
    const deep = problems.find((p) => p.message.startsWith('nested too deeply'))!;
    throw limitError(file, 'maxDepth', limits, deep.message, { line: deep.line, column: deep.column });
  }
  if (problems.length > 0) {
    const shown = problems.slice(0, MAX_REPORTED_PROBLEMS);
    if (problems.length > shown.length) shown.push({ file, message: `and ${problems.length - shown.length} more problems` });
    const hint = syntaxHint(text.split('\n', Math.max(...shown.map((p) => p.line ?? 0))), shown);
    throw new InvalidFileError(shown, hint ? { hint } : {});
  }
  const at: Located = (node) => {
    const offset = (node as { range?: [number, number, number] | null } | null)?.range?.[0];
    if (offset === undefined) return {};
    const pos = lineCounter.linePos(offset);
    return { line: pos.line, column: pos.col };
  };
  if (checkStructure(file, doc, at, limits)) checkAliases(file, doc, at, limits);
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: limits.maxAliasExpansion });
  } catch (err) {
    // checkDocument covers what toJS refuses; this keeps any other refusal an invalid file.
    throw new InvalidFileError([{ file, message: (err as Error).message.split('\n')[0]! }], { cause: err });
  }
  const contents = doc.contents as { range?: [number, number, number] | null } | null;
  // `---` alone composes to an empty scalar: no characters of a value anywhere.
  const empty = contents === null || (Y.isScalar(contents) && contents.value === null && contents.range?.[0] === contents.range?.[1]);
  return { doc, lineCounter, value: value ?? null, empty };
}

/** The plain value of a YAML file, parsed by parseYamlDocument's rules. */
export function parseYaml(text: string, file: string, limits: YamlLimits = YAML_LIMITS): unknown {
  return parseYamlDocument(file, text, limits).value;
}

export function stringifyYaml(value: unknown, options?: import('yaml').ToStringOptions & import('yaml').DocumentOptions & import('yaml').SchemaOptions): string {
  // What rx writes never uses anchors: a shared object is written out in full.
  return yamlLib().stringify(value, { aliasDuplicateObjects: false, ...options });
}

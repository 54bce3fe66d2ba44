// Reading dvc.yaml: its parse and shape check with the position of every key (so what is
// not converted is reported where it is written), and the vars files it names, resolved
// against each stage's wdir so the caller can read them before converting.
import * as path from 'node:path';
import { yamlLib } from '../core/yaml.js';
import { parseYamlLocated, type Locate } from '../schema/validate.js';
import { dvcPipelineSchema } from '../schema/dvc.js';
import { DEFAULT_PARAMS_FILE } from './definition.js';

export const DVC_FILE = 'dvc.yaml';

export type Dict = Record<string, unknown>;
export type Segments = (string | number)[];

export interface ParsedDvc {
  file: string;
  value: Dict;
  /** Where a key (or list item) is written; for a key, its own position rather than its value's. */
  locate: Locate;
}

export const isDict = (v: unknown): v is Dict => v !== null && typeof v === 'object' && !Array.isArray(v);
export const isScalar = (v: unknown): v is string | number | boolean => typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';

/** Parses and shape-checks dvc.yaml; problems are an InvalidFileError located in it. */
export function parseDvcYaml(file: string, text: string): ParsedDvc {
  const { value } = parseYamlLocated<Dict>(file, text, dvcPipelineSchema);
  const { LineCounter, parseDocument, isMap, isSeq, isPair, isScalar: isYamlScalar } = yamlLib();
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter });
  const locate: Locate = (segments) => {
    let node: unknown = doc.contents;
    let offset: number | undefined = (node as { range?: number[] } | null)?.range?.[0];
    for (const seg of segments) {
      if (isMap(node)) {
        const pair = node.items.find((it) => isPair(it) && isYamlScalar(it.key) && String(it.key.value) === String(seg));
        if (!pair) break;
        offset = (pair.key as { range?: number[] }).range?.[0] ?? offset;
        node = pair.value;
      } else if (isSeq(node)) {
        const item = node.items[Number(seg)] as { range?: number[] } | undefined;
        if (!item) break;
        offset = item.range?.[0] ?? offset;
        node = item;
      } else break;
    }
    if (offset === undefined) return undefined;
    const pos = lineCounter.linePos(offset);
    return { line: pos.line, column: pos.col };
  };
  return { file, value, locate };
}

interface VarsRef {
  file: string;
  keys: string[] | null;
}

/** `file` or `file:key1,key2` of a vars list, resolved against the stage's wdir. */
export function varsRef(entry: string, wdir: string): VarsRef {
  const colon = entry.lastIndexOf(':');
  const [file, keys] = colon > 0 ? [entry.slice(0, colon), entry.slice(colon + 1).split(',').map((k) => k.trim()).filter(Boolean)] : [entry, null];
  return { file: path.posix.normalize(path.posix.join(wdir || '.', file)), keys };
}

export const varsList = (v: unknown): unknown[] => (Array.isArray(v) ? v : v === undefined ? [] : [v]);

export function stageWdir(stage: unknown): string {
  return isDict(stage) && typeof stage.wdir === 'string' ? stage.wdir : '.';
}

/** The vars files a dvc.yaml loads (top-level and per stage), project-relative, params.yaml excepted. */
export function dvcVarsFiles(dvc: ParsedDvc): string[] {
  const files: string[] = [];
  const add = (entries: unknown, wdir: string) => {
    for (const e of varsList(entries)) if (typeof e === 'string') files.push(varsRef(e, wdir).file);
  };
  add(dvc.value.vars, '.');
  for (const stage of Object.values(isDict(dvc.value.stages) ? dvc.value.stages : {})) {
    if (!isDict(stage)) continue;
    add(stage.vars, stageWdir(stage));
    if (isDict(stage.do)) add(stage.do.vars, stageWdir(stage.do));
  }
  return [...new Set(files)].filter((f) => f !== DEFAULT_PARAMS_FILE);
}

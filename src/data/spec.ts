// The data spec (data/*.yaml, `schema: rx.data/1`): its types, parsing with located errors,
// and the semantic checks a JSON Schema cannot express (split fractions summing to 1, a
// generator's `from` naming a source, generator cycles, options foreign to a read format).
import { InvalidFileError, type FileProblem } from '../core/errors.js';
import { parseYamlLocated, fieldPath, type Locate } from '../schema/validate.js';
import { dataSpecSchema } from '../schema/data.js';
import type { SplitName } from './types.js';

export type ReadFormat = 'digits-csv' | 'idx' | 'png-dir';

export interface ReadSpec {
  format: ReadFormat;
  path?: string;
  rows?: string;
  images?: string;
  labels?: string;
  classes?: string[];
  channels?: 1 | 3;
}

export type PreprocessStep =
  | { 'label-noise': { rate: number; seed?: number } }
  | { normalise: { max: number } }
  | { resize: { height: number; width: number } };

export interface GeneratorSpec {
  from: string;
  method: 'shifted-copies';
  copies?: number;
  seed?: number;
  maxShift?: number;
  maxRotate?: number;
}

export interface Provenance {
  origin?: string;
  licence?: string;
  collected?: string | number;
  description?: string;
  authors?: string;
  citation?: string;
  notes?: string;
}

export interface SourceSpec {
  kind: 'real' | 'synthetic';
  description?: string;
  provenance?: Provenance;
  read?: ReadSpec;
  generator?: GeneratorSpec;
  preprocess?: PreprocessStep[];
  budget?: { count: number } | { fraction: number };
  split?: SplitName;
}

export interface NearRule {
  method: 'dhash' | 'ahash';
  /** Hash side: 8 (64 bits) or 16 (256 bits). */
  size: 8 | 16;
  distance: number;
}

export interface DataSpec {
  schema: 'rx.data/1';
  description?: string;
  seed?: number;
  total?: number;
  classes?: string[];
  stratify?: 'label'[];
  split: { seed: number; fractions: Record<SplitName, number> };
  leakage?: { exact?: 'error' | 'warn'; near?: false | Partial<NearRule> };
  sources: Record<string, SourceSpec>;
}

export const DEFAULT_NEAR: NearRule = { method: 'dhash', size: 16, distance: 4 };

/** The near-duplicate rule in force: the spec's, with defaults filled in, or false. */
export function nearRule(spec: DataSpec): false | NearRule {
  const near = spec.leakage?.near;
  if (near === false) return false;
  return { method: near?.method ?? DEFAULT_NEAR.method, size: near?.size ?? DEFAULT_NEAR.size, distance: near?.distance ?? DEFAULT_NEAR.distance };
}

/** A parsed, checked spec and a way to locate any of its fields (for later errors). */
export interface LoadedSpec {
  file: string;
  spec: DataSpec;
  locate: Locate;
  /** Builds a located problem for a field path. */
  problem(segments: (string | number)[], message: string): FileProblem;
}

const FORMAT_OPTIONS: Record<ReadFormat, string[]> = {
  'digits-csv': ['format', 'path', 'rows'],
  idx: ['format', 'images', 'labels', 'rows', 'classes'],
  'png-dir': ['format', 'path', 'rows', 'labels', 'channels'],
};

/** Parses and checks a data spec; throws InvalidFileError (exit 4) listing every problem. */
export function parseDataSpec(file: string, text: string): LoadedSpec {
  const { value: spec, locate } = parseYamlLocated<DataSpec>(file, text, dataSpecSchema);
  const problem = (segments: (string | number)[], message: string): FileProblem => {
    const at = locate(segments);
    return { file, ...(at ? { line: at.line, column: at.column } : {}), field: fieldPath(segments), message };
  };
  const problems: FileProblem[] = [];

  const f = spec.split.fractions;
  const sum = f.train + f.val + f.test;
  if (Math.abs(sum - 1) > 1e-9) problems.push(problem(['split', 'fractions'], `train + val + test must sum to 1 (they sum to ${+sum.toFixed(12)})`));

  const names = Object.keys(spec.sources);
  let fractionBudgets = 0;
  for (const name of names) {
    const s = spec.sources[name]!;
    const at = ['sources', name];
    if (s.kind === 'real' && !s.read) problems.push(problem([...at, 'read'], 'is required for a real source'));
    if (s.kind === 'synthetic' && !s.generator) problems.push(problem([...at, 'generator'], 'is required for a synthetic source'));
    if (s.kind === 'real' && s.generator) problems.push(problem([...at, 'generator'], 'only a synthetic source has a generator'));
    if (s.kind === 'synthetic' && s.read) problems.push(problem([...at, 'read'], 'a synthetic source is generated, not read (remove `read`)'));
    if (s.read) {
      const allowed = FORMAT_OPTIONS[s.read.format];
      const needed = s.read.format === 'idx' ? ['images', 'labels'] : ['path'];
      for (const key of needed) {
        if ((s.read as unknown as Record<string, unknown>)[key] === undefined) problems.push(problem([...at, 'read', key], `is required for format ${s.read.format}`));
      }
      for (const key of Object.keys(s.read)) {
        if (!allowed.includes(key)) problems.push(problem([...at, 'read', key], `is not an option of format ${s.read.format} (options: ${allowed.slice(1).join(', ')})`));
      }
    }
    if (s.generator) {
      const from = s.generator.from;
      if (!(from in spec.sources)) problems.push(problem([...at, 'generator', 'from'], `names no source of this spec (sources: ${names.join(', ')})`));
    }
    if (s.budget && 'fraction' in s.budget) {
      fractionBudgets += s.budget.fraction;
      if (spec.total === undefined) problems.push(problem([...at, 'budget', 'fraction'], 'a fraction budget needs a spec-level `total`'));
    }
  }
  if (fractionBudgets > 1 + 1e-9) problems.push(problem(['sources'], `fraction budgets sum to ${+fractionBudgets.toFixed(12)}, more than the whole total`));

  const cycle = generatorCycle(spec);
  if (cycle) problems.push(problem(['sources', cycle[0]!, 'generator', 'from'], `generators form a cycle: ${cycle.join(' -> ')}`));

  if (problems.length > 0) throw new InvalidFileError(problems);
  return { file, spec, locate, problem };
}

/** The first generator cycle (as a closed path of source names), or undefined. */
export function generatorCycle(spec: DataSpec): string[] | undefined {
  for (const start of Object.keys(spec.sources).sort()) {
    const seen: string[] = [];
    let cur: string | undefined = start;
    while (cur !== undefined && spec.sources[cur]?.generator) {
      const i = seen.indexOf(cur);
      if (i >= 0) return [...seen.slice(i), cur];
      seen.push(cur);
      cur = spec.sources[cur]!.generator!.from;
    }
  }
  return undefined;
}

/** Source names in an order where every generator comes after the source it copies. */
export function sourceOrder(spec: DataSpec): string[] {
  const out: string[] = [];
  const visit = (name: string) => {
    if (out.includes(name)) return;
    const g = spec.sources[name]?.generator;
    if (g) visit(g.from);
    out.push(name);
  };
  for (const name of Object.keys(spec.sources).sort()) visit(name);
  return out;
}

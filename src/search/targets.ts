// The search space against the project's files: whether every parameter's path names a value
// that exists (and the objective a metric some stage writes), and applying a configuration by
// editing those files in place (comments and layout kept), each result checked by its own schema
// so an invalid configuration is refused before its trial runs. Pure over a file reader.
import { InvalidFileError, type FileProblem } from '../core/errors.js';
import { parseYaml } from '../core/yaml.js';
import { fieldPath } from '../schema/validate.js';
import { applyOverrides, type Override } from '../pipeline/overrides.js';
import { loadPipelineFrom, type FileReader, type Pipeline } from '../pipeline/definition.js';
import { parseDataSpec } from '../data/spec.js';
import { parseAugmentSpec } from '../augment/spec.js';
import { parseModelConfig } from '../model/config.js';
import { isActive, isLegal } from './space.js';
import { splitTarget, type SearchSpec } from './spec.js';
import type { Config, Param, SimplexParam, SimplexValue } from './types.js';

/** Keys a list item may be addressed by instead of its index: `ops.rotate.p` is the op named rotate. */
const ITEM_NAME_KEYS = ['name', 'op'] as const;

export type Resolved = { found: true; segments: (string | number)[]; value: unknown } | { found: false; message: string };

function isMapping(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/**
 * Resolves a dotted key in a parsed file to concrete segments: a number indexes a list, any
 * other part of a list selects the one item whose `name` or `op` is that part.
 */
export function resolveKey(root: unknown, key: string): Resolved {
  let node = root;
  const segments: (string | number)[] = [];
  const where = () => (segments.length === 0 ? 'the file' : segments.join('.'));
  for (const part of key.split('.')) {
    if (Array.isArray(node)) {
      if (/^\d+$/.test(part)) {
        const i = Number(part);
        if (i >= node.length) return { found: false, message: `has no item ${i} in ${where()} (it has ${node.length})` };
        segments.push(i);
        node = node[i];
        continue;
      }
      const hits = node.flatMap((item, i) => (isMapping(item) && ITEM_NAME_KEYS.some((k) => item[k] === part) ? [i] : []));
      if (hits.length === 0) {
        const named = node.flatMap((item) => (isMapping(item) ? ITEM_NAME_KEYS.map((k) => item[k]).filter((v) => typeof v === 'string') : []));
        return { found: false, message: `has no item named ${part} in ${where()}${named.length > 0 ? ` (items: ${named.join(', ')})` : ''}` };
      }
      if (hits.length > 1) return { found: false, message: `${part} names ${hits.length} items of ${where()} (${hits.join(', ')}): address one by its index` };
      segments.push(hits[0]!);
      node = node[hits[0]!];
    } else if (isMapping(node)) {
      if (!Object.prototype.hasOwnProperty.call(node, part)) return { found: false, message: `has no key ${[...segments, part].join('.')}` };
      segments.push(part);
      node = node[part];
    } else {
      return { found: false, message: `has no key ${key}: ${where()} is a single value` };
    }
  }
  return { found: true, segments, value: node };
}

function problemAt(spec: SearchSpec, segments: (string | number)[], message: string): FileProblem {
  const at = spec.locate(segments);
  return { file: spec.file, ...(at ? { line: at.line, column: at.column } : {}), field: fieldPath(segments), message };
}

function byFile(params: readonly Param[]): Map<string, Param[]> {
  const out = new Map<string, Param[]>();
  for (const p of params) {
    const { file } = splitTarget(p.path);
    out.set(file, [...(out.get(file) ?? []), p]);
  }
  return out;
}

/** Parses a target file for resolving keys; its own syntax problems are returned, not thrown. */
function parseTarget(file: string, text: string): { value: unknown } | { problems: FileProblem[] } {
  try {
    return { value: parseYaml(text, file) };
  } catch (err) {
    if (err instanceof InvalidFileError) return { problems: err.problems };
    throw err;
  }
}

/**
 * Checks every parameter's path and the objective against the project: the file exists, the
 * key exists in it (and holds a single value, or for a simplex is a data spec's `sources` with
 * every component a source and a `total` to take fractions of), and some stage of rx.yaml
 * writes the objective's file as a metric. Throws InvalidFileError (exit 4) located in the
 * search file at the parameter's `path`, listing every problem.
 */
export async function checkSpaceAgainstProject(spec: SearchSpec, readFile: FileReader, pipeline?: Pipeline): Promise<void> {
  const problems: FileProblem[] = [];
  const resolvedAt = new Map<string, string>();
  for (const [file, params] of byFile(spec.space.params)) {
    const text = await readFile(file);
    if (text === undefined) {
      for (const p of params) problems.push(problemAt(spec, ['space', p.name, 'path'], `${file} does not exist`));
      continue;
    }
    const parsed = parseTarget(file, text);
    if ('problems' in parsed) {
      problems.push(...parsed.problems);
      continue;
    }
    for (const p of params) {
      const at = ['space', p.name, 'path'];
      const { key } = splitTarget(p.path);
      const r = resolveKey(parsed.value, key);
      if (!r.found) {
        problems.push(problemAt(spec, at, `${file} ${r.message}`));
        continue;
      }
      if (p.type === 'simplex') {
        problems.push(...simplexProblems(spec, p, file, text, parsed.value, key));
        continue;
      }
      if (r.value !== null && typeof r.value === 'object') {
        problems.push(problemAt(spec, at, `${file}:${key} is a ${Array.isArray(r.value) ? 'list' : 'mapping'}, not a single value`));
        continue;
      }
      // Two spellings of one value (ops.rotate.p and ops.0.p) are caught once resolved.
      const concrete = `${file}:${r.segments.join('.')}`;
      const other = resolvedAt.get(concrete);
      if (other !== undefined) problems.push(problemAt(spec, at, `is ${concrete}, the value parameter ${other} sets`));
      else resolvedAt.set(concrete, p.name);
    }
  }
  problems.push(...(await objectiveProblems(spec, readFile, pipeline)));
  if (problems.length > 0) throw new InvalidFileError(problems);
}

function simplexProblems(spec: SearchSpec, p: SimplexParam, file: string, text: string, value: unknown, key: string): FileProblem[] {
  const at = ['space', p.name, 'path'];
  if (!isMapping(value) || value.schema !== 'rx.data/1') return [problemAt(spec, at, `${file} is not a data spec (schema: rx.data/1); a simplex sets a data spec's fraction budgets`)];
  if (key !== 'sources') return [problemAt(spec, at, `a simplex is a mix over the data spec's sources: its path is ${file}:sources`)];
  let data;
  try {
    data = parseDataSpec(file, text).spec;
  } catch (err) {
    if (err instanceof InvalidFileError) return err.problems;
    throw err;
  }
  const names = Object.keys(data.sources);
  const problems: FileProblem[] = [];
  p.over.forEach((o, i) => {
    if (!(o in data.sources)) problems.push(problemAt(spec, ['space', p.name, 'over', i], `${file} has no source ${o} (sources: ${names.join(', ')})`));
  });
  if (data.total === undefined && p.total === undefined) {
    problems.push(problemAt(spec, at, `${file} has no spec-level total for the fractions to share: give the simplex a total (or ${file} one)`));
  }
  return problems;
}

async function objectiveProblems(spec: SearchSpec, readFile: FileReader, given?: Pipeline): Promise<FileProblem[]> {
  const at = ['objective', 'metric'];
  let pipeline = given;
  if (!pipeline) {
    try {
      pipeline = await loadPipelineFrom(readFile);
    } catch (err) {
      if (err instanceof InvalidFileError) return err.problems;
      throw err;
    }
  }
  const { file } = spec.objective;
  if (!pipeline) return [problemAt(spec, at, `the project has no rx.yaml, so no stage writes ${file}`)];
  return [...metricFileProblems(spec, pipeline), ...pruningProblems(spec, pipeline)];
}

/** What `rx train` reports for each epoch (through RX_PROGRESS), the keys a pruning rung can compare. */
export const TRAIN_EPOCH_KEYS = ['train_loss', 'train_accuracy', 'val_loss', 'val_accuracy', 'learning_rate'] as const;

/** Stages that report a metric per epoch: those running rx's own trainer. */
export function epochReportingStages(pipeline: Pipeline): string[] {
  return pipeline.stages.filter((s) => (Array.isArray(s.cmd) ? s.cmd : [s.cmd]).some((c) => /(^|[\s;&|(])rx\s+train(\s|$)/.test(c))).map((s) => s.name);
}

function pruningProblems(spec: SearchSpec, pipeline: Pipeline): FileProblem[] {
  if (!spec.pruning) return [];
  const stages = epochReportingStages(pipeline);
  if (stages.length === 0) {
    return [problemAt(spec, ['pruning', 'resource'], `no stage of rx.yaml reports ${spec.pruning.resource} (a stage running \`rx train\` reports each epoch's metrics), so there is nothing to prune on`)];
  }
  if (!(TRAIN_EPOCH_KEYS as readonly string[]).includes(spec.pruning.metric)) {
    return [problemAt(spec, ['pruning', spec.pruning.metric === spec.objective.key ? 'resource' : 'metric'], `stage ${stages[0]} reports ${TRAIN_EPOCH_KEYS.join(', ')} per epoch, not ${spec.pruning.metric} (set pruning.metric to one of them)`)];
  }
  return [];
}

function metricFileProblems(spec: SearchSpec, pipeline: Pipeline): FileProblem[] {
  const at = ['objective', 'metric'];
  const { file } = spec.objective;
  const covers = (out: string) => out === file || file.startsWith(out.replace(/\/$/, '') + '/');
  const metrics = pipeline.stages.flatMap((s) => s.outs.filter((o) => o.kind === 'metric').map((o) => ({ stage: s.name, path: o.path })));
  if (metrics.some((m) => covers(m.path))) return [];
  const plain = pipeline.stages.find((s) => s.outs.some((o) => o.kind !== 'metric' && covers(o.path)));
  if (plain) return [problemAt(spec, at, `stage ${plain.name} writes ${file}, but not as a metric (list it under the stage's metrics:)`)];
  const known = metrics.map((m) => `${m.path} (${m.stage})`);
  return [problemAt(spec, at, `no stage of rx.yaml writes ${file} as a metric${known.length > 0 ? ` (metrics: ${known.join(', ')})` : ''}`)];
}

/**
 * Fractions of a simplex in the data spec's source order, adjusted so that their sum taken in
 * that order is at most 1 in floating point (the data spec refuses budgets over the total).
 */
function fractions(p: SimplexParam, value: SimplexValue, sourceOrder: readonly string[]): Map<string, number> {
  const order = sourceOrder.filter((n) => p.over.includes(n));
  const out = new Map(order.map((n) => [n, value[n]!]));
  const sum = () => order.reduce((a, n) => a + out.get(n)!, 0);
  for (let excess = sum() - 1; excess > 0; excess = sum() - 1) {
    const largest = order.reduce((a, n) => (out.get(n)! > out.get(a)! ? n : a));
    out.set(largest, out.get(largest)! - Math.max(excess, Number.EPSILON));
  }
  return out;
}

function shownValue(v: unknown): string {
  return typeof v === 'number' ? String(v) : JSON.stringify(v);
}

/** A changed file checked by the schema its `schema:` key names (files without one only need to parse). */
function validateTarget(file: string, text: string): void {
  const value = parseYaml(text, file);
  const schema = isMapping(value) ? value.schema : undefined;
  if (schema === 'rx.data/1') parseDataSpec(file, text);
  else if (schema === 'rx.augment/1') parseAugmentSpec(file, text);
  else if (schema === 'rx.model/1') parseModelConfig(file, text);
}

function refusal(spec: SearchSpec, segments: (string | number)[], message: string): InvalidFileError {
  return new InvalidFileError([problemAt(spec, segments, message)], { code: 'RX_TRIAL_REFUSED' });
}

/**
 * The project's files with a configuration applied: each active parameter's value written at
 * its path (a simplex writes `sources.<name>.budget = {fraction: w}` per component, and `total`
 * when it declares one), comments and layout kept. Returns the new text of every file that
 * changed. Each written file is then checked against its own schema; if one is invalid the
 * configuration is refused (InvalidFileError, code RX_TRIAL_REFUSED, exit 4) naming the file,
 * the field and the parameters that wrote into it.
 */
export async function applyConfig(spec: SearchSpec, config: Config, readFile: FileReader): Promise<Map<string, string>> {
  const names = new Set(spec.space.params.map((p) => p.name));
  for (const name of Object.keys(config)) {
    if (!names.has(name)) throw refusal(spec, ['space'], `the configuration sets ${name}, which is not a parameter of this space`);
  }
  const active = spec.space.params.filter((p) => isActive(p, config));
  for (const p of spec.space.params) {
    const has = Object.prototype.hasOwnProperty.call(config, p.name);
    if (active.includes(p) && !has) throw refusal(spec, ['space', p.name], `the configuration has no value for ${p.name}, which its conditions make active`);
    if (!active.includes(p) && has) throw refusal(spec, ['space', p.name, 'when'], `the configuration sets ${p.name}, which its conditions make inactive`);
    if (has && !isLegal(p, config[p.name]!)) throw refusal(spec, ['space', p.name], `${shownValue(config[p.name])} is not a value of ${p.name}`);
  }

  const out = new Map<string, string>();
  for (const [file, params] of byFile(active)) {
    const text = await readFile(file);
    if (text === undefined) throw refusal(spec, ['space', params[0]!.name, 'path'], `${file} does not exist`);
    const root = parseYaml(text, file);
    const overrides: Override[] = [];
    const written: { param: Param; field: string }[] = [];
    for (const p of params) {
      const { key } = splitTarget(p.path);
      const r = resolveKey(root, key);
      if (!r.found) throw refusal(spec, ['space', p.name, 'path'], `${file} ${r.message}`);
      const raw = `${p.path}=${shownValue(config[p.name])}`;
      if (p.type !== 'simplex') {
        overrides.push({ file, key: r.segments.join('.'), segments: r.segments, value: config[p.name], add: false, raw });
        written.push({ param: p, field: fieldPath(r.segments) });
        continue;
      }
      const sources = isMapping(r.value) ? Object.keys(r.value) : [];
      for (const [source, fraction] of fractions(p, config[p.name] as SimplexValue, sources)) {
        const segments = [...r.segments, source, 'budget'];
        overrides.push({ file, key: segments.join('.'), segments, value: { fraction }, add: true, raw });
        written.push({ param: p, field: fieldPath(segments) });
      }
      if (p.total !== undefined) {
        overrides.push({ file, key: 'total', segments: ['total'], value: p.total, add: true, raw });
        written.push({ param: p, field: 'total' });
      }
      written.push({ param: p, field: fieldPath(r.segments) });
    }
    const next = applyOverrides(file, text, overrides);
    try {
      validateTarget(file, next);
    } catch (err) {
      if (err instanceof InvalidFileError) throw refusedByTarget(spec, config, file, err, written);
      throw err;
    }
    if (next !== text) out.set(file, next);
  }
  return out;
}

/** Whether a problem's field lies in (or around) what a parameter wrote: the value itself, its siblings, or an enclosing field. */
function concerns(problemField: string, written: string): boolean {
  const parent = written.replace(/(\.[^.[\]]+|\[\d+\])$/, '');
  const within = (f: string, prefix: string) => f === prefix || f.startsWith(prefix + '.') || f.startsWith(prefix + '[');
  return within(problemField, written) || within(written, problemField) || (parent !== written && within(problemField, parent));
}

function refusedByTarget(spec: SearchSpec, config: Config, file: string, err: InvalidFileError, written: { param: Param; field: string }[]): InvalidFileError {
  const everyone = [...new Set(written.map((w) => w.param))];
  const blamed = new Set<Param>();
  const problems = err.problems.map((problem) => {
    const responsible = [...new Set(written.filter((w) => problem.field !== undefined && concerns(problem.field, w.field)).map((w) => w.param))];
    const who = responsible.length > 0 ? responsible : everyone;
    for (const p of who) blamed.add(p);
    const set = who.map((p) => `${p.name} = ${shownValue(config[p.name])}`).join(', ');
    return { ...problem, message: `${problem.message} (set by search parameter${who.length > 1 ? 's' : ''} ${set} of ${spec.file})` };
  });
  return new InvalidFileError(problems, {
    code: 'RX_TRIAL_REFUSED',
    hint: `the configuration makes ${file} invalid, so its trial is refused before it runs`,
    data: { search: spec.file, target: file, params: [...blamed].map((p) => p.name) },
    cause: err,
  });
}

// rx params diff and rx metrics show|diff: the parameter values the stages use and the
// metric files they write, read from the workspace or any revision (never checked out),
// flattened and compared.
import { parseYaml } from '../core/yaml.js';
import type { Context } from '../core/context.js';
import { compareStrings } from '../core/canonical.js';
import { openProject, type Project } from '../store/project.js';
import { loadPipelineFrom, type Pipeline } from '../pipeline/definition.js';
import { flatten, diffValues, type ValueRow } from '../pipeline/values.js';
import { getPath } from '../pipeline/template.js';
import { openSide, sidesFromArgs, projectRepo, WORKSPACE, type Side } from './revisions.js';

export interface DiffResult {
  a: string;
  b: string;
  rows: ValueRow[];
}

async function parseFile(side: Side, file: string): Promise<unknown> {
  const text = await side.read(file);
  if (text === undefined) return undefined;
  return parseYaml(text, side.label === WORKSPACE ? file : `${side.label}:${file}`);
}

/** A value outside the stages' params that is compared too (an experiment's -S override of models/cnn.yaml). */
export interface ExtraKey {
  file: string;
  key: string;
}

/** The (file -> key -> value) map of params the side's stages use, plus the extra keys. */
export async function paramsOf(side: Side, pipeline: Pipeline | undefined, extra: ExtraKey[] = []): Promise<Map<string, Map<string, unknown>>> {
  const out = new Map<string, Map<string, unknown>>();
  if (!pipeline) return out;
  const wanted = new Map<string, Set<string> | null>();
  for (const x of extra) {
    const cur = wanted.get(x.file);
    if (cur !== null) wanted.set(x.file, new Set([...(cur ?? []), x.key]));
  }
  for (const s of pipeline.stages) {
    for (const p of s.params) {
      const cur = wanted.get(p.file);
      if (cur === null) continue;
      wanted.set(p.file, p.keys === null ? null : new Set([...(cur ?? []), ...p.keys]));
    }
  }
  for (const [file, keys] of wanted) {
    const doc = await parseFile(side, file);
    if (doc === undefined) continue;
    const values = new Map<string, unknown>();
    if (keys === null) for (const [k, v] of flatten(doc)) values.set(k, v);
    else for (const key of keys) {
      const r = getPath(doc, key);
      if (r.found) for (const [k, v] of flatten(r.value, key)) values.set(k, v);
    }
    out.set(file, values);
  }
  return out;
}

/** The (file -> key -> number) map of the metric files the side's stages declare. */
export async function metricsOf(side: Side, pipeline: Pipeline | undefined): Promise<Map<string, Map<string, unknown>>> {
  const out = new Map<string, Map<string, unknown>>();
  if (!pipeline) return out;
  const files = [...new Set(pipeline.stages.flatMap((s) => s.outs.filter((o) => o.kind === 'metric').map((o) => o.path)))].sort(compareStrings);
  for (const file of files) {
    const doc = await parseFile(side, file);
    if (doc === undefined) continue;
    const values = new Map<string, unknown>();
    for (const [k, v] of flatten(doc)) if (typeof v === 'number' || typeof v === 'boolean') values.set(k, v);
    out.set(file, values);
  }
  return out;
}

async function twoSides(project: Project, args: string[]): Promise<[Side, Side]> {
  const [a, b] = sidesFromArgs(args);
  const pr = a === WORKSPACE && b === WORKSPACE ? undefined : projectRepo(project);
  return [await openSide(project, a, pr), await openSide(project, b, pr)];
}

export async function paramsDiff(ctx: Context, options: { revisions: string[]; all?: boolean; extra?: ExtraKey[] }): Promise<DiffResult> {
  const project = await openProject(ctx.cwd);
  const [a, b] = await twoSides(project, options.revisions);
  const [pa, pb] = [await loadPipelineFrom(a.read), await loadPipelineFrom(b.read)];
  // Compare the params either side's stages use, read on both sides.
  const merged = { stages: [...(pa?.stages ?? []), ...(pb?.stages ?? [])], locate: () => undefined } as Pipeline;
  return { a: a.label, b: b.label, rows: diffValues(await paramsOf(a, merged, options.extra), await paramsOf(b, merged, options.extra), options.all) };
}

export interface MetricsShowResult {
  revision: string;
  metrics: { file: string; key: string; value: unknown }[];
}

export async function metricsShow(ctx: Context, options: { revision?: string }): Promise<MetricsShowResult> {
  const project = await openProject(ctx.cwd);
  const side = await openSide(project, options.revision);
  const values = await metricsOf(side, await loadPipelineFrom(side.read));
  const metrics: MetricsShowResult['metrics'] = [];
  for (const [file, m] of values) for (const [key, value] of m) metrics.push({ file, key, value });
  return { revision: side.label, metrics };
}

export async function metricsDiff(ctx: Context, options: { revisions: string[]; all?: boolean }): Promise<DiffResult> {
  const project = await openProject(ctx.cwd);
  const [a, b] = await twoSides(project, options.revisions);
  const [pa, pb] = [await loadPipelineFrom(a.read), await loadPipelineFrom(b.read)];
  const merged = { stages: [...(pa?.stages ?? []), ...(pb?.stages ?? [])], locate: () => undefined } as Pipeline;
  return { a: a.label, b: b.label, rows: diffValues(await metricsOf(a, merged), await metricsOf(b, merged), options.all) };
}

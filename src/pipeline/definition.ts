// rx.yaml: parsing (schema-checked, located), templating (vars, params.yaml, foreach and
// matrix generating `name@key` stages) and normalisation into Stage values with
// project-relative paths. expandPipeline is pure; loadPipeline adds the file reads.
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { parseYaml } from '../core/yaml.js';
import { InvalidFileError, type FileProblem } from '../core/errors.js';
import { compareStrings } from '../core/canonical.js';
import { absPath, unsafePathReason } from '../core/paths.js';
import { parseYamlLocated, fieldPath, type Locate, type ParsedCache } from '../schema/validate.js';
import { pipelineSchema } from '../schema/pipeline.js';
import { interpolateValue, interpolateString, layeredLookup, TemplateError, type Lookup } from './template.js';

export const PIPELINE_FILE = 'rx.yaml';
export const DEFAULT_PARAMS_FILE = 'params.yaml';

export interface OutSpec {
  path: string;
  kind: 'out' | 'metric' | 'plot';
  cache: boolean;
  persist: boolean;
  tolerance?: Record<string, number>;
  x?: string;
  y?: string | string[];
  title?: string;
}

export interface ParamSpec {
  file: string;
  /** Keys used, sorted; null when the stage depends on the whole file. */
  keys: string[] | null;
}

export interface Stage {
  name: string;
  cmd: string | string[];
  /** Project-relative working directory, '' for the root. */
  wdir: string;
  deps: string[];
  params: ParamSpec[];
  outs: OutSpec[];
  desc?: string;
  frozen: boolean;
  alwaysChanged: boolean;
  env: Record<string, string>;
  /**
   * Environment set for this run by rx rather than declared in rx.yaml (a replication seed's
   * RX_SEED from rx exp run --seeds or rx search), over env. Recorded apart from env in the lock
   * (run_env), so rx.yaml still matches the lock, and given back by rx repro --rev.
   */
  runEnv?: Record<string, string>;
  seeds: Record<string, number | string>;
  /** Path of the stage's body in rx.yaml, for locating errors. */
  defPath: (string | number)[];
  /** Where each dependency is written in the stage's deps list, for locating errors. */
  depIndex?: Record<string, number>;
}

export interface Pipeline {
  stages: Stage[];
  locate: Locate;
}

type RawEntry = string | Record<string, unknown>;
interface RawStage {
  cmd: string | string[];
  wdir?: string;
  deps?: string[];
  params?: (string | Record<string, string[] | null>)[];
  outs?: RawEntry[];
  metrics?: RawEntry[];
  plots?: RawEntry[];
  desc?: string;
  frozen?: boolean;
  always_changed?: boolean;
  env?: Record<string, string | number | boolean>;
  seeds?: Record<string, number | string>;
  matrix?: Record<string, unknown>;
  foreach?: unknown;
  do?: RawStage;
}
export interface RawPipeline {
  /** Optional in the file: the current version is assumed. */
  schema?: 1;
  vars?: Record<string, unknown>;
  stages: Record<string, RawStage>;
}

function isScalar(v: unknown): v is string | number | boolean {
  return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';
}

function keyPart(v: unknown, index: number): string {
  return isScalar(v) ? String(v).replace(/[^A-Za-z0-9_.-]/g, '_') : String(index);
}

/** Normalises a path written relative to wdir into a project-relative POSIX path. */
function projectPath(wdir: string, p: string): string | undefined {
  const joined = path.posix.normalize(path.posix.join(wdir === '' ? '.' : wdir, p));
  if (path.posix.isAbsolute(p) || joined === '..' || joined.startsWith('../')) return undefined;
  const clean = joined.replace(/\/+$/, '');
  return clean === '.' ? undefined : clean;
}

interface Instance {
  name: string;
  body: RawStage;
  defPath: (string | number)[];
  item?: { item: unknown; key: string };
}

function instancesOf(name: string, raw: RawStage, base: Lookup, problems: FileProblem[], locate: Locate): Instance[] {
  const here = ['stages', name];
  const problem = (p: (string | number)[], message: string) => problems.push({ file: PIPELINE_FILE, ...locate(p), field: fieldPath(p), message });
  if (raw.foreach !== undefined) {
    let items: unknown = raw.foreach;
    if (typeof items === 'string') {
      try {
        items = interpolateString(items, base);
      } catch (err) {
        if (!(err instanceof TemplateError)) throw err;
        problem([...here, 'foreach'], err.message);
        return [];
      }
    }
    const pairs: [string, unknown][] = Array.isArray(items)
      ? items.map((v, i) => [keyPart(v, i), v])
      : items !== null && typeof items === 'object'
        ? Object.entries(items as Record<string, unknown>)
        : [];
    if (pairs.length === 0) problem([...here, 'foreach'], 'must be a non-empty list or mapping');
    return pairs.map(([key, item]) => ({ name: `${name}@${key}`, body: raw.do!, defPath: [...here, 'do'], item: { item, key } }));
  }
  if (raw.matrix !== undefined) {
    const axes: [string, unknown[]][] = [];
    for (const [axis, values] of Object.entries(raw.matrix)) {
      let list = values;
      if (typeof list === 'string') {
        try {
          list = interpolateString(list, base);
        } catch (err) {
          if (!(err instanceof TemplateError)) throw err;
          problem([...here, 'matrix', axis], err.message);
          return [];
        }
      }
      if (!Array.isArray(list) || list.length === 0) {
        problem([...here, 'matrix', axis], 'must be a non-empty list');
        return [];
      }
      axes.push([axis, list]);
    }
    let combos: { item: Record<string, unknown>; parts: string[] }[] = [{ item: {}, parts: [] }];
    for (const [axis, list] of axes) {
      combos = combos.flatMap((c) => list.map((v, i) => ({ item: { ...c.item, [axis]: v }, parts: [...c.parts, keyPart(v, i)] })));
    }
    const { matrix: _m, ...body } = raw;
    return combos.map((c) => ({ name: `${name}@${c.parts.join('-')}`, body, defPath: here, item: { item: c.item, key: c.parts.join('-') } }));
  }
  return [{ name, body: raw, defPath: here }];
}

function entryOf(e: RawEntry): Record<string, unknown> & { path: string } {
  return typeof e === 'string' ? { path: e } : (e as Record<string, unknown> & { path: string });
}

/**
 * Rewrites DVC's output form `{PATH: {flags}}` (several paths allowed) as rx's `{path: PATH,
 * ...flags}`, before templating, so a `${...}` path key is interpolated like any path.
 */
function withRxOutputForms(body: RawStage): RawStage {
  const flatten = (list: RawEntry[] | undefined): RawEntry[] | undefined =>
    list?.flatMap((e) =>
      typeof e === 'string' || typeof e.path === 'string'
        ? [e]
        : Object.entries(e).map(([p, flags]) => ({ ...((flags ?? {}) as Record<string, unknown>), path: p })),
    );
  const out: RawStage = { ...body };
  for (const field of ['outs', 'metrics', 'plots'] as const) if (body[field] !== undefined) out[field] = flatten(body[field]);
  return out;
}

/**
 * Expands and normalises a parsed rx.yaml. Pure: params.yaml's content is passed in.
 * Every problem (unknown variable, path outside the project, duplicate stage) is collected
 * and thrown together as an InvalidFileError located in rx.yaml.
 */
export function expandPipeline(raw: RawPipeline, locate: Locate, defaultParams: unknown): Pipeline {
  const problems: FileProblem[] = [];
  const problem = (p: (string | number)[], message: string) => problems.push({ file: PIPELINE_FILE, ...locate(p), field: fieldPath(p), message });
  const baseScopes = [
    { source: 'vars', values: raw.vars ?? {} },
    { source: DEFAULT_PARAMS_FILE, values: defaultParams ?? {} },
  ];
  const base = layeredLookup(baseScopes);
  const stages: Stage[] = [];
  const names = new Set<string>();
  for (const name of Object.keys(raw.stages).sort(compareStrings)) {
    for (const inst of instancesOf(name, raw.stages[name]!, base, problems, locate)) {
      const lookup = inst.item ? layeredLookup([{ source: 'item', values: { item: inst.item.item, key: inst.item.key } }, ...baseScopes]) : base;
      const used = new Map<string, string>();
      const onError = (p: (string | number)[], err: TemplateError) => problem(p, err.message);
      const { matrix: _m, foreach: _f, do: _d, ...bodyRaw } = inst.body;
      const body = interpolateValue(withRxOutputForms(bodyRaw), lookup, inst.defPath, onError, used) as RawStage;
      if (names.has(inst.name)) problem(inst.defPath, `stage ${inst.name} is defined twice`);
      names.add(inst.name);

      const wdirRaw = typeof body.wdir === 'string' ? body.wdir : '.';
      const wdir = wdirRaw === '.' ? '' : projectPath('', wdirRaw);
      if (wdir === undefined) {
        problem([...inst.defPath, 'wdir'], `${wdirRaw} is outside the project`);
        continue;
      }
      const resolvePath = (p: unknown, at: (string | number)[]): string | undefined => {
        if (typeof p !== 'string' || p === '') {
          problem(at, 'must be a non-empty path');
          return undefined;
        }
        const r = projectPath(wdir, p);
        if (r === undefined) problem(at, `${p} is outside the project`);
        const reason = r === undefined ? undefined : unsafePathReason(r);
        if (reason !== undefined) {
          problem(at, `${JSON.stringify(p)}: ${r} ${reason}`);
          return undefined;
        }
        return r;
      };
      const depIndex: Record<string, number> = {};
      (body.deps ?? []).forEach((d, i) => {
        const p = resolvePath(d, [...inst.defPath, 'deps', i]);
        if (p !== undefined && !(p in depIndex)) depIndex[p] = i;
      });
      const deps = Object.keys(depIndex).sort(compareStrings);

      const paramsByFile = new Map<string, Set<string> | null>();
      const addParam = (file: string, keys: string[] | null) => {
        const current = paramsByFile.get(file);
        if (current === null) return;
        if (keys === null) paramsByFile.set(file, null);
        else paramsByFile.set(file, new Set([...(current ?? []), ...keys]));
      };
      const paramsFile = (file: string) => (wdir === '' ? file : `${wdir}/${file}`);
      (body.params ?? []).forEach((entry, i) => {
        if (typeof entry === 'string') addParam(paramsFile(DEFAULT_PARAMS_FILE), [entry]);
        else for (const [file, keys] of Object.entries(entry)) {
          const rel = resolvePath(file, [...inst.defPath, 'params', i, file]);
          if (rel !== undefined) addParam(rel, keys === null || keys.length === 0 ? null : keys.map(String));
        }
      });
      // Values taken from params.yaml by templating are dependencies too.
      for (const [name, source] of used) if (source === DEFAULT_PARAMS_FILE) addParam(DEFAULT_PARAMS_FILE, [name]);
      const params: ParamSpec[] = [...paramsByFile]
        .map(([file, keys]) => ({ file, keys: keys === null ? null : [...keys].sort(compareStrings) }))
        .sort((a, b) => compareStrings(a.file, b.file));

      const outs: OutSpec[] = [];
      const addOuts = (list: RawEntry[] | undefined, kind: OutSpec['kind'], field: string) => {
        (list ?? []).forEach((e, i) => {
          const entry = entryOf(e);
          const p = resolvePath(entry.path, [...inst.defPath, field, i]);
          if (p === undefined) return;
          const out: OutSpec = { path: p, kind, cache: (entry.cache as boolean | undefined) ?? kind === 'out', persist: Boolean(entry.persist) };
          if (entry.tolerance) out.tolerance = entry.tolerance as Record<string, number>;
          if (entry.x) out.x = entry.x as string;
          if (entry.y) out.y = entry.y as string | string[];
          if (entry.title) out.title = entry.title as string;
          outs.push(out);
        });
      };
      addOuts(body.outs, 'out', 'outs');
      addOuts(body.metrics, 'metric', 'metrics');
      addOuts(body.plots, 'plot', 'plots');
      outs.sort((a, b) => compareStrings(a.path, b.path));
      for (let i = 1; i < outs.length; i++) if (outs[i]!.path === outs[i - 1]!.path) problem(inst.defPath, `output ${outs[i]!.path} is declared twice`);

      const env: Record<string, string> = {};
      for (const [k, v] of Object.entries(body.env ?? {})) env[k] = String(v);
      const stage: Stage = {
        name: inst.name,
        cmd: body.cmd,
        wdir,
        deps,
        params,
        outs,
        frozen: Boolean(body.frozen),
        alwaysChanged: Boolean(body.always_changed),
        env,
        seeds: body.seeds ?? {},
        defPath: inst.defPath,
        depIndex,
      };
      if (body.desc !== undefined) stage.desc = body.desc;
      stages.push(stage);
    }
  }
  if (problems.length > 0) throw new InvalidFileError(problems);
  stages.sort((a, b) => compareStrings(a.name, b.name));
  return { stages, locate };
}

/** Reads a project file by project-relative path; undefined when it does not exist. */
export type FileReader = (rel: string) => Promise<string | undefined>;

export function workspaceReader(root: string): FileReader {
  return async (rel) => {
    try {
      return await fsp.readFile(absPath(root, rel), 'utf8');
    } catch {
      return undefined;
    }
  };
}

/** Reads rx.yaml (and params.yaml for templating) through a reader: the workspace or a commit. */
export async function loadPipelineFrom(read: FileReader, parsed?: ParsedCache): Promise<Pipeline | undefined> {
  const text = await read(PIPELINE_FILE);
  if (text === undefined) return undefined;
  const { value, locate } = parseYamlLocated<RawPipeline>(PIPELINE_FILE, text, pipelineSchema, parsed);
  const paramsText = await read(DEFAULT_PARAMS_FILE);
  const params = paramsText === undefined ? undefined : parseYaml(paramsText, DEFAULT_PARAMS_FILE);
  return expandPipeline(value, locate, params);
}

export function loadPipeline(root: string, parsed?: ParsedCache): Promise<Pipeline | undefined> {
  return loadPipelineFrom(workspaceReader(root), parsed);
}

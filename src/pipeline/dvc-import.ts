// dvc.yaml -> rx.yaml. Each DVC construct that rx has a form for (stages, vars, foreach/do,
// matrix, wdir, deps, params, outs/metrics/plots and their cache/persist/desc/x/y/title,
// frozen, always_changed, top-level metrics and plots naming a stage output) maps onto that
// form; everything else is dropped and reported, located in dvc.yaml. Pure: the files a
// dvc.yaml refers to (params.yaml, vars files) come in parsed.
import * as path from 'node:path';
import { yamlLib, stringifyYaml } from '../core/yaml.js';
import { InvalidFileError, type FileProblem } from '../core/errors.js';
import { parseYamlLocated, fieldPath, type Locate } from '../schema/validate.js';
import { dvcPipelineSchema } from '../schema/dvc.js';
import { pipelineSchema } from '../schema/pipeline.js';
import { expandPipeline, DEFAULT_PARAMS_FILE, PIPELINE_FILE, type RawPipeline } from './definition.js';
import { buildGraph } from './graph.js';
import { getPath } from './template.js';

export const DVC_FILE = 'dvc.yaml';

type Dict = Record<string, unknown>;
type Segments = (string | number)[];

export interface ParsedDvc {
  file: string;
  value: Dict;
  /** Where a key (or list item) is written; for a key, its own position rather than its value's. */
  locate: Locate;
}

/** Something in dvc.yaml that rx.yaml does not say the same way, with where it is written. */
export interface ConversionWarning extends FileProblem {
  code: string;
}

export interface DvcConversion {
  /** The rx.yaml content, as a value and as the text to write (warnings as comments on top). */
  pipeline: RawPipeline;
  text: string;
  warnings: ConversionWarning[];
  /** Each dvc.yaml stage with the rx stages it became (foreach/matrix expand to several). */
  stages: { dvc: string; rx: string[] }[];
  /** What rx itself refuses in the converted rx.yaml (an undefined ${...}, a cycle, ...). */
  problems: FileProblem[];
}

export interface DvcInput {
  dvc: ParsedDvc;
  /** params.yaml, parsed (undefined when there is none). */
  params: unknown;
  /** Vars files by project-relative path, parsed; a missing one is absent. */
  files: Record<string, unknown>;
}

const isDict = (v: unknown): v is Dict => v !== null && typeof v === 'object' && !Array.isArray(v);
const isScalar = (v: unknown): v is string | number | boolean => typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';

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
function varsRef(entry: string, wdir: string): VarsRef {
  const colon = entry.lastIndexOf(':');
  const [file, keys] = colon > 0 ? [entry.slice(0, colon), entry.slice(colon + 1).split(',').map((k) => k.trim()).filter(Boolean)] : [entry, null];
  return { file: path.posix.normalize(path.posix.join(wdir || '.', file)), keys };
}

const varsList = (v: unknown): unknown[] => (Array.isArray(v) ? v : v === undefined ? [] : [v]);

function stageWdir(stage: unknown): string {
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

/** DVC's `${a.b[0]}` list index is rx's `${a.b.0}`; escaped `\${` is left alone. */
function convertExpressions(s: string): string {
  return s.replace(/(\\?)\$\{([^}]*)\}/g, (m, escape: string, inner: string) => (escape ? m : `\${${inner.replace(/\[\s*(\d+)\s*\]/g, '.$1')}}`));
}

function mapStrings(v: unknown, f: (s: string) => unknown): unknown {
  if (typeof v === 'string') return f(v);
  if (Array.isArray(v)) return v.map((x) => mapStrings(x, f));
  if (isDict(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [typeof k === 'string' ? (f(k) as string) : k, mapStrings(x, f)]));
  return v;
}

const EXPR = /(\\?)\$\{\s*([^}]*?)\s*\}/g;

/** Replaces the `${...}` whose first name `scope` defines by their values (whole strings keep the type). */
function substitute(s: string, scope: Dict): unknown {
  const known = (expr: string) => Object.prototype.hasOwnProperty.call(scope, expr.split('.')[0]!) && getPath(scope, expr).found;
  const whole = /^\$\{\s*([^}]*?)\s*\}$/.exec(s);
  if (whole && known(whole[1]!)) return getPath(scope, whole[1]!).found ? (getPath(scope, whole[1]!) as { value: unknown }).value : s;
  return s.replace(EXPR, (m, escape: string, expr: string) => {
    if (escape || !known(expr)) return m;
    const v = (getPath(scope, expr) as { value: unknown }).value;
    return isScalar(v) || v === null ? String(v) : m;
  });
}

/** Deep merge in DVC's way: mappings merge, anything else is replaced (a conflict is reported). */
function mergeInto(target: Dict, source: Dict, conflict: (key: string) => void, prefix = ''): void {
  for (const [k, v] of Object.entries(source)) {
    const here = prefix ? `${prefix}.${k}` : k;
    if (isDict(target[k]) && isDict(v)) mergeInto(target[k] as Dict, v, conflict, here);
    else {
      if (k in target && JSON.stringify(target[k]) !== JSON.stringify(v)) conflict(here);
      target[k] = structuredClone(v);
    }
  }
}

function pick(doc: unknown, keys: string[] | null): Dict | undefined {
  if (!isDict(doc)) return undefined;
  if (keys === null) return doc;
  const out: Dict = {};
  for (const k of keys) if (k in doc) out[k] = doc[k];
  return out;
}

const EXTERNAL = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//;
const isExternal = (p: string) => EXTERNAL.test(p) || p.startsWith('/') || /^[A-Za-z]:[\\/]/.test(p);
const READABLE_PARAMS = /\.(ya?ml|json)$/i;
const STAGE_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;

// DVC's per-output keys and what becomes of them in rx.
const OUTPUT_KEYS = new Set(['cache', 'persist', 'desc']);
const PLOT_KEYS = new Set(['x', 'y', 'title']);
const DROPPED_OUTPUT_KEYS: Record<string, string> = {
  remote: 'rx pushes every cached output to the remote named on the command line',
  push: 'rx pushes every cached output',
  type: 'rx has no artifact annotations',
  labels: 'rx has no artifact annotations',
  meta: 'rx has no artifact annotations',
};
const DROPPED_PLOT_KEYS: Record<string, string> = {
  template: 'rx draws plots from x and y only',
  x_label: 'rx labels axes with the field names',
  y_label: 'rx labels axes with the field names',
  header: 'rx reads the header of CSV/TSV files itself',
};
const STAGE_KEYS = new Set(['cmd', 'wdir', 'deps', 'params', 'outs', 'metrics', 'plots', 'frozen', 'always_changed', 'desc', 'meta', 'vars', 'foreach', 'do', 'matrix']);

type Kind = 'out' | 'metric' | 'plot';
const LIST_OF: Record<Kind, 'outs' | 'metrics' | 'plots'> = { out: 'outs', metric: 'metrics', plot: 'plots' };

/** rx's form of one output: a bare path, or {path, ...flags}. */
type RxOutput = string | (Dict & { path: string });

/** A plain (non-templated) stage's output, found by project path for the top-level sections. */
interface KnownOutput {
  stage: string;
  kind: Kind;
  flags: Dict;
  body: Dict;
  entry: RxOutput;
}

export function convertDvcPipeline(input: DvcInput): DvcConversion {
  const { dvc, params, files } = input;
  const warnings: ConversionWarning[] = [];
  const warn = (code: string, at: Segments, message: string) => warnings.push({ code, file: dvc.file, ...dvc.locate(at), field: fieldPath(at), message });
  const top = dvc.value;

  // ---- vars: rx has one mapping; DVC's list of mappings and files merges into it.
  const vars: Dict = {};
  const loadVars = (entries: unknown, at: Segments, wdir: string, into: Dict) => {
    varsList(entries).forEach((e, i) => {
      const here = Array.isArray(entries) ? [...at, i] : at;
      const conflict = (key: string) => warn('dvc-vars-conflict', here, `${key} is set twice with different values; the later one is kept`);
      if (isDict(e)) return mergeInto(into, e, conflict);
      if (typeof e !== 'string') return warn('dvc-unknown-key', here, 'a vars entry is a file name or a mapping; this one is neither and is dropped');
      const ref = varsRef(e, wdir);
      if (ref.file === DEFAULT_PARAMS_FILE) return; // rx, like DVC, always templates from params.yaml
      const doc = pick(files[ref.file], ref.keys);
      if (doc === undefined) return warn('dvc-vars-missing', here, `${ref.file} was not found (or is not a YAML/JSON mapping): its values are not in rx.yaml`);
      mergeInto(into, structuredClone(doc), conflict);
      warn('dvc-vars-file', here, `the values of ${ref.file}${ref.keys ? ` (${ref.keys.join(', ')})` : ''} are copied into vars: edit them in rx.yaml from now on`);
    });
  };
  loadVars(top.vars, ['vars'], '.', vars);
  const templateScope = { ...(isDict(params) ? params : {}), ...vars };

  // ---- stages
  const stagesOut: Dict = {};
  const stageMap: { dvc: string; rx: string }[] = [];
  const known = new Map<string, KnownOutput>();
  const usedNames = new Set<string>();

  const outputsOf = (list: unknown, kind: Kind, at: Segments, localScope: Dict | undefined): RxOutput[] => {
    const out: RxOutput[] = [];
    if (!Array.isArray(list)) return out;
    list.forEach((e, i) => {
      const entries: [string, unknown, Segments][] = typeof e === 'string' ? [[e, {}, [...at, i]]] : isDict(e) ? Object.entries(e).map(([p, f]) => [p, f ?? {}, [...at, i, p]]) : [];
      for (const [rawPath, rawFlags, here] of entries) {
        const p = convertText(rawPath, localScope);
        if (typeof p !== 'string') continue;
        if (isExternal(p)) {
          warn('dvc-external-path', here, `${p} is outside the project: rx stages write only inside it, so this output is dropped`);
          continue;
        }
        if (!isDict(rawFlags)) {
          warn('dvc-unknown-key', here, `the settings of ${p} are not a mapping and are dropped`);
          continue;
        }
        const flags: Dict = {};
        for (const [k, v] of Object.entries(rawFlags)) {
          const at2 = [...here, k];
          if (OUTPUT_KEYS.has(k) || (kind === 'plot' && PLOT_KEYS.has(k))) flags[k] = convertText(v, localScope);
          else if (k === 'checkpoint') {
            if (v === true) flags.persist = true;
            warn('dvc-checkpoint', at2, 'rx has no checkpoint experiments; the output is kept in place between runs instead (persist: true)');
          } else if (kind === 'plot' && k in DROPPED_PLOT_KEYS) warn('dvc-plot-setting', at2, `${k} is dropped: ${DROPPED_PLOT_KEYS[k]}`);
          else if (k in DROPPED_OUTPUT_KEYS) warn('dvc-output-setting', at2, `${k} is dropped: ${DROPPED_OUTPUT_KEYS[k]}`);
          else warn('dvc-unknown-key', at2, `${k} is not a DVC output setting rx knows; dropped`);
        }
        // DVC caches metrics and plots unless told not to; rx keeps them in git by default.
        if (kind !== 'out' && flags.cache === undefined) flags.cache = true;
        out.push(Object.keys(flags).length === 0 ? p : { path: p, ...flags });
      }
    });
    return out;
  };

  const paramsOf = (list: unknown, at: Segments, localScope: Dict | undefined): unknown[] => {
    if (!Array.isArray(list)) return [];
    return list.map((e, i) => {
      if (!isDict(e)) return typeof e === 'string' ? convertText(e, localScope) : e;
      const entry: Dict = {};
      for (const [file, keys] of Object.entries(e)) {
        if (!READABLE_PARAMS.test(file)) warn('dvc-params-format', [...at, i, file], `rx reads YAML and JSON params files; ${file} is kept as a dependency but rx cannot read its values`);
        entry[file] = keys === null || (Array.isArray(keys) && keys.length === 0) ? null : keys;
      }
      return entry;
    });
  };

  /** Templating syntax converted, a stage's local vars substituted. */
  const convertText = (v: unknown, localScope: Dict | undefined): unknown =>
    mapStrings(v, (s) => {
      const converted = convertExpressions(s);
      return localScope ? substitute(converted, localScope) : converted;
    });

  /** DVC's dictionary unpacking: `${mapping}` in cmd becomes one flag per value, each still templated. */
  const unpackDicts = (cmd: string, at: Segments): string =>
    cmd.replace(EXPR, (m, escape: string, expr: string) => {
      if (escape) return m;
      const r = getPath(templateScope, expr);
      if (!r.found || !isDict(r.value)) return m;
      warn(
        'dvc-dict-unpacked',
        at,
        `\${${expr}} is unpacked into flags as DVC does (bool: store_true, list: nargs); booleans and the set of keys are fixed as they are now: edit cmd when they change`,
      );
      return flagsOf(r.value, expr).join(' ');
    });

  /** A foreach or matrix value as DVC would iterate it: `${name}` looked up in vars and params.yaml. */
  const resolved = (v: unknown): unknown => {
    const whole = typeof v === 'string' ? /^\$\{\s*([^}]*?)\s*\}$/.exec(v) : null;
    if (!whole) return v;
    const r = getPath(templateScope, whole[1]!);
    return r.found ? r.value : v;
  };

  const bodyOf = (raw: Dict, at: Segments): Dict => {
    let localScope: Dict | undefined;
    if (raw.vars !== undefined) {
      localScope = {};
      loadVars(raw.vars, [...at, 'vars'], stageWdir(raw), localScope);
      warn('dvc-stage-vars', [...at, 'vars'], 'rx has no stage-level vars: their values are written into the stage');
    }
    for (const key of Object.keys(raw)) {
      if (key === 'meta') warn('dvc-meta', [...at, key], 'meta is dropped: rx stages carry desc only');
      else if (!STAGE_KEYS.has(key)) warn('dvc-unknown-key', [...at, key], `${key} is not a DVC stage field rx knows; dropped`);
    }
    const body: Dict = {};
    if (typeof raw.desc === 'string') body.desc = convertText(raw.desc, localScope);
    let cmd = convertText(raw.cmd, localScope);
    if (typeof cmd === 'string') cmd = unpackDicts(cmd, [...at, 'cmd']);
    else if (Array.isArray(cmd)) cmd = cmd.map((c, i) => (typeof c === 'string' ? unpackDicts(c, [...at, 'cmd', i]) : c));
    body.cmd = cmd;
    if (raw.wdir !== undefined && raw.wdir !== '.') body.wdir = convertText(raw.wdir, localScope);
    if (Array.isArray(raw.deps)) {
      const deps: unknown[] = [];
      raw.deps.forEach((d, i) => {
        const p = convertText(d, localScope);
        if (typeof p === 'string' && isExternal(p)) warn('dvc-external-path', [...at, 'deps', i], `${p} is outside the project: rx tracks dependencies inside it only, so this one is dropped`);
        else deps.push(p);
      });
      if (deps.length > 0) body.deps = deps;
    }
    const paramsList = paramsOf(raw.params, [...at, 'params'], localScope);
    if (paramsList.length > 0) body.params = paramsList;
    for (const kind of ['out', 'metric', 'plot'] as const) {
      const list = outputsOf(raw[LIST_OF[kind]], kind, [...at, LIST_OF[kind]], localScope);
      if (list.length > 0) body[LIST_OF[kind]] = list;
    }
    if (typeof raw.frozen === 'boolean') body.frozen = raw.frozen;
    if (typeof raw.always_changed === 'boolean') body.always_changed = raw.always_changed;
    return body;
  };

  const rawStages = isDict(top.stages) ? top.stages : {};
  for (const [dvcName, rawStage] of Object.entries(rawStages)) {
    if (!isDict(rawStage)) continue;
    const at: Segments = ['stages', dvcName];
    let name = STAGE_NAME.test(dvcName) ? dvcName : dvcName.replace(/[^A-Za-z0-9_.-]/g, '_').replace(/^[.-]/, '_');
    while (usedNames.has(name)) name = `${name}_`;
    if (name !== dvcName) warn('dvc-stage-renamed', at, `rx stage names are letters, digits, _ . and -: ${JSON.stringify(dvcName)} becomes ${name}`);
    usedNames.add(name);
    let stage: Dict;
    if (rawStage.foreach !== undefined) {
      for (const key of Object.keys(rawStage)) if (key !== 'foreach' && key !== 'do') warn('dvc-unknown-key', [...at, key], `${key} beside foreach is not used by DVC; dropped`);
      const foreach = convertText(rawStage.foreach, undefined);
      const items = resolved(foreach);
      if (Array.isArray(items) && items.some((v) => isScalar(v) && /[^A-Za-z0-9_.-]/.test(String(v)))) {
        warn('dvc-foreach-names', [...at, 'foreach'], 'rx writes characters other than letters, digits, _ . - in stage names as _, so some generated names differ from DVC\'s');
      }
      stage = { foreach, do: bodyOf(isDict(rawStage.do) ? rawStage.do : {}, [...at, 'do']) };
    } else {
      const { matrix, ...rest } = rawStage;
      stage = bodyOf(rest, at);
      if (matrix !== undefined) {
        const converted = convertText(matrix, undefined) as Dict;
        const lists = Object.values(converted).map(resolved);
        if (lists.some((list) => Array.isArray(list) && list.some((v) => !isScalar(v)))) {
          warn('dvc-matrix-names', [...at, 'matrix'], 'rx names a list or mapping value of a matrix by its index (name@0-1), DVC by variable and index (name@config0-labels1)');
        }
        if (lists.some((list) => Array.isArray(list) && list.some((v) => isScalar(v) && /[^A-Za-z0-9_.-]/.test(String(v))))) {
          warn('dvc-matrix-names', [...at, 'matrix'], "rx writes characters other than letters, digits, _ . - in stage names as _, so some generated names differ from DVC's");
        }
        stage = { matrix: converted, ...stage };
      } else {
        for (const kind of ['out', 'metric', 'plot'] as const) {
          const list = (stage[LIST_OF[kind]] as RxOutput[] | undefined) ?? [];
          for (const entry of list) {
            const p = typeof entry === 'string' ? entry : entry.path;
            if (typeof p !== 'string' || p.includes('${')) continue;
            const wdir = typeof stage.wdir === 'string' ? stage.wdir : '.';
            const flags = typeof entry === 'string' ? {} : (({ path: _p, ...f }) => f)(entry);
            known.set(path.posix.normalize(path.posix.join(wdir, p)).replace(/\/+$/, ''), { stage: name, kind, flags, body: stage, entry });
          }
        }
      }
    }
    stagesOut[name] = stage;
    stageMap.push({ dvc: dvcName, rx: name });
  }

  // ---- top-level sections
  const insideOutput = (p: string): KnownOutput & { path: string } | undefined => {
    for (const [outPath, k] of known) if (p.startsWith(`${outPath}/`)) return { ...k, path: outPath };
    return undefined;
  };
  const whyNot = (p: string, what: string): string => {
    const inside = insideOutput(p);
    return inside ? `${p} is inside the output ${inside.path} of stage ${inside.stage}: rx declares ${what} as stage outputs of their own` : `${p} is not an output of a stage: rx declares ${what} as stage outputs`;
  };
  /** Moves a known output into another list of its stage, with its settings. */
  const reclassify = (k: KnownOutput, to: Kind, extra: Dict) => {
    const from = k.body[LIST_OF[k.kind]] as RxOutput[];
    from.splice(from.indexOf(k.entry), 1);
    if (from.length === 0) delete k.body[LIST_OF[k.kind]];
    const flags: Dict = { ...k.flags, ...extra };
    // An output is cached unless cache: false; as a metric or plot rx would not cache it by default.
    if (k.kind === 'out' && flags.cache === undefined) flags.cache = true;
    const p = typeof k.entry === 'string' ? k.entry : k.entry.path;
    const entry: RxOutput = { path: p, ...flags };
    const list = ((k.body[LIST_OF[to]] as RxOutput[] | undefined) ?? []);
    list.push(entry);
    k.body[LIST_OF[to]] = list;
    Object.assign(k, { kind: to, entry, flags });
  };

  if (Array.isArray(top.params)) {
    top.params.forEach((p, i) => warn('dvc-top-level-params', ['params', i], `rx lists the params files stages declare (rx params diff); the project-wide list entry ${String(p)} is not converted`));
  }
  if (Array.isArray(top.metrics)) {
    top.metrics.forEach((m, i) => {
      if (typeof m !== 'string') return;
      const k = known.get(path.posix.normalize(m));
      if (k?.kind === 'metric') return;
      if (k?.kind === 'out') return reclassify(k, 'metric', {});
      warn('dvc-top-level-metric', ['metrics', i], k ? `${m} is a plot of stage ${k.stage}; an rx output is one of out, metric or plot` : whyNot(m, 'metrics'));
    });
  }
  const plotEntries: [string, unknown, Segments][] = Array.isArray(top.plots)
    ? top.plots.flatMap((e, i): [string, unknown, Segments][] => (typeof e === 'string' ? [[e, null, ['plots', i]]] : isDict(e) ? Object.entries(e).map(([id, props]): [string, unknown, Segments] => [id, props, ['plots', i]]) : []))
    : isDict(top.plots)
      ? Object.entries(top.plots).map(([id, props]): [string, unknown, Segments] => [id, props, ['plots', id]])
      : [];
  for (const [id, rawProps, at] of plotEntries) {
    const props = isDict(rawProps) ? rawProps : {};
    const k = known.get(path.posix.normalize(id));
    if (!k) {
      const combined = isDict(props.y) || isDict(props.x);
      warn('dvc-top-level-plot', at, combined ? `the plot ${id} combines fields of several files; rx plots are single stage outputs with x and y, so it is not converted` : whyNot(id, 'plots'));
      continue;
    }
    if (isDict(props.y) || isDict(props.x) || !(props.y === undefined || typeof props.y === 'string' || Array.isArray(props.y))) {
      warn('dvc-top-level-plot', at, `the plot ${id} maps x or y per file; rx reads one file per plot, so it is not converted`);
      continue;
    }
    if (k.kind === 'metric') {
      warn('dvc-top-level-plot', at, `${id} is a metric of stage ${k.stage}; an rx output is one of out, metric or plot`);
      continue;
    }
    const extra: Dict = {};
    for (const [key, v] of Object.entries(props)) {
      if (PLOT_KEYS.has(key)) extra[key] = v;
      else if (key in DROPPED_PLOT_KEYS) warn('dvc-plot-setting', [...at, id, key], `${key} is dropped: ${DROPPED_PLOT_KEYS[key]}`);
      else warn('dvc-unknown-key', [...at, id, key], `${key} is not a DVC plot setting rx knows; dropped`);
    }
    if (k.kind === 'plot') {
      const entry = (typeof k.entry === 'string' ? { path: k.entry } : k.entry) as Dict & { path: string };
      const list = k.body.plots as RxOutput[];
      list[list.indexOf(k.entry)] = { ...entry, ...extra };
    } else reclassify(k, 'plot', extra);
  }
  if (top.artifacts !== undefined) warn('dvc-artifacts', ['artifacts'], 'artifacts (model registry annotations) are not converted: rx has no artifact registry');
  for (const key of Object.keys(top)) {
    if (!['stages', 'vars', 'params', 'metrics', 'plots', 'artifacts'].includes(key)) warn('dvc-unknown-key', [key], `${key} is not a dvc.yaml section rx knows; dropped`);
  }

  const pipeline: RawPipeline = { schema: 1, ...(Object.keys(vars).length > 0 ? { vars } : {}), stages: stagesOut as RawPipeline['stages'] };
  const text = renderRxYaml(pipeline, warnings, dvc.file);
  const { problems, names } = checkWithRx(text, params);
  const stages = stageMap.map((s) => ({ dvc: s.dvc, rx: names.filter((n) => n === s.rx || n.startsWith(`${s.rx}@`)) }));
  return { pipeline, text, warnings, stages, problems };
}

/** DVC's flags for a mapping: `--key value`, nested keys dotted, lists as nargs, true as a bare flag. */
function flagsOf(dict: Dict, ref: string): string[] {
  const flags: string[] = [];
  const walk = (v: unknown, key: string, at: string) => {
    if (isDict(v)) {
      for (const [k, x] of Object.entries(v)) walk(x, key ? `${key}.${k}` : k, `${at}.${k}`);
      return;
    }
    const quoted = (x: unknown, r: string) => (typeof x === 'string' ? `'\${${r}}'` : `\${${r}}`);
    if (typeof v === 'boolean') {
      if (v) flags.push(`--${key}`);
    } else if (Array.isArray(v)) {
      flags.push(`--${key}`, ...v.map((x, i) => quoted(x, `${at}.${i}`)));
    } else flags.push(`--${key}`, quoted(v, at));
  };
  walk(dict, '', ref);
  return flags;
}

function renderRxYaml(pipeline: RawPipeline, warnings: ConversionWarning[], source: string): string {
  const header = [`# rx pipeline, converted from ${source} by \`rx migrate dvc\`.`];
  if (warnings.length > 0) {
    header.push(`# Not converted as written in ${source}:`);
    for (const w of warnings) header.push(`#   ${w.file}${w.line !== undefined ? `:${w.line}:${w.column}` : ''}: ${w.field}: ${w.message}`);
  }
  return `${header.join('\n')}\n${stringifyYaml(pipeline, { lineWidth: 0 })}`;
}

/** The converted text read back by rx's own loader and graph: what rx would refuse in it. */
function checkWithRx(text: string, params: unknown): { problems: FileProblem[]; names: string[] } {
  try {
    const { value, locate } = parseYamlLocated<RawPipeline>(PIPELINE_FILE, text, pipelineSchema);
    const { stages } = expandPipeline(value, locate, params);
    const names = stages.map((s) => s.name);
    try {
      buildGraph(stages, locate);
    } catch (err) {
      if (err instanceof InvalidFileError) return { problems: err.problems, names };
      throw err;
    }
    return { problems: [], names };
  } catch (err) {
    if (err instanceof InvalidFileError) return { problems: err.problems, names: [] };
    throw err;
  }
}

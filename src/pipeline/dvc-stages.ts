// The dvc.yaml stages as rx stages: each field converted (deps, params, outs/metrics/plots
// and their settings, cmd with dictionary unpacking), foreach/do and matrix kept as rx's own,
// names made valid rx names; what has no rx form is reported.
import * as path from 'node:path';
import { getPath } from './template.js';
import { isDict, isScalar, stageWdir, type Dict, type Segments } from './dvc-read.js';
import { convertText, flagsOf, EXPR, type LoadVars } from './dvc-templating.js';
import type { Warn } from './dvc-report.js';

const EXTERNAL = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//;
const isExternal = (p: string) => EXTERNAL.test(p) || p.startsWith('/') || /^[A-Za-z]:[\\/]/.test(p);
const READABLE_PARAMS = /\.(ya?ml|json)$/i;
const STAGE_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;

// DVC's per-output keys and what becomes of them in rx.
const OUTPUT_KEYS = new Set(['cache', 'persist', 'desc']);
export const PLOT_KEYS = new Set(['x', 'y', 'title']);
const DROPPED_OUTPUT_KEYS: Record<string, string> = {
  remote: 'rx pushes every cached output to the remote named on the command line',
  push: 'rx pushes every cached output',
  type: 'rx has no artifact annotations',
  labels: 'rx has no artifact annotations',
  meta: 'rx has no artifact annotations',
};
export const DROPPED_PLOT_KEYS: Record<string, string> = {
  template: 'rx draws plots from x and y only',
  x_label: 'rx labels axes with the field names',
  y_label: 'rx labels axes with the field names',
  header: 'rx reads the header of CSV/TSV files itself',
};
const STAGE_KEYS = new Set(['cmd', 'wdir', 'deps', 'params', 'outs', 'metrics', 'plots', 'frozen', 'always_changed', 'desc', 'meta', 'vars', 'foreach', 'do', 'matrix']);

export type Kind = 'out' | 'metric' | 'plot';
export const LIST_OF: Record<Kind, 'outs' | 'metrics' | 'plots'> = { out: 'outs', metric: 'metrics', plot: 'plots' };

/** rx's form of one output: a bare path, or {path, ...flags}. */
export type RxOutput = string | (Dict & { path: string });

/** A plain (non-templated) stage's output, found by project path for the top-level sections. */
export interface KnownOutput {
  stage: string;
  kind: Kind;
  flags: Dict;
  body: Dict;
  entry: RxOutput;
}

/** Converts the stages; plain stages' outputs are returned by path for the top-level sections. */
export function convertStages(
  rawStages: Dict,
  warn: Warn,
  loadVars: LoadVars,
  templateScope: Dict,
): { stagesOut: Dict; stageMap: { dvc: string; rx: string }[]; known: Map<string, KnownOutput> } {
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
  return { stagesOut, stageMap, known };
}

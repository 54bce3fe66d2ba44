// dvc.yaml's top-level sections: metrics and plots that name a plain stage's output become
// that output's kind and settings in its stage; project-wide params, artifacts, combined
// plots and unknown sections are reported as not converted.
import * as path from 'node:path';
import { isDict, type Dict, type Segments } from './dvc-read.js';
import { PLOT_KEYS, DROPPED_PLOT_KEYS, LIST_OF, type Kind, type KnownOutput, type RxOutput } from './dvc-stages.js';
import type { Warn } from './dvc-report.js';

/** Moves top-level metrics and plots onto the known stage outputs they name; the rest is reported. */
export function convertTopLevel(top: Dict, known: Map<string, KnownOutput>, warn: Warn): void {
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
}

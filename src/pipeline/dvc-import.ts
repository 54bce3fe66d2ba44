// dvc.yaml -> rx.yaml. Each DVC construct that rx has a form for (stages, vars, foreach/do,
// matrix, wdir, deps, params, outs/metrics/plots and their cache/persist/desc/x/y/title,
// frozen, always_changed, top-level metrics and plots naming a stage output) maps onto that
// form; everything else is dropped and reported, located in dvc.yaml. Pure: the files a
// dvc.yaml refers to (params.yaml, vars files) come in parsed. This module runs the steps;
// reading, templating, stages, top-level sections and the report each have their own.
import type { FileProblem } from '../core/errors.js';
import { fieldPath } from '../schema/validate.js';
import type { RawPipeline } from './definition.js';
import { isDict, type Dict, type ParsedDvc, type Segments } from './dvc-read.js';
import { varsLoader } from './dvc-templating.js';
import { convertStages } from './dvc-stages.js';
import { convertTopLevel } from './dvc-sections.js';
import { renderRxYaml, checkWithRx, type ConversionWarning } from './dvc-report.js';

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

export function convertDvcPipeline(input: DvcInput): DvcConversion {
  const { dvc, params, files } = input;
  const warnings: ConversionWarning[] = [];
  const warn = (code: string, at: Segments, message: string) => warnings.push({ code, file: dvc.file, ...dvc.locate(at), field: fieldPath(at), message });
  const top = dvc.value;

  // ---- vars: rx has one mapping; DVC's list of mappings and files merges into it.
  const vars: Dict = {};
  const loadVars = varsLoader(files, warn);
  loadVars(top.vars, ['vars'], '.', vars);
  const templateScope = { ...(isDict(params) ? params : {}), ...vars };

  // ---- stages
  const { stagesOut, stageMap, known } = convertStages(isDict(top.stages) ? top.stages : {}, warn, loadVars, templateScope);

  // ---- top-level sections
  convertTopLevel(top, known, warn);

  const pipeline: RawPipeline = { schema: 1, ...(Object.keys(vars).length > 0 ? { vars } : {}), stages: stagesOut as RawPipeline['stages'] };
  const text = renderRxYaml(pipeline, warnings, dvc.file);
  const { problems, names } = checkWithRx(text, params);
  const stages = stageMap.map((s) => ({ dvc: s.dvc, rx: names.filter((n) => n === s.rx || n.startsWith(`${s.rx}@`)) }));
  return { pipeline, text, warnings, stages, problems };
}

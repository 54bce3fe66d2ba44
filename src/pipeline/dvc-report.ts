// What the conversion reports: the warnings (what dvc.yaml says that rx.yaml does not say
// the same way, located in dvc.yaml), written as comments atop rx.yaml, and what rx itself
// refuses in the converted file, found by reading it back with rx's own loader and graph.
import { stringifyYaml } from '../core/yaml.js';
import { InvalidFileError, type FileProblem } from '../core/errors.js';
import { parseYamlLocated } from '../schema/validate.js';
import { pipelineSchema } from '../schema/pipeline.js';
import { expandPipeline, PIPELINE_FILE, type RawPipeline } from './definition.js';
import { buildGraph } from './graph.js';
import type { Segments } from './dvc-read.js';

/** Something in dvc.yaml that rx.yaml does not say the same way, with where it is written. */
export interface ConversionWarning extends FileProblem {
  code: string;
}

/** Records a warning at a place in dvc.yaml. */
export type Warn = (code: string, at: Segments, message: string) => void;

export function renderRxYaml(pipeline: RawPipeline, warnings: ConversionWarning[], source: string): string {
  const header = [`# rx pipeline, converted from ${source} by \`rx migrate dvc\`.`];
  if (warnings.length > 0) {
    header.push(`# Not converted as written in ${source}:`);
    for (const w of warnings) header.push(`#   ${w.file}${w.line !== undefined ? `:${w.line}:${w.column}` : ''}: ${w.field}: ${w.message}`);
  }
  return `${header.join('\n')}\n${stringifyYaml(pipeline, { lineWidth: 0 })}`;
}

/** The converted text read back by rx's own loader and graph: what rx would refuse in it. */
export function checkWithRx(text: string, params: unknown): { problems: FileProblem[]; names: string[] } {
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

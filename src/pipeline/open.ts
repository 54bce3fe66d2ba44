// What the pipeline operations share: the project with its rx.yaml expanded and its graph
// built, or a clear error when there is no rx.yaml.
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import type { Context } from '../core/context.js';
import { UsageError } from '../core/errors.js';
import { openProject, type Project } from '../store/project.js';
import { loadPipeline, PIPELINE_FILE, type Pipeline } from './definition.js';
import { buildGraph, type Graph } from './graph.js';

export interface PipelineProject {
  project: Project;
  pipeline: Pipeline;
  graph: Graph;
}

export async function openPipeline(ctx: Context): Promise<PipelineProject> {
  const project = await openProject(ctx.cwd);
  const pipeline = await loadPipeline(project.root, project.parsed);
  if (!pipeline) {
    if (existsSync(path.join(project.root, 'dvc.yaml'))) {
      throw new UsageError(`found dvc.yaml but no ${PIPELINE_FILE} in ${project.root}: run \`rx migrate dvc\``, {
        data: { root: project.root, dvcYaml: path.join(project.root, 'dvc.yaml') },
        hint: `rx migrate dvc writes ${PIPELINE_FILE} from dvc.yaml and params.yaml (--dry to see it first)`,
      });
    }
    throw new UsageError(`no ${PIPELINE_FILE} in ${project.root}`, { hint: `write the stages in ${PIPELINE_FILE} (see rx repro --help)` });
  }
  return { project, pipeline, graph: buildGraph(pipeline.stages, pipeline.locate) };
}

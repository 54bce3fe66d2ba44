// Assessing one stage against its lock entry: observe its dependencies, parameters and
// outputs now, and derive the reasons it is out of date. Shared by repro and status.
import { InvalidFileError } from '../core/errors.js';
import type { Project } from '../store/project.js';
import type { StatCache } from '../store/stat-cache.js';
import type { Stage } from './definition.js';
import type { LockFileEntry, LockParams, LockStage } from './lock.js';
import { stageChanges, type Reason } from './changes.js';
import { paramValues, type ParamsReader } from './params.js';
import { observePaths, type ObservationMemo } from './observe.js';
import type { HashWork } from '../store/hash-progress.js';

export interface Assessment {
  deps: Map<string, LockFileEntry | undefined>;
  params: LockParams;
  outs: Map<string, LockFileEntry | undefined>;
  reasons: Reason[];
}

export async function assessStage(
  project: Project,
  statCache: StatCache,
  readParams: ParamsReader,
  stage: Stage,
  previous: LockStage | undefined,
  options: { force?: boolean; memo?: ObservationMemo; work?: HashWork } = {},
): Promise<Assessment> {
  const deps = await observePaths(project, statCache, stage.deps, options.memo, options.work);
  const { values: params, problems } = await paramValues(stage.params, readParams, stage.name);
  if (problems.length > 0) throw new InvalidFileError(problems);
  const outs = await observePaths(project, statCache, stage.outs.map((o) => o.path), undefined, options.work);
  return { deps, params, outs, reasons: stageChanges(stage, previous, { deps, params, outs }, { force: options.force }) };
}

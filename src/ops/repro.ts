// rx repro: the pipeline run in the project itself. The run lives in pipeline/run.ts,
// shared with every sandbox run (exp run, repro --rev, search trials).
import type { Context } from '../core/context.js';
import { runPipeline, type ReproOptions, type ReproResult } from '../pipeline/run.js';

export type { ReproOptions, ReproResult, StageAction, StageOutcome } from '../pipeline/run.js';

export function repro(ctx: Context, options: ReproOptions): Promise<ReproResult> {
  return runPipeline(ctx, options);
}

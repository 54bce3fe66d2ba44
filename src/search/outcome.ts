// What the runs of a trial come to, as pure functions: a run's outcome judged into its result
// line (under pruning, against the rung thresholds of the trial's start line, so replay
// re-derives every prune), and a trial's result lines summarised into its trial line (state,
// mean over seeds with its bootstrap interval, the incumbent after it). The schedule
// (src/search/schedule.ts) decides when; this module decides what the lines say.
import type { PruningSpec } from './spec.js';
import type { PrunePlan, ResultEvent, TrialEvent } from './ledger.js';
import { judge } from './pruning.js';
import { describe as describeSeeds } from './stats.js';
import { hash32 } from './rng.js';

/** A finished run of one configuration on one seed, as the executor reports it: a result line's body. */
export type RunOutcome = Omit<ResultEvent, 'type' | 'trial' | 'seed'>;

export type OutcomeLookup = (trial: number, seed: number) => RunOutcome | undefined;

type Direction = 'maximize' | 'minimize';

/** The seed of the bootstrap behind a trial's intervals: re-derivable from the ledger alone. */
export function statsSeed(seed: number, trial: number): number {
  return hash32(`${seed}/${trial}/bootstrap`);
}

/** A curve (epoch 1 first) as pruning reads it: epoch -> value. */
export function curveRecord(curve: readonly number[]): Record<string, number> {
  const out: Record<string, number> = {};
  curve.forEach((v, i) => (out[String(i + 1)] = v));
  return out;
}

/**
 * The result line of a run of `trial` on `seed`. `pruning` with the trial's `thresholds` (its
 * start line's): the curve is judged here, so a run that got past a rung it should have stopped
 * at, or stopped without cause, becomes a failed line. Racing runs are never pruned.
 */
export function resultLine(
  trial: number,
  seed: number,
  o: RunOutcome,
  options: { pruning?: PruningSpec; thresholds?: PrunePlan['thresholds'][number]; race: boolean },
): ResultEvent {
  const ev: ResultEvent = { type: 'result', trial, seed, status: o.status, ref: o.ref };
  const failed = (error: string): ResultEvent => {
    const f: ResultEvent = { type: 'result', trial, seed, status: 'failed', ref: o.ref };
    if (o.exitCode !== undefined) f.exitCode = o.exitCode;
    if (o.log !== undefined) f.log = o.log;
    f.error = error;
    return f;
  };
  if (o.status === 'failed') {
    if (o.exitCode !== undefined) ev.exitCode = o.exitCode;
    if (o.log !== undefined) ev.log = o.log;
    if (o.error !== undefined) ev.error = o.error;
    return ev;
  }
  const pr = options.pruning;
  if (pr && !options.race) {
    const curve = o.curve;
    if (!curve || curve.length === 0) return failed(`the run reported no per-epoch ${pr.metric}, which pruning compares at its rungs`);
    const verdict = judge(options.thresholds ?? { seed, rungs: [] }, pr.direction, curveRecord(curve), true);
    if (verdict.pruned) {
      const p: ResultEvent = { type: 'result', trial, seed, status: 'pruned', ref: o.ref, value: verdict.value!, epoch: verdict.epoch!, curve: curve.slice(0, verdict.epoch!) };
      if (verdict.threshold !== undefined) p.threshold = verdict.threshold;
      return p;
    }
    if (o.status === 'pruned' || o.value === undefined) return failed(`the run stopped at epoch ${curve.length} though no rung pruned it`);
  } else if (o.status === 'pruned' || o.value === undefined) return failed('the run stopped early without a value');
  ev.status = 'complete';
  ev.value = o.value;
  if (o.metrics) ev.metrics = o.metrics;
  if (o.curve) ev.curve = [...o.curve];
  return ev;
}

/**
 * The trial line of `trial` from its result lines (one per seed of the spec, in the spec's order).
 * Failed beats pruned beats incomplete beats complete. A pruned trial is censored at the smallest
 * rung a seed was pruned at, valued by the mean there; an incomplete one is not compared; a
 * complete one gets its mean, its intervals (seeded by `searchSeed`) and may become the incumbent.
 */
export function trialLine(
  trial: number,
  results: readonly ResultEvent[],
  incumbent: { trial: number; value: number } | undefined,
  direction: Direction,
  searchSeed: number,
): TrialEvent {
  const values = results.map((r) => (r.status === 'complete' && r.value !== undefined ? r.value : null));
  const failed = results.some((r) => r.status === 'failed');
  const pruned = !failed && results.some((r) => r.status === 'pruned');
  const incomplete = !failed && !pruned && results.some((r) => r.status === 'skipped');
  const ev: TrialEvent = { type: 'trial', trial, state: failed ? 'failed' : pruned ? 'pruned' : incomplete ? 'incomplete' : 'complete', values, incumbent: incumbent ?? null };
  if (incomplete) {
    // Not compared: a configuration is judged on every seed of the spec.
  } else if (pruned) {
    // Censored at the smallest prune rung; every seed reached it (it passed or was pruned at or after it).
    const step = Math.min(...results.filter((r) => r.status === 'pruned').map((r) => r.epoch!));
    ev.step = step;
    const at = results.map((r) => r.curve?.[step - 1]).filter((v): v is number => v !== undefined);
    ev.value = at.reduce((a, b) => a + b, 0) / at.length;
  } else if (!failed) {
    const mean = (values as number[]).reduce((a, b) => a + b, 0) / values.length;
    ev.value = mean;
    ev.stats = describeSeeds(values as number[], { seed: statsSeed(searchSeed, trial) });
    const better = !incumbent || (direction === 'maximize' ? mean > incumbent.value : mean < incumbent.value);
    ev.incumbent = better ? { trial, value: mean } : incumbent;
  }
  return JSON.parse(JSON.stringify(ev)) as TrialEvent;
}

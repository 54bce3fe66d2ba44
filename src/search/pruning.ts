// Multi-fidelity pruning of search runs (asynchronous successive halving and Hyperband over
// epochs): rung ladders, bracket assignment, per-seed rung thresholds from a given history, and
// the verdict on one run's curve. Pure: no I/O, no clock, so a ledger replays to the same prunes.
//
// Determinism. When trial n starts, thresholdsFor computes its thresholds once from the history
// it is allowed to see; they go into the ledger, and each (trial, seed) run is judged only against
// its own seed's thresholds. A verdict therefore depends on neither timing nor the other seeds.
// Seeds are paired across configurations: seed s competes only with other trials' seed-s runs.
//
// Differences from Optuna's SuccessiveHalvingPruner / HyperbandPruner, on purpose:
// - Bootstrap: with N runs at a rung (the new one included), keep = floor(N / eta); while keep is
//   0 (the first eta - 1 runs of a rung) every run is promoted by default: those runs are the ones
//   the later thresholds are made of. `bootstrap: best` is Optuna's rule instead: such a run goes
//   on only if it is at least as good as every earlier one (keep 1), which spends far less where
//   a full run is dear and few trials fit the budget.
// - Hyperband assigns trial n to bracket n mod bracketCount (round robin), not Optuna's crc32 of
//   the study name weighted by bracket budgets, so assignment is readable and independent of names.
// - Thresholds are per seed and fixed at trial start, not read from live storage at each report.

export interface PruningSpec {
  method: 'asha' | 'hyperband';
  resource: 'epochs';
  /** Smallest resource (epochs) at which a run can be judged. */
  min: number;
  /** Epochs of a complete run; never a rung (reaching it is completion). */
  max: number;
  /** Reduction factor: about 1/eta of the runs reaching a rung go on past it. An integer >= 2. */
  eta: number;
  /** Per-epoch metric key, e.g. val_accuracy. */
  metric: string;
  /** The first eta - 1 runs of a rung: all promoted ('promote', the default), or only one that is the best so far ('best'). */
  bootstrap?: 'promote' | 'best';
}

export type Direction = 'maximize' | 'minimize';

/** What one earlier run reached: its value at each rung epoch it passed or was pruned at (by epoch), for one seed. */
export interface RunRungs {
  trial: number;
  seed: number;
  /** epoch -> metric value. A non-finite value (NaN, or null after JSON) counts as reached, and ranks last. */
  values: Record<string, number>;
}

export interface RungThreshold {
  epoch: number;
  /** Runs of the history (same bracket, same seed) that reached this rung. */
  competitors: number;
  /** floor((competitors + 1) / eta), at least 1 under bootstrap best once there is a competitor: a run goes on iff fewer than keep competitors beat it. */
  keep: number;
  /** The keep-th best competitor; null = always promoted (bootstrap, or too few finite competitors). */
  threshold: number | null;
}

export interface SeedThresholds {
  seed: number;
  /** In increasing epoch order; empty = this run is never pruned. */
  rungs: RungThreshold[];
}

export interface PruneVerdict {
  pruned: boolean;
  /** The rung epoch it was pruned at. */
  epoch?: number;
  /** Its value there. */
  value?: number;
  /** The threshold it missed. */
  threshold?: number;
  /** Values at the rung epochs reached, up to and including the prune rung (what later trials compete with). */
  rungs: Record<string, number>;
}

/** A message for a bad pruning spec, naming the field; undefined when it is fine. */
export function validatePruning(spec: Partial<PruningSpec>): string | undefined {
  if (spec.method !== 'asha' && spec.method !== 'hyperband') return `pruning.method must be asha or hyperband, not ${describe(spec.method)}`;
  if (spec.resource !== 'epochs') return `pruning.resource must be epochs, not ${describe(spec.resource)}`;
  if (typeof spec.metric !== 'string' || spec.metric === '') return 'pruning.metric must name the per-epoch metric to judge (e.g. val_accuracy)';
  if (!isWholeNumber(spec.min) || spec.min < 1) return `pruning.min must be a whole number of epochs >= 1, not ${describe(spec.min)}`;
  if (!isWholeNumber(spec.max) || spec.max < 1) return `pruning.max must be a whole number of epochs >= 1, not ${describe(spec.max)}`;
  if (spec.min > spec.max) return `pruning.min (${spec.min}) must not exceed pruning.max (${spec.max})`;
  // An integer eta keeps every rung min * eta^k a whole epoch, so no rounding rule is needed.
  if (!isWholeNumber(spec.eta) || spec.eta < 2) return `pruning.eta must be a whole number >= 2, not ${describe(spec.eta)}`;
  if (spec.bootstrap !== undefined && spec.bootstrap !== 'promote' && spec.bootstrap !== 'best') return `pruning.bootstrap must be promote or best, not ${describe(spec.bootstrap)}`;
  return undefined;
}

/**
 * Hyperband: floor(log_eta(max / min)) + 1 brackets, bracket b starting at min * eta^b (counted
 * exactly in integers, not through floating logarithms); asha: 1 bracket.
 */
export function bracketCount(spec: PruningSpec): number {
  assertValid(spec);
  if (spec.method === 'asha') return 1;
  let count = 0;
  for (let start = spec.min; start <= spec.max; start *= spec.eta) count++;
  return count;
}

/** Trial `trial`'s bracket: trial mod bracketCount (round robin; always 0 for asha). */
export function bracketOf(spec: PruningSpec, trial: number): number {
  if (!Number.isInteger(trial) || trial < 0) throw new RangeError(`trial number must be a whole number >= 0, not ${trial}`);
  return trial % bracketCount(spec);
}

/**
 * The rung epochs of a bracket: min * eta^(b + k) for k = 0, 1, ... while below max (max is
 * completion, no decision there). min and eta are integers, so these are whole epochs, strictly
 * increasing. The last Hyperband bracket may have none: its runs are never pruned.
 */
export function rungsOf(spec: PruningSpec, bracket: number): number[] {
  const count = bracketCount(spec);
  if (!Number.isInteger(bracket) || bracket < 0 || bracket >= count) {
    throw new RangeError(`bracket must be a whole number in [0, ${count}) for this ${spec.method} spec, not ${bracket}`);
  }
  let start = spec.min;
  for (let b = 0; b < bracket; b++) start *= spec.eta;
  const rungs: number[] = [];
  for (let r = start; r < spec.max; r *= spec.eta) rungs.push(r);
  return rungs;
}

/**
 * Thresholds for trial `trial` on each of `seeds` (in that order) from the history's runs in the
 * same bracket and on the same seed. At rung epoch r: competitors H = those runs' values at r;
 * with N = |H| + 1 (the new run included), keep = floor(N / eta). The run is promoted iff fewer
 * than keep competitors are strictly better than it, i.e. iff it is at least as good as the keep-th
 * best competitor (the threshold; ties are promoted). While keep = 0, that is until eta - 1 runs
 * have reached the rung, nothing is pruned there (threshold null); under bootstrap best, keep is
 * 1 from the first competitor on, so such a run must be at least as good as all of them. Non-finite competitor values
 * count in N but are never better than anything; a keep-th best that is non-finite means no finite
 * value can be beaten by keep competitors, so the threshold is null too.
 * History runs of the trial itself are ignored; a (trial, seed) listed twice is an error.
 */
export function thresholdsFor(
  spec: PruningSpec,
  direction: Direction,
  trial: number,
  seeds: readonly number[],
  history: readonly RunRungs[],
): SeedThresholds[] {
  const bracket = bracketOf(spec, trial);
  const rungs = rungsOf(spec, bracket);
  const wanted = new Set<number>();
  for (const seed of seeds) {
    if (wanted.has(seed)) throw new RangeError(`seed ${seed} is listed twice`);
    wanted.add(seed);
  }
  const bySeed = new Map<number, RunRungs[]>(seeds.map((s) => [s, []]));
  const seen = new Set<string>();
  for (const run of history) {
    const key = `${run.trial}/${run.seed}`;
    if (seen.has(key)) throw new RangeError(`the history lists trial ${run.trial} on seed ${run.seed} twice`);
    seen.add(key);
    if (run.trial === trial || bracketOf(spec, run.trial) !== bracket) continue;
    bySeed.get(run.seed)?.push(run);
  }
  return seeds.map((seed) => ({
    seed,
    rungs: rungs.map((epoch) => {
      const values: number[] = [];
      for (const run of bySeed.get(seed)!) {
        if (Object.hasOwn(run.values, String(epoch))) values.push(asNumber(run.values[String(epoch)]));
      }
      const keep = Math.max(Math.floor((values.length + 1) / spec.eta), spec.bootstrap === 'best' && values.length > 0 ? 1 : 0);
      let threshold: number | null = null;
      if (keep >= 1) {
        values.sort((a, b) => compareBestFirst(a, b, direction));
        const kth = values[keep - 1]!;
        if (Number.isFinite(kth)) threshold = kth;
      }
      return { epoch, competitors: values.length, keep, threshold };
    }),
  }));
}

/**
 * Judges one run from its per-epoch curve (epoch -> value) against its seed's thresholds, rung by
 * rung in epoch order; the first rung it fails prunes it. A rung is judged on the value at exactly
 * its epoch, so nothing is pruned before its rung epoch appears, and a curve without a value at a
 * rung epoch (the metric skipped that epoch, or the run ended before it) gets no decision there.
 * Hence the verdict on a partial curve is the verdict on the whole curve restricted to the epochs
 * seen: judging a curve as it grows finds the same first prune as judging it whole, and `complete`
 * (whether the curve is final) never changes the verdict; it is accepted so callers can say it.
 */
export function judge(
  thresholds: SeedThresholds,
  direction: Direction,
  curve: ReadonlyMap<number, number> | Record<string, number>,
  complete = false,
): PruneVerdict {
  const points = curvePoints(curve);
  const rungs: Record<string, number> = {};
  const ordered = [...thresholds.rungs].sort((a, b) => a.epoch - b.epoch);
  for (const rung of ordered) {
    const value = points.get(rung.epoch);
    if (value === undefined) continue;
    rungs[String(rung.epoch)] = value;
    if (rung.threshold !== null && !atLeastAsGood(value, rung.threshold, direction)) {
      return { pruned: true, epoch: rung.epoch, value, threshold: rung.threshold, rungs };
    }
  }
  return { pruned: false, rungs };
}

/**
 * The trial-level state from its seeds' verdicts: pruned iff any seed was; `step` is the smallest
 * prune epoch and `value` the mean over seeds of the metric at that epoch. Every seed reached it
 * (it passed it or was pruned at or after it); a seed without a value there (it skipped that
 * epoch's metric) is left out of the mean. A non-finite value makes the mean non-finite.
 */
export function trialCensoring(verdicts: readonly PruneVerdict[]): { pruned: false } | { pruned: true; step: number; value: number } {
  let step: number | undefined;
  for (const v of verdicts) {
    if (v.pruned && v.epoch !== undefined && (step === undefined || v.epoch < step)) step = v.epoch;
  }
  if (step === undefined) return { pruned: false };
  const key = String(step);
  let sum = 0;
  let count = 0;
  for (const v of verdicts) {
    if (Object.hasOwn(v.rungs, key)) {
      sum += asNumber(v.rungs[key]);
      count++;
    }
  }
  return { pruned: true, step, value: sum / count };
}

function assertValid(spec: PruningSpec): void {
  const problem = validatePruning(spec);
  if (problem !== undefined) throw new RangeError(problem);
}

function isWholeNumber(x: unknown): x is number {
  return typeof x === 'number' && Number.isSafeInteger(x);
}

function describe(x: unknown): string {
  return x === undefined ? 'missing' : JSON.stringify(x) ?? String(x);
}

/** Values as stored: a null (a NaN or infinity after JSON) or other non-number is NaN. */
function asNumber(x: unknown): number {
  return typeof x === 'number' ? x : Number.NaN;
}

/** Best first; non-finite values last, in a stable order among themselves. */
function compareBestFirst(a: number, b: number, direction: Direction): number {
  const fa = Number.isFinite(a);
  const fb = Number.isFinite(b);
  if (!fa || !fb) return fa === fb ? 0 : fa ? -1 : 1;
  return direction === 'maximize' ? b - a : a - b;
}

/** value is at least as good as threshold (a finite number); a non-finite value never is. */
function atLeastAsGood(value: number, threshold: number, direction: Direction): boolean {
  if (!Number.isFinite(value)) return false;
  return direction === 'maximize' ? value >= threshold : value <= threshold;
}

function curvePoints(curve: ReadonlyMap<number, number> | Record<string, number>): Map<number, number> {
  const points = new Map<number, number>();
  const entries: Iterable<readonly [number | string, unknown]> = curve instanceof Map ? curve.entries() : Object.entries(curve);
  for (const [key, value] of entries) {
    const epoch = Number(key);
    if (Number.isFinite(epoch)) points.set(epoch, asNumber(value));
  }
  return points;
}

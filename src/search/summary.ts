// What a ledger says about its search, for `rx search status`, `export` and `apply`: one row
// per trial (its configuration, sampler, state, value per seed and mean), the incumbent, the
// counts and how (or whether) the search stopped. Pure: reads events, returns data.
import type { LedgerEvent, HeaderEvent, StopEvent, RaceEvent, EndEvent } from './ledger.js';
import type { SeedStats } from './stats.js';
import type { Config } from './types.js';

export interface TrialRow {
  trial: number;
  phase: number;
  sampler: string;
  config: Config;
  /** `pending`: suggested, not every seed has a result yet; `incomplete`: a time or CPU stop skipped a seed. */
  state: 'complete' | 'failed' | 'pruned' | 'incomplete' | 'pending';
  value?: number;
  /** A pruned trial's censoring epoch. */
  step?: number;
  stats?: SeedStats;
  /** Per seed: the epoch a pruned run stopped at. */
  prunedAt: Record<string, number>;
  /** Per seed: the per-epoch metric pruning compares (epoch 1 first), when the search prunes. */
  curves: Record<string, number[]>;
  /** Per seed: its value, or null when it failed or has no result yet. */
  values: Record<string, number | null>;
  refs: Record<string, string>;
  /** Why a seed's run failed (exit code, log, refusal), when one did. */
  failures: { seed: number; exitCode?: number; log?: string; error?: string }[];
  /** Numbers recorded per seed (flattened metrics of the objective's file). */
  metrics: Record<string, Record<string, number>>;
}

export interface SearchSummary {
  search: string;
  baseline: string;
  objective: HeaderEvent['objective'];
  seeds: number[];
  parallel: number;
  trials: TrialRow[];
  counts: { complete: number; failed: number; pruned: number; incomplete: number; pending: number };
  /** The best trial: after racing, the race's winner (its value over every seed it ran). */
  incumbent: { trial: number; value: number; config: Config } | null;
  races: RaceEvent[];
  end: EndEvent | null;
  stop: StopEvent | null;
  finished: boolean;
  lines: number;
}

/** The mean per-epoch curve over a trial's spec seeds, for the epochs every one of them reached. */
export function meanCurve(row: TrialRow, seeds: readonly number[]): Record<number, number> {
  const curves = seeds.map((s) => row.curves[String(s)]).filter((c): c is number[] => c !== undefined);
  if (curves.length === 0) return {};
  const out: Record<number, number> = {};
  const epochs = Math.min(...curves.map((c) => c.length));
  for (let e = 0; e < epochs; e++) out[e + 1] = curves.reduce((a, c) => a + c[e]!, 0) / curves.length;
  return out;
}

export function summarise(events: readonly LedgerEvent[]): SearchSummary {
  const header = events[0] as HeaderEvent;
  const rows: TrialRow[] = [];
  let stop: StopEvent | null = null;
  let finished = false;
  let incumbent: SearchSummary['incumbent'] = null;
  const races: RaceEvent[] = [];
  let end: EndEvent | null = null;
  for (const e of events) {
    if (e.type === 'suggest') {
      rows[e.trial] = { trial: e.trial, phase: e.phase, sampler: e.sampler, config: e.config, state: 'pending', values: {}, refs: {}, failures: [], metrics: {}, prunedAt: {}, curves: {} };
    } else if (e.type === 'result') {
      const row = rows[e.trial]!;
      // A seed a time or CPU stop skipped has no result: its trial's state says so.
      if (e.status === 'skipped') continue;
      row.values[String(e.seed)] = e.status === 'complete' && e.value !== undefined ? e.value : null;
      if (e.ref !== undefined) row.refs[String(e.seed)] = e.ref;
      if (e.metrics) row.metrics[String(e.seed)] = e.metrics;
      if (e.curve) row.curves[String(e.seed)] = e.curve;
      if (e.status === 'pruned') {
        row.values[String(e.seed)] = null;
        row.prunedAt[String(e.seed)] = e.epoch!;
      }
      if (e.status === 'failed') {
        const f: TrialRow['failures'][number] = { seed: e.seed };
        if (e.exitCode !== undefined) f.exitCode = e.exitCode;
        if (e.log !== undefined) f.log = e.log;
        if (e.error !== undefined) f.error = e.error;
        row.failures.push(f);
      }
    } else if (e.type === 'trial') {
      const row = rows[e.trial]!;
      row.state = e.state;
      if (e.value !== undefined) row.value = e.value;
      if (e.step !== undefined) row.step = e.step;
      if (e.stats) row.stats = e.stats;
      if (e.incumbent) incumbent = { trial: e.incumbent.trial, value: e.incumbent.value, config: rows[e.incumbent.trial]!.config };
    } else if (e.type === 'stop') stop = e;
    else if (e.type === 'race') races.push(e);
    else if (e.type === 'end') {
      finished = true;
      end = e;
      if (e.best) incumbent = { trial: e.best.trial, value: e.best.value, config: e.best.config };
    }
  }
  const counts = { complete: 0, failed: 0, pruned: 0, incomplete: 0, pending: 0 };
  for (const r of rows) counts[r.state]++;
  return { search: header.search, baseline: header.baseline, objective: header.objective, seeds: header.seeds, parallel: header.parallel, trials: rows, counts, incumbent, races, end, stop, finished, lines: events.length };
}

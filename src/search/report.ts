// The evidence of a finished (or running) search, for `rx search report`: the winner with its
// interval over every seed it ran, the near-top set (configurations a paired test over the
// winner's seeds cannot tell from it after Holm's correction) with P(X > best) and what they
// change, importance and cross-family interactions with bootstrap intervals, the winner's
// sensitivity per parameter, the best-so-far curve against random search's expected best from
// the same trials, prunes, racing decisions and failures, and how to reproduce the winner.
// Pure: ledger events and the spec in, a JSON-ready object (schema rx.search-report/1) out.
import type { HeaderEvent, LedgerEvent, RaceEvent } from './ledger.js';
import type { Config, ParamValue, Space } from './types.js';
import { summarise, type SearchSummary } from './summary.js';
import { bestSoFar, describe, expectedMaxCurve, holm, mean, pairedDifferenceInterval, pairedTTest, probabilityOfImprovement, type Interval, type SeedStats } from './stats.js';
import { interactions, pedAnova, type Interaction, type ParamImportance, type SensitivityAxis } from './importance.js';
import { sensitivity } from './sensitivity.js';
import { statsSeed } from './outcome.js';
import { hash32 } from './rng.js';
import { configKey } from './space.js';

export const REPORT_FORMAT = 'rx.search-report/1';

export interface NearTopRow {
  trial: number;
  config: Config;
  /** The seeds it shares with the winner, and its mean over them. */
  seeds: number[];
  mean: number;
  interval: Interval;
  /** Winner minus this configuration on the shared seeds, in the better direction (>= 0 mostly). */
  difference: { mean: number; interval: Interval; p: number; adjusted: number };
  /** P(X > best): the chance a run of this configuration beats one of the winner (ties count half). */
  probabilityOfImprovement: number;
  /** The parameters where it differs from the winner. */
  differs: Record<string, { winner: ParamValue | null; this: ParamValue | null }>;
}

export interface SearchReport {
  format: typeof REPORT_FORMAT;
  search: string;
  baseline: string;
  objective: HeaderEvent['objective'];
  seeds: number[];
  finished: boolean;
  counts: SearchSummary['counts'] & { trials: number };
  stop: { reason: string; values: Record<string, number | null> } | null;
  winner: {
    trial: number;
    config: Config;
    seeds: number[];
    values: number[];
    stats: SeedStats;
    refs: Record<string, string>;
    reproduce: { commands: string[]; ref: string };
  } | null;
  nearTop: { alpha: number; rows: NearTopRow[]; rejected: number[] };
  racing: { rounds: number; decisions: RaceEvent[] } | null;
  importance: ParamImportance[];
  interactions: Interaction[];
  sensitivity: SensitivityAxis[];
  /**
   * Per trial number: its mean (null unless complete) and the best mean so far (null until one
   * completed); random[n-1]: random search's expected best of n draws from the complete trials.
   */
  curve: { trials: number[]; values: (number | null)[]; best: (number | null)[]; random: number[] };
  prunes: { trial: number; step: number; value: number; seeds: Record<string, number> }[];
  failures: { trial: number; seed: number; exitCode?: number; error?: string; log?: string }[];
}

/** Values per seed of a trial from its result lines (complete runs only), racing seeds included. */
function valuesBySeed(events: readonly LedgerEvent[]): Map<number, Map<number, number>> {
  const out = new Map<number, Map<number, number>>();
  for (const e of events) {
    if (e.type !== 'result' || e.status !== 'complete' || e.value === undefined) continue;
    if (!out.has(e.trial)) out.set(e.trial, new Map());
    out.get(e.trial)!.set(e.seed, e.value);
  }
  return out;
}

export function buildReport(events: readonly LedgerEvent[], space: Space, options: { alpha?: number; importanceResamples?: number } = {}): SearchReport {
  const header = events[0] as HeaderEvent;
  const summary = summarise(events);
  const direction = header.objective.direction;
  const sign = direction === 'maximize' ? 1 : -1;
  const alpha = options.alpha ?? 0.05;
  const bySeed = valuesBySeed(events);
  const complete = summary.trials.filter((t) => t.state === 'complete' && t.value !== undefined);
  const races = events.filter((e): e is RaceEvent => e.type === 'race');

  // ---- the winner: the race's, else the best mean ----
  let winner: SearchReport['winner'] = null;
  const winnerTrial = summary.incumbent?.trial;
  const winnerSeeds = winnerTrial === undefined ? [] : [...(bySeed.get(winnerTrial)?.keys() ?? [])];
  if (winnerTrial !== undefined && winnerSeeds.length > 0) {
    const row = summary.trials[winnerTrial]!;
    const values = winnerSeeds.map((s) => bySeed.get(winnerTrial)!.get(s)!);
    const refs: Record<string, string> = {};
    for (const e of events) if (e.type === 'result' && e.trial === winnerTrial && e.status === 'complete' && e.ref !== undefined) refs[String(e.seed)] = e.ref;
    winner = {
      trial: winnerTrial,
      config: row.config,
      seeds: winnerSeeds,
      values,
      stats: describe(values, { seed: statsSeed(header.seed, winnerTrial) }),
      refs,
      reproduce: {
        commands: [`rx search apply ${header.search} ${winnerTrial}`, `git commit -am "search ${header.search}: trial ${winnerTrial}"`, 'rx repro', 'rx repro --rev HEAD'],
        ref: refs[String(header.seeds[0])] ?? Object.values(refs)[0]!,
      },
    };
  }

  // ---- the near-top set: not told apart from the winner on its seeds, after Holm ----
  const nearTop: SearchReport['nearTop'] = { alpha, rows: [], rejected: [] };
  if (winner) {
    const candidates = complete
      .filter((t) => t.trial !== winner!.trial)
      .map((t) => {
        const own = bySeed.get(t.trial)!;
        const seeds = winner!.seeds.filter((s) => own.has(s));
        return { row: t, seeds, a: seeds.map((s) => sign * bySeed.get(winner!.trial)!.get(s)!), b: seeds.map((s) => sign * own.get(s)!) };
      })
      .filter((c) => c.seeds.length >= 2);
    const tests = candidates.map((c) => pairedTTest(c.a, c.b, 'greater'));
    const { adjusted, reject } = holm(
      tests.map((x) => x.p),
      alpha,
    );
    candidates.forEach((c, i) => {
      if (reject[i]) {
        nearTop.rejected.push(c.row.trial);
        return;
      }
      const values = c.seeds.map((s) => bySeed.get(c.row.trial)!.get(s)!);
      const seed = hash32(`${header.seed}/${c.row.trial}/near-top`);
      const differs: NearTopRow['differs'] = {};
      for (const p of space.params) {
        const w = winner!.config[p.name] ?? null;
        const v = c.row.config[p.name] ?? null;
        if (configKey({ v: w as ParamValue }) !== configKey({ v: v as ParamValue })) differs[p.name] = { winner: w, this: v };
      }
      nearTop.rows.push({
        trial: c.row.trial,
        config: c.row.config,
        seeds: c.seeds,
        mean: mean(values),
        interval: describe(values, { seed }).mean.percentile,
        difference: { mean: tests[i]!.meanDiff, interval: pairedDifferenceInterval(c.a, c.b, { seed }).percentile, p: tests[i]!.p, adjusted: adjusted[i]! },
        probabilityOfImprovement: probabilityOfImprovement(c.b, c.a),
        differs,
      });
    });
    nearTop.rows.sort((x, y) => sign * (y.mean - x.mean) || x.trial - y.trial);
  }

  // ---- importance, interactions, sensitivity over complete trials (losses) ----
  const observations = complete.map((t) => ({ trial: t.trial, config: t.config, value: -sign * t.value! }));
  const importanceOptions = { seed: header.seed, ...(options.importanceResamples !== undefined ? { resamples: options.importanceResamples } : {}) };
  const importance = pedAnova(space, observations, importanceOptions);
  const pairs = interactions(space, observations, importanceOptions);
  const axes = winner ? sensitivity(space, observations.map((o) => ({ ...o, value: sign * -o.value })), winner.config) : [];

  // ---- best so far against random search's expected best from the same trials ----
  const means = summary.trials.map((t) => (t.state === 'complete' && t.value !== undefined ? t.value : null));
  const finite = means.filter((v): v is number => v !== null);
  const curve = { trials: summary.trials.map((t) => t.trial), values: means, best: bestSoFar(means, direction), random: finite.length > 0 ? expectedMaxCurve(finite, direction) : [] };

  const prunes = summary.trials.filter((t) => t.state === 'pruned').map((t) => ({ trial: t.trial, step: t.step!, value: t.value!, seeds: t.prunedAt }));
  const failures: SearchReport['failures'] = [];
  for (const t of summary.trials) for (const f of t.failures) failures.push({ trial: t.trial, ...f });
  const stop = summary.stop ? { reason: summary.stop.reason, values: summary.stop.values } : null;

  return JSON.parse(
    JSON.stringify({
      format: REPORT_FORMAT,
      search: header.search,
      baseline: header.baseline,
      objective: header.objective,
      seeds: header.seeds,
      finished: summary.finished,
      counts: { trials: summary.trials.length, ...summary.counts },
      stop,
      winner,
      nearTop,
      racing: races.length > 0 ? { rounds: races.length, decisions: races } : null,
      importance,
      interactions: pairs,
      sensitivity: axes,
      curve,
      prunes,
      failures,
    }),
  ) as SearchReport;
}

// Racing after a search's budget: the near-top contenders get one more paired seed at a time
// until the evidence settles the winner. Each decision tests the incumbent (best mean on the
// seeds every contender has) against each contender with a one-sided paired t-test, corrects
// over the contenders with Holm, drops the rejected ones, and names the next seed while more
// than one remains and seeds are left. Pure: the schedule records each decision as written.
import type { RaceEvent, RaceTest } from './ledger.js';
import { holm, mean, pairedTTest } from './stats.js';

export interface RacingSpec {
  /** Seeds a contender may reach in all, the spec's seeds included. */
  maxSeeds: number;
  alpha: number;
  /** Contenders kept after the first decision, the incumbent included. */
  top: number;
}

export interface RaceCandidate {
  trial: number;
  /** Value per seed (only complete runs). */
  values: ReadonlyMap<number, number>;
}

/**
 * The decision of round `round` on `seeds` (each candidate has a value on every one of them).
 * `failed` are contenders whose run on the round's seed failed: dropped before testing.
 * Ties in the mean go to the lower trial number, so the incumbent is well defined.
 */
export function raceDecision(input: {
  round: number;
  seeds: readonly number[];
  candidates: readonly RaceCandidate[];
  failed: readonly number[];
  racing: RacingSpec;
  direction: 'maximize' | 'minimize';
}): RaceEvent {
  const { round, seeds, racing, direction } = input;
  const sign = direction === 'maximize' ? 1 : -1;
  const rows = input.candidates
    .map((c) => ({ trial: c.trial, values: seeds.map((s) => c.values.get(s)!), mean: mean(seeds.map((s) => c.values.get(s)!)) }))
    .sort((a, b) => sign * (b.mean - a.mean) || a.trial - b.trial);
  if (rows.length === 0) throw new Error('racing needs at least one complete trial');
  const incumbent = rows[0]!;
  const others = rows.slice(1);
  // H1: the incumbent is better. In the better direction, so one test reads the same both ways.
  const tests = others.map((o) => pairedTTest(incumbent.values.map((v) => sign * v), o.values.map((v) => sign * v), 'greater'));
  const { adjusted, reject } = holm(
    tests.map((t) => t.p),
    racing.alpha,
  );
  const raceTests: RaceTest[] = others.map((o, i) => ({
    trial: o.trial,
    mean: o.mean,
    meanDiff: tests[i]!.meanDiff,
    t: tests[i]!.t,
    df: tests[i]!.df,
    p: tests[i]!.p,
    adjusted: adjusted[i]!,
    dropped: reject[i]!,
  }));
  let kept = others.filter((_, i) => !reject[i]).map((o) => o.trial);
  const capped: number[] = [];
  if (round === 0 && kept.length > racing.top - 1) capped.push(...kept.splice(Math.max(0, racing.top - 1)));
  const contenders = [incumbent.trial, ...kept];
  let reason: RaceEvent['reason'] = 'racing';
  let next: number | null = null;
  if (contenders.length === 1) reason = 'settled';
  else if (seeds.length >= racing.maxSeeds) reason = 'max-seeds';
  else next = Math.max(...seeds) + 1;
  return {
    type: 'race',
    round,
    seeds: [...seeds],
    incumbent: { trial: incumbent.trial, mean: incumbent.mean },
    tests: raceTests,
    failed: [...input.failed],
    capped,
    contenders: next === null ? [] : contenders,
    next,
    reason,
  };
}

// The search ledger (rx.ledger/1, search/NAME.ledger.jsonl): append-only JSON lines, each
// carrying its sequence number and the sha256 of the line before it, so an edit anywhere
// breaks the chain at that line. Lines hold only what is re-derivable or recorded as input
// (configurations, sampler numbers, results): no clock, durations, pids or hosts, so two
// runs of one search write the same bytes. This module encodes and verifies; pure.
import { createHash } from 'node:crypto';
import { canonicalJson } from '../core/canonical.js';
import { RxError, ExitCode, InvalidFileError } from '../core/errors.js';
import type { Config, Method } from './types.js';
import type { SeedStats } from './stats.js';

export const LEDGER_FORMAT = 'rx.ledger/1';

export interface HeaderEvent {
  type: 'search';
  format: typeof LEDGER_FORMAT;
  search: string;
  /** sha256 of the parsed spec, canonical. */
  spec: string;
  /** sha256 of the priors alone, canonical. */
  priors: string;
  samplers: Record<string, string>;
  seed: number;
  seeds: number[];
  parallel: number;
  /** The commit every trial runs on. */
  baseline: string;
  objective: { metric: string; direction: 'maximize' | 'minimize' };
}

export interface PhaseEvent {
  type: 'phase';
  phase: number;
  method: Method;
  /** The first trial of the phase. */
  trial: number;
  options?: Record<string, unknown>;
  /** A refinement phase: the incumbent it shrinks around and the numeric bounds it uses. */
  refine?: { shrink: number; incumbent: number | null; bounds: Record<string, [number, number]> };
}

export interface SuggestEvent {
  type: 'suggest';
  trial: number;
  phase: number;
  sampler: string;
  config: Config;
  /** Trials 0 .. history-1 were seen with their results. */
  history: number;
  /** Trials seen as running (constant liars). */
  liars: number[];
  details: Record<string, unknown>;
}

export interface StartEvent {
  type: 'start';
  trial: number;
  seeds: number[];
  /**
   * With pruning: the trial's bracket, its rung epochs and, per seed, the value it must reach at
   * each rung (null: promoted whatever it reaches), fixed from the trials its suggestion saw.
   */
  prune?: PrunePlan;
}

export interface PrunePlan {
  bracket: number;
  rungs: number[];
  thresholds: { seed: number; rungs: { epoch: number; competitors: number; keep: number; threshold: number | null }[] }[];
}

export interface ResultEvent {
  type: 'result';
  trial: number;
  seed: number;
  /** 'skipped': not started when a time or CPU stop came (its stop line's under_way does not list it); never run. */
  status: 'complete' | 'failed' | 'pruned' | 'skipped';
  /** The experiment ref the run was recorded under (failed and pruned runs: where it would have been; none for a skipped one). */
  ref?: string;
  /** The objective's value on this seed; for a pruned run, the per-epoch metric at its prune rung. */
  value?: number;
  /** With pruning: the per-epoch metric, epoch 1 first (a pruned run's up to its prune rung). */
  curve?: number[];
  /** A pruned run: the rung epoch it was stopped at, and the threshold it missed there. */
  epoch?: number;
  threshold?: number;
  /** Numbers of the objective's metric file, flattened (`key.sub`). */
  metrics?: Record<string, number>;
  exitCode?: number;
  log?: string;
  error?: string;
}

export interface TrialEvent {
  type: 'trial';
  trial: number;
  /** 'incomplete': a seed was skipped at a time or CPU stop (and none failed or was pruned). */
  state: 'complete' | 'failed' | 'pruned' | 'incomplete';
  /** Mean of the objective over the seeds; for a pruned trial, the mean per-epoch metric at `step`. */
  value?: number;
  values: (number | null)[];
  /** A pruned trial is censored at this epoch: the smallest rung one of its seeds was pruned at. */
  step?: number;
  /** Mean and IQM over the seeds with seeded bootstrap intervals (complete trials). */
  stats?: SeedStats;
  /** The best trial so far (after this one), or null while none completed. */
  incumbent: { trial: number; value: number } | null;
}

export interface StopEvent {
  type: 'stop';
  reason: 'budget' | 'target' | 'no-improvement' | 'grid-exhausted' | 'time' | 'cpu';
  /** The values that triggered it. */
  values: Record<string, number | null>;
  /**
   * A time or CPU stop: the runs (trial, seed) under way or finished but not yet written when it
   * came. They are written as usual; the other seeds of unfinished trials are skipped. Absent in
   * ledgers of earlier rx, whose unfinished trials ran every seed.
   */
  under_way?: [number, number][];
}

/** One paired test of racing: the incumbent against a contender on their common seeds. */
export interface RaceTest {
  trial: number;
  mean: number;
  /** Incumbent minus contender, in the objective's better direction (positive: the incumbent is ahead). */
  meanDiff: number;
  t: number;
  df: number;
  /** One-sided p of "the incumbent is better", and after Holm's correction over the contenders. */
  p: number;
  adjusted: number;
  dropped: boolean;
}

/**
 * A racing decision after the budget: on the seeds every contender has, the incumbent (best
 * mean) is tested against each contender; rejected ones are dropped; while more than one
 * remains and seeds are left, the contenders all run on `next`.
 */
export interface RaceEvent {
  type: 'race';
  round: number;
  seeds: number[];
  incumbent: { trial: number; mean: number };
  tests: RaceTest[];
  /** Contenders whose run on the round's seed failed (dropped). */
  failed: number[];
  /** Not rejected but beyond racing.top (round 0 only). */
  capped: number[];
  /** Who runs on `next` (incumbent first); empty when the race is over. */
  contenders: number[];
  next: number | null;
  /** 'budget': the wall-time or CPU-time budget (`spent`) was used up before the race settled. */
  reason: 'racing' | 'settled' | 'max-seeds' | 'budget';
  spent?: 'time' | 'cpu';
  /** Under reason 'budget': the contenders still in the race, who would have run on the next seed. */
  unsettled?: number[];
}

export interface EndEvent {
  type: 'end';
  trials: number;
  complete: number;
  failed: number;
  pruned?: number;
  /** Trials left incomplete by a time or CPU stop (written only when there are any). */
  incomplete?: number;
  best: { trial: number; value: number; config: Config; seeds?: number[]; stats?: SeedStats } | null;
}

/** Whether a stop's `under_way` (as read from a ledger, so untrusted) is a list of [trial, seed] whole-number pairs. */
export function isRunList(x: unknown): x is [number, number][] {
  return Array.isArray(x) && x.every((p) => Array.isArray(p) && p.length === 2 && p.every((n) => Number.isSafeInteger(n) && (n as number) >= 0));
}

export type LedgerEvent = HeaderEvent | PhaseEvent | SuggestEvent | StartEvent | ResultEvent | TrialEvent | RaceEvent | StopEvent | EndEvent;

export function lineHash(line: string): string {
  return createHash('sha256').update(line).digest('hex');
}

/** The line for an event after `previous` (undefined for the first line), without the newline. */
export function encodeLine(event: LedgerEvent, seq: number, previous: string | undefined): string {
  return canonicalJson({ ...event, seq, prev: previous === undefined ? null : lineHash(previous) });
}

/** The event of a line with its chain fields removed (for comparing with a re-derived one). */
export function eventBody(record: Record<string, unknown>): LedgerEvent {
  const { seq: _seq, prev: _prev, ...rest } = record;
  return rest as unknown as LedgerEvent;
}

export class LedgerBrokenError extends RxError {
  constructor(file: string, line: number, message: string) {
    super('RX_LEDGER_BROKEN', ExitCode.invalidFile, `${file}:${line}: ${message}`, {
      data: { file, line },
      hint: 'the ledger is append-only: restore it from git (git checkout -- FILE) rather than editing it',
    });
  }
}

export interface ParsedLedger {
  events: LedgerEvent[];
  /** The lines as written (without newlines), for appending after the last one. */
  lines: string[];
  /** Bytes of a last line cut short by a crash (not newline-terminated, not JSON): dropped. */
  tornTail?: string;
}

/** Reads a ledger and checks every link; the first broken one is exit 4 naming the line. */
export function parseLedger(text: string, file: string): ParsedLedger {
  const raw = text.split('\n');
  let tornTail: string | undefined;
  if (raw[raw.length - 1] === '') raw.pop();
  else if (raw.length > 0) {
    const last = raw[raw.length - 1]!;
    try {
      JSON.parse(last);
    } catch {
      tornTail = raw.pop();
    }
  }
  const events: LedgerEvent[] = [];
  const lines: string[] = [];
  for (let i = 0; i < raw.length; i++) {
    const line = raw[i]!;
    const n = i + 1;
    let record: Record<string, unknown>;
    try {
      const parsed: unknown = JSON.parse(line);
      if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not an object');
      record = parsed as Record<string, unknown>;
    } catch {
      throw new LedgerBrokenError(file, n, 'not a JSON object');
    }
    if (record.seq !== i) throw new LedgerBrokenError(file, n, `sequence number ${JSON.stringify(record.seq)} where ${i} was expected (a line was removed, added or moved)`);
    const expectedPrev = i === 0 ? null : lineHash(raw[i - 1]!);
    if (record.prev !== expectedPrev) {
      // The link of line n names the line before it: that one was changed (or n's link was).
      if (i === 0) throw new LedgerBrokenError(file, n, 'the first line must not link to a previous one');
      throw new LedgerBrokenError(file, i, `the line was edited: line ${n} holds the hash of another line ${i}`);
    }
    const body = eventBody(record);
    if (encodeLine(body, i, i === 0 ? undefined : raw[i - 1]) !== line) throw new LedgerBrokenError(file, n, 'the line is not in canonical form: it was edited');
    if (i === 0 && (body.type !== 'search' || (body as HeaderEvent).format !== LEDGER_FORMAT)) throw new LedgerBrokenError(file, n, `the first line must be the ${LEDGER_FORMAT} header`);
    if (i > 0 && body.type === 'search') throw new LedgerBrokenError(file, n, 'a second header');
    events.push(body);
    lines.push(line);
  }
  const out: ParsedLedger = { events, lines };
  if (tornTail !== undefined) out.tornTail = tornTail;
  return out;
}

/** A ledger written for another spec: refused with both hashes. */
export function specMismatch(file: string, recorded: string, current: string): InvalidFileError {
  return new InvalidFileError([{ file, line: 1, field: 'spec', message: `the ledger was written for spec ${recorded.slice(0, 12)}, the search file is now ${current.slice(0, 12)}` }], {
    code: 'RX_LEDGER_OTHER_SPEC',
    data: { recorded, current },
    hint: 'a changed search is a new search: give it another name, or move the old ledger aside',
  });
}

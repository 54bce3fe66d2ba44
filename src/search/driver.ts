// Runs a search: reads (or starts) the ledger, drives the schedule, hands runs to an
// executor-shaped function, appends each line with fsync as soon as its place in the
// sequence comes, and keeps wall-clock facts in the separate times file. Also replays a
// ledger: re-derives every suggestion and decision from the spec, the seed and the recorded
// results, and names the first line that differs. The only owner of ledger I/O.
//
// The wall-time and CPU-time budgets span every invocation of one ledger: each invocation (a
// part) writes a `part` line to the times file and the CPU seconds it has used on every line, and
// a resumed search counts what earlier parts used: wall time from each part's first to its last
// line, CPU time its last figure (a part killed outright counts up to its last recorded line).
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { canonicalJson } from '../core/canonical.js';
import { RxError, ExitCode, isErrno } from '../core/errors.js';
import { encodeLine, isRunList, parseLedger, specMismatch, LedgerBrokenError, type LedgerEvent, type ParsedLedger, type HeaderEvent } from './ledger.js';
import { Schedule, headerFor, type PendingRun, type SamplerSet, type ScheduleSpec } from './schedule.js';
import type { RunOutcome } from './outcome.js';

/** One run to execute: a configuration on a seed, with its rung thresholds under pruning. */
export type RunRequest = PendingRun;

export interface DriveOptions {
  spec: ScheduleSpec;
  baseline: string;
  samplers: SamplerSet;
  ledgerFile: string;
  /** Shown in messages (project-relative). */
  ledgerName: string;
  timesFile: string;
  /** Runs at once (each a configuration on one seed). */
  jobs: number;
  /** Suggest at most this many new trials in this invocation, then pause (resumable). */
  maxTrials?: number;
  run: (request: RunRequest) => Promise<RunOutcome>;
  /** Milliseconds, for the wall-time budget and the times file only. */
  now: () => number;
  /** CPU seconds used so far by this process and its finished runs, for the CPU-time budget. */
  cpu?: () => number;
  signal?: AbortSignal;
  onEvent?: (event: LedgerEvent) => void;
  onRunStart?: (request: RunRequest) => void;
}

export interface DriveResult {
  schedule: Schedule;
  /** Lines this invocation appended. */
  appended: number;
  /** Paused by --max-trials before the search ended. */
  paused: boolean;
  resumed: boolean;
  /** Wall-clock seconds of the budget used: earlier parts plus this invocation. */
  elapsedSeconds: number;
  /** Seconds earlier parts used (0 for a new ledger). */
  earlierSeconds: number;
  /** CPU seconds used, earlier parts included, and by earlier parts alone (0 without o.cpu). */
  cpuSeconds: number;
  earlierCpuSeconds: number;
}

/** The records of a times file, in order; blank and unreadable lines (a torn last line) are skipped. */
function timesRecords(timesText: string): { at?: unknown; event?: unknown; fresh?: unknown; cpu?: unknown; trial?: unknown; seed?: unknown }[] {
  const out: Record<string, unknown>[] = [];
  for (const line of timesText.split('\n')) {
    if (line.trim() === '') continue;
    try {
      const rec: unknown = JSON.parse(line);
      if (rec !== null && typeof rec === 'object' && !Array.isArray(rec)) out.push(rec as Record<string, unknown>);
    } catch {
      continue;
    }
  }
  return out;
}

/**
 * Seconds the earlier parts of a search used, from its times file: the parts since the last one
 * that started a new ledger, each from its first to its last line. Lines before any part line
 * (times files of older rx) count as one part. A part's CPU seconds are the largest `cpu` figure
 * of its lines. Unreadable lines are skipped. Pure.
 */
export function earlierPartsSeconds(timesText: string): { seconds: number; cpuSeconds: number; parts: number } {
  const parts: { first: number; last: number; cpu: number }[] = [];
  for (const rec of timesRecords(timesText)) {
    const at = typeof rec.at === 'string' ? Date.parse(rec.at) : NaN;
    if (!Number.isFinite(at)) continue;
    if (rec.event === 'part') {
      if (rec.fresh === true) parts.length = 0;
      parts.push({ first: at, last: at, cpu: 0 });
      continue;
    }
    if (parts.length === 0) parts.push({ first: at, last: at, cpu: 0 });
    const part = parts[parts.length - 1]!;
    part.first = Math.min(part.first, at);
    part.last = Math.max(part.last, at);
    if (typeof rec.cpu === 'number' && Number.isFinite(rec.cpu)) part.cpu = Math.max(part.cpu, rec.cpu);
  }
  return { seconds: parts.reduce((sum, p) => sum + (p.last - p.first) / 1000, 0), cpuSeconds: parts.reduce((sum, p) => sum + p.cpu, 0), parts: parts.length };
}

/** The runs of the last part of a search that started and have not ended, by its times file (a part under way, or one that was killed). */
export function runsUnderWay(timesText: string): { trial: number; seed: number; since: string }[] {
  let open = new Map<string, { trial: number; seed: number; since: string }>();
  for (const rec of timesRecords(timesText)) {
    if (rec.event === 'part') open = new Map();
    if (typeof rec.trial !== 'number' || typeof rec.seed !== 'number' || typeof rec.at !== 'string') continue;
    const key = `${rec.trial}:${rec.seed}`;
    if (rec.event === 'start') open.set(key, { trial: rec.trial, seed: rec.seed, since: rec.at });
    else if (rec.event === 'end') open.delete(key);
  }
  return [...open.values()];
}

async function readLedgerFile(file: string, shown: string): Promise<ParsedLedger | undefined> {
  let text: string;
  try {
    text = await fsp.readFile(file, 'utf8');
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return undefined;
    throw err;
  }
  if (text === '') return undefined;
  return parseLedger(text, shown);
}

/** Checks that a ledger's header belongs to this spec and these samplers. */
export function checkHeader(header: HeaderEvent, spec: ScheduleSpec, samplers: SamplerSet, shown: string): void {
  if (header.spec !== spec.hash) throw specMismatch(shown, header.spec, spec.hash);
  if (canonicalJson(header.samplers) !== canonicalJson(samplers.versions)) {
    throw new LedgerBrokenError(shown, 1, `written by sampler versions ${canonicalJson(header.samplers)}, this rx has ${canonicalJson(samplers.versions)}: its suggestions cannot be re-derived`);
  }
}

/** Rebuilds the schedule from a ledger's lines, trusting them (the chain is already checked). */
export function scheduleFrom(parsed: ParsedLedger, spec: ScheduleSpec, samplers: SamplerSet, shown: string): Schedule {
  const header = parsed.events[0] as HeaderEvent;
  checkHeader(header, spec, samplers, shown);
  const schedule = new Schedule(spec, header, samplers);
  parsed.events.slice(1).forEach((e, i) => {
    try {
      schedule.apply(e);
    } catch (err) {
      throw new LedgerBrokenError(shown, i + 2, (err as Error).message);
    }
  });
  return schedule;
}

class LedgerWriter {
  private last: string | undefined;
  private seq: number;
  constructor(
    private readonly handle: fsp.FileHandle,
    lines: string[],
  ) {
    this.last = lines[lines.length - 1];
    this.seq = lines.length;
  }
  async append(event: LedgerEvent): Promise<void> {
    const line = encodeLine(event, this.seq, this.last);
    await this.handle.write(line + '\n');
    await this.handle.sync();
    this.last = line;
    this.seq++;
  }
}

export async function driveSearch(o: DriveOptions): Promise<DriveResult> {
  await fsp.mkdir(path.dirname(o.ledgerFile), { recursive: true });
  const parsed = await readLedgerFile(o.ledgerFile, o.ledgerName);
  let schedule: Schedule;
  let lines: string[];
  if (parsed) {
    schedule = scheduleFrom(parsed, o.spec, o.samplers, o.ledgerName);
    lines = parsed.lines;
    // A line cut short by a crash was never part of the chain: drop its bytes.
    if (parsed.tornTail !== undefined) await fsp.writeFile(o.ledgerFile, lines.map((l) => l + '\n').join(''));
  } else {
    schedule = new Schedule(o.spec, headerFor(o.spec, o.baseline, o.samplers), o.samplers);
    lines = [];
  }
  const earlier = parsed ? earlierPartsSeconds(await fsp.readFile(o.timesFile, 'utf8').catch(() => '')) : { seconds: 0, cpuSeconds: 0, parts: 0 };
  const handle = await fsp.open(o.ledgerFile, 'a');
  const times = await fsp.open(o.timesFile, 'a');
  const writer = new LedgerWriter(handle, lines);
  let appended = 0;
  const started = o.now();
  const cpuStarted = o.cpu?.() ?? 0;
  const cpuThisPart = () => (o.cpu ? o.cpu() - cpuStarted : 0);
  const { timeSeconds: timeLimit, cpuSeconds: cpuLimit } = o.spec.budget;
  const outcomes = new Map<string, RunOutcome>();
  const inflight = new Map<string, Promise<void>>();
  let failure: unknown;
  let suggested = 0;
  let paused = false;
  const key = (t: number, s: number) => `${t}:${s}`;

  const logTime = async (record: Record<string, unknown>) => {
    await times.write(JSON.stringify({ at: new Date(o.now()).toISOString(), ...record, ...(o.cpu ? { cpu: Math.round(cpuThisPart() * 100) / 100 } : {}) }) + '\n');
  };
  await logTime({ event: 'part', pid: process.pid, fresh: !parsed, earlier_seconds: earlier.seconds, ...(o.cpu ? { earlier_cpu_seconds: earlier.cpuSeconds } : {}) });
  const elapsed = () => earlier.seconds + (o.now() - started) / 1000;
  const cpuUsed = () => earlier.cpuSeconds + cpuThisPart();
  const spent = (): 'time' | 'cpu' | undefined => (timeLimit !== undefined && elapsed() >= timeLimit ? 'time' : cpuLimit !== undefined && o.cpu && cpuUsed() >= cpuLimit ? 'cpu' : undefined);

  const launch = () => {
    if (o.signal?.aborted || failure !== undefined) return;
    for (const r of schedule.pendingRuns()) {
      if (inflight.size >= o.jobs) return;
      const k = key(r.trial, r.seed);
      if (outcomes.has(k) || inflight.has(k)) continue;
      const t0 = o.now();
      o.onRunStart?.(r);
      const p = (async () => {
        await logTime({ trial: r.trial, seed: r.seed, event: 'start', pid: process.pid });
        try {
          const outcome = await o.run(r);
          outcomes.set(k, outcome);
          await logTime({ trial: r.trial, seed: r.seed, event: 'end', status: outcome.status, seconds: (o.now() - t0) / 1000 });
        } catch (err) {
          failure ??= err;
        } finally {
          inflight.delete(k);
        }
      })();
      inflight.set(k, p);
    }
  };

  try {
    if (!parsed) {
      await writer.append(schedule.header);
      appended++;
    }
    for (;;) {
      if (failure !== undefined || o.signal?.aborted) break;
      const budget = spent();
      // Under way, or finished and not yet written: what a time or CPU stop lets finish.
      const running = budget ? [...new Set([...inflight.keys(), ...outcomes.keys()])].map((k) => k.split(':').map(Number) as [number, number]) : [];
      const step = schedule.next((t, s) => outcomes.get(key(t, s)), budget ? { spent: budget, running } : {});
      if ('done' in step) break;
      if ('event' in step) {
        if (step.event.type === 'suggest') {
          if (o.maxTrials !== undefined && suggested >= o.maxTrials) {
            paused = true;
            break;
          }
          suggested++;
        }
        await writer.append(step.event);
        appended++;
        schedule.apply(step.event);
        o.onEvent?.(step.event);
        if (step.event.type === 'start' || step.event.type === 'race') launch();
        continue;
      }
      launch();
      if (inflight.size === 0) {
        // Nothing running and nothing written: only a failure or an abort gets here.
        if (failure === undefined && !o.signal?.aborted) throw new Error(`the search waits for trial ${step.wait[0]!.trial} seed ${step.wait[0]!.seed}, which nothing runs`);
        break;
      }
      await Promise.race(inflight.values());
    }
    // Paused, failed or interrupted: runs under way finish (or are stopped by their own
    // signal handling) and are kept as experiment refs, so a resumed search finds them.
    await Promise.allSettled([...inflight.values()]);
    if (paused) {
      // Lines whose place has come can still be written, without suggesting.
      for (;;) {
        const step = schedule.next((t, s) => outcomes.get(key(t, s)));
        if (!('event' in step) || step.event.type === 'suggest' || step.event.type === 'phase') break;
        await writer.append(step.event);
        appended++;
        schedule.apply(step.event);
        o.onEvent?.(step.event);
      }
    }
  } finally {
    await handle.close();
    await logTime({ event: 'part-end', pid: process.pid, seconds: (o.now() - started) / 1000 }).catch(() => undefined);
    await times.close();
  }
  if (failure !== undefined) throw failure;
  if (o.signal?.aborted && !schedule.finished) {
    const signal = typeof o.signal.reason === 'string' ? o.signal.reason : 'SIGINT';
    throw new RxError('RX_INTERRUPTED', signal === 'SIGTERM' ? ExitCode.sigterm : signal === 'SIGHUP' ? ExitCode.sighup : ExitCode.sigint, `search ${o.spec.name} interrupted by ${signal}: the ledger keeps every line written (${schedule.events.length}); runs under way were stopped`, {
      data: { signal, lines: schedule.events.length },
      hint: `run \`rx search run ${o.spec.name}\` again to resume: finished trials are not repeated`,
    });
  }
  return { schedule, appended, paused: paused && !schedule.finished, resumed: parsed !== undefined, elapsedSeconds: elapsed(), earlierSeconds: earlier.seconds, cpuSeconds: cpuUsed(), earlierCpuSeconds: earlier.cpuSeconds };
}

export interface ReplayResult {
  lines: number;
  suggestions: number;
  decisions: number;
  results: number;
  /** Runs judged pruned at a rung, and racing decisions, each re-derived. */
  prunes: number;
  races: number;
  finished: boolean;
}

export interface ReplayDifference {
  line: number;
  expected: LedgerEvent | { wait: { trial: number; seed: number }[] } | { done: true };
  found: LedgerEvent;
  /** The first differing field, as a dotted path. */
  field: string;
}

function firstDifference(a: unknown, b: unknown, at: string): string | undefined {
  if (canonicalJson(a) === canonicalJson(b)) return undefined;
  if (a !== null && b !== null && typeof a === 'object' && typeof b === 'object' && Array.isArray(a) === Array.isArray(b)) {
    const keys = [...new Set([...Object.keys(a as object), ...Object.keys(b as object)])].sort();
    for (const k of keys) {
      const d = firstDifference((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], at === '' ? k : `${at}.${k}`);
      if (d !== undefined) return d;
    }
  }
  return at === '' ? '(whole line)' : at;
}

/**
 * The clock and the CPU counter are not in the ledger: a line that says a budget of the spec was
 * spent (a stop, or a race ended by the budget) is taken at its word, and the rest of the line
 * re-derived. A claim about a budget the spec does not have is not taken, so it shows as a difference.
 * Each line is taken on its own claim: a race that goes on after a time or CPU stop re-derives as
 * racing, as rx before racing spent the budget wrote it, and a cut claimed while budget was left
 * cannot be told from the ledger either (the times file records the CPU).
 */
function spentClaim(found: LedgerEvent, spec: ScheduleSpec): 'time' | 'cpu' | undefined {
  const claim = found.type === 'stop' ? found.reason : found.type === 'race' && found.reason === 'budget' ? found.spent : undefined;
  if (claim === 'time' && spec.budget.timeSeconds !== undefined) return 'time';
  if (claim === 'cpu' && spec.budget.cpuSeconds !== undefined) return 'cpu';
  return undefined;
}

/** Re-derives every line after the header; the first that differs is returned. */
export function replaySchedule(parsed: ParsedLedger, spec: ScheduleSpec, samplers: SamplerSet, shown: string): { ok: true; result: ReplayResult } | { ok: false; difference: ReplayDifference } {
  const header = parsed.events[0] as HeaderEvent;
  checkHeader(header, spec, samplers, shown);
  const schedule = new Schedule(spec, header, samplers);
  const counts = { suggestions: 0, decisions: 0, results: 0, prunes: 0, races: 0 };
  for (let i = 1; i < parsed.events.length; i++) {
    const found = parsed.events[i]!;
    const lookup = (t: number, s: number): RunOutcome | undefined => {
      if (found.type !== 'result' || found.trial !== t || found.seed !== s) return undefined;
      const { type: _type, trial: _trial, seed: _seed, ...outcome } = found;
      return outcome;
    };
    const spent = spentClaim(found, spec);
    // A malformed list is re-derived as nothing under way, so it shows as a difference rather than breaking replay.
    const claimed = found.type === 'stop' && found.under_way !== undefined ? { running: isRunList(found.under_way) ? found.under_way : [] } : {};
    const step = schedule.next(lookup, spent ? { spent, ...claimed } : {});
    const expected = 'event' in step ? step.event : step;
    const field = firstDifference(expected, found, '');
    if (field !== undefined) return { ok: false, difference: { line: i + 1, expected, found, field } };
    schedule.apply(found);
    if (found.type === 'suggest') counts.suggestions++;
    else if (found.type === 'result') {
      counts.results++;
      if (found.status === 'pruned') counts.prunes++;
    } else if (found.type === 'race') {
      counts.races++;
      counts.decisions++;
    } else if (found.type === 'stop' || found.type === 'phase' || found.type === 'trial' || found.type === 'end') counts.decisions++;
  }
  return { ok: true, result: { lines: parsed.events.length, ...counts, finished: schedule.finished } };
}

export { readLedgerFile };

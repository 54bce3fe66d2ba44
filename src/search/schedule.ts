// The deterministic schedule of a search: which ledger line comes next, given the lines so
// far and the results that have arrived. With `parallel: K`, suggestion n sees the results of
// trials 0..n-K and treats n-K+1..n-1 as running (constant liars), and the result of trial m
// is written just before suggestion m+K. So the ledger is one sequence whatever the timing of
// the workers or the number of jobs up to K, and an interrupted search resumes at its last
// line. Run, resume and replay all drive this one machine; it is pure (samplers are injected).
// What a result or trial line says is src/search/outcome.ts's; phase bounds and spaces are
// src/search/phase-space.ts's; this module owns the order of lines and the state between them.
import { createHash } from 'node:crypto';
import { canonicalJson } from '../core/canonical.js';
import type { Config, Method, Sampler, Space, Trial } from './types.js';
import type { SearchSpec } from './spec.js';
import { LEDGER_FORMAT, isRunList, type HeaderEvent, type LedgerEvent, type PhaseEvent, type PrunePlan, type RaceEvent, type ResultEvent, type StartEvent, type StopEvent, type SuggestEvent, type TrialEvent, type EndEvent } from './ledger.js';
import { bracketOf, rungsOf, thresholdsFor, type RunRungs } from './pruning.js';
import { raceDecision, type RaceCandidate } from './racing.js';
import { describe as describeSeeds } from './stats.js';
import { curveRecord, resultLine, statsSeed, trialLine, type OutcomeLookup, type RunOutcome } from './outcome.js';
import { clampToSpace, phaseIndex, phaseLine, phaseSpace } from './phase-space.js';

/** What the schedule needs of a search spec: all of it but where it came from (tests build it directly). */
export type ScheduleSpec = Pick<SearchSpec, 'name' | 'hash' | 'seed' | 'seeds' | 'parallel' | 'budget' | 'stop' | 'phases' | 'space' | 'racing' | 'pruning'> & {
  objective: Pick<SearchSpec['objective'], 'metric' | 'direction'>;
};

/** A run the schedule owes: a configuration on one seed, with its rung thresholds under pruning. */
export interface PendingRun {
  trial: number;
  seed: number;
  config: Config;
  prune?: PrunePlan['thresholds'][number];
  /** A racing run (an extra seed of a near-top contender): never pruned. */
  race?: boolean;
}

export type NextStep = { event: LedgerEvent } | { wait: { trial: number; seed: number }[] } | { done: true };

export interface SamplerSet {
  get(method: Method): Sampler;
  versions: Record<string, string>;
}

interface Slot {
  number: number;
  phase: number;
  config: Config;
  results: Map<number, ResultEvent>;
  start?: StartEvent;
  summary?: TrialEvent;
}

export function priorsHash(space: Space): string {
  const priors = space.params.map((p) => ({
    name: p.name,
    prior: p.type === 'categorical' ? (p.weights ?? null) : p.type === 'simplex' ? (p.dirichlet ?? null) : (p.prior ?? null),
  }));
  return createHash('sha256').update(canonicalJson(priors)).digest('hex');
}

export function headerFor(spec: ScheduleSpec, baseline: string, samplers: SamplerSet): HeaderEvent {
  return {
    type: 'search',
    format: LEDGER_FORMAT,
    search: spec.name,
    spec: spec.hash,
    priors: priorsHash(spec.space),
    samplers: samplers.versions,
    seed: spec.seed,
    seeds: spec.seeds,
    parallel: spec.parallel,
    baseline,
    objective: spec.objective,
  };
}

export class Schedule {
  readonly header: HeaderEvent;
  private readonly spec: ScheduleSpec;
  private readonly samplers: SamplerSet;
  private readonly slots: Slot[] = [];
  private summarized = 0;
  private phase = -1;
  private phaseSpace: Space;
  private stopped: StopEvent | undefined;
  private ended = false;
  private needStart = false;
  private needDecision = false;
  private best: { trial: number; value: number } | undefined;
  /** The last racing decision. */
  private race: RaceEvent | undefined;
  private readonly written: LedgerEvent[] = [];

  constructor(spec: ScheduleSpec, header: HeaderEvent, samplers: SamplerSet) {
    this.spec = spec;
    this.header = header;
    this.samplers = samplers;
    this.phaseSpace = spec.space;
    this.written.push(header);
  }

  get events(): readonly LedgerEvent[] {
    return this.written;
  }

  get finished(): boolean {
    return this.ended;
  }

  get trialCount(): number {
    return this.slots.length;
  }

  get incumbent(): { trial: number; value: number } | undefined {
    return this.best;
  }

  /** Runs the schedule owes: suggested trials' seeds (and racing seeds) with no result line yet. */
  pendingRuns(): PendingRun[] {
    const out: PendingRun[] = [];
    for (const s of this.slots) {
      if (s.summary) continue;
      for (const seed of this.spec.seeds) {
        if (s.results.has(seed) || this.skipped(s.number, seed)) continue;
        const prune = s.start?.prune?.thresholds.find((x) => x.seed === seed);
        out.push({ trial: s.number, seed, config: s.config, ...(prune ? { prune } : {}) });
      }
    }
    const race = this.race;
    if (race && race.next !== null) {
      for (const t of race.contenders) if (!this.slots[t]!.results.has(race.next)) out.push({ trial: t, seed: race.next, config: this.slots[t]!.config, race: true });
    }
    return out;
  }

  /** The incumbent after racing (or the best mean when there was no race). */
  get winner(): number | undefined {
    return this.race?.incumbent.trial ?? this.best?.trial;
  }

  configOf(trial: number): Config | undefined {
    return this.slots[trial]?.config;
  }

  private loss(value: number): number {
    return this.spec.objective.direction === 'maximize' ? -value : value;
  }

  private better(a: number, b: number): boolean {
    return this.spec.objective.direction === 'maximize' ? a > b : a < b;
  }

  /** A run that a time or CPU stop left unstarted: written as skipped, never run. */
  private skipped(trial: number, seed: number): boolean {
    const u = this.stopped?.under_way;
    return u !== undefined && !u.some(([t, s]) => t === trial && s === seed);
  }

  /** The stop for a spent budget, with the runs under way (those of `running` the schedule still owes a result), in order. */
  private spentStop(spent: 'time' | 'cpu', running: readonly (readonly [number, number])[]): StopEvent {
    const owed = new Set(this.pendingRuns().filter((r) => !r.race).map((r) => `${r.trial}:${r.seed}`));
    const under_way = [...new Map(running.filter(([t, s]) => owed.has(`${t}:${s}`)).map(([t, s]) => [`${t}:${s}`, [t, s] as [number, number]])).values()].sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    return spent === 'time'
      ? { type: 'stop', reason: 'time', values: { seconds: this.spec.budget.timeSeconds ?? null }, under_way }
      : { type: 'stop', reason: 'cpu', values: { cpu_seconds: this.spec.budget.cpuSeconds ?? null }, under_way };
  }

  /**
   * The next line of the ledger, or what it waits for. `spent`: the wall-time or CPU-time budget
   * is used up; `running`: the runs under way or finished but not yet written (a time or CPU stop
   * lists them, and the other seeds of unfinished trials are skipped). Such a stop may come while
   * a trial's results are awaited, so no new run starts once the budget is spent.
   */
  next(lookup: OutcomeLookup, options: { spent?: 'time' | 'cpu'; running?: readonly (readonly [number, number])[] } = {}): NextStep {
    if (this.ended) return { done: true };
    const K = this.spec.parallel;
    if (this.needStart) {
      const last = this.slots[this.slots.length - 1]!;
      const prune = this.prunePlan(last.number);
      return { event: { type: 'start', trial: last.number, seeds: [...this.spec.seeds], ...(prune ? { prune } : {}) } };
    }
    if (this.needDecision && !this.stopped) {
      const stop = this.decide();
      if (stop) return { event: stop };
    }
    const n = this.slots.length;
    const due = this.summarized < n && (this.stopped !== undefined || this.summarized <= n - K) ? this.summarized : undefined;
    if (due !== undefined) {
      const slot = this.slots[due]!;
      for (const seed of this.spec.seeds) {
        if (slot.results.has(seed)) continue;
        if (this.skipped(due, seed)) return { event: { type: 'result', trial: due, seed, status: 'skipped' } };
        const o = lookup(due, seed);
        if (!o) {
          if (options.spent && !this.stopped && options.running) return { event: this.spentStop(options.spent, options.running) };
          return { wait: this.spec.seeds.filter((s) => !slot.results.has(s) && !this.skipped(due, s)).map((s) => ({ trial: due, seed: s })) };
        }
        return { event: this.resultFor(slot, seed, o, false) };
      }
      return { event: this.summary(slot) };
    }
    if (this.stopped) return this.raceStep(lookup, options.spent) ?? { event: this.end() };
    if (this.spec.budget.trials !== undefined && n >= this.spec.budget.trials) return { event: { type: 'stop', reason: 'budget', values: { trials: this.spec.budget.trials } } };
    if (options.spent) {
      // Without `running` (a ledger of earlier rx replayed): the stop as it was written then, with no runs listed.
      if (options.running) return { event: this.spentStop(options.spent, options.running) };
      return { event: options.spent === 'time' ? { type: 'stop', reason: 'time', values: { seconds: this.spec.budget.timeSeconds ?? null } } : { type: 'stop', reason: 'cpu', values: { cpu_seconds: this.spec.budget.cpuSeconds ?? null } } };
    }
    const phase = phaseIndex(this.spec.phases, n);
    if (phase !== this.phase) return { event: this.phaseEvent(phase, n) };
    return { event: this.suggest(n) };
  }

  private decide(): StopEvent | undefined {
    const last = this.summarized - 1;
    const { target, noImprovement } = this.spec.stop;
    if (target !== undefined && this.best && (this.best.value === target || this.better(this.best.value, target))) {
      return { type: 'stop', reason: 'target', values: { target, trial: this.best.trial, value: this.best.value } };
    }
    if (noImprovement !== undefined) {
      const since = this.best ? last - this.best.trial : last + 1;
      if (since >= noImprovement) return { type: 'stop', reason: 'no-improvement', values: { limit: noImprovement, since, best: this.best?.trial ?? null, value: this.best?.value ?? null } };
    }
    return undefined;
  }

  private summary(slot: Slot): TrialEvent {
    const results = this.spec.seeds.map((s) => slot.results.get(s)!);
    return trialLine(slot.number, results, this.best, this.spec.objective.direction, this.spec.seed);
  }

  /** The rung thresholds of trial n under pruning, from the trials its suggestion saw. */
  private prunePlan(n: number): PrunePlan | undefined {
    const pr = this.spec.pruning;
    if (!pr) return undefined;
    const history = Math.max(0, n - this.spec.parallel + 1);
    const runs: RunRungs[] = [];
    for (let m = 0; m < history; m++) {
      const slot = this.slots[m]!;
      if (slot.summary?.state !== 'complete' && slot.summary?.state !== 'pruned') continue;
      for (const seed of this.spec.seeds) {
        const r = slot.results.get(seed);
        if (r?.curve && r.status !== 'failed') runs.push({ trial: m, seed, values: curveRecord(r.curve) });
      }
    }
    const bracket = bracketOf(pr, n);
    return JSON.parse(JSON.stringify({ bracket, rungs: rungsOf(pr, bracket), thresholds: thresholdsFor(pr, pr.direction, n, this.spec.seeds, runs) })) as PrunePlan;
  }

  /** The result line of a run, judged against the thresholds of its trial's start line under pruning. */
  private resultFor(slot: Slot, seed: number, o: RunOutcome, race: boolean): ResultEvent {
    const thresholds = slot.start?.prune?.thresholds.find((x) => x.seed === seed);
    return resultLine(slot.number, seed, o, { ...(this.spec.pruning ? { pruning: this.spec.pruning } : {}), ...(thresholds ? { thresholds } : {}), race });
  }

  /**
   * Racing after the search stops: the next decision, the next racing result, or nothing (the
   * race is over or off). Racing counts against the wall-time and CPU-time budgets like any
   * trial: once one is `spent`, a decision that would name another seed ends the race instead
   * (reason 'budget', with the contenders left unsettled); a round under way finishes first.
   */
  private raceStep(lookup: OutcomeLookup, spent: 'time' | 'cpu' | undefined): NextStep | undefined {
    const racing = this.spec.racing;
    if (!racing) return undefined;
    const decide = (input: Parameters<typeof raceDecision>[0]): NextStep => {
      const d = raceDecision(input);
      if (spent === undefined || d.next === null) return { event: d };
      return { event: { ...d, contenders: [], next: null, reason: 'budget', spent, unsettled: d.contenders } };
    };
    const direction = this.spec.objective.direction;
    const valuesOf = (slot: Slot, seeds: readonly number[]) => new Map(seeds.map((s) => [s, slot.results.get(s)!.value!]));
    const r = this.race;
    if (!r) {
      const candidates: RaceCandidate[] = this.slots.filter((s) => s.summary?.state === 'complete').map((s) => ({ trial: s.number, values: valuesOf(s, this.spec.seeds) }));
      if (candidates.length === 0) return undefined;
      return decide({ round: 0, seeds: this.spec.seeds, candidates, failed: [], racing, direction });
    }
    if (r.next === null) return undefined;
    const seed = r.next;
    for (const t of r.contenders) {
      const slot = this.slots[t]!;
      if (slot.results.has(seed)) continue;
      const o = lookup(t, seed);
      if (!o) return { wait: r.contenders.filter((c) => !this.slots[c]!.results.has(seed)).map((c) => ({ trial: c, seed })) };
      return { event: this.resultFor(slot, seed, o, true) };
    }
    const seeds = [...r.seeds, seed];
    const failedRuns = r.contenders.filter((t) => this.slots[t]!.results.get(seed)!.status !== 'complete');
    const candidates = r.contenders.filter((t) => !failedRuns.includes(t)).map((t) => ({ trial: t, values: valuesOf(this.slots[t]!, seeds) }));
    if (candidates.length === 0) {
      return { event: { type: 'race', round: r.round + 1, seeds, incumbent: r.incumbent, tests: [], failed: failedRuns, capped: [], contenders: [], next: null, reason: 'settled' } };
    }
    return decide({ round: r.round + 1, seeds, candidates, failed: failedRuns, racing, direction });
  }

  private end(): EndEvent {
    let complete = 0;
    let failed = 0;
    let pruned = 0;
    let incomplete = 0;
    for (const s of this.slots) {
      if (s.summary?.state === 'complete') complete++;
      else if (s.summary?.state === 'pruned') pruned++;
      else if (s.summary?.state === 'incomplete') incomplete++;
      else failed++;
    }
    const ev: EndEvent = { type: 'end', trials: this.slots.length, complete, failed, best: null };
    if (this.spec.pruning) ev.pruned = pruned;
    if (incomplete > 0) ev.incomplete = incomplete;
    const winner = this.winner;
    if (winner !== undefined) {
      const slot = this.slots[winner]!;
      // Every seed the winner completed, racing's included, in the order they ran.
      const seeds = [...slot.results.values()].filter((r) => r.status === 'complete').map((r) => r.seed);
      const values = seeds.map((s) => slot.results.get(s)!.value!);
      const value = values.reduce((a, b) => a + b, 0) / values.length;
      ev.best = { trial: winner, value, config: slot.config, seeds, stats: describeSeeds(values, { seed: statsSeed(this.spec.seed, winner) }) };
    }
    return JSON.parse(JSON.stringify(ev)) as EndEvent;
  }

  private phaseEvent(phase: number, n: number): PhaseEvent {
    const incumbent = this.best ? { trial: this.best.trial, config: this.slots[this.best.trial]!.config } : undefined;
    return phaseLine(this.spec.phases, this.spec.space, phase, n, incumbent);
  }

  private suggest(n: number): SuggestEvent | StopEvent {
    const K = this.spec.parallel;
    const history = Math.max(0, n - K + 1);
    const trials: Trial[] = [];
    for (let m = 0; m < n; m++) {
      const slot = this.slots[m]!;
      const config = clampToSpace(this.phaseSpace, slot.config);
      if (m < history) {
        const s = slot.summary!;
        if (s.state === 'complete') trials.push({ number: m, config, state: 'complete', value: this.loss(s.value!) });
        else if (s.state === 'pruned') {
          // Censored: samplers rank it after every complete trial, by how far it got, then its value.
          const v = this.spec.pruning?.direction === 'maximize' ? -s.value! : s.value!;
          trials.push({ number: m, config, state: 'pruned', value: v, step: s.step! });
        } else trials.push({ number: m, config, state: 'failed' });
      } else trials.push({ number: m, config, state: 'running' });
    }
    const method = this.spec.phases[this.phase]!.method;
    const sampler = this.samplers.get(method);
    const input = { space: this.phaseSpace, trials, number: n, seed: this.spec.seed, ...(this.spec.phases[this.phase]!.options ? { options: this.spec.phases[this.phase]!.options } : {}) };
    let suggestion;
    try {
      suggestion = sampler.suggest(input);
    } catch (err) {
      if ((err as Error).name === 'GridExhausted') return { type: 'stop', reason: 'grid-exhausted', values: { trials: n } };
      throw err;
    }
    const liars: number[] = [];
    for (let m = history; m < n; m++) liars.push(m);
    // Round-trip through JSON so what is compared on replay is what was written.
    return JSON.parse(JSON.stringify({ type: 'suggest', trial: n, phase: this.phase, sampler: suggestion.sampler, config: suggestion.config, history, liars, details: suggestion.details })) as SuggestEvent;
  }

  /** Advances the state by one line (from next(), or read back from a ledger). */
  apply(event: LedgerEvent): void {
    this.needStart = false;
    this.needDecision = false;
    switch (event.type) {
      case 'search':
        throw new Error('a second header');
      case 'phase':
        this.phase = event.phase;
        this.phaseSpace = phaseSpace(this.spec.space, event);
        break;
      case 'suggest':
        if (event.trial !== this.slots.length) throw new Error(`suggestion for trial ${event.trial} where ${this.slots.length} was next`);
        this.slots.push({ number: event.trial, phase: event.phase, config: event.config, results: new Map() });
        this.needStart = true;
        break;
      case 'start': {
        const slot = this.slots[event.trial];
        if (!slot) throw new Error(`start of trial ${event.trial}, never suggested`);
        slot.start = event;
        break;
      }
      case 'race':
        if (!this.stopped) throw new Error('a racing decision before the search stopped');
        this.race = event;
        break;
      case 'result': {
        const slot = this.slots[event.trial];
        if (!slot) throw new Error(`result for trial ${event.trial}, never suggested`);
        slot.results.set(event.seed, event);
        break;
      }
      case 'trial': {
        const slot = this.slots[event.trial]!;
        slot.summary = event;
        this.summarized = event.trial + 1;
        if (event.state === 'complete' && event.value !== undefined && (!this.best || this.better(event.value, this.best.value))) this.best = { trial: event.trial, value: event.value };
        this.needDecision = true;
        break;
      }
      case 'stop':
        if (event.under_way !== undefined && !isRunList(event.under_way)) throw new Error('stop.under_way must be a list of [trial, seed] pairs of whole numbers');
        this.stopped = event;
        break;
      case 'end':
        this.ended = true;
        break;
    }
    this.written.push(event);
  }
}

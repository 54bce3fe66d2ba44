// Racing and pruning in the schedule: racing drops a clearly worse arm and keeps an equal one
// up to the seed cap, each decision with its statistics; pruning judges every run against the
// thresholds fixed at its trial's start, so a run stopped early at its rung and the same run
// left to finish write the same ledger; replay re-derives every prune and racing decision.
import t from 'tap';
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { driveSearch, replaySchedule, scheduleFrom, type RunRequest } from '../../src/search/driver.js';
import { parseLedger, encodeLine, type LedgerEvent, type RaceEvent, type ResultEvent, type StartEvent, type StopEvent, type TrialEvent } from '../../src/search/ledger.js';
import type { SamplerSet, ScheduleSpec } from '../../src/search/schedule.js';
import { curveRecord, type RunOutcome } from '../../src/search/outcome.js';
import { raceDecision } from '../../src/search/racing.js';
import { judge } from '../../src/search/pruning.js';
import { samplePrior } from '../../src/search/space.js';
import { streamFor } from '../../src/search/rng.js';
import type { Method, Sampler, Space } from '../../src/search/types.js';

declare namespace Tap {
  type Test = Parameters<Parameters<typeof t.test>[1]>[0];
}

const space: Space = { params: [{ name: 'x', path: 'params.yaml:x', type: 'float', low: 0, high: 1, log: false }] };

/** Random suggestions that also record what they saw (pruned trials with their step). */
const probe: Sampler = {
  name: 'probe',
  version: '1',
  suggest(input) {
    return { config: samplePrior(input.space, streamFor(input.seed, input.number, 'probe')), sampler: 'probe', details: { seen: input.trials.map((x) => [x.number, x.state, x.value ?? null, x.step ?? null]) } };
  },
};
const samplers: SamplerSet = { get: (_m: Method) => probe, versions: { probe: '1' } };

function spec(over: Partial<ScheduleSpec> = {}): ScheduleSpec {
  return {
    name: 'toy',
    hash: 'c'.repeat(64),
    objective: { metric: 'metrics.json:acc', direction: 'maximize' },
    seed: 3,
    seeds: [0, 1, 2],
    parallel: 2,
    budget: { trials: 10 },
    stop: {},
    phases: [{ method: 'random' }],
    space,
    ...over,
  };
}

function tmp(t: Tap.Test): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'rx-race-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function drive(dir: string, s: ScheduleSpec, jobs: number, run: (r: RunRequest) => Promise<RunOutcome>) {
  return driveSearch({ spec: s, baseline: 'b'.repeat(40), samplers, ledgerFile: path.join(dir, 'l.jsonl'), ledgerName: 'search/toy.ledger.jsonl', timesFile: path.join(dir, 't.jsonl'), jobs, run, now: Date.now });
}

const ref = (r: RunRequest) => `refs/rx/exps/b/toy/${r.trial}-s${r.seed}`;

/** A search whose every run costs 10 CPU seconds, counted once it has finished; `delay` (ms) per run, `seen` the runs started. */
function costed(dir: string, s: ScheduleSpec, jobs: number, options: { delay?: (r: RunRequest) => number; seen?: string[] } = {}) {
  let cpu = 0;
  return driveSearch({
    spec: s, baseline: 'b'.repeat(40), samplers, ledgerFile: path.join(dir, 'l.jsonl'), ledgerName: 'search/toy.ledger.jsonl', timesFile: path.join(dir, 't.jsonl'), jobs, now: Date.now, cpu: () => cpu,
    run: async (r) => {
      options.seen?.push(`${r.trial}-s${r.seed}`);
      const ms = options.delay?.(r);
      if (ms !== undefined) await new Promise((res) => setTimeout(res, ms));
      cpu += 10;
      return { status: 'complete', ref: ref(r), value: accuracy(r) };
    },
  });
}
/** Per-seed noise, the same for every configuration (common random numbers), plus a little of its own. */
const noise = (trial: number, seed: number) => 0.02 * Math.sin(seed * 12.9898) + 0.002 * streamFor(seed, trial, 'own').normal();

function delayed<T>(seed: number, f: (r: RunRequest) => T) {
  const rng = streamFor(seed, 0, 'delays');
  return async (r: RunRequest): Promise<T> => {
    await new Promise((res) => setTimeout(res, Math.floor(rng.uniform() * 5)));
    return f(r);
  };
}

t.test('raceDecision drops a clearly worse arm, keeps an equal one, and says why', async (t) => {
  const seeds = [0, 1, 2];
  const arm = (trial: number, shift: number, on: number[] = [0, 1, 2, 3, 4, 5]) => ({ trial, values: new Map(on.map((s) => [s, 0.9 + shift + noise(trial, s)])) });
  const d = raceDecision({ round: 0, seeds, candidates: [arm(0, 0), arm(1, -0.2), arm(2, 0.0005), arm(3, -0.001)], failed: [], racing: { maxSeeds: 6, alpha: 0.05, top: 4 }, direction: 'maximize' });
  const byTrial = new Map(d.tests.map((x) => [x.trial, x]));
  t.ok(byTrial.get(1)!.dropped, 'the arm 0.2 worse is dropped');
  t.ok(byTrial.get(1)!.adjusted < 0.05 && byTrial.get(1)!.adjusted >= byTrial.get(1)!.p, 'with a Holm-adjusted p below alpha');
  t.equal(d.reason, 'racing');
  t.equal(d.next, 3, 'the next seed is one past the largest');
  t.ok(d.contenders.includes(d.incumbent.trial) && d.contenders[0] === d.incumbent.trial, 'the incumbent runs first');
  t.notOk(d.contenders.includes(1));
  t.ok(d.contenders.length >= 2, 'the equal arms stay');
  const done = raceDecision({ round: 3, seeds: [0, 1, 2, 3, 4, 5], candidates: [arm(0, 0), arm(2, 0)], failed: [], racing: { maxSeeds: 6, alpha: 0.05, top: 4 }, direction: 'maximize' });
  t.equal(done.reason, 'max-seeds');
  t.equal(done.next, null);
  const settled = raceDecision({ round: 1, seeds: [0, 1, 2, 3], candidates: [arm(0, 0), arm(1, -0.3)], failed: [5], racing: { maxSeeds: 6, alpha: 0.05, top: 4 }, direction: 'maximize' });
  t.equal(settled.reason, 'settled');
  t.same(settled.failed, [5]);
  // Minimising mirrors it.
  const low = raceDecision({ round: 0, seeds, candidates: [arm(0, 0), arm(1, 0.2)], failed: [], racing: { maxSeeds: 6, alpha: 0.05, top: 4 }, direction: 'minimize' });
  t.equal(low.incumbent.trial, 0);
  t.ok(low.tests[0]!.dropped);
});

/** Accuracy near 0.9 for x near 0.5, 0.7 far from it; two trials are made equal on purpose. */
function accuracy(r: RunRequest): number {
  const x = r.config.x as number;
  return 0.9 - 0.8 * (x - 0.5) ** 2 + noise(r.trial, r.seed);
}

t.test('racing after the budget: seeds added to near-top contenders up to the cap, same bytes for any jobs', async (t) => {
  const s = spec({ racing: { maxSeeds: 6, alpha: 0.05, top: 3 } });
  const run = (r: RunRequest): RunOutcome => ({ status: 'complete', ref: ref(r), value: accuracy(r) });
  const ledgers: string[] = [];
  for (const [jobs, order] of [
    [1, 1],
    [3, 2],
    [4, 3],
  ] as const) {
    const dir = tmp(t);
    const r = await drive(dir, s, jobs, delayed(order, run));
    t.ok(r.schedule.finished);
    ledgers.push(readFileSync(path.join(dir, 'l.jsonl'), 'utf8'));
  }
  t.equal(ledgers[1], ledgers[0]);
  t.equal(ledgers[2], ledgers[0]);
  const events = parseLedger(ledgers[0]!, 'l').events;
  const races = events.filter((e): e is RaceEvent => e.type === 'race');
  t.ok(races.length >= 2, `${races.length} racing decisions`);
  t.same(races[0]!.seeds, [0, 1, 2]);
  const last = races[races.length - 1]!;
  t.ok(last.next === null && (last.reason === 'max-seeds' || last.reason === 'settled'));
  t.ok(last.seeds.length <= 6);
  // Each round's contenders ran on its seed, and only they.
  for (const [i, race] of races.entries()) {
    if (race.next === null) continue;
    const ran = events.filter((e): e is ResultEvent => e.type === 'result' && e.seed === race.next).map((e) => e.trial);
    t.same(ran.sort(), [...race.contenders].sort(), `round ${i}: the contenders ran on seed ${race.next}`);
    t.ok(race.tests.every((x) => typeof x.p === 'number' && typeof x.adjusted === 'number' && typeof x.t === 'number'), 'every test with its statistic');
  }
  const end = events[events.length - 1]!;
  t.equal(end.type, 'end');
  if (end.type === 'end') {
    t.equal(end.best!.trial, last.incumbent.trial, 'the winner is the race incumbent');
    t.equal(end.best!.seeds!.length, last.seeds.length, 'its value is over every seed it ran');
    t.ok(end.best!.stats!.mean.percentile.low <= end.best!.value && end.best!.value <= end.best!.stats!.mean.percentile.high);
  }
  const trials = events.filter((e): e is TrialEvent => e.type === 'trial' && e.state === 'complete');
  t.ok(trials.every((e) => e.stats && e.stats.mean.resamples >= 2000), 'every complete trial records its bootstrap interval');
  const replay = replaySchedule(parseLedger(ledgers[0]!, 'l'), s, samplers, 'l');
  t.ok(replay.ok, 'replay re-derives every racing decision');
  if (replay.ok) t.equal(replay.result.races, races.length);
});

t.test('racing spends the CPU budget: a decision after it is spent ends the race, and replay re-derives it', async (t) => {
  const racing = { maxSeeds: 6, alpha: 0.05, top: 3 };
  const racesOf = (dir: string) => parseLedger(readFileSync(path.join(dir, 'l.jsonl'), 'utf8'), 'l').events.filter((e): e is RaceEvent => e.type === 'race');
  const free = tmp(t);
  await costed(free, spec({ racing }), 2);
  const uncut = racesOf(free);
  t.ok(uncut.length >= 2 && uncut[1]!.next !== null, 'without a CPU budget the race goes past round 1');

  // Ten trials of three seeds: 300 CPU seconds. A budget of 305 leaves round 0's seed, not round 1's.
  const late = spec({ racing, budget: { trials: 10, cpuSeconds: 305 } });
  const ldir = tmp(t);
  const lr = await costed(ldir, late, 2);
  t.ok(lr.schedule.finished);
  const cut = racesOf(ldir);
  t.equal(cut.length, 2, 'round 0, then the decision the budget cut');
  t.same(cut[0], uncut[0], 'round 0 as without the budget');
  t.match(cut[1], { reason: 'budget', spent: 'cpu', next: null, contenders: [], unsettled: uncut[1]!.contenders, tests: uncut[1]!.tests, incumbent: uncut[1]!.incumbent });
  const lEvents = parseLedger(readFileSync(path.join(ldir, 'l.jsonl'), 'utf8'), 'l').events;
  t.equal(lEvents.filter((e) => e.type === 'result' && e.seed === 4).length, 0, 'no run on the seed after the cut');
  const lEnd = lEvents[lEvents.length - 1]!;
  t.ok(lEnd.type === 'end' && lEnd.best!.trial === cut[1]!.incumbent.trial && lEnd.best!.seeds!.length === 4, 'the winner is the incumbent of the cut decision, over the 4 seeds it ran');
  const lReplay = replaySchedule(parseLedger(readFileSync(path.join(ldir, 'l.jsonl'), 'utf8'), 'l'), late, samplers, 'l');
  t.ok(lReplay.ok, 'replay takes the budget line and re-derives the rest of it');
  if (lReplay.ok) t.equal(lReplay.result.races, 2);

  // The CPU budget stops the trials: round 0 is decided, and cut at once.
  const early = spec({ racing, budget: { trials: 100, cpuSeconds: 160 } });
  const edir = tmp(t);
  await costed(edir, early, 2);
  const eEvents = parseLedger(readFileSync(path.join(edir, 'l.jsonl'), 'utf8'), 'l').events;
  t.match(eEvents.find((e) => e.type === 'stop'), { reason: 'cpu' });
  const eRaces = eEvents.filter((e): e is RaceEvent => e.type === 'race');
  t.equal(eRaces.length, 1);
  t.match(eRaces[0], { round: 0, reason: 'budget', spent: 'cpu', next: null, contenders: [] });
  t.ok(eRaces[0]!.unsettled!.length >= 2, `contenders left unsettled: ${eRaces[0]!.unsettled}`);
  t.equal(eEvents.filter((e) => e.type === 'result' && e.seed > 2).length, 0, 'no racing run');
  t.ok(replaySchedule(parseLedger(readFileSync(path.join(edir, 'l.jsonl'), 'utf8'), 'l'), early, samplers, 'l').ok);

  // A budget line is taken only for a budget the spec has.
  const noCpu = replaySchedule(parseLedger(readFileSync(path.join(ldir, 'l.jsonl'), 'utf8'), 'l'), spec({ racing, budget: { trials: 10 } }), samplers, 'l');
  t.notOk(noCpu.ok, 'a spec without a CPU budget: the cut is a difference');
  if (!noCpu.ok) t.match(noCpu.difference, { found: { type: 'race', reason: 'budget' }, field: 'contenders' });
  const idx = lEvents.findIndex((e) => e.type === 'race' && e.reason === 'budget');
  const claimed = lEvents.map((e, i) => (i === idx ? { ...(e as RaceEvent), spent: 'time' as const } : e));
  const wrong = replaySchedule(parseLedger(rechain(claimed), 'l'), late, samplers, 'l');
  t.notOk(wrong.ok, 'a line claiming the wall-time budget of a spec that has none is a difference');
  // A ledger of earlier rx, whose racing went on after a CPU stop, still replays: each line on its own claim.
  const eIdx = eEvents.findIndex((e) => e.type === 'race');
  const r0 = eEvents[eIdx] as RaceEvent;
  const { spent: _s, unsettled, ...rest } = r0;
  const goesOn = eEvents.slice(0, eIdx).concat([{ ...rest, contenders: unsettled!, next: 3, reason: 'racing' }]);
  const sticky = replaySchedule(parseLedger(rechain(goesOn), 'l'), early, samplers, 'l');
  t.ok(sticky.ok, 'a race after a CPU stop that names another seed re-derives as racing');
});

t.test('a CPU stop in the middle of a trial: runs under way finish, the seeds not started are skipped, the trial is incomplete', async (t) => {
  // One run at a time, 10 CPU seconds each: the budget of 75 is spent during trial 2's seed 1.
  const s = spec({ parallel: 1, budget: { trials: 20, cpuSeconds: 75 } });
  const dir = tmp(t);
  const started: string[] = [];
  const r = await costed(dir, s, 1, { seen: started });
  t.ok(r.schedule.finished);
  t.same(started, ['0-s0', '0-s1', '0-s2', '1-s0', '1-s1', '1-s2', '2-s0', '2-s1'], 'no run started once the budget was spent');
  const text = readFileSync(path.join(dir, 'l.jsonl'), 'utf8');
  const events = parseLedger(text, 'l').events;
  const stopAt = events.findIndex((e) => e.type === 'stop');
  t.same(events[stopAt], { type: 'stop', reason: 'cpu', values: { cpu_seconds: 75 }, under_way: [] }, 'written after trial 2 seed 1, with nothing else under way');
  t.same(events.slice(stopAt + 1, stopAt + 3), [
    { type: 'result', trial: 2, seed: 2, status: 'skipped' },
    { type: 'trial', trial: 2, state: 'incomplete', values: [events.find((e): e is ResultEvent => e.type === 'result' && e.trial === 2 && e.seed === 0)!.value!, events.find((e): e is ResultEvent => e.type === 'result' && e.trial === 2 && e.seed === 1)!.value!, null], incumbent: (events.filter((e): e is TrialEvent => e.type === 'trial')[1]!).incumbent },
  ]);
  const end = events[events.length - 1]!;
  t.match(end, { type: 'end', trials: 3, complete: 2, failed: 0, incomplete: 1 });
  const replay = replaySchedule(parseLedger(text, 'l'), s, samplers, 'l');
  t.ok(replay.ok, 'replay takes the stop and its runs under way at their word and re-derives the skip');

  // Two jobs: the stop lists the run still under way, which finishes and is written.
  const dir2 = tmp(t);
  const two = spec({ parallel: 1, budget: { trials: 20, cpuSeconds: 40 } });
  // Seed 0 finishes first, seed 1 later, so seed 1 is under way when seed 0's CPU spends the budget.
  await costed(dir2, two, 2, { delay: (q) => (q.seed === 1 ? 60 : 5) });
  const e2 = parseLedger(readFileSync(path.join(dir2, 'l.jsonl'), 'utf8'), 'l').events;
  const stop2 = e2.find((e): e is StopEvent => e.type === 'stop')!;
  t.match(stop2, { reason: 'cpu' });
  t.ok(stop2.under_way!.length >= 1, `runs under way at the stop: ${JSON.stringify(stop2.under_way)}`);
  for (const [trial, seed] of stop2.under_way!) t.ok(e2.some((e) => e.type === 'result' && e.trial === trial && e.seed === seed && e.status === 'complete'), `trial ${trial} seed ${seed}, under way at the stop, finished and was written`);
  t.ok(e2.some((e) => e.type === 'result' && e.status === 'skipped'), 'and a seed not started was skipped');
  t.ok(replaySchedule(parseLedger(readFileSync(path.join(dir2, 'l.jsonl'), 'utf8'), 'l'), two, samplers, 'l').ok);

  // A stop claiming a run under way that had already been written is a difference.
  const written = events.slice(0, stopAt).filter((e): e is ResultEvent => e.type === 'result').pop()!;
  const claimed = events.map((e, i) => (i === stopAt ? { ...(e as StopEvent), under_way: [[written.trial, written.seed]] as [number, number][] } : e));
  const bad = replaySchedule(parseLedger(rechain(claimed), 'l'), s, samplers, 'l');
  t.notOk(bad.ok, 'a claimed run under way that already has its result');
  if (!bad.ok) t.match(bad.difference.field, /^under_way/);
  // A crafted list of another shape: a difference on replay, a located broken ledger on resume.
  for (const junk of ['2:1', [[2]], [[2, -1]], [['2', 1]], { 0: [2, 1] }]) {
    const crafted = events.map((e, i) => (i === stopAt ? ({ ...(e as StopEvent), under_way: junk } as unknown as StopEvent) : e));
    const rr = replaySchedule(parseLedger(rechain(crafted), 'l'), s, samplers, 'l');
    t.notOk(rr.ok, `replay: under_way ${JSON.stringify(junk)} is a difference`);
    t.throws(() => scheduleFrom(parseLedger(rechain(crafted), 'l'), s, samplers, 'l'), { code: 'RX_LEDGER_BROKEN', message: /l:\d+: stop.under_way must be a list/ }, `resume: ${JSON.stringify(junk)} is a broken ledger, located`);
  }
  // A ledger of earlier rx, whose time and CPU stops came between trials and listed nothing.
  const dir3 = tmp(t);
  const boundary = spec({ parallel: 1, budget: { trials: 20, cpuSeconds: 60 } });
  await costed(dir3, boundary, 1);
  const e3 = parseLedger(readFileSync(path.join(dir3, 'l.jsonl'), 'utf8'), 'l').events;
  t.same(e3.find((e) => e.type === 'stop'), { type: 'stop', reason: 'cpu', values: { cpu_seconds: 60 }, under_way: [] }, 'spent by the last run of trial 1: a stop between trials');
  const old = e3.map((e) => (e.type === 'stop' ? { type: 'stop', reason: 'cpu', values: { cpu_seconds: 60 } } as StopEvent : e));
  t.ok(replaySchedule(parseLedger(rechain(old), 'l'), boundary, samplers, 'l').ok, 'the same stop without under_way, as earlier rx wrote it, replays');
});

t.test('a tampered racing result is named by replay', async (t) => {
  const s = spec({ racing: { maxSeeds: 5, alpha: 0.05, top: 3 } });
  const dir = tmp(t);
  await drive(dir, s, 2, async (r) => ({ status: 'complete', ref: ref(r), value: accuracy(r) }));
  const parsed = parseLedger(readFileSync(path.join(dir, 'l.jsonl'), 'utf8'), 'l');
  const race = parsed.events.findIndex((e) => e.type === 'race');
  const idx = parsed.events.findIndex((e, i) => i > race && e.type === 'result');
  t.ok(idx > 0);
  const events = parsed.events.map((e, i) => (i === idx ? { ...(e as ResultEvent), value: 0.999 } : e));
  const tampered = parseLedger(rechain(events), 'l');
  const replay = replaySchedule(tampered, s, samplers, 'l');
  t.notOk(replay.ok, 'a changed racing value changes the next decision');
  if (!replay.ok) t.ok(replay.difference.line > idx + 1, `differs at line ${replay.difference.line} (${replay.difference.field})`);
});

function rechain(events: readonly LedgerEvent[]): string {
  const lines: string[] = [];
  events.forEach((e, i) => lines.push(encodeLine(e, i, lines[i - 1])));
  return lines.map((l) => l + '\n').join('');
}

// ---- pruning ----

const EPOCHS = 9;
/** Learning curves that rise to a configuration's accuracy; per-seed noise shared across configurations. */
function curve(r: RunRequest): number[] {
  const top = accuracy(r);
  return Array.from({ length: EPOCHS }, (_, e) => +(top * (1 - Math.exp(-(e + 1) / 2.5)) + 0.001 * Math.cos(e + r.seed)).toFixed(6));
}

const pruned = (over: Partial<ScheduleSpec> = {}) =>
  spec({ budget: { trials: 14 }, pruning: { method: 'asha', resource: 'epochs', min: 1, max: EPOCHS, eta: 3, metric: 'acc', direction: 'maximize' }, ...over });

/** Runs to the end always: the schedule alone judges the curves. */
const toEnd = (r: RunRequest): RunOutcome => {
  const c = curve(r);
  return { status: 'complete', ref: ref(r), value: c[c.length - 1]!, curve: c };
};

/** Stops a run like the executor does: at the first rung it misses, some epochs late (a slow watcher). */
function early(lateBy: number) {
  return (r: RunRequest): RunOutcome => {
    const c = curve(r);
    if (r.prune) {
      for (let e = 1; e <= c.length; e++) {
        if (judge(r.prune, 'maximize', curveRecord(c.slice(0, e)), false).pruned) {
          const seen = Math.min(c.length, e + ((r.trial + r.seed) % (lateBy + 1)));
          return { status: 'pruned', ref: ref(r), curve: c.slice(0, seen) };
        }
      }
    }
    return toEnd(r);
  };
}

t.test('pruning: stopped early or left to finish, the runs write the same ledger; prunes are censored', async (t) => {
  const s = pruned();
  const ledgers: string[] = [];
  for (const [jobs, run] of [
    [1, toEnd],
    [3, early(0)],
    [2, early(2)],
  ] as const) {
    const dir = tmp(t);
    const r = await drive(dir, s, jobs, delayed(jobs, run));
    t.ok(r.schedule.finished);
    ledgers.push(readFileSync(path.join(dir, 'l.jsonl'), 'utf8'));
  }
  t.equal(ledgers[1], ledgers[0], 'stopped at the rung = judged after the fact');
  t.equal(ledgers[2], ledgers[0], 'a watcher a few epochs late changes nothing');
  const events = parseLedger(ledgers[0]!, 'l').events;
  const starts = events.filter((e): e is StartEvent => e.type === 'start');
  t.same(starts[0]!.prune!.rungs, [1, 3], 'rungs 1 and 3 below the 9 epochs');
  t.ok(starts[0]!.prune!.thresholds.every((x) => x.rungs.every((g) => g.threshold === null)), 'the first trial has nothing to compete with');
  const prunedRuns = events.filter((e): e is ResultEvent => e.type === 'result' && e.status === 'pruned');
  t.ok(prunedRuns.length > 0, `${prunedRuns.length} runs pruned`);
  for (const p of prunedRuns) {
    t.equal(p.curve!.length, p.epoch, 'a pruned run keeps its curve up to the rung');
    t.ok(p.value! < p.threshold!, 'below the threshold it missed');
  }
  const censored = events.filter((e): e is TrialEvent => e.type === 'trial' && e.state === 'pruned');
  t.ok(censored.length > 0);
  for (const c of censored) t.ok(c.step === 1 || c.step === 3, `trial ${c.trial} censored at epoch ${c.step}`);
  // Later suggestions see pruned trials as censored, with their step.
  const lastSuggest = [...events].reverse().find((e) => e.type === 'suggest')!;
  const seen = (lastSuggest as Extract<LedgerEvent, { type: 'suggest' }>).details.seen as [number, string, number | null, number | null][];
  t.ok(seen.some(([, state, , step]) => state === 'pruned' && step !== null), 'samplers get pruned trials with their step');
  const end = events[events.length - 1]!;
  t.ok(end.type === 'end' && end.pruned === censored.length);
  const replay = replaySchedule(parseLedger(ledgers[0]!, 'l'), s, samplers, 'l');
  t.ok(replay.ok, 'replay re-derives every prune');
  if (replay.ok) t.equal(replay.result.prunes, prunedRuns.length);
});

t.test('replay catches a prune that was not due and a run that got past its rung', async (t) => {
  const s = pruned();
  const dir = tmp(t);
  await drive(dir, s, 2, async (r) => early(0)(r));
  const parsed = parseLedger(readFileSync(path.join(dir, 'l.jsonl'), 'utf8'), 'l');
  const i = parsed.events.findIndex((e) => e.type === 'result' && e.status === 'pruned');
  const p = parsed.events[i] as ResultEvent;
  // The pruned run's value raised over its threshold: it would have been promoted.
  const raised = parsed.events.map((e, k) => (k === i ? { ...p, curve: p.curve!.map((v) => v + 0.5), value: p.value! + 0.5 } : e));
  const r1 = replaySchedule(parseLedger(rechain(raised), 'l'), s, samplers, 'l');
  t.notOk(r1.ok);
  if (!r1.ok) t.equal(r1.difference.line, i + 1, 'named at the pruned result');
  // A complete run whose curve misses a rung: replay says it should have been pruned.
  const j = parsed.events.findIndex((e) => e.type === 'result' && e.status === 'complete' && (parsed.events.find((x) => x.type === 'start' && x.trial === e.trial) as StartEvent).prune!.thresholds.some((x) => x.rungs.some((g) => g.threshold !== null)));
  t.ok(j > 0, 'a complete run with real thresholds');
  const c = parsed.events[j] as ResultEvent;
  const lowered = parsed.events.map((e, k) => (k === j ? { ...c, curve: c.curve!.map(() => 0.01) } : e));
  const r2 = replaySchedule(parseLedger(rechain(lowered), 'l'), s, samplers, 'l');
  t.notOk(r2.ok);
  if (!r2.ok) {
    t.equal(r2.difference.line, j + 1);
    t.equal((r2.difference.expected as ResultEvent).status, 'pruned', 're-derived as a prune');
  }
});

t.test('a run with no per-epoch curve fails its trial under pruning, with the reason', async (t) => {
  const dir = tmp(t);
  const r = await drive(dir, pruned({ budget: { trials: 2 } }), 1, async (q) => ({ status: 'complete', ref: ref(q), value: 0.9 }));
  const results = r.schedule.events.filter((e): e is ResultEvent => e.type === 'result');
  t.ok(results.every((e) => e.status === 'failed' && /no per-epoch acc/.test(e.error!)));
});

t.test('pruning and racing together: racing runs are never pruned', async (t) => {
  const s = pruned({ racing: { maxSeeds: 5, alpha: 0.05, top: 3 } });
  const dir = tmp(t);
  const r = await drive(dir, s, 3, delayed(9, early(1)));
  t.ok(r.schedule.finished);
  const events = r.schedule.events;
  const firstRace = events.findIndex((e) => e.type === 'race');
  t.ok(firstRace > 0);
  t.ok(events.slice(firstRace).every((e) => e.type !== 'result' || e.status === 'complete'), 'racing results are complete runs');
  writeFileSync(path.join(dir, 'copy.jsonl'), readFileSync(path.join(dir, 'l.jsonl')));
  const replay = replaySchedule(parseLedger(readFileSync(path.join(dir, 'copy.jsonl'), 'utf8'), 'l'), s, samplers, 'l');
  t.ok(replay.ok);
});

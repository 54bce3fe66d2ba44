// The search schedule and its ledger: the same bytes whatever the number of jobs and the
// order runs finish in, an interrupted search resumes to the uninterrupted ledger, replay
// re-derives every line and names the first that differs, an edited line breaks the chain,
// phases, refinement, stopping rules and failed runs are recorded as decisions.
import t from 'tap';
import { mkdtempSync, readFileSync, writeFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { driveSearch, replaySchedule, scheduleFrom, earlierPartsSeconds, runsUnderWay, type RunRequest } from '../../src/search/driver.js';
import { parseLedger, encodeLine, type LedgerEvent } from '../../src/search/ledger.js';
import type { SamplerSet, ScheduleSpec } from '../../src/search/schedule.js';
import type { RunOutcome } from '../../src/search/outcome.js';
import { shrinkBounds } from '../../src/search/phase-space.js';
import { samplePrior } from '../../src/search/space.js';
import { streamFor } from '../../src/search/rng.js';
import type { Method, Sampler, Space } from '../../src/search/types.js';
import { RxError } from '../../src/core/errors.js';

const space: Space = {
  params: [
    { name: 'x', path: 'params.yaml:x', type: 'float', low: -2, high: 2, log: false },
    { name: 'kind', path: 'params.yaml:kind', type: 'categorical', choices: ['a', 'b'] },
    { name: 'y', path: 'params.yaml:y', type: 'int', low: 0, high: 10, log: false, step: 1, when: { kind: ['b'] } },
  ],
};

/** A sampler whose suggestion depends on everything it is shown, so any difference in history shows. */
const probe: Sampler = {
  name: 'probe',
  version: '1',
  suggest(input) {
    const rng = streamFor(input.seed, input.number, 'probe');
    const done = input.trials.filter((t) => t.state === 'complete');
    const best = done.reduce((b, t) => (b === undefined || t.value! < b.value! ? t : b), undefined as (typeof done)[number] | undefined);
    const config = samplePrior(input.space, rng);
    if (best && typeof best.config.x === 'number' && rng.uniform() < 0.5) config.x = Math.max(input.space.params[0]!.type === 'float' ? (input.space.params[0] as { low: number }).low : -2, Math.min((input.space.params[0] as { high: number }).high, best.config.x + (rng.uniform() - 0.5) * 0.1));
    return {
      config,
      sampler: 'probe',
      details: { seen: input.trials.map((t) => [t.number, t.state, t.value ?? null]), low: (input.space.params[0] as { low: number }).low },
    };
  },
};

const samplers: SamplerSet = {
  get: (_m: Method) => probe,
  versions: { probe: '1' },
};

function spec(over: Partial<ScheduleSpec> = {}): ScheduleSpec {
  return {
    name: 'toy',
    hash: 'a'.repeat(64),
    objective: { metric: 'metrics.json:score', direction: 'minimize' },
    seed: 7,
    seeds: [0, 1],
    parallel: 3,
    budget: { trials: 12 },
    stop: {},
    phases: [{ method: 'random', trials: 5 }, { method: 'tpe', refine: { shrink: 0.25 } }],
    space,
    ...over,
  };
}

function objective(r: RunRequest): RunOutcome {
  const x = r.config.x as number;
  const y = typeof r.config.y === 'number' ? r.config.y : 5;
  if (r.trial === 4 && r.seed === 1) return { status: 'failed', ref: `refs/rx/exps/b/toy/${r.trial}-s${r.seed}`, exitCode: 3, log: `.rx/logs/search/toy/${r.trial}-s${r.seed}.log` };
  return { status: 'complete', ref: `refs/rx/exps/b/toy/${r.trial}-s${r.seed}`, value: (x - 0.5) ** 2 + (y - 3) ** 2 / 100 + r.seed * 0.01, metrics: { score: 1 } };
}

/** A run function that finishes in a seeded, scrambled order (microtask/timer delays). */
function scrambled(seed: number) {
  const rng = streamFor(seed, 0, 'delays');
  return async (r: RunRequest): Promise<RunOutcome> => {
    await new Promise((res) => setTimeout(res, Math.floor(rng.uniform() * 6)));
    return objective(r);
  };
}

function tmp(t: Tap.Test): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'rx-schedule-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function drive(dir: string, s: ScheduleSpec, jobs: number, run: (r: RunRequest) => Promise<RunOutcome>, extra: Partial<Parameters<typeof driveSearch>[0]> = {}) {
  return driveSearch({
    spec: s,
    baseline: 'b'.repeat(40),
    samplers,
    ledgerFile: path.join(dir, 'toy.ledger.jsonl'),
    ledgerName: 'search/toy.ledger.jsonl',
    timesFile: path.join(dir, 'toy.times.jsonl'),
    jobs,
    run,
    now: Date.now,
    ...extra,
  });
}

declare namespace Tap {
  type Test = Parameters<Parameters<typeof t.test>[1]>[0];
}

t.test('the ledger is the same bytes for 1, 2 and 3 jobs and any finishing order', async (t) => {
  const ledgers: string[] = [];
  for (const [jobs, order] of [
    [1, 1],
    [2, 2],
    [3, 3],
    [3, 4],
    [6, 5],
  ] as const) {
    const dir = tmp(t);
    const r = await drive(dir, spec(), jobs, scrambled(order));
    t.ok(r.schedule.finished, `jobs ${jobs}: finished`);
    ledgers.push(readFileSync(path.join(dir, 'toy.ledger.jsonl'), 'utf8'));
  }
  for (let i = 1; i < ledgers.length; i++) t.equal(ledgers[i], ledgers[0], `run ${i} equals run 0`);
  const events = parseLedger(ledgers[0]!, 'l').events;
  const suggests = events.filter((e) => e.type === 'suggest');
  t.equal(suggests.length, 12);
  // Suggestion n saw exactly trials 0..n-3 with results and n-2, n-1 as running.
  const s7 = suggests[7] as Extract<LedgerEvent, { type: 'suggest' }>;
  t.equal(s7.history, 5);
  t.same(s7.liars, [5, 6]);
  t.same(
    (s7.details.seen as unknown[][]).map((x) => x[1]),
    ['complete', 'complete', 'complete', 'complete', 'failed', 'running', 'running'],
  );
  t.equal(events.filter((e) => e.type === 'trial' && e.state === 'failed').length, 1, 'the failed run makes its trial failed');
  const stop = events.find((e) => e.type === 'stop');
  t.match(stop, { reason: 'budget', values: { trials: 12 } });
  t.equal(events[events.length - 1]!.type, 'end');
  t.notOk(/"at"|pid|seconds|host/.test(ledgers[0]!), 'no clock, pid or durations in the ledger');
});

t.test('a refinement phase shrinks numeric bounds around the incumbent and records them', async (t) => {
  const dir = tmp(t);
  await drive(dir, spec({ parallel: 1 }), 1, async (r) => objective(r));
  const events = parseLedger(readFileSync(path.join(dir, 'toy.ledger.jsonl'), 'utf8'), 'l').events;
  const phases = events.filter((e) => e.type === 'phase') as Extract<LedgerEvent, { type: 'phase' }>[];
  t.equal(phases.length, 2);
  t.equal(phases[1]!.trial, 5);
  const refine = phases[1]!.refine!;
  const trials = events.filter((e) => e.type === 'trial') as Extract<LedgerEvent, { type: 'trial' }>[];
  t.equal(refine.incumbent, trials[4]!.incumbent!.trial);
  const [lo, hi] = refine.bounds.x!;
  t.ok(Math.abs(hi - lo - 1) < 1e-12, 'x range shrinks to a quarter of 4');
  for (const e of events) if (e.type === 'suggest' && e.trial >= 5) t.ok((e.config.x as number) >= lo && (e.config.x as number) <= hi, `trial ${e.trial} within the refined bounds`);
  t.same(shrinkBounds({ name: 'n', path: 'p:n', type: 'int', low: 0, high: 10, log: false, step: 2 }, 10, 0.1), [8, 10], 'an int range keeps two values at the edge');
  t.same(shrinkBounds({ name: 'l', path: 'p:l', type: 'float', low: 1e-4, high: 1, log: true }, 1e-2, 0.5).map((v) => +v.toPrecision(6)), [0.001, 0.1], 'log bounds shrink in decades');
});

t.test('an interrupted search resumes to the ledger an uninterrupted one writes', async (t) => {
  const whole = tmp(t);
  await drive(whole, spec(), 2, scrambled(9));
  const expected = readFileSync(path.join(whole, 'toy.ledger.jsonl'), 'utf8');
  for (const cut of [3, 7, 11]) {
    const dir = tmp(t);
    // --max-trials pauses after `cut` suggestions; then a crash leaves a torn last line.
    const first = await drive(dir, spec(), 3, scrambled(cut), { maxTrials: cut });
    t.ok(first.paused, `paused after ${cut}`);
    const file = path.join(dir, 'toy.ledger.jsonl');
    writeFileSync(file, readFileSync(file, 'utf8') + '{"seq":99,"type":"sugg');
    const ran: string[] = [];
    const second = await drive(dir, spec(), 1, async (r) => {
      ran.push(`${r.trial}:${r.seed}`);
      return objective(r);
    });
    t.ok(second.resumed && second.schedule.finished);
    t.equal(readFileSync(file, 'utf8'), expected, `resumed after ${cut} equals the whole run`);
    t.equal(new Set(ran).size, ran.length, 'no run repeated within the resume');
  }
  // An abort mid-way: the error says how to resume, and resuming completes the same ledger.
  const dir = tmp(t);
  const ac = new AbortController();
  let n = 0;
  await t.rejects(
    drive(dir, spec(), 2, async (r) => {
      if (++n === 9) ac.abort('SIGINT');
      return objective(r);
    }, { signal: ac.signal }),
    { code: 'RX_INTERRUPTED' },
  );
  await drive(dir, spec(), 2, scrambled(1));
  t.equal(readFileSync(path.join(dir, 'toy.ledger.jsonl'), 'utf8'), expected);
});

t.test('the wall-time budget spans every part of a resumed search, counted from the times file', async (t) => {
  const at = (s: number) => new Date(Date.UTC(2026, 0, 1) + s * 1000).toISOString();
  const line = (s: number, rec: Record<string, unknown>) => JSON.stringify({ at: at(s), ...rec });
  t.same(runsUnderWay(''), []);
  t.same(
    runsUnderWay([line(0, { event: 'part' }), line(1, { event: 'start', trial: 0, seed: 0 }), line(2, { event: 'start', trial: 0, seed: 1 }), line(3, { event: 'end', trial: 0, seed: 0 }), 'null', '[1]', 'torn {'].join('\n')),
    [{ trial: 0, seed: 1, since: at(2) }],
    'started and not ended',
  );
  t.same(runsUnderWay([line(0, { event: 'start', trial: 3, seed: 0 }), line(9, { event: 'part' }), line(10, { event: 'start', trial: 4, seed: 2 })].join('\n')), [{ trial: 4, seed: 2, since: at(10) }], 'a run of an earlier (killed) part is not under way');
  t.same(earlierPartsSeconds(''), { seconds: 0, cpuSeconds: 0, parts: 0 });
  t.same(earlierPartsSeconds([line(0, { event: 'start' }), line(50, { event: 'end' })].join('\n')), { seconds: 50, cpuSeconds: 0, parts: 1 }, 'a times file of older rx: one part');
  const twoParts = [line(0, { event: 'part', fresh: true }), line(5, { event: 'start', cpu: 1 }), line(40, { event: 'end', cpu: 70 }), line(100, { event: 'part' }), line(130, { event: 'start', cpu: 0.5 }), 'torn {', line(160, { event: 'part-end', cpu: 55 })];
  t.same(earlierPartsSeconds(twoParts.join('\n')), { seconds: 100, cpuSeconds: 125, parts: 2 }, 'each part from its first to its last line, its CPU its last figure; bad lines skipped');
  t.same(earlierPartsSeconds([...twoParts, line(500, { event: 'part', fresh: true }), line(520, { event: 'end', cpu: 9 })].join('\n')), { seconds: 20, cpuSeconds: 9, parts: 1 }, 'a part that started a new ledger forgets the ones before');

  // Each run takes 10 s of a fake clock; the budget is 100 s.
  let clock = Date.UTC(2026, 0, 1);
  const timed = { now: () => clock };
  const run = async (r: RunRequest) => {
    clock += 10_000;
    return objective(r);
  };
  const budget = spec({ budget: { trials: 1000, timeSeconds: 100 }, parallel: 1 });
  const whole = tmp(t);
  await drive(whole, budget, 1, run, timed);
  const wholeEvents = parseLedger(readFileSync(path.join(whole, 'toy.ledger.jsonl'), 'utf8'), 'l').events;
  const stop = wholeEvents.find((e) => e.type === 'stop') as Extract<LedgerEvent, { type: 'stop' }>;
  t.equal(stop?.reason, 'time', 'one invocation stops on time');
  const wholeTrials = wholeEvents.filter((e) => e.type === 'suggest').length;

  const dir = tmp(t);
  const first = await drive(dir, budget, 1, run, { ...timed, maxTrials: 2 });
  t.ok(first.paused);
  t.equal(first.earlierSeconds, 0);
  t.equal(first.elapsedSeconds, 40, 'two trials on two seeds');
  clock += 3_600_000; // an hour between the parts does not count
  const second = await drive(dir, budget, 1, run, timed);
  t.equal(second.earlierSeconds, 40, 'the first part used 40 s');
  t.ok(second.elapsedSeconds >= 100, `the whole search used its budget (${second.elapsedSeconds} s)`);
  const events = parseLedger(readFileSync(path.join(dir, 'toy.ledger.jsonl'), 'utf8'), 'l').events;
  t.equal((events.find((e) => e.type === 'stop') as { reason?: string } | undefined)?.reason, 'time', 'the resumed part stops on time too');
  t.equal(events.filter((e) => e.type === 'suggest').length, wholeTrials, 'after as many trials as one uninterrupted invocation');
  const times = readFileSync(path.join(dir, 'toy.times.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  t.same(times.filter((r) => r.event === 'part').map((r) => [r.fresh, r.earlier_seconds]), [[true, 0], [false, 40]], 'each part is marked in the times file');
  t.equal(times.filter((r) => r.event === 'part-end').length, 2);

  // A CPU budget: each run costs 25 CPU seconds and 1 s of wall time; 200 CPU seconds in all.
  let cpu = 0;
  const cpuRun = async (r: RunRequest) => {
    cpu += 25;
    clock += 1000;
    return objective(r);
  };
  const cpuBudget = spec({ budget: { trials: 1000, cpuSeconds: 200 }, parallel: 1 });
  const cdir = tmp(t);
  const p1 = await drive(cdir, cpuBudget, 1, cpuRun, { now: () => clock, cpu: () => cpu, maxTrials: 1 });
  t.same([p1.cpuSeconds, p1.earlierCpuSeconds], [50, 0], 'one trial on two seeds: 50 CPU seconds');
  cpu += 1000; // another process's CPU time between the parts does not count: each part counts from its own start
  const p2 = await drive(cdir, cpuBudget, 1, cpuRun, { now: () => clock, cpu: () => cpu });
  t.equal(p2.earlierCpuSeconds, 50);
  t.equal(p2.cpuSeconds, 200, 'stopped once 200 CPU seconds were used over both parts');
  const cpuEvents = parseLedger(readFileSync(path.join(cdir, 'toy.ledger.jsonl'), 'utf8'), 'l').events;
  t.same(cpuEvents.find((e) => e.type === 'stop'), { type: 'stop', reason: 'cpu', values: { cpu_seconds: 200 }, under_way: [] }, 'the stop line names the CPU budget (between trials: nothing under way)');
  t.equal(cpuEvents.filter((e) => e.type === 'suggest').length, 4, 'four trials of two seeds at 25 CPU seconds a run');
  const replayed = replaySchedule(parseLedger(readFileSync(path.join(cdir, 'toy.ledger.jsonl'), 'utf8'), 'l'), cpuBudget, samplers, 'l');
  t.ok(replayed.ok, 'replay accepts the CPU stop');
});

t.test('replay re-derives every line; an edit or a different spec is caught', async (t) => {
  const dir = tmp(t);
  await drive(dir, spec(), 3, scrambled(2));
  const file = path.join(dir, 'toy.ledger.jsonl');
  const text = readFileSync(file, 'utf8');
  const parsed = parseLedger(text, 'l');
  const ok = replaySchedule(parsed, spec(), samplers, 'l');
  t.ok(ok.ok);
  if (ok.ok) {
    t.equal(ok.result.suggestions, 12);
    t.ok(ok.result.finished);
  }
  // A re-chained ledger whose recorded result was changed: the chain holds, replay finds the trial summary that no longer follows.
  const lines = text.trimEnd().split('\n');
  const events = lines.map((l) => JSON.parse(l));
  const idx = events.findIndex((e) => e.type === 'result' && e.trial === 0 && e.seed === 0);
  events[idx].value = 123;
  let prev: string | undefined;
  const rechained = events.map((e, i) => {
    const { seq: _s, prev: _p, ...body } = e;
    const line = encodeLine(body, i, prev);
    prev = line;
    return line;
  });
  const forged = replaySchedule(parseLedger(rechained.join('\n') + '\n', 'l'), spec(), samplers, 'l');
  t.notOk(forged.ok);
  if (!forged.ok) {
    t.equal(forged.difference.line, idx + 3, 'the summary line after the two results');
    t.match(forged.difference.field, /value/);
  }
  // A hand edit without re-chaining: exit 4 at the edited line's successor.
  const edited = lines.slice();
  edited[5] = edited[5]!.replace(/"trial":(\d+)/, (_m, d) => `"trial":${Number(d)}`).replace('"seq":5', '"seq":5 ');
  t.throws(() => parseLedger(edited.join('\n') + '\n', 'search/toy.ledger.jsonl'), { code: 'RX_LEDGER_BROKEN', data: { line: 6 } }, 'a line not in canonical form');
  // A line changed and re-serialised canonically: the next line's link breaks.
  const value = lines.slice();
  const rec = JSON.parse(value[3]!);
  rec.seeds = [0];
  const { seq: _q, prev: _r, ...body3 } = rec;
  value[3] = encodeLine(body3, 3, value[2]);
  try {
    parseLedger(value.join('\n') + '\n', 'search/toy.ledger.jsonl');
    t.fail('an edited line passed');
  } catch (err) {
    t.equal((err as RxError).code, 'RX_LEDGER_BROKEN');
    t.equal((err as RxError).exitCode, 4);
    t.equal((err as RxError).data.line, 4, 'the edited line is named (the next one no longer links to it)');
  }
  const removed = lines.filter((_l, i) => i !== 6);
  t.throws(() => parseLedger(removed.join('\n') + '\n', 'l'), { code: 'RX_LEDGER_BROKEN' });
  // A ledger of another spec.
  t.throws(() => scheduleFrom(parsed, spec({ hash: 'c'.repeat(64) }), samplers, 'l'), { code: 'RX_LEDGER_OTHER_SPEC' });
  // A sampler that now decides differently: replay names the suggestion line and field.
  const changed: SamplerSet = {
    get: () => ({ ...probe, suggest: (i) => ({ ...probe.suggest(i), config: i.number === 6 ? { x: 0, kind: 'a' } : probe.suggest(i).config }) }),
    versions: { probe: '1' },
  };
  const diff = replaySchedule(parsed, spec(), changed, 'l');
  t.notOk(diff.ok);
  if (!diff.ok) {
    t.equal(diff.difference.found.type, 'suggest');
    t.match(diff.difference.field, /^config/);
  }
});

t.test('stopping rules: target and no improvement, with the values that triggered them', async (t) => {
  const dir = tmp(t);
  await drive(dir, spec({ stop: { target: 0.3 }, budget: { trials: 40 }, parallel: 1 }), 1, async (r) => objective(r));
  const events = parseLedger(readFileSync(path.join(dir, 'toy.ledger.jsonl'), 'utf8'), 'l').events;
  const stop = events.find((e) => e.type === 'stop') as Extract<LedgerEvent, { type: 'stop' }>;
  t.equal(stop.reason, 'target');
  t.ok((stop.values.value as number) <= 0.3);
  const trials = events.filter((e) => e.type === 'trial') as Extract<LedgerEvent, { type: 'trial' }>[];
  t.equal(trials[trials.length - 1]!.trial, stop.values.trial, 'it stops right after the trial that reached the target');

  const dir2 = tmp(t);
  await drive(dir2, spec({ stop: { noImprovement: 3 }, budget: { trials: 60 }, parallel: 2 }), 2, async (r) => ({ status: 'complete', ref: 'r', value: r.trial === 1 ? -1 : r.trial }));
  const e2 = parseLedger(readFileSync(path.join(dir2, 'toy.ledger.jsonl'), 'utf8'), 'l').events;
  const stop2 = e2.find((e) => e.type === 'stop') as Extract<LedgerEvent, { type: 'stop' }>;
  t.match(stop2, { reason: 'no-improvement', values: { limit: 3, since: 3, best: 1 } });
  t.equal(e2.filter((e) => e.type === 'suggest').length, 6, 'trials already suggested (parallel 2) still finish');
  t.ok(existsSync(path.join(dir2, 'toy.times.jsonl')));
  const times = readFileSync(path.join(dir2, 'toy.times.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  t.ok(times.every((x) => typeof x.at === 'string'), 'wall-clock facts go to the times file');
});

t.test('replay re-derives a 100-trial history of the real samplers (qmc, tpe, refinement; gp)', async (t) => {
  const { samplerSetFor } = await import('../../src/search/samplers.js');
  const mixed: ScheduleSpec = spec({
    budget: { trials: 100 },
    parallel: 4,
    seeds: [0],
    phases: [{ method: 'qmc', trials: 10 }, { method: 'tpe', trials: 70 }, { method: 'tpe', refine: { shrink: 0.3 } }],
  });
  const real = samplerSetFor(mixed.phases.map((p) => p.method));
  const dir = tmp(t);
  await driveSearch({ spec: mixed, baseline: 'b'.repeat(40), samplers: real, ledgerFile: path.join(dir, 'l.jsonl'), ledgerName: 'l', timesFile: path.join(dir, 't.jsonl'), jobs: 4, run: scrambled(5), now: Date.now });
  const parsed = parseLedger(readFileSync(path.join(dir, 'l.jsonl'), 'utf8'), 'l');
  const replay = replaySchedule(parsed, mixed, real, 'l');
  t.ok(replay.ok, 'every line re-derived');
  if (replay.ok) {
    t.equal(replay.result.suggestions, 100);
    t.equal(replay.result.decisions, 100 + 3 + 2, '100 trial summaries, 3 phases, the stop and the end');
  }
  const suggests = parsed.events.filter((e) => e.type === 'suggest') as Extract<LedgerEvent, { type: 'suggest' }>[];
  t.same([...new Set(suggests.map((s) => s.sampler))].sort(), ['qmc', 'tpe']);
  t.ok(suggests.filter((s) => s.sampler === 'tpe').every((s) => s.details.phase === 'tpe' || s.details.phase === 'startup'), 'TPE records its phase');
  // And a numeric space on gp, through auto.
  const numeric: ScheduleSpec = spec({ space: { params: [space.params[0]!, { name: 'z', path: 'params.yaml:z', type: 'float', low: 0, high: 1, log: false }] }, budget: { trials: 16 }, parallel: 2, seeds: [0], phases: [{ method: 'auto' }] });
  const autoSet = samplerSetFor(['auto']);
  const dir2 = tmp(t);
  await driveSearch({ spec: numeric, baseline: 'b'.repeat(40), samplers: autoSet, ledgerFile: path.join(dir2, 'l.jsonl'), ledgerName: 'l', timesFile: path.join(dir2, 't.jsonl'), jobs: 2, run: scrambled(6), now: Date.now });
  const p2 = parseLedger(readFileSync(path.join(dir2, 'l.jsonl'), 'utf8'), 'l');
  t.ok(replaySchedule(p2, numeric, autoSet, 'l').ok);
  t.ok(p2.events.some((e) => e.type === 'suggest' && e.sampler === 'gp'), 'auto chose gp for a numeric space');
  t.same((p2.events[0] as { samplers: Record<string, string> }).samplers, { auto: '1', gp: '1', tpe: '2' }, 'the header records auto and its delegates');
});

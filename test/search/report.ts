// The search report from a ledger: it follows its JSON schema, names the race's winner with an
// interval over every seed it ran, puts an equal configuration in the near-top set and a much
// worse one out of it, ranks the parameter that matters first, keeps prunes and failures, and
// renders as text and Markdown.
import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { driveSearch, type RunRequest } from '../../src/search/driver.js';
import type { SamplerSet, ScheduleSpec } from '../../src/search/schedule.js';
import type { RunOutcome } from '../../src/search/outcome.js';
import { buildReport } from '../../src/search/report.js';
import { renderSearchReport } from '../../src/report/search-report.js';
import { searchReportSchema } from '../../src/schema/search-report.js';
import { validatorFor } from '../../src/schema/validate.js';
import { samplePrior } from '../../src/search/space.js';
import { streamFor } from '../../src/search/rng.js';
import type { Method, Sampler, Space } from '../../src/search/types.js';

const space: Space = {
  params: [
    { name: 'width', path: 'models/cnn.yaml:blocks.0.filters', type: 'float', low: 0, high: 1, log: false },
    { name: 'rotate', path: 'augment/default.yaml:ops.rotate.p', type: 'float', low: 0, high: 1, log: false },
    { name: 'block', path: 'models/cnn.yaml:blocks.1.type', type: 'categorical', choices: ['conv', 'residual'] },
  ],
};

/** The first two trials are fixed twins near the optimum; the rest are random. */
const sampler: Sampler = {
  name: 'probe',
  version: '1',
  suggest(input) {
    if (input.number < 2) return { config: { width: 0.5, rotate: 0.3 + 0.01 * input.number, block: 'conv' }, sampler: 'probe', details: {} };
    return { config: samplePrior(input.space, streamFor(input.seed, input.number, 'probe')), sampler: 'probe', details: {} };
  },
};
const samplers: SamplerSet = { get: (_m: Method) => sampler, versions: { probe: '1' } };

const spec: ScheduleSpec = {
  name: 'rep',
  hash: 'd'.repeat(64),
  objective: { metric: 'metrics.json:acc', direction: 'maximize' },
  seed: 5,
  seeds: [0, 1, 2],
  parallel: 2,
  budget: { trials: 40 },
  stop: {},
  phases: [{ method: 'random' }],
  space,
  racing: { maxSeeds: 5, alpha: 0.05, top: 3 },
};

function accuracy(r: RunRequest): number {
  const w = r.config.width as number;
  const rot = r.config.rotate as number;
  return 0.9 - 0.6 * (w - 0.5) ** 2 - 0.01 * rot + 0.01 * Math.sin(r.seed * 7.3) + 0.001 * streamFor(r.seed, r.trial, 'own').normal();
}

t.test('the report of a raced search', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'rx-report-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const run = async (r: RunRequest): Promise<RunOutcome> => (r.trial === 7 && r.seed === 1 ? { status: 'failed', ref: `refs/rx/exps/b/rep/${r.trial}-s${r.seed}`, exitCode: 2, error: 'boom' } : { status: 'complete', ref: `refs/rx/exps/b/rep/${r.trial}-s${r.seed}`, value: accuracy(r) });
  const driven = await driveSearch({ spec, baseline: 'b'.repeat(40), samplers, ledgerFile: path.join(dir, 'l'), ledgerName: 'l', timesFile: path.join(dir, 't'), jobs: 2, run, now: Date.now });
  const report = buildReport(driven.schedule.events, space, { alpha: 0.05, importanceResamples: 50 });
  const validate = validatorFor(searchReportSchema);
  t.ok(validate(report), `follows rx.search-report/1 ${JSON.stringify(validate.errors)}`);
  t.same(buildReport(driven.schedule.events, space, { alpha: 0.05, importanceResamples: 50 }), report, 'the same report twice (seeded)');

  const w = report.winner!;
  const end = driven.schedule.events[driven.schedule.events.length - 1]!;
  t.ok(end.type === 'end' && end.best!.trial === w.trial, 'the winner is the one the ledger ended with');
  t.ok(w.seeds.length > 3, `the winner ran on racing seeds too (${w.seeds.join(',')})`);
  t.ok(w.stats.mean.percentile.low <= w.stats.mean.estimate && w.stats.mean.estimate <= w.stats.mean.percentile.high);
  t.match(w.reproduce.commands[0], new RegExp(`^rx search apply rep ${w.trial}$`));
  t.match(w.reproduce.ref, /^refs\/rx\/exps\/b\/rep\//);

  const twins = [0, 1].filter((x) => x !== w.trial);
  if (w.trial === 0 || w.trial === 1) t.ok(report.nearTop.rows.some((r) => r.trial === twins[0]), 'the twin of the winner is near-top');
  for (const row of report.nearTop.rows) {
    t.ok(row.difference.adjusted >= 0.05, `near-top trial ${row.trial}: Holm-adjusted p ${row.difference.adjusted} >= alpha`);
    t.ok(row.probabilityOfImprovement >= 0 && row.probabilityOfImprovement <= 1);
  }
  t.ok(report.nearTop.rejected.length > 0, 'clearly worse trials are out of the near-top set');
  t.equal(report.importance[0]!.param, 'width', 'the parameter that matters ranks first');
  t.ok(report.interactions.every((x) => x.families[0] !== x.families[1]), 'only pairs across families');
  t.equal(report.sensitivity.length, 3);
  t.equal(report.curve.best.length, report.counts.trials);
  t.ok(report.curve.random.length > 0 && report.curve.random.every((v, i, a) => i === 0 || v >= a[i - 1]! - 1e-12), 'the random-search curve rises');
  t.same(report.failures.map((f) => [f.trial, f.seed, f.exitCode]), [[7, 1, 2]]);
  t.ok(report.racing && report.racing.rounds >= 1);

  const text = renderSearchReport(report, false);
  const md = renderSearchReport(report, true);
  for (const s of ['Winner', 'Near-top set', 'Importance', 'Interactions across families', 'Best so far against random search', 'Racing', 'Failures']) {
    t.ok(text.includes(s), `text has ${s}`);
    t.ok(md.includes(`## ${s}`), `markdown has ## ${s}`);
  }
  t.match(text, /trial \d+: metrics\.json:acc [\d.]+ ± [\d.]+ \(mean over \d+ seed/);
  t.match(md, /```sh\nrx search apply rep \d+\n/);
});

t.test('the report of a race the CPU budget ended', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'rx-report-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  let cpu = 0;
  const run = async (r: RunRequest): Promise<RunOutcome> => {
    cpu += 10;
    return { status: 'complete', ref: `refs/rx/exps/b/rep/${r.trial}-s${r.seed}`, value: accuracy(r) };
  };
  const budgeted = { ...spec, budget: { trials: 40, cpuSeconds: 120 } };
  const driven = await driveSearch({ spec: budgeted, baseline: 'b'.repeat(40), samplers, ledgerFile: path.join(dir, 'l'), ledgerName: 'l', timesFile: path.join(dir, 't'), jobs: 2, run, now: Date.now, cpu: () => cpu });
  const report = buildReport(driven.schedule.events, space, { alpha: 0.05, importanceResamples: 50 });
  const validate = validatorFor(searchReportSchema);
  t.ok(validate(report), `follows rx.search-report/1 ${JSON.stringify(validate.errors)}`);
  t.match(report.stop, { reason: 'cpu' });
  const last = report.racing!.decisions[report.racing!.decisions.length - 1]!;
  t.match(last, { reason: 'budget', spent: 'cpu', next: null });
  t.equal(report.winner!.trial, last.incumbent.trial);
  t.equal(report.winner!.seeds.length, 3, 'no racing seed was run');
  const md = renderSearchReport(report, true);
  t.match(md, new RegExp(`cpu budget spent \\(unsettled: ${last.unsettled!.join(', ')}\\)`));
});

t.test('a report of a search with nothing complete yet', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'rx-report-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const driven = await driveSearch({ spec: { ...spec, budget: { trials: 2 }, racing: undefined }, baseline: 'b'.repeat(40), samplers, ledgerFile: path.join(dir, 'l'), ledgerName: 'l', timesFile: path.join(dir, 't'), jobs: 1, run: async (r) => ({ status: 'failed', ref: `refs/rx/exps/b/rep/${r.trial}-s${r.seed}`, error: 'no' }), now: Date.now });
  const report = buildReport(driven.schedule.events, space);
  t.ok(validatorFor(searchReportSchema)(report));
  t.equal(report.winner, null);
  t.equal(report.failures.length, 6);
  t.match(renderSearchReport(report, false), /no trial completed yet/);
});

t.test('a report of a search with one complete trial says there was nothing to compare the winner with', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'rx-report-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const driven = await driveSearch({ spec: { ...spec, budget: { trials: 1 }, racing: undefined }, baseline: 'b'.repeat(40), samplers, ledgerFile: path.join(dir, 'l'), ledgerName: 'l', timesFile: path.join(dir, 't'), jobs: 1, run: async (r) => ({ status: 'complete', ref: `refs/rx/exps/b/rep/${r.trial}-s${r.seed}`, value: accuracy(r) }), now: Date.now });
  const report = buildReport(driven.schedule.events, space);
  t.ok(validatorFor(searchReportSchema)(report));
  t.equal(report.winner!.trial, 0);
  t.same(report.nearTop, { alpha: 0.05, rows: [], rejected: [] });
  const text = renderSearchReport(report, false);
  t.match(text, /none: no other complete trial shares two or more of the winner's seeds/);
  t.notMatch(text, /every other complete trial is worse/);
});

// Evidence end to end on the digits template: a joint search with 3 paired seeds, racing and
// ASHA pruning over epochs finishes through bin/rx; replay re-derives every prune and racing
// decision; the report names the winner with its interval and the near-top set; a resource no
// stage reports per epoch is refused before anything runs.
import t from 'tap';
import { readFileSync, writeFileSync, mkdtempSync, mkdirSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { rx, commitAll, git } from '../../fixtures/project.js';

const LOADER = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'fixtures', 'optuna_load.py');

const SPEC = `schema: rx.search/1
objective: {metric: "metrics.json:val_accuracy", direction: maximize}
seed: 3
seeds: [0, 1, 2]
parallel: 2
budget: {trials: 6}
racing: {max_seeds: 4, alpha: 0.05, top: 2}
pruning: {method: asha, resource: epochs, min: 1, max: 3, eta: 2, metric: val_accuracy}
method: random
space:
  lr:     {path: "params.yaml:train.learning_rate", type: float, low: 0.0005, high: 0.02, log: true}
  units:  {path: "models/mlp.yaml:blocks.1.units", type: int, low: 16, high: 128, step: 16}
  mix:    {path: "data/digits.yaml:sources", type: simplex, over: [clean, noisy, synthetic], total: 400, prior: {dirichlet: [8, 1, 1]}}
  rotate: {path: "augment/default.yaml:ops.rotate.p", type: float, low: 0, high: 1}
`;

t.test('digits: 3 paired seeds, racing and ASHA finish, replay re-derives them, the report has the evidence', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'rx-search-evidence-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  t.equal(git(dir, ['init', '-q']).code, 0);
  const init = rx(dir, ['init', '-q', '--template', 'digits']);
  t.equal(init.code, 0, init.stderr);
  writeFileSync(path.join(dir, 'rx.yaml'), readFileSync(path.join(dir, 'rx.yaml'), 'utf8').replace(/models\/cnn\.yaml/g, 'models/mlp.yaml'));
  writeFileSync(path.join(dir, 'params.yaml'), readFileSync(path.join(dir, 'params.yaml'), 'utf8').replace('epochs: 20', 'epochs: 3'));
  writeFileSync(path.join(dir, 'search/ev.yaml'), SPEC);
  commitAll(dir, 'digits with an evidence search');

  const r = rx(dir, ['search', 'run', 'ev', '--jobs', '2', '--json']);
  t.equal(r.code, 0, r.stderr);
  const summary = JSON.parse(r.stdout).summary;
  t.equal(summary.trials.length, 6);
  t.ok(summary.finished);
  const ledger = readFileSync(path.join(dir, 'search/ev.ledger.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  const starts = ledger.filter((e) => e.type === 'start' && (e as { prune?: unknown }).prune);
  t.equal(starts.length, 6, 'every trial started with its rung thresholds');
  const results = ledger.filter((e) => e.type === 'result' && e.status !== 'failed');
  t.ok(results.every((e) => Array.isArray(e.curve) && (e.curve as number[]).length >= 1), 'every run carries its per-epoch curve');
  const races = ledger.filter((e) => e.type === 'race');
  t.ok(races.length >= 1, `${races.length} racing decision(s)`);
  const end = ledger[ledger.length - 1]!;
  t.equal(end.type, 'end');
  const best = end.best as { trial: number; seeds: number[]; stats: { mean: { percentile: { low: number; high: number } } } };
  t.ok(best.seeds.length >= 3, 'the winner has at least the 3 paired seeds');

  const replay = rx(dir, ['search', 'replay', 'ev', '--json']);
  t.equal(replay.code, 0, replay.stdout);
  const rr = JSON.parse(replay.stdout);
  t.ok(rr.ok);
  t.equal(rr.result.races, races.length, 'replay re-derived every racing decision');
  t.equal(rr.result.prunes, ledger.filter((e) => e.type === 'result' && e.status === 'pruned').length, 'and every prune');

  const rep = rx(dir, ['search', 'report', 'ev', '--json']);
  t.equal(rep.code, 0, rep.stderr);
  const report = JSON.parse(rep.stdout);
  t.equal(report.format, 'rx.search-report/1');
  t.equal(report.winner.trial, best.trial);
  t.ok(report.winner.stats.mean.percentile.low <= report.winner.stats.mean.estimate);
  t.ok(Array.isArray(report.nearTop.rows));
  const md = rx(dir, ['search', 'report', 'ev', '--md', '-o', 'search/ev.report.md']);
  t.equal(md.code, 0, md.stderr);
  t.match(md.stdout, /## Near-top set/);
  t.match(md.stdout, new RegExp(`rx search apply ev ${best.trial}`));
  t.ok(existsSync(path.join(dir, 'search/ev.report.md')));
  const text = rx(dir, ['search', 'report', 'ev']);
  t.match(text.stdout, /metrics\.json:val_accuracy [\d.]+ ± [\d.]+ \(mean over \d seed/);

  // Optuna reads the export: pruned trials as PRUNED with their per-epoch values.
  const journal = path.join(dir, 'ev.journal.log');
  t.equal(rx(dir, ['search', 'export', 'ev', '--optuna-journal', journal]).code, 0);
  const python = ['python3', '/usr/bin/python3'].find((py) => spawnSync(py, ['-c', 'import optuna']).status === 0);
  t.ok(python, 'python3 with Optuna (apt-get install python3-optuna)');
  if (python) {
    const loaded = spawnSync(python, [LOADER, journal, 'ev'], { encoding: 'utf8' });
    t.equal(loaded.status, 0, loaded.stderr);
    const study = JSON.parse(loaded.stdout) as { trials: { state: string; intermediate: Record<string, number> }[] };
    t.same(
      study.trials.map((x) => x.state),
      summary.trials.map((x: { state: string }) => ({ complete: 'COMPLETE', pruned: 'PRUNED', failed: 'FAIL' })[x.state]),
    );
    t.ok(study.trials.every((x) => x.state === 'FAIL' || Object.keys(x.intermediate).length >= 1), 'per-epoch values as intermediate values');
  }

  // The winner applies and reproduces bitwise.
  t.equal(rx(dir, ['search', 'apply', 'ev']).code, 0);
  commitAll(dir, 'the winner');
  const repro = rx(dir, ['repro']);
  t.equal(repro.code, 0, repro.stderr);
  commitAll(dir, 'the winner, run');
  const again = rx(dir, ['repro', '--rev', 'HEAD', '--json']);
  t.equal(again.code, 0, again.stdout + again.stderr);
  t.match(JSON.parse(again.stdout), { verdict: 'bitwise' });
  t.equal(git(dir, ['fsck', '--strict']).code, 0);
});

t.test('pruning on a resource no stage reports per epoch is refused, located, before anything runs', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'rx-search-evidence-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  t.equal(git(dir, ['init', '-q']).code, 0);
  t.equal(rx(dir, ['init', '-q']).code, 0);
  mkdirSync(path.join(dir, 'search'));
  writeFileSync(path.join(dir, 'score.mjs'), "import { writeFileSync } from 'node:fs';\nwriteFileSync('metrics.json', JSON.stringify({ acc: 0.5 }));\n");
  writeFileSync(path.join(dir, 'params.yaml'), 'x: 0.5\n');
  writeFileSync(path.join(dir, 'rx.yaml'), 'schema: 1\nstages:\n  score:\n    cmd: node score.mjs\n    deps: [score.mjs]\n    params: [x]\n    metrics: [metrics.json]\n');
  writeFileSync(
    path.join(dir, 'search/p.yaml'),
    'schema: rx.search/1\nobjective: {metric: "metrics.json:acc", direction: maximize}\nseed: 1\nseeds: [0]\nbudget: {trials: 2}\npruning: {method: asha, min: 1, max: 9}\nmethod: random\nspace:\n  x: {path: "params.yaml:x", type: float, low: 0, high: 1}\n',
  );
  commitAll(dir, 'a search with pruning');
  const r = rx(dir, ['search', 'run', 'p']);
  t.equal(r.code, 4, r.stderr);
  t.match(r.stderr, /search\/p\.yaml:6:\d+/);
  t.match(r.stderr, /pruning\.resource/);
  t.match(r.stderr, /no stage of rx\.yaml reports epochs/);
  t.notOk(existsSync(path.join(dir, 'search/p.ledger.jsonl')), 'nothing ran');
});

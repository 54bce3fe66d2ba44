// rx search end to end through bin/rx on a fast synthetic project (a stage computing Branin
// from params.yaml and cfg/opt.yaml, shifted by RX_SEED): a joint search finishes and replays,
// the ledger is the same bytes for --jobs 1 and --jobs 3 and after a SIGKILL and a re-run,
// the working tree, index and HEAD are untouched, a hand-edited ledger is caught (exit 4), a
// failing trial is recorded and does not stop the search, status/apply/export work, the
// exported journal loads in Optuna, and bad specs are refused before anything runs.
import t from 'tap';
import { existsSync, readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { rx, writeTree, commitAll, git, rxSpawn } from '../../fixtures/project.js';
import { useProject, hasStackTrace } from '../../fixtures/e2e.js';

const F_MJS = `import { readFileSync, writeFileSync } from 'node:fs';
const text = readFileSync('params.yaml', 'utf8');
const num = (k) => Number(new RegExp('^' + k + ': *([-0-9.e+]+)', 'm').exec(text)[1]);
const kind = /kind: *(\\w+)/.exec(readFileSync('cfg/opt.yaml', 'utf8'))[1];
const x = num('x'), y = num('y');
if (x > 9.5 && kind === 'b') { console.error('diverged at x=' + x); process.exit(3); }
const b = y - 5.1 / (4 * Math.PI ** 2) * x * x + 5 / Math.PI * x - 6;
const score = b * b + 10 * (1 - 1 / (8 * Math.PI)) * Math.cos(x) + 10 + (kind === 'b' ? 0.5 : 0) + Number(process.env.RX_SEED ?? 0) * 0.01;
writeFileSync('metrics.json', JSON.stringify({ score, parts: { b } }) + '\\n');
`;

const SPEC = `schema: rx.search/1
objective: {metric: "metrics.json:score", direction: minimize}
seed: 3
seeds: [0, 1]
parallel: 3
budget: {trials: 9}
phases:
  - {method: qmc, trials: 4}
  - {method: tpe}
space:
  x:    {path: "params.yaml:x", type: float, low: -5, high: 10}
  y:    {path: "params.yaml:y", type: float, low: 0, high: 15, prior: {normal: {mean: 3, sd: 4}}}
  kind: {path: "cfg/opt.yaml:kind", type: categorical, choices: [a, b]}
`;

type T = Parameters<Parameters<typeof t.test>[1]>[0];

function project(t: T, spec = SPEC): string {
  const dir = useProject(t);
  writeTree(dir, {
    'params.yaml': '# the point\nx: 0.5\ny: 0.5\n',
    'cfg/opt.yaml': '# which variant\nkind: a\n',
    'f.mjs': F_MJS,
    'rx.yaml': 'schema: 1\nstages:\n  f:\n    cmd: node f.mjs\n    deps: [f.mjs, cfg/opt.yaml]\n    params: [x, y]\n    metrics: [metrics.json]\n',
    'search/toy.yaml': spec,
  });
  const r = rx(dir, ['repro']);
  if (r.code !== 0) throw new Error(r.stderr);
  commitAll(dir, 'baseline');
  return dir;
}

const ledgerOf = (dir: string) => readFileSync(path.join(dir, 'search/toy.ledger.jsonl'), 'utf8');
const state = (dir: string) => ({ head: git(dir, ['rev-parse', 'HEAD']).stdout, status: git(dir, ['status', '--porcelain', '--untracked-files=no']).stdout, index: readFileSync(path.join(dir, '.git/index')).toString('hex') });

t.test('a search finishes, replays, and leaves the working tree, index and HEAD alone', async (t) => {
  const dir = project(t);
  const before = state(dir);
  const r = rx(dir, ['search', 'run', 'toy', '--json']);
  t.equal(r.code, 0, r.stderr);
  t.notOk(hasStackTrace(r.stderr));
  const out = JSON.parse(r.stdout);
  t.equal(out.summary.trials.length, 9);
  t.ok(out.summary.finished);
  t.equal(out.summary.counts.complete + out.summary.counts.failed, 9);
  t.same(state(dir), before, 'HEAD, index and tracked files untouched');
  // Every run is an experiment under the baseline.
  const refs = git(dir, ['for-each-ref', '--format=%(refname)', 'refs/rx/exps']).stdout.trim().split('\n');
  const baseline = before.head.trim();
  t.ok(refs.filter((x) => x.startsWith(`refs/rx/exps/${baseline}/toy/`)).length >= out.summary.counts.complete * 2, 'a ref per completed run');
  const metrics = git(dir, ['show', `refs/rx/exps/${baseline}/toy/0-s1:metrics.json`]);
  t.equal(metrics.code, 0, 'trial 0 seed 1 is a commit with its metrics');
  t.equal(JSON.parse(metrics.stdout).score, out.summary.trials[0].values['1']);
  const replay = rx(dir, ['search', 'replay', 'toy']);
  t.equal(replay.code, 0, replay.stdout + replay.stderr);
  t.match(replay.stdout, /9 suggestion/);
  const status = rx(dir, ['search', 'status', 'toy']);
  t.equal(status.code, 0, status.stderr);
  t.match(status.stdout, /9 trial\(s\)/);
  t.match(status.stdout, /best: trial \d+/);
  t.match(status.stdout, /^used: \d+[ms0-9]* wall time, \d+[ms0-9]* CPU, over 1 run\(s\) of rx search run$/m, 'what the search used');
  t.ok(out.cpuSeconds > 0 && out.elapsedSeconds > 0, `CPU ${out.cpuSeconds} s and wall ${out.elapsedSeconds} s are counted`);
  t.equal(out.earlierSeconds, 0);
  const statusJson = JSON.parse(rx(dir, ['search', 'status', 'toy', '--json']).stdout);
  t.equal(statusJson.used.parts, 1);
  t.ok(statusJson.used.cpuSeconds > 0 && statusJson.used.cpuSeconds <= out.cpuSeconds + 0.01, 'status reads the CPU seconds the run recorded');
  const fsck = git(dir, ['fsck', '--strict']);
  t.equal(fsck.code, 0, fsck.stderr);
  // A second run of a finished search writes nothing.
  const again = rx(dir, ['search', 'run', 'toy', '--json']);
  t.equal(again.code, 0, again.stderr);
  t.equal(JSON.parse(again.stdout).appended, 0);

  // apply: the incumbent's values into the files; they still parse and the pipeline runs on them.
  const best = out.summary.incumbent;
  const apply = rx(dir, ['search', 'apply', 'toy', '--json']);
  t.equal(apply.code, 0, apply.stderr);
  t.equal(JSON.parse(apply.stdout).trial, best.trial);
  const params = readFileSync(path.join(dir, 'params.yaml'), 'utf8');
  t.match(params, /^# the point\n/, 'comments kept');
  t.match(params, new RegExp(`x: ${String(best.config.x).replace('.', '\\.')}`));
  const repro = rx(dir, ['repro']);
  t.equal(repro.code, 0, repro.stderr);
  const score = JSON.parse(readFileSync(path.join(dir, 'metrics.json'), 'utf8')).score;
  t.ok(Math.abs(score - out.summary.trials[best.trial].values['0']) < 1e-12, 'the applied configuration reproduces its seed-0 score');
  const conflict = rx(dir, ['search', 'apply', 'toy', '0']);
  t.equal(conflict.code, 1, 'applying over uncommitted changes is refused');
  t.match(conflict.stderr, /uncommitted changes/);

  // export: Optuna reads the journal with the same trial count and best value.
  const journal = path.join(dir, 'toy.journal');
  const ex = rx(dir, ['search', 'export', 'toy', '--optuna-journal', journal]);
  t.equal(ex.code, 0, ex.stderr);
  const py = ['python3', '/usr/bin/python3'].find((p) => spawnSync(p, ['-c', 'import optuna']).status === 0);
  if (!py) t.fail('python3-optuna is not installed: the exported journal cannot be checked (apt-get install python3-optuna)');
  else {
    const load = spawnSync(py, [path.resolve(import.meta.dirname, '../../fixtures/optuna_load.py'), journal, 'toy'], { encoding: 'utf8' });
    t.equal(load.status, 0, load.stderr);
    const got = JSON.parse(load.stdout);
    t.equal(got.n_trials, 9);
    t.equal(got.best_value, best.value);
    t.equal(got.best_number, best.trial);
    t.equal(got.best_params.kind, best.config.kind);
  }
});

t.test('files the trials change that differ from the baseline: a new search says to commit them, a resumed one that it keeps its baseline', async (t) => {
  const dir = project(t);
  writeTree(dir, { 'params.yaml': '# the point\nx: 1.5\ny: 0.5\n' });
  const first = rx(dir, ['search', 'run', 'toy', '--max-trials', '1']);
  t.equal(first.code, 0, first.stderr);
  t.match(first.stderr, /the working tree's changes to params\.yaml are not part of them \(commit them first to search over them\)/);
  commitAll(dir, 'a new starting point');
  const resumed = rx(dir, ['search', 'run', 'toy', '--max-trials', '2']);
  t.equal(resumed.code, 0, resumed.stderr);
  t.match(resumed.stderr, /trials run on the search's baseline [0-9a-f]{12}; params\.yaml differs from it here and is not part of them \(a resumed search keeps its baseline/);
  t.notMatch(resumed.stderr, /commit them first/, 'committing would not change what a resumed search runs');
});

t.test('--jobs 1 and --jobs 3 write the same ledger; SIGKILL and a re-run too', async (t) => {
  const a = project(t);
  const b = project(t);
  const c = project(t);
  t.equal(git(a, ['rev-parse', 'HEAD']).stdout, git(b, ['rev-parse', 'HEAD']).stdout, 'the same baseline commit');
  const ra = rx(a, ['search', 'run', 'toy', '--jobs', '1']);
  t.equal(ra.code, 0, ra.stderr);
  const rb = rx(b, ['search', 'run', 'toy', '--jobs', '3']);
  t.equal(rb.code, 0, rb.stderr);
  t.equal(ledgerOf(b), ledgerOf(a), 'jobs 3 = jobs 1, byte for byte');
  t.not(readFileSync(path.join(a, 'search/toy.times.jsonl'), 'utf8'), '', 'timings are kept beside it');

  // SIGINT once a result is in, then --max-trials pauses, then SIGKILL, then run to the end.
  const file = path.join(c, 'search/toy.ledger.jsonl');
  const summaries = () => (existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter((l) => l.includes('"type":"trial"')).length : 0);
  const interrupt = async (signal: NodeJS.Signals, after: number) => {
    const child = rxSpawn(c, ['search', 'run', 'toy', '--jobs', '2']);
    const ended = new Promise<number | null>((res) => child.on('exit', (code) => res(code)));
    for (let i = 0; i < 4000 && summaries() < after; i++) await new Promise((res) => setTimeout(res, 25));
    child.kill(signal);
    return ended;
  };
  const intCode = await interrupt('SIGINT', 1);
  t.ok(intCode === 130 || intCode === 0, `SIGINT: exit 130 (or 0 had it just finished), got ${intCode}`);
  const paused = rx(c, ['search', 'run', 'toy', '--max-trials', '1', '--json']);
  t.equal(paused.code, 0, paused.stderr);
  await interrupt('SIGKILL', 3);
  const partial = ledgerOf(c);
  t.ok(partial.length < ledgerOf(a).length, 'killed before the end');
  t.ok(ledgerOf(a).startsWith(partial.slice(0, partial.lastIndexOf('\n') + 1)), 'what was written is a prefix of the whole ledger');
  const st = rx(c, ['search', 'status', 'toy', '--json']);
  t.equal(st.code, 0, st.stderr);
  t.notOk(JSON.parse(st.stdout).running, 'a killed run is not shown as under way');
  const rc = rx(c, ['search', 'run', 'toy', '--jobs', '2']);
  t.equal(rc.code, 0, rc.stderr);
  t.equal(ledgerOf(c), ledgerOf(a), 'killed and resumed = uninterrupted');
  const replay = rx(c, ['search', 'replay', 'toy']);
  t.equal(replay.code, 0, replay.stdout);
});

t.test('status shows the runs under way with the last epoch each reported', async (t) => {
  const dir = project(t, SPEC.replace('budget: {trials: 9}', 'budget: {trials: 5}'));
  const gate = path.join(dir, '.rx', 'gate');
  // The stage reports an epoch, then waits for the test to open the gate.
  const slow = F_MJS.replace(
    "import { readFileSync, writeFileSync } from 'node:fs';",
    `import { readFileSync, writeFileSync, appendFileSync, existsSync } from 'node:fs';\nappendFileSync(process.env.RX_PROGRESS, JSON.stringify({ epoch: 1, score: 42.5, loss: 1 }) + '\\n');\nwhile (!existsSync(${JSON.stringify(gate)})) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);`,
  );
  writeFileSync(path.join(dir, 'f.mjs'), slow);
  commitAll(dir, 'slow');
  const child = rxSpawn(dir, ['search', 'run', 'toy', '--jobs', '2']);
  let exited = false;
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const ended = new Promise<number | null>((res) =>
    child.on('exit', (code) => {
      exited = true;
      res(code);
    }),
  );
  let seen = '';
  for (let i = 0; i < 600 && !exited && !/under way: trial 0 seed 1, epoch 1 done/.test(seen); i++) {
    await new Promise((res) => setTimeout(res, 100));
    seen = rx(dir, ['search', 'status', 'toy']).stdout;
  }
  t.notOk(exited, `the search is still running ${stderr}`);
  t.match(seen, /^under way: trial 0 seed 0, epoch 1 done \(score 42\.5\), started \d{4}-\d\d-\d\dT/m, 'seed 0 with its last epoch');
  t.match(seen, /^under way: trial 0 seed 1, epoch 1 done \(score 42\.5\)/m, 'and seed 1');
  t.match(seen, /\(as recorded: a trial run under way counts once it ends\)/);
  const json = JSON.parse(rx(dir, ['search', 'status', 'toy', '--json']).stdout);
  t.match(json.underWay, [{ trial: 0, seed: 0, epoch: 1, metrics: { score: 42.5, loss: 1 } }, { trial: 0, seed: 1, epoch: 1 }]);
  writeFileSync(gate, '');
  t.equal(await ended, 0);
  const after = JSON.parse(rx(dir, ['search', 'status', 'toy', '--json']).stdout);
  t.equal(after.underWay, undefined, 'nothing under way once the search ended');
  t.notMatch(rx(dir, ['search', 'status', 'toy']).stdout, /under way/);
});

t.test('a failing trial is recorded with its exit code and log, and the search goes on', async (t) => {
  const spec = SPEC.replace('budget: {trials: 9}', 'budget: {trials: 6}').replace('  - {method: qmc, trials: 4}\n  - {method: tpe}', '  - {method: grid}').replace('x:    {path: "params.yaml:x", type: float, low: -5, high: 10}', 'x:    {path: "params.yaml:x", type: float, low: -5, high: 10, grid: [0, 10]}').replace('y:    {path: "params.yaml:y", type: float, low: 0, high: 15, prior: {normal: {mean: 3, sd: 4}}}', 'y:    {path: "params.yaml:y", type: float, low: 0, high: 15, grid: [2]}');
  const dir = project(t, spec);
  // Two runs of one search at once: the second is refused (exit 7) while the first holds it.
  const first = rxSpawn(dir, ['search', 'run', 'toy', '--json']);
  let stdout = '';
  let stderr = '';
  first.stdout!.on('data', (d) => (stdout += d));
  first.stderr!.on('data', (d) => (stderr += d));
  const firstDone = new Promise<number | null>((res) => first.on('exit', (code) => res(code)));
  const lock = path.join(dir, '.rx/tmp/search/toy/lock');
  for (let i = 0; i < 4000 && !existsSync(lock); i++) await new Promise((res) => setTimeout(res, 10));
  const second = rx(dir, ['search', 'run', 'toy', '--json']);
  t.equal(second.code, 7, 'a second run of the same search is refused while the first runs');
  t.match(JSON.parse(second.stdout).error.message, /search toy is already being run/);
  t.equal(await firstDone, 0, stderr);
  const r = { code: 0, stdout, stderr };
  const s = JSON.parse(r.stdout).summary;
  t.equal(s.trials.length, 4, 'the grid of 2 x 1 x 2 ran out before the budget');
  t.equal(s.stop.reason, 'grid-exhausted');
  const failed = s.trials.filter((x: { state: string }) => x.state === 'failed');
  t.equal(failed.length, 1, 'x=10 with kind b fails');
  t.equal(failed[0].failures[0].exitCode, 3);
  const log = path.join(dir, failed[0].failures[0].log);
  t.match(readFileSync(log, 'utf8'), /diverged at x=10/);
  t.equal(s.counts.complete, 3);
  t.equal(git(dir, ['check-ignore', '-q', failed[0].failures[0].log]).code, 0, 'run logs are ignored by git');
});

t.test('racing within a CPU budget: the trials stop, the race is decided and cut, status, report and replay say so', async (t) => {
  // Every configuration scores alike but for noise of its own per seed, so no contender can be dropped.
  const noisy = F_MJS.replace('const score = b * b', 'const branin = b * b').replace(/\nwriteFileSync/, "\nconst score = 1e-6 * branin + Math.sin(x * 977 + y * 131 + Number(process.env.RX_SEED ?? 0) * 7.3);\nwriteFileSync");
  const spec = SPEC.replace('parallel: 3', 'parallel: 1').replace('budget: {trials: 9}', 'budget: {trials: 40, cpu: 4s}\nracing: {max_seeds: 5, alpha: 0.05, top: 3}').replace('{method: tpe}', '{method: random}');
  const dir = project(t, spec);
  writeFileSync(path.join(dir, 'f.mjs'), noisy);
  commitAll(dir, 'noisy');
  const r = rx(dir, ['search', 'run', 'toy']);
  t.equal(r.code, 0, r.stderr);
  const events = ledgerOf(dir).trim().split('\n').map((l) => JSON.parse(l));
  t.match(events.find((e) => e.type === 'stop'), { reason: 'cpu', values: { cpu_seconds: 4 } });
  const complete = events.filter((e) => e.type === 'trial' && e.state === 'complete').length;
  t.ok(complete >= 2, `${complete} complete trials before the budget ran out`);
  const races = events.filter((e) => e.type === 'race');
  t.equal(races.length, 1, 'one racing decision');
  t.match(races[0], { round: 0, reason: 'budget', spent: 'cpu', next: null, contenders: [] });
  t.ok(races[0].unsettled.length >= 2, `contenders left unsettled: ${races[0].unsettled}`);
  t.equal(events.filter((e) => e.type === 'result' && e.seed > 1).length, 0, 'no racing run');
  t.match(r.stderr, /racing round 0 on 2 seeds: incumbent trial \d+ \([^)]*\); CPU-time budget spent, trials [\d, ]+ unsettled/);
  t.equal(events[events.length - 1].type, 'end');
  const replay = rx(dir, ['search', 'replay', 'toy']);
  t.equal(replay.code, 0, replay.stdout + replay.stderr);
  t.match(replay.stdout, /1 racing decision\(s\)/);
  const report = rx(dir, ['search', 'report', 'toy', '--md']);
  t.equal(report.code, 0, report.stderr);
  t.match(report.stdout, /cpu budget spent \(unsettled: [\d, ]+\)/);
  const status = rx(dir, ['search', 'status', 'toy', '--json']);
  t.equal(status.code, 0, status.stderr);
  t.ok(JSON.parse(status.stdout).used.cpuSeconds >= 4, 'status counts at least the budget');
});

t.test('a hand-edited ledger is exit 4 at the broken line; a changed spec is refused', async (t) => {
  const dir = project(t, SPEC.replace('budget: {trials: 9}', 'budget: {trials: 5}'));
  t.equal(rx(dir, ['search', 'run', 'toy']).code, 0);
  const file = path.join(dir, 'search/toy.ledger.jsonl');
  const good = readFileSync(file, 'utf8');
  const lines = good.split('\n');
  const i = lines.findIndex((l) => l.includes('"type":"result"'));
  lines[i] = lines[i]!.replace(/"value":([-0-9.e]+)/, '"value":0.001');
  writeFileSync(file, lines.join('\n'));
  for (const cmd of [['search', 'replay', 'toy'], ['search', 'status', 'toy'], ['search', 'run', 'toy']]) {
    const r = rx(dir, [...cmd, '--json']);
    t.equal(r.code, 4, `${cmd.join(' ')}: ${r.stderr}`);
    const err = JSON.parse(r.stdout).error;
    t.equal(err.code, 'RX_LEDGER_BROKEN');
    t.equal(err.data.line, i + 1, 'names the edited line');
  }
  writeFileSync(file, good);
  writeFileSync(path.join(dir, 'search/toy.yaml'), SPEC.replace('budget: {trials: 9}', 'budget: {trials: 5}').replace('seed: 3', 'seed: 4'));
  const other = rx(dir, ['search', 'run', 'toy', '--json']);
  t.equal(other.code, 4);
  const err = JSON.parse(other.stdout).error;
  t.equal(err.code, 'RX_LEDGER_OTHER_SPEC');
  t.match(err.message, /sha256:[0-9a-f]+.*sha256:[0-9a-f]+/);
});

t.test('bad specs are refused before anything runs, naming file, line and parameter', async (t) => {
  const cases: [string, string, RegExp][] = [
    ['missing key', SPEC.replace('params.yaml:y', 'params.yaml:z'), /search\/toy\.yaml:\d+:\d+: space\.y\.path/],
    ['missing file', SPEC.replace('cfg/opt.yaml:kind', 'cfg/nope.yaml:kind'), /space\.kind\.path.*does not exist/],
    ['inverted bounds', SPEC.replace('low: -5, high: 10', 'low: 10, high: -5'), /space\.x/],
    ['prior outside', SPEC.replace('mean: 3, sd: 4', 'mean: 30, sd: 4'), /space\.y\.prior/],
    ['non-positive spread', SPEC.replace('mean: 3, sd: 4', 'mean: 3, sd: 0'), /space\.y\.prior/],
    ['unknown condition', SPEC.replace('choices: [a, b]}', 'choices: [a, b], when: {w: 1}}'), /space\.kind\.when/],
    ['objective nobody writes', SPEC.replace('metrics.json:score', 'other.json:score'), /objective/],
  ];
  for (const [what, spec, pattern] of cases) {
    const dir = project(t, spec);
    const r = rx(dir, ['search', 'run', 'toy']);
    t.equal(r.code, 4, `${what}: ${r.stderr}`);
    t.match(r.stderr, pattern, what);
    t.notOk(hasStackTrace(r.stderr), what);
    t.notOk(existsSync(path.join(dir, 'search/toy.ledger.jsonl')), `${what}: nothing run`);
  }
  const dir = project(t);
  const none = rx(dir, ['search', 'run', 'nope']);
  t.equal(none.code, 4);
  t.match(none.stderr, /search\/nope\.yaml/);
  t.equal(rx(dir, ['search', 'status', 'toy']).code, 2, 'status of a search never run is a usage error');
  t.equal(rx(dir, ['search', 'run', 'toy', '--jobs', '0']).code, 2);
});

t.test('a joint search on the digits template (MLP, 2 epochs) finishes and replays', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'rx-search-digits-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  t.equal(git(dir, ['init', '-q']).code, 0);
  const init = rx(dir, ['init', '-q', '--template', 'digits']);
  t.equal(init.code, 0, init.stderr);
  const rxYaml = readFileSync(path.join(dir, 'rx.yaml'), 'utf8').replace(/models\/cnn\.yaml/g, 'models/mlp.yaml');
  writeFileSync(path.join(dir, 'rx.yaml'), rxYaml);
  writeFileSync(path.join(dir, 'params.yaml'), readFileSync(path.join(dir, 'params.yaml'), 'utf8').replace('epochs: 20', 'epochs: 2'));
  writeFileSync(
    path.join(dir, 'search/mlp.yaml'),
    `schema: rx.search/1
objective: {metric: "metrics.json:val_accuracy", direction: maximize}
seed: 1
seeds: [0]
parallel: 2
budget: {trials: 3}
method: tpe
space:
  lr:     {path: "params.yaml:train.learning_rate", type: float, low: 0.001, high: 0.01, log: true}
  units:  {path: "models/mlp.yaml:blocks.1.units", type: int, low: 32, high: 256, step: 32}
  mix:    {path: "data/digits.yaml:sources", type: simplex, over: [clean, noisy, synthetic], total: 600, prior: {dirichlet: [8, 1, 1]}}
  rotate: {path: "augment/default.yaml:ops.rotate.p", type: float, low: 0, high: 1}
`,
  );
  commitAll(dir, 'digits with a search');
  const r = rx(dir, ['search', 'run', 'mlp', '--jobs', '2', '--json']);
  t.equal(r.code, 0, r.stderr);
  const s = JSON.parse(r.stdout).summary;
  t.equal(s.trials.length, 3);
  t.ok(s.counts.complete >= 1, 'trials train and evaluate');
  for (const row of s.trials) if (row.state === 'complete') t.ok(row.value > 0.3 && row.value <= 1, `trial ${row.trial}: val_accuracy ${row.value}`);
  const replay = rx(dir, ['search', 'replay', 'mlp']);
  t.equal(replay.code, 0, replay.stdout);
  // The trial's data spec holds the mix it was given.
  const baseline = git(dir, ['rev-parse', 'HEAD']).stdout.trim();
  const data = git(dir, ['show', `refs/rx/exps/${baseline}/mlp/0-s0:data/digits.yaml`]).stdout;
  t.match(data, /fraction: 0\.\d+/);
  t.match(data, /^total: 600$/m);
  t.equal(git(dir, ['fsck', '--strict']).code, 0);
});

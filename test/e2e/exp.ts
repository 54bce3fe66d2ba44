// Experiments on the scripted history (fixtures/history.ts): `rx exp run -S` records each
// run as a commit under refs/rx/exps/<HEAD>/<name> without moving HEAD or touching the
// index or the working tree; list, show, diff, apply, branch and rm on them; overrides in
// other YAML files and new keys; unknown keys refused; uncommitted edits included; two runs
// at once.
import t from 'tap';
import { readFileSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { rx, git, writeTree } from '../../fixtures/project.js';
import { rxAsync, snapshotTree, hasStackTrace } from '../../fixtures/e2e.js';
import { gitFsckStrict } from '../../fixtures/project.js';
import { useHistory, copyHistory, rxOut, rxErr, outputOf, repoState, workspaceListing, gitOut, expectedMetrics, paramsYaml, type History } from '../../fixtures/history.js';

const h: History = useHistory(t);
const HEAD = h.byName.epochs!.sha;
const EXPS = `refs/rx/exps/${HEAD}`;
const LRS = [0.1, 0.2, 0.4];
const name = (lr: number) => `lr-${lr}`;
const acc = (p: Partial<typeof h.params>, width = h.width) => expectedMetrics(h.dataSum, { ...h.params, ...p }, width);

interface ExpRun {
  name: string;
  ref: string;
  commit: string;
  baseline: string;
  overrides: string[];
  stages: { name: string; action: string }[];
  failed: string[];
}

/** Files as git sees them, and their bytes: what "the working tree was untouched" compares. */
function worktree(dir: string) {
  const files: Record<string, unknown> = {};
  for (const rel of gitOut(dir, ['ls-files']).split('\n')) files[rel] = snapshotTree(path.join(dir, rel))[''];
  for (const rel of ['data', 'model.txt', 'work']) files[rel] = snapshotTree(path.join(dir, rel));
  return { files, listing: workspaceListing(dir) };
}

const show = (dir: string, ref: string, file: string) => gitOut(dir, ['show', `${ref}:${file}`]);
const expRefs = (dir: string, prefix = 'refs/rx/exps') => gitOut(dir, ['for-each-ref', '--format=%(refname) %(objectname)', prefix]).split('\n').filter(Boolean);
const porcelain = (dir: string) => git(dir, ['--no-optional-locks', 'status', '--porcelain']).stdout.split('\n').filter(Boolean);
const withoutExps = (refs: string) => refs.split('\n').filter((l) => !l.includes('refs/rx/exps/')).join('\n');

t.test('three runs with different values: three refs, HEAD and working tree untouched', async (t) => {
  const state = repoState(h.dir);
  const tree = worktree(h.dir);
  for (const lr of LRS) {
    const r = rxOut<ExpRun>(h.dir, 'exp-run', ['exp', 'run', '-S', `train.lr=${lr}`, '-n', name(lr)]);
    t.equal(r.code, 0, r.stderr);
    t.equal(r.json.name, name(lr));
    t.equal(r.json.baseline, HEAD);
    t.equal(r.json.ref, `${EXPS}/${name(lr)}`);
    t.same(r.json.overrides, [`train.lr=${lr}`]);
    t.same(r.json.failed, []);
    t.equal(r.json.stages.find((s) => s.name === 'train')!.action, 'ran', 'train ran with the new value');
    t.equal(gitOut(h.dir, ['rev-parse', `${r.json.ref}^`]), HEAD, "the experiment's parent is HEAD");
  }
  t.same(
    expRefs(h.dir).map((l) => l.split(' ')[0]),
    LRS.map((lr) => `${EXPS}/${name(lr)}`),
    'exactly three refs, under refs/rx/exps/<HEAD>/',
  );
  const after = repoState(h.dir);
  t.same({ ...after, refs: withoutExps(after.refs) }, { ...state, refs: withoutExps(state.refs) }, 'HEAD, index, git status and the other refs unchanged');
  t.same(worktree(h.dir), tree, 'no file of the working tree changed (bytes, modes, mtimes)');
  t.same(readdirSync(path.join(h.dir, '.rx', 'tmp', 'exp')), [], 'no run directory left');
  const fsck = gitFsckStrict(h.dir);
  t.equal(fsck.code, 0, `git fsck --strict is clean\n${fsck.stderr}`);
});

t.test('each experiment commit holds its own params, lock and metrics', async (t) => {
  for (const lr of LRS) {
    const ref = `${EXPS}/${name(lr)}`;
    const params = show(h.dir, ref, 'params.yaml');
    t.equal(parseYaml(params).train.lr, lr);
    t.match(params, /^# hyperparameters$/m, 'comments kept by the override');
    t.same(parseYaml(show(h.dir, ref, 'rx.lock')).stages.train.params['params.yaml'], { 'train.epochs': h.params.epochs, 'train.lr': lr });
    t.same(JSON.parse(show(h.dir, ref, 'm.json')), acc({ lr }), `m.json computed from lr=${lr}`);
    t.same(
      gitOut(h.dir, ['diff', '--name-only', HEAD, ref]).split('\n'),
      ['m.json', 'params.yaml', 'rx.lock'],
      'nothing else differs from HEAD',
    );
  }
});

t.test('exp list and exp show', async (t) => {
  const list = rxOut(h.dir, 'exp-list', ['exp', 'list']);
  t.equal(list.code, 0);
  t.equal(list.json.baseline, HEAD);
  t.same(list.json.experiments.map((e: { name: string }) => e.name).sort(), LRS.map(name));
  const shown = rxOut(h.dir, 'exp-show', ['exp', 'show']);
  t.equal(shown.code, 0);
  const rows = Object.fromEntries(shown.json.rows.map((r: { name: string }) => [r.name, r]));
  t.same(Object.keys(rows).sort(), ['HEAD', ...LRS.map(name)].sort());
  t.same(rows.HEAD.metrics, { 'm.json:acc': acc({}).acc, 'm.json:loss': acc({}).loss });
  for (const lr of LRS) {
    const row = rows[name(lr)];
    t.equal(row.params['train.lr'], lr);
    t.equal(row.params['config/model.yaml:model.width'], h.width);
    t.same(row.metrics, { 'm.json:acc': acc({ lr }).acc, 'm.json:loss': acc({ lr }).loss }, `${name(lr)}: metrics of its own param`);
  }
  const text = rx(h.dir, ['exp', 'show']);
  t.equal(text.code, 0);
  for (const lr of LRS) t.match(text.stdout, new RegExp(`^${name(lr)} .* ${lr} +${acc({ lr }).acc}`, 'm'));
});

const close = (x: unknown, y: number) => typeof x === 'number' && Math.abs(x - y) < 1e-9;

t.test('exp diff shows the param and metric deltas', async (t) => {
  const [a, b] = [acc({ lr: 0.1 }), acc({ lr: 0.2 })];
  const r = rxOut(h.dir, 'exp-diff', ['exp', 'diff', name(0.1), name(0.2)]);
  t.equal(r.code, 0, r.stderr);
  t.equal(r.json.a, name(0.1));
  t.equal(r.json.b, name(0.2));
  t.same(
    r.json.params.rows.map((x: any) => [x.file, x.key, x.old, x.new, x.change]),
    [['params.yaml', 'train.lr', 0.1, 0.2, 'modified']],
    'only the overridden param differs',
  );
  t.ok(close(r.json.params.rows[0].delta, 0.1), 'param delta +0.1');
  const metrics = Object.fromEntries(r.json.metrics.rows.map((x: any) => [x.key, x]));
  t.same(Object.keys(metrics).sort(), ['acc', 'loss']);
  t.same([metrics.acc.old, metrics.acc.new], [a.acc, b.acc]);
  t.ok(close(metrics.acc.delta, b.acc - a.acc), 'acc delta');
  t.same([metrics.loss.old, metrics.loss.new], [a.loss, b.loss]);

  const text = rx(h.dir, ['exp', 'diff', name(0.1), name(0.2)]);
  t.equal(text.code, 0);
  t.match(text.stdout, /^params\.yaml +train\.lr +0\.1 +0\.2 +\+0\.1$/m);
  t.match(text.stdout, new RegExp(`^m\\.json +acc +${a.acc} +${b.acc} +-`, 'm'));

  const vsHead = rxOut(h.dir, 'exp-diff', ['exp', 'diff', name(0.4)]);
  t.equal(vsHead.json.b, 'HEAD', 'one experiment is compared with HEAD');
  t.same(vsHead.json.params.rows.map((x: any) => [x.key, x.old, x.new]), [['train.lr', 0.4, h.params.lr]]);
});

t.test('exp branch creates a branch at the experiment; exp rm removes its ref', async (t) => {
  const commit = gitOut(h.dir, ['rev-parse', `${EXPS}/${name(0.2)}`]);
  const b = rx(h.dir, ['exp', 'branch', name(0.2), 'try-lr']);
  t.equal(b.code, 0, b.stderr);
  t.equal(gitOut(h.dir, ['rev-parse', 'refs/heads/try-lr']), commit, 'the branch points at the experiment commit');
  t.equal(gitOut(h.dir, ['symbolic-ref', 'HEAD']), 'refs/heads/main', 'HEAD stays on main');
  t.equal(rxErr(h.dir, ['exp', 'branch', name(0.2), 'try-lr']).code, 2, 'an existing branch is refused');
  t.equal(rxErr(h.dir, ['exp', 'branch', 'no-such-exp', 'other']).code, 2, 'an unknown experiment is refused');

  const rm = rx(h.dir, ['exp', 'rm', name(0.4)]);
  t.equal(rm.code, 0, rm.stderr);
  t.same(
    expRefs(h.dir).map((l) => l.split(' ')[0]),
    [0.1, 0.2].map((lr) => `${EXPS}/${name(lr)}`),
    'its ref is gone, the others stay',
  );
  t.same(
    rxOut(h.dir, 'exp-list', ['exp', 'list']).json.experiments.map((e: { name: string }) => e.name).sort(),
    [name(0.1), name(0.2)],
  );
  const again = rxErr(h.dir, ['exp', 'rm', name(0.4)]);
  t.equal(again.code, 2, 'removing it again is refused');
  t.notOk(hasStackTrace(again.stderr));
  t.equal(gitOut(h.dir, ['rev-parse', 'HEAD']), HEAD);
  t.equal(gitFsckStrict(h.dir).code, 0, 'git fsck --strict is clean after branch and rm');
});

t.test('exp apply brings the files in; rx status and rx verify are clean afterwards', async (t) => {
  const p = copyHistory(t, h);
  const ref = `${EXPS}/${name(0.1)}`;
  const r = rx(p.dir, ['exp', 'apply', name(0.1), '--json']);
  t.equal(r.code, 0, r.stderr);
  t.same(JSON.parse(r.stdout).written, ['m.json', 'params.yaml', 'rx.lock']);
  for (const file of ['params.yaml', 'rx.lock', 'm.json']) {
    t.equal(readFileSync(path.join(p.dir, file), 'utf8'), show(p.dir, ref, file) + '\n', `${file} is the experiment's`);
  }
  const weight = (h.dataSum * h.params.scale * 0.1 * h.params.epochs * h.width).toFixed(4);
  t.equal(readFileSync(path.join(p.dir, 'model.txt'), 'utf8'), `weight ${weight}\n`, "the experiment's outputs are in place");
  t.equal(gitOut(p.dir, ['rev-parse', 'HEAD']), HEAD, 'HEAD did not move');
  t.same(porcelain(p.dir), [' M m.json', ' M params.yaml', ' M rx.lock'], 'the applied files show as modified');
  const status = rxOut(p.dir, 'status', ['status']);
  t.equal(status.code, 0);
  t.equal(status.json.clean, true, 'rx status is clean');
  t.ok(status.json.stages.length > 0 && status.json.stages.every((s: { state: string }) => s.state === 'up-to-date'), 'every stage up to date (and there are some)');
  const verify = rx(p.dir, ['verify']);
  t.equal(verify.code, 0, `rx verify passes\n${verify.stdout}${verify.stderr}`);
});

t.test('-S on another YAML file and +new keys; unknown keys are refused', async (t) => {
  const r = rxOut<ExpRun>(h.dir, 'exp-run', ['exp', 'run', '-S', 'config/model.yaml:model.width=3', '-S', '+extra.note=hello', '-n', 'wide']);
  t.equal(r.code, 0, r.stderr);
  const model = show(h.dir, r.json.ref, 'config/model.yaml');
  t.same(parseYaml(model), { model: { width: 3, depth: 1 } });
  t.match(model, /^# model family$/m, 'comments kept');
  const params = parseYaml(show(h.dir, r.json.ref, 'params.yaml'));
  t.same(params.extra, { note: 'hello' }, 'a new key added with +');
  t.equal(params.train.lr, h.params.lr, 'the rest as it was');
  t.same(parseYaml(show(h.dir, r.json.ref, 'rx.lock')).stages.train.params['config/model.yaml'], { 'model.width': 3 });
  t.same(JSON.parse(show(h.dir, r.json.ref, 'm.json')), acc({}, 3), 'metrics computed with width 3');

  const refs = expRefs(h.dir);
  for (const [args, what] of [
    [['-S', 'train.nope=1'], 'params.yaml has no key train.nope'],
    [['-S', 'config/model.yaml:model.nope=2'], 'config/model.yaml has no key model.nope'],
    [['-S', 'missing.yaml:a=1'], 'missing.yaml does not exist'],
    [['-S', 'no-value'], 'expected PATH=VALUE'],
  ] as const) {
    const e = rxErr(h.dir, ['exp', 'run', ...args]);
    t.equal(e.code, 2, `${args.join(' ')}: exit 2`);
    t.equal(e.json.error.code, 'RX_USAGE');
    t.match(e.json.error.message, what);
    t.notOk(hasStackTrace(e.stderr));
  }
  t.match(rxErr(h.dir, ['exp', 'run', '-S', 'train.nope=1']).json.error.hint, '+train.nope=1', 'the hint says how to add a key');
  t.same(expRefs(h.dir), refs, 'no experiment recorded for refused runs');
  t.same(readdirSync(path.join(h.dir, '.rx', 'tmp', 'exp')), [], 'no run directory left');
});

t.test('two exp runs started at once both succeed with distinct refs', async (t) => {
  const p = copyHistory(t, h);
  const runs = [rxAsync(p.dir, ['exp', 'run', '-S', 'train.lr=0.3', '--json']), rxAsync(p.dir, ['exp', 'run', '-S', 'train.lr=0.3', '--json'])];
  const done = await Promise.all(runs.map((r) => r.done));
  for (const d of done) t.equal(d.code, 0, d.stderr);
  const [a, b] = done.map((d) => outputOf<ExpRun>('exp-run', d));
  t.not(a!.name, b!.name, 'distinct generated names');
  t.not(a!.ref, b!.ref);
  t.equal(gitFsckStrict(p.dir).code, 0, 'git fsck --strict is clean');
  for (const e of [a!, b!]) {
    t.equal(gitOut(p.dir, ['rev-parse', e.ref]), e.commit, `${e.ref} recorded`);
    t.same(JSON.parse(show(p.dir, e.ref, 'm.json')), acc({ lr: 0.3 }));
  }
  t.equal(gitOut(p.dir, ['rev-parse', 'HEAD']), HEAD);
});

t.test('two runs racing for one name: one is recorded, the other refused, nothing overwritten', async (t) => {
  const p = copyHistory(t, h);
  const lrs = [0.3, 0.35];
  const done = await Promise.all(lrs.map((lr) => rxAsync(p.dir, ['exp', 'run', '-S', `train.lr=${lr}`, '-n', 'twin', '--json']).done));
  const ok = done.filter((d) => d.code === 0);
  const refused = done.filter((d) => d.code !== 0);
  t.equal(ok.length, 1, 'one recorded');
  t.equal(refused.length, 1, 'one refused');
  t.equal(refused[0]!.code, 2, refused[0]!.stderr);
  const winner = outputOf<ExpRun>('exp-run', ok[0]!);
  t.equal(gitOut(p.dir, ['rev-parse', `${EXPS}/twin`]), winner.commit, "the ref holds the recorded run's commit");
  t.same(parseYaml(show(p.dir, `${EXPS}/twin`, 'params.yaml')).train.lr, lrs[done.indexOf(ok[0]!)]);
});

t.test('uncommitted working-tree changes are part of the experiment, and stay uncommitted', async (t) => {
  const p = copyHistory(t, h);
  const edited = paramsYaml({ ...h.params, epochs: 4 });
  writeTree(p.dir, { 'params.yaml': edited });
  const state = repoState(p.dir);
  const listing = workspaceListing(p.dir);
  const r = rxOut<ExpRun>(p.dir, 'exp-run', ['exp', 'run', '-S', 'train.lr=0.1', '-n', 'dirty']);
  t.equal(r.code, 0, r.stderr);
  const params = parseYaml(show(p.dir, r.json.ref, 'params.yaml'));
  t.equal(params.train.epochs, 4, 'the uncommitted edit is in the experiment');
  t.equal(params.train.lr, 0.1, 'with the override');
  t.same(JSON.parse(show(p.dir, r.json.ref, 'm.json')), acc({ lr: 0.1, epochs: 4 }));
  t.equal(readFileSync(path.join(p.dir, 'params.yaml'), 'utf8'), edited, 'the working tree keeps the edit, without the override');
  t.same(porcelain(p.dir), [' M params.yaml'], 'still uncommitted');
  const after = repoState(p.dir);
  t.same({ ...after, refs: withoutExps(after.refs) }, { ...state, refs: withoutExps(state.refs) });
  t.same(workspaceListing(p.dir), listing, 'nothing in the working tree written');
  t.same(readdirSync(path.join(p.dir, '.rx', 'tmp', 'exp')), [], 'no run directory left');
});

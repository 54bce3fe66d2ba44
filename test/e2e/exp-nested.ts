// Nested experiment names: search trials are recorded as refs/rx/exps/<baseline>/<search>/<trial>,
// whose name is everything after the baseline ('lr-sweep/3-s0'). exp list, show, apply and
// rm, and revisions (params diff, repro --rev), take that whole name; its last part alone
// names nothing; rm leaves no empty ref directory behind, so the plain name can be used again.
import t from 'tap';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { rx, git, writeTree, commitAll } from '../../fixtures/project.js';
import { useProject } from '../../fixtures/e2e.js';

const out = (dir: string, args: string[]) => {
  const r = rx(dir, args);
  if (r.code !== 0) throw new Error(`rx ${args.join(' ')}: exit ${r.code}\n${r.stderr}`);
  return r.stdout;
};
const gitOut = (dir: string, args: string[]) => git(dir, args).stdout.trim();

function project(t: Parameters<Parameters<typeof t.test>[0]>[0]): { dir: string; head: string; trial: string; other: string } {
  const dir = useProject(t);
  writeTree(dir, {
    'params.yaml': 'train:\n  lr: 0.1\n',
    'train.sh': 'echo "{\\"lr\\": $(sed -n \'s/.*lr: *//p\' params.yaml)}" > m.json\n',
    'rx.yaml': 'schema: 1\nstages:\n  train:\n    cmd: sh train.sh\n    deps: [train.sh]\n    params: [train.lr]\n    metrics: [m.json]\n',
  });
  out(dir, ['repro']);
  commitAll(dir, 'baseline');
  const head = gitOut(dir, ['rev-parse', 'HEAD']);
  // Two runs, then moved under a search's name as its trials would be recorded.
  const a = JSON.parse(out(dir, ['exp', 'run', '-n', 'a', '-S', 'train.lr=0.3', '--json'])).commit as string;
  const b = JSON.parse(out(dir, ['exp', 'run', '-n', 'b', '-S', 'train.lr=0.5', '--json'])).commit as string;
  for (const [name, commit] of [['lr-sweep/3-s0', a], ['lr-sweep/4-s0', b]]) gitOut(dir, ['update-ref', `refs/rx/exps/${head}/${name}`, commit!]);
  out(dir, ['exp', 'rm', 'a', 'b']);
  return { dir, head, trial: a, other: b };
}

t.test('list and show give the whole nested name and the right baseline', async (t) => {
  const { dir, head, trial, other } = project(t);
  const list = JSON.parse(out(dir, ['exp', 'list', '--json']));
  t.same(
    list.experiments.map((e: { name: string; baseline: string; commit: string }) => [e.name, e.baseline, e.commit]).sort(),
    [['lr-sweep/3-s0', head, trial], ['lr-sweep/4-s0', head, other]],
  );
  const all = JSON.parse(out(dir, ['exp', 'list', '--all-baselines', '--json']));
  t.same(all.experiments.map((e: { baseline: string }) => e.baseline), [head, head], 'listed under their baseline, not under the search name');
  const show = JSON.parse(out(dir, ['exp', 'show', '--json']));
  const row = show.rows.find((r: { name: string }) => r.name === 'lr-sweep/3-s0');
  t.ok(row, 'exp show has the trial by its nested name');
  t.equal(row.metrics['m.json:lr'], 0.3);
});

t.test('a nested name is a revision; its last part alone is not', async (t) => {
  const { dir } = project(t);
  const diff = JSON.parse(out(dir, ['params', 'diff', 'HEAD', 'lr-sweep/3-s0', '--json']));
  t.match(JSON.stringify(diff), /0\.3/, 'params diff reads the trial');
  const r = rx(dir, ['params', 'diff', 'HEAD', '3-s0', '--json']);
  t.equal(r.code, 2, 'the trial part alone names no experiment');
  t.match(r.stdout + r.stderr, /RX_UNKNOWN_REVISION/);
  const rev = rx(dir, ['repro', '--rev', 'lr-sweep/4-s0', '--json']);
  t.equal(rev.code, 0, rev.stderr);
  t.equal(JSON.parse(rev.stdout).commit, gitOut(dir, ['rev-parse', `refs/rx/exps/${gitOut(dir, ['rev-parse', 'HEAD'])}/lr-sweep/4-s0`]));
});

t.test('apply and rm take the nested name; rm cleans up its ref directory', async (t) => {
  const { dir, head } = project(t);
  out(dir, ['exp', 'apply', 'lr-sweep/3-s0']);
  t.match(gitOut(dir, ['show', ':params.yaml']), /lr: 0.1/, 'the index is untouched');
  t.match(String(git(dir, ['diff', '--stat']).stdout), /params\.yaml/, 'the trial\'s params are in the working tree');
  git(dir, ['checkout', '--', '.']);

  const taken = rx(dir, ['exp', 'run', '-n', 'lr-sweep', '--json']);
  t.equal(taken.code, 2, 'a plain name a search already nests under is refused, not a crash');
  t.match(taken.stdout + taken.stderr, /RX_USAGE/);

  const rm = JSON.parse(out(dir, ['exp', 'rm', 'lr-sweep/3-s0', '--json']));
  t.same(rm.removed, [`refs/rx/exps/${head}/lr-sweep/3-s0`]);
  t.same(JSON.parse(out(dir, ['exp', 'list', '--json'])).experiments.map((e: { name: string }) => e.name), ['lr-sweep/4-s0'], 'the sibling trial stays');
  out(dir, ['exp', 'rm', 'lr-sweep/4-s0']);
  t.notOk(existsSync(path.join(dir, '.git', 'refs', 'rx', 'exps', head, 'lr-sweep')), 'no empty ref directory left');
  const again = rx(dir, ['exp', 'run', '-n', 'lr-sweep', '--json']);
  t.equal(again.code, 0, `the plain name is free again\n${again.stderr}`);
});

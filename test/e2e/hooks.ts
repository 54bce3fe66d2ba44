// rx install-hooks with real git merges, diffs and commits: branches changing different
// stages of rx.lock merge cleanly stage by stage; the same stage changed differently is a
// conflict that leaves a valid lock (ours) behind; `git diff rx.lock` reads through the
// textconv; the pre-commit hook blocks a commit that rx verify rejects.
import t from 'tap';
import { writeFileSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { rx, git, writeTree, commitAll } from '../../fixtures/project.js';
import { gitOk } from '../../fixtures/e2e.js';
import { usePipeline, copyProject, outputAs, paramsYaml, reproJson, runsLog, clearRuns, read, validLock, validateAs } from '../../fixtures/pipeline.js';

type Tap = Parameters<Parameters<typeof t.test>[0]>[0];

const base = usePipeline(t, { run: true });

/** A copy of the pipeline with the hooks installed and committed; returns it and its branch. */
function hooked(t: Tap): { dir: string; main: string } {
  const dir = copyProject(t, base);
  const r = rx(dir, ['install-hooks', '--json']);
  t.equal(r.code, 0, r.stderr);
  const out = outputAs('install-hooks', r);
  t.same(out.hooks, ['pre-commit']);
  commitAll(dir, 'rx install-hooks');
  return { dir, main: gitOk(dir, ['rev-parse', '--abbrev-ref', 'HEAD']).trim() };
}

const lockAt = (dir: string, rev: string) => validateAs('lock', parseYaml(gitOk(dir, ['show', `${rev}:rx.lock`])), `rx.lock at ${rev}`);

/** On a new branch from `from`: apply a change, bring the pipeline up to date, commit. */
function branch(t: Tap, dir: string, name: string, from: string, change: () => void, ran: string[]): void {
  gitOk(dir, ['checkout', '-q', '-b', name, from]);
  change();
  const r = reproJson(dir);
  // Outputs are not in git: after a branch switch the workspace may hold another branch's
  // outputs, which rx puts back from the run cache; only `ran` means a command ran.
  t.same(Object.entries(r.actions).filter(([, a]) => a === 'ran').map(([s]) => s), ran, `on ${name}: ${ran.join(', ')} ran`);
  commitAll(dir, name);
}

t.test('install-hooks configures git and is idempotent', async (t) => {
  const { dir } = hooked(t);
  t.equal(read(dir, '.gitattributes'), 'rx.lock merge=rx-lock diff=rx-lock\n*.rx diff=rx-lock\nmanifest.json diff=rx-lock\naugment/*.yaml diff=rx-lock\nmodels/*.yaml diff=rx-lock\ndata/*.yaml diff=rx-lock\n');
  t.match(gitOk(dir, ['check-attr', 'merge', 'diff', '--', 'rx.lock']), 'rx.lock: merge: rx-lock\nrx.lock: diff: rx-lock');
  t.match(gitOk(dir, ['config', 'merge.rx-lock.driver']), /merge-driver %O %A %B %P/);
  t.match(gitOk(dir, ['config', 'diff.rx-lock.textconv']), /textconv/);
  const hook = path.join(dir, '.git', 'hooks', 'pre-commit');
  t.ok(statSync(hook).mode & 0o100, 'the hook is executable');
  // Model configs and data specs diff as one key = value line per fact.
  writeFileSync(path.join(dir, 'm.yaml'), 'schema: rx.model/1\nblocks:\n  - {type: conv, filters: 16}\n');
  const tc = rx(dir, ['textconv', 'm.yaml']);
  t.equal(tc.stdout, 'schema = "rx.model/1"\nblocks.0.type = "conv"\nblocks.0.filters = 16\n');
  t.equal(rx(dir, ['install-hooks']).code, 0, 'a second install is fine');
  t.equal(read(dir, '.gitattributes'), 'rx.lock merge=rx-lock diff=rx-lock\n*.rx diff=rx-lock\nmanifest.json diff=rx-lock\naugment/*.yaml diff=rx-lock\nmodels/*.yaml diff=rx-lock\ndata/*.yaml diff=rx-lock\n', 'no duplicate attributes');

  writeFileSync(hook, '#!/bin/sh\nexit 0\n', { mode: 0o755 });
  const skipped = outputAs('install-hooks', rx(dir, ['install-hooks', '--json']));
  t.same(skipped.hooks, []);
  t.match(skipped.skipped[0], 'is not rx');
  t.equal(readFileSync(hook, 'utf8'), '#!/bin/sh\nexit 0\n', "someone else's hook is kept");
  t.same(outputAs('install-hooks', rx(dir, ['install-hooks', '--force', '--json'])).hooks, ['pre-commit'], '--force replaces it');
});

t.test('branches changing different stages of rx.lock merge cleanly', async (t) => {
  const { dir, main } = hooked(t);
  // a: stats writes one more line (stats and evaluate rerun); b: train params that give the same model.
  branch(t, dir, 'a', main, () => writeTree(dir, { 'scripts/stats.sh': read(dir, 'scripts/stats.sh').replace('sum %d\\n', 'sum %d\\nversion 2\\n') }), ['stats', 'evaluate']);
  branch(t, dir, 'b', main, () => writeTree(dir, { 'params.yaml': paramsYaml({ epochs: 6, lr: 0.05 }) }), ['train']);
  const [a, b] = [lockAt(dir, 'a'), lockAt(dir, 'b')];
  gitOk(dir, ['checkout', '-q', 'a']);
  const merge = git(dir, ['merge', '--no-edit', 'b']);
  t.equal(merge.code, 0, `git merge succeeds: ${merge.stdout}${merge.stderr}`);
  const merged = validLock(dir);
  t.same(merged.stages.stats, a.stages.stats, "a's stats entry");
  t.same(merged.stages.evaluate, a.stages.evaluate, "a's evaluate entry");
  t.same(merged.stages.train, b.stages.train, "b's train entry");
  t.same(merged.stages.prepare, a.stages.prepare);
  t.notMatch(read(dir, 'rx.lock'), '<<<<<<<');
  t.equal(gitOk(dir, ['status', '--porcelain']), '', 'the merge is committed, nothing left over');
  const v = rx(dir, ['verify', '--json']);
  t.equal(v.code, 0, `the merged project verifies: ${v.stdout}`);
  clearRuns(dir);
  const after = reproJson(dir);
  t.equal(after.code, 0);
  t.notOk(Object.values(after.actions).includes('ran'), `no stage needs to run after the merge: ${JSON.stringify(after.actions)}`);
  t.same(runsLog(dir), []);
});

t.test('the same stage changed differently on both branches: a conflict, and rx.lock stays valid', async (t) => {
  const { dir, main } = hooked(t);
  for (const name of ['a', 'b']) {
    branch(t, dir, name, main, () => writeTree(dir, { 'scripts/train.sh': read(dir, 'scripts/train.sh') + `# variant ${name}\n` }), ['train']);
  }
  const ours = lockAt(dir, 'a');
  gitOk(dir, ['checkout', '-q', 'a']);
  const merge = git(dir, ['merge', '--no-edit', 'b']);
  t.not(merge.code, 0, 'git merge reports the conflict');
  t.match(merge.stdout + merge.stderr, 'stages changed on both sides: train', 'the merge driver names the stage');
  t.match(gitOk(dir, ['diff', '--name-only', '--diff-filter=U']), 'rx.lock', 'rx.lock is marked unmerged');
  t.notMatch(read(dir, 'rx.lock'), '<<<<<<<', 'no conflict markers in rx.lock');
  const merged = validLock(dir);
  t.same(merged.stages, ours.stages, 'the conflicting stage resolves to ours; the rest is unchanged');
  const v = rx(dir, ['verify', '--no-store', '--json']);
  // The lock is valid (ours), but scripts/train.sh now holds git's conflict markers, so it no
  // longer matches the hash ours recorded: exactly one finding, exit 1 (never 4: nothing is unreadable).
  t.equal(v.code, 1, `rx verify --no-store exits 1 on the conflicted script: ${v.stdout}${v.stderr}`);
  const verdict = outputAs('verify', v);
  t.same(
    verdict.findings.map((f: { code: string; stage?: string; path?: string }) => [f.code, f.stage, f.path]),
    [['RX_VERIFY_DEP_CHANGED', 'train', 'scripts/train.sh']],
    'the one finding is the conflicted dependency of train',
  );
  gitOk(dir, ['merge', '--abort']);
});

t.test('git diff of rx.lock reads through the textconv', async (t) => {
  const { dir } = hooked(t);
  writeTree(dir, { 'params.yaml': paramsYaml({ lr: 0.2 }) });
  t.equal(reproJson(dir).code, 0);
  const diff = gitOk(dir, ['diff', '--', 'rx.lock']);
  t.match(diff, '-stage train: param params.yaml:train.lr = 0.1');
  t.match(diff, '+stage train: param params.yaml:train.lr = 0.2');
  t.match(diff, /\+stage train: out model\/model\.txt sha256:[0-9a-f]{12} \(1 file, 15 bytes\)/);
  t.notMatch(diff, 'hash: sha256:', 'no raw YAML lines');
  t.match(gitOk(dir, ['diff', '--no-textconv', '--', 'rx.lock']), 'hash: sha256:', 'raw YAML without the textconv');
});

t.test('the pre-commit hook blocks a commit that rx verify rejects', async (t) => {
  const { dir } = hooked(t);
  const head = gitOk(dir, ['rev-parse', 'HEAD']);
  const blocked: { name: string; change: () => void; code: string }[] = [
    { name: 'a hand-edited metrics file', change: () => writeTree(dir, { 'metrics.json': read(dir, 'metrics.json').replace('2.3250', '9.9000') }), code: 'RX_VERIFY_OUT_CHANGED' },
    { name: 'a param changed without rx repro', change: () => writeTree(dir, { 'params.yaml': paramsYaml({ lr: 0.2 }) }), code: 'RX_VERIFY_PARAM_CHANGED' },
  ];
  for (const b of blocked) {
    b.change();
    gitOk(dir, ['add', '-A']);
    const r = git(dir, ['commit', '-q', '-m', b.name]);
    t.not(r.code, 0, `${b.name}: the commit is refused`);
    t.match(r.stdout + r.stderr, b.code);
    t.equal(gitOk(dir, ['rev-parse', 'HEAD']), head, 'HEAD did not move');
    gitOk(dir, ['reset', '-q', '--hard', 'HEAD']);
  }
  writeTree(dir, { 'params.yaml': paramsYaml({ lr: 0.2 }) });
  t.equal(reproJson(dir).code, 0);
  gitOk(dir, ['add', '-A']);
  const ok = git(dir, ['commit', '-q', '-m', 'lr 0.2, reproduced']);
  t.equal(ok.code, 0, `a verified change commits: ${ok.stderr}`);
  t.not(gitOk(dir, ['rev-parse', 'HEAD']), head);
});

t.test('git diff of an augmentation spec and a committed manifest reads by meaning', async (t) => {
  const { dir } = hooked(t);
  const spec = (p: number) => `schema: rx.augment/1\nseed: 1\nops:\n  - {op: rotate, p: ${p}, magnitude: {min: -10, max: 10}}\n  - {op: invert, p: 0.1}\n`;
  const manifest = (split: string) =>
    JSON.stringify({
      schema: 'rx.manifest/1',
      spec: { path: 'data/d.yaml', hash: 'ab'.repeat(32) },
      image: { height: 2, width: 2, channels: 1, maxValue: 255 },
      classes: ['cat', 'dog'],
      split: { seed: 0, fractions: { train: 1, val: 0, test: 0 } },
      stratify: [],
      pixels: { file: 'pixels.u8', sha256: 'cd'.repeat(32), bytes: 8 },
      sources: { s: { kind: 'real', available: 2, selected: 2, budget: { count: 2 }, provenance: {} } },
      samples: [
        { id: 's/0', hash: 'ef'.repeat(32), source: 's', label: 0, split: 'train' },
        { id: 's/1', hash: '01'.repeat(32), source: 's', label: 1, split },
      ],
    });
  writeTree(dir, { 'augment/policy.yaml': spec(0.5), 'data/manifest.json': manifest('train') });
  commitAll(dir, 'spec and manifest');
  writeTree(dir, { 'augment/policy.yaml': spec(0.8), 'data/manifest.json': manifest('test') });
  const diff = gitOk(dir, ['diff', '--', 'augment/policy.yaml', 'data/manifest.json']);
  t.match(diff, /-  1\. rotate .*p=0\.5/);
  t.match(diff, /\+  1\. rotate .*p=0\.8/);
  t.match(diff, '-s/1 train dog 010101010101');
  t.match(diff, '+s/1 test dog 010101010101');
  t.notMatch(diff, '"samples"', 'no raw JSON');
});

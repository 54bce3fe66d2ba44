// rx init: creates the project files (and a git repo when there is none), is idempotent,
// respects an existing repository and refuses to nest projects.
import t from 'tap';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { rx, git, writeTree } from '../../fixtures/project.js';
import { useTempDir, registerRepo, rxJson, rxError, parseOutput, gitOk, useProject } from '../../fixtures/e2e.js';

t.test('init in an empty directory creates a git repo and the project files', async (t) => {
  const dir = useTempDir(t);
  registerRepo(t, dir);
  const out = rxJson(dir, 'init', ['init']);
  t.equal(out.root, dir);
  t.equal(out.createdGitRepo, true);
  t.same([...out.created].sort(), ['.rx/.gitignore', '.rx/config.yaml']);
  t.ok(existsSync(path.join(dir, '.git')), 'a git repository exists');
  t.match(readFileSync(path.join(dir, '.rx/config.yaml'), 'utf8'), /^schema: 1$/m);
  t.equal(git(dir, ['rev-parse', '--is-inside-work-tree']).stdout.trim(), 'true');
});

t.test('init twice is a no-op that rewrites nothing', async (t) => {
  const dir = useTempDir(t);
  registerRepo(t, dir);
  rxJson(dir, 'init', ['init']);
  const config = readFileSync(path.join(dir, '.rx/config.yaml'));
  const again = rxJson(dir, 'init', ['init']);
  t.equal(again.createdGitRepo, false);
  t.same(again.created, []);
  t.same(readFileSync(path.join(dir, '.rx/config.yaml')), config);
  const text = rx(dir, ['init']);
  t.equal(text.code, 0);
});

t.test('init DIR creates the directory', async (t) => {
  const base = useTempDir(t);
  const dir = path.join(base, 'nested', 'proj');
  registerRepo(t, dir);
  const out = rxJson(base, 'init', ['init', 'nested/proj']);
  t.equal(out.root, dir);
  t.ok(existsSync(path.join(dir, '.rx/config.yaml')));
  t.ok(existsSync(path.join(dir, '.git')));
});

t.test('init inside an existing git repository keeps it (and its history)', async (t) => {
  const dir = useTempDir(t);
  registerRepo(t, dir);
  gitOk(dir, ['init', '-q', '-b', 'trunk']);
  writeTree(dir, { 'README': 'hello\n' });
  gitOk(dir, ['add', 'README']);
  gitOk(dir, ['commit', '-q', '-m', 'first']);
  const head = gitOk(dir, ['rev-parse', 'HEAD']).trim();
  // A project in a subdirectory of the repository.
  const out = rxJson(dir, 'init', ['init', 'sub']);
  t.equal(out.createdGitRepo, false);
  t.notOk(existsSync(path.join(dir, 'sub', '.git')), 'no nested repository');
  t.equal(gitOk(dir, ['rev-parse', 'HEAD']).trim(), head);
  t.equal(gitOk(dir, ['symbolic-ref', '--short', 'HEAD']).trim(), 'trunk');
  // The project works from its subdirectory and git can commit what rx writes.
  writeTree(path.join(dir, 'sub'), { 'data/a.txt': 'a' });
  t.equal(rx(path.join(dir, 'sub'), ['add', 'data']).code, 0);
  gitOk(dir, ['add', '-A']);
  gitOk(dir, ['commit', '-q', '-m', 'track data']);
  const tracked = gitOk(dir, ['ls-files']).split('\n').filter(Boolean).sort();
  t.same(tracked, ['README', 'sub/.gitignore', 'sub/.rx/.gitignore', 'sub/.rx/config.yaml', 'sub/data.rx']);
});

t.test('the store and temp files are ignored by git, the config is not', async (t) => {
  const dir = useProject(t);
  writeTree(dir, { 'data/a.txt': 'a', 'model.bin': 'weights' });
  t.equal(rx(dir, ['add', 'data', 'model.bin']).code, 0);
  const untracked = gitOk(dir, ['status', '--porcelain', '--untracked-files=all']).split('\n').filter(Boolean).map((l) => l.slice(3)).sort();
  t.same(untracked, ['.gitignore', '.rx/.gitignore', '.rx/config.yaml', 'data.rx', 'model.bin.rx']);
});

t.test('init inside an rx project refuses to nest', async (t) => {
  const dir = useProject(t);
  const { code, json } = rxError(dir, ['init', 'inner']);
  t.equal(code, 2);
  t.equal(json.error.code, 'RX_USAGE');
  t.notOk(existsSync(path.join(dir, 'inner', '.rx')));
  // Re-running init at the project root itself is fine.
  t.equal(parseOutput('init', rx(dir, ['init', '--json'])).created.length, 0);
});

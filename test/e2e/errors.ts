// Bad input: every mistake gets its exit code from the spec, a clear message and no stack
// trace; under --json the error is a document matching errorOutputSchema.
//   2 usage (paths outside the project, unknown commands/options, git-tracked data)
//   3 not an rx project     4 invalid file, reported as file:line
import t from 'tap';
import { symlinkSync, readFileSync, writeFileSync, existsSync, mkdirSync } from 'node:fs';
import * as path from 'node:path';
import { rx, writeTree } from '../../fixtures/project.js';
import { useProject, useTempDir, rxJson, parseOutput, hasStackTrace, gitOk, type ErrorJson } from '../../fixtures/e2e.js';

const at = (dir: string, rel: string) => path.join(dir, ...rel.split('/'));
type Tap = Parameters<Parameters<typeof t.test>[0]>[0];

/** Runs rx with --json expecting an error: exit code, error document, a message and no stack trace. */
function expectError(t: Tap, cwd: string, args: string[], exitCode: number, code: string | undefined): ErrorJson | undefined {
  const r = rx(cwd, [...args, '--json']);
  t.equal(r.code, exitCode, `rx ${args.join(' ')}: exit ${exitCode}\n${r.stderr}`);
  t.notOk(hasStackTrace(r.stderr), 'no stack trace');
  t.ok(r.stderr.trim().length > 0, 'a message on stderr');
  let json: ErrorJson | undefined;
  try {
    json = parseOutput<ErrorJson>('error', r);
  } catch (err) {
    t.fail((err as Error).message);
    return undefined;
  }
  t.equal(json.error.exitCode, exitCode);
  if (code) t.equal(json.error.code, code);
  return json;
}

t.test('paths outside the project are usage errors (exit 2)', async (t) => {
  const dir = useProject(t);
  const outside = useTempDir(t);
  writeTree(outside, { 'secret.txt': 'not yours', 'dir/f': 'x' });
  writeTree(dir, { 'data/ok.txt': 'fine' });
  symlinkSync(outside, at(dir, 'link-out'));
  symlinkSync(path.join(outside, 'secret.txt'), at(dir, 'data-link'));
  const cases: [string, string[]][] = [
    ['a relative path climbing out', ['add', '../x']],
    ['an existing file outside', ['add', path.join(outside, 'secret.txt')]],
    ['an absolute directory outside', ['add', path.join(outside, 'dir')]],
    ['a symlink to a directory outside', ['add', 'link-out']],
    ['a path through a symlink resolving outside', ['add', 'link-out/secret.txt']],
    ['a symlink to a file outside', ['add', 'data-link']],
    ['checkout of a path outside', ['checkout', '../x']],
    ['status of a path outside', ['status', path.join(outside, 'secret.txt')]],
    ['the .git directory', ['add', '.git/config']],
    ['the .rx directory', ['add', '.rx/config.yaml']],
  ];
  for (const [name, args] of cases) {
    await t.test(name, async (t) => {
      const json = expectError(t, dir, args, 2, 'RX_USAGE');
      t.ok(json && json.error.message.length > 0);
    });
  }
  t.notOk(existsSync(path.join(outside, 'secret.txt.rx')), 'nothing written outside');
  t.notOk(existsSync(at(dir, 'link-out.rx')));
  t.equal(readFileSync(path.join(outside, 'secret.txt'), 'utf8'), 'not yours');
});

t.test('a symlink inside a tracked directory is refused', async (t) => {
  const dir = useProject(t);
  writeTree(dir, { 'data/a': 'a' });
  symlinkSync('/etc/hostname', at(dir, 'data/escape'));
  expectError(t, dir, ['add', 'data'], 2, 'RX_USAGE');
  t.notOk(existsSync(at(dir, 'data.rx')));
});

const badPointers: { name: string; text: string; line: number; field?: string }[] = [
  { name: 'bad YAML', text: 'schema: 1\npath: data\ntype: dir\nhash: [unclosed\nsize: 13\nnfiles: 1\n', line: 5 },
  { name: 'a wrong field type', text: 'schema: 1\npath: data\ntype: dir\nhash: sha256:{H}\nsize: thirteen\nnfiles: 1\n', line: 5, field: 'size' },
  { name: 'an unknown field', text: 'schema: 1\npath: data\ntype: dir\nhash: sha256:{H}\nsize: 13\nnfiles: 1\ncolour: blue\n', line: 7, field: 'colour' },
  { name: 'a missing field', text: 'schema: 1\npath: data\ntype: dir\nsize: 13\nnfiles: 1\n', line: 1, field: 'hash' },
  { name: 'a bad hash', text: 'schema: 1\npath: data\ntype: dir\nhash: md4:xyz\nsize: 13\nnfiles: 1\n', line: 4, field: 'hash' },
  { name: 'a duplicate key', text: 'schema: 1\npath: data\npath: other\ntype: dir\nhash: sha256:{H}\nsize: 13\nnfiles: 1\n', line: 3 },
];

t.test('a corrupt pointer file gives exit 4 with file:line', async (t) => {
  const dir = useProject(t);
  writeTree(dir, { 'sub/data/a': 'a' });
  const hash = rxJson(dir, 'add', ['add', 'sub/data']).added[0].hash.split(':')[1];
  for (const p of badPointers) {
    await t.test(p.name, async (t) => {
      writeFileSync(at(dir, 'sub/data.rx'), p.text.replace('{H}', hash));
      // Every reader of pointer files reports it the same way; one bad pointer is enough to show it.
      const commands = p.name === 'an unknown field' ? [['status'], ['checkout'], ['fsck'], ['gc', '--workspace', '--dry'], ['status', 'sub/data']] : [['status']];
      for (const args of commands) {
        const json = expectError(t, dir, args, 4, 'RX_INVALID_FILE');
        t.match(json?.error.message ?? '', `sub/data.rx:${p.line}`, 'the message locates the problem');
        const problem = (json?.error.data?.problems as { file: string; line: number; field?: string }[] | undefined)?.[0];
        t.match(problem, { file: 'sub/data.rx', line: p.line, ...(p.field ? { field: p.field } : {}) });
      }
    });
  }
});

t.test('a corrupt .rx/config.yaml gives exit 4 with file:line', async (t) => {
  const dir = useProject(t);
  const config = at(dir, '.rx/config.yaml');
  writeFileSync(config, readFileSync(config, 'utf8').replace('hash: sha256', 'hash: sha1'));
  const json = expectError(t, dir, ['status'], 4, 'RX_INVALID_FILE');
  t.match(json?.error.message ?? '', /\.rx\/config\.yaml:\d+/);
});

t.test('commands outside a project exit 3', async (t) => {
  const dir = useTempDir(t);
  writeTree(dir, { 'data/a': 'a' });
  for (const args of [['add', 'data'], ['checkout'], ['status'], ['gc', '--workspace'], ['fsck']]) {
    await t.test(args.join(' '), async (t) => {
      expectError(t, dir, args, 3, 'RX_NOT_PROJECT');
    });
  }
  t.notOk(existsSync(at(dir, 'data.rx')));
  t.notOk(existsSync(at(dir, '.rx')));
});

t.test('-C runs in another directory', async (t) => {
  const dir = useProject(t);
  const elsewhere = useTempDir(t);
  writeTree(dir, { 'f': 'x' });
  t.equal(rx(elsewhere, ['-C', dir, 'add', 'f']).code, 0);
  t.ok(existsSync(at(dir, 'f.rx')));
  expectError(t, elsewhere, ['-C', path.join(elsewhere, 'nope'), 'status'], 3, 'RX_NOT_PROJECT');
});

t.test('unknown commands and options, missing arguments: exit 2', async (t) => {
  const dir = useProject(t);
  for (const args of [['frobnicate'], ['status', '--frobnicate'], ['--frobnicate', 'status'], ['add'], ['gc', '--workspace', 'extra-arg']]) {
    await t.test(args.join(' '), async (t) => {
      expectError(t, dir, args, 2, 'RX_USAGE');
    });
  }
  const bare = rx(dir, []);
  t.equal(bare.code, 2, 'no command: usage');
  t.equal(rx(dir, ['--help']).code, 0);
  t.equal(rx(dir, ['status', '--help']).code, 0);
  t.match(rx(dir, ['--version']).stdout, /^\d+\.\d+\.\d+/);
});

t.test('rx add refuses data that git tracks', async (t) => {
  const dir = useProject(t);
  writeTree(dir, { 'data/a.csv': '1,2\n', 'data/b.csv': '3,4\n', 'model.bin': 'm', 'sub/x/f': 'f' });
  gitOk(dir, ['add', 'data/a.csv', 'model.bin', 'sub/x/f']);
  gitOk(dir, ['commit', '-q', '-m', 'data in git']);
  for (const target of ['data', 'data/a.csv', 'model.bin', 'sub']) {
    await t.test(target, async (t) => {
      const json = expectError(t, dir, ['add', target], 2, 'RX_USAGE');
      t.match(json?.error.message ?? '', 'tracked by git');
      t.notOk(existsSync(at(dir, `${target}.rx`)), 'no pointer written');
    });
  }
  t.equal(readFileSync(at(dir, 'model.bin'), 'utf8'), 'm', 'the file is untouched');
  t.equal(gitOk(dir, ['status', '--porcelain']).split('\n').filter((l) => l.startsWith(' M') || l.startsWith('D')).length, 0, 'git sees no change');
  // Once git stops tracking it, rx takes it.
  gitOk(dir, ['rm', '-q', '--cached', 'model.bin']);
  t.equal(rx(dir, ['add', 'model.bin']).code, 0);
});

t.test('rx add: other refusals', async (t) => {
  const dir = useProject(t);
  writeTree(dir, { 'data/in/f': 'f', 'other/x': 'x' });
  rxJson(dir, 'add', ['add', 'data']);
  mkdirSync(at(dir, 'empty-dir'));
  const cases: [string, string[]][] = [
    ['a missing path', ['add', 'no/such/file']],
    ['a pointer file', ['add', 'data.rx']],
    ['a path inside a tracked directory', ['add', 'data/in/f']],
    ['a directory containing a tracked path', ['add', '.']],
    ['two paths where one contains the other', ['add', 'other', 'other/x']],
  ];
  for (const [name, args] of cases) {
    await t.test(name, async (t) => {
      expectError(t, dir, args, 2, undefined);
    });
  }
  t.notOk(existsSync(at(dir, 'other.rx')));
});

t.test('without --json: the message on stderr, nothing on stdout, the same exit codes', async (t) => {
  const dir = useProject(t);
  const outside = useTempDir(t);
  writeTree(dir, { 'data/a': 'a' });
  rxJson(dir, 'add', ['add', 'data']);
  const cases: [string, string[], number, RegExp][] = [
    [dir, ['add', '../x'], 2, /outside the project/],
    [dir, ['frobnicate'], 2, /unknown command/],
    [outside, ['status'], 3, /not an rx project/],
  ];
  for (const [cwd, args, code, message] of cases) {
    const r = rx(cwd, args);
    t.equal(r.code, code, args.join(' '));
    t.equal(r.stdout, '');
    t.match(r.stderr, message);
    t.notOk(hasStackTrace(r.stderr));
  }
  writeFileSync(at(dir, 'data.rx'), 'schema: 1\npath: data\ntype: dir\nhash: [\n');
  const bad = rx(dir, ['status']);
  t.equal(bad.code, 4);
  t.equal(bad.stdout, '');
  t.match(bad.stderr, /data\.rx:\d+/);
  // With RX_DEBUG=1 the stack trace is there for whoever asks.
  t.ok(hasStackTrace(rx(dir, ['status'], { RX_DEBUG: '1' }).stderr));
});

// rx add: tracks files and directories (pointer file, .gitignore entry, store objects);
// delete the workspace copy and `rx checkout` gives back identical bytes and mode bits;
// adding again is a no-op that reads nothing and rewrites nothing.
import t from 'tap';
import { existsSync, readFileSync, rmSync, statSync, lstatSync, symlinkSync, chmodSync, writeFileSync, utimesSync } from 'node:fs';
import * as path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { rx, writeTree, pseudoRandomBytes } from '../../fixtures/project.js';
import { useProject, rxJson, snapshotTree, replaceFile, storeObjects, sha256Hex, gitOk, objectPath } from '../../fixtures/e2e.js';

type Spec = Record<string, string | Buffer | { content: string | Buffer; mode: number }>;

const cases: { name: string; target: string; files: Spec; nfiles: number; type: 'file' | 'dir' }[] = [
  { name: 'a single file', target: 'model.bin', files: { 'model.bin': pseudoRandomBytes(70_000, 1) }, nfiles: 1, type: 'file' },
  { name: 'an empty file', target: 'empty.txt', files: { 'empty.txt': '' }, nfiles: 1, type: 'file' },
  { name: 'an executable file', target: 'tool.sh', files: { 'tool.sh': { content: '#!/bin/sh\necho hi\n', mode: 0o755 } }, nfiles: 1, type: 'file' },
  { name: 'a file in a subdirectory', target: 'models/v1/w.bin', files: { 'models/v1/w.bin': pseudoRandomBytes(1000, 2) }, nfiles: 1, type: 'file' },
  {
    name: 'a nested directory with empty files, exec bits and duplicates',
    target: 'data',
    files: {
      'data/a.txt': 'alpha\n',
      'data/empty': '',
      'data/sub/empty-too': '',
      'data/sub/deeper/x.bin': pseudoRandomBytes(300_000, 3),
      'data/sub/deeper/copy.bin': pseudoRandomBytes(300_000, 3),
      'data/sub/run.sh': { content: '#!/bin/sh\nexit 0\n', mode: 0o755 },
      'data/sub/run-copy.sh': { content: '#!/bin/sh\nexit 0\n', mode: 0o755 },
      'data/sub/not-exec.sh': '#!/bin/sh\nexit 0\n',
      'data/.hidden': 'h',
      'data/ünïcode name.txt': 'u',
    },
    nfiles: 10,
    type: 'dir',
  },
];

for (const c of cases) {
  t.test(`add, delete, checkout round trip: ${c.name}`, async (t) => {
    const dir = useProject(t);
    writeTree(dir, c.files);
    const target = path.join(dir, c.target);
    const before = snapshotTree(target);

    const out = rxJson(dir, 'add', ['add', c.target]);
    t.equal(out.added.length, 1);
    const a = out.added[0];
    t.match(a, { path: c.target, pointer: `${c.target}.rx`, type: c.type, nfiles: c.nfiles, changed: true, hashedFiles: c.nfiles });
    t.equal(a.size, Object.values(before).reduce((s, f) => s + f.size, 0));
    t.same(snapshotTree(target), before, 'add leaves the workspace content and modes as they were');

    // The pointer file: canonical YAML naming the data by hash, next to the data.
    const pointer = parseYaml(readFileSync(path.join(dir, `${c.target}.rx`), 'utf8'));
    t.match(pointer, { schema: 1, path: path.posix.basename(c.target), type: c.type, hash: a.hash, size: a.size, nfiles: c.nfiles });
    if (c.type === 'file') t.equal(a.hash, `sha256:${before['']!.sha256}`, 'a file is named by the sha256 of its bytes');
    const ignore = readFileSync(path.join(path.dirname(target), '.gitignore'), 'utf8');
    t.match(ignore, new RegExp(`^/${path.basename(c.target)}$`, 'm'), 'the data is ignored by git');

    rmSync(target, { recursive: true, force: true });
    const co = rxJson(dir, 'checkout', ['checkout']);
    t.same(co.paths, [{ path: c.target, action: 'restored', written: c.nfiles, removed: 0 }]);
    t.same(snapshotTree(target), before, 'checkout restores identical bytes and exec bits');
    t.equal(rxJson(dir, 'status', ['status']).clean, true);

    // Committing the pointer and .gitignore with git leaves the data itself out of git.
    gitOk(dir, ['add', '-A']);
    gitOk(dir, ['commit', '-q', '-m', 'track']);
    const inGit = gitOk(dir, ['ls-files']).split('\n');
    t.ok(inGit.includes(`${c.target}.rx`));
    t.notOk(inGit.some((p) => p === c.target || p.startsWith(`${c.target}/`)), 'the data is not in git');
  });
}

t.test('add twice is a no-op: nothing hashed, pointer bytes unchanged', async (t) => {
  const dir = useProject(t);
  writeTree(dir, { 'data/a': 'a', 'data/b/c': pseudoRandomBytes(50_000, 9), 'data/e': '', 'w.bin': 'w' });
  const first = rxJson(dir, 'add', ['add', 'data', 'w.bin']);
  t.same(first.added.map((a: { changed: boolean }) => a.changed), [true, true]);
  const pointers = ['data.rx', 'w.bin.rx'].map((p) => path.join(dir, p));
  const bytes = pointers.map((p) => readFileSync(p));
  const mtimes = pointers.map((p) => statSync(p).mtimeMs);
  const objects = [...storeObjects(dir).keys()].sort();

  const second = rxJson(dir, 'add', ['add', 'data', 'w.bin']);
  for (const [i, a] of second.added.entries()) {
    t.match(a, { changed: false, hashedFiles: 0, newObjects: 0, hash: first.added[i].hash }, a.path);
  }
  t.same(pointers.map((p) => readFileSync(p)), bytes, 'pointer bytes unchanged');
  t.same(pointers.map((p) => statSync(p).mtimeMs), mtimes, 'pointer files not rewritten');
  t.same([...storeObjects(dir).keys()].sort(), objects, 'no new objects');
});

t.test('re-adding an unchanged directory still checks its objects: a lost one is stored again, a corrupt one replaced', async (t) => {
  const dir = useProject(t);
  const files: Spec = {};
  for (let i = 0; i < 30; i++) files[`data/d${i % 3}/f${i}`] = `file ${i}\n`;
  writeTree(dir, files);
  const first = rxJson(dir, 'add', ['add', 'data']).added[0];
  const f3 = objectPath(dir, `sha256:${sha256Hex('file 3\n')}`);
  rmSync(f3, { force: true });
  const lost = rxJson(dir, 'add', ['add', 'data']).added[0];
  t.match(lost, { changed: false, hash: first.hash, hashedFiles: 0, newObjects: 1 }, 'the lost object is stored again from the workspace');
  t.equal(readFileSync(f3, 'utf8'), 'file 3\n');
  // A flipped byte of the same size, the object's times put back: its stat key still moved (ctime).
  const f5 = objectPath(dir, `sha256:${sha256Hex('file 5\n')}`);
  const st = statSync(f5);
  chmodSync(f5, 0o644);
  writeFileSync(f5, 'fiLe 5\n');
  utimesSync(f5, st.atime, st.mtime);
  const corrupt = rxJson(dir, 'add', ['add', 'data']).added[0];
  t.match(corrupt, { changed: false, hash: first.hash, newObjects: 1 }, 'the corrupt object is replaced');
  t.equal(readFileSync(f5, 'utf8'), 'file 5\n');
  t.equal(rx(dir, ['fsck']).code, 0, 'fsck is clean');
  // The manifest object itself lost: stored again, nothing else.
  rmSync(objectPath(dir, first.hash), { force: true });
  t.match(rxJson(dir, 'add', ['add', 'data']).added[0], { changed: false, hash: first.hash, hashedFiles: 0, newObjects: 1 });
  t.match(rxJson(dir, 'add', ['add', 'data']).added[0], { changed: false, hashedFiles: 0, newObjects: 0 }, 'and then it is a no-op again');
  // A same-size edit in the workspace with its mtime put back is seen (ctime is in the key).
  const w = path.join(dir, 'data/d1/f4');
  const wst = statSync(w);
  writeFileSync(w, 'FILE 4\n');
  utimesSync(w, wst.atime, wst.mtime);
  t.match(rxJson(dir, 'add', ['add', 'data']).added[0], { changed: true, hashedFiles: 1 }, 'the edited file is hashed');
});

t.test('re-adding after an edit hashes only the changed file', async (t) => {
  const dir = useProject(t);
  const files: Spec = {};
  for (let i = 0; i < 40; i++) files[`data/f${i}`] = `file ${i}\n`;
  writeTree(dir, files);
  const first = rxJson(dir, 'add', ['add', 'data']).added[0];
  replaceFile(path.join(dir, 'data/f7'), 'changed\n');
  const second = rxJson(dir, 'add', ['add', 'data']).added[0];
  t.match(second, { changed: true, hashedFiles: 1, newObjects: 2, nfiles: 40 }, 'one file object and the new manifest');
  t.not(second.hash, first.hash);
  // The edit is what checkout restores now.
  rmSync(path.join(dir, 'data'), { recursive: true });
  t.equal(rx(dir, ['checkout']).code, 0);
  t.equal(readFileSync(path.join(dir, 'data/f7'), 'utf8'), 'changed\n');
});

t.test('a mode change alone is a change', async (t) => {
  const dir = useProject(t);
  // Distinct contents: files with equal content share one hardlinked inode, and so one mode.
  writeTree(dir, { 'data/run': 'echo run\n', 'tool': 'echo tool\n' });
  const first = rxJson(dir, 'add', ['add', 'data', 'tool']).added;
  for (const f of ['data/run', 'tool']) chmodSync(path.join(dir, f), 0o755);
  const second = rxJson(dir, 'add', ['add', 'data', 'tool']).added;
  t.same(second.map((a: { changed: boolean }) => a.changed), [true, true]);
  t.not(second[0].hash, first[0].hash, 'the directory hash covers exec bits');
  t.equal(parseYaml(readFileSync(path.join(dir, 'tool.rx'), 'utf8')).mode, '755');
  rmSync(path.join(dir, 'data'), { recursive: true });
  rmSync(path.join(dir, 'tool'));
  t.equal(rx(dir, ['checkout']).code, 0);
  t.equal(statSync(path.join(dir, 'data/run')).mode & 0o777, 0o755);
  t.equal(statSync(path.join(dir, 'tool')).mode & 0o777, 0o755);
});

t.test('identical content is stored once', async (t) => {
  const dir = useProject(t);
  const blob = pseudoRandomBytes(100_000, 5);
  writeTree(dir, { 'a/x': blob, 'a/y': blob, 'b/z': blob });
  rxJson(dir, 'add', ['add', 'a']);
  const out = rxJson(dir, 'add', ['add', 'b']).added[0];
  t.equal(out.newObjects, 1, 'only the manifest of b is new');
  const objects = storeObjects(dir);
  t.ok(objects.has(`sha256:${sha256Hex(blob)}`));
  t.equal(objects.size, 3, 'one data object and two manifests');
});

t.test('add --desc stores the description; add from a subdirectory', async (t) => {
  const dir = useProject(t);
  writeTree(dir, { 'exp/raw/a.csv': 'x,y\n1,2\n' });
  const out = rxJson(path.join(dir, 'exp'), 'add', ['add', 'raw', '--desc', 'raw samples: v1']);
  t.match(out.added[0], { path: 'exp/raw', pointer: 'exp/raw.rx' });
  t.equal(parseYaml(readFileSync(path.join(dir, 'exp/raw.rx'), 'utf8')).desc, 'raw samples: v1');
  t.ok(existsSync(path.join(dir, 'exp/.gitignore')));
  t.equal(rx(dir, ['status', '--exit-code']).code, 0);
  // A re-add of changed data keeps the description; --desc replaces it.
  const desc = () => parseYaml(readFileSync(path.join(dir, 'exp/raw.rx'), 'utf8')).desc;
  writeTree(dir, { 'exp/raw/b.csv': 'x,y\n3,4\n' });
  t.equal(rx(dir, ['add', 'exp/raw']).code, 0);
  t.equal(parseYaml(readFileSync(path.join(dir, 'exp/raw.rx'), 'utf8')).nfiles, 2);
  t.equal(desc(), 'raw samples: v1', 'kept by a plain re-add');
  t.equal(rx(dir, ['add', 'exp/raw', '--desc', 'v2']).code, 0);
  t.equal(desc(), 'v2');
  // A pointer broken by hand is replaced by a fresh one, without a description.
  writeFileSync(path.join(dir, 'exp/raw.rx'), 'schema: [\n');
  t.equal(rx(dir, ['add', 'exp/raw']).code, 0);
  t.equal(desc(), undefined);
  // A pointer that is a symlink: replaced by a file of its own, the target (outside the
  // project) neither rewritten nor read for a description.
  const outside = path.join(path.dirname(dir), `${path.basename(dir)}-outside.rx`);
  const crafted = 'schema: 1\npath: raw\ntype: dir\nhash: sha256:' + '0'.repeat(64) + '\nsize: 1\nnfiles: 1\ndesc: outside secret\n';
  writeFileSync(outside, crafted);
  t.teardown(() => rmSync(outside, { force: true }));
  rmSync(path.join(dir, 'exp/raw.rx'));
  symlinkSync(outside, path.join(dir, 'exp/raw.rx'));
  t.equal(rx(dir, ['add', 'exp/raw']).code, 0);
  t.ok(lstatSync(path.join(dir, 'exp/raw.rx')).isFile(), 'the symlink is replaced');
  t.equal(readFileSync(outside, 'utf8'), crafted, 'its target is untouched');
  t.equal(desc(), undefined, 'no description read through the symlink');
});

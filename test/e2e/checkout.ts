// rx checkout: makes the workspace match the pointer files. Never destroys data that exists
// nowhere else (exit 1 unless --force), reports missing objects (exit 6) after restoring
// the rest, follows pointers changed by git, and round-trips random trees exactly.
import t from 'tap';
import { rmSync, chmodSync, readFileSync, existsSync, statSync, mkdirSync } from 'node:fs';
import * as path from 'node:path';
import { rx, writeTree, pseudoRandomBytes } from '../../fixtures/project.js';
import {
  useProject,
  rxJson,
  rxError,
  replaceFile,
  snapshotTree,
  objectPath,
  sha256Hex,
  gitOk,
  randomTree,
  writeFiles,
  expectedSnapshot,
  seededRandom,
  type TestLike,
} from '../../fixtures/e2e.js';

const at = (dir: string, rel: string) => path.join(dir, ...rel.split('/'));
const B = pseudoRandomBytes(30_000, 11);

/** A project tracking data/ (nested) and model.bin, with a snapshot of each. */
function trackedProject(t: TestLike) {
  const dir = useProject(t);
  writeTree(dir, { 'data/a.txt': 'alpha\n', 'data/sub/b.bin': B, 'data/sub/run.sh': { content: '#!/bin/sh\n', mode: 0o755 }, 'data/e': '', 'model.bin': 'weights v1' });
  rxJson(dir, 'add', ['add', 'data', 'model.bin']);
  return { dir, data: snapshotTree(at(dir, 'data')), model: snapshotTree(at(dir, 'model.bin')) };
}

const conflicts: { name: string; change: (dir: string) => void; conflict: string; check: (dir: string) => void }[] = [
  {
    name: 'a modified file in a tracked directory',
    change: (dir) => replaceFile(at(dir, 'data/sub/b.bin'), 'precious edit'),
    conflict: 'data/sub/b.bin',
    check: (dir) => readFileSync(at(dir, 'data/sub/b.bin'), 'utf8') === 'precious edit',
  },
  {
    name: 'a modified tracked file',
    change: (dir) => replaceFile(at(dir, 'model.bin'), 'weights v2, never added'),
    conflict: 'model.bin',
    check: (dir) => readFileSync(at(dir, 'model.bin'), 'utf8') === 'weights v2, never added',
  },
  {
    name: 'a new file inside a tracked directory',
    change: (dir) => writeTree(dir, { 'data/notes.txt': 'mine' }),
    conflict: 'data/notes.txt',
    check: (dir) => readFileSync(at(dir, 'data/notes.txt'), 'utf8') === 'mine',
  },
  {
    name: 'a file standing where a tracked directory was',
    change: (dir) => {
      rmSync(at(dir, 'data'), { recursive: true });
      writeTree(dir, { data: 'not a directory' });
    },
    conflict: 'data',
    check: (dir) => readFileSync(at(dir, 'data'), 'utf8') === 'not a directory',
  },
];

// One project for all conflicts: each ends with --force restoring the tracked state.
t.test('checkout refuses to destroy data that is not in the store, unless --force', async (t) => {
  const { dir, data, model } = trackedProject(t);
  for (const c of conflicts) {
    await t.test(c.name, async (t) => {
      c.change(dir);
      const refused = rxError(dir, ['checkout']);
      t.equal(refused.code, 1);
      t.equal(refused.json.error.code, 'RX_WOULD_OVERWRITE');
      t.same(refused.json.error.data?.paths, [c.conflict]);
      t.match(refused.stderr, c.conflict);
      t.ok(c.check(dir), 'the workspace data is intact');

      const forced = rxJson(dir, 'checkout', ['checkout', '--force']);
      t.ok(forced.paths.some((p: { action: string }) => p.action !== 'unchanged'));
      t.same(snapshotTree(at(dir, 'data')), data);
      t.same(snapshotTree(at(dir, 'model.bin')), model);
    });
  }
  t.equal(rx(dir, ['status', '--exit-code']).code, 0);
});

t.test('checkout overwrites changes whose content is in the store', async (t) => {
  const { dir, data } = trackedProject(t);
  replaceFile(at(dir, 'data/sub/b.bin'), 'alpha\n'); // the content of data/a.txt: stored
  chmodSync(at(dir, 'data/sub/run.sh'), 0o644); // a mode change loses nothing
  rmSync(at(dir, 'data/e'));
  const out = rxJson(dir, 'checkout', ['checkout']);
  t.same(out.paths, [
    { path: 'data', action: 'updated', written: 2, removed: 0 },
    { path: 'model.bin', action: 'unchanged', written: 0, removed: 0 },
  ]);
  t.same(snapshotTree(at(dir, 'data')), data);
  t.same(rxJson(dir, 'checkout', ['checkout']).paths.map((p: { action: string }) => p.action), ['unchanged', 'unchanged']);
});

t.test('checkout with a missing object restores the rest and exits 6 naming it', async (t) => {
  const { dir, data } = trackedProject(t);
  const lost = `sha256:${sha256Hex(B)}`;
  rmSync(objectPath(dir, lost));
  rmSync(at(dir, 'data'), { recursive: true });
  rmSync(at(dir, 'model.bin'));
  const r = rxError(dir, ['checkout']);
  t.equal(r.code, 6);
  t.equal(r.json.error.code, 'RX_OBJECT_MISSING');
  t.same(r.json.error.data?.missing, [lost]);
  t.match(r.stderr, lost, 'the message names the missing object');
  t.notOk(r.stderr.includes('    at '), 'no stack trace');
  const now = snapshotTree(at(dir, 'data'));
  const { 'sub/b.bin': _lost, ...rest } = data;
  t.same(now, rest, 'every other file was restored');
  t.equal(readFileSync(at(dir, 'model.bin'), 'utf8'), 'weights v1');
});

t.test('checkout with a missing directory manifest exits 6', async (t) => {
  const { dir } = trackedProject(t);
  const pointer = readFileSync(at(dir, 'data.rx'), 'utf8');
  const hash = /^hash: (\S+)$/m.exec(pointer)![1]!;
  rmSync(objectPath(dir, hash));
  rmSync(at(dir, 'data'), { recursive: true });
  const r = rxError(dir, ['checkout', 'data']);
  t.equal(r.code, 6);
  t.same(r.json.error.data?.missing, [hash]);
});

t.test('checkout PATH restores only what it names (data path, pointer file or directory of pointers)', async (t) => {
  const { dir, data, model } = trackedProject(t);
  writeTree(dir, { 'nested/deep/w.bin': 'w' });
  rxJson(dir, 'add', ['add', 'nested/deep/w.bin']);
  const gone = () => ['data', 'model.bin', 'nested/deep/w.bin'].forEach((p) => rmSync(at(dir, p), { recursive: true, force: true }));
  gone();
  t.same(rxJson(dir, 'checkout', ['checkout', 'model.bin']).paths.map((p: { path: string }) => p.path), ['model.bin']);
  t.notOk(existsSync(at(dir, 'data')));
  t.same(rxJson(dir, 'checkout', ['checkout', 'data.rx']).paths.map((p: { path: string }) => p.path), ['data']);
  t.same(snapshotTree(at(dir, 'data')), data);
  t.same(snapshotTree(at(dir, 'model.bin')), model);
  t.same(rxJson(dir, 'checkout', ['checkout', 'nested']).paths.map((p: { path: string }) => p.path), ['nested/deep/w.bin']);
  t.equal(readFileSync(at(dir, 'nested/deep/w.bin'), 'utf8'), 'w');
  // From a subdirectory, paths are relative to it.
  gone();
  t.same(rxJson(at(dir, 'nested'), 'checkout', ['checkout', 'deep/w.bin']).paths.map((p: { path: string }) => p.path), ['nested/deep/w.bin']);
  const untracked = rxError(dir, ['checkout', 'nope']);
  t.equal(untracked.code, 2);
});

t.test('checkout follows pointer files that git changed (old and new versions)', async (t) => {
  const dir = useProject(t);
  writeTree(dir, { 'data/keep': 'same in both', 'data/v': 'version 1', 'data/only-v1': 'gone later' });
  rxJson(dir, 'add', ['add', 'data']);
  gitOk(dir, ['add', '-A']);
  gitOk(dir, ['commit', '-q', '-m', 'data v1']);
  const v1 = snapshotTree(at(dir, 'data'));
  replaceFile(at(dir, 'data/v'), 'version 2');
  rmSync(at(dir, 'data/only-v1'));
  writeTree(dir, { 'data/new/in-v2': 'added' });
  rxJson(dir, 'add', ['add', 'data']);
  gitOk(dir, ['add', '-A']);
  gitOk(dir, ['commit', '-q', '-m', 'data v2']);
  const v2 = snapshotTree(at(dir, 'data'));

  gitOk(dir, ['checkout', '-q', 'HEAD~1', '--', 'data.rx']);
  t.equal(rx(dir, ['status', '--exit-code']).code, 1, 'the workspace no longer matches the pointer');
  const back = rxJson(dir, 'checkout', ['checkout']);
  t.same(back.paths, [{ path: 'data', action: 'updated', written: 2, removed: 1 }]);
  t.same(snapshotTree(at(dir, 'data')), v1);
  t.notOk(existsSync(at(dir, 'data/new')), 'directories emptied by checkout are removed');
  gitOk(dir, ['checkout', '-q', 'HEAD', '--', 'data.rx']);
  rxJson(dir, 'checkout', ['checkout']);
  t.same(snapshotTree(at(dir, 'data')), v2);
  t.equal(rx(dir, ['status', '--exit-code']).code, 0);
});

t.test('checkout replaces a directory standing where a tracked file goes (content in store)', async (t) => {
  const { dir, model } = trackedProject(t);
  rmSync(at(dir, 'model.bin'));
  mkdirSync(at(dir, 'model.bin'));
  t.equal(rx(dir, ['checkout']).code, 0, 'an empty directory holds no data');
  t.same(snapshotTree(at(dir, 'model.bin')), model);
  t.ok(statSync(at(dir, 'model.bin')).isFile());
});

// Property: for seeded random trees (names, nesting, sizes including 0, exec bits,
// duplicate contents), add -> rm -rf -> checkout gives back every byte and mode bit, and the
// directory hash does not depend on the order the files were created in. All seeds share
// one project (and one more for the shuffled copies) to keep the number of rx runs small.
const SEEDS = [1, 2, 3, 4, 5, 6];
t.test('property: random trees round-trip, and their hash ignores creation order', async (t) => {
  const trees = SEEDS.map((seed) => ({ seed, name: `tree-${seed}`, files: randomTree(seed, 12 + seed * 7) }));
  const a = useProject(t);
  for (const tr of trees) writeFiles(at(a, tr.name), tr.files);
  for (const tr of trees) t.same(snapshotTree(at(a, tr.name)), expectedSnapshot(tr.files), `seed ${tr.seed}: fixture written as generated`);
  const added = rxJson(a, 'add', ['add', ...trees.map((tr) => tr.name)]).added;
  trees.forEach((tr, i) => t.equal(added[i].nfiles, tr.files.length, `seed ${tr.seed}: every file tracked`));
  for (const tr of trees) rmSync(at(a, tr.name), { recursive: true });
  const co = rxJson(a, 'checkout', ['checkout']);
  t.same(co.paths, trees.map((tr) => ({ path: tr.name, action: 'restored', written: tr.files.length, removed: 0 })));
  for (const tr of trees) t.same(snapshotTree(at(a, tr.name)), expectedSnapshot(tr.files), `seed ${tr.seed}: bytes and exec bits round-trip`);

  // The same files created in a shuffled order, in another project and directory, hash the same.
  const b = useProject(t);
  for (const tr of trees) {
    const rand = seededRandom(tr.seed * 7919);
    const shuffled = [...tr.files];
    for (let i = shuffled.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!];
    }
    writeFiles(at(b, `elsewhere/${tr.name}`), shuffled);
  }
  const again = rxJson(b, 'add', ['add', ...trees.map((tr) => `elsewhere/${tr.name}`)]).added;
  trees.forEach((tr, i) => t.equal(again[i].hash, added[i].hash, `seed ${tr.seed}: same tree, same hash`));
});

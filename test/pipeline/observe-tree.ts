// Observing a path in a commit's tree gives the hash the workspace gives for the same files
// (a file's content hash; a directory's manifest hash over paths, sizes and modes), and
// pointer files are found in a tree listing as findPointers finds them on disk.
import t from 'tap';
import { mkdtempSync, rmSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { writeTree, pseudoRandomBytes } from '../../fixtures/project.js';
import { observeInTree, type TreeEntry } from '../../src/pipeline/observe.js';
import { scanPath, hashMissing, targetHashOf } from '../../src/store/workspace.js';
import { findPointers, pointerRefsIn } from '../../src/store/pointer.js';

const files: Record<string, Buffer | string> = {
  'src/a.py': 'print(1)\n',
  'src/tool.sh': '#!/bin/sh\necho hi\n',
  'src/pkg/b.bin': pseudoRandomBytes(5000, 3),
  'src/pkg/empty': '',
};
const tree: TreeEntry[] = Object.entries(files).map(([p, c]) => ({
  path: p,
  mode: p.endsWith('.sh') ? '100755' : '100644',
  bytes: async () => Buffer.from(c),
}));

t.test('a directory and a file hash as in the workspace', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'rx-observe-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeTree(dir, files);
  chmodSync(path.join(dir, 'src/tool.sh'), 0o755);
  for (const rel of ['src', 'src/pkg', 'src/a.py']) {
    const scan = scanPath(path.join(dir, rel), rel);
    await hashMissing(scan.files, undefined, 'sha256');
    const inTree = await observeInTree(tree, rel, 'sha256');
    t.equal(inTree?.hash, await targetHashOf(scan, 'sha256'), `${rel}: same hash`);
    t.equal(inTree?.nfiles, scan.files.length);
    t.equal(inTree?.size, scan.files.totalSize());
  }
  t.equal(await observeInTree(tree, 'sr', 'sha256'), undefined, 'a prefix of a name is not a directory');
  t.equal(await observeInTree(tree, 'missing.txt', 'sha256'), undefined);
  await t.rejects(observeInTree([{ path: 'l', mode: '120000', bytes: async () => Buffer.from('x') }], 'l', 'sha256'), { code: 'RX_USAGE' });
});

t.test('pointer files in a tree listing are those findPointers finds', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'rx-pointers-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const paths = ['data.rx', 'data/inner.rx', 'models/m.bin.rx', 'node_modules/x.rx', '.rx/y.rx', 'deep/er/z.rx', 'sub/.rx', 'plain.txt'];
  writeTree(dir, Object.fromEntries(paths.map((p) => [p, 'x'])));
  t.same(pointerRefsIn(paths), findPointers(dir));
  t.same(pointerRefsIn(paths).map((r) => r.pointerRel), ['data.rx', 'deep/er/z.rx', 'models/m.bin.rx']);
});

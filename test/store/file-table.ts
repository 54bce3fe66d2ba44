// The scan's column table: every view reads back what the stats said (statKey's very string),
// hashes written through a view land in the table, filter and copyHashes keep them by path.
import t from 'tap';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync, chmodSync, lstatSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { statKey } from '../../src/store/stat-cache.js';
import { FileTable, scanPath, copyHashes, cacheFromScan, applyStatCache } from '../../src/store/workspace.js';

function tree(t: Tap.Test, n: number): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'rx-table-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  for (let i = 0; i < n; i++) {
    const rel = `d${i % 5}/f${i}`;
    mkdirSync(path.join(dir, path.dirname(rel)), { recursive: true });
    writeFileSync(path.join(dir, rel), 'x'.repeat(i));
    if (i % 7 === 0) chmodSync(path.join(dir, rel), 0o755);
  }
  return dir;
}

t.test('views read back the stats of every file, past the table growing', async (t) => {
  const dir = tree(t, 300);
  const scan = scanPath(dir, 'd');
  t.equal(scan.kind, 'dir');
  t.equal(scan.files.length, 300);
  let total = 0;
  let i = 0;
  for (const f of scan.files) {
    const st = lstatSync(f.abs);
    t.equal(f.abs, path.join(dir, ...f.rel.split('/')));
    t.equal(f.key, statKey(st), `${f.rel}: key`);
    t.equal(f.size, st.size);
    t.equal(f.nlink, st.nlink);
    t.equal(f.mode, (st.mode & 0o111) !== 0 ? '755' : '644');
    t.equal(f.index, i++);
    total += st.size;
  }
  t.equal(scan.files.totalSize(), total);
  t.equal(scan.files.at(3).hash, undefined);
});

t.test('a single file is row 0 with rel "" and its own path', async (t) => {
  const dir = tree(t, 2);
  const file = path.join(dir, 'd1/f1');
  const scan = scanPath(file, 'd1/f1');
  t.equal(scan.kind, 'file');
  t.equal(scan.files.rel(0), '');
  t.equal(scan.files.abs(0), file);
  t.equal(scanPath(path.join(dir, 'none'), 'none').files.length, 0);
});

t.test('hashes written through a view, kept by filter, copied by path between scans', async (t) => {
  const dir = tree(t, 40);
  const scan = scanPath(dir, 'd');
  for (const f of scan.files) f.hash = `sha256:${f.rel}`;
  t.equal(scan.files.hash(5), `sha256:${scan.files.rel(5)}`);
  const odd = scan.files.filter((f) => f.size % 2 === 1);
  t.equal(odd.length, 20);
  for (const f of odd) t.equal(f.hash, `sha256:${f.rel}`, `${f.rel} kept`);
  // A later scan with one file gone and one new: shared paths get their hashes, the new none.
  rmSync(path.join(dir, 'd0/f10'));
  writeFileSync(path.join(dir, 'd0/new'), 'n');
  const after = scanPath(dir, 'd');
  copyHashes(scan.files, after.files);
  for (const f of after.files) t.equal(f.hash, f.rel === 'd0/new' ? undefined : `sha256:${f.rel}`, f.rel);
  // What the stat cache saves of it: the hashed files only, in path order, with their keys.
  const saved = [...cacheFromScan(after, undefined).entries()];
  t.equal(saved.length, 39);
  t.same(saved.map((e) => e[0]), [...after.files].map((f) => f.rel).filter((r) => r !== 'd0/new'));
  t.ok(saved.every(([rel, key]) => key === statKey(lstatSync(path.join(dir, rel)))));
  t.equal(cacheFromScan(after, undefined).digest().count, 39);
});

t.test('applyStatCache fills matching keys and returns the other rows', async (t) => {
  const dir = tree(t, 10);
  const scan = scanPath(dir, 'd');
  const files = new Map<string, [string, string]>();
  for (const f of scan.files) files.set(f.rel, [f.index % 2 === 0 ? f.key : 'stale', `sha256:${f.index}`]);
  const todo = applyStatCache(scan, { files });
  t.same(todo, [1, 3, 5, 7, 9]);
  t.same([...scan.files].map((f) => f.hash), scan.files.length === 10 ? ['sha256:0', undefined, 'sha256:2', undefined, 'sha256:4', undefined, 'sha256:6', undefined, 'sha256:8', undefined] : []);
});

t.test('an empty table', async (t) => {
  const table = new FileTable('/x');
  t.equal(table.length, 0);
  t.equal(table.totalSize(), 0);
  t.same([...table], []);
  t.equal(table.filter(() => true).length, 0);
});

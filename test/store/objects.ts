import t from 'tap';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, readFileSync, statSync, chmodSync, existsSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { ObjectStore } from '../../src/store/objects.js';
import type { LinkType } from '../../src/store/link-strategy.js';
import { hashBytes } from '../../src/store/hash.js';

function setup(t: { teardown(fn: () => void): void }, link?: LinkType[]) {
  const dir = mkdtempSync(path.join(tmpdir(), 'rx-obj-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return { dir, store: new ObjectStore(path.join(dir, 'cache'), 'sha256', link) };
}

for (const link of [['hardlink'], ['copy'], ['reflink', 'hardlink', 'copy']] as LinkType[][]) {
  t.test(`putFile and materialise round-trip with ${link.join(',')}`, async (t) => {
    const { dir, store } = setup(t, link);
    const src = path.join(dir, 'a.bin');
    writeFileSync(src, 'payload');
    const hash = await hashBytes('sha256', 'payload');
    t.equal(await store.putFile(src, hash, 7, '644'), 'created');
    t.equal(await store.putFile(src, hash, 7, '644'), 'present', 'second put is a no-op');
    await store.flush();
    const obj = store.objectPath(hash);
    t.match(obj, /cache\/sha256\/[0-9a-f]{2}\/[0-9a-f]{62}$/);
    t.equal(statSync(obj).mode & 0o777, 0o444, 'objects are read-only');
    const dest = path.join(dir, 'out', 'b.bin');
    mkdirSync(path.dirname(dest), { recursive: true });
    await store.materialise(hash, dest, '755');
    t.equal(readFileSync(dest, 'utf8'), 'payload');
    t.equal(statSync(dest).mode & 0o111, 0o111, 'executable bit honoured (never a hardlink)');
    await store.materialise(hash, dest, '644');
    t.equal(statSync(dest).mode & 0o111, 0);
  });
}

t.test('a corrupt object is refused when copying', async (t) => {
  const { dir, store } = setup(t, ['copy']);
  const src = path.join(dir, 'a');
  writeFileSync(src, 'good');
  const hash = await hashBytes('sha256', 'good');
  await store.putFile(src, hash, 4, '644');
  const obj = store.objectPath(hash);
  chmodSync(obj, 0o644);
  writeFileSync(obj, 'evil');
  const dest = path.join(dir, 'restored');
  await t.rejects(store.materialise(hash, dest, '644'), { code: 'RX_OBJECT_CORRUPT' });
  t.notOk(existsSync(dest), 'nothing written');
  t.notOk(existsSync(obj), 'the corrupt object is moved aside');
  t.equal(readFileSync(path.join(store.quarantineDir, hash.replace(':', '-')), 'utf8'), 'evil', 'kept in the quarantine');
  await t.rejects(store.materialise(hash, dest, '644'), { code: 'RX_OBJECT_MISSING' }, 'and reported again on the next use');
});

t.test('an object edited in place with its size and mtime put back is caught by its stat key', async (t) => {
  const { dir, store } = setup(t, ['copy']);
  const src = path.join(dir, 'a');
  writeFileSync(src, 'good bytes');
  const hash = await hashBytes('sha256', 'good bytes');
  await store.putFile(src, hash, 10, '644');
  await store.flush();
  const obj = store.objectPath(hash);
  const before = statSync(obj);
  // A fresh store object (another process) trusts the recorded key only while it matches.
  const again = new ObjectStore(store.dir, 'sha256', ['copy']);
  await again.materialise(hash, path.join(dir, 'first'), '644');
  t.equal(readFileSync(path.join(dir, 'first'), 'utf8'), 'good bytes');
  chmodSync(obj, 0o644);
  writeFileSync(obj, 'evil bytes');
  utimesSync(obj, before.atime, before.mtime);
  chmodSync(obj, 0o444);
  const third = new ObjectStore(store.dir, 'sha256', ['copy']);
  await t.rejects(third.materialise(hash, path.join(dir, 'second'), '644'), { code: 'RX_OBJECT_CORRUPT' });
  t.notOk(existsSync(path.join(dir, 'second')));
});

t.test('the default link order never shares an inode with the workspace', async (t) => {
  const { dir, store } = setup(t);
  const src = path.join(dir, 'a');
  writeFileSync(src, 'data');
  const hash = await hashBytes('sha256', 'data');
  await store.putFile(src, hash, 4, '644');
  t.not(statSync(src).ino, statSync(store.objectPath(hash)).ino, 'add keeps the workspace file apart');
  t.equal(statSync(src).mode & 0o200, 0o200, 'and writable');
  const dest = path.join(dir, 'b');
  await store.materialise(hash, dest, '644');
  t.not(statSync(dest).ino, statSync(store.objectPath(hash)).ino, 'checkout too');
});

t.test('putFile refuses a source that does not match its hash (copy)', async (t) => {
  const { dir, store } = setup(t, ['copy']);
  const src = path.join(dir, 'a');
  writeFileSync(src, 'changed');
  await t.rejects(store.putFile(src, await hashBytes('sha256', 'original'), 7, '644'), { code: 'RX_FILE_CHANGED' });
  t.same(await store.list(), []);
});

t.test('missing objects are named', async (t) => {
  const { dir, store } = setup(t, ['copy']);
  const hash = await hashBytes('sha256', 'nowhere');
  await t.rejects(store.materialise(hash, path.join(dir, 'x'), '644'), { code: 'RX_OBJECT_MISSING' });
  await t.rejects(store.readBytes(hash), { code: 'RX_OBJECT_MISSING' });
});

t.test('list, quarantine and remove', async (t) => {
  const { dir, store } = setup(t, ['copy']);
  const hashes = [];
  for (const text of ['one', 'two', 'three']) {
    const h = await hashBytes('sha256', text);
    await store.putBytes(h, text);
    hashes.push(h);
  }
  t.same((await store.list()).map((o) => o.hash).sort(), [...hashes].sort());
  const moved = await store.quarantine(hashes[0]!, path.join(dir, 'corrupt'));
  t.equal(readFileSync(moved, 'utf8'), 'one');
  await store.remove(hashes[1]!);
  t.same((await store.list()).map((o) => o.hash), [hashes[2]]);
});

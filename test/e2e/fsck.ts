// rx fsck: re-hashes every store object. A flipped byte is reported as corrupt (exit 6);
// --repair moves it to .rx/tmp/corrupt/ (never deletes) so a good copy can be re-added;
// objects the workspace needs but the store lacks are reported as missing.
import t from 'tap';
import { chmodSync, openSync, readSync, writeSync, closeSync, readFileSync, existsSync, rmSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import { rx, writeTree, pseudoRandomBytes } from '../../fixtures/project.js';
import { useProject, rxJson, parseOutput, objectPath, storeObjects, sha256Hex, replaceFile, type TestLike } from '../../fixtures/e2e.js';

const at = (dir: string, rel: string) => path.join(dir, ...rel.split('/'));
const BIG = pseudoRandomBytes(200_000, 21);

function trackedProject(t: TestLike) {
  const dir = useProject(t);
  writeTree(dir, { 'data/big.bin': BIG, 'data/sub/small.txt': 'small\n', 'data/empty': '', 'model.bin': 'model bytes' });
  const out = rxJson(dir, 'add', ['add', 'data', 'model.bin']);
  return { dir, dataHash: out.added[0].hash as string, modelHash: out.added[1].hash as string };
}

/** Flips one byte of a store object in place (objects are read-only: chmod first, restore after). */
function flipByte(file: string, offset: number): void {
  chmodSync(file, 0o644);
  const fd = openSync(file, 'r+');
  try {
    const b = Buffer.alloc(1);
    readSync(fd, b, 0, 1, offset);
    b[0] = b[0]! ^ 0x01;
    writeSync(fd, b, 0, 1, offset);
  } finally {
    closeSync(fd);
  }
  chmodSync(file, 0o444);
}

function fsck(dir: string, args: string[] = []) {
  const r = rx(dir, ['fsck', ...args, '--json']);
  return { code: r.code, out: parseOutput('fsck', r) };
}

/** Files in the store and in quarantine, to show that nothing is ever deleted. */
function storeAndQuarantine(dir: string): number {
  const quarantine = at(dir, '.rx/tmp/corrupt');
  return storeObjects(dir).size + (existsSync(quarantine) ? readdirSync(quarantine).length : 0);
}

t.test('fsck of a consistent store', async (t) => {
  const { dir } = trackedProject(t);
  const { code, out } = fsck(dir);
  t.equal(code, 0);
  t.same(out, { checked: 5, total: 5, corrupt: [], missing: [], dangling: [], repaired: [] }, 'three files, one manifest, the model');
  const text = rx(dir, ['fsck']);
  t.equal(text.code, 0);
});

t.test('fsck --quick re-hashes one of 16 buckets of objects (by the first hash byte), never all', async (t) => {
  // Two files per bucket (first hash byte mod 16), so whichever bucket the clock picks, it
  // holds two or three objects (with the directory manifest) of 33.
  const dir = useProject(t);
  const perBucket = new Map<number, number>();
  const files: Record<string, string> = {};
  for (let i = 0; perBucket.size < 16 || [...perBucket.values()].some((n) => n < 2); i++) {
    const content = `sample ${i}\n`;
    const bucket = parseInt(sha256Hex(content).slice(0, 2), 16) % 16;
    if ((perBucket.get(bucket) ?? 0) >= 2) continue;
    perBucket.set(bucket, (perBucket.get(bucket) ?? 0) + 1);
    files[`data/s${i}.txt`] = content;
  }
  writeTree(dir, files);
  t.equal(rx(dir, ['add', 'data']).code, 0);
  const objects = [...storeObjects(dir).keys()];
  t.equal(objects.length, 33, '32 files and their directory manifest');
  const bucketOf = (hash: string) => parseInt(hash.split(':')[1]!.slice(0, 2), 16) % 16;

  // Corrupt every object: what --quick reports corrupt is exactly what it re-hashed.
  for (const hash of objects) flipByte(objectPath(dir, hash), 0);
  const quick = fsck(dir, ['--quick']);
  t.equal(quick.code, 6);
  t.equal(quick.out.total, 33);
  t.ok(quick.out.checked >= 2 && quick.out.checked <= 3, `--quick re-hashed one bucket: ${quick.out.checked} of 33`);
  t.equal(quick.out.corrupt.length, quick.out.checked, 'every object it re-hashed is reported corrupt');
  const buckets = new Set(quick.out.corrupt.map((c: { hash: string }) => bucketOf(c.hash)));
  t.equal(buckets.size, 1, 'all from one bucket');
  const bucket = [...buckets][0]!;
  t.same(quick.out.corrupt.map((c: { hash: string }) => c.hash).sort(), objects.filter((h) => bucketOf(h) === bucket).sort(), 'and the whole of that bucket');
  const full = fsck(dir);
  t.same([full.out.checked, full.out.corrupt.length], [33, 33], 'without --quick every object is re-hashed');
});

const victims: { name: string; hash: (p: { dataHash: string; modelHash: string }) => string; offset: number; restore: (dir: string) => void; target: string }[] = [
  { name: 'a large file object', hash: () => `sha256:${sha256Hex(BIG)}`, offset: 123_457, restore: (dir) => replaceFile(at(dir, 'data/big.bin'), BIG), target: 'data' },
  { name: 'a small file object', hash: () => `sha256:${sha256Hex('small\n')}`, offset: 0, restore: (dir) => replaceFile(at(dir, 'data/sub/small.txt'), 'small\n'), target: 'data' },
  { name: 'a directory manifest', hash: (p) => p.dataHash, offset: 30, restore: () => {}, target: 'data' },
  { name: 'a tracked file object', hash: (p) => p.modelHash, offset: 4, restore: (dir) => replaceFile(at(dir, 'model.bin'), 'model bytes'), target: 'model.bin' },
];

for (const v of victims) {
  t.test(`fsck finds a flipped byte in ${v.name}; --repair quarantines it`, async (t) => {
    const p = trackedProject(t);
    const { dir } = p;
    const hash = v.hash(p);
    const obj = objectPath(dir, hash);
    flipByte(obj, v.offset);
    const corruptBytes = readFileSync(obj);
    const before = storeAndQuarantine(dir);

    const found = fsck(dir);
    t.equal(found.code, 6);
    t.equal(found.out.corrupt.length, 1);
    t.equal(found.out.corrupt[0].hash, hash);
    t.equal(found.out.corrupt[0].actual, `sha256:${sha256Hex(corruptBytes)}`);
    t.same(found.out.repaired, []);
    t.ok(existsSync(obj), 'without --repair nothing moves');
    const text = rx(dir, ['fsck']);
    t.equal(text.code, 6);
    t.match(text.stdout, hash);

    const repaired = fsck(dir, ['--repair']);
    t.equal(repaired.code, 6, 'the object is still needed, now missing');
    const quarantined = `.rx/tmp/corrupt/${hash.replace(':', '-')}`;
    t.same(repaired.out.repaired, [quarantined]);
    t.notOk(existsSync(obj), 'the corrupt object left the store');
    t.same(readFileSync(at(dir, quarantined)), corruptBytes, 'moved aside, not deleted');
    t.equal(storeAndQuarantine(dir), before, 'no file was deleted');

    const after = fsck(dir);
    t.equal(after.code, 6);
    t.same(after.out.corrupt, []);
    t.ok(after.out.missing.some((m: { hash: string }) => m.hash === hash), 'reported missing once quarantined');

    // Re-adding a good copy of the data heals the store.
    v.restore(dir);
    t.equal(rx(dir, ['add', v.target]).code, 0);
    const healed = fsck(dir);
    t.equal(healed.code, 0, JSON.stringify(healed.out));
    t.ok(storeObjects(dir).has(hash));
  });
}

t.test('fsck reports an object the workspace needs but the store lacks', async (t) => {
  const { dir, dataHash } = trackedProject(t);
  const lost = `sha256:${sha256Hex('small\n')}`;
  rmSync(objectPath(dir, lost));
  const { code, out } = fsck(dir);
  t.equal(code, 6);
  t.same(out.corrupt, []);
  t.same(out.missing, [{ hash: lost, referencedBy: 'data.rx/sub/small.txt' }]);
  t.same(out.dangling.map((d: { hash: string }) => d.hash), [dataHash], 'the manifest listing it is dangling');
  t.equal(out.total, 4);
});

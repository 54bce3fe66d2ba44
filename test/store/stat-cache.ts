// The stat cache key: every part of (device, inode, size, mtime, ctime, exec bit) that can
// move on its own must change the key, or an edited file would keep its old hash. mtime is
// checked on its own although an edit on Linux moves ctime too: ctime ticks with the kernel's
// coarse clock (a write within the tick of the last change keeps it), and filesystems such as
// some FUSE and network mounts do not keep it. Sub-millisecond moves count (same-second edits).
// Reading a file (atime) must not change the key, or every scan would re-hash everything.
import t from 'tap';
import { mkdtempSync, rmSync, writeFileSync, statSync, chmodSync, readFileSync, mkdirSync, symlinkSync, type Stats } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { statKey, statDigest, StatDigest, StatCache, cacheEntriesOf } from '../../src/store/stat-cache.js';
import { compareStrings } from '../../src/core/canonical.js';
import { digestDir, scanPath } from '../../src/store/workspace.js';

function fileStats(t: { teardown(fn: () => void): void }): { file: string; st: Stats } {
  const dir = mkdtempSync(path.join(tmpdir(), 'rx-stat-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'f.bin');
  writeFileSync(file, 'payload', { mode: 0o644 });
  return { file, st: statSync(file) };
}

/** The stats of the same file with some fields moved (a Stats, so nothing else differs). */
function moved(st: Stats, fields: Partial<Record<'dev' | 'ino' | 'size' | 'mtimeMs' | 'ctimeMs' | 'atimeMs' | 'mode', number>>): Stats {
  return Object.assign(Object.create(Object.getPrototypeOf(st) as object) as Stats, st, fields);
}

t.test('each part of the key changes it on its own', async (t) => {
  const { st } = fileStats(t);
  const key = statKey(st);
  t.equal(statKey(moved(st, {})), key, 'a copy of the stats has the same key');
  const cases: [string, Parameters<typeof moved>[1]][] = [
    ['device', { dev: st.dev + 1 }],
    ['inode', { ino: st.ino + 1 }],
    ['size', { size: st.size + 1 }],
    ['mtime alone (ctime within the same kernel tick)', { mtimeMs: st.mtimeMs + 1000 }],
    ['mtime alone by one microsecond', { mtimeMs: st.mtimeMs + 0.001 }],
    ['ctime alone (an edit with the mtime put back)', { ctimeMs: st.ctimeMs + 1000 }],
    ['ctime alone by one microsecond', { ctimeMs: st.ctimeMs + 0.001 }],
    ['the exec bit', { mode: st.mode | 0o100 }],
  ];
  for (const [what, fields] of cases) t.not(statKey(moved(st, fields)), key, `${what} changes the key`);
  t.equal(statKey(moved(st, { atimeMs: st.atimeMs + 1000 })), key, 'a read (atime) does not');
  t.equal(statKey(moved(st, { mode: st.mode | 0o040 })), key, 'nor a permission bit rx does not track');
});

t.test('on disk: an in-place edit of the same size moves the key, reading the file does not', async (t) => {
  const { file, st } = fileStats(t);
  readFileSync(file);
  t.equal(statKey(statSync(file)), statKey(st), 'read');
  writeFileSync(file, 'PAYLOAD', { flag: 'r+' });
  t.not(statKey(statSync(file)), statKey(st), 'same size, same inode, new bytes');
  const before = statSync(file);
  chmodSync(file, 0o755);
  t.not(statKey(statSync(file)), statKey(before), 'chmod +x');
});

t.test('the digest covers paths and keys in order', async (t) => {
  const k1 = '2049:12:7:1764686000123.4567:1764686000123.4567:-';
  const k2 = '2049:13:7:1764686000123.4567:1764686000123.4567:x';
  const a = statDigest([['a', k1], ['b', k2]]);
  t.equal(statDigest([['a', k1], ['b', k2]]), a);
  t.not(statDigest([['a', k1], ['b', k2.replace(':x', ':-')]]), a, 'a key');
  t.not(statDigest([['a', k1], ['b', k2.replace('123.4567:x', '123.4577:x')]]), a, 'a key by a microsecond');
  t.not(statDigest([['a', k1], ['c', k2]]), a, 'a path');
  t.not(statDigest([['a', k1]]), a, 'an entry fewer');
  t.not(statDigest([['b', k1], ['a', k2]]), statDigest([['a', k2], ['b', k1]]), 'the order counts');
});

t.test('a digest fed with stats equals the one fed with their keys', async (t) => {
  const { st } = fileStats(t);
  const exec = moved(st, { mode: st.mode | 0o111, mtimeMs: st.mtimeMs + 0.000123 });
  const fed = new StatDigest();
  fed.addStats('a', st);
  fed.addStats('b/c', exec);
  t.equal(fed.digest(), statDigest([['a', statKey(st)], ['b/c', statKey(exec)]]));
  t.equal(fed.count, 2);
  t.equal(fed.size, st.size * 2);
  t.not(statDigest([['a', statKey(exec)], ['b/c', statKey(st)]]), statDigest([['a', statKey(st)], ['b/c', statKey(exec)]]), 'keys swapped between paths');
});

t.test('digestDir walks in the order scanPath sorts, without keeping per-file entries', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'rx-digest-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  // Names around '/': a-b and a.b sort before a/x as full paths; a directory a before file a0.
  const files = ['a/x', 'a/y/z', 'a-b', 'a.b/c', 'a0', 'A', 'b b', 'é/1', 'z', '#h', 'a/y-1', 'a/y.z/q'];
  for (const f of files) {
    mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
    writeFileSync(path.join(dir, f), f);
  }
  chmodSync(path.join(dir, 'z'), 0o755);
  const scan = scanPath(dir, 'd');
  const walked = digestDir(dir);
  t.ok(walked);
  t.equal(walked!.count, files.length);
  t.equal(walked!.size, files.reduce((s, f) => s + Buffer.byteLength(f), 0));
  t.same([...scan.files].map((f) => f.rel), [...files].sort(compareStrings), 'the scan lists files in the order of their full paths');
  t.equal(walked!.digest(), statDigest([...scan.files].map((f) => [f.rel, f.key])), 'the same digest as the sorted scan');
  writeFileSync(path.join(dir, 'a-b'), 'A-B');
  t.not(digestDir(dir)!.digest(), statDigest([...scan.files].map((f) => [f.rel, f.key])), 'a same-size edit moves it');
  t.equal(digestDir(path.join(dir, 'z')), undefined, 'a file is not a directory');
  t.equal(digestDir(path.join(dir, 'missing')), undefined, 'nor is a missing path');
  symlinkSync('z', path.join(dir, 'a', 'link'));
  t.equal(digestDir(dir), undefined, 'a symbolic link inside leaves it to scanPath, which names it');
});

t.test('a saved cache loads back as it was, in one chunk or several', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'rx-cache-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const cache = new StatCache(dir, 'sha256');
  for (const n of [0, 1, 4096, 9000]) {
    const files = new Map<string, [string, string]>();
    for (let i = 0; i < n; i++) files.set(`d${i % 7}/"f"\n${i}`, [`1:${i}:3:1764686000123.4567:1764686000123.4567:-`, `sha256:${i.toString(16).padStart(64, '0')}`]);
    await cache.save(`t${n}`, cacheEntriesOf(files, n > 0 ? 'sha256:' + 'c'.repeat(64) : undefined));
    const back = await cache.load(`t${n}`);
    t.same(Object.fromEntries(back.files), Object.fromEntries(files), `${n} entries`);
    t.same([...back.files.keys()], [...files.keys()].sort(compareStrings), 'saved in path order');
    t.equal(back.targetHash, n > 0 ? 'sha256:' + 'c'.repeat(64) : undefined);
  }
});

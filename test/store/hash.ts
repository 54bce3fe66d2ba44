import t from 'tap';
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import { hashBytes, parseHash, hashAlgorithms } from '../../src/store/hash.js';
import { hashFiles } from '../../src/store/hash-pool.js';

t.test('known digests of "abc"', async (t) => {
  t.equal(await hashBytes('sha256', 'abc'), 'sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  t.equal(await hashBytes('md5', 'abc'), 'md5:900150983cd24fb0d6963f7d28e17f72');
  t.equal(await hashBytes('blake3', 'abc'), 'blake3:6437b3ac38465133ffb63b75273a8db548c558465d79db03fd359c6cd5bd9d85');
  t.equal(await hashBytes('xxh128', 'abc'), 'xxh128:06b05ab6733a618578af5f94892f3950');
});

t.test('parseHash rejects malformed values', async (t) => {
  t.same(parseHash('md5:900150983cd24fb0d6963f7d28e17f72'), { algo: 'md5', hex: '900150983cd24fb0d6963f7d28e17f72' });
  for (const bad of ['sha1:abcdef0123456789', 'sha256', 'sha256:XYZ', 'sha256:12']) t.throws(() => parseHash(bad), { code: 'RX_BAD_HASH' });
});

t.test('hashFiles gives the same answers inline and on the worker pool, in input order', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'rx-hash-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const files = [];
  for (let i = 0; i < 300; i++) {
    const p = path.join(dir, `f${i}`);
    const content = Buffer.alloc(i * 37, i % 251);
    writeFileSync(p, content);
    files.push({ path: p, size: content.length, expect: 'sha256:' + createHash('sha256').update(content).digest('hex') });
  }
  for (const algo of hashAlgorithms) {
    const inline = await hashFiles(files, algo, undefined, { inline: true });
    const pooled = await hashFiles(files, algo, undefined, { threads: 2, inline: false });
    t.same(pooled, inline, `${algo}: pool equals inline`);
    if (algo === 'sha256') t.same(inline.map((r) => r.hash), files.map((f) => f.expect));
  }
  let bytes = 0;
  await hashFiles(files, 'sha256', (n) => (bytes += n), { threads: 2, inline: false });
  t.equal(bytes, files.reduce((s, f) => s + f.size, 0), 'progress counts every byte');
});

t.test('hashFiles reports an unreadable file as a usage error naming it', async (t) => {
  await t.rejects(hashFiles([{ path: '/nonexistent/rx-file', size: 1 }], 'sha256', undefined, { inline: true }), { code: 'RX_READ_FAILED' });
});

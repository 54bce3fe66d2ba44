// The directory manifest's text is written entry by entry for speed and memory; its bytes
// name every stored directory, so they must stay exactly canonicalJson's, for any name.
import t from 'tap';
import { canonicalJson } from '../../src/core/canonical.js';
import { manifestText, dirManifestOf, type DirEntry } from '../../src/store/workspace.js';
import { hashBytes } from '../../src/store/hash.js';

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0;
    return s / 2 ** 32;
  };
}

const ALPHABET = ['a', 'Z', '0', '/', ' ', '"', '\\', '\n', '\t', '\u0001', '\u007f', 'é', '\u2028', '\u2029', '😀', '\ud800', '#', '*', '[', ']'];

function name(r: () => number): string {
  const n = 1 + Math.floor(r() * 12);
  let out = '';
  for (let i = 0; i < n; i++) out += ALPHABET[Math.floor(r() * ALPHABET.length)];
  return out;
}

t.test('manifestText is canonicalJson of the manifest, over 300 generated directories', async (t) => {
  const r = rng(7);
  let checked = 0;
  for (let d = 0; d < 300; d++) {
    const entries: DirEntry[] = Array.from({ length: Math.floor(r() * 20) }, () => ({
      path: name(r),
      hash: `sha256:${Math.floor(r() * 2 ** 32).toString(16).padStart(64, '0')}`,
      size: Math.floor(r() * 2 ** 40),
      mode: r() < 0.5 ? '644' : '755',
    }));
    const text = manifestText(entries.length, (i) => entries[i]!.path, (i) => entries[i]!);
    if (text !== canonicalJson({ schema: 1, entries })) {
      t.fail(`directory ${d} differs: ${JSON.stringify(entries)}`);
      return;
    }
    checked += entries.length;
  }
  t.ok(checked > 2000, `${checked} entries checked`);
});

t.test('the empty directory and the hash that names a directory', async (t) => {
  t.equal(manifestText(0, () => '', () => ({ hash: '', size: 0, mode: '644' })), canonicalJson({ schema: 1, entries: [] }));
  const entries: DirEntry[] = [{ path: 'a b/"c"', hash: 'sha256:' + 'ab'.repeat(32), size: 3, mode: '755' }];
  const { chunks, hash, bytes } = await dirManifestOf(entries, 'sha256');
  const text = [...chunks()].join('');
  t.equal(bytes, Buffer.byteLength(text));
  t.equal(text, '{"entries":[{"hash":"sha256:' + 'ab'.repeat(32) + '","mode":"755","path":"a b/\\"c\\"","size":3}],"schema":1}');
  t.equal(hash, await hashBytes('sha256', canonicalJson({ schema: 1, entries })));
  t.throws(() => manifestText(1, () => 'x', () => ({ size: 1, mode: '644' })), /x has no hash/, 'an unhashed file is a bug, never a manifest');
});

t.test('a manifest of many entries comes in chunks that join to the canonical text and hash', async (t) => {
  const entries: DirEntry[] = Array.from({ length: 5000 }, (_, i) => ({ path: `d${i % 9}/é "${i}"`, hash: `sha256:${i.toString(16).padStart(64, '0')}`, size: i * 977, mode: i % 5 === 0 ? '755' : '644' }));
  const m = await dirManifestOf(entries, 'sha256');
  const chunks = [...m.chunks()];
  t.ok(chunks.length > 5, `${chunks.length} chunks`);
  const canonical = canonicalJson({ schema: 1, entries });
  t.equal(chunks.join(''), canonical);
  t.equal(m.bytes, Buffer.byteLength(canonical), 'bytes counts UTF-8 bytes, not characters');
  t.equal(m.hash, await hashBytes('sha256', canonical));
  t.equal([...m.chunks()].join(''), canonical, 'the chunks can be made again');
});

// Readers on hand-built tiny files: digits CSV (plain and gzip, row slices, malformed cells
// located by line and column), IDX (raw and gzip, corrupt headers described exactly), PNG
// directories (labels from folders or a CSV, greyscale and RGB, a corrupt PNG named).
import t from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import { readSource, type ReadContext } from '../../src/data/readers/index.js';
import { InvalidFileError } from '../../src/core/errors.js';
import { writeTree } from '../../fixtures/project.js';
import { digitsRows, digitsCsv, digitsCsvGz, idxBytes, pngBytes } from '../../fixtures/data.js';

function useDir(t: Tap.Test): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'rx-data-readers-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}
const ctx = (baseDir: string): ReadContext => ({ baseDir, specProblem: (segments, message) => ({ file: 'spec.yaml', field: `read.${segments.join('.')}`, message }) });

async function rejects(t: Tap.Test, p: Promise<unknown>): Promise<InvalidFileError> {
  try {
    await p;
  } catch (err) {
    t.ok(err instanceof InvalidFileError, 'an InvalidFileError');
    t.equal((err as InvalidFileError).exitCode, 4);
    return err as InvalidFileError;
  }
  t.fail('expected a rejection');
  throw new Error('unreachable');
}

t.test('digits CSV: plain and gzip, rows slice keeps read indices', async (t) => {
  const dir = useDir(t);
  const rows = digitsRows(30);
  writeTree(dir, { 'd.csv': digitsCsv(rows), 'd.csv.gz': digitsCsvGz(rows) });
  const plain = await readSource({ format: 'digits-csv', path: 'd.csv' }, ctx(dir));
  const gz = await readSource({ format: 'digits-csv', path: 'd.csv.gz' }, ctx(dir));
  t.same(plain.shape, { height: 8, width: 8, channels: 1, maxValue: 16 });
  t.same(plain.classes, ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
  t.equal(plain.labels.length, 30);
  t.same(Array.from(gz.pixels), Array.from(plain.pixels));
  t.same(Array.from(plain.pixels.subarray(64, 128)), rows[1]!.slice(0, 64));
  const slice = await readSource({ format: 'digits-csv', path: 'd.csv.gz', rows: '10:20' }, ctx(dir));
  t.same(slice.indices, [10, 11, 12, 13, 14, 15, 16, 17, 18, 19]);
  t.same(slice.labels, rows.slice(10, 20).map((r) => r[64]));
  t.same(Array.from(slice.pixels.subarray(0, 64)), rows[10]!.slice(0, 64));
  const open = await readSource({ format: 'digits-csv', path: 'd.csv', rows: '25:' }, ctx(dir));
  t.same(open.indices, [25, 26, 27, 28, 29]);
  const err = await rejects(t, readSource({ format: 'digits-csv', path: 'd.csv', rows: '0:31' }, ctx(dir)));
  t.match(err.problems[0], { file: 'spec.yaml', field: 'read.rows', message: /reaches past the end: the source holds 30 rows/ });
});

t.test('digits CSV: malformed cells are located by line and column; missing file names the spec field', async (t) => {
  const dir = useDir(t);
  const rows = digitsRows(3).map((r) => r.map(String));
  rows[1]![2] = '17';
  const bad = digitsCsv(rows as unknown as number[][]) + '1,2,3\n';
  writeTree(dir, { 'bad.csv': bad });
  const err = await rejects(t, readSource({ format: 'digits-csv', path: 'bad.csv' }, ctx(dir)));
  t.equal(err.problems.length, 2);
  const col = rows[1]!.slice(0, 2).join(',').length + 2;
  t.match(err.problems[0], { file: 'bad.csv', line: 2, column: col, field: 'pixel 2', message: /"17" is not an integer 0..16/ });
  t.match(err.problems[1], { file: 'bad.csv', line: 4, message: /expected 65 comma-separated values .* found 3/ });
  const missing = await rejects(t, readSource({ format: 'digits-csv', path: 'nope.csv' }, ctx(dir)));
  t.match(missing.problems[0], { file: 'spec.yaml', field: 'read.path', message: /cannot read nope.csv: no such file/ });
  writeTree(dir, { 'broken.csv.gz': Buffer.concat([gzipSync(Buffer.from(digitsCsv(digitsRows(5)))).subarray(0, 20)]) });
  const gz = await rejects(t, readSource({ format: 'digits-csv', path: 'broken.csv.gz' }, ctx(dir)));
  t.match(gz.problems[0], { file: 'broken.csv.gz', message: /corrupt gzip/ });
});

t.test('IDX: raw and gzip files read; classes named or numbered', async (t) => {
  const dir = useDir(t);
  const labels = Uint8Array.from([0, 1, 2, 1, 0]);
  writeTree(dir, {
    'img.idx': idxBytes([5, 3, 2]),
    'lab.idx.gz': idxBytes([5], labels, { gzip: true }),
    'img4.idx.gz': idxBytes([5, 2, 2, 3], undefined, { gzip: true }),
  });
  const s = await readSource({ format: 'idx', images: 'img.idx', labels: 'lab.idx.gz' }, ctx(dir));
  t.same(s.shape, { height: 3, width: 2, channels: 1, maxValue: 255 });
  t.same(s.labels, [0, 1, 2, 1, 0]);
  t.same(s.classes, ['0', '1', '2']);
  t.same(Array.from(s.pixels), Array.from(idxBytes([5, 3, 2]).subarray(16)));
  const named = await readSource({ format: 'idx', images: 'img4.idx.gz', labels: 'lab.idx.gz', classes: ['x', 'y', 'z', 'w'], rows: '1:3' }, ctx(dir));
  t.same(named.shape.channels, 3);
  t.same(named.classes, ['x', 'y', 'z', 'w']);
  t.same(named.indices, [1, 2]);
});

t.test('IDX: corrupt headers say exactly what is wrong, naming the file', async (t) => {
  const dir = useDir(t);
  const good = idxBytes([4, 2, 2]);
  const labels = idxBytes([4], Uint8Array.from([0, 1, 0, 1]));
  const cases: [string, Buffer, RegExp][] = [
    ['short.idx', Buffer.from([0, 0]), /2 bytes long, too short for an IDX header/],
    ['magic.idx', Buffer.concat([Buffer.from([0x50, 0x4b, 3, 4]), good.subarray(4)]), /not an IDX file: magic number 0x504b0304, expected 0x00000803/],
    ['float.idx', idxBytes([4, 2, 2], undefined, { type: 0x0d }), /declares float data; rx reads unsigned bytes/],
    ['dims.idx', idxBytes([4, 4]), /declares 2 dimensions; images need 3 or 4/],
    ['header.idx', good.subarray(0, 10), /header is truncated: 3 dimensions need 16 header bytes, the file holds 10/],
    ['trunc.idx', good.subarray(0, good.length - 3), /declares 4x2x2 = 16 bytes of data, but the file holds 13 \(truncated\)/],
    ['long.idx', Buffer.concat([good, Buffer.from([1])]), /holds 17 \(trailing bytes\)/],
  ];
  for (const [name, bytes, message] of cases) {
    writeTree(dir, { [name]: bytes, 'lab.idx': labels });
    const err = await rejects(t, readSource({ format: 'idx', images: name, labels: 'lab.idx' }, ctx(dir)));
    t.match(err.problems[0], { file: name, field: 'images', message }, name);
  }
  writeTree(dir, { 'img.idx': good, 'lab3.idx': idxBytes([3], Uint8Array.from([0, 1, 0])), 'lab9.idx': idxBytes([4], Uint8Array.from([0, 1, 9, 1])) });
  const count = await rejects(t, readSource({ format: 'idx', images: 'img.idx', labels: 'lab3.idx' }, ctx(dir)));
  t.match(count.problems[0], { file: 'lab3.idx', message: /holds 3 labels but img.idx holds 4 images/ });
  const cls = await rejects(t, readSource({ format: 'idx', images: 'img.idx', labels: 'lab9.idx', classes: ['a', 'b'] }, ctx(dir)));
  t.match(cls.problems[0], { file: 'lab9.idx', message: /label 9 of item 2 names no class \(2 classes declared\)/ });
  const gz = await rejects(t, readSource({ format: 'idx', images: 'img.idx', labels: 'lab3.idx.gz' }, ctx(dir)));
  t.match(gz.problems[0], { field: 'read.labels', message: /cannot read lab3.idx.gz: no such file/ });
});

t.test('PNG directory: classes from folders or a CSV; greyscale and RGB; corrupt PNG named', async (t) => {
  const dir = useDir(t);
  const grey = (v: number) => pngBytes(2, 2, [v, v + 1, v + 2, v + 3]);
  writeTree(dir, {
    'imgs/cat/a.png': grey(10),
    'imgs/cat/b.png': grey(20),
    'imgs/dog/c.png': grey(30),
    'imgs/readme.txt': 'not an image',
    'labels.csv': 'file,label\ncat/a.png,x\ndog/c.png,y\n',
  });
  const byFolder = await readSource({ format: 'png-dir', path: 'imgs' }, ctx(dir));
  t.same(byFolder.classes, ['cat', 'dog']);
  t.same(byFolder.labels, [0, 0, 1]);
  t.same(byFolder.shape, { height: 2, width: 2, channels: 1, maxValue: 255 });
  t.same(Array.from(byFolder.pixels), [10, 11, 12, 13, 20, 21, 22, 23, 30, 31, 32, 33]);
  const byCsv = await readSource({ format: 'png-dir', path: 'imgs', labels: 'labels.csv' }, ctx(dir));
  t.same(byCsv.classes, ['x', 'y']);
  t.same(byCsv.labels, [0, 1]);
  t.same(Array.from(byCsv.pixels), [10, 11, 12, 13, 30, 31, 32, 33]);

  writeTree(dir, { 'rgb/a/x.png': pngBytes(1, 2, [255, 0, 0, 0, 0, 255], true) });
  const rgb = await readSource({ format: 'png-dir', path: 'rgb' }, ctx(dir));
  t.equal(rgb.shape.channels, 3);
  t.same(Array.from(rgb.pixels), [255, 0, 0, 0, 0, 255]);
  const asGrey = await readSource({ format: 'png-dir', path: 'rgb', channels: 1 }, ctx(dir));
  t.same(Array.from(asGrey.pixels), [76, 29]);

  writeTree(dir, { 'imgs/dog/bad.png': Buffer.from('\x89PNG\r\n\x1a\nthis is not a png') });
  const err = await rejects(t, readSource({ format: 'png-dir', path: 'imgs' }, ctx(dir)));
  t.match(err.problems[0], { file: 'imgs/dog/bad.png', message: /not a readable PNG image/ });
  writeTree(dir, { 'mixed/a/1.png': grey(1), 'mixed/a/2.png': pngBytes(3, 1, [1, 2, 3]) });
  const size = await rejects(t, readSource({ format: 'png-dir', path: 'mixed' }, ctx(dir)));
  t.match(size.problems[0], { file: 'mixed/a/2.png', message: /is 3x1 but mixed\/a\/1.png is 2x2/ });
  writeFileSync(path.join(dir, 'labels2.csv'), 'cat/a.png,x\ncat/zzz.png,y\n');
  const csv = await rejects(t, readSource({ format: 'png-dir', path: 'imgs', labels: 'labels2.csv' }, ctx(dir)));
  t.match(csv.problems[0], { file: 'labels2.csv', message: /names 1 file\(s\) not in imgs: cat\/zzz.png/ });
});

// rx augment preview end to end: a PNG grid of the expected size with the originals in the
// first column, reproducible byte for byte; bad specs exit 4 with file:line:col.
import t from 'tap';
import { readFileSync, writeFileSync, copyFileSync, existsSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import { PNG } from 'pngjs';
import { rx, jsonOutput, REPO_ROOT } from '../../fixtures/project.js';
import { useTempDir, type TestLike } from '../../fixtures/e2e.js';
import { writeTinyDataset, digitBytes, specText } from '../../fixtures/augment.js';
import { augmentPreviewOutputSchema } from '../../src/schema/augment.js';
import { errorOutputSchema } from '../../src/schema/outputs.js';
import { GRID_GAP } from '../../src/ops/augment.js';

function setup(t: TestLike): string {
  const dir = useTempDir(t);
  writeTinyDataset(path.join(dir, 'data'), { n: 12 });
  copyFileSync(path.join(REPO_ROOT, 'templates/digits/augment/strong.yaml'), path.join(dir, 'strong.yaml'));
  return dir;
}

t.test('writes an N x (1+K) grid upscaled S times, originals first, and reports it as JSON', async (t) => {
  const dir = setup(t);
  const r = rx(dir, ['augment', 'preview', 'strong.yaml', '--data', 'data/manifest.json', '-o', 'out/grid.png', '-n', '3', '-k', '2', '-s', '3', '--epoch', '4', '--json']);
  t.equal(r.code, 0, r.stderr);
  const out = jsonOutput(r, augmentPreviewOutputSchema, 'augment preview');
  const cell = 8 * 3;
  const width = 3 * cell + 4 * GRID_GAP;
  const height = 3 * cell + 4 * GRID_GAP;
  t.match(out, { out: 'out/grid.png', width, height, scale: 3, epoch: 4, epochs: 10, variants: 2, data: { split: 'train', height: 8, width: 8, channels: 1 } });
  // Train samples are every index i with i % 4 in {0, 1}.
  t.same(out.samples.map((s: { id: string }) => s.id), ['clean/0', 'synthetic/1', 'clean/4']);
  t.same(out.samples[0].variants.map((v: { seed: number }) => v.seed), [0, 1]);
  t.equal(out.spec.ops.length, 10);

  const bytes = readFileSync(path.join(dir, 'out/grid.png'));
  t.equal(bytes.length, out.bytes);
  const png = PNG.sync.read(bytes);
  t.equal(png.width, width);
  t.equal(png.height, height);
  // The original of row 1 (sample 1), nearest-upscaled: every pixel of each 3x3 block is the byte scaled to 0..255.
  const orig = digitBytes(1);
  let mismatches = 0;
  for (let y = 0; y < 8; y++) {
    for (let x = 0; x < 8; x++) {
      const want = Math.round((orig[y * 8 + x]! / 16) * 255);
      for (const [dy, dx] of [[0, 0], [2, 2], [1, 2]]) {
        const py = GRID_GAP + 1 * (cell + GRID_GAP) + y * 3 + dy!;
        const px = GRID_GAP + x * 3 + dx!;
        const o = (py * width + px) * 4;
        if (png.data[o] !== want || png.data[o + 1] !== want || png.data[o + 3] !== 255) mismatches++;
      }
    }
  }
  t.equal(mismatches, 0, 'first column holds the originals');
  t.equal(png.data[0], 128, 'the gaps are mid grey');
  t.notOk(readdirSync(path.join(dir, 'out')).some((f) => f.endsWith('.tmp')), 'no temp file left');

  // Same command, same bytes.
  const again = rx(dir, ['augment', 'preview', 'strong.yaml', '--data', 'data/manifest.json', '-o', 'out/again.png', '-n', '3', '-k', '2', '-s', '3', '--epoch', '4', '--json']);
  t.equal(JSON.parse(again.stdout).sha256, out.sha256, 'the preview is reproducible byte for byte');
});

t.test('text output and the digits default template', async (t) => {
  const dir = setup(t);
  copyFileSync(path.join(REPO_ROOT, 'templates/digits/augment/default.yaml'), path.join(dir, 'default.yaml'));
  const r = rx(dir, ['augment', 'preview', 'default.yaml', '--data', 'data/manifest.json', '--out', 'grid.png', '--split', 'val']);
  t.equal(r.code, 0, r.stderr);
  t.match(r.stdout, /^wrote grid\.png \(\d+x\d+ px\): 3 samples x 7 variants of val, epoch 0 of 10, scale 4\n4 ops, seed/);
  t.ok(existsSync(path.join(dir, 'grid.png')));
  const png = PNG.sync.read(readFileSync(path.join(dir, 'grid.png')));
  t.same([png.width, png.height], [8 * 32 + 9 * GRID_GAP, 3 * 32 + 4 * GRID_GAP]);
});

t.test('an invalid spec exits 4 with file:line:col, as text and as JSON', async (t) => {
  const dir = setup(t);
  writeFileSync(path.join(dir, 'bad.yaml'), specText(['{op: rotate, p: 0.5, magnitude: {min: 10, max: -10}}', '{op: rotat, p: 2}']));
  const r = rx(dir, ['augment', 'preview', 'bad.yaml', '--data', 'data/manifest.json', '-o', 'g.png']);
  t.equal(r.code, 4);
  t.match(r.stderr, /bad\.yaml:4:\d+: ops\[0\]\.magnitude: inverted bounds: min 10 > max -10/);
  t.match(r.stderr, /bad\.yaml:5:\d+: ops\[1\]\.op: unknown op "rotat"; did you mean "rotate"\?/);
  t.notOk(existsSync(path.join(dir, 'g.png')));
  const j = rx(dir, ['augment', 'preview', 'bad.yaml', '--data', 'data/manifest.json', '-o', 'g.png', '--json']);
  t.equal(j.code, 4);
  const err = jsonOutput(j, errorOutputSchema, 'error');
  t.match(err.error, { code: 'RX_INVALID_FILE', exitCode: 4, data: { problems: [{ file: path.join(dir, 'bad.yaml'), line: 4 }, { line: 5 }] } });
  t.equal(err.error.data.problems.length, 2, 'the two problems and no others');
});

t.test('an invalid manifest exits 4, a corrupt pixel pack 6, bad numbers 2', async (t) => {
  const dir = setup(t);
  writeFileSync(path.join(dir, 'data/other.json'), JSON.stringify({ schema: 'rx.manifest/1' }));
  const bad = rx(dir, ['augment', 'preview', 'strong.yaml', '--data', 'data/other.json', '-o', 'g.png']);
  t.equal(bad.code, 4);
  t.match(bad.stderr, /other\.json/);
  writeFileSync(path.join(dir, 'data/pixels.bin'), Buffer.alloc(10));
  const r = rx(dir, ['augment', 'preview', 'strong.yaml', '--data', 'data/manifest.json', '-o', 'g.png']);
  t.equal(r.code, 6);
  t.match(r.stderr, /holds 10 bytes, the manifest expects 768/);
  t.equal(rx(dir, ['augment', 'preview', 'strong.yaml', '--data', 'data/manifest.json', '-o', 'g.png', '-n', '0']).code, 2);
  t.equal(rx(dir, ['augment', 'preview', 'strong.yaml', '--data', 'data/manifest.json', '-o', 'g.png', '--scale', 'big']).code, 2);
  t.equal(rx(dir, ['augment', 'preview', 'strong.yaml', '--data', 'data/manifest.json']).code, 2, '--out is required');
});

// Spec parsing: templates are valid; schema and semantic problems are located at file:line:col;
// descriptions and the semantic diff.
import t from 'tap';
import { readFileSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import { parseAugmentSpec, loadAugmentSpec, describeAugmentSpec, augmentSpecDiff, augmentSpecDiffLines, suggestOp } from '../../src/augment/index.js';
import { InvalidFileError } from '../../src/core/errors.js';
import { problemsOf, matchList } from '../../fixtures/problems.js';
import { REPO_ROOT } from '../../fixtures/project.js';
import { specText } from '../../fixtures/augment.js';

const templates = path.join(REPO_ROOT, 'templates/digits/augment');

t.test('every template spec is valid; the default has no flips and mild magnitudes', async (t) => {
  const files = readdirSync(templates).filter((f) => f.endsWith('.yaml'));
  t.ok(files.includes('default.yaml') && files.includes('strong.yaml'));
  for (const f of files) {
    const spec = await loadAugmentSpec(path.join(templates, f));
    t.ok(spec.ops.length > 0, f);
    t.notOk(spec.ops.some((o) => o.op === 'flip'), `${f}: digits are not flip-invariant`);
    for (const o of spec.ops) if (!(o.p >= 0.2 && o.p <= 0.7)) t.fail(`${f}: ${o.op} p=${o.p}`);
  }
  const d = await loadAugmentSpec(path.join(templates, 'default.yaml'));
  t.match(d.ops.find((o) => o.op === 'rotate'), { magnitude: { min: -10, max: 10 } });
  t.match(d.ops.find((o) => o.op === 'translate'), { unit: 'pixels', magnitude: { min: -1, max: 1 } });
});

t.test('shorthands are normalised and defaults filled in', async (t) => {
  const spec = parseAugmentSpec('a.yaml', specText(['{op: rotate, magnitude: {min: -5, max: 5}, distribution: uniform, schedule: cosine}', '{op: erasing, magnitude: {min: 0.1, max: 0.2}}', '{op: invert}']));
  t.same(spec.ops[0], { op: 'rotate', p: 1, magnitude: { min: -5, max: 5 }, distribution: { kind: 'uniform' }, schedule: { kind: 'cosine', from: 0, to: 1, target: 'magnitude' }, fill: 'zero' });
  t.match(spec.ops[1], { aspect: { min: 0.3, max: 3.3 }, value: 0, distribution: { kind: 'uniform' } });
  t.same(spec.ops[2], { op: 'invert', p: 1 });
});

const located = (text: string) => problemsOf(() => parseAugmentSpec('augment/bad.yaml', text));

t.test('unknown ops are named, with the nearest known op suggested, at their line and column', async (t) => {
  const p = located('schema: rx.augment/1\nseed: 1\nops:\n  - op: rotat\n    magnitude: {min: -10, max: 10}\n  - op: cutout\n  - op: wobble\n');
  matchList(t, p, [
    { file: 'augment/bad.yaml', line: 4, column: 9, field: 'ops[0].op', message: /unknown op "rotat"; did you mean "rotate"\?/ },
    { line: 6, column: 9, message: /unknown op "cutout"; did you mean "erasing"\?/ },
    { line: 7, column: 9, message: /^unknown op "wobble" \(known: flip, rotate/ },
  ]);
  t.equal(suggestOp('gaussian_noise'), 'gaussian-noise');
  t.equal(suggestOp('salt'), 'salt-and-pepper');
  t.equal(suggestOp('zzzzzzzz'), undefined);
});

t.test('semantic problems: probability, inverted bounds, physical ranges, fields an op does not take', async (t) => {
  const text = [
    'schema: rx.augment/1',
    'seed: 1',
    'ops:',
    '  - op: rotate',
    '    p: 1.5',
    '    magnitude: {min: -10, max: 270}',
    '  - op: translate',
    '    magnitude: {min: 2, max: -2}',
    '  - op: flip',
    '    magnitude: {min: 0, max: 1}',
    '  - op: gamma',
    '    magnitude: {min: 0, max: 2}',
    '  - op: translate',
    '    unit: fraction',
    '    magnitude: {min: -2, max: 0.5}',
    '  - op: rotate',
    '    magnitude: {min: -5, max: 5}',
    '    distribution: {kind: choice, values: [-5, 0, 7]}',
    '  - op: rotate',
    '  - op: brightness',
    '    magnitude: {min: -0.5, max: 0.5}',
    '    schedule: {kind: linear, from: 1, to: 3, epochs: 5}',
    '  - op: invert',
    '    schedule: {kind: step, knots: [{epoch: 1, scale: 0.5}]}',
    '    when: {epochs: {from: 5, to: 2}}',
    '',
  ].join('\n');
  const p = located(text);
  const at = (field: string) => p.filter((x) => x.field === field);
  matchList(t, at('ops[0].p'), [{ line: 5, column: 8, message: 'probability 1.5 is outside [0, 1]' }]);
  matchList(t, at('ops[0].magnitude.max'), [{ line: 6, column: 32, message: /270 is outside the physical range of rotate \[-180, 180\]/ }]);
  matchList(t, at('ops[1].magnitude'), [{ line: 8, column: 16, message: 'inverted bounds: min 2 > max -2' }]);
  matchList(t, at('ops[2].magnitude'), [{ line: 10, message: /flip has no magnitude/ }]);
  matchList(t, at('ops[2]'), [{ line: 9, message: 'flip requires "axis"' }]);
  matchList(t, at('ops[3].magnitude.min'), [{ line: 12, message: /0 is outside the physical range of gamma \(0, 16\]/ }]);
  matchList(t, at('ops[4].magnitude.min'), [{ line: 15, message: /-2 is outside the physical range of translate \[-1, 1\] \(side fraction\)/ }]);
  matchList(t, at('ops[5].distribution.values[2]'), [{ line: 18, message: 'choice 7 is outside magnitude [-5, 5]' }]);
  matchList(t, at('ops[6]'), [{ line: 19, message: /rotate requires "magnitude: \{min, max\}"/ }]);
  matchList(t, at('ops[7].schedule'), [{ line: 22, message: /scale 3 takes magnitude.min -0.5 to -1.5, outside \[-1, 1\]/ }]);
  matchList(t, at('ops[8].schedule.target'), [{ message: /invert has no magnitude: set "target: p"/ }]);
  matchList(t, at('ops[8].when.epochs'), [{ line: 25, message: 'inverted epochs: from 5 > to 2' }]);
  t.equal(p.length, 12, 'one problem per listed field, no others');
  t.ok(p.every((x) => x.file === 'augment/bad.yaml'));
});

t.test('schema problems are located too; the error is exit code 4', async (t) => {
  const p = located('schema: rx.augment/1\nseed: -1\nops:\n  - op: rotate\n    p: high\n    magnitud: {min: 1, max: 2}\n');
  const by = (field: string) => p.find((x) => x.field === field);
  t.match(by('seed'), { line: 2, column: 7, message: 'must be >= 0' });
  t.match(by('ops[0].p'), { line: 5, column: 8, message: 'must be number' });
  t.match(by('ops[0].magnitud'), { line: 6, column: 5, message: 'is not a known field' });
  try {
    parseAugmentSpec('x.yaml', 'schema: rx.augment/2\nseed: 1\nops: []\n');
    t.fail('expected an error');
  } catch (err) {
    t.ok(err instanceof InvalidFileError);
    t.equal((err as InvalidFileError).exitCode, 4);
    t.equal((err as InvalidFileError).code, 'RX_INVALID_FILE');
  }
  t.match(located(specText(['{op: mixup, alpha: 0.2}', '{op: mixup, alpha: 0.4}'])), [{ field: 'ops', message: /at most one mixup/ }]);
  await t.rejects(loadAugmentSpec('/nonexistent/spec.yaml'), { code: 'RX_INVALID_FILE', exitCode: 4 });
});

t.test('describe: one line per op', async (t) => {
  const spec = parseAugmentSpec('a.yaml', readFileSync(path.join(templates, 'default.yaml'), 'utf8'));
  const text = describeAugmentSpec(spec);
  t.match(text, /^4 ops, seed \d+/);
  t.match(text, /1\. rotate ±10° truncated-normal\(mean 0, std 5\), p=0.5, when split in \[train\], schedule magnitude x0.5→1 linear over 5 epochs/);
  t.match(text, /2\. translate ±1px choice \{-1, 0, 1\}, p=0.4/);
  t.equal(text.split('\n').length, 5);
});

t.test('semantic diff: ops added, removed, reordered and changed field by field', async (t) => {
  const a = parseAugmentSpec('a.yaml', specText(['{op: rotate, p: 0.5, magnitude: {min: -10, max: 10}}', '{op: translate, magnitude: {min: -1, max: 1}}', '{op: gaussian-noise, magnitude: {min: 0, max: 0.05}}', '{op: flip, axis: vertical}']));
  const b = parseAugmentSpec(
    'b.yaml',
    specText(
      [
        '{op: translate, magnitude: {min: -1, max: 1}}',
        '{op: rotate, p: 0.3, magnitude: {min: -10, max: 15}, distribution: {kind: truncated-normal, mean: 0, std: 4}, when: {split: [train]}, schedule: {kind: linear, from: 0.5, to: 1}}',
        '{op: erasing, magnitude: {min: 0.02, max: 0.1}}',
        '{op: flip, axis: horizontal}',
      ],
      2,
    ),
  );
  const d = augmentSpecDiff(a, b);
  t.equal(d.changed, true);
  t.same(d.seed, { from: 1, to: 2 });
  matchList(t, d.added, [{ key: 'erasing', index: 2 }, { key: 'flip:horizontal', index: 3 }]);
  matchList(t, d.removed, [{ key: 'gaussian-noise', index: 2 }, { key: 'flip:vertical', index: 3 }]);
  t.equal(d.reordered.length, 1);
  t.match(d.reordered[0], { from: d.reordered[0]!.key === 'rotate' ? 0 : 1 });
  t.same(
    d.modified.map((m) => [m.key, m.changes.map((c) => c.field)]),
    [['rotate', ['p', 'magnitude.max', 'distribution', 'when.split', 'schedule']]],
  );
  t.same(d.modified[0]!.changes[0], { field: 'p', from: 0.5, to: 0.3 });
  const lines = augmentSpecDiffLines(d);
  t.ok(lines.includes('~ rotate: p 0.5 -> 0.3'));
  t.ok(lines.includes('~ rotate: distribution uniform -> truncated-normal(mean 0, std 4)'));
  t.ok(lines.includes('~ rotate: schedule (none) -> magnitude x0.5→1 linear over the run'));
  t.ok(lines.some((l) => l.startsWith('- gaussian-noise [0, 0.05]')));
  t.same(augmentSpecDiff(a, a), { changed: false, added: [], removed: [], reordered: [], modified: [] });
  // Repeated ops pair up by occurrence.
  const r1 = parseAugmentSpec('r.yaml', specText(['{op: blur, magnitude: {min: 0, max: 1}}', '{op: blur, magnitude: {min: 0, max: 2}}']));
  const r2 = parseAugmentSpec('r.yaml', specText(['{op: blur, magnitude: {min: 0, max: 1}}', '{op: blur, magnitude: {min: 0, max: 3}}']));
  t.match(augmentSpecDiff(r1, r2).modified, [{ key: 'blur#2', changes: [{ field: 'magnitude.max', from: 2, to: 3 }] }]);
});

// rx data build|show|diff|audit end to end (bin/rx.js in fresh projects): the digits template
// spec over the shipped CSV, --json validated against the published schemas, byte-identical
// rebuilds, diffs against a committed manifest (REV:path), audits with --exit-code, exit 4
// with file:line for bad specs and data (nothing written), and build as an rx.yaml stage.
import t from 'tap';
import { readFileSync, existsSync, copyFileSync, mkdirSync } from 'node:fs';
import * as path from 'node:path';
import { rx, writeTree, commitAll, git, REPO_ROOT, jsonOutput } from '../../fixtures/project.js';
import { useProject, type TestLike } from '../../fixtures/e2e.js';
import { dataBuildOutputSchema, dataShowOutputSchema, dataDiffOutputSchema, dataAuditOutputSchema, manifestSchema } from '../../src/schema/data.js';
import { errorOutputSchema } from '../../src/schema/outputs.js';
import { validateJson } from '../../fixtures/project.js';
import { digitsRows, digitsCsv, digitsSpecYaml } from '../../fixtures/data.js';

const TEMPLATE = path.join(REPO_ROOT, 'templates', 'digits', 'data');

function digitsProject(t: TestLike): string {
  const dir = useProject(t);
  mkdirSync(path.join(dir, 'data'), { recursive: true });
  copyFileSync(path.join(TEMPLATE, 'digits.yaml'), path.join(dir, 'data', 'digits.yaml'));
  copyFileSync(path.join(TEMPLATE, 'digits.csv.gz'), path.join(dir, 'data', 'digits.csv.gz'));
  return dir;
}

const json = <T = any>(dir: string, schema: object, args: string[], expectCode = 0): T => {
  const r = rx(dir, [...args, '--json']);
  if (r.code !== expectCode) throw new Error(`rx ${args.join(' ')} exited ${r.code}:\n${r.stderr}${r.stdout}`);
  return jsonOutput<T>(r, schema, args.slice(0, 2).join(' '));
};
const bytes = (dir: string, rel: string) => readFileSync(path.join(dir, rel));

t.test('build the digits template: exact budgets, per-sample noise, clean test split, byte-identical rebuild', async (t) => {
  const dir = digitsProject(t);
  const out = json(dir, dataBuildOutputSchema, ['data', 'build', 'data/digits.yaml', '--out', 'out/data']);
  t.equal(out.manifest, 'out/data/manifest.json');
  const s = out.summary;
  t.equal(s.total, 2300);
  t.same(s.image, { height: 8, width: 8, channels: 1, maxValue: 16 });
  const src = Object.fromEntries(s.sources.map((x: any) => [x.source, x]));
  t.match(src.clean, { available: 1300, selected: 1300, flipped: 0 });
  // 139 of 400 at rate 0.4: each label moves on its own seeded draw (expected 160, sd 9.8).
  t.match(src.noisy, { available: 497, selected: 400, flipped: 139, pinned: 'train', splits: { train: 400, val: 0, test: 0 } });
  t.match(src.synthetic, { selected: 600, pinned: 'train', splits: { train: 600, val: 0, test: 0 } });
  t.equal(src.clean.splits.test, s.splits.find((x: any) => x.split === 'test').count, 'the test split holds clean samples only');
  t.equal(src.clean.splits.val, s.splits.find((x: any) => x.split === 'val').count, 'and so does val');

  const manifest = validateJson(manifestSchema, JSON.parse(bytes(dir, 'out/data/manifest.json').toString('utf8')), 'manifest');
  t.equal(bytes(dir, 'out/data/pixels.u8').length, 2300 * 64);
  t.equal(manifest.pixels.sha256, out.pixels.sha256);
  t.same(manifest.spec.path, 'data/digits.yaml');
  const synthetic = manifest.samples.filter((x: any) => x.source === 'synthetic');
  t.equal(synthetic.length, 600);
  t.ok(synthetic.every((x: any) => typeof x.group === 'string'), 'every synthetic copy names its group');
  const text = bytes(dir, 'out/data/manifest.json').toString('utf8');
  t.equal(text, JSON.stringify(JSON.parse(text)).replace(/$/, '\n'), 'one canonical line');

  const before = [bytes(dir, 'out/data/manifest.json'), bytes(dir, 'out/data/pixels.u8')];
  const again = rx(dir, ['data', 'build', 'data/digits.yaml', '--out', 'out/data']);
  t.equal(again.code, 0, again.stderr);
  t.match(again.stdout, /source\s+kind\s+available\s+selected/);
  t.same([bytes(dir, 'out/data/manifest.json'), bytes(dir, 'out/data/pixels.u8')], before, 'a rebuild writes the same bytes');
});

t.test('the digits template: halving the noisy budget (400 -> 200) relabels no sample that stays selected', async (t) => {
  const dir = digitsProject(t);
  t.equal(rx(dir, ['data', 'build', 'data/digits.yaml', '--out', 'out/400']).code, 0);
  const spec = readFileSync(path.join(dir, 'data/digits.yaml'), 'utf8');
  t.ok(spec.includes('budget: {count: 400}'), 'the template gives the noisy source 400');
  writeTree(dir, { 'data/digits.yaml': spec.replace('budget: {count: 400}', 'budget: {count: 200}') });
  t.equal(rx(dir, ['data', 'build', 'data/digits.yaml', '--out', 'out/200']).code, 0);
  type Sample = { id: string; source: string; label: number; meta?: { originalLabel?: number } };
  const noisy = (rel: string) =>
    new Map((JSON.parse(bytes(dir, rel).toString('utf8')).samples as Sample[]).filter((s) => s.source === 'noisy').map((s) => [s.id, { label: s.label, corrupted: s.meta?.originalLabel !== undefined }]));
  const [big, small] = [noisy('out/400/manifest.json'), noisy('out/200/manifest.json')];
  t.equal(small.size, 200);
  t.ok([...small.keys()].every((id) => big.has(id)), 'the 200 are among the 400');
  // noisy/1603 once moved from 3 to 8 at budget 400 and kept its published 3 at 200.
  t.ok(small.has('noisy/1603'), 'noisy/1603 is selected under both budgets');
  t.same(small.get('noisy/1603'), big.get('noisy/1603'), 'noisy/1603 keeps its label');
  t.same(Object.fromEntries([...small.keys()].map((id) => [id, big.get(id)])), Object.fromEntries(small), 'every sample kept keeps its label and corrupted flag');
});

t.test('show, diff (paths and REV:path), audit with --json and text', async (t) => {
  const dir = digitsProject(t);
  t.equal(rx(dir, ['data', 'build', 'data/digits.yaml', '--out', 'out/a']).code, 0);
  const show = json(dir, dataShowOutputSchema, ['data', 'show', 'out/a/manifest.json']);
  t.equal(show.total, 2300);
  t.equal(show.byClass.length, 10);
  const text = rx(dir, ['data', 'show', 'out/a/manifest.json']);
  t.match(text.stdout, /^out\/a\/manifest.json: 2300 samples, 8x8x1 \(max 16\), 10 classes/);
  t.match(text.stdout, /split\s+count\s+share\s+requested/);

  const spec = readFileSync(path.join(dir, 'data/digits.yaml'), 'utf8');
  writeTree(dir, { 'data/digits.yaml': spec.replace('budget: {count: 400}', 'budget: {count: 300}') });
  const rb = rx(dir, ['data', 'build', 'data/digits.yaml', '--out', 'out/b']);
  t.equal(rb.code, 0, rb.stderr);
  const d = json(dir, dataDiffOutputSchema, ['data', 'diff', 'out/a/manifest.json', 'out/b/manifest.json']);
  t.equal(d.changed, true);
  t.match(d.samples, { before: 2300, after: 2200, added: 0, removed: 100, moved: 0 });
  t.same(d.bySource, [
    { source: 'clean', added: 0, removed: 0, before: 1300, after: 1300 },
    { source: 'noisy', added: 0, removed: 100, before: 400, after: 300 },
    { source: 'synthetic', added: 0, removed: 0, before: 600, after: 600 },
  ]);
  t.match(d.sources.find((x: any) => x.source === 'noisy'), { change: 'changed', before: { budget: { count: 400 } }, after: { budget: { count: 300 } } });
  t.same(d.bySplit.map((x: any) => [x.split, x.removed]), [['train', 100], ['val', 0], ['test', 0]], 'val and test untouched');
  const dt = rx(dir, ['data', 'diff', 'out/a/manifest.json', 'out/b/manifest.json', '--exit-code']);
  t.equal(dt.code, 1, 'differences with --exit-code');
  t.match(dt.stdout, /noisy\s+changed\s+400 -> 300\s+400 -> 300/);
  t.equal(rx(dir, ['data', 'diff', 'out/a/manifest.json', 'out/a/manifest.json', '--exit-code']).code, 0);

  // A manifest committed to git, read back at a revision.
  git(dir, ['add', '-f', 'out/a/manifest.json']);
  commitAll(dir, 'data');
  const rev = json(dir, dataDiffOutputSchema, ['data', 'diff', 'HEAD:out/a/manifest.json', 'out/b/manifest.json']);
  t.equal(rev.a, 'HEAD:out/a/manifest.json');
  t.equal(rev.samples.removed, 100);

  const audit = json(dir, dataAuditOutputSchema, ['data', 'audit', 'out/a/manifest.json']);
  t.equal(audit.counts.provenance, 0, 'every source has licence and origin (the synthetic one through its parent)');
  t.equal(audit.counts.leakage, 0);
  t.same(audit.near, { method: 'dhash', size: 16, distance: 4 });
  t.ok(audit.counts['near-duplicate'] > 0, 'similar digits across splits are reported');
  t.equal(rx(dir, ['data', 'audit', 'out/a/manifest.json', '--exit-code']).code, 1);
  t.equal(rx(dir, ['data', 'audit', 'out/a/manifest.json', '--imbalance', '0.5']).code, 2, 'a ratio below 1 is a usage error');
  const auditText = rx(dir, ['data', 'audit', 'out/a/manifest.json']);
  t.match(auditText.stdout, /warning\s+near-duplicate\s+near-duplicate across/);
});

t.test('bad specs and data: exit 4 with file:line: field, nothing written', async (t) => {
  const dir = useProject(t);
  writeTree(dir, { 'data/d.csv': digitsCsv(digitsRows(150)) });
  const good = digitsSpecYaml();
  writeTree(dir, { 'data/s.yaml': good });
  t.equal(rx(dir, ['data', 'build', 'data/s.yaml', '--out', 'out/ok']).code, 0);
  const manifestBefore = bytes(dir, 'out/ok/manifest.json');

  const cases: [string, string, RegExp][] = [
    ['fractions', good.replace('test: 0.15', 'test: 0.25'), /data\/s.yaml:6:\d+: split.fractions: train \+ val \+ test must sum to 1/],
    ['unknown field', good.replace('seed: 0\n', 'seed: 0\nwhatever: 1\n'), /data\/s.yaml:3:1: whatever: is not a known field/],
    ['budget', good.replace('budget: {count: 80}', 'budget: {count: 120}'), /data\/s.yaml:\d+:\d+: sources.clean.budget.count: asks for 120 samples but source clean holds 100/],
    ['from', good.replace('from: clean', 'from: dirty'), /sources.synthetic.generator.from: names no source/],
    ['rows', good.replace('"100:150"', '"100:180"'), /sources.noisy.read.rows: 100:180 reaches past the end: the source holds 150 rows/],
  ];
  for (const [what, spec, message] of cases) {
    writeTree(dir, { 'data/s.yaml': spec });
    for (const out of ['out/new', 'out/ok']) {
      const r = rx(dir, ['data', 'build', 'data/s.yaml', '--out', out]);
      t.equal(r.code, 4, `${what}: exit 4`);
      t.match(r.stderr, message, what);
    }
    t.notOk(existsSync(path.join(dir, 'out/new')), `${what}: no output directory created`);
    t.same(bytes(dir, 'out/ok/manifest.json'), manifestBefore, `${what}: an existing manifest is untouched`);
  }

  // Corrupt data file: named with its line.
  const rows = digitsCsv(digitsRows(150)).split('\n');
  rows[41] = rows[41]!.replace(/^\d+/, 'x');
  writeTree(dir, { 'data/s.yaml': good, 'data/d.csv': rows.join('\n') });
  const r = rx(dir, ['data', 'build', 'data/s.yaml', '--out', 'out/new', '--json']);
  t.equal(r.code, 4);
  t.match(r.stderr, /data\/d.csv:42:1: pixel 0: "x" is not an integer 0..16/);
  const err = jsonOutput(r, errorOutputSchema, 'error');
  t.equal(err.error.code, 'RX_INVALID_FILE');
  t.notOk(existsSync(path.join(dir, 'out/new')));

  // Exact leakage: the same rows read twice, once pinned to train.
  writeTree(dir, {
    'data/d.csv': digitsCsv(digitsRows(150)),
    'data/leak.yaml': good.replace('rows: "100:150"', 'rows: "0:50"').replace('budget: {count: 40}', 'budget: {count: 50}').replace('rate: 0.4', 'rate: 0'),
  });
  const leak = rx(dir, ['data', 'build', 'data/leak.yaml', '--out', 'out/new', '--json']);
  t.equal(leak.code, 4);
  t.equal(jsonOutput(leak, errorOutputSchema, 'error').error.code, 'RX_DATA_LEAKAGE');
  t.match(leak.stderr, /image\(s\) appear in more than one split:\n\s+clean\/\d+, noisy\/\d+ \(train \+ (val|test)\)/);
  t.notOk(existsSync(path.join(dir, 'out/new')));

  // A manifest that is not one.
  writeTree(dir, { 'not.json': '{"schema": "rx.manifest/1"}' });
  const show = rx(dir, ['data', 'show', 'not.json']);
  t.equal(show.code, 4);
  t.match(show.stderr, /not.json: spec: is required/);
});

t.test('rx data build as an rx.yaml stage', async (t) => {
  const dir = digitsProject(t);
  writeTree(dir, {
    'rx.yaml': ['schema: 1', 'stages:', '  data:', '    cmd: rx data build data/digits.yaml --out out/data', '    deps: [data/digits.yaml, data/digits.csv.gz]', '    outs: [out/data]', ''].join('\n'),
  });
  const r = rx(dir, ['repro']);
  t.equal(r.code, 0, r.stderr);
  t.ok(existsSync(path.join(dir, 'out/data/manifest.json')));
  t.match(readFileSync(path.join(dir, 'rx.lock'), 'utf8'), /out\/data/);
  const again = rx(dir, ['repro', '--json']);
  t.equal(again.code, 0, again.stderr);
});

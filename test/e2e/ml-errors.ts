// Bad input to the ML commands and templates: each mistake gets its exit code (2 usage, 4 invalid
// file as file:line, 6 corrupt model), a message naming what is wrong, no stack trace, and
// nothing written: a failed rx train neither creates nor replaces its --out directory, a failed
// rx evaluate writes no metrics, a failed template init copies nothing. Also the fashion-mnist
// template on the Debian package's files, when they are installed (prepare only, no training).
import t, { type Test } from 'tap';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync, chmodSync } from 'node:fs';
import * as path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { rx, git, tempDir, commitAll, gitFsckStrict, validateJson, jsonOutput, REPO_ROOT } from '../../fixtures/project.js';
import { registerRepo, parseOutput, hasStackTrace, snapshotTree, type ErrorJson } from '../../fixtures/e2e.js';
import { useDigitsProject, rxOk, readJson, FASHION_MNIST_DIR } from '../../fixtures/ml.js';
import { reproOutputSchema } from '../../src/schema/outputs.js';
import { pointerSchema } from '../../src/schema/files.js';
import { manifestSchema } from '../../src/schema/data.js';

const FASHION_FILES = ['train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz', 't10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz'];

/** Runs rx as text and with --json, expecting an error: exit code, code, message, no stack trace. */
function expectError(t: Test, cwd: string, args: string[], exitCode: number, code: string): { text: string; json: ErrorJson['error'] } {
  const text = rx(cwd, args);
  t.equal(text.code, exitCode, `rx ${args.join(' ')}: exit ${exitCode}\n${text.stderr}`);
  t.notOk(hasStackTrace(text.stderr), 'no stack trace');
  t.equal(text.stdout, '', 'nothing on stdout');
  const r = rx(cwd, [...args, '--json']);
  t.equal(r.code, exitCode);
  const json = parseOutput<ErrorJson>('error', r).error;
  t.equal(json.exitCode, exitCode);
  t.equal(json.code, code);
  return { text: text.stderr, json };
}

/** Files of a directory tree (not .git), to show a failed command left it as it was. */
function listing(dir: string): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    for (const e of readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (r === '.git') continue;
      out.push(e.isDirectory() ? `${r}/` : r);
      if (e.isDirectory()) walk(r);
    }
  };
  walk('');
  return out.sort();
}

t.test('rx train and rx evaluate refuse bad input and write nothing', async (t) => {
  const dir = useDigitsProject(t);
  rxOk(dir, ['data', 'build', 'data/digits.yaml', '--out', 'work/data']);
  rxOk(dir, ['train', '--model', 'models/mlp.yaml', '--data', 'work/data/manifest.json', '--epochs', '1', '--out', 'work/mlp']);
  rxOk(dir, ['evaluate', '--model', 'work/mlp', '--data', 'work/data/manifest.json', '--out', 'work/metrics.json']);
  const model = snapshotTree(path.join(dir, 'work/mlp'));
  const metrics = readFileSync(path.join(dir, 'work/metrics.json'));

  // Each case: the files it writes, the model config or params file it passes, and where the
  // problem must be reported (file, line, field) with what message.
  const trainCases: { what: string; files: Record<string, string>; model?: string; params?: string; file: string; line: number; field: string; message: RegExp }[] = [
    {
      what: 'an architecture that does not fit 8x8 images (kernel 5, valid, twice)',
      files: {
        'models/misfit.yaml': 'schema: rx.model/1\nname: misfit\nblocks:\n  - { type: conv, filters: 8, kernel: 5, padding: valid }\n  - { type: conv, filters: 8, kernel: 5, padding: valid }\n  - { type: flatten }\n',
      },
      model: 'models/misfit.yaml',
      file: 'models/misfit.yaml',
      line: 5,
      field: 'blocks[1].kernel',
      message: /block 2 \(conv\): a 5x5 kernel \(stride 1, padding valid\) does not fit the 4x4 input it gets/,
    },
    {
      what: 'an unknown block type',
      files: { 'models/attention.yaml': 'schema: rx.model/1\nname: attention\nblocks:\n  - { type: conv, filters: 8 }\n  - { type: attention, heads: 4 }\n  - { type: flatten }\n' },
      model: 'models/attention.yaml',
      file: 'models/attention.yaml',
      line: 5,
      field: 'blocks[1].type',
      message: /must be one of "conv", .*"dense"/,
    },
    {
      what: 'params.yaml train: with an unknown key',
      files: { 'params-typo.yaml': '# training settings\ntrain:\n  seed: 0\n  epochs: 3\n  learnig_rate: 0.01\n' },
      params: 'params-typo.yaml',
      file: 'params-typo.yaml',
      line: 5,
      field: 'train.learnig_rate',
      message: /is not a known field/,
    },
    {
      what: 'params.yaml train: with epochs 0',
      files: { 'params-zero.yaml': '# training settings\ntrain:\n  seed: 0\n  epochs: 0\n' },
      params: 'params-zero.yaml',
      file: 'params-zero.yaml',
      line: 4,
      field: 'train.epochs',
      message: /must be >= 1/,
    },
  ];
  for (const c of trainCases) {
    await t.test(`rx train: ${c.what} is exit 4 with file:line, nothing written`, async (t) => {
      for (const [rel, text] of Object.entries(c.files)) writeFileSync(path.join(dir, rel), text);
      const before = listing(dir);
      const args = (out: string) => ['train', '--model', c.model ?? 'models/mlp.yaml', '--data', 'work/data/manifest.json', ...(c.params ? ['--params', c.params] : []), '--out', out];
      const { text, json } = expectError(t, dir, args('work/new-model'), 4, 'RX_INVALID_FILE');
      const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
      t.match(text, new RegExp(`^error: ${esc(c.file)}(:\\d+:\\d+)?: ${esc(c.field)}: ${c.message.source}`, 'm'), 'names the file and the field');
      const problem = (json.data?.problems as { file: string; field: string; line?: number; message: string }[])[0]!;
      t.match(problem, { file: c.file, field: c.field, message: c.message });
      t.same(listing(dir), before, 'no --out directory created, no staging left');
      // An existing model directory as --out is not replaced either.
      const again = rx(dir, args('work/mlp'));
      t.equal(again.code, 4);
      t.same(snapshotTree(path.join(dir, 'work/mlp')), model, 'the existing --out directory is untouched');
      t.same(listing(dir), before);
      await t.test('the message carries the line', async (t) => {
        t.match(text, new RegExp(`^error: ${esc(c.file)}:${c.line}:\\d+: ${esc(c.field)}: `, 'm'));
        t.equal(problem.line, c.line);
      });
    });
  }

  await t.test('rx train: --epochs 0 and --workers 0 are usage errors', async (t) => {
    const before = listing(dir);
    for (const opt of ['--epochs', '--workers']) {
      const { json } = expectError(t, dir, ['train', '--model', 'models/mlp.yaml', '--data', 'work/data/manifest.json', opt, '0', '--out', 'work/new-model'], 2, 'RX_USAGE');
      t.match(json.message, `${opt} must be a positive whole number, not 0`);
    }
    t.same(listing(dir), before);
  });

  await t.test('rx evaluate: weights.bin altered or truncated is exit 6, no metrics written', async (t) => {
    for (const [what, spoil] of [
      ['one byte changed', (f: string) => writeFileSync(f, Buffer.from(readFileSync(f).map((b, i) => (i === 100 ? b ^ 1 : b))))],
      ['truncated', (f: string) => truncateSync(f, 1000)],
    ] as const) {
      rmSync(path.join(dir, 'work/corrupt'), { recursive: true, force: true });
      cpSync(path.join(dir, 'work/mlp'), path.join(dir, 'work/corrupt'), { recursive: true });
      const weights = path.join(dir, 'work/corrupt/weights.bin');
      chmodSync(weights, 0o644);
      spoil(weights);
      const before = listing(dir);
      const { text, json } = expectError(t, dir, ['evaluate', '--model', 'work/corrupt', '--data', 'work/data/manifest.json', '--out', 'work/new-metrics.json', '--confusion', 'work/confusion.json'], 6, 'RX_MODEL_WEIGHTS_CORRUPT');
      t.match(json.message, /^work\/corrupt\/weights\.bin: weights hash sha256:[0-9a-f]{64} differs from sha256:[0-9a-f]{64} recorded in model\.json$/, what);
      t.match(text, /hint: .*rx checkout|rx repro/);
      t.same(listing(dir), before, `${what}: no metrics or confusion file written`);
      t.equal(rx(dir, ['evaluate', '--model', 'work/corrupt', '--data', 'work/data/manifest.json', '--out', 'work/metrics.json']).code, 6);
      t.same(readFileSync(path.join(dir, 'work/metrics.json')), metrics, 'existing metrics not replaced');
    }
  });

  await t.test('rx evaluate: a manifest of another image shape is a usage error (exit 2)', async (t) => {
    writeFileSync(
      path.join(dir, 'data/resized.yaml'),
      'schema: rx.data/1\nseed: 0\nsplit:\n  seed: 42\n  fractions: {train: 0.7, val: 0.15, test: 0.15}\nsources:\n  clean:\n    kind: real\n    read: {format: digits-csv, path: data/digits.csv.gz, rows: "0:300"}\n    preprocess:\n      - resize: {height: 12, width: 12}\n',
    );
    rxOk(dir, ['data', 'build', 'data/resized.yaml', '--out', 'work/resized']);
    t.same(readJson(path.join(dir, 'work/resized/manifest.json')).image, { height: 12, width: 12, channels: 1, maxValue: 16 }, 'a 12x12 manifest');
    const before = listing(dir);
    const { json } = expectError(t, dir, ['evaluate', '--model', 'work/mlp', '--data', 'work/resized/manifest.json', '--out', 'work/new-metrics.json'], 2, 'RX_USAGE');
    t.match(json.message, /work\/mlp takes 8x8x1 images with 10 classes, but work\/resized\/manifest\.json holds 12x12x1 images/);
    t.same(listing(dir), before, 'no metrics written');
    const split = expectError(t, dir, ['evaluate', '--model', 'work/mlp', '--data', 'work/data/manifest.json', '--out', 'work/new-metrics.json', '--split', 'holdout'], 2, 'RX_USAGE');
    t.match(split.json.message, /--split must be train, val or test/);
    t.same(listing(dir), before);
  });
});

t.test('rx init --template: unknown names, missing Fashion-MNIST files and conflicting files', async (t) => {
  await t.test('an unknown template is exit 2 naming the templates', async (t) => {
    const dir = tempDir('rx-ml-init-');
    registerRepo(t, dir);
    const { json } = expectError(t, dir, ['init', '--template', 'nope'], 2, 'RX_USAGE');
    t.match(json.message, /no template named nope: choose one of .*digits.*fashion-mnist/);
    t.notOk(existsSync(path.join(dir, 'rx.yaml')), 'no template file copied');
    await t.test('nothing is created at all', async (t) => {
      t.same(readdirSync(dir), []);
    });
  });

  await t.test('fashion-mnist without its IDX files is exit 2 naming them and the package', async (t) => {
    const dir = tempDir('rx-ml-init-');
    registerRepo(t, dir);
    const missing = path.join(dir, 'nonexistent');
    const { text, json } = expectError(t, dir, ['init', '--template', 'fashion-mnist', '--data', missing], 2, 'RX_USAGE');
    for (const f of FASHION_FILES) t.match(json.message, f, `names ${f}`);
    t.match(json.message, missing);
    t.same(json.data?.missing, FASHION_FILES);
    t.notOk(existsSync(path.join(dir, 'rx.yaml')), 'no template file copied');
    t.notOk(existsSync(path.join(dir, 'data')), 'no data copied');
    await t.test('the message or its hint names the Debian package', async (t) => {
      t.match(text, /dataset-fashion-mnist/);
    });
    // Only some of the files: the message names just those missing.
    mkdirSync(missing);
    cpSync(path.join(REPO_ROOT, 'templates/digits/data/digits.csv.gz'), path.join(missing, FASHION_FILES[0]!));
    const partial = expectError(t, dir, ['init', '--template', 'fashion-mnist', '--data', missing], 2, 'RX_USAGE');
    t.same(partial.json.data?.missing, FASHION_FILES.slice(1));
    t.notOk(existsSync(path.join(dir, 'data')), 'still nothing copied');
  });

  await t.test('a conflicting file stops the copy before anything is copied; an identical one does not', async (t) => {
    const dir = tempDir('rx-ml-init-');
    registerRepo(t, dir);
    mkdirSync(path.join(dir, 'models'));
    writeFileSync(path.join(dir, 'models/cnn.yaml'), 'my own model\n');
    const { json } = expectError(t, dir, ['init', '--template', 'digits'], 2, 'RX_USAGE');
    t.match(json.message, /would overwrite files that differ from it: models\/cnn\.yaml/);
    t.same(json.data?.conflicts, ['models/cnn.yaml']);
    t.same(
      listing(dir).filter((f) => !f.startsWith('.rx/')),
      ['models/', 'models/cnn.yaml'],
      'no template file copied',
    );
    t.equal(readFileSync(path.join(dir, 'models/cnn.yaml'), 'utf8'), 'my own model\n', 'the file is untouched');

    rmSync(path.join(dir, 'models/cnn.yaml'));
    cpSync(path.join(REPO_ROOT, 'templates/digits/params.yaml'), path.join(dir, 'params.yaml'));
    const ok = parseOutput('init', rxOk(dir, ['init', '--template', 'digits', '--json']));
    t.equal(ok.template, 'digits');
    t.notOk(ok.created.includes('params.yaml'), 'an identical file is kept, not listed as created');
    t.ok(ok.created.includes('models/cnn.yaml'));
  });
});

const fashionAbsent = FASHION_FILES.every((f) => existsSync(path.join(FASHION_MNIST_DIR, f)))
  ? false
  : `${FASHION_MNIST_DIR} lacks the Fashion-MNIST IDX files (apt-get install dataset-fashion-mnist)`;

t.test('rx init --template fashion-mnist tracks the IDX files; rx repro prepare builds 70,000 samples', { skip: fashionAbsent }, async (t) => {
  const dir = tempDir('rx-ml-fashion-');
  registerRepo(t, dir);
  const init = parseOutput('init', rxOk(dir, ['init', '--template', 'fashion-mnist', '--json']));
  t.equal(init.template, 'fashion-mnist');
  t.same(init.tracked, ['data/fashion-mnist']);
  t.same(FASHION_FILES.map((f) => init.created.includes(`data/fashion-mnist/${f}`)), [true, true, true, true]);
  for (const f of FASHION_FILES) t.ok(readFileSync(path.join(dir, 'data/fashion-mnist', f)).equals(readFileSync(path.join(FASHION_MNIST_DIR, f))), `${f} copied as is`);
  const pointer = validateJson(pointerSchema, parseYaml(readFileSync(path.join(dir, 'data/fashion-mnist.rx'), 'utf8')), 'data/fashion-mnist.rx');
  t.match(pointer, { path: 'fashion-mnist', type: 'dir', nfiles: 4 });
  commitAll(dir, 'fashion-mnist template');
  t.notOk(git(dir, ['ls-files']).stdout.split('\n').some((f) => f.startsWith('data/fashion-mnist/')), 'the IDX files are not in git, the pointer is');
  t.equal(git(dir, ['status', '--porcelain']).stdout, '');

  const r = rx(dir, ['repro', 'prepare', '--json']);
  t.equal(r.code, 0, r.code === 0 ? 'exit 0' : r.stderr);
  const repro = jsonOutput(r, reproOutputSchema, 'repro output');
  t.same(repro.stages.map((s: { name: string; action: string }) => [s.name, s.action]), [['prepare', 'ran']], 'only prepare ran: no training');
  const manifest = validateJson(manifestSchema, readJson(path.join(dir, 'work/data/manifest.json')), 'manifest');
  t.equal(manifest.samples.length, 70_000);
  t.same(manifest.image, { height: 28, width: 28, channels: 1, maxValue: 255 });
  t.equal(manifest.classes.length, 10);
  const bySplit: Record<string, number> = {};
  for (const s of manifest.samples) bySplit[s.split] = (bySplit[s.split] ?? 0) + 1;
  t.equal(bySplit.test, 10_000, 'the published test set');
  t.equal(bySplit.train! + bySplit.val!, 60_000, 'the published training set, split into train and val');
  t.notOk(existsSync(path.join(dir, 'work/model')), 'nothing trained');
  commitAll(dir, 'prepared');
  const fsck = gitFsckStrict(dir);
  t.equal(fsck.code, 0, fsck.code === 0 ? 'exit 0' : fsck.stderr);
});

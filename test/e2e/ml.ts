// The digits template end to end, on one committed full run shared by the checks (training it
// takes most of a minute): `rx repro` on the built-in defaults reaches the accuracy the template
// promises and leaves a project that commits, verifies and reports clean; `rx repro --rev HEAD`
// re-executes the commit bitwise; and two short `rx train` runs, and `rx evaluate` of them, write
// the same bytes.
import t from 'tap';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { rx, git, commitAll, gitFsckStrict, validateJson, jsonOutput } from '../../fixtures/project.js';
import { useTempDir, snapshotTree, sha256Hex } from '../../fixtures/e2e.js';
import { repoState, revDirs } from '../../fixtures/history.js';
import { useDigitsProject, rxOk, readJson, trainRecord, evaluation, setYaml } from '../../fixtures/ml.js';
import { lockSchema } from '../../src/schema/pipeline.js';
import { reproOutputSchema, revReproOutputSchema, verifyOutputSchema, statusOutputSchema } from '../../src/schema/outputs.js';
import { trainRecordSchema, evaluateOutputSchema } from '../../src/schema/model.js';

const STAGES = ['prepare', 'train', 'evaluate'];
const fileHash = (...parts: string[]) => sha256Hex(readFileSync(path.join(...parts)));

t.test('the digits template trained on its built-in defaults', async (t) => {
  const dir = useDigitsProject(t);
  const run = rx(dir, ['repro', '--json']);
  t.equal(run.code, 0, run.code === 0 ? 'exit 0' : run.stderr);
  const repro = jsonOutput(run, reproOutputSchema, 'repro output');
  t.same(repro.stages.map((s: { name: string; action: string }) => [s.name, s.action]), STAGES.map((s) => [s, 'ran']), 'prepare, train and evaluate ran, in order');
  if (run.code !== 0) return; // the checks below need the trained project

  await t.test('reaches >= 0.95 test accuracy; the lock records the tfjs backend; lock and metrics validate', async (t) => {
    const metrics = evaluation(path.join(dir, 'metrics.json'));
    t.equal(metrics.split, 'test');
    t.ok(metrics.accuracy >= 0.95, `test accuracy ${metrics.accuracy} >= 0.95`);
    t.same(Object.keys(metrics.per_source_accuracy), ['clean'], 'only the clean source reaches the test split');

    const lock = validateJson(lockSchema, parseYaml(readFileSync(path.join(dir, 'rx.lock'), 'utf8')), 'rx.lock');
    const record = trainRecord(path.join(dir, 'work/model'));
    t.type(lock.env.tfjs_backend, 'string');
    t.ok(lock.env.tfjs_backend.length > 0, `env.tfjs_backend: ${lock.env.tfjs_backend}`);
    t.type(lock.env.tfjs_simd, 'boolean');
    t.equal(lock.env.tfjs_backend, record.backend.name, 'the backend that trained');
    t.equal(lock.env.tfjs_simd, record.backend.simd);
    t.equal(metrics.backend, record.backend.name, 'and that evaluated');
    t.same(Object.keys(lock.stages).sort(), [...STAGES].sort());
    t.same(lock.stages.train.params['params.yaml'].train, parseYaml(readFileSync(path.join(dir, 'params.yaml'), 'utf8')).train, 'the train: section is recorded');
    t.equal(record.settings.epochs, lock.stages.train.params['params.yaml'].train.epochs, 'trained for the epochs params.yaml sets');
    t.equal(metrics.weights, record.weights, 'metrics name the weights they measured');
  });

  await t.test('commits clean: git fsck --strict, rx verify and rx status', async (t) => {
    commitAll(dir, 'digits: trained on the defaults');
    t.equal(git(dir, ['status', '--porcelain']).stdout, '', 'outputs are ignored or committed: nothing left over');
    const fsck = gitFsckStrict(dir);
    t.equal(fsck.code, 0, fsck.code === 0 ? 'git fsck --strict is clean' : fsck.stdout + fsck.stderr);
    const verify = rx(dir, ['verify', '--json']);
    t.equal(verify.code, 0, verify.code === 0 ? 'exit 0' : verify.stderr);
    const v = jsonOutput(verify, verifyOutputSchema, 'verify output');
    t.equal(v.ok, true);
    t.equal(v.stages, 3);
    t.same(v.findings, []);
    const status = rx(dir, ['status', '--json']);
    t.equal(status.code, 0, status.code === 0 ? 'exit 0' : status.stderr);
    const s = jsonOutput(status, statusOutputSchema, 'status output');
    t.equal(s.clean, true);
    t.same(s.stages.map((x: { name: string; state: string }) => [x.name, x.state]).sort(), [...STAGES].sort().map((n) => [n, 'up-to-date']));
  });

  await t.test('rx repro --rev HEAD re-executes the committed run bitwise and changes nothing', async (t) => {
    // A shorter committed run than the defaults keeps the re-execution quick: the CNN, data
    // and augmentation are the template's; only the epochs differ.
    setYaml(dir, 'params.yaml', [[['train', 'epochs'], 3]]);
    rxOk(dir, ['repro', '-q']);
    commitAll(dir, 'three epochs');
    const before = repoState(dir);
    const metrics = fileHash(dir, 'metrics.json');
    const r = rx(dir, ['repro', '--rev', 'HEAD', '--json']);
    t.equal(r.code, 0, r.code === 0 ? 'exit 0' : r.stderr);
    const out = jsonOutput(r, revReproOutputSchema, 'repro --rev output');
    t.equal(out.verdict, 'bitwise');
    t.equal(out.lockIdentical, true);
    t.equal(out.envChanged, false, 'same backend as the commit recorded');
    t.same(out.failed, []);
    t.same(out.run.map((s: { name: string; action: string }) => [s.name, s.action]), STAGES.map((s) => [s, 'ran']), 'every stage really re-ran');
    t.same(out.stages.map((s: { name: string; verdict: string }) => [s.name, s.verdict]).sort(), [...STAGES].sort().map((n) => [n, 'bitwise']));
    t.same(repoState(dir), before, 'HEAD, index, refs and status as they were');
    t.equal(fileHash(dir, 'metrics.json'), metrics, 'metrics.json untouched');
    t.same(revDirs(dir), [], 'no run directory left behind');
  });

  await t.test('two rx train runs give the same bytes; so do rx evaluate of them', async (t) => {
    const tmp = useTempDir(t);
    const train = (name: string) => {
      const r = rxOk(dir, ['train', '--model', 'models/cnn.yaml', '--data', 'work/data/manifest.json', '--augment', 'augment/default.yaml', '--params', 'params.yaml', '--epochs', '2', '--out', path.join(tmp, name), '--json']);
      return jsonOutput(r, trainRecordSchema, 'train output');
    };
    const [a, b] = [train('a'), train('b')];
    t.equal(a.settings.epochs, 2, '--epochs overrides params.yaml');
    t.equal(a.curves.length, 2);
    t.same(a, readJson(path.join(tmp, 'a/train.json')), '--json prints the record it wrote');
    trainRecord(path.join(tmp, 'a'));
    t.equal(fileHash(tmp, 'a/weights.bin'), fileHash(tmp, 'b/weights.bin'), 'weights.bin identical');
    t.equal(fileHash(tmp, 'a/train.json'), fileHash(tmp, 'b/train.json'), 'train.json identical');
    t.same(snapshotTree(path.join(tmp, 'a')), snapshotTree(path.join(tmp, 'b')), 'the whole model directory identical');
    t.equal(a.weights, b.weights);
    t.not(a.weights, trainRecord(path.join(dir, 'work/model')).weights, 'and not the weights of the committed run');

    const evaluate = (name: string) => {
      const r = rxOk(dir, ['evaluate', '--model', path.join(tmp, name), '--data', 'work/data/manifest.json', '--out', path.join(tmp, `${name}.json`), '--confusion', path.join(tmp, `${name}-confusion.json`), '--json']);
      return jsonOutput(r, evaluateOutputSchema, 'evaluate output');
    };
    const [ea, eb] = [evaluate('a'), evaluate('b')];
    t.same(ea.metrics, evaluation(path.join(tmp, 'a.json')), '--json prints the metrics it wrote');
    t.equal(ea.metrics.weights, a.weights);
    t.equal(fileHash(tmp, 'a.json'), fileHash(tmp, 'b.json'), 'metrics files identical byte for byte');
    t.equal(fileHash(tmp, 'a-confusion.json'), fileHash(tmp, 'b-confusion.json'), 'confusion matrices identical');
    t.same(ea, { ...eb, out: ea.out });
    t.equal(git(dir, ['status', '--porcelain']).stdout, '', 'runs outside the project leave it clean');
  });
});

import t from 'tap';
import { problemsOf, matchList } from '../../fixtures/problems.js';
import { expandPipeline, type RawPipeline } from '../../src/pipeline/definition.js';
import { parseYamlLocated } from '../../src/schema/validate.js';
import { pipelineSchema } from '../../src/schema/pipeline.js';

function load(text: string, params: unknown = {}) {
  const { value, locate } = parseYamlLocated<RawPipeline>('rx.yaml', text, pipelineSchema);
  return expandPipeline(value, locate, params);
}

const problems = problemsOf;

t.test('a plain stage is normalised: sorted paths, wdir-relative paths, params by file', async (t) => {
  const p = load(`schema: 1
stages:
  train:
    cmd: python train.py
    wdir: sub
    deps: [z.py, ../data/a.csv, a.py]
    params: [lr, {other.yaml: [b, a]}, {whole.json: null}]
    outs: [model, {path: cache.bin, cache: false}]
    metrics: [{path: m.json, tolerance: {acc: 0.01}}]
    plots: [{path: loss.csv, x: epoch, y: loss}]
    seeds: {init: 7}
`);
  const s = p.stages[0]!;
  t.equal(s.wdir, 'sub');
  t.same(s.deps, ['data/a.csv', 'sub/a.py', 'sub/z.py']);
  t.same(s.params, [
    { file: 'sub/other.yaml', keys: ['a', 'b'] },
    { file: 'sub/params.yaml', keys: ['lr'] },
    { file: 'sub/whole.json', keys: null },
  ]);
  t.same(s.outs.map((o) => [o.path, o.kind, o.cache]), [
    ['sub/cache.bin', 'out', false],
    ['sub/loss.csv', 'plot', false],
    ['sub/m.json', 'metric', false],
    ['sub/model', 'out', true],
  ]);
  t.same(s.outs.find((o) => o.kind === 'metric')!.tolerance, { acc: 0.01 });
  t.same(s.seeds, { init: 7 });
});

t.test('foreach over a list and a mapping, matrix as a product, names name@key', async (t) => {
  const p = load(`schema: 1
vars:
  models: [cnn, mlp]
stages:
  fit:
    foreach: \${models}
    do:
      cmd: fit \${item}
      outs: ["out/\${item}"]
  ev:
    foreach: {small: 1, big: 4}
    do:
      cmd: eval --scale \${item} --name \${key}
  sweep:
    matrix:
      lr: [0.1, 0.01]
      width: [8, 16]
    cmd: train --lr \${item.lr} --width \${item.width}
`);
  t.same(p.stages.map((s) => s.name), ['ev@big', 'ev@small', 'fit@cnn', 'fit@mlp', 'sweep@0.01-16', 'sweep@0.01-8', 'sweep@0.1-16', 'sweep@0.1-8']);
  t.equal(p.stages.find((s) => s.name === 'ev@big')!.cmd, 'eval --scale 4 --name big');
  t.same(p.stages.find((s) => s.name === 'fit@mlp')!.outs.map((o) => o.path), ['out/mlp']);
  t.equal(p.stages.find((s) => s.name === 'sweep@0.01-8')!.cmd, 'train --lr 0.01 --width 8');
});

t.test('values interpolated from params.yaml become param dependencies', async (t) => {
  const p = load(`schema: 1
stages:
  a:
    cmd: run --epochs \${train.epochs}
`, { train: { epochs: 5 } });
  t.same(p.stages[0]!.params, [{ file: 'params.yaml', keys: ['train.epochs'] }]);
  t.equal(p.stages[0]!.cmd, 'run --epochs 5');
});

t.test('unknown variables and escaping paths are located in rx.yaml', async (t) => {
  const ps = problems(() => load(`schema: 1
stages:
  a:
    cmd: run \${missing}
    deps: [../../outside]
`));
  matchList(t, ps, [
    { file: 'rx.yaml', line: 4, field: 'stages.a.cmd', message: /missing/ },
    { file: 'rx.yaml', line: 5, field: 'stages.a.deps[0]', message: /outside the project/ },
  ]);
});

t.test('schema errors: unknown key, wrong type, bad stage name', async (t) => {
  matchList(t, problems(() => load('schema: 1\nstages:\n  a:\n    cmd: x\n    colour: red\n')), [{ line: 5, field: 'stages.a.colour', message: 'is not a known field' }]);
  matchList(t, problems(() => load('schema: 1\nstages:\n  a:\n    cmd: x\n    frozen: maybe\n')), [{ line: 5, field: 'stages.a.frozen' }]);
  t.ok(problems(() => load('schema: 1\nstages:\n  "a@b":\n    cmd: x\n')).length > 0);
});

t.test('schema: is optional (the current version is assumed)', async (t) => {
  const p = load('stages:\n  a:\n    cmd: echo hi\n');
  t.same(p.stages.map((s) => s.name), ['a']);
  t.same(problems(() => load('schema: 2\nstages:\n  a:\n    cmd: echo\n')).map((x) => [x.field, x.message]), [['schema', 'must be 1']]);
});

t.test("DVC's dict forms of outs, metrics and plots map onto rx's outputs", async (t) => {
  const p = load(`stages:
  train:
    cmd: python train.py
    outs:
      - model.pt:
          persist: true
          desc: the weights
      - logs: {cache: false}
      - \${names.features}:
          cache: true
    metrics:
      - metrics.json: {cache: false}
      - scores.json:
    plots:
      - roc.json:
          cache: false
          x: fpr
          y: tpr
          title: ROC
      - a.csv: {cache: false}
        b.csv: {persist: true}
`, { names: { features: 'features.pkl' } });
  const s = p.stages[0]!;
  t.same(s.outs.map((o) => [o.path, o.kind, o.cache, o.persist]), [
    ['a.csv', 'plot', false, false],
    ['b.csv', 'plot', false, true],
    ['features.pkl', 'out', true, false],
    ['logs', 'out', false, false],
    ['metrics.json', 'metric', false, false],
    ['model.pt', 'out', true, true],
    ['roc.json', 'plot', false, false],
    ['scores.json', 'metric', false, false],
  ]);
  const roc = s.outs.find((o) => o.path === 'roc.json')!;
  t.same([roc.x, roc.y, roc.title], ['fpr', 'tpr', 'ROC']);
  t.same(s.params, [{ file: 'params.yaml', keys: ['names.features'] }], 'a templated output path is a param dependency');
});

t.test('a DVC dict-form key rx has no equivalent for is located, one message', async (t) => {
  const text = 'stages:\n  a:\n    cmd: echo\n    metrics:\n      - metrics.json: {cache: false, push: false}\n';
  const p = problems(() => load(text));
  t.same(p, [{ file: 'rx.yaml', line: 5, column: 38, field: 'stages.a.metrics[0].metrics.json.push', message: 'is not a known field' }]);
});

t.test('an output entry of no allowed form: one message naming the forms', async (t) => {
  const p = problems(() => load('stages:\n  a:\n    cmd: echo\n    outs:\n      - 5\n'));
  t.equal(p.length, 1);
  t.match(p[0], { line: 5, column: 9, field: 'stages.a.outs[0]' });
  t.match(p[0]!.message, /^must be a path string or a mapping \{PATH: \{cache, persist, desc\}\}/);
  const rxForm = problems(() => load('stages:\n  a:\n    cmd: echo\n    outs:\n      - {path: x, colour: red}\n'));
  t.same(rxForm.map((x) => [x.field, x.message]), [['stages.a.outs[0].colour', 'is not a known field']]);
});

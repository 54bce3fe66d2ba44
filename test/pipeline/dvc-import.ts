// The dvc.yaml -> rx.yaml converter, as a pure function: every DVC construct either maps onto
// rx's own form (checked by expanding the written rx.yaml with rx's own loader) or is reported
// as a located warning.
import t from 'tap';
import { problemsOf } from '../../fixtures/problems.js';
import { parseDvcYaml, dvcVarsFiles } from '../../src/pipeline/dvc-read.js';
import { convertDvcPipeline, type DvcConversion } from '../../src/pipeline/dvc-import.js';
import { expandPipeline, type RawPipeline, type Stage } from '../../src/pipeline/definition.js';
import { parseYamlLocated } from '../../src/schema/validate.js';
import { pipelineSchema } from '../../src/schema/pipeline.js';

function convert(dvc: string, opts: { params?: unknown; files?: Record<string, unknown> } = {}): DvcConversion {
  return convertDvcPipeline({ dvc: parseDvcYaml('dvc.yaml', dvc), params: opts.params, files: opts.files ?? {} });
}

/** The written rx.yaml, read back by rx's own loader. */
function stagesOf(c: DvcConversion, params: unknown = {}): Map<string, Stage> {
  const { value, locate } = parseYamlLocated<RawPipeline>('rx.yaml', c.text, pipelineSchema);
  return new Map(expandPipeline(value, locate, params).stages.map((s) => [s.name, s]));
}

const codes = (c: DvcConversion) => c.warnings.map((w) => w.code);

t.test('a plain stage keeps cmd, wdir, deps, params, outs, frozen, always_changed and desc', async (t) => {
  const c = convert(`stages:
  prepare:
    cmd: python src/prepare.py data/data.xml
    wdir: .
    desc: split the data
    deps:
    - data/data.xml
    - src/prepare.py
    params:
    - prepare.seed
    - prepare.split
    outs:
    - data/prepared
    frozen: true
    always_changed: true
`);
  t.same(c.warnings, []);
  t.same(c.problems, []);
  t.match(c.text, /^schema: 1$/m, 'rx.yaml says its schema version');
  const s = stagesOf(c, { prepare: { seed: 1, split: 0.2 } }).get('prepare')!;
  t.equal(s.cmd, 'python src/prepare.py data/data.xml');
  t.same(s.deps, ['data/data.xml', 'src/prepare.py']);
  t.same(s.params, [{ file: 'params.yaml', keys: ['prepare.seed', 'prepare.split'] }]);
  t.same(s.outs.map((o) => [o.path, o.kind, o.cache]), [['data/prepared', 'out', true]]);
  t.equal(s.frozen, true);
  t.equal(s.alwaysChanged, true);
  t.equal(s.desc, 'split the data');
  t.same(c.stages, [{ dvc: 'prepare', rx: ['prepare'] }]);
});

t.test("metrics and plots keep DVC's caching: cached unless cache: false", async (t) => {
  const c = convert(`stages:
  evaluate:
    cmd: python src/evaluate.py
    outs:
    - eval/importance.png
    - eval/prc:
        cache: false
    metrics:
    - evaluation.json:
        cache: false
    - scores.json
    plots:
    - evaluation/importance.png
    - roc.json:
        cache: false
        x: fpr
        y: tpr
        title: ROC
    - logs.csv:
        persist: true
        desc: training log
`);
  t.same(c.warnings, []);
  const s = stagesOf(c).get('evaluate')!;
  t.same(s.outs.map((o) => [o.path, o.kind, o.cache, o.persist]), [
    ['eval/importance.png', 'out', true, false],
    ['eval/prc', 'out', false, false],
    ['evaluation.json', 'metric', false, false],
    ['evaluation/importance.png', 'plot', true, false],
    ['logs.csv', 'plot', true, true],
    ['roc.json', 'plot', false, false],
    ['scores.json', 'metric', true, false],
  ]);
  const roc = s.outs.find((o) => o.path === 'roc.json')!;
  t.same([roc.x, roc.y, roc.title], ['fpr', 'tpr', 'ROC']);
});

t.test('output settings rx has no equivalent for are dropped and reported where they are written', async (t) => {
  const text = `stages:
  train:
    cmd: python train.py
    meta:
      owner: someone
    outs:
    - model.pt:
        checkpoint: true
    - big:
        remote: s3store
        push: false
        type: model
        labels: [cv]
    plots:
    - predictions.json:
        cache: false
        template: confusion
        x: actual
        y: predicted
        x_label: truth
`;
  const c = convert(text);
  t.same(codes(c).sort(), ['dvc-checkpoint', 'dvc-meta', 'dvc-output-setting', 'dvc-output-setting', 'dvc-output-setting', 'dvc-output-setting', 'dvc-plot-setting', 'dvc-plot-setting']);
  const remote = c.warnings.find((w) => w.field === 'stages.train.outs[1].big.remote')!;
  t.match(remote, { file: 'dvc.yaml', line: 10, column: 9 });
  t.match(c.warnings.find((w) => w.code === 'dvc-meta'), { field: 'stages.train.meta', line: 4 });
  const s = stagesOf(c).get('train')!;
  t.same(s.outs.map((o) => [o.path, o.kind, o.cache, o.persist]), [
    ['big', 'out', true, false],
    ['model.pt', 'out', true, true],
    ['predictions.json', 'plot', false, false],
  ]);
  t.match(c.warnings.find((w) => w.code === 'dvc-checkpoint')!.message, /persist: true/);
});

t.test('params: bare keys, a file with keys, a whole file; formats rx cannot read are reported', async (t) => {
  const c = convert(`stages:
  preprocess:
    cmd: bin/cleanup raw.txt clean.txt
    deps:
      - raw.txt
    params:
      - threshold
      - nn.batch_size
      - myparams.yaml:
          - epochs
      - config.json:
      - settings.toml: [a]
    outs:
      - clean.txt
`);
  t.same(codes(c), ['dvc-params-format']);
  t.match(c.warnings[0], { field: 'stages.preprocess.params[4].settings.toml', line: 12 });
  const s = stagesOf(c).get('preprocess')!;
  t.same(s.params, [
    { file: 'config.json', keys: null },
    { file: 'myparams.yaml', keys: ['epochs'] },
    { file: 'params.yaml', keys: ['nn.batch_size', 'threshold'] },
    { file: 'settings.toml', keys: ['a'] },
  ]);
});

t.test('top-level vars: mappings merge, files are inlined (with selected keys), a missing file is reported', async (t) => {
  const dvc = `vars:
  - models:
      us:
        threshold: 10
  - desc: 'Reusable description'
  - params.yaml
  - params.json:clean,feats
  - missing.yaml
stages:
  build-us:
    desc: \${desc}
    cmd: python train.py --thresh \${models.us.threshold} \${feats.exec}
    deps:
      - \${clean.filename}
`;
  t.same(dvcVarsFiles(parseDvcYaml('dvc.yaml', dvc)), ['params.json', 'missing.yaml']);
  const c = convert(dvc, { files: { 'params.json': { clean: { filename: 'clean.csv' }, feats: { exec: 'feat.sh' }, other: 1 } } });
  t.same(codes(c), ['dvc-vars-file', 'dvc-vars-missing']);
  t.same(c.pipeline.vars, { models: { us: { threshold: 10 } }, desc: 'Reusable description', clean: { filename: 'clean.csv' }, feats: { exec: 'feat.sh' } });
  t.same(c.problems, [], 'nothing refers to missing.yaml, so rx.yaml still expands');
});

t.test('a vars file that cannot be found leaves its references undefined: problems, not a silent file', async (t) => {
  const c = convert('vars:\n  - conf.yaml\nstages:\n  a:\n    cmd: run ${conf.x}\n');
  t.same(codes(c), ['dvc-vars-missing']);
  t.match(c.problems, [{ file: 'rx.yaml', field: 'stages.a.cmd', message: /\$\{conf\.x\} is not defined/ }]);
});

t.test('stage-level vars are substituted into the stage', async (t) => {
  const c = convert(`stages:
  build-us:
    vars:
      - params.json:build
      - model:
          filename: 'model-us.hdf5'
    cmd: python train.py \${build.epochs} --out \${model.filename} --lr \${lr}
    outs:
      - \${model.filename}
`, { files: { 'params.json': { build: { epochs: 4 } } }, params: { lr: 0.1 } });
  t.same(codes(c), ['dvc-vars-file', 'dvc-stage-vars']);
  const s = stagesOf(c, { lr: 0.1 }).get('build-us')!;
  t.equal(s.cmd, 'python train.py 4 --out model-us.hdf5 --lr 0.1');
  t.same(s.outs.map((o) => o.path), ['model-us.hdf5']);
  t.same(s.params, [{ file: 'params.yaml', keys: ['lr'] }], 'params.yaml values stay templated and tracked');
});

t.test('foreach (list, list of mappings, mapping, from params) and matrix keep their stage names', async (t) => {
  const params = { myobject: { a: { prop1: 1, prop2: 'out-a' }, b: { prop1: 2, prop2: 'out-b' } }, datasets: ['d1', 'd2'], processors: ['p1', 'p2'], lists: { seq: [5, 6] } };
  const c = convert(`stages:
  cleanups:
    foreach:
      - raw1
      - labels1
    do:
      cmd: clean.py "\${item}"
      outs:
        - \${item}.cln
  train:
    foreach:
      - epochs: 3
        thresh: 10
      - epochs: 10
        thresh: 15
    do:
      cmd: python train.py \${item.epochs} \${item.thresh} \${lists.seq[1]}
  build:
    foreach:
      uk:
        epochs: 3
      us:
        epochs: 10
    do:
      cmd: python train.py '\${key}' \${item.epochs}
      outs:
        - model-\${key}.hdfs:
            cache: false
  mystages:
    foreach: \${myobject}
    do:
      cmd: ./script.py \${key} \${item.prop1}
      outs:
        - \${item.prop2}
  sweep:
    matrix:
      model: [cnn, xgb]
      feature: [feature1, feature2]
    cmd: ./train.py --feature \${item.feature} \${item.model}
    outs:
      - \${item.model}-\${item.feature}.pkl
  preprocess:
    matrix:
      processor: \${processors}
      dataset: \${datasets}
    cmd: ./preprocess.py \${item.dataset} \${item.processor}
    outs:
    - \${item.dataset}-\${item.processor}.json
`, { params });
  t.same(c.warnings, []);
  t.same(c.problems, []);
  const stages = stagesOf(c, params);
  t.same([...stages.keys()].sort(), [
    'build@uk', 'build@us', 'cleanups@labels1', 'cleanups@raw1', 'mystages@a', 'mystages@b',
    'preprocess@p1-d1', 'preprocess@p1-d2', 'preprocess@p2-d1', 'preprocess@p2-d2',
    'sweep@cnn-feature1', 'sweep@cnn-feature2', 'sweep@xgb-feature1', 'sweep@xgb-feature2',
    'train@0', 'train@1',
  ]);
  t.equal(stages.get('train@1')!.cmd, 'python train.py 10 15 6', '${a.b[1]} becomes ${a.b.1}');
  t.equal(stages.get('build@uk')!.cmd, "python train.py 'uk' 3");
  t.same(stages.get('build@us')!.outs.map((o) => [o.path, o.cache]), [['model-us.hdfs', false]]);
  t.same(stages.get('mystages@b')!.outs.map((o) => o.path), ['out-b']);
  t.same(c.stages.find((s) => s.dvc === 'sweep')!.rx, ['sweep@cnn-feature1', 'sweep@cnn-feature2', 'sweep@xgb-feature1', 'sweep@xgb-feature2']);
});

t.test('a matrix of mappings or lists is named by index in rx (DVC adds the variable name): reported', async (t) => {
  const c = convert(`stages:
  train:
    matrix:
      config:
        - n_estimators: 150
        - n_estimators: 120
      labels:
        - [label1, label2]
    cmd: train \${item.config.n_estimators} \${item.labels[0]}
`);
  t.same(codes(c), ['dvc-matrix-names']);
  t.same(c.stages, [{ dvc: 'train', rx: ['train@0-0', 'train@1-0'] }]);
});

t.test('dictionary unpacking in cmd becomes flags that reference each value', async (t) => {
  const params = { mydict: { foo: 'foo', bar: 1, bool: true, off: false, nested: { baz: 'bar' }, list: [2, 3, 'qux'] } };
  const c = convert('stages:\n  train:\n    cmd: R train.r ${mydict}\n', { params });
  t.same(codes(c), ['dvc-dict-unpacked']);
  const s = stagesOf(c, params).get('train')!;
  t.equal(s.cmd, "R train.r --foo 'foo' --bar 1 --bool --nested.baz 'bar' --list 2 3 'qux'", 'as DVC documents it');
  t.same(s.params, [{ file: 'params.yaml', keys: ['mydict.bar', 'mydict.foo', 'mydict.list.0', 'mydict.list.1', 'mydict.list.2', 'mydict.nested.baz'] }]);
});

t.test("top-level metrics and plots become stage metrics and plots when they name a stage's output", async (t) => {
  const c = convert(`params:
  - params.yaml
metrics:
  - metrics.json
  - eval/live/metrics.json
plots:
  - auc.json:
      x: fpr
      y: tpr
  - train_val_test:
      y:
        train.csv: [train_acc, val_acc]
        test.csv: test_acc
  - eval/importance.png
artifacts:
  cv-classification:
    path: models/resnet.pt
    type: model
stages:
  build:
    cmd: python train.py
    outs:
      - model.pt
      - auc.json
      - metrics.json:
          cache: false
      - eval
`);
  const s = stagesOf(c).get('build')!;
  t.same(s.outs.map((o) => [o.path, o.kind, o.cache]), [
    ['auc.json', 'plot', true],
    ['eval', 'out', true],
    ['metrics.json', 'metric', false],
    ['model.pt', 'out', true],
  ]);
  t.same([s.outs[0]!.x, s.outs[0]!.y], ['fpr', 'tpr']);
  t.same(codes(c).sort(), ['dvc-artifacts', 'dvc-top-level-metric', 'dvc-top-level-params', 'dvc-top-level-plot', 'dvc-top-level-plot']);
  t.match(c.warnings.find((w) => w.field === 'metrics[1]')!.message, /inside the output eval of stage build/);
  t.match(c.warnings.find((w) => w.field === 'plots[1]'), { line: 10 });
});

t.test('plots written as a mapping (an older dvc.yaml) are read the same way', async (t) => {
  const c = convert('stages:\n  build:\n    cmd: run\n    outs: [auc.json]\nplots:\n  auc.json:\n    x: fpr\n    y: tpr\n');
  t.same(c.warnings, []);
  t.same(stagesOf(c).get('build')!.outs.map((o) => [o.path, o.kind, o.x]), [['auc.json', 'plot', 'fpr']]);
});

t.test('external dependencies and outputs are dropped and reported; odd stage names are renamed', async (t) => {
  const c = convert(`stages:
  "fetch data":
    cmd:
      - wget https://example.org/x.zip -O x.zip
      - python prep.py
    deps:
      - prep.py
      - https://example.org/x.zip
      - /abs/data.csv
    outs:
      - s3://mybucket/project-data/input_data:
          cache: false
      - x.zip
    unknown_key: 1
`);
  t.same(codes(c).sort(), ['dvc-external-path', 'dvc-external-path', 'dvc-external-path', 'dvc-stage-renamed', 'dvc-unknown-key']);
  const s = stagesOf(c).get('fetch_data')!;
  t.same(s.cmd, ['wget https://example.org/x.zip -O x.zip', 'python prep.py']);
  t.same(s.deps, ['prep.py']);
  t.same(s.outs.map((o) => o.path), ['x.zip']);
  t.same(c.stages, [{ dvc: 'fetch data', rx: ['fetch_data'] }]);
});

t.test('a dvc.yaml of the wrong shape is an invalid file located in dvc.yaml', async (t) => {
  const p = problemsOf(() => parseDvcYaml('dvc.yaml', 'stages:\n  a:\n    cmd: 5\n    deps: data.csv\n'));
  t.match(p, [{ file: 'dvc.yaml', line: 3, field: 'stages.a.cmd' }, { file: 'dvc.yaml', line: 4, field: 'stages.a.deps' }]);
  t.match(problemsOf(() => parseDvcYaml('dvc.yaml', 'stages: [a, b]\n')), [{ file: 'dvc.yaml', field: 'stages' }]);
});

t.test('the written rx.yaml lists what was not converted, as comments', async (t) => {
  const c = convert('artifacts:\n  m:\n    path: m.pkl\nstages:\n  a:\n    cmd: run\n');
  t.match(c.text, /^# .*rx migrate dvc/m);
  t.match(c.text, /^# +dvc\.yaml:1:1: artifacts: /m);
});

t.test('foreach and matrix values with characters rx writes as _ in stage names are reported (also from params.yaml)', async (t) => {
  const params = { dirs: ['data/a', 'data/b'] };
  const c = convert('stages:\n  clean:\n    foreach: ${dirs}\n    do:\n      cmd: clean ${item}\n  grid:\n    matrix:\n      lr: ["1e-3", "1e-2"]\n      dir: [x/y]\n    cmd: fit ${item.lr} ${item.dir}\n', { params });
  t.same(codes(c), ['dvc-foreach-names', 'dvc-matrix-names']);
  t.same(c.stages, [
    { dvc: 'clean', rx: ['clean@data_a', 'clean@data_b'] },
    { dvc: 'grid', rx: ['grid@1e-2-x_y', 'grid@1e-3-x_y'] },
  ]);
});

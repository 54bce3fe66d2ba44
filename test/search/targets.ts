// Search targets on a copy of the digits template: the space's paths and the objective are
// checked against the project with errors located in the search file; a configuration is
// written into the files with everything else byte for byte, each file validated by its own
// schema, and a configuration that makes a file invalid is refused naming file, field and parameter.
import t from 'tap';
import { cpSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { readSearchSpec } from '../../src/search/spec.js';
import { checkSpaceAgainstProject, applyConfig, resolveKey } from '../../src/search/targets.js';
import { workspaceReader } from '../../src/pipeline/definition.js';
import { parseDataSpec } from '../../src/data/spec.js';
import { parseAugmentSpec } from '../../src/augment/spec.js';
import { parseModelConfig } from '../../src/model/config.js';
import { parseYaml } from '../../src/core/yaml.js';
import { InvalidFileError, type FileProblem } from '../../src/core/errors.js';
import type { Config } from '../../src/search/types.js';

const TEMPLATE = new URL('../../templates/digits', import.meta.url).pathname;
const FILE = 'search/joint.yaml';

function project(t: Tap.Test): string {
  const dir = t.testdir({});
  cpSync(TEMPLATE, dir, { recursive: true });
  return dir;
}

const SPACE = {
  lr: '{path: "params.yaml:train.learning_rate", type: float, low: 0.0001, high: 0.1, log: true, prior: {normal: {mean: 0.002, sd: 1.0}}}',
  width: '{path: "models/cnn.yaml:blocks.0.filters", type: int, low: 8, high: 64, step: 8}',
  block: '{path: "models/cnn.yaml:blocks.1.type", type: categorical, choices: [conv, separable, residual]}',
  mix: '{path: "data/digits.yaml:sources", type: simplex, over: [clean, noisy, synthetic], prior: {dirichlet: [4, 1, 1]}, total: 1500}',
  rotate: '{path: "augment/default.yaml:ops.rotate.p", type: float, low: 0, high: 1, when: {block: residual}}',
};

function specText(space: Record<string, string> = SPACE, metric = 'metrics.json:accuracy'): string {
  return `schema: rx.search/1
objective: {metric: "${metric}", direction: maximize}
seed: 7
seeds: [0, 1]
budget: {trials: 24}
method: tpe
space:
${Object.entries(space)
  .map(([k, v]) => `  ${k}: ${v}`)
  .join('\n')}
`;
}

function lineOf(text: string, needle: string): number {
  const i = text.split('\n').findIndex((l) => l.includes(needle));
  if (i < 0) throw new Error(`no line holds ${needle}`);
  return i + 1;
}

async function refusal(p: Promise<unknown>): Promise<InvalidFileError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof InvalidFileError) return err;
    throw err;
  }
  throw new Error('expected InvalidFileError');
}

const CONFIG: Config = { lr: 0.01, width: 16, block: 'residual', mix: { clean: 0.5, noisy: 0.2, synthetic: 0.3 }, rotate: 0.25 };

t.test('the template passes the check', async (t) => {
  const dir = project(t);
  await checkSpaceAgainstProject(readSearchSpec(FILE, specText()), workspaceReader(dir));
  t.pass('no problem');
});

t.test('applyConfig writes each value at its path and leaves every other byte as it was', async (t) => {
  const dir = project(t);
  const original = (rel: string) => readFileSync(path.join(dir, rel), 'utf8');
  const files = await applyConfig(readSearchSpec(FILE, specText()), CONFIG, workspaceReader(dir));
  t.same([...files.keys()].sort(), ['augment/default.yaml', 'data/digits.yaml', 'models/cnn.yaml', 'params.yaml']);

  t.equal(files.get('params.yaml'), original('params.yaml').replace('learning_rate: 0.002', 'learning_rate: 0.01'));
  t.equal(
    files.get('models/cnn.yaml'),
    original('models/cnn.yaml').replace('{ type: conv, filters: 32,', '{ type: conv, filters: 16,').replace('{ type: conv, filters: 64,', '{ type: residual, filters: 64,'),
  );
  t.equal(files.get('augment/default.yaml'), original('augment/default.yaml').replace('    p: 0.5\n', '    p: 0.25\n'), 'the op named rotate');
  t.equal(
    files.get('data/digits.yaml'),
    original('data/digits.yaml').replace('budget: {count: 1300}', 'budget: {fraction: 0.5}').replace('budget: {count: 400}', 'budget: {fraction: 0.2}').replace('budget: {count: 600}', 'budget: {fraction: 0.3}') + 'total: 1500\n',
    'fraction budgets per component and the total the simplex declares',
  );
  t.match(files.get('augment/default.yaml'), /# degrees, counter-clockwise/, 'comments kept');

  // Every file still reads under its own schema.
  const data = parseDataSpec('data/digits.yaml', files.get('data/digits.yaml')!).spec;
  t.same(data.sources.noisy!.budget, { fraction: 0.2 });
  t.equal(data.total, 1500);
  t.equal(parseModelConfig('models/cnn.yaml', files.get('models/cnn.yaml')!).config.blocks[1]!.type, 'residual');
  t.equal(parseAugmentSpec('augment/default.yaml', files.get('augment/default.yaml')!).ops[0]!.p, 0.25);
  t.same(parseYaml(files.get('params.yaml')!, 'params.yaml'), { train: { seed: 0, epochs: 20, batch_size: 32, learning_rate: 0.01, width: 1, augment_seed: 0 } });
});

t.test('an inactive parameter is not written, and an unchanged file is not returned', async (t) => {
  const dir = project(t);
  const { rotate: _, ...conv } = CONFIG;
  const files = await applyConfig(readSearchSpec(FILE, specText()), { ...conv, block: 'conv' }, workspaceReader(dir));
  t.notOk(files.has('augment/default.yaml'), 'rotate is inactive when the block is not residual');
  const same = await applyConfig(readSearchSpec(FILE, specText({ lr: SPACE.lr })), { lr: 0.002 }, workspaceReader(dir));
  t.equal(same.size, 0, 'a value equal to the one in the file changes nothing');
  await t.rejects(applyConfig(readSearchSpec(FILE, specText()), { ...conv, block: 'conv', rotate: 0.1 }, workspaceReader(dir)), { code: 'RX_TRIAL_REFUSED', problems: [{ field: 'space.rotate.when' }] });
  await t.rejects(applyConfig(readSearchSpec(FILE, specText()), { ...CONFIG, width: 12 }, workspaceReader(dir)), { code: 'RX_TRIAL_REFUSED', problems: [{ field: 'space.width' }] }, 'off the step grid');
});

t.test('simplex fractions are written to sum to at most 1 as the data spec adds them', async (t) => {
  const dir = project(t);
  const mix = { clean: 0.34, noisy: 0.56, synthetic: 0.1 };
  t.ok(0.34 + 0.56 + 0.1 > 1, 'these weights overshoot 1 when added in source order');
  const files = await applyConfig(readSearchSpec(FILE, specText({ mix: SPACE.mix })), { mix }, workspaceReader(dir));
  const data = parseDataSpec('data/digits.yaml', files.get('data/digits.yaml')!).spec;
  const fractions = Object.values(data.sources).map((s) => (s.budget as { fraction: number }).fraction);
  t.ok(fractions.reduce((a, b) => a + b, 0) <= 1, `sum ${fractions.reduce((a, b) => a + b, 0)}`);
  t.same([fractions[0], fractions[2]], [0.34, 0.1], 'only the largest moves');
  t.ok(Math.abs(fractions[1]! - 0.56) < 1e-15, 'and by an ulp');
});

function located(problems: FileProblem[], field: string): FileProblem {
  const p = problems.find((q) => q.field === field);
  if (!p) throw new Error(`no problem at ${field}: ${JSON.stringify(problems)}`);
  return p;
}

t.test('a path to a missing file or key is refused at the line of the parameter', async (t) => {
  const dir = project(t);
  const text = specText({
    ...SPACE,
    lr: '{path: "params.yaml:train.lr", type: float, low: 0.0001, high: 0.1}',
    depth: '{path: "models/cnn.yaml:blocks.7.filters", type: int, low: 1, high: 4}',
    op: '{path: "augment/default.yaml:ops.shear.p", type: float, low: 0, high: 1}',
    gone: '{path: "models/none.yaml:x", type: int, low: 1, high: 4}',
  });
  const err = await refusal(checkSpaceAgainstProject(readSearchSpec(FILE, text), workspaceReader(dir)));
  t.equal(err.exitCode, 4);
  t.equal(err.problems.length, 4, JSON.stringify(err.problems));
  t.match(located(err.problems, 'space.lr.path'), { file: FILE, line: lineOf(text, '  lr:'), message: /params.yaml has no key train.lr/ });
  t.match(located(err.problems, 'space.depth.path'), { line: lineOf(text, '  depth:'), message: /has no item 7 in blocks \(it has 4\)/ });
  t.match(located(err.problems, 'space.op.path'), { line: lineOf(text, '  op:'), message: /no item named shear in ops \(items: rotate, translate, gaussian-noise, erasing\)/ });
  t.match(located(err.problems, 'space.gone.path'), { line: lineOf(text, '  gone:'), message: /models\/none.yaml does not exist/ });
});

t.test('a path to a mapping, or one value spelled two ways, is refused', async (t) => {
  const dir = project(t);
  const text = specText({ whole: '{path: "params.yaml:train", type: float, low: 0, high: 1}', p: SPACE.rotate.replace(', when: {block: residual}', ''), p0: '{path: "augment/default.yaml:ops.0.p", type: float, low: 0, high: 1}' });
  const err = await refusal(checkSpaceAgainstProject(readSearchSpec(FILE, text), workspaceReader(dir)));
  t.match(located(err.problems, 'space.whole.path'), { message: /params.yaml:train is a mapping, not a single value/ });
  t.match(located(err.problems, 'space.p0.path'), { line: lineOf(text, '  p0:'), message: /the value parameter p sets/ });
  t.equal(err.problems.length, 2);
});

t.test('a simplex over an unknown source, or with no total to share, is refused', async (t) => {
  const dir = project(t);
  const text = specText({ mix: '{path: "data/digits.yaml:sources", type: simplex, over: [clean, noisy, fake]}' });
  const err = await refusal(checkSpaceAgainstProject(readSearchSpec(FILE, text), workspaceReader(dir)));
  t.equal(err.problems.length, 2, JSON.stringify(err.problems));
  t.match(located(err.problems, 'space.mix.over[2]'), { file: FILE, line: lineOf(text, '  mix:'), message: /data\/digits.yaml has no source fake \(sources: clean, noisy, synthetic\)/ });
  t.match(located(err.problems, 'space.mix.path'), { message: /no spec-level total/ });
  const notData = specText({ mix: '{path: "params.yaml:train", type: simplex, over: [a, b]}' });
  const e2 = await refusal(checkSpaceAgainstProject(readSearchSpec(FILE, notData), workspaceReader(dir)));
  t.match(e2.problems, [{ field: 'space.mix.path', message: /not a data spec/ }]);
});

t.test('an objective no stage writes as a metric is refused at objective.metric', async (t) => {
  const dir = project(t);
  const none = specText({ lr: SPACE.lr }, 'val.json:accuracy');
  const err = await refusal(checkSpaceAgainstProject(readSearchSpec(FILE, none), workspaceReader(dir)));
  t.match(err.problems, [{ file: FILE, line: 2, field: 'objective.metric', message: /no stage of rx.yaml writes val.json as a metric \(metrics: metrics.json \(evaluate\)\)/ }]);
  const plain = specText({ lr: SPACE.lr }, 'plots/confusion.json:accuracy');
  const e2 = await refusal(checkSpaceAgainstProject(readSearchSpec(FILE, plain), workspaceReader(dir)));
  t.match(e2.problems, [{ field: 'objective.metric', message: /stage evaluate writes plots\/confusion.json, but not as a metric/ }]);
});

t.test('a value that makes its file invalid refuses the trial, naming file, field and parameter', async (t) => {
  const dir = project(t);
  const read = workspaceReader(dir);
  const dense = readSearchSpec(FILE, specText({ block: SPACE.block.replace('residual]', 'residual, dense]') }));
  const e1 = await refusal(applyConfig(dense, { block: 'dense' }, read));
  t.equal(e1.code, 'RX_TRIAL_REFUSED');
  t.equal(e1.exitCode, 4);
  t.ok(e1.problems.length > 0);
  const blockLine = lineOf(readFileSync(path.join(TEMPLATE, 'models/cnn.yaml'), 'utf8'), 'filters: 64');
  for (const p of e1.problems) t.match(p, { file: 'models/cnn.yaml', line: blockLine, field: /^blocks\[1\]/, message: /set by search parameter block = "dense" of search\/joint.yaml/ });
  t.same(e1.data.params, ['block']);

  const zero = readSearchSpec(FILE, specText({ width: SPACE.width.replace('low: 8', 'low: 0'), lr: SPACE.lr }));
  const e2 = await refusal(applyConfig(zero, { width: 0, lr: 0.01 }, read));
  t.match(e2.problems, [{ file: 'models/cnn.yaml', field: 'blocks[0].filters', message: /must be >= 1 \(set by search parameter width = 0 / }]);
  t.same(e2.data.params, ['width'], 'only the parameter that wrote the field');

  const p = readSearchSpec(FILE, specText({ p: SPACE.rotate.replace('high: 1, when: {block: residual}', 'high: 2') }));
  const e3 = await refusal(applyConfig(p, { p: 1.5 }, read));
  t.match(e3.problems, [{ file: 'augment/default.yaml', line: lineOf(readFileSync(path.join(TEMPLATE, 'augment/default.yaml'), 'utf8'), 'p: 0.5'), field: 'ops[0].p', message: /probability 1.5 is outside \[0, 1\] \(set by search parameter p = 1.5/ }]);
  t.equal(readFileSync(path.join(dir, 'augment/default.yaml'), 'utf8'), readFileSync(path.join(TEMPLATE, 'augment/default.yaml'), 'utf8'), 'nothing written to the project');
});

t.test('a simplex whose fractions cannot fit beside other fraction budgets is refused by the data spec check', async (t) => {
  const dir = project(t);
  const data = path.join(dir, 'data/digits.yaml');
  const { writeFileSync } = await import('node:fs');
  writeFileSync(data, readFileSync(data, 'utf8').replace('budget: {count: 600}', 'budget: {fraction: 0.5}').replace('seed: 0\n', 'seed: 0\ntotal: 1000\n'));
  const spec = readSearchSpec(FILE, specText({ mix: '{path: "data/digits.yaml:sources", type: simplex, over: [clean, noisy]}' }));
  await checkSpaceAgainstProject(spec, workspaceReader(dir));
  const err = await refusal(applyConfig(spec, { mix: { clean: 0.6, noisy: 0.4 } }, workspaceReader(dir)));
  t.match(err.problems, [{ file: 'data/digits.yaml', field: 'sources', message: /fraction budgets sum to 1.5.*set by search parameter mix/ }]);
});

t.test('resolveKey indexes lists by number or by item name', async (t) => {
  const doc = { ops: [{ op: 'rotate', p: 1 }, { op: 'flip' }, { name: 'flip' }], m: { '0': 'zero' } };
  t.same(resolveKey(doc, 'ops.rotate.p'), { found: true, segments: ['ops', 0, 'p'], value: 1 });
  t.same(resolveKey(doc, 'ops.1.op'), { found: true, segments: ['ops', 1, 'op'], value: 'flip' });
  t.same(resolveKey(doc, 'm.0'), { found: true, segments: ['m', '0'], value: 'zero' }, 'a digit key of a mapping is a key');
  t.match(resolveKey(doc, 'ops.flip'), { found: false, message: /flip names 2 items of ops \(1, 2\): address one by its index/ });
  t.match(resolveKey(doc, 'ops.rotate.p.q'), { found: false, message: /ops.0.p is a single value/ });
});

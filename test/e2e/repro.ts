// rx repro on a 4-stage pipeline (fixtures/pipeline.ts): a full run then a no-op; a param
// change reruns exactly the stages whose inputs changed; reordering deps changes nothing;
// missing outputs come back from the store, earlier inputs from the run cache; a run from
// scratch rewrites rx.lock byte for byte; --dry, targets, --downstream; foreach/matrix
// stages; ${var} interpolation from vars and params.yaml.
import t from 'tap';
import { rmSync, existsSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { rx, writeTree } from '../../fixtures/project.js';
import {
  usePipeline,
  copyProject,
  paramsYaml,
  pipelineYaml,
  reproJson,
  runsLog,
  clearRuns,
  read,
  readBytes,
  validLock,
  outputAs,
  STAGES,
  type ParamValues,
} from '../../fixtures/pipeline.js';

const ORDER = ['prepare', 'stats', 'train', 'evaluate'];
const allAs = (action: string) => Object.fromEntries(STAGES.map((s) => [s, action]));

// One pipeline brought up to date for the whole file; tests work on copies of it.
const base = usePipeline(t, { run: true });

t.test('a full run, then a second run does nothing', async (t) => {
  const dir = usePipeline(t);
  const first = reproJson(dir);
  t.equal(first.code, 0, first.stderr);
  t.same(first.json.stages.map((s) => s.name), ORDER, 'stages in topological order');
  t.same(first.actions, allAs('ran'));
  for (const s of first.json.stages) t.same(s.reasons, ['never run (no lock entry)']);
  t.same(runsLog(dir), ORDER, 'each command ran once, upstream first');
  const lock = validLock(dir);
  t.same(Object.keys(lock.stages).sort(), [...STAGES]);
  t.equal(read(dir, 'model/model.txt'), 'weight 18.6000\n');
  t.same(JSON.parse(read(dir, 'metrics.json')), { score: 2.325, count: 8, passed: false });
  const lockBytes = readBytes(dir, 'rx.lock');

  clearRuns(dir);
  const second = reproJson(dir);
  t.equal(second.code, 0);
  t.same(second.actions, allAs('up-to-date'));
  t.same(runsLog(dir), [], 'nothing ran');
  t.same(readBytes(dir, 'rx.lock'), lockBytes, 'rx.lock untouched');
  t.equal(rx(dir, ['verify']).code, 0);
});

t.test('${var} interpolation from vars and params.yaml', async (t) => {
  const lock = validLock(base);
  t.equal(lock.stages.prepare.cmd, 'sh scripts/prepare.sh 2 data/raw.txt work/prepared.txt', 'vars and params.yaml values in the command');
  t.same(lock.stages.prepare.params, { 'params.yaml': { 'prepare.scale': 2 } }, 'a params.yaml value used by templating is a param dependency');
  t.same(lock.stages.prepare.outs.map((o: { path: string }) => o.path), ['work/prepared.txt'], '${work} in a path');
  t.same(lock.stages.evaluate.params, { 'params.yaml': { 'evaluate.threshold': 5 } });
  t.same(lock.stages.train.params, { 'params.yaml': { 'train.epochs': 3, 'train.lr': 0.1 } }, 'declared params');
});

const paramCases: { name: string; change: Partial<ParamValues>; ran: string[]; reasons: Record<string, string[]> }[] = [
  {
    name: 'evaluate.threshold: only evaluate',
    change: { threshold: 1 },
    ran: ['evaluate'],
    reasons: { evaluate: ['command changed', 'param params.yaml:evaluate.threshold modified'] },
  },
  {
    name: 'train.lr: train and evaluate',
    change: { lr: 0.2 },
    ran: ['train', 'evaluate'],
    reasons: { train: ['param params.yaml:train.lr modified'], evaluate: ['dependency model/model.txt modified'] },
  },
  {
    name: 'prepare.scale: everything',
    change: { scale: 3 },
    ran: ['prepare', 'stats', 'train', 'evaluate'],
    reasons: { stats: ['dependency work/prepared.txt modified'] },
  },
  {
    name: 'train params giving the same model: train only, evaluate stays up to date',
    change: { epochs: 6, lr: 0.05 },
    ran: ['train'],
    reasons: { train: ['param params.yaml:train.epochs modified', 'param params.yaml:train.lr modified'] },
  },
];

for (const c of paramCases) {
  t.test(`changing a param reruns the stages that use it and those whose deps changed: ${c.name}`, async (t) => {
    const dir = copyProject(t, base);
    const before = validLock(dir);
    writeTree(dir, { 'params.yaml': paramsYaml(c.change) });
    const r = reproJson(dir);
    t.equal(r.code, 0, r.stderr);
    t.same(r.actions, Object.fromEntries(STAGES.map((s) => [s, c.ran.includes(s) ? 'ran' : 'up-to-date'])));
    t.same(runsLog(dir), c.ran, 'exactly these commands ran');
    for (const [stage, reasons] of Object.entries(c.reasons)) t.same(r.json.stages.find((s) => s.name === stage)!.reasons, reasons, `reasons of ${stage}`);
    const after = validLock(dir);
    for (const s of STAGES) if (!c.ran.includes(s)) t.same(after.stages[s], before.stages[s], `lock entry of ${s} unchanged`);
    clearRuns(dir);
    t.same(reproJson(dir).actions, allAs('up-to-date'), 'then up to date');
    t.equal(rx(dir, ['verify']).code, 0);
  });
}

t.test('reordering deps and params in rx.yaml reruns nothing', async (t) => {
  const dir = copyProject(t, base);
  const lock = readBytes(dir, 'rx.lock');
  writeTree(dir, { 'rx.yaml': pipelineYaml({ reverseDeps: true }) });
  t.not(read(dir, 'rx.yaml'), read(base, 'rx.yaml'));
  const r = reproJson(dir);
  t.equal(r.code, 0);
  t.same(r.actions, allAs('up-to-date'));
  t.same(runsLog(dir), []);
  t.same(readBytes(dir, 'rx.lock'), lock, 'rx.lock byte-identical');
});

const deleted: { path: string; stage: string }[] = [
  { path: 'model/model.txt', stage: 'train' },
  { path: 'work/prepared.txt', stage: 'prepare' },
  { path: 'metrics.json', stage: 'evaluate' },
];
for (const d of deleted) {
  t.test(`a deleted output (${d.path}) is restored from the store without running`, async (t) => {
    const dir = copyProject(t, base);
    const content = readBytes(dir, d.path);
    const lock = readBytes(dir, 'rx.lock');
    rmSync(path.join(dir, d.path));
    const r = reproJson(dir);
    t.equal(r.code, 0, r.stderr);
    t.same(r.actions, { ...allAs('up-to-date'), [d.stage]: 'restored' });
    t.same(r.json.stages.find((s) => s.name === d.stage)!.reasons, [`output ${d.path} missing`]);
    t.same(runsLog(dir), [], 'no command ran');
    t.same(readBytes(dir, d.path), content, 'same bytes back');
    if (d.path === 'metrics.json') {
      const st = statSync(path.join(dir, d.path));
      t.ok(st.mode & 0o200 && st.nlink === 1, 'an output kept in git comes back as an ordinary writable file');
    }
    t.same(readBytes(dir, 'rx.lock'), lock, 'rx.lock byte-identical');
    t.equal(rx(dir, ['verify']).code, 0);
  });
}

t.test('a param changed back to an earlier value restores stages from the run cache', async (t) => {
  const dir = copyProject(t, base);
  const lock = readBytes(dir, 'rx.lock');
  const model = readBytes(dir, 'model/model.txt');
  writeTree(dir, { 'params.yaml': paramsYaml({ lr: 0.2 }) });
  t.same(reproJson(dir).actions, { ...allAs('up-to-date'), train: 'ran', evaluate: 'ran' });
  t.equal(read(dir, 'model/model.txt'), 'weight 37.2000\n');
  clearRuns(dir);

  writeTree(dir, { 'params.yaml': paramsYaml() });
  const r = reproJson(dir);
  t.equal(r.code, 0, r.stderr);
  t.same(r.actions, { ...allAs('up-to-date'), train: 'run-cache', evaluate: 'run-cache' });
  t.same(runsLog(dir), [], 'no command ran');
  t.same(readBytes(dir, 'model/model.txt'), model);
  t.same(JSON.parse(read(dir, 'metrics.json')), { score: 2.325, count: 8, passed: false });
  t.same(readBytes(dir, 'rx.lock'), lock, 'rx.lock byte-identical to the first run');

  // --no-run-cache runs them instead.
  writeTree(dir, { 'params.yaml': paramsYaml({ lr: 0.2 }) });
  t.same(reproJson(dir, ['--no-run-cache']).actions, { ...allAs('up-to-date'), train: 'ran', evaluate: 'ran' });
  t.same(runsLog(dir), ['train', 'evaluate']);
});

t.test('an identical re-run from scratch writes a byte-identical rx.lock', async (t) => {
  const dir = copyProject(t, base);
  const lock = readBytes(dir, 'rx.lock');
  const metrics = readBytes(dir, 'metrics.json');
  for (const p of ['work', 'model', 'metrics.json']) rmSync(path.join(dir, p), { recursive: true, force: true });
  const r = reproJson(dir, ['--force']);
  t.equal(r.code, 0, r.stderr);
  t.same(r.actions, allAs('ran'));
  for (const s of r.json.stages) t.ok(s.reasons.includes('forced'), `${s.name} forced`);
  t.same(runsLog(dir), ORDER);
  t.same(readBytes(dir, 'rx.lock'), lock, 'rx.lock byte-identical');
  t.same(readBytes(dir, 'metrics.json'), metrics);
});

t.test('--dry prints the plan with reasons and runs nothing', async (t) => {
  const dir = usePipeline(t);
  const text = rx(dir, ['repro', '--dry']);
  t.equal(text.code, 0, text.stderr);
  for (const s of STAGES) t.match(text.stdout, new RegExp(`${s}\\s+would run\\s+\\(never run`), `${s} would run, with the reason`);
  const r = reproJson(dir, ['--dry']);
  t.same(r.actions, allAs('would-run'));
  t.equal(rx(dir, ['repro', '--dry', '--exit-code']).code, 1, '--exit-code: 1 when something would run');
  t.same(runsLog(dir), [], 'nothing ran');
  t.notOk(existsSync(path.join(dir, 'rx.lock')), 'no rx.lock written');
  t.notOk(existsSync(path.join(dir, 'work')), 'no outputs');

  t.equal(rx(base, ['repro', '--dry', '--exit-code']).code, 0, '--exit-code: 0 when nothing would run');

  const changed = copyProject(t, base);
  const lock = readBytes(changed, 'rx.lock');
  writeTree(changed, { 'params.yaml': paramsYaml({ lr: 0.2 }) });
  const plan = reproJson(changed, ['--dry']);
  t.same(plan.actions, { ...allAs('up-to-date'), train: 'would-run', evaluate: 'would-run' });
  t.same(plan.json.stages.find((s) => s.name === 'train')!.reasons, ['param params.yaml:train.lr modified']);
  t.same(plan.json.stages.find((s) => s.name === 'evaluate')!.reasons, ['upstream stage train will run']);
  t.equal(rx(changed, ['repro', '--dry', '--exit-code']).code, 1);
  t.same(runsLog(changed), []);
  t.same(readBytes(changed, 'rx.lock'), lock);
});

const selections: { args: string[]; stages: string[] }[] = [
  { args: ['train'], stages: ['prepare', 'train'] },
  { args: ['stats'], stages: ['prepare', 'stats'] },
  { args: ['evaluate'], stages: ORDER },
  { args: ['stats', 'train'], stages: ['prepare', 'stats', 'train'] },
  { args: ['train', '--downstream'], stages: ['train', 'evaluate'] },
  { args: ['stats', '--downstream'], stages: ['stats', 'evaluate'] },
  { args: ['prepare', '--downstream'], stages: ORDER },
  { args: ['evaluate', '--downstream'], stages: ['evaluate'] },
];
t.test('named targets select them and their upstream; --downstream them and their downstream', async (t) => {
  const fresh = usePipeline(t);
  for (const s of selections) {
    const r = reproJson(fresh, ['--dry', ...s.args]);
    t.same(r.json.stages.map((x) => x.name), s.stages, `rx repro --dry ${s.args.join(' ')}`);
  }
  const r = reproJson(fresh, ['train']);
  t.equal(r.code, 0);
  t.same(r.actions, { prepare: 'ran', train: 'ran' });
  t.same(runsLog(fresh), ['prepare', 'train']);
  t.same(Object.keys(validLock(fresh).stages).sort(), ['prepare', 'train'], 'only the selected stages are locked');

  // On an up-to-date project a forced target with --downstream reruns exactly those stages.
  const dir = copyProject(t, base);
  const forced = reproJson(dir, ['stats', '--downstream', '--force']);
  t.same(forced.actions, { stats: 'ran', evaluate: 'ran' });
  t.same(runsLog(dir), ['stats', 'evaluate']);

  const unknown = rx(base, ['repro', 'no-such-stage']);
  t.equal(unknown.code, 2, 'an unknown stage is a usage error');
  t.match(unknown.stderr, 'unknown stage: no-such-stage');
});

t.test('foreach and matrix expand to name@key stages that run', async (t) => {
  const dir = usePipeline(t);
  writeTree(dir, {
    'rx.yaml': [
      'schema: 1',
      'vars:',
      '  sizes:',
      '    small: 2',
      '    large: 5',
      'stages:',
      '  gen:',
      '    foreach: ${sizes}',
      '    do:',
      '      cmd: awk "BEGIN { for (i = 1; i <= ${item}; i++) print \\"${key}\\", i }" > gen/${key}.txt',
      '      outs: ["gen/${key}.txt"]',
      '  copy:',
      '    foreach: [alpha, beta]',
      '    do:',
      '      cmd: echo ${item} ${copy.suffix} > copy/${item}.txt',
      '      outs: ["copy/${item}.txt"]',
      '  grid:',
      '    matrix:',
      '      model: [mlp, cnn]',
      '      lr: [0.1, 0.2]',
      '    cmd: echo ${item.model} ${item.lr} > grid/${key}.txt',
      '    outs: ["grid/${key}.txt"]',
      '  combine:',
      '    cmd: cat gen/small.txt gen/large.txt copy/alpha.txt copy/beta.txt grid/cnn-0.1.txt grid/mlp-0.2.txt > combined.txt',
      '    deps: [gen/small.txt, gen/large.txt, copy/alpha.txt, copy/beta.txt, grid/cnn-0.1.txt, grid/mlp-0.2.txt]',
      '    outs: [combined.txt]',
      '',
    ].join('\n'),
    'params.yaml': 'copy:\n  suffix: "!"\n',
  });
  const expected = ['copy@alpha', 'copy@beta', 'gen@large', 'gen@small', 'grid@cnn-0.1', 'grid@cnn-0.2', 'grid@mlp-0.1', 'grid@mlp-0.2', 'combine'];
  const dag = outputAs('dag', rx(dir, ['dag', '--json']));
  t.same(dag.stages.map((s: { name: string }) => s.name), expected, 'generated stages, in run order');
  t.same(
    dag.edges.filter((e: { to: string }) => e.to === 'combine').map((e: { from: string }) => e.from).sort(),
    ['copy@alpha', 'copy@beta', 'gen@large', 'gen@small', 'grid@cnn-0.1', 'grid@mlp-0.2'],
  );
  const r = reproJson(dir);
  t.equal(r.code, 0, r.stderr);
  t.same(r.actions, Object.fromEntries(expected.map((n) => [n, 'ran'])));
  t.equal(read(dir, 'gen/small.txt'), 'small 1\nsmall 2\n');
  t.equal(read(dir, 'gen/large.txt').split('\n').filter(Boolean).length, 5);
  t.equal(read(dir, 'copy/beta.txt'), 'beta !\n', 'params.yaml value inside a foreach body');
  t.equal(read(dir, 'grid/mlp-0.2.txt'), 'mlp 0.2\n');
  t.equal(read(dir, 'combined.txt'), 'small 1\nsmall 2\nlarge 1\nlarge 2\nlarge 3\nlarge 4\nlarge 5\nalpha !\nbeta !\ncnn 0.1\nmlp 0.2\n');
  const lock = validLock(dir);
  t.same(Object.keys(lock.stages).sort(), [...expected].sort());
  t.same(lock.stages['copy@beta'].params, { 'params.yaml': { 'copy.suffix': '!' } });
  t.equal(lock.stages['grid@cnn-0.2'].cmd, 'echo cnn 0.2 > grid/cnn-0.2.txt');

  // A group name selects every generated stage; a param used by one group reruns only it.
  t.same(reproJson(dir, ['grid', '--force', '--dry']).json.stages.map((s) => s.name), ['grid@cnn-0.1', 'grid@cnn-0.2', 'grid@mlp-0.1', 'grid@mlp-0.2']);
  writeTree(dir, { 'params.yaml': 'copy:\n  suffix: "?"\n' });
  const again = reproJson(dir);
  t.same(
    Object.entries(again.actions).filter(([, a]) => a !== 'up-to-date').map(([n]) => n),
    ['copy@alpha', 'copy@beta', 'combine'],
  );
  t.equal(rx(dir, ['verify']).code, 0);
});

t.test('a directory output, and a dependency on a file inside it', async (t) => {
  const dir = usePipeline(t);
  const yaml = (letter: string) =>
    [
      'schema: 1',
      'stages:',
      '  split:',
      `    cmd: mkdir -p parts && echo ${letter} > parts/a.txt && echo b > parts/b.txt`,
      '    outs: [parts]',
      '  use:',
      '    cmd: cat parts/a.txt parts/a.txt > use.txt',
      '    deps: [parts/a.txt]',
      '    outs: [use.txt]',
      '',
    ].join('\n');
  writeTree(dir, { 'rx.yaml': yaml('a') });
  t.same(reproJson(dir).actions, { split: 'ran', use: 'ran' });
  const lock = validLock(dir);
  t.match(lock.stages.split.outs[0], { path: 'parts', type: 'dir', nfiles: 2, size: 4 });
  t.equal(rx(dir, ['verify']).code, 0);

  rmSync(path.join(dir, 'parts'), { recursive: true });
  t.same(reproJson(dir).actions, { split: 'restored', use: 'up-to-date' }, 'the directory comes back from the store');
  t.equal(read(dir, 'parts/b.txt'), 'b\n');

  // A change that leaves parts/a.txt alone does not rerun its user; one that changes it does.
  writeTree(dir, { 'rx.yaml': yaml('a').replace('echo b >', 'echo c >') });
  t.same(reproJson(dir).actions, { split: 'ran', use: 'up-to-date' });
  writeTree(dir, { 'rx.yaml': yaml('z').replace('echo b >', 'echo c >') });
  t.same(reproJson(dir).actions, { split: 'ran', use: 'ran' });
  t.equal(read(dir, 'use.txt'), 'z\nz\n');
  t.equal(rx(dir, ['verify']).code, 0);
});

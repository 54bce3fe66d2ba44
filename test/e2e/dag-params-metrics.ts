// The read commands of the pipeline: rx status --json (stages with state, reasons and the
// kind of change), rx dag (--json, --mermaid, --dot, text), rx params diff and rx metrics
// show|diff between commits and the workspace (values, and metric deltas with their sign).
import t from 'tap';
import { rmSync } from 'node:fs';
import * as path from 'node:path';
import { rx, writeTree, commitAll } from '../../fixtures/project.js';
import { usePipeline, copyProject, outputAs, paramsYaml, reproJson, STAGES } from '../../fixtures/pipeline.js';

const base = usePipeline(t, { run: true });

interface StatusJson {
  clean: boolean;
  stages: { name: string; state: string; reasons: string[]; changes: { command: boolean; settings: string[]; deps: string[]; params: string[]; outs: string[] } }[];
}
const stageStates = (s: StatusJson) => Object.fromEntries(s.stages.map((x) => [x.name, x.state]));
const stageOf = (s: StatusJson, name: string) => s.stages.find((x) => x.name === name)!;

t.test('rx status --json lists the stages with their state and reasons', async (t) => {
  const fresh = usePipeline(t);
  const never = rx(fresh, ['status', '--json', '--exit-code']);
  t.equal(never.code, 1, '--exit-code: 1 when stages are not up to date');
  const n = outputAs<StatusJson>('status', never);
  t.equal(n.clean, false);
  t.same(stageStates(n), Object.fromEntries(STAGES.map((s) => [s, 'never-run'])));
  t.same(stageOf(n, 'train').reasons, ['never run (no lock entry)']);

  const clean = rx(base, ['status', '--json', '--exit-code']);
  t.equal(clean.code, 0);
  const c = outputAs<StatusJson>('status', clean);
  t.equal(c.clean, true);
  t.same(stageStates(c), Object.fromEntries(STAGES.map((s) => [s, 'up-to-date'])));
  t.match(rx(base, ['status']).stdout, '4 stage(s), all up to date');

  const dir = copyProject(t, base);
  writeTree(dir, { 'params.yaml': paramsYaml({ lr: 0.2, threshold: 1 }) });
  rmSync(path.join(dir, 'work', 'stats.txt'));
  const changed = outputAs<StatusJson>('status', rx(dir, ['status', '--json']));
  t.equal(changed.clean, false);
  t.same(stageStates(changed), { evaluate: 'changed', prepare: 'up-to-date', stats: 'changed', train: 'changed' });
  t.same(stageOf(changed, 'train').changes, { command: false, settings: [], deps: [], params: ['params.yaml:train.lr'], outs: [] });
  t.same(stageOf(changed, 'train').reasons, ['param params.yaml:train.lr modified']);
  t.same(stageOf(changed, 'stats').changes.outs, ['work/stats.txt']);
  t.same(stageOf(changed, 'stats').reasons, ['output work/stats.txt missing']);
  t.same(stageOf(changed, 'evaluate').changes, { command: true, settings: [], deps: ['work/stats.txt'], params: ['params.yaml:evaluate.threshold'], outs: [] });
  const text = rx(dir, ['status']);
  t.match(text.stdout, 'stage train: param params.yaml:train.lr modified');
  t.match(text.stdout, 'rx repro');
  t.equal(rx(dir, ['status', '--exit-code']).code, 1);
});

t.test('rx dag: JSON, Mermaid, dot and text', async (t) => {
  const edges = [
    { from: 'prepare', to: 'stats' },
    { from: 'prepare', to: 'train' },
    { from: 'stats', to: 'evaluate' },
    { from: 'train', to: 'evaluate' },
  ];
  const d = outputAs('dag', rx(base, ['dag', '--json']));
  t.same(d.stages.map((s: { name: string }) => s.name), ['prepare', 'stats', 'train', 'evaluate'], 'in run order');
  t.same(d.edges, edges);
  t.same(d.stages[2], { name: 'train', cmd: 'sh scripts/train.sh', deps: ['scripts/train.sh', 'work/prepared.txt'], outs: ['model/model.txt'], frozen: false });

  const formats: { flag: string[]; has: string[] }[] = [
    { flag: ['--mermaid'], has: ['flowchart TD', ...edges.map((e) => `s_${e.from} --> s_${e.to}`)] },
    { flag: ['--dot'], has: ['digraph rx {', ...edges.map((e) => `"${e.from}" -> "${e.to}";`)] },
    { flag: [], has: ['evaluate  <- stats, train', 'stats  <- prepare'] },
  ];
  for (const f of formats) {
    const r = rx(base, ['dag', ...f.flag]);
    t.equal(r.code, 0, r.stderr);
    for (const line of f.has) t.match(r.stdout, line, `rx dag ${f.flag.join(' ')}: ${line}`);
  }
  t.equal(rx(base, ['dag', '--dot', '--mermaid']).code, 2, 'two formats at once is a usage error');
});

interface DiffJson {
  a: string;
  b: string;
  rows: { file: string; key: string; old?: unknown; new?: unknown; change: string; delta?: number }[];
}

t.test('rx params diff: HEAD against the workspace, with --all', async (t) => {
  const dir = copyProject(t, base);
  t.same(outputAs<DiffJson>('diff', rx(dir, ['params', 'diff', '--json'])).rows, [], 'nothing changed');
  t.match(rx(dir, ['params', 'diff']).stdout, 'no parameters changed between HEAD and workspace');
  writeTree(dir, { 'params.yaml': paramsYaml({ lr: 0.2, epochs: 4 }) });
  const d = outputAs<DiffJson>('diff', rx(dir, ['params', 'diff', '--json']));
  t.equal(d.a, 'HEAD');
  t.equal(d.b, 'workspace');
  t.same(d.rows, [
    { file: 'params.yaml', key: 'train.epochs', old: 3, new: 4, change: 'modified', delta: 1 },
    { file: 'params.yaml', key: 'train.lr', old: 0.1, new: 0.2, change: 'modified', delta: 0.1 },
  ]);
  const all = outputAs<DiffJson>('diff', rx(dir, ['params', 'diff', '--all', '--json']));
  t.same(all.rows.map((r) => `${r.key} ${r.change}`), ['evaluate.threshold unchanged', 'prepare.scale unchanged', 'train.epochs modified', 'train.lr modified']);
  const text = rx(dir, ['params', 'diff']);
  t.match(text.stdout, /train\.lr\s+0\.1\s+0\.2/);
  const md = rx(dir, ['params', 'diff', '--md']);
  t.match(md.stdout, '| params.yaml | train.lr | 0.1 | 0.2 |');
});

const metricChanges: { lr: number; score: number; delta: number; text: string }[] = [
  { lr: 0.2, score: 4.65, delta: 2.325, text: '+2.325' },
  { lr: 0.05, score: 1.1625, delta: -1.1625, text: '-1.1625' },
];
for (const m of metricChanges) {
  t.test(`rx metrics diff HEAD after a change: delta ${m.text}`, async (t) => {
    const dir = copyProject(t, base);
    writeTree(dir, { 'params.yaml': paramsYaml({ lr: m.lr }) });
    t.equal(reproJson(dir).code, 0);
    const d = outputAs<DiffJson>('diff', rx(dir, ['metrics', 'diff', 'HEAD', '--json']));
    t.same(d.rows, [{ file: 'metrics.json', key: 'score', old: 2.325, new: m.score, change: 'modified', delta: m.delta }], 'only the score changed');
    const text = rx(dir, ['metrics', 'diff', 'HEAD']);
    t.match(text.stdout, new RegExp(`score\\s+2\\.325\\s+${m.score}\\s+${m.text.replace('+', '\\+')}`), 'the delta with its sign');
  });
}

t.test('rx metrics show at a revision, and diff between two commits', async (t) => {
  const dir = copyProject(t, base);
  writeTree(dir, { 'params.yaml': paramsYaml({ lr: 0.2 }) });
  t.equal(reproJson(dir).code, 0);
  commitAll(dir, 'lr 0.2');
  interface ShowJson {
    revision: string;
    metrics: { file: string; key: string; value: unknown }[];
  }
  const before = outputAs<ShowJson>('metrics-show', rx(dir, ['metrics', 'show', 'HEAD~1', '--json']));
  t.equal(before.revision, 'HEAD~1');
  t.same(before.metrics, [
    { file: 'metrics.json', key: 'score', value: 2.325 },
    { file: 'metrics.json', key: 'count', value: 8 },
    { file: 'metrics.json', key: 'passed', value: false },
  ]);
  const now = outputAs<ShowJson>('metrics-show', rx(dir, ['metrics', 'show', '--json']));
  t.equal(now.revision, 'workspace');
  t.equal(now.metrics.find((x) => x.key === 'score')?.value, 4.65);
  t.match(rx(dir, ['metrics', 'show', 'HEAD~1']).stdout, /score\s+2\.325/);
  const d = outputAs<DiffJson>('diff', rx(dir, ['metrics', 'diff', 'HEAD~1..HEAD', '--json']));
  t.same(d.rows, [{ file: 'metrics.json', key: 'score', old: 2.325, new: 4.65, change: 'modified', delta: 2.325 }]);
  const unknown = rx(dir, ['metrics', 'show', 'no-such-rev']);
  t.equal(unknown.code, 2, 'an unknown revision is a usage error');
});

// rx diff on the scripted history (fixtures/history.ts): the reviewer's Markdown (heading,
// Parameters, Metrics, Stages with reasons, Data with file counts), --json against its
// schema for every kind of commit (params, data, stage added and removed, code only, docs
// only), --exit-code, the working tree as a side, and bad revisions.
import t from 'tap';
import { rx, writeTree } from '../../fixtures/project.js';
import { hasStackTrace } from '../../fixtures/e2e.js';
import { useHistory, rxOut, rxErr, repoState, paramsYaml, type History } from '../../fixtures/history.js';

const h: History = useHistory(t);
const c = h.byName;

interface Diff {
  a: string;
  b: string;
  changed: boolean;
  params: { file: string; key: string; old?: unknown; new?: unknown; change: string; delta?: number }[];
  metrics: { file: string; key: string; old?: unknown; new?: unknown; change: string; delta?: number }[];
  stages: { name: string; change: string; reasons: string[] }[];
  data: { path: string; change: string; before?: { nfiles: number; size: number }; after?: { nfiles: number; size: number }; files?: { added: string[]; removed: string[]; modified: string[] } }[];
}

const diffJson = (...revs: string[]) => {
  const r = rxOut<Diff>(h.dir, 'diff', ['diff', ...revs]);
  if (r.code !== 0) throw new Error(`rx diff ${revs.join(' ')} exited ${r.code}: ${r.stderr}`);
  return r.json;
};

/** A Markdown document split into its `### ` sections; tables as rows of trimmed cells. */
function sections(md: string): { heading: string; sections: Record<string, { rows: string[][]; lines: string[] }> } {
  const lines = md.split('\n');
  const out: Record<string, { rows: string[][]; lines: string[] }> = {};
  let current: { rows: string[][]; lines: string[] } | undefined;
  for (const line of lines) {
    const m = /^### (.+)$/.exec(line);
    if (m) {
      current = { rows: [], lines: [] };
      out[m[1]!.trim()] = current;
      continue;
    }
    if (!current || line.trim() === '') continue;
    current.lines.push(line);
    if (line.startsWith('|') && !/^\|[\s|:-]+\|$/.test(line)) current.rows.push(line.slice(1, -1).split('|').map((x) => x.trim()));
  }
  return { heading: lines.find((l) => l.startsWith('## ')) ?? '', sections: out };
}

t.test('rx diff HEAD~1 HEAD --md: a param and a data change, read as a reviewer would', async (t) => {
  const before = repoState(h.dir);
  const r = rx(h.dir, ['diff', 'HEAD~1', 'HEAD', '--md']);
  t.equal(r.code, 0, r.stderr);
  const md = sections(r.stdout);
  t.match(md.heading, /^## rx diff .*HEAD~1.*HEAD/, 'the heading names both sides');
  t.same(Object.keys(md.sections).sort(), ['Data', 'Metrics', 'Parameters', 'Stages']);

  const params = md.sections.Parameters!.rows;
  t.same(params[0], ['file', 'param', 'HEAD~1', 'HEAD'], 'the table header names the sides');
  t.same(params.slice(1), [['params.yaml', 'train.epochs', '2', '3']], 'one row: the param with its old and new value');

  const metrics = md.sections.Metrics!.rows;
  const [was, now] = [c.model!.metrics!, c.epochs!.metrics!];
  const acc = metrics.find((row) => row[1] === 'acc');
  t.same(acc?.slice(0, 4), ['m.json', 'acc', String(was.acc), String(now.acc)]);
  t.match(acc?.[4], /^-0\.1\d*$/, 'with a signed delta');

  const data = md.sections.Data!.rows;
  t.same(data[0], ['path', 'change', 'detail']);
  t.equal(data.length, 2, 'one row for the tracked directory');
  t.equal(data[1]![0], 'data');
  t.equal(data[1]![1], 'modified');
  t.match(data[1]![2], /\+1 -0 ~0 files/, 'file counts: one added');
  t.match(data[1]![2], /15 B -> 17 B/, 'and the bytes');
  t.match(r.stdout, /<details><summary>data: 1 file change\(s\)<\/summary>[\s\S]*^\+ d\.txt$/m, 'the file list folded below');

  const stages = Object.fromEntries(
    md.sections.Stages!.lines.map((l) => {
      const m = /^- \*\*(\S+)\*\* \((\w+)\): (.*)$/.exec(l);
      return [m?.[1] ?? l, { change: m?.[2], reasons: m?.[3]?.split('; ') }];
    }),
  );
  t.same(Object.keys(stages).sort(), ['evaluate', 'prepare', 'train']);
  t.ok(stages.train!.reasons!.includes('param params.yaml:train.epochs 2 -> 3'), 'train: the param is the reason');
  t.ok(stages.prepare!.reasons!.includes('dependency data changed'), 'prepare: the data is the reason');
  t.ok(stages.evaluate!.reasons!.includes('dependency model.txt changed'));
  t.same(repoState(h.dir), before, 'rx diff reads git objects only');
});

t.test('--json validates against the schema for every kind of commit', async (t) => {
  const last = diffJson('HEAD~1', 'HEAD');
  t.equal(last.changed, true);
  t.same(last.params.map((p) => [p.key, p.old, p.new, p.delta]), [['train.epochs', 2, 3, 1]]);
  t.same(last.data.map((d) => [d.path, d.change, d.before?.nfiles, d.after?.nfiles, d.files]), [['data', 'modified', 3, 4, { added: ['d.txt'], removed: [], modified: [] }]]);

  const data = diffJson('v-light', 'data-v2');
  t.same(data.params, [], 'a data-only commit changes no param');
  t.same(data.data.map((d) => [d.before?.nfiles, d.after?.nfiles, d.files]), [[2, 3, { added: ['c.txt'], removed: [], modified: ['a.txt'] }]]);
  t.same(data.stages.find((s) => s.name === 'prepare')?.reasons, ['dependency data changed', 'output work/prepared.txt changed']);

  const lr = diffJson(c.pipeline!.sha, 'v-light');
  t.same(lr.params.map((p) => [p.file, p.key, p.old, p.new, p.change]), [['params.yaml', 'train.lr', 0.5, 0.25, 'modified']]);
  t.same(lr.data, []);

  t.same(diffJson(`${c.stats!.sha}~1`, c.stats!.sha).stages, [{ name: 'stats', change: 'added', reasons: [] }], 'a stage added');
  t.same(diffJson(c.stats!.sha, c.unstats!.sha).stages, [{ name: 'stats', change: 'removed', reasons: [] }], 'a stage removed');

  const code = diffJson(`${c.code!.sha}~1`, c.code!.sha);
  t.same(code.stages, [{ name: 'prepare', change: 'modified', reasons: ['dependency scripts/prepare.sh changed'] }], 'a code-only commit: the script changed, no output did');
  t.same([code.params, code.metrics, code.data], [[], [], []]);

  const model = diffJson('HEAD~2', 'HEAD~1');
  t.same(model.params.map((p) => [p.file, p.key, p.old, p.new, p.change]), [['config/model.yaml', 'model.width', undefined, 2, 'added']], 'a param of another file, new');

  const docs = diffJson(`${c.docs!.sha}~1`, c.docs!.sha);
  t.equal(docs.changed, false, 'a README-only commit changes nothing rx tracks');

  const range = diffJson('HEAD~1..HEAD');
  t.same([range.a, range.b], ['HEAD~1', 'HEAD'], 'A..B is A and B');
  t.same(range.params, last.params);
});

t.test('--exit-code: 1 when something differs, 0 otherwise', async (t) => {
  const changed = rx(h.dir, ['diff', 'HEAD~1', 'HEAD', '--exit-code']);
  t.equal(changed.code, 1);
  t.match(changed.stdout, /train\.epochs/, 'and still prints the diff');
  const same = rx(h.dir, ['diff', 'HEAD', 'HEAD', '--exit-code']);
  t.equal(same.code, 0);
  t.match(same.stdout, /no changes between HEAD and HEAD/);
  t.equal(rx(h.dir, ['diff', `${c.docs!.sha}~1`, c.docs!.sha, '--exit-code']).code, 0, 'a docs-only commit');
  t.equal(rx(h.dir, ['diff', '--exit-code']).code, 0, 'a clean working tree against HEAD');
  const md = rx(h.dir, ['diff', 'HEAD', 'HEAD', '--md']);
  t.match(md.stdout, /^## rx diff/m);
  t.match(md.stdout, /No changes/);
});

t.test('the working tree as a side: an uncommitted param edit', async (t) => {
  const original = paramsYaml(h.params);
  writeTree(h.dir, { 'params.yaml': paramsYaml({ ...h.params, lr: 0.125 }) });
  t.teardown(() => writeTree(h.dir, { 'params.yaml': original }));
  const d = diffJson();
  t.same([d.a, d.b], ['HEAD', 'workspace']);
  t.same(d.params.map((p) => [p.key, p.old, p.new]), [['train.lr', 0.25, 0.125]]);
  t.equal(rx(h.dir, ['diff', '--exit-code']).code, 1);
});

t.test('bad revisions: exit 2, no stack trace', async (t) => {
  for (const args of [['no-such-rev'], ['HEAD', 'nope'], ['HEAD~50', 'HEAD'], ['a', 'b', 'c']]) {
    const r = rxErr(h.dir, ['diff', ...args]);
    t.equal(r.code, 2, args.join(' '));
    t.notOk(hasStackTrace(r.stderr));
  }
});

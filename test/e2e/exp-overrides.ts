// Experiments carry every override: a -S on a file no stage lists as params
// (models/cnn.yaml) gets its column in exp show and its row in exp diff; metric files that
// share a key are told apart (m1.json:acc, m2.json:acc); --only/--drop choose columns and a
// narrow terminal gets what fits with a count of the rest; experiment names are revisions
// for diff, params diff, metrics diff and repro --rev.
import t from 'tap';
import { rx, writeTree, commitAll } from '../../fixtures/project.js';
import { useProject } from '../../fixtures/e2e.js';

const EVAL_SH = `f=$(sed -n 's/.*filters: *//p' models/cnn.yaml | head -1)
echo "{\\"acc\\": 0.$f}" > m1.json
echo "{\\"acc\\": 0.5, \\"loss\\": 0.$f}" > m2.json
`;

function project(t: Parameters<Parameters<typeof t.test>[0]>[0]): string {
  const dir = useProject(t);
  writeTree(dir, {
    'params.yaml': 'train:\n  lr: 0.1\n',
    'models/cnn.yaml': 'blocks:\n  - type: conv\n    filters: 16\n',
    'eval.sh': EVAL_SH,
    'rx.yaml': 'schema: 1\nstages:\n  eval:\n    cmd: sh eval.sh\n    deps: [eval.sh, models/cnn.yaml]\n    params: [train.lr]\n    metrics: [m1.json, m2.json]\n',
  });
  const r = rx(dir, ['repro']);
  if (r.code !== 0) throw new Error(r.stderr);
  commitAll(dir, 'baseline');
  const e = rx(dir, ['exp', 'run', '-n', 'narrow', '-S', 'models/cnn.yaml:blocks.0.filters=32']);
  if (e.code !== 0) throw new Error(e.stderr);
  return dir;
}

t.test('an override of a non-params file is a column, a diff row and in --json', async (t) => {
  const dir = project(t);
  const show = rx(dir, ['exp', 'show', '--json']);
  t.equal(show.code, 0, show.stderr);
  const rows = JSON.parse(show.stdout).rows as { name: string; params: Record<string, unknown>; metrics: Record<string, unknown> }[];
  t.same(
    rows.map((r) => [r.name, r.params['models/cnn.yaml:blocks.0.filters'], r.metrics['m1.json:acc']]),
    [
      ['HEAD', 16, 0.16],
      ['narrow', 32, 0.32],
    ],
  );
  const text = rx(dir, ['exp', 'show'], { COLUMNS: '200' });
  const header = text.stdout.split('\n')[0]!.split(/\s{2,}/);
  t.same(header, ['experiment', 'commit', 'models/cnn.yaml:blocks.0.filters', 'm1.json:acc', 'm2.json:acc', 'loss'], 'a shared metric key is named with its file, one header per column');
  const diff = rx(dir, ['exp', 'diff', 'narrow', '--json']);
  t.equal(diff.code, 0, diff.stderr);
  const params = JSON.parse(diff.stdout).params.rows as { file: string; key: string; old: unknown; new: unknown }[];
  t.same(params.map((p) => [p.file, p.key, p.old, p.new]), [['models/cnn.yaml', 'blocks.0.filters', 32, 16]]);
  const diffText = rx(dir, ['exp', 'diff', 'narrow']);
  t.notMatch(diffText.stdout, /params: \(no changes\)/);
  t.match(diffText.stdout, /blocks\.0\.filters/);
});

t.test('--only and --drop choose columns; a narrow terminal says what it left out', async (t) => {
  const dir = project(t);
  const only = rx(dir, ['exp', 'show', '--only', 'm1.json:acc'], { COLUMNS: '200' });
  t.same(only.stdout.split('\n')[0]!.split(/\s{2,}/), ['experiment', 'commit', 'acc']);
  const drop = rx(dir, ['exp', 'show', '--drop', 'm2.json:*,models/*'], { COLUMNS: '200' });
  t.same(drop.stdout.split('\n')[0]!.split(/\s{2,}/), ['experiment', 'commit', 'acc']);
  const narrow = rx(dir, ['exp', 'show'], { COLUMNS: '40' });
  t.equal(narrow.code, 0);
  t.ok(narrow.stdout.split('\n').every((l) => l.length <= 40 || l.startsWith('(')), narrow.stdout);
  t.match(narrow.stdout, /\(\d+ more columns? left out to fit 40 characters/);
});

t.test('experiment names are revisions for diff, params diff, metrics diff and repro --rev', async (t) => {
  const dir = project(t);
  const d = rx(dir, ['diff', 'HEAD', 'narrow', '--json']);
  t.equal(d.code, 0, d.stderr);
  const m = rx(dir, ['metrics', 'diff', 'HEAD', 'narrow', '--json']);
  t.equal(m.code, 0, m.stderr);
  t.match(m.stdout, /"new": 0\.32/);
  const p = rx(dir, ['params', 'diff', 'HEAD', 'narrow']);
  t.equal(p.code, 0, p.stderr);
  const r = rx(dir, ['repro', '--rev', 'narrow', '--json']);
  t.equal(r.code, 0, r.stderr);
  t.equal(JSON.parse(r.stdout).verdict, 'bitwise');
  const unknown = rx(dir, ['diff', 'HEAD', 'no-such-exp']);
  t.equal(unknown.code, 2);
  t.match(unknown.stderr, /no branch, tag, commit or experiment by that name/);
});

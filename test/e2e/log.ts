// rx log on the scripted history (fixtures/history.ts): exactly the commits that changed
// rx.lock, newest first, each with the metrics recorded at that commit, validated against
// the published schema; a start revision, -n, the Markdown table, a packed repository.
import t from 'tap';
import { rx } from '../../fixtures/project.js';
import { hasStackTrace } from '../../fixtures/e2e.js';
import { useHistory, copyHistory, rxOut, rxErr, repoState, gitOut, expectedMetrics, type History } from '../../fixtures/history.js';

const h: History = useHistory(t);
const c = h.byName;

interface LogJson {
  entries: { commit: string; timestamp: number; author: string; subject: string; metrics: Record<string, unknown> }[];
}

const logJson = (dir: string, args: string[] = []) => {
  const r = rxOut<LogJson>(dir, 'log', ['log', ...args]);
  if (r.code !== 0) throw new Error(`rx log exited ${r.code}: ${r.stderr}`);
  return r.json.entries;
};

const metricsOf = (m?: Record<string, number>) => (m ? Object.fromEntries(Object.entries(m).map(([k, v]) => [`m.json:${k}`, v])) : {});

t.test('rx log --json: the commits that changed rx.lock, newest first, with their metrics', async (t) => {
  const before = repoState(h.dir);
  const entries = logJson(h.dir);
  const expected = h.commits.filter((x) => x.lockChanged).reverse();
  t.same(
    expected.map((x) => x.name),
    ['epochs', 'model', 'scale', 'unstats', 'stats', 'code', 'evaluate', 'data', 'lr', 'pipeline'],
    'the history says which commits changed rx.lock (not init, not the README commit)',
  );
  t.same(
    entries.map((e) => e.commit),
    expected.map((x) => x.sha),
  );
  t.same(
    entries.map((e) => e.subject),
    expected.map((x) => x.subject),
  );
  for (const [i, e] of entries.entries()) {
    t.same(e.metrics, metricsOf(expected[i]!.metrics), `${expected[i]!.name}: the metrics of that commit`);
    t.equal(e.author, 'rx tests');
    t.equal(e.timestamp, Date.parse('2026-01-01T00:00:00Z') / 1000);
  }
  t.same(entries.find((e) => e.commit === c.lr!.sha)!.metrics, {}, 'before the evaluate stage there are no metrics');
  // Worked out independently of the pipeline: sum of the data, scale, lr, epochs, width.
  t.same(entries[0]!.metrics, metricsOf(expectedMetrics(37, { scale: 3, lr: 0.25, epochs: 3 }, 2)));
  t.same(entries.find((e) => e.commit === c.evaluate!.sha)!.metrics, metricsOf(expectedMetrics(32, { scale: 2, lr: 0.25, epochs: 2 }, 1)));
  t.same(repoState(h.dir), before, 'rx log reads git objects only');
});

t.test('a start revision, -n and the tables', async (t) => {
  t.same(
    logJson(h.dir, ['v-annotated']).map((e) => e.commit),
    [c.evaluate!.sha, c.data!.sha, c.lr!.sha, c.pipeline!.sha],
    'from a tag down',
  );
  t.same(
    logJson(h.dir, [c.docs!.sha]).map((e) => e.commit)[0],
    c.code!.sha,
    'from a commit that did not change the lock: its nearest ancestor that did',
  );
  t.same(
    logJson(h.dir, ['-n', '2']).map((e) => e.commit),
    [c.epochs!.sha, c.model!.sha],
  );
  const text = rx(h.dir, ['log']);
  t.equal(text.code, 0);
  const lines = text.stdout.trimEnd().split('\n');
  t.match(lines[0], /^commit +date +subject +acc +loss$/);
  t.equal(lines.length, 11, 'a header and ten commits');
  t.match(lines[1], new RegExp(`^${c.epochs!.sha.slice(0, 7)} +2026-01-01 +params and data`));
  const md = rx(h.dir, ['log', '-n', '1', '--md']);
  t.same(md.stdout.trimEnd().split('\n'), [
    '| commit | date | subject | acc | loss |',
    '|---|---|---|---:|---:|',
    `| ${c.epochs!.sha.slice(0, 7)} | 2026-01-01 | ${c.epochs!.subject} | ${c.epochs!.metrics!.acc} | ${c.epochs!.metrics!.loss} |`,
  ]);
});

t.test('the same from a packed repository', async (t) => {
  const p = copyHistory(t, h);
  gitOut(p.dir, ['gc', '-q', '--prune=now']);
  t.same(logJson(p.dir), logJson(h.dir));
});

t.test('bad input: exit 2, no stack trace', async (t) => {
  for (const args of [['no-such-rev'], ['-n', '0'], ['-n', 'two']]) {
    const r = rxErr(h.dir, ['log', ...args]);
    t.equal(r.code, 2, args.join(' '));
    t.notOk(hasStackTrace(r.stderr));
  }
});

// rx repro --rev verdicts on the same environment: a metric that moves inside its declared
// tolerance is within-tolerance (exit 0), outside it or with no tolerance declared is
// diverged (exit 1) naming the metric and its tolerance, a non-metric output that differs is
// diverged; the result always says whether the environment differs and which facts.
import t from 'tap';
import * as path from 'node:path';
import { rx, writeTree, commitAll } from '../../fixtures/project.js';
import { useProject, useTempDir } from '../../fixtures/e2e.js';
import { reproRev } from '../../fixtures/history.js';

type Tap = Parameters<Parameters<typeof t.test>[0]>[0];

/** A stage whose acc grows by `step` on every run (a counter outside the project), optionally also writing a model. */
function project(t: Tap, tolerance: string, opts: { model?: boolean; step?: string } = {}): { dir: string; env: Record<string, string> } {
  const dir = useProject(t);
  const counter = path.join(useTempDir(t), 'runs');
  const step = opts.step ?? '0.0002';
  const model = opts.model ? ' && echo "$n" > model.bin' : '';
  writeTree(dir, {
    'run.sh': `n=$(cat "$RUNS" 2>/dev/null || echo 0); n=$((n+1)); echo $n > "$RUNS"\nawk -v n=$n 'BEGIN{printf "{\\"acc\\": %.6f, \\"loss\\": 0.25}\\n", 0.9 + (n-1)*${step}}' > metrics.json${model}\n`,
    'rx.yaml': [
      'schema: 1',
      'stages:',
      '  evaluate:',
      '    cmd: sh run.sh',
      '    deps: [run.sh]',
      ...(opts.model ? ['    outs: [model.bin]'] : []),
      '    metrics:',
      `      - {path: metrics.json, cache: false${tolerance}}`,
      '',
    ].join('\n'),
  });
  const env = { RUNS: counter };
  const r = rx(dir, ['repro'], env);
  if (r.code !== 0) throw new Error(r.stderr);
  commitAll(dir, 'pipeline run once');
  return { dir, env };
}

t.test('same environment, acc 0.9 -> 0.9002 with tolerance 0.01: within-tolerance, exit 0', async (t) => {
  const { dir, env } = project(t, ', tolerance: {acc: 0.01}');
  const r = reproRev(dir, 'HEAD', [], env);
  t.equal(r.code, 0, r.stderr);
  t.equal(r.json.verdict, 'within-tolerance');
  t.equal(r.json.envChanged, false);
  t.same(r.json.envDifferences, []);
  t.same(r.json.stages[0]!.metrics, [{ file: 'metrics.json', key: 'acc', expected: 0.9, actual: 0.9002, tolerance: 0.01, within: true }]);
  t.same(r.json.reasons, ['evaluate: metric metrics.json:acc 0.9 -> 0.9002, within tolerance 0.01']);
  const text = rx(dir, ['repro', '--rev', 'HEAD'], env);
  t.equal(text.code, 0, text.stderr);
  t.match(text.stdout, /: within-tolerance$/m);
  t.match(text.stdout, /environment: the same as the commit recorded/);
  t.match(text.stdout, /metric metrics\.json:acc: 0\.9 -> 0\.9004 \(tolerance 0\.01, within\)/);
});

t.test('same environment, outside the tolerance: diverged, exit 1, the metric and its tolerance named', async (t) => {
  const { dir, env } = project(t, ', tolerance: {acc: 0.01}', { step: '0.05' });
  const r = reproRev(dir, 'HEAD', [], env);
  t.equal(r.code, 1);
  t.equal(r.json.verdict, 'diverged');
  t.same(r.json.reasons, ['evaluate: metric metrics.json:acc 0.9 -> 0.95, outside tolerance 0.01']);
  const text = rx(dir, ['repro', '--rev', 'HEAD'], env);
  t.match(text.stdout, /metric metrics\.json:acc: 0\.9 -> 1 \(tolerance 0\.01, OUTSIDE\)/);
});

t.test('no tolerance declared: exact, so any change diverges and says so', async (t) => {
  const { dir, env } = project(t, '');
  const r = reproRev(dir, 'HEAD', [], env);
  t.equal(r.code, 1);
  t.equal(r.json.verdict, 'diverged');
  t.same(r.json.stages[0]!.metrics, [{ file: 'metrics.json', key: 'acc', expected: 0.9, actual: 0.9002, within: false }]);
  t.match(r.json.reasons[0], /no tolerance declared \(exact\)/);
});

t.test('a non-metric output differs on the same environment: diverged even with metrics inside tolerance', async (t) => {
  const { dir, env } = project(t, ', tolerance: {acc: 0.01}', { model: true });
  const r = reproRev(dir, 'HEAD', [], env);
  t.equal(r.code, 1);
  t.equal(r.json.verdict, 'diverged');
  t.same(
    r.json.stages[0]!.outputs.map((o) => [o.path, o.metric]),
    [
      ['metrics.json', true],
      ['model.bin', false],
    ],
  );
  t.ok(r.json.reasons.includes('evaluate: output model.bin differs on the same environment'), r.json.reasons.join('\n'));
});

t.test('another environment recorded in the commit: the differing facts are named', async (t) => {
  const { dir, env } = project(t, ', tolerance: {acc: 0.01}');
  const lock = path.join(dir, 'rx.lock');
  const { readFileSync, writeFileSync } = await import('node:fs');
  writeFileSync(lock, readFileSync(lock, 'utf8').replace(/^( {2}node: ).*$/m, '$1v18.0.0'));
  commitAll(dir, 'lock as written by another Node');
  const r = reproRev(dir, 'HEAD', [], env);
  t.equal(r.code, 0, r.stderr);
  t.equal(r.json.verdict, 'within-tolerance');
  t.equal(r.json.envChanged, true);
  t.same(r.json.envDifferences, [{ fact: 'node', expected: 'v18.0.0', actual: process.version }]);
  const text = rx(dir, ['repro', '--rev', 'HEAD'], env);
  t.match(text.stdout, new RegExp(`environment differs from the one the commit recorded:\\n {4}node: v18\\.0\\.0 -> ${process.version.replace(/\./g, '\\.')}`));
});

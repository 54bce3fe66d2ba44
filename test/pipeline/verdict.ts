// compareRuns on hand-built locks: bitwise when outputs and lock text are identical;
// within-tolerance, on any environment, when only metric files differ and every metric is
// within what rx.yaml declares (exact where nothing is declared), and across environments
// also when other outputs differ but the metrics are within; diverged otherwise.
import t from 'tap';
import { compareRuns, type MetricValues } from '../../src/pipeline/verdict.js';
import { serialiseLock, type Lock, type LockEnv } from '../../src/pipeline/lock.js';
import type { Stage } from '../../src/pipeline/definition.js';

const h = (c: string) => `sha256:${c.repeat(64)}`;
const ENV: LockEnv = { rx: '0.1.0', node: 'v20.20.2', platform: 'linux', arch: 'x64' };
const OTHER_ENV: LockEnv = { ...ENV, node: 'v22.1.0', tfjs_backend: 'wasm' };

function stage(name: string, over: Partial<Stage> = {}): Stage {
  return { name, cmd: `run ${name}`, wdir: '', deps: [], params: [], outs: [], frozen: false, alwaysChanged: false, env: {}, seeds: {}, defPath: ['stages', name], ...over };
}

const train = stage('train', { outs: [{ path: 'model.bin', kind: 'out', cache: true, persist: false }] });
const evaluate = stage('evaluate', {
  deps: ['model.bin'],
  outs: [{ path: 'm.json', kind: 'metric', cache: false, persist: false, tolerance: { acc: 0.01 } }],
});
const STAGES = [evaluate, train];

function lock(env: LockEnv, model: string, metrics: string): Lock {
  return {
    schema: 1,
    env,
    stages: {
      train: { cmd: 'run train', outs: [{ path: 'model.bin', hash: h(model), size: 10, nfiles: 1 }] },
      evaluate: { cmd: 'run evaluate', deps: [{ path: 'model.bin', hash: h(model), size: 10, nfiles: 1 }], outs: [{ path: 'm.json', hash: h(metrics), size: 20, nfiles: 1 }] },
    },
  };
}

const metrics = (acc: number, loss: number): MetricValues =>
  new Map([
    [
      'm.json',
      new Map<string, unknown>([
        ['acc', acc],
        ['loss', loss],
      ]),
    ],
  ]);

function compare(before: Lock, after: Lock, mb: MetricValues, ma: MetricValues) {
  return compareRuns({ stages: STAGES, before, after, beforeText: serialiseLock(before), afterText: serialiseLock(after), metricsBefore: mb, metricsAfter: ma });
}

t.test('identical outputs and a byte-identical lock: bitwise', async (t) => {
  const l = lock(ENV, 'a', 'b');
  const r = compare(l, lock(ENV, 'a', 'b'), metrics(0.9, 0.1), metrics(0.9, 0.1));
  t.equal(r.verdict, 'bitwise');
  t.equal(r.lockIdentical, true);
  t.equal(r.envChanged, false);
  t.same(
    r.stages.map((s) => [s.name, s.verdict, s.outputs, s.metrics]),
    [
      ['evaluate', 'bitwise', [], []],
      ['train', 'bitwise', [], []],
    ],
  );
});

t.test('a lock that kept the run\'s RX_SEED in env (before run_env) is the same lock as one with run_env', async (t) => {
  const seededLock = (where: 'env' | 'run_env', seed: string): Lock => {
    const l = lock(ENV, 'a', 'b');
    for (const s of Object.values(l.stages)) s[where] = { RX_SEED: seed };
    return l;
  };
  const r = compare(seededLock('env', '1'), seededLock('run_env', '1'), metrics(0.9, 0.1), metrics(0.9, 0.1));
  t.equal(r.verdict, 'bitwise', r.reasons.join('; '));
  t.equal(r.lockIdentical, true);
  t.match(r.reasons.join('\n'), /kept the run's RX_SEED in env/);
  const other = compare(seededLock('env', '1'), seededLock('run_env', '2'), metrics(0.9, 0.1), metrics(0.9, 0.1));
  t.equal(other.verdict, 'diverged', 'another seed is another run');
  t.same(other.lockDifferences, ['stages.evaluate.run_env', 'stages.train.run_env']);
  const same = compare(seededLock('run_env', '1'), seededLock('run_env', '1'), metrics(0.9, 0.1), metrics(0.9, 0.1));
  t.same([same.verdict, same.reasons], ['bitwise', []], 'the current form: bitwise with nothing to say');
});

t.test('another environment, metrics within their declared tolerance: within-tolerance', async (t) => {
  const r = compare(lock(ENV, 'a', 'b'), lock(OTHER_ENV, 'c', 'd'), metrics(0.9, 0.1), metrics(0.905, 0.1));
  t.equal(r.verdict, 'within-tolerance');
  t.equal(r.envChanged, true);
  t.equal(r.lockIdentical, false);
  const ev = r.stages.find((s) => s.name === 'evaluate')!;
  t.equal(ev.verdict, 'within-tolerance');
  t.same(ev.outputs, [{ path: 'm.json', expected: h('b'), actual: h('d'), metric: true }], 'the differing output is named with both hashes');
  t.same(r.envDifferences, [{ fact: 'node', expected: 'v20.20.2', actual: 'v22.1.0' }, { fact: 'tfjs_backend', actual: 'wasm' }], 'each differing environment fact is named');
  t.same(ev.metrics, [{ file: 'm.json', key: 'acc', expected: 0.9, actual: 0.905, tolerance: 0.01, within: true }], 'only metrics that moved are listed');
  // train has no metrics of its own: a changed model is accepted because the metrics it feeds are.
  t.equal(r.stages.find((s) => s.name === 'train')!.verdict, 'within-tolerance');
});

t.test('another environment, a metric out of tolerance: diverged', async (t) => {
  const r = compare(lock(ENV, 'a', 'b'), lock(OTHER_ENV, 'a', 'd'), metrics(0.9, 0.1), metrics(0.93, 0.1));
  t.equal(r.verdict, 'diverged');
  const ev = r.stages.find((s) => s.name === 'evaluate')!;
  t.equal(ev.verdict, 'diverged');
  t.same(ev.metrics, [{ file: 'm.json', key: 'acc', expected: 0.9, actual: 0.93, tolerance: 0.01, within: false }]);
  t.equal(r.stages.find((s) => s.name === 'train')!.verdict, 'bitwise', 'the stage whose outputs matched is bitwise');
});

t.test('another environment, a metric with no declared tolerance moved: diverged (exact by default)', async (t) => {
  const r = compare(lock(ENV, 'a', 'b'), lock(OTHER_ENV, 'a', 'd'), metrics(0.9, 0.1), metrics(0.9, 0.1001));
  t.equal(r.verdict, 'diverged');
  t.same(r.stages.find((s) => s.name === 'evaluate')!.metrics, [{ file: 'm.json', key: 'loss', expected: 0.1, actual: 0.1001, within: false }]);
});

t.test('the same environment, only a metric moved within its tolerance: within-tolerance', async (t) => {
  const r = compare(lock(ENV, 'a', 'b'), lock(ENV, 'a', 'd'), metrics(0.9, 0.1), metrics(0.9002, 0.1));
  t.equal(r.verdict, 'within-tolerance');
  t.equal(r.envChanged, false);
  t.same(r.envDifferences, []);
  const ev = r.stages.find((s) => s.name === 'evaluate')!;
  t.equal(ev.verdict, 'within-tolerance');
  t.same(ev.reasons, ['metric m.json:acc 0.9 -> 0.9002, within tolerance 0.01']);
  t.same(r.reasons, ['evaluate: metric m.json:acc 0.9 -> 0.9002, within tolerance 0.01']);
});

t.test('the same environment, a non-metric output differs: diverged, even with metrics within tolerance', async (t) => {
  const r = compare(lock(ENV, 'a', 'b'), lock(ENV, 'c', 'd'), metrics(0.9, 0.1), metrics(0.905, 0.1));
  t.equal(r.verdict, 'diverged');
  const train = r.stages.find((s) => s.name === 'train')!;
  t.equal(train.verdict, 'diverged');
  t.same(train.reasons, ['output model.bin differs on the same environment']);
  t.equal(r.stages.find((s) => s.name === 'evaluate')!.verdict, 'within-tolerance');
  t.same(r.lockDifferences, [], "evaluate's dependency on the re-written model is judged with train, not as a lock difference");
});

t.test('another environment, outputs differ but no stage declares a metric: diverged', async (t) => {
  const only = [train];
  const before = lock(ENV, 'a', 'b');
  const after = lock(OTHER_ENV, 'c', 'b');
  const r = compareRuns({ stages: only, before, after, beforeText: serialiseLock(before), afterText: serialiseLock(after), metricsBefore: new Map(), metricsAfter: new Map() });
  t.equal(r.verdict, 'diverged');
  t.match(r.stages[0]!.reasons.at(-1), /no metric/);
});

t.test('a changed input recorded in the lock diverges and is named', async (t) => {
  const after = lock(ENV, 'a', 'b');
  after.stages.train!.deps = [{ path: 'data.csv', hash: h('f'), size: 1, nfiles: 1 }];
  const r = compare(lock(ENV, 'a', 'b'), after, metrics(0.9, 0.1), metrics(0.9, 0.1));
  t.equal(r.verdict, 'diverged');
  t.same(r.lockDifferences, ['stages.train.deps']);
  t.same(r.reasons, ['rx.lock stages.train.deps differs']);
});

t.test('equal outputs but a re-written lock: diverged on the same environment, within-tolerance across', async (t) => {
  const before = lock(ENV, 'a', 'b');
  const sameEnv = lock(ENV, 'a', 'b');
  sameEnv.stages.train!.params = { 'params.yaml': { lr: 0.1 } };
  const r1 = compare(before, sameEnv, metrics(0.9, 0.1), metrics(0.9, 0.1));
  t.equal(r1.lockIdentical, false);
  t.equal(r1.verdict, 'diverged', 'a lock that does not rewrite byte for byte is not a bitwise reproduction');
  t.same(r1.stages.map((s) => s.name).sort(), ['evaluate', 'train']);
  t.ok(r1.stages.every((s) => s.verdict === 'bitwise'), 'while every output matched');
  const r2 = compare(before, lock(OTHER_ENV, 'a', 'b'), metrics(0.9, 0.1), metrics(0.9, 0.1));
  t.equal(r2.verdict, 'within-tolerance', 'only the fingerprint differs');
});

t.test('an output added or missing on one side is listed without the absent hash', async (t) => {
  const after = lock(ENV, 'a', 'b');
  after.stages.train!.outs!.push({ path: 'extra.bin', hash: h('e'), size: 1, nfiles: 1 });
  const r = compare(lock(ENV, 'a', 'b'), after, metrics(0.9, 0.1), metrics(0.9, 0.1));
  t.equal(r.verdict, 'diverged');
  t.same(r.stages.find((s) => s.name === 'train')!.outputs, [{ path: 'extra.bin', actual: h('e'), metric: false }]);
  t.same(r.stages.find((s) => s.name === 'train')!.reasons, ['output extra.bin is new']);
});

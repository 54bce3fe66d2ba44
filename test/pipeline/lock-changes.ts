import t from 'tap';
import { lockEntryFor, serialiseLock, parseLock, runCacheKey, entryEnvs, type Lock, type LockFileEntry } from '../../src/pipeline/lock.js';
import { stageChanges, onlyOutputsChanged, describeReason } from '../../src/pipeline/changes.js';
import { mergeLocks } from '../../src/pipeline/merge.js';
import { readsRunEnv } from '../../src/pipeline/run.js';
import { diffValues, flatten, roundDelta } from '../../src/pipeline/values.js';
import { schemaProblems } from '../../src/schema/validate.js';
import { lockSchema } from '../../src/schema/pipeline.js';
import type { Stage } from '../../src/pipeline/definition.js';

const h = (c: string) => `sha256:${c.repeat(64)}`;
const file = (path: string, c: string): LockFileEntry => ({ path, hash: h(c), size: 1, nfiles: 1 });

function stage(over: Partial<Stage> = {}): Stage {
  return {
    name: 'train',
    cmd: 'python train.py',
    wdir: '',
    deps: ['data.csv', 'train.py'],
    params: [{ file: 'params.yaml', keys: ['lr'] }],
    outs: [{ path: 'model', kind: 'out', cache: true, persist: false }],
    frozen: false,
    alwaysChanged: false,
    env: {},
    seeds: { init: 3 },
    defPath: ['stages', 'train'],
    ...over,
  };
}

const observed = { deps: [file('train.py', 'b'), file('data.csv', 'a')], params: { 'params.yaml': { lr: 0.1 } }, outs: [{ ...file('model', 'c'), type: 'dir' as const, nfiles: 2 }] };

t.test('lock entries are canonical and round-trip through YAML, validating against the schema', async (t) => {
  const entry = lockEntryFor(stage(), observed);
  t.same(entry.deps!.map((d) => d.path), ['data.csv', 'train.py'], 'deps sorted by path');
  const lock: Lock = { schema: 1, env: { rx: '0.1.0', node: 'v20.20.2', platform: 'linux', arch: 'x64' }, stages: { train: entry, prep: { cmd: ['a', 'b'] } } };
  const text = serialiseLock(lock);
  t.same(schemaProblems('rx.lock', parseLock(text), lockSchema), []);
  t.equal(serialiseLock(parseLock(text)), text, 'serialise(parse(x)) is x');
  t.ok(text.indexOf('prep:') < text.indexOf('train:'), 'stages sorted');
  t.notMatch(text, /time|duration|\/work\//, 'no timestamps or absolute paths');
  const reordered = lockEntryFor(stage({ deps: ['train.py', 'data.csv'] }), { ...observed, deps: [...observed.deps].reverse() });
  t.equal(serialiseLock({ ...lock, stages: { ...lock.stages, train: reordered } }), text, 'declaration order does not matter');
});

t.test('a newer lock schema is refused with a clear code', async (t) => {
  t.throws(() => parseLock('schema: 2\nstages: {}\n'), { code: 'RX_LOCK_NEWER', exitCode: 4 });
  t.throws(() => parseLock('schema: 1\nstages:\n  a:\n    cmd: x\n    deps: [{path: a}]\n'), { code: 'RX_INVALID_FILE' });
});

t.test('the run-cache key ignores outputs but not inputs', async (t) => {
  const a = lockEntryFor(stage(), observed);
  t.equal(runCacheKey(a), runCacheKey({ ...a, outs: [file('model', 'f')] }));
  t.not(runCacheKey(a), runCacheKey({ ...a, params: { 'params.yaml': { lr: 0.2 } } }));
  t.not(runCacheKey(a), runCacheKey({ ...a, seeds: { init: 4 } }));
});

t.test('stageChanges names every reason', async (t) => {
  const prev = lockEntryFor(stage(), observed);
  const now = (over: Partial<typeof observed> = {}) => {
    const o = { ...observed, ...over };
    return { deps: new Map(o.deps.map((d) => [d.path, d])), params: o.params, outs: new Map(o.outs.map((d) => [d.path, d])) };
  };
  t.same(stageChanges(stage(), prev, now()), []);
  t.same(stageChanges(stage(), undefined, now()), [{ kind: 'never-run' }]);
  t.same(stageChanges(stage({ cmd: 'python train2.py' }), prev, now()), [{ kind: 'command' }]);
  t.same(stageChanges(stage({ seeds: { init: 4 } }), prev, now()), [{ kind: 'settings', what: 'seeds' }]);
  t.same(stageChanges(stage({ wdir: 'sub' }), prev, now()), [{ kind: 'settings', what: 'wdir' }]);
  t.same(stageChanges(stage({ env: { MODE: 'fast' } }), prev, now()), [{ kind: 'settings', what: 'env' }]);
  const withEnv = lockEntryFor(stage({ env: { MODE: 'fast', A: '1' }, wdir: 'sub' }), observed);
  t.same([withEnv.wdir, withEnv.env], ['sub', { A: '1', MODE: 'fast' }], 'the lock entry records wdir and env');
  t.same(stageChanges(stage({ env: { MODE: 'fast', A: '1' }, wdir: 'sub' }), withEnv, now()), [], 'the same wdir and env: no change');
  t.same(stageChanges(stage({ env: { MODE: 'slow', A: '1' }, wdir: 'sub' }), withEnv, now()), [{ kind: 'settings', what: 'env' }], 'an env value');
  t.same(stageChanges(stage({ env: {}, wdir: 'sub' }), withEnv, now()), [{ kind: 'settings', what: 'env' }], 'the env removed');
  t.same(stageChanges(stage({ env: { MODE: 'fast', A: '1' } }), withEnv, now()), [{ kind: 'settings', what: 'wdir' }], 'back to the project root');
  t.same(stageChanges(stage(), prev, now({ deps: [file('train.py', 'b'), file('data.csv', 'z')] })), [{ kind: 'dep', path: 'data.csv', change: 'modified' }]);
  t.same(stageChanges(stage(), prev, now({ params: { 'params.yaml': { lr: 0.2 } } })), [{ kind: 'param', file: 'params.yaml', key: 'lr', change: 'modified' }]);
  const missingOut = { deps: now().deps, params: observed.params, outs: new Map([['model', undefined]]) };
  const r = stageChanges(stage(), prev, missingOut);
  t.same(r, [{ kind: 'out', path: 'model', change: 'missing' }]);
  t.ok(onlyOutputsChanged(r));
  t.same(stageChanges(stage({ alwaysChanged: true }), prev, now()), [{ kind: 'always-changed' }]);
  t.same(stageChanges(stage(), prev, now(), { force: true }), [{ kind: 'forced' }]);
  t.equal(describeReason({ kind: 'param', file: 'params.yaml', key: 'lr', change: 'modified' }), 'param params.yaml:lr modified');
  // Equal values written differently (key order) are not a change.
  const p2 = lockEntryFor(stage({ params: [{ file: 'p.yaml', keys: null }] }), { ...observed, params: { 'p.yaml': { a: 1, b: { c: 2, d: 3 } } } });
  t.same(stageChanges(stage({ params: [{ file: 'p.yaml', keys: null }] }), p2, { ...now(), params: { 'p.yaml': { b: { d: 3, c: 2 }, a: 1 } } }), []);
});

t.test('a run\'s env (RX_SEED) is recorded as run_env apart from env, keyed into the run cache, and read back from locks that kept it in env', async (t) => {
  const now = { deps: new Map(observed.deps.map((d) => [d.path, d])), params: observed.params, outs: new Map(observed.outs.map((d) => [d.path, d])) };
  const seeded = lockEntryFor(stage({ env: { MODE: 'fast' }, runEnv: { RX_SEED: '2' } }), observed);
  t.same([seeded.env, seeded.run_env], [{ MODE: 'fast' }, { RX_SEED: '2' }]);
  const text = serialiseLock({ schema: 1, stages: { train: seeded } });
  t.match(text, /env:\n {6}MODE: fast\n {4}run_env:\n {6}RX_SEED: "2"/, 'run_env follows env');
  t.same(schemaProblems('rx.lock', parseLock(text), lockSchema), []);
  t.equal(serialiseLock(parseLock(text)), text, 'round-trips');
  for (const [bad, what] of [
    ['    run_env:\n      LD_PRELOAD: /tmp/x.so\n', 'a variable rx never sets'],
    ['    run_env:\n      RX_SEED: "1; rm -rf /"\n', 'a seed that is no whole number'],
    ['    run_env:\n      RX_SEED: "-1"\n', 'a negative seed'],
  ]) {
    t.throws(() => parseLock(text.replace(/    run_env:\n.*\n/, bad)), { code: 'RX_INVALID_FILE' }, `a lock whose run_env has ${what} is refused, located`);
  }
  t.same(stageChanges(stage({ env: { MODE: 'fast' }, runEnv: { RX_SEED: '2' } }), seeded, now), [], 'the same seed: up to date');
  t.same(stageChanges(stage({ env: { MODE: 'fast' }, runEnv: { RX_SEED: '3' } }), seeded, now), [{ kind: 'settings', what: 'run env' }], 'another seed');
  t.same(stageChanges(stage({ env: { MODE: 'fast' } }), seeded, now), [{ kind: 'settings', what: 'run env' }], 'no seed now');
  t.equal(describeReason({ kind: 'settings', what: 'run env' }), 'run env changed');
  t.not(runCacheKey(seeded), runCacheKey(lockEntryFor(stage({ env: { MODE: 'fast' }, runEnv: { RX_SEED: '3' } }), observed)), 'each seed has its own run-cache key');
  t.not(runCacheKey(seeded), runCacheKey(lockEntryFor(stage({ env: { MODE: 'fast' } }), observed)), 'and differs from no seed');
  // The form rx wrote before run_env: RX_SEED inside env.
  const legacy = { ...seeded, env: { MODE: 'fast', RX_SEED: '2' }, run_env: undefined };
  t.same(entryEnvs(legacy, { MODE: 'fast' }), { env: { MODE: 'fast' }, runEnv: { RX_SEED: '2' } }, 'an undeclared RX_SEED in env is the run\'s');
  t.same(entryEnvs(legacy, { MODE: 'fast', RX_SEED: '2' }), { env: { MODE: 'fast', RX_SEED: '2' }, runEnv: {} }, 'a declared one is the stage\'s');
  t.same(entryEnvs({ ...seeded, env: { RX_SEED: '9' } }, {}), { env: { RX_SEED: '9' }, runEnv: { RX_SEED: '2' } }, 'with run_env present, env is read as written');
  t.same(stageChanges(stage({ env: { MODE: 'fast' }, runEnv: { RX_SEED: '2' } }), legacy, now), [], 'a legacy entry with the same seed: up to date');
  t.same(stageChanges(stage({ env: { MODE: 'fast' } }), legacy, now), [{ kind: 'settings', what: 'run env' }], 'a legacy entry, run without the seed');
});

t.test('only stages of built-in rx commands that ignore the run env go without it', async (t) => {
  for (const cmd of ['rx data build data/digits.yaml --out work/data', 'rx evaluate --model work/model --data work/data/manifest.json --out metrics.json', ['rx data build a.yaml --out w', 'rx evaluate --model m --data d --out x.json'], '  rx data build d.yaml  ']) {
    t.equal(readsRunEnv({ cmd }), false, `${JSON.stringify(cmd)}: no run env`);
  }
  for (const cmd of ['rx train --model m.yaml --out w', 'python train.py', 'rx data build d.yaml; echo $RX_SEED', 'rx data build d.yaml && rx train', 'rx evaluate --out "$(echo x)"', 'rx data build $RX_SEED', ['rx data build a.yaml', 'node x.js'], 'rx data show d.yaml']) {
    t.equal(readsRunEnv({ cmd }), true, `${JSON.stringify(cmd)}: may read it`);
  }
});

t.test('mergeLocks merges stage by stage and isolates conflicts', async (t) => {
  const base: Lock = { schema: 1, stages: { a: { cmd: 'a' }, b: { cmd: 'b' }, c: { cmd: 'c' } } };
  const ours: Lock = { schema: 1, stages: { a: { cmd: 'a2' }, b: { cmd: 'b' }, c: { cmd: 'c-ours' } } };
  const theirs: Lock = { schema: 1, stages: { a: { cmd: 'a' }, b: { cmd: 'b2' }, c: { cmd: 'c-theirs' }, d: { cmd: 'd' } } };
  const m = mergeLocks(base, ours, theirs);
  t.same(m.lock.stages, { a: { cmd: 'a2' }, b: { cmd: 'b2' }, c: { cmd: 'c-ours' }, d: { cmd: 'd' } });
  t.same(m.conflicts, ['c']);
  const removed = mergeLocks(base, { schema: 1, stages: { b: { cmd: 'b' }, c: { cmd: 'c' } } }, base);
  t.same(Object.keys(removed.lock.stages), ['b', 'c'], 'a deletion on one side wins over no change');
  t.same(schemaProblems('rx.lock', parseLock(serialiseLock(m.lock)), lockSchema), [], 'the merged lock stays valid');
});

t.test('value diffs flatten, sort and compute signed deltas', async (t) => {
  t.same([...flatten({ a: { b: 1, c: [1, 2] }, d: 'x' })], [['a.b', 1], ['a.c', [1, 2]], ['d', 'x']]);
  const rows = diffValues(new Map([['m.json', new Map<string, unknown>([['acc', 0.9], ['loss', 0.3], ['old', 1]])]]), new Map([['m.json', new Map<string, unknown>([['acc', 0.92], ['loss', 0.3], ['new', 2]])]]));
  t.same(rows, [
    { file: 'm.json', key: 'acc', old: 0.9, new: 0.92, change: 'modified', delta: 0.02 },
    { file: 'm.json', key: 'new', new: 2, change: 'added' },
    { file: 'm.json', key: 'old', old: 1, change: 'removed' },
  ]);
  t.equal(roundDelta(0.3 - 0.1), 0.2);
});

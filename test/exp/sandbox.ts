// The sandbox and the local executor, in-process: a job with edits and RX_SEED runs in its
// own tree and is recorded under a nested experiment name while the user's working tree,
// index and HEAD stay as they were; a failed job returns its exit code and a log holding the
// command's stderr; two jobs run at once with different seeds give different results and
// both refs; the run cache is reused for the same edits and seed and never across seeds; a
// queued job that is cancelled never runs, a running one stops and is not recorded.
import t from 'tap';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { git, writeTree, commitAll, rxEnv, gitFsckStrict } from '../../fixtures/project.js';
import { useProject } from '../../fixtures/e2e.js';
import { quietContext, type Context } from '../../src/core/context.js';
import { runSandbox, type SandboxJob } from '../../src/exp/sandbox.js';
import { LocalExecutor } from '../../src/exp/executors/local.js';
import { listExperiments } from '../../src/exp/refs.js';
import { projectRepo } from '../../src/git/project-repo.js';
import { parseLock } from '../../src/pipeline/lock.js';

const TRAIN_SH = `lr=$(sed -n 's/.*lr: *//p' params.yaml)
echo "{\\"lr\\": $lr, \\"seed\\": \\"\${RX_SEED:-none}\\"}" > m.json
echo "trained lr=$lr seed=\${RX_SEED:-none}"
`;
const FAIL_SH = 'echo "about to fail" && echo "boom: no such dataset" >&2 && exit 7\n';

const gitOut = (dir: string, args: string[]) => {
  const r = git(dir, args);
  if (r.code !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
  return r.stdout.trim();
};

function project(t: Parameters<Parameters<typeof t.test>[0]>[0]): { dir: string; head: string; ctx: Context } {
  const dir = useProject(t);
  writeTree(dir, {
    'params.yaml': 'train:\n  lr: 0.1\n',
    'train.sh': TRAIN_SH,
    'rx.yaml': 'schema: 1\nstages:\n  train:\n    cmd: sh train.sh\n    deps: [train.sh]\n    params: [train.lr]\n    metrics: [m.json]\n',
  });
  const ctx = quietContext(dir, { env: rxEnv() as Record<string, string> });
  commitAll(dir, 'baseline');
  return { dir, head: gitOut(dir, ['rev-parse', 'HEAD']), ctx };
}

/** What must not change in the user's repository: status, HEAD, the index's bytes and mtime, m.json. */
function userState(dir: string) {
  const index = path.join(dir, '.git', 'index');
  return {
    status: gitOut(dir, ['--no-optional-locks', 'status', '--porcelain']),
    head: gitOut(dir, ['rev-parse', 'HEAD']),
    index: createHash('sha256').update(readFileSync(index)).digest('hex'),
    indexMtime: statSync(index).mtimeMs,
    params: readFileSync(path.join(dir, 'params.yaml'), 'utf8'),
    metrics: existsSync(path.join(dir, 'm.json')) ? readFileSync(path.join(dir, 'm.json'), 'utf8') : undefined,
  };
}

const sandboxDirs = (dir: string) => (existsSync(path.join(dir, '.rx', 'tmp', 'exp')) ? readdirSync(path.join(dir, '.rx', 'tmp', 'exp')) : []);
const action = (r: { stages: { name: string; action: string }[] }) => r.stages.find((s) => s.name === 'train')?.action;

t.test('a job with edits and RX_SEED runs in its own tree, is recorded, and leaves the user alone', async (t) => {
  const { dir, head, ctx } = project(t);
  const before = userState(dir);
  const r = await runSandbox(ctx, {
    base: head,
    source: 'commit',
    edits: { 'params.yaml': 'train:\n  lr: 0.7\n' },
    env: { RX_SEED: '3' },
    read: ['params.yaml', 'no-such-file'],
    record: { name: 'lr-sweep/1-s3', message: 'trial 1 seed 3\n' },
  });
  t.same(r.failed, []);
  t.equal(action(r), 'ran');
  t.same(JSON.parse(r.metrics['m.json']!), { lr: 0.7, seed: '3' }, 'the command saw the edit and RX_SEED');
  t.same(r.files, { 'params.yaml': 'train:\n  lr: 0.7\n' }, 'asked-for files returned, missing ones left out');
  t.equal(r.recorded?.ref, `refs/rx/exps/${head}/lr-sweep/1-s3`);
  t.equal(gitOut(dir, ['rev-parse', r.recorded!.ref]), r.recorded!.commit);
  t.equal(gitOut(dir, ['rev-parse', `${r.recorded!.commit}^`]), head, 'the experiment commit sits on the base');
  t.same(JSON.parse(gitOut(dir, ['show', `${r.recorded!.commit}:m.json`])), { lr: 0.7, seed: '3' });
  const lock = parseLock(gitOut(dir, ['show', `${r.recorded!.commit}:rx.lock`]));
  t.same(lock.stages.train!.run_env, { RX_SEED: '3' }, 'the lock records the extra env the result depends on, as the run\'s env');
  t.equal(lock.stages.train!.env, undefined, 'apart from the env rx.yaml declares');
  t.notMatch(gitOut(dir, ['show', `${r.recorded!.commit}:.rx/config.yaml`]), /cache:/, "the commit keeps the project's own config, not the borrowed store");
  t.same(userState(dir), before, 'status, HEAD, index (bytes and mtime) and files of the user unchanged');
  t.same(sandboxDirs(dir), [], 'the sandbox directory is gone');

  const list = await listExperiments(projectRepo({ root: dir }), head);
  t.same(list.map((e) => [e.name, e.baseline]), [['lr-sweep/1-s3', head]], 'listed under its nested name');
  const fsck = gitFsckStrict(dir);
  t.equal(fsck.code, 0, `git fsck --strict\n${fsck.stderr}`);
});

t.test("source 'worktree' runs HEAD plus the uncommitted changes, which stay uncommitted", async (t) => {
  const { dir, head, ctx } = project(t);
  writeTree(dir, { 'params.yaml': 'train:\n  lr: 0.25\n' });
  const before = userState(dir);
  const r = await runSandbox(ctx, { base: head, source: 'worktree', overrides: ['train.lr=0.5'] });
  t.same(JSON.parse(r.metrics['m.json']!), { lr: 0.5, seed: 'none' }, 'the override applies over the working tree');
  const r2 = await runSandbox(ctx, { base: head, source: 'worktree' });
  t.same(JSON.parse(r2.metrics['m.json']!), { lr: 0.25, seed: 'none' }, 'the uncommitted value');
  t.equal(r2.recorded, undefined, 'nothing recorded without record');
  t.same(userState(dir), before);
  t.same(gitOut(dir, ['for-each-ref', 'refs/rx']), '', 'no ref');
});

t.test('a failed job returns the exit code and a log with the command\'s stderr; nothing recorded', async (t) => {
  const { dir, head, ctx } = project(t);
  const logFile = path.join(dir, '.rx', 'tmp', 'logs', 'trial-2.log');
  const r = await runSandbox(ctx, {
    base: head,
    source: 'commit',
    edits: { 'train.sh': FAIL_SH },
    env: { RX_SEED: '0' },
    logFile,
    record: { name: 'lr-sweep/2-s0', message: 'trial 2\n' },
  });
  t.same(r.failed, ['train']);
  t.equal(r.exitCode, 7);
  t.equal(r.failedCommand, 'sh train.sh');
  t.equal(r.logFile, logFile);
  const log = readFileSync(logFile, 'utf8');
  t.match(log, /boom: no such dataset/, 'stderr is in the log');
  t.match(log, /about to fail/, 'and stdout');
  t.match(log, /exited with code 7/, "and rx's account of the failure");
  t.equal(r.recorded, undefined);
  t.same(gitOut(dir, ['for-each-ref', 'refs/rx']), '', 'no ref for a failed run');
  t.same(sandboxDirs(dir), []);
});

t.test('two jobs at once through the executor: different seeds, different results, both recorded', async (t) => {
  const { dir, head, ctx } = project(t);
  const before = userState(dir);
  const executor = new LocalExecutor(ctx, { slots: 2 });
  t.equal(executor.slots, 2);
  // Each job waits, once its tree is written, until the other has got that far too: with
  // fewer than two slots this would never finish.
  const entered: string[] = [];
  let bothIn!: () => void;
  const together = new Promise<void>((resolve) => (bothIn = resolve));
  const job = (seed: number): SandboxJob => ({
    base: head,
    source: 'commit',
    edits: { 'params.yaml': 'train:\n  lr: 0.2\n' },
    env: { RX_SEED: String(seed) },
    record: { name: `sweep/0-s${seed}`, message: `trial 0 seed ${seed}\n` },
    prepare: async () => {
      entered.push(String(seed));
      if (entered.length === 2) bothIn();
      await together;
    },
  });
  const [a, b] = await Promise.all([executor.run(job(1)), executor.run(job(2))]);
  t.same(entered.sort(), ['1', '2'], 'both were in their sandboxes at once');
  t.same(JSON.parse(a.metrics['m.json']!), { lr: 0.2, seed: '1' });
  t.same(JSON.parse(b.metrics['m.json']!), { lr: 0.2, seed: '2' });
  t.same([action(a), action(b)], ['ran', 'ran']);
  t.same(
    (await listExperiments(projectRepo({ root: dir }), head)).map((e) => e.name).sort(),
    ['sweep/0-s1', 'sweep/0-s2'],
    'both refs, nested under the search',
  );
  t.not(a.recorded!.commit, b.recorded!.commit);
  t.same(userState(dir), before);
  t.same(sandboxDirs(dir), []);
  t.equal(gitFsckStrict(dir).code, 0, 'git fsck --strict is clean');
});

t.test('one slot runs jobs one after the other, in order', async (t) => {
  const { head, ctx } = project(t);
  const executor = new LocalExecutor(ctx, { slots: 1 });
  const events: string[] = [];
  const job = (n: string): SandboxJob => ({
    base: head,
    source: 'commit',
    edits: { 'params.yaml': `train:\n  lr: 0.${n}\n` },
    prepare: async () => void events.push(`${n} start`),
    inspect: async () => void events.push(`${n} end`),
  });
  await Promise.all([executor.run(job('1')), executor.run(job('2')), executor.run(job('3'))]);
  t.same(events, ['1 start', '1 end', '2 start', '2 end', '3 start', '3 end']);
});

t.test('the run cache is reused for the same edits and seed, never across seeds', async (t) => {
  const { head, ctx } = project(t);
  const job = (seed: string | undefined): SandboxJob => ({
    base: head,
    source: 'commit',
    edits: { 'params.yaml': 'train:\n  lr: 0.3\n' },
    ...(seed === undefined ? {} : { env: { RX_SEED: seed } }),
  });
  const first = await runSandbox(ctx, job('5'));
  t.equal(action(first), 'ran');
  const again = await runSandbox(ctx, job('5'));
  t.equal(action(again), 'run-cache', 'same edits, same seed: restored from the run cache');
  t.same(JSON.parse(again.metrics['m.json']!), { lr: 0.3, seed: '5' });
  const other = await runSandbox(ctx, job('6'));
  t.equal(action(other), 'ran', 'another seed runs');
  t.same(JSON.parse(other.metrics['m.json']!), { lr: 0.3, seed: '6' }, "and does not get seed 5's result");
  const none = await runSandbox(ctx, job(undefined));
  t.equal(action(none), 'ran', 'no seed is not seed 5 or 6 either');
  t.same(JSON.parse(none.metrics['m.json']!), { lr: 0.3, seed: 'none' });
  const noCache = await runSandbox(ctx, { ...job('5'), runCache: false });
  t.equal(action(noCache), 'ran', 'runCache: false runs');
});

t.test('cancelled: a queued job never starts; a running one stops and is not recorded', async (t) => {
  const { dir, head, ctx } = project(t);
  const executor = new LocalExecutor(ctx, { slots: 1 });
  const queued = new AbortController();
  const running = new AbortController();
  let release!: () => void;
  const hold = new Promise<void>((resolve) => (release = resolve));
  const first = executor.run(
    {
      base: head,
      source: 'commit',
      record: { name: 'c/first', message: 'first\n' },
      edits: { 'params.yaml': 'train:\n  lr: 0.9\n' },
      // Cancelled once its tree is written: nothing may run or be recorded after that.
      prepare: async () => {
        running.abort();
        await hold;
      },
    },
    { signal: running.signal },
  );
  const second = executor.run({ base: head, source: 'commit', prepare: async () => t.fail('a cancelled queued job must not start') }, { signal: queued.signal });
  queued.abort();
  release();
  await t.rejects(second, { code: 'RX_CANCELLED' });
  const r = await first;
  t.equal(r.cancelled, true);
  t.equal(action(r), 'not-run');
  t.equal(r.recorded, undefined);
  t.same(gitOut(dir, ['for-each-ref', 'refs/rx']), '');
  await t.rejects(executor.run({ base: head, source: 'commit' }, { signal: queued.signal }), { code: 'RX_CANCELLED' }, 'an already-cancelled signal is refused at once');
});

t.test('an edit outside the tree is refused before anything runs', async (t) => {
  const { dir, head, ctx } = project(t);
  for (const rel of ['../escape.txt', '/tmp/escape.txt', '.git/config', 'a/../../escape.txt']) {
    await t.rejects(runSandbox(ctx, { base: head, source: 'commit', edits: { [rel]: 'x' } }), { code: 'RX_UNSAFE_PATH' }, rel);
  }
  t.notOk(existsSync(path.join(dir, '.rx', 'tmp', 'escape.txt')));
  t.notOk(existsSync(path.join(dir, '.rx', 'tmp', 'exp', 'escape.txt')));
  t.same(sandboxDirs(dir), [], 'the sandbox directories are gone');
});

t.test('sandbox names say which pid on which host made them, and whether they are kept', async (t) => {
  const { sandboxOwner } = await import('../../src/exp/sandbox.js');
  t.same(sandboxOwner('rep-s1-4242.box_1-AbC123'), { pid: 4242, host: 'box_1', kept: false });
  t.same(sandboxOwner('20304eff5ce8-kept-77.ci_runner-zz9Q0a'), { pid: 77, host: 'ci_runner', kept: true });
  for (const name of ['rep-s1-4242-AbC123', 'notes', 'x-12.h-short', 'a-b.c-d'])
    t.equal(sandboxOwner(name), undefined, `${name}: not a name rx made (so never swept)`);
});

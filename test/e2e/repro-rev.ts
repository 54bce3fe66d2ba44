// rx repro --rev on the scripted history (fixtures/history.ts): the verdicts (bitwise, a
// non-deterministic stage diverging, a failing stage), the JSON and text reports, --keep,
// and bad input: unknown revisions, a commit without rx.yaml, a lock from a newer rx and
// store objects missing, each refused before anything runs, with the repo left as it was.
import t from 'tap';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { rx, writeTree, commitAll } from '../../fixtures/project.js';
import { useTempDir, hasStackTrace, objectPath, sha256Hex } from '../../fixtures/e2e.js';
import { useHistory, copyHistory, reproRev, rxErr, repoState, revDirs, gitOut, PREPARE_SH, type History } from '../../fixtures/history.js';

const h: History = useHistory(t);
const c = h.byName;
const STAGES = ['evaluate', 'prepare', 'train'];

t.test('a commit that reproduces: bitwise, every stage re-executed, in JSON and in text', async (t) => {
  const runlog = path.join(useTempDir(t), 'runs.log');
  const before = repoState(h.dir);
  const r = reproRev(h.dir, 'HEAD~1', [], { RX_HISTORY_RUNLOG: runlog });
  t.equal(r.code, 0, r.stderr);
  t.equal(r.json.rev, 'HEAD~1');
  t.equal(r.json.commit, c.model!.sha);
  t.equal(r.json.verdict, 'bitwise');
  t.equal(r.json.lockIdentical, true);
  t.same(r.json.failed, []);
  t.notOk('dir' in r.json, 'no directory reported without --keep');
  t.same(r.json.run.map((s) => [s.name, s.action]), [['prepare', 'ran'], ['train', 'ran'], ['evaluate', 'ran']], 'a re-execution, upstream first');
  t.same(r.json.stages.map((s) => [s.name, s.verdict]), STAGES.map((s) => [s, 'bitwise']));
  t.same(readFileSync(runlog, 'utf8').split('\n').filter(Boolean), ['prepare'], 'the stage commands really ran');

  const text = rx(h.dir, ['repro', '--rev', 'v-annotated']);
  t.equal(text.code, 0, text.stderr);
  const lines = text.stdout.trimEnd().split('\n');
  t.match(lines[0], new RegExp(`^v-annotated \\(${c.evaluate!.sha.slice(0, 12)}\\): bitwise$`));
  t.equal(lines[1], '  environment: the same as the commit recorded');
  t.same(lines.slice(2).map((l) => l.trim()).sort(), STAGES.map((s) => `${s}: bitwise`));
  t.same(repoState(h.dir), before);
  t.same(revDirs(h.dir), []);
});

t.test('a stage writing the time diverges: exit 1, the output named', async (t) => {
  const before = repoState(h.dir);
  const recorded = parseYaml(gitOut(h.dir, ['show', `${h.nondet}:rx.lock`])).stages.stamp.outs[0].hash as string;
  const r = reproRev(h.dir, 'nondet');
  t.equal(r.code, 1, 'diverged exits 1');
  t.equal(r.json.verdict, 'diverged');
  t.equal(r.json.lockIdentical, false);
  t.equal(r.json.envChanged, false);
  t.same(r.json.failed, []);
  const stamp = r.json.stages.find((s) => s.name === 'stamp')!;
  t.equal(stamp.verdict, 'diverged');
  t.equal(stamp.outputs.length, 1);
  t.equal(stamp.outputs[0]!.path, 'stamp.txt');
  t.equal(stamp.outputs[0]!.expected, recorded, 'the hash the commit recorded');
  t.match(stamp.outputs[0]!.actual, /^sha256:[0-9a-f]{64}$/);
  t.not(stamp.outputs[0]!.actual, recorded);
  t.same(
    r.json.stages.filter((s) => s.name !== 'stamp').map((s) => [s.name, s.verdict]),
    STAGES.map((s) => [s, 'bitwise']),
    'the deterministic stages still reproduce',
  );

  const text = rx(h.dir, ['repro', '--rev', 'nondet']);
  t.equal(text.code, 1);
  t.match(text.stdout, /^nondet \([0-9a-f]{12}\): diverged$/m);
  t.match(text.stdout, /stamp: diverged/);
  t.match(text.stdout, new RegExp(`output stamp\\.txt: ${recorded} -> sha256:`));
  t.same(repoState(h.dir), before);
  t.same(revDirs(h.dir), []);
});

t.test('a stage that fails at that commit: exit 5, reported, nothing left behind', async (t) => {
  const p = copyHistory(t, h);
  gitOut(p.dir, ['checkout', '-q', '-b', 'broken']);
  writeTree(p.dir, { 'scripts/prepare.sh': PREPARE_SH('broken') + 'echo prepare breaks >&2\nexit 3\n' });
  commitAll(p.dir, 'code: break prepare (lock not updated)');
  gitOut(p.dir, ['checkout', '-q', 'main']);
  const before = repoState(p.dir);
  const r = reproRev(p.dir, 'broken');
  t.equal(r.code, 5, r.stderr);
  t.same(r.json.failed, ['prepare']);
  t.equal(r.json.verdict, 'diverged');
  t.same(
    r.json.run.map((s) => [s.name, s.action]),
    [
      ['prepare', 'failed'],
      ['train', 'not-run'],
      ['evaluate', 'not-run'],
    ],
  );
  t.same(repoState(p.dir), before);
  t.same(revDirs(p.dir), []);
});

t.test('unknown revisions: exit 2, a clear message, no stack trace', async (t) => {
  const before = repoState(h.dir);
  for (const rev of ['no-such-branch', 'deadbeef', '0'.repeat(40), 'HEAD~40', 'v-light~~~']) {
    const r = rxErr(h.dir, ['repro', '--rev', rev]);
    t.equal(r.code, 2, `${rev}: exit 2`);
    t.equal(r.json.error.code, 'RX_UNKNOWN_REVISION', rev);
    t.match(r.json.error.message, `unknown revision ${rev}`);
    t.notOk(hasStackTrace(r.stderr), `${rev}: no stack trace`);
  }
  const text = rx(h.dir, ['repro', '--rev', 'no-such-branch']);
  t.equal(text.code, 2);
  t.match(text.stderr, /unknown revision no-such-branch/);
  t.notOk(hasStackTrace(text.stderr));
  t.same(repoState(h.dir), before);
  t.same(revDirs(h.dir), []);
});

t.test('a commit without rx.yaml is refused with a clear message', async (t) => {
  const r = rx(h.dir, ['repro', '--rev', c.init!.sha.slice(0, 10)]);
  t.not(r.code, 0);
  t.equal(r.code, 2);
  t.match(r.stderr, new RegExp(`${c.init!.sha.slice(0, 12)}\\) has no rx\\.yaml`));
  t.notOk(hasStackTrace(r.stderr));
  t.same(revDirs(h.dir), []);
});

t.test('a lock written by a newer rx at that commit: exit 4', async (t) => {
  const r = rxErr(h.dir, ['repro', '--rev', 'future-lock']);
  t.equal(r.code, 4);
  t.equal(r.json.error.code, 'RX_LOCK_NEWER');
  t.match(r.json.error.message, /future-lock:rx\.lock: written by a newer rx \(lock schema 2/);
  t.ok(r.json.error.hint, 'with a hint');
  t.same(revDirs(h.dir), []);
});

t.test('store objects the commit needs are missing: exit 6 naming them, no stage runs', async (t) => {
  const p = copyHistory(t, h);
  const runlog = path.join(useTempDir(t), 'runs.log');
  // data/a.txt as the first commits had it; the last commit has another a.txt.
  const hash = `sha256:${sha256Hex('1\n2\n3\n')}`;
  const object = objectPath(p.dir, hash);
  t.ok(existsSync(object), 'the object was in the store');
  rmSync(object);
  const before = repoState(p.dir);
  const r = rxErr(p.dir, ['repro', '--rev', 'v-light', '--keep'], { RX_HISTORY_RUNLOG: runlog });
  t.equal(r.code, 6);
  t.equal(r.json.error.code, 'RX_OBJECT_MISSING');
  t.match(r.json.error.message, hash);
  t.match(r.json.error.message, 'data/a.txt');
  t.same(r.json.error.data?.missing, [`${hash} (data/a.txt)`]);
  t.notOk(existsSync(runlog), 'no stage command ran');
  t.same(revDirs(p.dir), [], 'nothing was materialised, even with --keep');
  t.same(repoState(p.dir), before);

  const later = reproRev(p.dir, 'HEAD', [], { RX_HISTORY_RUNLOG: runlog });
  t.equal(later.json.verdict, 'bitwise', 'a commit that does not need the object still reproduces');
});

t.test('--keep leaves the directory and reports it', async (t) => {
  const before = repoState(h.dir);
  const r = reproRev(h.dir, 'HEAD~2', ['--keep']);
  t.equal(r.code, 0, r.stderr);
  t.equal(r.json.verdict, 'bitwise');
  const dir = r.json.dir!;
  t.ok(dir, 'the directory is reported');
  t.equal(path.dirname(dir), path.join(h.dir, '.rx', 'tmp', 'rev'));
  t.equal(readFileSync(path.join(dir, 'rx.lock'), 'utf8'), gitOut(h.dir, ['show', `${c.scale!.sha}:rx.lock`]) + '\n', "the re-written lock, equal to the commit's");
  t.equal(readFileSync(path.join(dir, 'params.yaml'), 'utf8'), gitOut(h.dir, ['show', `${c.scale!.sha}:params.yaml`]) + '\n', "the commit's params");
  t.ok(existsSync(path.join(dir, 'work', 'prepared.txt')), 'with the outputs it produced');
  t.ok(existsSync(path.join(dir, 'data', 'a.txt')), 'and the tracked data');

  const text = rx(h.dir, ['repro', '--rev', 'HEAD~2', '--keep']);
  t.equal(text.code, 0, text.stderr);
  const kept = /kept in (.+)$/m.exec(text.stdout)?.[1];
  t.ok(kept && existsSync(kept), 'the text report says where');
  t.equal(revDirs(h.dir).length, 2, 'both directories are there');
  t.same(repoState(h.dir), before, 'kept directories are invisible to git');
  rmSync(dir, { recursive: true });
  rmSync(kept!, { recursive: true });
});

t.test('--rev does not combine with --downstream; --keep needs --rev (and a run: not --dry)', async (t) => {
  for (const args of [
    ['repro', '--rev', 'HEAD', '--downstream'],
    ['repro', '--rev', 'HEAD', '--dry', '--keep'],
    ['repro', '--keep'],
  ]) {
    const r = rxErr(h.dir, args);
    t.equal(r.code, 2, args.join(' '));
    t.equal(r.json.error.code, 'RX_USAGE');
  }
  t.same(revDirs(h.dir), []);
});

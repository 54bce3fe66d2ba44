// The history promise, end to end on the scripted history of fixtures/history.ts: from the
// last commit, `rx repro --rev` of every earlier commit that has an rx.lock reproduces
// bitwise (same output hashes, rx.lock rewritten byte for byte) while HEAD, the index,
// the working tree and the refs stay exactly as they were; revisions are accepted as short
// sha, branch, lightweight and annotated tag, HEAD~N and name^, also once `git gc` has
// packed objects and refs.
import t, { type Test } from 'tap';
import { parse as parseYaml } from 'yaml';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { rx } from '../../fixtures/project.js';
import { useHistory, copyHistory, reproRev, repoState, revDirs, workspaceListing, gitOut, rxOut, type History } from '../../fixtures/history.js';

const h: History = useHistory(t);
const c = h.byName;

t.test('the fixture history has the shape the other tests rely on', async (t) => {
  t.same(
    h.commits.map((x) => x.name),
    ['init', 'pipeline', 'lr', 'data', 'evaluate', 'code', 'docs', 'stats', 'unstats', 'scale', 'model', 'epochs'],
  );
  t.same(gitOut(h.dir, ['rev-list', '--first-parent', 'main']).split('\n').reverse(), h.commits.map((x) => x.sha), 'main is that line of commits');
  t.equal(gitOut(h.dir, ['cat-file', '-t', 'v-annotated']), 'tag', 'v-annotated is an annotated tag');
  t.equal(gitOut(h.dir, ['cat-file', '-t', 'v-light']), 'commit', 'v-light is a lightweight tag');
  t.equal(gitOut(h.dir, ['rev-parse', 'v-annotated^{commit}']), c.evaluate!.sha);
  t.equal(gitOut(h.dir, ['rev-parse', 'data-v2']), c.data!.sha);
  t.equal(c.init!.hasLock, false, 'the first commit has no rx.lock (and no rx.yaml)');
  t.equal(c.docs!.lockChanged, false, 'a README-only commit leaves rx.lock alone');
  t.equal(c.unstats!.lockChanged, true, 'removing a stage removes its lock entry');
  t.notMatch(gitOut(h.dir, ['show', `${c.unstats!.sha}:rx.lock`]), /^ {2}stats:/m);
  t.match(gitOut(h.dir, ['show', `${c.stats!.sha}:rx.lock`]), /^ {2}stats:/m);
  t.same(
    gitOut(h.dir, ['diff', '--name-only', `${c.code!.sha}~1`, c.code!.sha]).split('\n'),
    ['rx.lock', 'scripts/prepare.sh'],
    'the code commit touches the script and the dependency hash in the lock only',
  );
  const status = rxOut(h.dir, 'status', ['status']);
  t.equal(status.json.clean, true, 'rx status is clean at the last commit');
  t.ok(status.json.stages.length > 0, 'rx status lists the stages');
  t.ok(status.json.stages.every((s: { state: string }) => s.state === 'up-to-date'));
  t.equal(rx(h.dir, ['verify']).code, 0, 'rx verify passes at the last commit');
});

t.test('from the last commit every earlier commit with a lock reproduces bitwise; nothing moves', async (t) => {
  const before = repoState(h.dir);
  const files = workspaceListing(h.dir);
  const earlier = h.commits.slice(0, -1).filter((x) => x.hasLock);
  t.equal(earlier.length, 10);
  for (const commit of earlier) {
    const r = reproRev(h.dir, commit.sha);
    t.equal(r.code, 0, `${commit.name}: exit 0\n${r.stderr}`);
    t.equal(r.json.commit, commit.sha);
    t.equal(r.json.verdict, 'bitwise', `${commit.name} (${commit.subject}) reproduces bitwise`);
    t.equal(r.json.lockIdentical, true, `${commit.name}: rx.lock rewritten byte for byte`);
    t.equal(r.json.envChanged, false);
    t.same(r.json.failed, []);
    const locked = Object.keys(parseYaml(gitOut(h.dir, ['show', `${commit.sha}:rx.lock`])).stages).sort();
    t.same(r.json.stages.map((s) => s.name).sort(), locked, `${commit.name}: every stage of the commit's lock was compared`);
    t.ok(locked.length > 0, `${commit.name}: the lock has stages`);
    t.same(r.json.run.map((s) => s.name).sort(), locked, `${commit.name}: every stage of the lock was run`);
    t.ok(r.json.run.every((s) => s.action === 'ran'), `${commit.name}: every stage re-executed (no run cache, no restore)`);
    t.ok(r.json.stages.every((s) => s.verdict === 'bitwise' && s.outputs.length === 0));
  }
  t.same(repoState(h.dir), before, 'HEAD, index (entries, bytes, mtime), git status and refs unchanged');
  t.same(workspaceListing(h.dir), files, 'no file of the working tree written, created or removed');
  t.same(revDirs(h.dir), [], 'no directory left under .rx/tmp/rev');
});

// Revision expressions and what they name; each run re-executes only `prepare` to keep it short.
function revisionForms(h: History, all: boolean): [string, string][] {
  const c = h.byName;
  const forms: [string, string][] = [
    [c.lr!.sha.slice(0, 7), c.lr!.sha],
    ['data-v2', c.data!.sha],
    ['v-light', c.lr!.sha],
    ['v-annotated', c.evaluate!.sha],
    ['HEAD~3', c.unstats!.sha],
  ];
  if (all) forms.push([c.scale!.sha, c.scale!.sha], ['HEAD^', c.model!.sha], ['main~2^', c.unstats!.sha], ['v-annotated^', c.data!.sha]);
  return forms;
}

function checkRevisionForms(t: Test, h: History, all: boolean): void {
  const before = repoState(h.dir);
  for (const [rev, sha] of revisionForms(h, all)) {
    const r = reproRev(h.dir, rev, ['prepare']);
    t.equal(r.code, 0, `${rev}: exit 0\n${r.stderr}`);
    t.equal(r.json.rev, rev);
    t.equal(r.json.commit, sha, `${rev} names ${sha.slice(0, 7)}`);
    t.equal(r.json.verdict, 'bitwise', `${rev}: bitwise`);
    t.equal(r.json.lockIdentical, true, `${rev}: the lock, prepare's entry rewritten, is byte-identical`);
    t.same(r.json.stages.map((s) => s.name), ['prepare'], `${rev}: only the named stage ran`);
  }
  t.same(repoState(h.dir), before, 'HEAD, index, status and refs unchanged');
  t.same(revDirs(h.dir), []);
}

t.test('revisions as short sha, full sha, branch, tags, HEAD~N and name^', async (t) => {
  checkRevisionForms(t, h, true);
});

t.test('the same after git gc has packed every object and ref', async (t) => {
  const p = copyHistory(t, h);
  gitOut(p.dir, ['gc', '-q', '--prune=now']);
  const counts = Object.fromEntries(
    gitOut(p.dir, ['count-objects', '-v'])
      .split('\n')
      .map((l) => l.split(': ') as [string, string]),
  );
  t.equal(counts.count, '0', 'no loose objects');
  t.ok(Number(counts['in-pack']) > 0, 'objects are in a packfile');
  const packed = readFileSync(path.join(p.dir, '.git', 'packed-refs'), 'utf8');
  for (const ref of ['refs/heads/main', 'refs/heads/data-v2', 'refs/tags/v-light', 'refs/tags/v-annotated']) {
    t.match(packed, ref, `${ref} is packed`);
    t.notOk(existsSync(path.join(p.dir, '.git', ...ref.split('/'))), `${ref} has no loose file`);
  }
  checkRevisionForms(t, p, false);
  // And a full re-execution of the commit that added a stage, read from the pack.
  const full = reproRev(p.dir, 'v-annotated');
  t.equal(full.json.verdict, 'bitwise');
  t.equal(full.json.lockIdentical, true);
  t.same(full.json.stages.map((s) => s.name).sort(), ['evaluate', 'prepare', 'train']);
});

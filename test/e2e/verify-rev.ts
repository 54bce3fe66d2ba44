// rx verify --rev REV: the checks of rx verify on a commit, read from git objects. A good
// commit passes while the workspace is broken; each tampering committed on a branch is
// found there with the findings and exit code of a workspace verify of the same state;
// an experiment name works as REV; an unknown one is a usage error (exit 2). The working
// tree, the index and .rx are untouched (whole listing with mtimes, git status).
import t from 'tap';
import { rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { stringify } from 'yaml';
import { rx, git, writeTree, commitAll, pseudoRandomBytes } from '../../fixtures/project.js';
import { objectPath, rxError } from '../../fixtures/e2e.js';
import { usePipeline, copyProject, outputAs, paramsYaml, pipelineYaml, runsLog, read, readLockYaml, listingWithMtimes } from '../../fixtures/pipeline.js';

interface VerifyJson {
  ok: boolean;
  stages: number;
  pointers: number;
  findings: { code: string; file: string; stage?: string; path?: string; message: string }[];
  rev?: string;
  commit?: string;
}
type Tap = Parameters<Parameters<typeof t.test>[0]>[0];

/** The pipeline run and committed, plus a directory tracked by a pointer file (committed). */
const base = usePipeline(t, { run: true });
writeTree(base, { 'assets/a.bin': pseudoRandomBytes(3000, 7), 'assets/sub/b.txt': 'bee\n' });
if (rx(base, ['add', 'assets']).code !== 0) throw new Error('rx add assets failed');
commitAll(base, 'assets');

const gitOut = (dir: string, args: string[]) => {
  const r = git(dir, args);
  if (r.code !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
  return r.stdout.trim();
};
const found = (v: VerifyJson) => v.findings.map((f) => `${f.code} ${f.stage ?? '-'}`).sort();

/** rx verify --rev (text and --json): nothing in the project written or touched, no stage run, git status the same. */
function verifyRev(t: Tap, dir: string, rev: string, extra: string[] = []): { code: number; json: VerifyJson; text: string } {
  // --no-optional-locks: a plain git status refreshes and rewrites the index itself.
  const gitStatus = () => gitOut(dir, ['--no-optional-locks', 'status', '--porcelain']);
  const status = gitStatus();
  const before = listingWithMtimes(dir);
  const text = rx(dir, ['verify', '--rev', rev, ...extra]);
  const r = rx(dir, ['verify', '--rev', rev, ...extra, '--json']);
  t.same(listingWithMtimes(dir), before, `verify --rev ${rev} wrote or touched nothing (working tree, .git with its index, .rx)`);
  t.equal(gitStatus(), status, 'git status unchanged');
  t.same(runsLog(dir), [], 'no stage ran');
  t.equal(text.code, r.code, 'same exit code with and without --json');
  return { code: r.code, json: outputAs<VerifyJson>('verify', r), text: text.stdout };
}

t.test('a good commit passes while the workspace and the index are broken', async (t) => {
  const dir = copyProject(t, base);
  const head = gitOut(dir, ['rev-parse', 'HEAD']);
  writeTree(dir, { 'scripts/train.sh': read(dir, 'scripts/train.sh') + '# edited\n', 'params.yaml': paramsYaml({ lr: 0.3 }) });
  gitOut(dir, ['add', 'params.yaml']);
  rmSync(path.join(dir, 'assets.rx'));
  t.equal(rx(dir, ['verify']).code, 1, 'the workspace does not verify');
  const v = verifyRev(t, dir, 'HEAD');
  t.equal(v.code, 0, 'the commit does');
  t.same(v.json, { ok: true, stages: 4, pointers: 1, findings: [], rev: 'HEAD', commit: head });
  t.match(v.text, `verified HEAD (${head.slice(0, 12)}): 4 stage(s), 1 pointer file(s)`);
  const noStore = verifyRev(t, dir, head.slice(0, 10), ['--no-store']);
  t.equal(noStore.code, 0, 'a short sha with --no-store');
  t.equal(noStore.json.commit, head);
});

/** rx.lock rewritten through a function of its parsed content. */
function editLock(dir: string, edit: (lock: any) => void): void {
  const lock = readLockYaml(dir);
  edit(lock);
  writeFileSync(path.join(dir, 'rx.lock'), stringify(lock, { lineWidth: 0 }));
}

const tampers: { name: string; tamper: (dir: string) => void }[] = [
  { name: 'an edited dependency', tamper: (dir) => writeTree(dir, { 'data/raw.txt': '3\n1\n4\n1\n5\n9\n2\n7\n' }) },
  { name: 'an edited script', tamper: (dir) => writeTree(dir, { 'scripts/train.sh': read(dir, 'scripts/train.sh') + '# edited\n' }) },
  { name: 'a lock hash of no stored object', tamper: (dir) => editLock(dir, (l) => (l.stages.prepare.outs[0].hash = 'sha256:' + 'ab'.repeat(32))) },
  { name: 'a lock hash of another stored object', tamper: (dir) => editLock(dir, (l) => (l.stages.train.outs[0].hash = l.stages.stats.outs[0].hash)) },
  { name: 'a dependency hash edited in the lock', tamper: (dir) => editLock(dir, (l) => (l.stages.prepare.deps.find((d: any) => d.path === 'data/raw.txt').hash = 'sha256:' + 'cd'.repeat(32))) },
  { name: 'a pointer naming no stored object', tamper: (dir) => writeTree(dir, { 'assets.rx': read(dir, 'assets.rx').replace(/hash: sha256:[0-9a-f]{64}/, 'hash: sha256:' + 'ef'.repeat(32)) }) },
  { name: 'a param change', tamper: (dir) => writeTree(dir, { 'params.yaml': paramsYaml({ lr: 0.2 }) }) },
  { name: 'a changed command', tamper: (dir) => writeTree(dir, { 'rx.yaml': pipelineYaml().replace('cmd: sh scripts/stats.sh', 'cmd: sh scripts/stats.sh --verbose') }) },
  { name: 'a stage missing from the lock', tamper: (dir) => editLock(dir, (l) => delete l.stages.stats) },
  { name: 'a hand-edited metrics file', tamper: (dir) => writeTree(dir, { 'metrics.json': read(dir, 'metrics.json').replace('"score": 2.3250', '"score": 9.9000') }) },
];

for (const c of tampers) {
  t.test(`a commit with ${c.name} fails with the findings of a workspace verify`, async (t) => {
    const dir = copyProject(t, base);
    c.tamper(dir);
    const inWorkspace = outputAs<VerifyJson>('verify', rx(dir, ['verify', '--json']));
    t.equal(inWorkspace.ok, false, 'the tampered workspace has findings');
    commitAll(dir, `tampered: ${c.name}`);
    const tampered = gitOut(dir, ['rev-parse', 'HEAD']);
    gitOut(dir, ['branch', 'tampered']);
    // The test (not rx) puts the good commit back in the working tree.
    gitOut(dir, ['reset', '-q', '--hard', 'HEAD~1']);
    t.equal(rx(dir, ['verify']).code, 0, 'the workspace is good again');
    const v = verifyRev(t, dir, 'tampered');
    t.equal(v.code, 1, 'exit 1: findings');
    t.equal(v.json.ok, false);
    t.equal(v.json.commit, tampered);
    t.same(found(v.json), found(inWorkspace), 'the same findings as the workspace verify of that state');
    t.same(v.json.findings.map((f) => f.message).sort(), inWorkspace.findings.map((f) => f.message).sort(), 'with the same messages');
    for (const f of v.json.findings) t.match(v.text, f.code, `${f.code} in the text output`);
  });
}

t.test('a store object removed fails verify --rev of the commit that names it', async (t) => {
  const dir = copyProject(t, base);
  rmSync(objectPath(dir, readLockYaml(dir).stages.train.outs[0].hash));
  const v = verifyRev(t, dir, 'HEAD');
  t.equal(v.code, 1);
  t.same(found(v.json), ['RX_VERIFY_OBJECT_MISSING train']);
  t.equal(verifyRev(t, dir, 'HEAD', ['--no-store']).code, 0, 'with --no-store only the format counts');
});

t.test('an experiment name works as REV', async (t) => {
  const dir = copyProject(t, base);
  const run = rx(dir, ['exp', 'run', '-n', 'faster', '-S', 'train.lr=0.2']);
  t.equal(run.code, 0, run.stderr);
  const ref = gitOut(dir, ['for-each-ref', '--format=%(objectname)', 'refs/rx/exps']);
  const v = verifyRev(t, dir, 'faster');
  t.equal(v.code, 0, JSON.stringify(v.json.findings));
  t.equal(v.json.commit, ref, 'the experiment commit');
  t.equal(v.json.rev, 'faster');
  t.equal(v.json.stages, 4);
});

t.test('an unknown revision is a usage error (exit 2)', async (t) => {
  const dir = copyProject(t, base);
  const before = listingWithMtimes(dir);
  const e = rxError(dir, ['verify', '--rev', 'no-such-branch']);
  t.equal(e.code, 2);
  t.equal(e.json.error.code, 'RX_UNKNOWN_REVISION');
  t.equal(rxError(dir, ['verify', '--rev', 'HEAD~9']).code, 2, 'past the first commit');
  t.same(listingWithMtimes(dir), before, 'nothing written');
});

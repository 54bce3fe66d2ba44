// Store safety (issue 9, items 2 to 5 of "What was seen"), run as root like CI, where
// read-only modes protect nothing, against the config `rx init` writes (link order
// reflink, copy: on ext4 without reflinks every workspace file is a copy):
//   - in-place edits of a tracked file (`>>`, `cp` over it, open(f, 'w'), a same-size edit
//     with the mtime put back) never reach the stored version: it comes back byte for byte,
//     its object still hashes to its name, and `rx status` sees the edit;
//   - `rx add` of a file with a second hard link outside the project: nothing rx does later
//     changes the outside file;
//   - `link: [hardlink]` opted in: read-only workspace files, `rx unprotect` makes
//     independent writable copies;
//   - a flipped, a truncated and a missing object: `rx checkout` exits 6 on every run and
//     never hands corrupt bytes out;
//   - `rx gc` keeps what rx.lock, the run cache and experiment refs name.
// (Item 6, durability of cache: false outputs, is not observable from a test.)
import t, { type Test } from 'tap';
import { chmodSync, existsSync, linkSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { rx, writeTree, commitAll } from '../../fixtures/project.js';
import { useProject, useTempDir, rxJson, parseOutput, gitOk, objectPath, pseudoBytes, sha256Hex, snapshotTree, replaceFile, type TestLike } from '../../fixtures/e2e.js';
import { pipelineYaml, gitOut } from '../../fixtures/history.js';
import {
  sh,
  sameSizeEditKeepingMtime,
  objectState,
  lockOutputs,
  storeProblems,
  workspaceMismatches,
  fsckJson,
  restoreTimes,
} from '../../fixtures/store-safety.js';

const at = (dir: string, rel: string) => path.join(dir, ...rel.split('/'));
const V1 = pseudoBytes(96 * 1024 + 17, 901);
const OTHER = pseudoBytes(40 * 1024 + 3, 902);
const THIRD = pseudoBytes(8 * 1024 + 5, 903);

if (process.getuid?.() !== 0) t.comment('not running as root: these tests are meant for root (CI), where read-only bits protect nothing');

/** The link order in .rx/config.yaml (undefined: the built-in default). */
function linkOrder(dir: string): string[] | undefined {
  return (parseYaml(readFileSync(at(dir, '.rx/config.yaml'), 'utf8')) as { link?: string[] }).link;
}

function statusOf(dir: string, rel: string): string | undefined {
  const s = rxJson(dir, 'status', ['status']);
  return (s.entries as { path: string; state: string }[]).find((e) => e.path === rel)?.state;
}

/** fsck finds nothing: no corrupt, missing or dangling object, exit 0. */
function fsckClean(t: Test, dir: string, what: string): void {
  const f = fsckJson(dir);
  t.same({ code: f.code, corrupt: f.json.corrupt, missing: f.json.missing, dangling: f.json.dangling }, { code: 0, corrupt: [], missing: [], dangling: [] }, `${what}: rx fsck --json is clean`);
}

t.test('rx init writes a link order without hardlink or symlink (reflink, copy)', async (t) => {
  const dir = useProject(t);
  const link = linkOrder(dir);
  t.notOk(link?.some((l) => l === 'hardlink' || l === 'symlink'), `link: ${JSON.stringify(link)}`);
  writeTree(dir, { 'data/f': V1 });
  const hash = rxJson(dir, 'add', ['add', 'data/f']).added[0].hash as string;
  t.not(statSync(at(dir, 'data/f')).ino, statSync(objectPath(dir, hash)).ino, 'after rx add the workspace file is not the store object');
  rmSync(at(dir, 'data/f'));
  t.equal(rx(dir, ['checkout']).code, 0);
  t.not(statSync(at(dir, 'data/f')).ino, statSync(objectPath(dir, hash)).ino, 'after rx checkout neither');
  t.ok(statSync(at(dir, 'data/f')).mode & 0o200, 'and the copy is writable');
});

// ---------------------------------------------------------------- item 2: in-place edits

interface Edit {
  name: string;
  /** Edits data/f in place (same inode); returns the new bytes. */
  apply: (dir: string, other: string) => Buffer;
}

const EDITS: Edit[] = [
  {
    name: 'echo x >> data/f',
    apply: (dir) => {
      sh(dir, 'echo x >> data/f');
      return readFileSync(at(dir, 'data/f'));
    },
  },
  {
    name: 'cp other data/f (O_TRUNC into the existing file)',
    apply: (dir, other) => {
      sh(dir, `cp ${JSON.stringify(other)} data/f`);
      return readFileSync(at(dir, 'data/f'));
    },
  },
  {
    name: "open(f, 'w') as Python does (writeFileSync, flag w)",
    apply: (dir) => {
      writeFileSync(at(dir, 'data/f'), THIRD, { flag: 'w' });
      return readFileSync(at(dir, 'data/f'));
    },
  },
  {
    name: 'same-size edit with atime and mtime put back',
    apply: (dir) => sameSizeEditKeepingMtime(at(dir, 'data/f'), [0, 4096, 50_000, V1.length - 1]),
  },
];

for (const edit of EDITS) {
  t.test(`in-place edit: ${edit.name}`, async (t) => {
    const dir = useProject(t);
    const other = path.join(useTempDir(t), 'other');
    writeFileSync(other, OTHER);
    writeTree(dir, { 'data/f': V1 });
    const h1 = rxJson(dir, 'add', ['add', 'data/f']).added[0].hash as string;
    t.equal(h1, `sha256:${sha256Hex(V1)}`);
    commitAll(dir, 'v1');
    const f = at(dir, 'data/f');

    // 1. Edit the file rx add left in the workspace.
    const ino = statSync(f).ino;
    const edited = edit.apply(dir, other);
    t.equal(statSync(f).ino, ino, 'the edit wrote into the same inode');
    t.notOk(edited.equals(V1), 'the file changed');
    t.equal(objectState(dir, h1), 'ok', 'the stored version still hashes to its name');
    fsckClean(t, dir, 'after the edit');
    t.equal(statusOf(dir, 'data/f'), 'modified', 'rx status reports data/f as modified');
    gitOk(dir, ['checkout', 'HEAD', '--', 'data/f.rx']);
    const co = rx(dir, ['checkout', '-f', 'data/f']);
    t.equal(co.code, 0, co.stderr);
    t.ok(readFileSync(f).equals(V1), 'rx checkout -f brings the old version back byte for byte');
    t.equal(statusOf(dir, 'data/f'), 'unchanged');

    // 2. The same edit on the file rx checkout wrote, recorded as a second version.
    const edited2 = edit.apply(dir, other);
    t.ok(edited2.equals(edited), 'the same edit again');
    t.equal(objectState(dir, h1), 'ok', 'the stored version is intact after editing a checked-out file');
    t.equal(statusOf(dir, 'data/f'), 'modified', 'rx status sees the edit of a checked-out file');
    const h2 = rxJson(dir, 'add', ['add', 'data/f']).added[0].hash as string;
    t.equal(h2, `sha256:${sha256Hex(edited)}`, 'rx add records the edited bytes');
    gitOk(dir, ['add', '-A']);
    gitOk(dir, ['commit', '-q', '--allow-empty', '-m', 'v2']); // empty only if rx add missed the edit (asserted above)
    t.equal(objectState(dir, h1), 'ok');
    t.equal(objectState(dir, h2), 'ok');

    gitOk(dir, ['checkout', 'HEAD~1', '--', 'data/f.rx']);
    const back = rx(dir, ['checkout']);
    t.equal(back.code, 0, back.stderr);
    t.ok(readFileSync(f).equals(V1), 'git checkout HEAD~1 -- data/f.rx && rx checkout: version 1, byte for byte');
    gitOk(dir, ['checkout', 'HEAD', '--', 'data/f.rx']);
    const fwd = rx(dir, ['checkout']);
    t.equal(fwd.code, 0, fwd.stderr);
    t.ok(readFileSync(f).equals(edited), 'and version 2 again');
    fsckClean(t, dir, 'at the end');
  });
}

// ---------------------------------------------------------------- item 2: a hard link outside

t.test('rx add of a file hard-linked from outside the project: the outside file never changes', async (t) => {
  const dir = useProject(t);
  const outside = path.join(useTempDir(t), 'outside.bin');
  writeFileSync(outside, V1);
  chmodSync(outside, 0o644);
  const outsideIno = statSync(outside).ino;
  const unchanged = (what: string) => {
    const st = statSync(outside);
    t.ok(readFileSync(outside).equals(V1), `${what}: the outside file's bytes are unchanged`);
    t.equal(st.mode & 0o7777, 0o644, `${what}: its mode is unchanged`);
  };
  mkdirSync(at(dir, 'data'));
  linkSync(outside, at(dir, 'data/f'));
  t.equal(statSync(outside).nlink, 2);

  const h1 = rxJson(dir, 'add', ['add', 'data/f']).added[0].hash as string;
  commitAll(dir, 'v1');
  unchanged('after rx add');
  t.not(statSync(objectPath(dir, h1)).ino, outsideIno, 'the store object is not the outside inode');

  replaceFile(at(dir, 'data/f'), OTHER);
  const h2 = rxJson(dir, 'add', ['add', 'data/f']).added[0].hash as string;
  commitAll(dir, 'v2');
  unchanged('after a second version is added');

  gitOk(dir, ['checkout', 'HEAD~1', '--', 'data/f.rx']);
  t.equal(rx(dir, ['checkout', '-f']).code, 0);
  t.ok(readFileSync(at(dir, 'data/f')).equals(V1), 'version 1 checked out');
  t.not(statSync(at(dir, 'data/f')).ino, outsideIno, 'the checked-out file is not the outside inode');
  unchanged('after checking out version 1');

  sh(dir, 'echo edited >> data/f');
  writeFileSync(at(dir, 'data/f'), THIRD, { flag: 'w' });
  unchanged('after editing the checked-out workspace copy in place');

  gitOk(dir, ['checkout', 'HEAD', '--', 'data/f.rx']);
  t.equal(rx(dir, ['checkout', '-f']).code, 0);
  t.ok(readFileSync(at(dir, 'data/f')).equals(OTHER), 'version 2 checked out');
  unchanged('after checking out version 2');
  sh(dir, 'echo again >> data/f');
  unchanged('after editing version 2 in place');

  t.equal(statSync(outside).nlink, 1, 'nothing in the project or the store shares the outside inode any more');
  t.equal(objectState(dir, h1), 'ok');
  t.equal(objectState(dir, h2), 'ok');
  fsckClean(t, dir, 'at the end');
});

// ---------------------------------------------------------------- item 2: hardlink opted in

t.test('link: [hardlink] opted in: read-only workspace files, rx unprotect makes independent copies', async (t) => {
  const dir = useProject(t);
  const config = readFileSync(at(dir, '.rx/config.yaml'), 'utf8');
  writeFileSync(at(dir, '.rx/config.yaml'), config.match(/^link:/m) ? config.replace(/^link:.*$/m, 'link: [hardlink]') : config + 'link: [hardlink]\n');
  t.same(linkOrder(dir), ['hardlink']);
  writeTree(dir, { 'data/f': V1, 'set/a': OTHER, 'set/sub/b': THIRD });
  const added = rxJson(dir, 'add', ['add', 'data/f', 'set']).added as { path: string; hash: string }[];
  const h1 = added.find((a) => a.path === 'data/f')!.hash;
  commitAll(dir, 'tracked, hard-linked');
  const f = at(dir, 'data/f');
  const obj = objectPath(dir, h1);
  const readOnly = (file: string, what: string) => t.equal(statSync(file).mode & 0o222, 0, `${what}: no write bit (mode ${(statSync(file).mode & 0o777).toString(8)})`);

  t.equal(statSync(f).ino, statSync(obj).ino, 'with hardlink opted in the workspace file is the store object');
  readOnly(f, 'data/f after rx add');
  readOnly(at(dir, 'set/a'), 'set/a after rx add');

  const u = rx(dir, ['unprotect', 'data/f']);
  t.equal(u.code, 0, `rx unprotect data/f: exit 0\n${u.stderr}`);
  t.not(statSync(f).ino, statSync(obj).ino, 'after unprotect data/f is another inode than the object');
  t.equal(statSync(f).nlink, 1, 'an independent copy');
  t.ok(statSync(f).mode & 0o200, 'and writable');
  t.ok(readFileSync(f).equals(V1), 'with the same bytes');
  t.equal(statusOf(dir, 'data/f'), 'unchanged', 'an unprotected file is unchanged data');

  sh(dir, 'echo x >> data/f');
  t.equal(objectState(dir, h1), 'ok', 'editing the unprotected copy leaves the object intact');
  t.equal(statusOf(dir, 'data/f'), 'modified');
  fsckClean(t, dir, 'after editing the unprotected copy');

  const ud = rx(dir, ['unprotect', 'set']);
  t.equal(ud.code, 0, `rx unprotect of a tracked directory: exit 0\n${ud.stderr}`);
  for (const rel of ['set/a', 'set/sub/b']) {
    const st = statSync(at(dir, rel));
    t.ok(st.nlink === 1 && st.mode & 0o200, `${rel}: an independent writable copy`);
  }
  writeFileSync(at(dir, 'set/a'), 'overwritten', { flag: 'w' });
  fsckClean(t, dir, 'after editing an unprotected file of a directory');

  gitOk(dir, ['checkout', 'HEAD', '--', 'data/f.rx']);
  t.equal(rx(dir, ['checkout', '-f']).code, 0);
  t.ok(readFileSync(f).equals(V1), 'rx checkout -f brings data/f back');
  t.ok(readFileSync(at(dir, 'set/a')).equals(OTHER), 'and set/a');
  readOnly(f, 'data/f after rx checkout');
});

// ---------------------------------------------------------------- items 3 and 5: corrupt or missing objects

/** Flips one byte of a store object in place (chmod u+w first: as root it is writable anyway). */
function flipObjectByte(file: string, offset: number, keepMtime: boolean): void {
  const mode = statSync(file).mode & 0o7777;
  const before = statSync(file, { bigint: true });
  chmodSync(file, mode | 0o200);
  const bytes = readFileSync(file);
  bytes[offset] = bytes[offset]! ^ 0x01;
  writeFileSync(file, bytes, { flag: 'r+' });
  chmodSync(file, mode);
  if (keepMtime) restoreTimes(file, before);
}

t.test('a flipped, a truncated and a missing object: rx checkout exits 6 on every run, hands out no corrupt bytes', async (t) => {
  const dir = useProject(t);
  const files: Record<string, Buffer> = { 'data/flip': V1, 'data/trunc': OTHER, 'data/flipkeep': THIRD, 'data/gone': pseudoBytes(5000, 904) };
  writeTree(dir, files);
  const hashes: Record<string, string> = {};
  for (const rel of Object.keys(files)) hashes[rel] = rxJson(dir, 'add', ['add', rel]).added[0].hash as string;
  commitAll(dir, 'four files');

  flipObjectByte(objectPath(dir, hashes['data/flip']!), 1000, false);
  const tr = objectPath(dir, hashes['data/trunc']!);
  chmodSync(tr, (statSync(tr).mode & 0o7777) | 0o200);
  truncateSync(tr, 1000);
  flipObjectByte(objectPath(dir, hashes['data/flipkeep']!), 7, true);
  rmSync(objectPath(dir, hashes['data/gone']!));
  const bad: Record<string, Buffer | undefined> = {};
  for (const rel of Object.keys(files)) bad[rel] = existsSync(objectPath(dir, hashes[rel]!)) ? readFileSync(objectPath(dir, hashes[rel]!)) : undefined;
  for (const rel of Object.keys(files)) rmSync(at(dir, rel));

  const handedOut = (rel: string) => {
    const ws = at(dir, rel);
    if (!existsSync(ws)) return false;
    return !readFileSync(ws).equals(files[rel]!);
  };
  for (const rel of Object.keys(files)) {
    for (const run of [1, 2, 3]) {
      const r = rx(dir, ['checkout', '-f', rel, '--json']);
      t.equal(r.code, 6, `${rel}, run ${run}: exit 6 (store integrity)\n${r.stdout}${r.stderr}`);
      if (r.code !== 0) t.equal(parseOutput(`error`, r).error.exitCode, 6);
      t.notOk(handedOut(rel), `${rel}, run ${run}: no corrupt bytes in the workspace`);
    }
    if (bad[rel] !== undefined) {
      const obj = objectPath(dir, hashes[rel]!);
      t.ok(!existsSync(obj) || !readFileSync(obj).equals(bad[rel]!), `${rel}: the corrupt bytes are no longer at the object's store path`);
    }
  }
  const quarantine = at(dir, '.rx/tmp/corrupt');
  t.ok(existsSync(quarantine) && readdirSync(quarantine).length >= 3, 'the three corrupt objects are quarantined under .rx/tmp/corrupt/');

  for (const run of [1, 2, 3]) {
    const r = rx(dir, ['checkout', '-f']);
    t.equal(r.code, 6, `rx checkout -f of everything, run ${run}: exit 6\n${r.stdout}${r.stderr}`);
    t.notMatch(r.stdout + r.stderr, /up to date/, `run ${run} does not say everything is up to date`);
    for (const rel of Object.keys(files)) t.notOk(handedOut(rel), `run ${run}: ${rel} not handed out`);
  }
  const st = rx(dir, ['status', '--exit-code']);
  t.not(st.code, 0, 'rx status is not clean while objects are missing');

  // Fixed by re-adding good copies: exit 0 again.
  writeTree(dir, files);
  t.equal(rx(dir, ['add', ...Object.keys(files)]).code, 0);
  const ok = rx(dir, ['checkout', '-f']);
  t.equal(ok.code, 0, `once good copies are added, checkout exits 0\n${ok.stderr}`);
  fsckClean(t, dir, 'after re-adding good copies');
});

// ---------------------------------------------------------------- item 4: gc

const BUILD_JS = [
  "const fs = require('fs');",
  "const path = require('path');",
  'const n = Number(process.argv[2]);',
  "if (process.env.RUNLOG) fs.appendFileSync(process.env.RUNLOG, process.env.RX_STAGE + '\\n');",
  'const files = [];',
  "const walk = (d) => { for (const e of fs.readdirSync(d, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) { const p = d + '/' + e.name; if (e.isDirectory()) walk(p); else files.push(p); } };",
  "walk('data');",
  "fs.mkdirSync('out/dir', { recursive: true });",
  'let total = 0;',
  'for (const f of files) {',
  '  const b = fs.readFileSync(f);',
  '  total += b.length;',
  "  const rel = f.slice('data/'.length).split('/').join('__');",
  "  fs.writeFileSync('out/dir/' + rel + '.x' + n, Buffer.concat([Buffer.from('n=' + n + '\\n'), ...Array(n).fill(b)]));",
  '}',
  "fs.writeFileSync('out/dir/count', files.length + ' files\\n');",
  "fs.writeFileSync('metrics.json', JSON.stringify({ n: n, files: files.length, bytes: total }) + '\\n');",
  '',
].join('\n');

const paramsText = (n: number) => `p:\n  n: ${n}\n`;

/** rx.yaml with one stage: cached out/dir and uncached metrics.json from data/ and p.n; repro'd and committed. */
function pipelineProject(t: TestLike) {
  const dir = useProject(t);
  const runlog = path.join(useTempDir(t), 'runs.log');
  writeTree(dir, {
    'data/a.txt': 'alpha\n',
    'data/b.bin': pseudoBytes(20_000, 905),
    'data/sub/c.txt': 'gamma\n',
    'scripts/build.js': BUILD_JS,
    'params.yaml': paramsText(1),
    'rx.yaml': pipelineYaml({
      build: { cmd: 'node scripts/build.js ${p.n}', deps: ['data', 'scripts/build.js'], params: ['p.n'], outs: ['out/dir'], metrics: [{ path: 'metrics.json', cache: false }] },
    }),
  });
  const add = rx(dir, ['add', 'data']);
  if (add.code !== 0) throw new Error(add.stderr);
  const rep = rx(dir, ['repro'], { RUNLOG: runlog });
  if (rep.code !== 0) throw new Error(rep.stderr);
  commitAll(dir, 'pipeline');
  const runs = () => (existsSync(runlog) ? readFileSync(runlog, 'utf8').split('\n').filter(Boolean) : []);
  const clearRuns = () => writeFileSync(runlog, '');
  return { dir, runlog, runs, clearRuns, env: { RUNLOG: runlog } };
}

const lockNamed = (dir: string) => lockOutputs(readFileSync(at(dir, 'rx.lock'), 'utf8'));

t.test('gc --workspace and gc --all-commits keep every object rx.lock names', async (t) => {
  const { dir } = pipelineProject(t);
  const named = lockNamed(dir);
  t.same(named.map((n) => n.path).sort(), ['metrics.json', 'out/dir'], 'the lock names the cached dir and the uncached metrics');
  t.same(storeProblems(dir, named), [], 'before gc every locked object is in the store');
  const outSnap = snapshotTree(at(dir, 'out/dir'));
  for (const scope of ['--workspace', '--all-commits']) {
    const g = rx(dir, ['gc', scope, '--json']);
    t.equal(g.code, 0, `rx gc ${scope}: exit 0\n${g.stderr}`);
    t.same(storeProblems(dir, named), [], `after gc ${scope} every object rx.lock names (cached or not, manifests and entries) is intact`);
    rmSync(at(dir, 'out/dir'), { recursive: true, force: true });
    const co = rx(dir, ['checkout', '--json']);
    t.equal(co.code, 0, `rx checkout after gc ${scope}: exit 0\n${co.stderr}`);
    if (co.code === 0) t.same(parseOutput('checkout', co).unrestorable, [], 'nothing unrestorable');
    t.same(existsSync(at(dir, 'out/dir')) ? snapshotTree(at(dir, 'out/dir')) : 'missing', outSnap, `out/dir restored after gc ${scope}`);
    fsckClean(t, dir, `after gc ${scope}`);
  }
  t.equal(rx(dir, ['status', '--exit-code']).code, 0, 'status clean');
});

t.test('gc --workspace keeps run-cache entries: the stage restores from the run cache instead of re-running', async (t) => {
  const { dir, runs, clearRuns, env } = pipelineProject(t);
  const snap1 = snapshotTree(at(dir, 'out/dir'));
  const metrics1 = readFileSync(at(dir, 'metrics.json'));
  writeTree(dir, { 'params.yaml': paramsText(2) });
  clearRuns();
  t.equal(rx(dir, ['repro'], env).code, 0);
  t.same(runs(), ['build'], 'p.n=2 ran');
  writeTree(dir, { 'params.yaml': paramsText(1) });
  const g = rx(dir, ['gc', '--workspace', '--json']);
  t.equal(g.code, 0, `rx gc --workspace: exit 0\n${g.stderr}`);
  clearRuns();
  const r = rx(dir, ['repro'], env);
  t.equal(r.code, 0, r.stderr);
  t.match(r.stdout + r.stderr, /restored from run cache/, 'rx repro says restored from run cache');
  t.same(runs(), [], 'the command did not run');
  t.same(snapshotTree(at(dir, 'out/dir')), snap1, 'out/dir is the p.n=1 output');
  t.ok(readFileSync(at(dir, 'metrics.json')).equals(metrics1), 'metrics.json is the p.n=1 metrics');
  t.equal(gitOut(dir, ['status', '--porcelain']), '', 'the workspace is the committed one again (rx.lock byte for byte)');
  fsckClean(t, dir, 'after the restore');
});

t.test('gc --workspace --all-experiments keeps what experiment refs name', async (t) => {
  const { dir } = pipelineProject(t);
  const e = rx(dir, ['exp', 'run', '-S', 'p.n=3', '-n', 'e1', '--json']);
  t.equal(e.code, 0, e.stderr);
  const ref = (JSON.parse(e.stdout) as { ref: string }).ref;
  const expNamed = lockOutputs(gitOut(dir, ['show', `${ref}:rx.lock`]), `${ref}:rx.lock`);
  t.same(storeProblems(dir, expNamed), [], "the experiment's outputs are in the store");
  const g = rx(dir, ['gc', '--workspace', '--all-experiments', '--json']);
  t.equal(g.code, 0, `rx gc --workspace --all-experiments: exit 0\n${g.stderr}`);
  t.same(storeProblems(dir, expNamed), [], "after gc the experiment's outputs are intact");
  const a = rx(dir, ['exp', 'apply', 'e1']);
  t.equal(a.code, 0, `rx exp apply e1: exit 0\n${a.stderr}`);
  const co = rx(dir, ['checkout', '--json']);
  t.equal(co.code, 0, `rx checkout after exp apply: exit 0 (not 6)\n${co.stderr}`);
  if (co.code === 0) t.same(parseOutput('checkout', co).unrestorable, [], 'nothing unrestorable');
  t.same(workspaceMismatches(dir, lockNamed(dir)), [], "the workspace holds the experiment's outputs, not a mix of two revisions");
  t.match(JSON.parse(readFileSync(at(dir, 'metrics.json'), 'utf8')), { n: 3 });
  t.match(readFileSync(at(dir, 'out/dir/a.txt.x3'), 'utf8'), /^n=3\n/);
  t.notOk(existsSync(at(dir, 'out/dir/a.txt.x1')), 'no file of the baseline output left');
});

t.test('temp files a killed rx left beside its writes are removed by the next checkout and repro', async (t) => {
  const dir = useProject(t);
  writeTree(dir, { 'data/a': 'a\n', 'data/b': 'b\n' });
  rxJson(dir, 'add', ['add', 'data']);
  // Names as rx's atomic writes make them, with a pid that is not running.
  writeFileSync(path.join(dir, 'data/.b.999999.3.tmp'), 'half a copy');
  writeFileSync(path.join(dir, '.rx.lock.999999.1.tmp'), 'half a lock');
  const r = rx(dir, ['checkout']);
  t.equal(r.code, 0, 'no conflict with unsaved data');
  t.notOk(existsSync(path.join(dir, 'data/.b.999999.3.tmp')), 'the copy temp is gone');
  t.same(readdirSync(path.join(dir, 'data')).sort(), ['a', 'b']);
  writeTree(dir, { 'rx.yaml': 'schema: 1\nstages:\n  s:\n    cmd: echo hi > out.txt\n    outs: [out.txt]\n' });
  t.equal(rx(dir, ['repro']).code, 0);
  t.notOk(existsSync(path.join(dir, '.rx.lock.999999.1.tmp')), 'the lock temp is gone');
  writeFileSync(path.join(dir, `.keep.${process.pid}.1.tmp`), 'a live process');
  t.equal(rx(dir, ['repro']).code, 0);
  t.ok(existsSync(path.join(dir, `.keep.${process.pid}.1.tmp`)), 'a live process keeps its temp');
});

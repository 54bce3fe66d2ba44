// The store-safety promise over a whole history (issue 9, "What must be shown"): a tracked
// directory edited in place (appends, same-size overwrites with the mtime put back, `cp`
// over a file, open(f, 'w') truncations, old content written back into a file), replaced,
// grown and shrunk across 10 commits, with a two-stage pipeline reading it (a cached output
// directory, a cached output file and an uncached metrics file) and two experiments on
// different baselines. Then `rx gc --all-commits --all-experiments`, after which:
//   - every object any commit or experiment names (pointers and rx.lock outputs, through
//     their manifests) is in the store and hashes to its name, and the garbage is gone;
//   - `rx fsck` and `git fsck --strict` are clean;
//   - `rx repro --rev` of every commit and experiment is bitwise, HEAD and the index untouched;
//   - checking each commit out (git, then rx checkout) gives back exactly the data that was
//     committed and the outputs its rx.lock records; each experiment applies the same way.
// Runs as root like CI (where read-only modes protect nothing), on the config rx init writes.
import t from 'tap';
import { appendFileSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { rx, writeTree, gitFsckStrict, type RunResult } from '../../fixtures/project.js';
import { useProject, useTempDir, replaceFile, snapshotTree, pseudoBytes, parseOutput } from '../../fixtures/e2e.js';
import { pipelineYaml, outputOf, repoState, revDirs, gitOut, rxOut, type RevRepro } from '../../fixtures/history.js';
import {
  sh,
  sameSizeEditKeepingMtime,
  objectsOfRev,
  pointerObject,
  lockOutputs,
  storeProblems,
  workspaceMismatches,
  describedSnapshot,
  contentOnly,
  fsckJson,
  type NamedObject,
} from '../../fixtures/store-safety.js';

const at = (dir: string, rel: string) => path.join(dir, ...rel.split('/'));

/** Stage `summarize`: one line per data file (its sha256, size, lines, size * scale), in place over an earlier run's files. */
const SUMMARIZE_JS = `const fs = require('fs');
const path = require('path');
const crypto = require('crypto');
const scale = Number(process.argv[2]);
const walk = (d, out) => {
  for (const e of fs.readdirSync(d, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    const p = d + '/' + e.name;
    if (e.isDirectory()) walk(p, out);
    else out.push(p);
  }
  return out;
};
const files = walk('data', []);
const written = new Set();
let bytes = 0;
let lines = 0;
for (const f of files) {
  const b = fs.readFileSync(f);
  const n = b.toString('latin1').split('\\n').length - 1;
  bytes += b.length;
  lines += n;
  const out = 'out/summary/' + f.slice('data/'.length) + '.sum';
  fs.mkdirSync(path.dirname(out), { recursive: true });
  // Written in place when an earlier run left the file: must never reach a stored version.
  fs.writeFileSync(out, crypto.createHash('sha256').update(b).digest('hex') + ' ' + b.length + ' ' + n + ' ' + b.length * scale + '\\n');
  written.add(out);
}
const prune = (d) => {
  for (const e of fs.readdirSync(d, { withFileTypes: true })) {
    const p = d + '/' + e.name;
    if (e.isDirectory()) {
      prune(p);
      if (fs.readdirSync(p).length === 0) fs.rmdirSync(p);
    } else if (!written.has(p)) fs.unlinkSync(p);
  }
};
prune('out/summary');
fs.writeFileSync('metrics.json', JSON.stringify({ files: files.length, bytes: bytes, lines: lines, score: bytes * scale }, null, 2) + '\\n');
`;

const RX_YAML = pipelineYaml({
  summarize: {
    cmd: 'node scripts/summarize.js ${p.scale}',
    deps: ['data', 'scripts/summarize.js'],
    params: ['p.scale'],
    outs: ['out/summary'],
    metrics: [{ path: 'metrics.json', cache: false }],
  },
  report: { cmd: 'find out/summary -type f | LC_ALL=C sort | xargs cat > out/report.txt', deps: ['out/summary'], outs: ['out/report.txt'] },
});

const paramsYaml = (scale: number) => `p:\n  scale: ${scale}\n`;
const lines = (word: string, n: number) => Array.from({ length: n }, (_, i) => `${word} ${i}`).join('\n') + '\n';

interface Step {
  name: string;
  sha: string;
  /** The bytes in data/ when it was committed. */
  data: Record<string, { sha256: string; size: number }>;
  lock: string;
}

interface Experiment {
  name: string;
  baseline: string;
  commit: string;
  ref: string;
  lock: string;
}

function must(r: RunResult, what: string): RunResult {
  if (r.code !== 0) throw new Error(`${what} failed (${r.code}):\n${r.stderr}${r.stdout}`);
  return r;
}

const dir = useProject(t);
const scratch = useTempDir(t);
const steps: Step[] = [];
const exps: Experiment[] = [];
const B1 = lines('bravo', 50);
const P1 = pseudoBytes(48 * 1024, 11);

t.test('a tracked directory edited in place, replaced, grown and shrunk across 10 commits', async (t) => {
  const d = (rel: string) => at(dir, `data/${rel}`);
  const link = (parseYaml(readFileSync(at(dir, '.rx/config.yaml'), 'utf8')) as { link?: string[] }).link;
  t.notOk(link?.includes('hardlink'), `the link order rx init writes has no hardlink: ${JSON.stringify(link)}`);
  const commit = (name: string, edit: () => void) => {
    edit();
    must(rx(dir, ['add', 'data']), `rx add data (${name})`);
    must(rx(dir, ['repro']), `rx repro (${name})`);
    gitOut(dir, ['add', '-A']);
    gitOut(dir, ['commit', '-q', '--allow-empty', '-m', name]); // empty only if rx add missed the edit (asserted below)
    const data = contentOnly(snapshotTree(at(dir, 'data')));
    const pointer = pointerObject('data.rx', readFileSync(at(dir, 'data.rx'), 'utf8'));
    t.same(describedSnapshot(dir, pointer), data, `${name}: data.rx names exactly the bytes in data/ (rx add saw the edit)`);
    const prev = steps[steps.length - 1];
    if (prev) t.not(JSON.stringify(data), JSON.stringify(prev.data), `${name}: data/ differs from the previous commit`);
    steps.push({ name, sha: gitOut(dir, ['rev-parse', 'HEAD']), data, lock: readFileSync(at(dir, 'rx.lock'), 'utf8') });
    t.same(workspaceMismatches(dir, lockOutputs(steps[steps.length - 1]!.lock)), [], `${name}: the workspace outputs are what rx.lock records`);
  };
  const experiment = (name: string, scale: number) => {
    const r = rxOut<{ name: string; ref: string; commit: string; baseline: string; failed: string[] }>(dir, 'exp-run', ['exp', 'run', '-S', `p.scale=${scale}`, '-n', name]);
    t.equal(r.code, 0, `rx exp run ${name}\n${r.stderr}`);
    t.same(r.json.failed, []);
    exps.push({ name, baseline: r.json.baseline, commit: r.json.commit, ref: r.json.ref, lock: gitOut(dir, ['show', `${r.json.ref}:rx.lock`]) });
  };

  commit('c1 initial data and pipeline', () =>
    writeTree(dir, {
      'data/a.txt': lines('alpha', 200),
      'data/b.txt': B1,
      'data/img/p0.bin': pseudoBytes(48 * 1024, 10),
      'data/img/p1.bin': P1,
      'data/img/p2.bin': pseudoBytes(48 * 1024 + 3, 12),
      'data/empty': '',
      'scripts/summarize.js': SUMMARIZE_JS,
      'params.yaml': paramsYaml(2),
      'rx.yaml': RX_YAML,
    }),
  );
  commit('c2 appended in place', () => {
    appendFileSync(d('a.txt'), 'alpha appended\n');
    sh(dir, 'echo more >> data/b.txt');
  });
  commit('c3 same-size overwrite in place, mtime put back', () => {
    sameSizeEditKeepingMtime(d('img/p1.bin'), [0, 100, 40_000, P1.length - 1]);
  });
  commit('c4 files replaced', () => {
    replaceFile(d('b.txt'), lines('bravo replaced', 30));
    replaceFile(d('img/p0.bin'), pseudoBytes(48 * 1024, 13));
  });
  experiment('e1', 3);
  commit('c5 grown', () => {
    writeTree(dir, { 'data/img/p3.bin': pseudoBytes(64 * 1024, 14), 'data/new/deep/x.txt': 'deep\n' });
    appendFileSync(d('empty'), 'no longer empty\n');
  });
  commit('c6 shrunk: files removed, a file truncated in place', () => {
    rmSync(d('img/p2.bin'));
    rmSync(d('new'), { recursive: true });
    writeFileSync(d('a.txt'), 'alpha short\n', { flag: 'w' });
  });
  commit('c7 cp over a file, scale 4', () => {
    const other = path.join(scratch, 'other.txt');
    writeFileSync(other, lines('charlie', 80));
    sh(dir, `cp ${JSON.stringify(other)} data/b.txt`);
    writeTree(dir, { 'params.yaml': paramsYaml(4) });
  });
  commit('c8 old contents written back in place', () => {
    writeFileSync(d('b.txt'), B1, { flag: 'w' });
    writeFileSync(d('img/p1.bin'), P1, { flag: 'r+' });
  });
  commit('c9 a subdirectory replaced wholesale', () => {
    rmSync(d('img'), { recursive: true });
    writeTree(dir, { 'data/img/p0.bin': pseudoBytes(32 * 1024, 15), 'data/img/q.bin': pseudoBytes(80 * 1024 + 1, 16) });
  });
  commit('c10 grown in place and a same-size edit', () => {
    appendFileSync(d('a.txt'), lines('alpha grown', 2000));
    sameSizeEditKeepingMtime(d('img/q.bin'), [1, 65_536]);
  });
  experiment('e2', 5);
  t.equal(steps.length, 10);
  t.equal(exps.length, 2);
  t.equal(gitOut(dir, ['status', '--porcelain']), '', 'the working tree is clean');
});

const allNamed = (): NamedObject[] => [...steps.map((s) => s.sha), ...exps.map((e) => e.commit)].flatMap((rev) => objectsOfRev(dir, rev));

t.test('gc --all-commits --all-experiments keeps everything any commit or experiment names, removes the rest', async (t) => {
  t.same(storeProblems(dir, allNamed()), [], 'before gc: every named object is intact');
  // Garbage: data added and never committed.
  writeTree(dir, { 'junk.bin': pseudoBytes(10_000, 99) });
  const junk = rx(dir, ['add', 'junk.bin', '--json']);
  t.equal(junk.code, 0);
  const junkHash = parseOutput('add', junk).added[0].hash as string;
  rmSync(at(dir, 'junk.bin'));
  rmSync(at(dir, 'junk.bin.rx'));
  gitOut(dir, ['checkout', '--', '.gitignore']);

  const g = rx(dir, ['gc', '--all-commits', '--all-experiments', '--json']);
  t.equal(g.code, 0, `rx gc --all-commits --all-experiments: exit 0\n${g.stderr}`);
  if (g.code === 0) {
    const out = parseOutput('gc', g);
    t.ok(out.scopes.includes('all-commits') && out.scopes.includes('all-experiments'), `scopes ${JSON.stringify(out.scopes)}`);
    t.ok(out.removed.includes(junkHash), 'the uncommitted object is removed');
    t.ok(out.commitsScanned >= 10, `every commit scanned (${out.commitsScanned})`);
  }
  t.same(storeProblems(dir, allNamed()), [], 'after gc: every object a commit or experiment names (pointers, rx.lock outputs, manifest entries) is intact');
  const f = fsckJson(dir);
  t.same({ code: f.code, corrupt: f.json.corrupt, missing: f.json.missing, dangling: f.json.dangling }, { code: 0, corrupt: [], missing: [], dangling: [] }, 'rx fsck is clean');
  const gf = gitFsckStrict(dir);
  t.equal(gf.code, 0, `git fsck --strict is clean\n${gf.stdout}${gf.stderr}`);
});

t.test('repro --rev of every commit and experiment: bitwise; HEAD, index and refs untouched', async (t) => {
  const before = repoState(dir);
  const revs = [...steps.map((s) => [s.name, s.sha] as const), ...exps.map((e) => [`experiment ${e.name}`, e.commit] as const)];
  t.equal(revs.length, 12);
  for (const [name, sha] of revs) {
    // Exit 1 is a verdict (diverged); anything else is an error document (e.g. exit 6: an object gone or corrupt).
    const r = rx(dir, ['repro', '--rev', sha, '--json']);
    t.equal(r.code, 0, `${name}: exit 0\n${r.stderr}`);
    if (r.code !== 0 && r.code !== 1) continue;
    const v = outputOf<RevRepro>('repro-rev', r);
    t.equal(v.commit, sha);
    t.equal(v.verdict, 'bitwise', `${name}: bitwise ${JSON.stringify(v.stages.filter((x) => x.verdict !== 'bitwise'))}`);
    t.equal(v.lockIdentical, true, `${name}: rx.lock rewritten byte for byte`);
    t.same(v.failed, [], `${name}: nothing failed`);
  }
  t.same(repoState(dir), before, 'HEAD, index, status and refs unchanged');
  t.same(revDirs(dir), [], 'no directory left under .rx/tmp/rev');
  const f = fsckJson(dir);
  t.same({ code: f.code, corrupt: f.json.corrupt, missing: f.json.missing }, { code: 0, corrupt: [], missing: [] }, 'rx fsck still clean');
});

t.test('every commit checks out to the data it committed and the outputs its lock records; experiments apply', async (t) => {
  const main = gitOut(dir, ['symbolic-ref', '--short', 'HEAD']);
  for (const s of steps) {
    gitOut(dir, ['checkout', '-q', '-f', '--detach', s.sha]);
    const co = rx(dir, ['checkout', '-f', '--json']);
    t.equal(co.code, 0, `${s.name}: rx checkout -f exit 0\n${co.stderr}`);
    if (co.code === 0) t.same(parseOutput('checkout', co).unrestorable, [], `${s.name}: nothing unrestorable`);
    t.same(contentOnly(snapshotTree(at(dir, 'data'))), s.data, `${s.name}: data/ is byte for byte what was committed`);
    t.same(workspaceMismatches(dir, lockOutputs(s.lock)), [], `${s.name}: the outputs are what its rx.lock records`);
    for (const e of exps.filter((x) => x.baseline === s.sha)) {
      const a = rx(dir, ['exp', 'apply', e.name]);
      t.equal(a.code, 0, `experiment ${e.name}: rx exp apply exit 0\n${a.stderr}`);
      const c2 = rx(dir, ['checkout', '--json']);
      t.equal(c2.code, 0, `experiment ${e.name}: rx checkout exit 0\n${c2.stderr}`);
      t.same(workspaceMismatches(dir, lockOutputs(e.lock)), [], `experiment ${e.name}: the outputs are the experiment's`);
      t.equal(readFileSync(at(dir, 'metrics.json'), 'utf8'), gitOut(dir, ['show', `${e.commit}:metrics.json`]) + '\n', `experiment ${e.name}: its metrics`);
    }
  }
  gitOut(dir, ['checkout', '-q', '-f', main]);
  t.equal(rx(dir, ['checkout', '-f']).code, 0);
  t.equal(rx(dir, ['status', '--exit-code']).code, 0, 'back at the last commit: rx status clean');
  t.ok(existsSync(at(dir, 'out/report.txt')));
});

// rx status: per tracked path, unchanged / modified (with the file changes of a directory) /
// missing in the workspace / missing in the store, plus ignored data no pointer tracks;
// --exit-code gives 1 whenever anything is not up to date.
import t from 'tap';
import { rmSync, chmodSync, readFileSync, utimesSync, existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { rx, writeTree, pseudoRandomBytes, rxEnv, RX_BIN } from '../../fixtures/project.js';
import { useProject, rxJson, parseOutput, replaceFile, objectPath, sha256Hex, type TestLike } from '../../fixtures/e2e.js';

interface Entry {
  path: string;
  state: string;
  pointer?: string;
  hash?: string;
  changes?: { added: string[]; modified: string[]; deleted: string[] };
  missingObjects?: number;
}

/** Tracked data under root: data/ (a nested directory) and model.bin (a file), contents unique to salt. */
function trackedTree(root: string, salt: number): void {
  writeTree(root, {
    'data/a.txt': `alpha ${salt}\n`,
    'data/empty': '',
    'data/sub/b.txt': `beta ${salt}\n`,
    'data/sub/deep/c.bin': pseudoRandomBytes(20_000, 4 + salt * 2),
    'model.bin': pseudoRandomBytes(5000, 5 + salt * 2),
  });
}

/** A project tracking data/ and model.bin at its root. */
function trackedProject(t: TestLike): { dir: string; hashes: { data: string; model: string } } {
  const dir = useProject(t);
  trackedTree(dir, 0);
  const out = rxJson(dir, 'add', ['add', 'data', 'model.bin']);
  return { dir, hashes: { data: out.added[0].hash, model: out.added[1].hash } };
}

const at = (dir: string, rel: string) => path.join(dir, ...rel.split('/'));
const noChanges = { added: [], modified: [], deleted: [] };

interface Scenario {
  name: string;
  /** Changes the scenario's root (its own data/ and model.bin); salt makes its contents unique. */
  change: (root: string, h: { data: string; model: string }, salt: number, project: string) => void;
  /** Expected entries by path relative to the scenario's root; unnamed paths are expected unchanged. */
  expect: Record<string, Partial<Entry>>;
}

const scenarios: Scenario[] = [
  { name: 'nothing changed', change: () => {}, expect: {} },
  {
    name: 'a modified file in a nested directory',
    change: (root) => replaceFile(at(root, 'data/sub/b.txt'), 'BETA\n'),
    expect: { data: { state: 'modified', changes: { ...noChanges, modified: ['sub/b.txt'] } } },
  },
  {
    name: 'added, deleted and modified files at once',
    change: (root) => {
      writeTree(root, { 'data/sub/new.txt': 'new', 'data/newdir/x': '' });
      rmSync(at(root, 'data/sub/deep/c.bin'));
      replaceFile(at(root, 'data/empty'), 'no longer empty');
    },
    expect: { data: { state: 'modified', changes: { added: ['newdir/x', 'sub/new.txt'], modified: ['empty'], deleted: ['sub/deep/c.bin'] } } },
  },
  {
    name: 'an exec bit set on a file in a directory',
    change: (root) => chmodSync(at(root, 'data/sub/b.txt'), 0o755),
    expect: { data: { state: 'modified', changes: { ...noChanges, modified: ['sub/b.txt'] } } },
  },
  { name: 'a modified tracked file', change: (root) => replaceFile(at(root, 'model.bin'), 'other'), expect: { 'model.bin': { state: 'modified' } } },
  { name: 'an exec bit set on a tracked file', change: (root) => chmodSync(at(root, 'model.bin'), 0o755), expect: { 'model.bin': { state: 'modified' } } },
  { name: 'a deleted directory', change: (root) => rmSync(at(root, 'data'), { recursive: true }), expect: { data: { state: 'missing-workspace' } } },
  { name: 'a deleted file', change: (root) => rmSync(at(root, 'model.bin')), expect: { 'model.bin': { state: 'missing-workspace' } } },
  {
    name: "a tracked file's object deleted from the store",
    change: (_root, h, _salt, project) => rmSync(objectPath(project, h.model)),
    expect: { 'model.bin': { state: 'missing-store', missingObjects: 1 } },
  },
  {
    name: "a directory's manifest deleted from the store",
    change: (_root, h, _salt, project) => rmSync(objectPath(project, h.data)),
    expect: { data: { state: 'missing-store' } },
  },
  {
    // With the stat cache vouching, status reads nothing and checks only the manifest (by
    // design: a no-op status stays close to an lstat loop); without it, every object.
    name: "a directory's file object deleted from the store (stat cache dropped)",
    change: (_root, _h, salt, project) => {
      rmSync(objectPath(project, `sha256:${sha256Hex(`beta ${salt}\n`)}`));
      rmSync(at(project, '.rx/tmp/stat'), { recursive: true, force: true });
    },
    expect: { data: { state: 'missing-store', missingObjects: 1 } },
  },
  {
    name: 'a deleted pointer file with the data kept',
    change: (root) => rmSync(at(root, 'data.rx')),
    expect: { data: { state: 'untracked-ignored', pointer: undefined, hash: undefined } },
  },
];

// Every scenario in one project, each in its own directory with its own contents, so one
// status call shows them side by side (and none can hide another's problem).
t.test('status reports each kind of change', async (t) => {
  const dir = useProject(t);
  const roots = scenarios.map((_, i) => `s${String(i).padStart(2, '0')}`);
  roots.forEach((r, i) => trackedTree(at(dir, r), i));
  const added = rxJson(dir, 'add', ['add', ...roots.flatMap((r) => [`${r}/data`, `${r}/model.bin`])]).added;
  scenarios.forEach((s, i) => s.change(at(dir, roots[i]!), { data: added[2 * i].hash, model: added[2 * i + 1].hash }, i, dir));

  const r = rx(dir, ['status', '--json']);
  t.equal(r.code, 0, 'without --exit-code, differences are not an error');
  const out = parseOutput<{ clean: boolean; entries: Entry[] }>('status', r);
  t.equal(out.clean, false);
  const byPath = new Map(out.entries.map((e) => [e.path, e]));
  t.same([...byPath.keys()], [...byPath.keys()].sort(), 'entries sorted by path');
  t.equal(out.entries.length, 2 * scenarios.length, 'one entry per tracked path');
  scenarios.forEach((s, i) => {
    const root = roots[i]!;
    t.test(s.name, async (t) => {
      const expect: Record<string, Partial<Entry>> = { data: { state: 'unchanged' }, 'model.bin': { state: 'unchanged' }, ...s.expect };
      for (const [rel, want] of Object.entries(expect)) {
        const p = `${root}/${rel}`;
        const e = byPath.get(p);
        t.ok(e, `entry for ${p}`);
        if (!e) continue;
        for (const [k, v] of Object.entries(want)) {
          if (v === undefined) t.notOk(k in e, `${p}: no ${k}`);
          else t.same(e[k as keyof Entry], v, `${p}: ${k}`);
        }
        if (want.state !== 'untracked-ignored') t.equal(e.pointer, `${p}.rx`);
        if (want.state === 'unchanged' || want.state === 'missing-workspace') t.equal(e.hash, added[2 * i + (rel === 'data' ? 0 : 1)].hash);
      }
    });
  });

  const again = rx(dir, ['status', '--json', '--exit-code']);
  t.equal(again.code, 1, '--exit-code: 1 when anything is not up to date');
  t.same(parseOutput('status', again), out, 'a second status reports the same (refreshing the stat cache hides nothing)');
  const unchanged = rx(dir, ['status', `${roots[0]}/data`, `${roots[0]}/model.bin.rx`, '--json', '--exit-code']);
  t.equal(unchanged.code, 0, '--exit-code: 0 when the named paths are up to date');
  t.same(parseOutput('status', unchanged).entries.map((e: Entry) => e.path), [`${roots[0]}/data`, `${roots[0]}/model.bin`], 'PATH arguments limit the report');
  t.same(parseOutput('status', rx(dir, ['status', roots[1]!, '--json'])).entries.map((e: Entry) => e.state), ['modified', 'unchanged'], 'a directory argument means the pointers below it');
});

t.test('status after rx add of the changes is clean again', async (t) => {
  const { dir } = trackedProject(t);
  replaceFile(at(dir, 'data/sub/b.txt'), 'changed');
  chmodSync(at(dir, 'data/a.txt'), 0o755);
  t.equal(rx(dir, ['status', '--exit-code']).code, 1);
  t.equal(rx(dir, ['add', 'data']).code, 0);
  t.equal(rx(dir, ['status', '--exit-code']).code, 0);
  const pointer = parseYaml(readFileSync(at(dir, 'data.rx'), 'utf8'));
  t.equal(parseOutput('status', rx(dir, ['status', '--json'])).entries[0].hash, pointer.hash);
});

t.test('status with no tracked data', async (t) => {
  const dir = useProject(t);
  const out = rxJson(dir, 'status', ['status']);
  t.equal(out.clean, true);
  t.same(out.entries, []);
  t.equal(rx(dir, ['status', '--exit-code']).code, 0);
});

t.test('status for people: one line per path that is not up to date, with the file changes', async (t) => {
  const { dir } = trackedProject(t);
  replaceFile(at(dir, 'data/sub/b.txt'), 'BETA\n');
  writeTree(dir, { 'data/new.txt': 'n' });
  rmSync(at(dir, 'model.bin'));
  const r = rx(dir, ['status']);
  t.equal(r.code, 0);
  t.match(r.stdout, /modified:\s+data\n/);
  t.match(r.stdout, /added\s+new\.txt/);
  t.match(r.stdout, /modified\s+sub\/b\.txt/);
  t.match(r.stdout, /missing in workspace:\s+model\.bin/);
  t.equal(r.stderr, '');
});

// ---------------------------------------------------------------- progress of a cold status

/** A project tracking 250 files (more than a bar waits for), and a way to make its stat cache stale. */
function coldProject(t: TestLike): { dir: string; makeCold: () => void } {
  const dir = useProject(t);
  const files: Record<string, Buffer> = {};
  for (let i = 0; i < 250; i++) files[`data/f${i}.bin`] = pseudoRandomBytes(400, i + 1);
  writeTree(dir, files);
  t.equal(rx(dir, ['add', 'data']).code, 0);
  let round = 0;
  const makeCold = () => {
    const when = new Date(Date.UTC(2030, 0, 1, 0, 0, (round += 1)));
    for (const rel of Object.keys(files)) utimesSync(at(dir, rel), when, when);
  };
  return { dir, makeCold };
}

/** Bytes a progress bar draws: carriage returns and escape sequences, or its label. */
const drawsProgress = (text: string) => /[\r\u001b]|hashing/.test(text);

t.test('a cold status draws no progress when stderr is not a terminal', async (t) => {
  const { dir, makeCold } = coldProject(t);
  for (const args of [['status'], ['status', '-q'], ['status', '--json']]) {
    makeCold();
    const r = rx(dir, args);
    t.equal(r.code, 0, args.join(' '));
    t.notOk(drawsProgress(r.stderr), `rx ${args.join(' ')}: no progress on a pipe: ${JSON.stringify(r.stderr)}`);
  }
});

const SCRIPT = ['/usr/bin/script', '/bin/script'].find((p) => existsSync(p));

t.test('on a terminal a cold status shows hashing progress, except under -q or --json', { skip: SCRIPT ? false : 'no script(1) for a pseudo-terminal' }, async (t) => {
  const { dir, makeCold } = coldProject(t);
  /** rx run on a pseudo-terminal by script(1); what the terminal showed (stdout and stderr). */
  const onTerminal = (args: string[]) => {
    makeCold();
    const command = [process.execPath, RX_BIN, ...args].map((w) => `'${w}'`).join(' ');
    const r = spawnSync(SCRIPT!, ['-qec', command, '/dev/null'], { cwd: dir, encoding: 'utf8', env: rxEnv() });
    t.equal(r.status, 0, `rx ${args.join(' ')} on a terminal: ${r.stderr}`);
    return r.stdout;
  };
  t.match(onTerminal(['status']), /hashing/, 'the bar of a cold status');
  t.notMatch(onTerminal(['status', '-q']), /hashing/, 'nothing under -q');
  t.notMatch(onTerminal(['status', '--json']), /hashing/, 'nothing under --json');
  // Warm: the stat cache vouches for every file, nothing to hash, no bar.
  const warm = spawnSync(SCRIPT!, ['-qec', `'${process.execPath}' '${RX_BIN}' status`, '/dev/null'], { cwd: dir, encoding: 'utf8', env: rxEnv() });
  t.notMatch(warm.stdout, /hashing/, 'nothing when the cache is warm');
});

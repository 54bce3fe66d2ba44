// Crash safety of rx add: SIGKILL at seeded progress points, each the moment a seeded share of
// a seeded sample of the objects the add must store has reached the store (so kills land in
// start-up, hashing, storing and beside writers mid-file, whatever the machine's speed). After
// every kill the store is consistent (no corrupt object, no pointer naming a missing object),
// the workspace holds exactly the user's files, and a re-run completes with the hash an
// uninterrupted add gives the same tree elsewhere. Kills in the short phases after the last
// object (pointer and .gitignore writes) are aimed at in kill-safety.ts.
import t from 'tap';
import { rmSync, chmodSync, existsSync, readFileSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { rx, type RunResult } from '../../fixtures/project.js';
import { useProject, rxJson, rxAsync, parseOutput, snapshotTree, expectedSnapshot, writeFiles, pseudoBytes, seededRandom, objectPath, sha256Hex, type TreeFile } from '../../fixtures/e2e.js';

const SEED = 20260101;
const KILLS = 6;

/** A few thousand small files (empty, duplicate, executable ones among them) and three large ones. */
function crashTree(): TreeFile[] {
  const rand = seededRandom(SEED);
  const files: TreeFile[] = [];
  for (let i = 0; i < 2500; i++) {
    const size = i % 97 === 0 ? 0 : Math.floor(rand() * 4096);
    // Every 8th file repeats an earlier file's content: those are relinked to the one object.
    const content = i % 8 === 7 ? files[i - 5]!.content : pseudoBytes(size, SEED + i);
    files.push({ rel: `shard-${i % 13}/part-${i % 7}/sample-${String(i).padStart(5, '0')}.bin`, content, exec: i % 61 === 0 });
  }
  for (const [i, mib] of [4, 8, 16].entries()) files.push({ rel: `large/blob-${i}.bin`, content: pseudoBytes(mib * 1024 * 1024, SEED * 7 + i), exec: false });
  return files;
}

/** n items of list, chosen by a seeded shuffle. */
function seededSample<T>(list: T[], n: number, seed: number): T[] {
  const rand = seededRandom(seed);
  const copy = [...list];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [copy[i], copy[j]] = [copy[j]!, copy[i]!];
  }
  return copy.slice(0, n);
}

interface FsckOut {
  checked: number;
  total: number;
  corrupt: unknown[];
  missing: unknown[];
  dangling: unknown[];
}

t.test('rx add killed at random moments leaves a consistent store, and the re-run completes', async (t) => {
  const files = crashTree();
  const expected = expectedSnapshot(files);

  // Reference: an uninterrupted add of the same tree in a separate project.
  const ref = useProject(t);
  writeFiles(path.join(ref, 'data'), files);
  const refAdd = rxJson(ref, 'add', ['add', 'data']).added[0];
  t.equal(refAdd.nfiles, files.length);

  const dir = useProject(t);
  const data = path.join(dir, 'data');
  writeFiles(data, files);
  /** Back to a never-added state: store, temp files, pointer and ignore entry gone, modes as written. */
  const reset = () => {
    for (const p of ['.rx/cache', '.rx/tmp', 'data.rx', '.gitignore']) rmSync(path.join(dir, p), { recursive: true, force: true });
    for (const f of files) chmodSync(path.join(data, ...f.rel.split('/')), f.exec ? 0o755 : 0o644);
  };
  // The store paths of the file objects the add must create (empty content aside).
  const objects = [...new Set(files.filter((f) => f.content.length > 0).map((f) => sha256Hex(f.content)))].sort().map((hex) => objectPath(dir, `sha256:${hex}`));
  t.ok(objects.length > 2000, `${objects.length} distinct objects to store`);

  const WATCHED = 24;
  const rand = seededRandom(SEED + 1);
  let killed = 0;
  for (let i = 0; i < KILLS; i++) {
    // Progress points stratified over the run: the kill comes once `share` of WATCHED seeded
    // objects (of those still missing) are stored, 1 to WATCHED - 1 of them, so the add is
    // always still storing. Odd rounds resume from the previous round's crashed state.
    const share = 1 + Math.floor(((i + rand()) / KILLS) * (WATCHED - 1));
    let round: { r: RunResult & { signal: NodeJS.Signals | null }; stored: number } | undefined;
    for (let attempt = 0; attempt < 3; attempt++) {
      if (i % 2 === 0 || attempt > 0 || objects.every((o) => existsSync(o))) reset();
      const missing = objects.filter((o) => !existsSync(o));
      const watched = seededSample(missing, WATCHED, SEED + 100 * i + attempt);
      const child = rxAsync(dir, ['add', 'data', '--json']);
      let stored = 0;
      const poll = setInterval(() => {
        stored = watched.filter((o) => existsSync(o)).length;
        if (stored >= share && child.running()) {
          child.kill('SIGKILL');
          clearInterval(poll);
        }
      }, 1);
      const r = await child.done;
      clearInterval(poll);
      round = { r, stored };
      if (r.signal === 'SIGKILL') break;
      // The add passed its progress point between two polls (a starved test process): it
      // must have completed correctly; the round is run again from a fresh state.
      t.equal(r.code, 0, `round ${i}: finished before its kill at ${share}/${WATCHED} objects\n${r.stderr}`);
      t.equal(parseOutput('add', r).added[0].hash, refAdd.hash);
    }
    const wasKilled = round!.r.signal === 'SIGKILL';
    if (wasKilled) killed++;
    const when = `round ${i} (${wasKilled ? `killed with ${round!.stored}/${WATCHED} watched objects stored` : 'completed'})`;

    const fsck = rx(dir, ['fsck', '--json']);
    const out = parseOutput<FsckOut>('fsck', fsck);
    t.same({ code: fsck.code, corrupt: out.corrupt, missing: out.missing, dangling: out.dangling }, { code: 0, corrupt: [], missing: [], dangling: [] }, `${when}: store consistent`);
    if (existsSync(path.join(dir, 'data.rx'))) {
      t.equal(parseYaml(readFileSync(path.join(dir, 'data.rx'), 'utf8')).hash, refAdd.hash, `${when}: a pointer, if written, is the complete one`);
    }
    t.same(snapshotTree(data), expected, `${when}: the workspace holds exactly the user's files`);
    const strays = readdirSync(dir).filter((n) => !['.git', '.rx', 'data', 'data.rx', '.gitignore'].includes(n));
    t.same(strays, [], `${when}: no stray files in the project`);
  }
  t.equal(killed, KILLS, 'every round was killed at its progress point');

  // The next run completes from whatever the last kill left, and matches the reference.
  const again = rxJson(dir, 'add', ['add', 'data']).added[0];
  t.equal(again.hash, refAdd.hash, 'same hash as the uninterrupted add');
  t.equal(rx(dir, ['fsck']).code, 0);
  t.equal(rx(dir, ['status', '--exit-code']).code, 0);
  t.notOk(existsSync(path.join(dir, '.rx/tmp/lock')), 'the stale lock was reclaimed and released');
  rmSync(data, { recursive: true });
  t.equal(rx(dir, ['checkout']).code, 0);
  t.same(snapshotTree(data), expected, 'and checkout restores the tree');
});

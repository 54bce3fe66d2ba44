// Crash safety of rx add: SIGKILL at seeded pseudo-random moments spread over the measured
// duration of a full add. After every kill the store is consistent (no corrupt object, no
// pointer naming a missing object), the workspace holds exactly the user's files, and a
// re-run completes with the hash an uninterrupted add gives the same tree elsewhere.
import t from 'tap';
import { rmSync, chmodSync, existsSync, readFileSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { rx } from '../../fixtures/project.js';
import { useProject, rxJson, rxAsync, parseOutput, snapshotTree, expectedSnapshot, writeFiles, pseudoBytes, seededRandom, type TreeFile } from '../../fixtures/e2e.js';

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

  // Reference: an uninterrupted add of the same tree in a separate project, timed.
  const ref = useProject(t);
  writeFiles(path.join(ref, 'data'), files);
  const started = performance.now();
  const refAdd = rxJson(ref, 'add', ['add', 'data']).added[0];
  const fullMs = performance.now() - started;
  t.equal(refAdd.nfiles, files.length);
  t.comment(`uninterrupted add: ${Math.round(fullMs)} ms, ${refAdd.hash}`);

  const dir = useProject(t);
  const data = path.join(dir, 'data');
  writeFiles(data, files);
  /** Back to a never-added state: store, temp files, pointer and ignore entry gone, modes as written. */
  const reset = () => {
    for (const p of ['.rx/cache', '.rx/tmp', 'data.rx', '.gitignore']) rmSync(path.join(dir, p), { recursive: true, force: true });
    for (const f of files) chmodSync(path.join(data, ...f.rel.split('/')), f.exec ? 0o755 : 0o644);
  };

  const rand = seededRandom(SEED + 1);
  let killed = 0;
  for (let i = 0; i < KILLS; i++) {
    // Stratified over the full duration so early (start-up, hashing) and late (linking,
    // syncing, pointer writing) moments are all hit. Odd rounds kill a run that starts
    // from the previous round's crashed state instead of a fresh one.
    const delay = Math.round(((i + rand()) / KILLS) * fullMs);
    if (i % 2 === 0) reset();
    const child = rxAsync(dir, ['add', 'data', '--json']);
    const timer = setTimeout(() => child.kill('SIGKILL'), delay);
    const r = await child.done;
    clearTimeout(timer);
    const wasKilled = r.signal === 'SIGKILL';
    if (wasKilled) killed++;
    else {
      t.equal(r.code, 0, `round ${i}: finished before the kill at ${delay} ms\n${r.stderr}`);
      t.equal(parseOutput('add', r).added[0].hash, refAdd.hash);
    }

    const fsck = rx(dir, ['fsck', '--json']);
    const out = parseOutput<FsckOut>('fsck', fsck);
    t.same({ code: fsck.code, corrupt: out.corrupt, missing: out.missing, dangling: out.dangling }, { code: 0, corrupt: [], missing: [], dangling: [] }, `round ${i} (${wasKilled ? 'killed' : 'completed'} at ${delay} ms): store consistent`);
    if (existsSync(path.join(dir, 'data.rx'))) {
      t.equal(parseYaml(readFileSync(path.join(dir, 'data.rx'), 'utf8')).hash, refAdd.hash, `round ${i}: a pointer, if written, is the complete one`);
    }
    t.same(snapshotTree(data), expected, `round ${i}: the workspace holds exactly the user's files`);
    const strays = readdirSync(dir).filter((n) => !['.git', '.rx', 'data', 'data.rx', '.gitignore'].includes(n));
    t.same(strays, [], `round ${i}: no stray files in the project`);
  }
  t.ok(killed >= KILLS / 2, `most runs were interrupted (${killed} of ${KILLS})`);

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

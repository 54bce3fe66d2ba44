// rx gc: removes unreferenced store objects within explicit, combinable scopes. --all-commits
// keeps what any commit names; --all-branches and --all-tags what the tips name; --workspace
// only what the current pointers and rx.lock name; --dry lists without removing, saying why;
// no scope is a usage error.
import t from 'tap';
import { rmSync, existsSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { rx, writeTree } from '../../fixtures/project.js';
import { useProject, rxJson, rxError, storeObjects, replaceFile, gitOk, sha256Hex, snapshotTree, type TestLike } from '../../fixtures/e2e.js';

const at = (dir: string, rel: string) => path.join(dir, ...rel.split('/'));

/**
 * Two committed versions of data/ (v1 then v2, sharing one file), committed with the git
 * CLI, plus model.bin tracked but never committed. Returns the objects only v1 needs.
 */
function twoVersions(t: TestLike) {
  const dir = useProject(t);
  writeTree(dir, { 'data/shared': 'in both versions', 'data/v': 'version 1 content', 'model.bin': 'uncommitted model' });
  const v1 = rxJson(dir, 'add', ['add', 'data']).added[0].hash as string;
  gitOk(dir, ['add', 'data.rx', '.gitignore', '.rx']);
  gitOk(dir, ['commit', '-q', '-m', 'data v1']);
  const v1Snapshot = snapshotTree(at(dir, 'data'));
  replaceFile(at(dir, 'data/v'), 'version 2 content');
  const v2 = rxJson(dir, 'add', ['add', 'data']).added[0].hash as string;
  gitOk(dir, ['commit', '-q', '-am', 'data v2']);
  const model = rxJson(dir, 'add', ['add', 'model.bin']).added[0].hash as string;
  const onlyV1 = [v1, `sha256:${sha256Hex('version 1 content')}`].sort();
  return { dir, v1, v2, model, onlyV1, v1Snapshot };
}

t.test('gc --all-commits keeps every committed version; --workspace drops the old one', async (t) => {
  const { dir, v1, v2, model, onlyV1, v1Snapshot } = twoVersions(t);
  const all = [...storeObjects(dir).keys()].sort();
  t.equal(all.length, 6, 'two manifests, three data files, the model');
  for (const h of [v1, v2, model, ...onlyV1]) t.ok(all.includes(h), `${h} stored`);

  const dry = rxJson(dir, 'gc', ['gc', '--all-commits', '--dry']);
  t.same(dry, { scopes: ['workspace', 'all-commits'], dry: true, kept: 6, inFlight: 0, removed: [], details: [], removedBytes: 0, commitsScanned: 2, runCacheEntriesRemoved: 0 });
  const history = rxJson(dir, 'gc', ['gc', '--all-commits']);
  t.same(history.removed, [], 'both versions (and the workspace model) are kept');
  t.same([...storeObjects(dir).keys()].sort(), all);

  const wsDry = rxJson(dir, 'gc', ['gc', '--workspace', '--dry']);
  t.match(wsDry, { scopes: ['workspace'], dry: true, kept: 4, commitsScanned: 0 });
  t.same([...wsDry.removed].sort(), onlyV1);
  t.same(wsDry.removed[0], v1, 'the unreferenced manifest goes before the objects it lists');
  t.match(wsDry.details[0], { hash: v1, reason: /^directory manifest named by nothing in the workspace/ });
  const text = rx(dir, ['gc', '--workspace', '--dry']);
  t.match(text.stdout, new RegExp(`would remove ${v1} \\(.*\\): directory manifest named by nothing`), 'the text says why per object');
  t.equal(wsDry.removedBytes, 'version 1 content'.length + statSync(storeObjects(dir).get(v1)!).size);
  t.same([...storeObjects(dir).keys()].sort(), all, '--dry removes nothing');

  const ws = rxJson(dir, 'gc', ['gc', '--workspace']);
  t.same([...ws.removed].sort(), onlyV1);
  t.same([...storeObjects(dir).keys()].sort(), all.filter((h) => !onlyV1.includes(h)));
  t.equal(rx(dir, ['status', '--exit-code']).code, 0, 'the workspace is still complete');
  t.same(rxJson(dir, 'gc', ['gc', '--workspace']).removed, [], 'a second gc has nothing to do');

  // The old version cannot be checked out any more: its objects are gone.
  gitOk(dir, ['checkout', '-q', 'HEAD~1', '--', 'data.rx']);
  const r = rxError(dir, ['checkout']);
  t.equal(r.code, 6);
  t.same(r.json.error.data?.missing, [v1]);
  t.not(snapshotTree(at(dir, 'data')), v1Snapshot);
});

t.test('gc --all-commits sees other branches and tags; deleting the pointer frees the model', async (t) => {
  const { dir, model } = twoVersions(t);
  gitOk(dir, ['add', 'model.bin.rx']);
  gitOk(dir, ['commit', '-q', '-m', 'model']);
  gitOk(dir, ['tag', '-a', '-m', 'release', 'v1.0']);
  gitOk(dir, ['reset', '-q', '--hard', 'HEAD~1']);
  t.notOk(existsSync(at(dir, 'model.bin.rx')), 'the model pointer is only in the tagged commit');
  t.equal(rxJson(dir, 'gc', ['gc', '--all-commits']).removed.length, 0, 'the tag keeps the model');
  t.equal(rxJson(dir, 'gc', ['gc', '--all-commits']).commitsScanned, 3);
  gitOk(dir, ['tag', '-d', 'v1.0']);
  gitOk(dir, ['reflog', 'expire', '--expire=now', '--all']);
  t.same(rxJson(dir, 'gc', ['gc', '--all-commits']).removed, [model], 'unreachable commits do not count');
});

t.test('--all-branches and --all-tags keep the tips, not their history; scopes combine', async (t) => {
  const { dir, v1, v2, model } = twoVersions(t);
  gitOk(dir, ['add', 'model.bin.rx']);
  gitOk(dir, ['commit', '-q', '-m', 'model']);
  gitOk(dir, ['tag', 'v1', 'HEAD~2']);
  rmSync(at(dir, 'model.bin.rx'));
  const branches = rxJson(dir, 'gc', ['gc', '--all-branches', '--dry']);
  t.same(branches.scopes, ['workspace', 'all-branches']);
  t.notOk(branches.removed.includes(model), 'the branch tip names the model');
  t.ok(branches.removed.includes(v1), 'v1 is only in history');
  const tags = rxJson(dir, 'gc', ['gc', '--all-tags', '--dry']);
  t.ok(tags.removed.includes(model) && !tags.removed.includes(v1), 'the tag names v1, not the model');
  const both = rxJson(dir, 'gc', ['gc', '--all-branches', '--all-tags']);
  t.same(both.removed, [], 'together they keep everything');
  t.ok(storeObjects(dir).has(v2));
});

t.test('gc needs a scope', async (t) => {
  const dir = useProject(t);
  writeTree(dir, { 'f': 'x' });
  rxJson(dir, 'add', ['add', 'f']);
  rmSync(at(dir, 'f.rx'));
  for (const args of [['gc'], ['gc', '--dry']]) {
    const r = rxError(dir, args);
    t.equal(r.code, 2, args.join(' '));
    t.equal(r.json.error.code, 'RX_USAGE');
  }
  t.equal(storeObjects(dir).size, 1, 'nothing was removed');
});

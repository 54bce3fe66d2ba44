import t from 'tap';
import { makeProject, rx, writeTree, gitFsckStrict } from '../../fixtures/project.js';

t.test('init, add, status round trip', async (t) => {
  const { dir, cleanup } = makeProject();
  t.teardown(cleanup);
  writeTree(dir, { 'data/a.txt': 'a' });
  const r = rx(dir, ['add', 'data', '--json']);
  t.equal(r.code, 0, r.stderr);
  t.equal(JSON.parse(r.stdout).added[0].nfiles, 1);
  t.equal(gitFsckStrict(dir).code, 0);
});

// CPU seconds of rx and its finished children, for a search's CPU-time budget: a busy child
// that has been waited for is counted; the figure never goes down.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { cpuSecondsWithChildren } from '../../src/core/process-identity.js';

t.test('a finished busy child counts toward this process\'s CPU seconds', async (t) => {
  const before = cpuSecondsWithChildren();
  const r = spawnSync(process.execPath, ['-e', 'const end = Date.now() + 400; let x = 0; while (Date.now() < end) x += Math.sqrt(x + 1);'], { stdio: 'ignore' });
  t.equal(r.status, 0);
  const after = cpuSecondsWithChildren();
  t.ok(after - before >= 0.25, `the child's 0.4 s of busy work is counted (${(after - before).toFixed(2)} s)`);
  t.ok(after - before < 30, 'and not wildly more');
  t.ok(cpuSecondsWithChildren() >= after, 'never decreases');
});

// CPU seconds of rx and its finished children, for a search's CPU-time budget: a busy child
// that has been waited for is counted; the figure never goes down.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { cpuSecondsWithChildren } from '../../src/core/process-identity.js';

t.test('a finished busy child counts toward this process\'s CPU seconds', async (t) => {
  const before = cpuSecondsWithChildren();
  // Busy until it has used 0.4 s of CPU itself, however loaded the machine is.
  const r = spawnSync(process.execPath, ['-e', 'let x = 0; while (process.cpuUsage().user < 400000) x += Math.sqrt(x + 1);'], { stdio: 'ignore' });
  t.equal(r.status, 0);
  const after = cpuSecondsWithChildren();
  t.ok(after - before >= 0.38, `the child's 0.4 s of busy work is counted (${(after - before).toFixed(2)} s)`);
  t.ok(after - before < 30, 'and not wildly more');
  t.ok(cpuSecondsWithChildren() >= after, 'never decreases');
});

t.test('a stopped stage group\'s members, which rx never waits for, count too', async (t) => {
  const { spawn } = await import('node:child_process');
  const { endGroup } = await import('../../src/pipeline/process-group.js');
  // The leader (sh) starts a busy node and waits: the node is a member, not rx's child. It says
  // so on stdout once it has used 0.5 s of CPU, and goes on until it is stopped.
  const busy = 'let x = 0, told = false; for (;;) { x += Math.sqrt(x + 1); if (!told && process.cpuUsage().user >= 500000) { told = true; console.log(1); } }';
  const child = spawn('/bin/sh', ['-c', `${JSON.stringify(process.execPath)} -e ${JSON.stringify(busy)}; echo never`], { detached: true, stdio: ['ignore', 'pipe', 'ignore'] });
  const exited = new Promise((res) => child.on('exit', res));
  await new Promise((res) => child.stdout!.once('data', res));
  const before = cpuSecondsWithChildren();
  // 'lingering' where pid 1 reaps no orphans (a zombie member keeps the group alive).
  t.match(await endGroup(child.pid!, 'SIGTERM', 2000), /^(exited|killed|lingering)$/);
  await exited;
  const counted = cpuSecondsWithChildren() - before;
  t.ok(counted >= 0.45, `the member's busy time is counted (${counted.toFixed(2)} s, at least 0.5 of it busy)`);
  t.ok(counted < 30, 'and not wildly more');
});

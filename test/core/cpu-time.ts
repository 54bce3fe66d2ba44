// CPU seconds of rx and its finished children, for a search's CPU-time budget: a busy child
// that has been waited for is counted; the figure never goes down; a stopped group's member is
// counted once, whether its leader dies first (SIGTERM) or waits for it (SIGINT).
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

t.test('a stopped group\'s member is counted once, whether the leader waits for it or not', async (t) => {
  const { spawn } = await import('node:child_process');
  const { endGroup } = await import('../../src/pipeline/process-group.js');
  // Busy until stopped; on SIGINT or SIGTERM it works 0.2 s of CPU more, then prints its own CPU seconds.
  const busy =
    'let x = 0, told = false, stop = false; const cpu = () => { const u = process.cpuUsage(); return u.user + u.system; };' +
    "for (const s of ['SIGINT', 'SIGTERM']) process.on(s, () => { stop = true; });" +
    'const spin = () => { const end = Date.now() + 20; while (Date.now() < end) x += Math.sqrt(x + 1); if (!told && cpu() >= 500000) { told = true; console.log(0); }' +
    ' if (stop) { const until = cpu() + 200000; while (cpu() < until) x += Math.sqrt(x + 1); console.log(cpu() / 1e6); process.exit(3); } setImmediate(spin); }; spin();';
  // sh dies of SIGTERM at once and leaves the node to pid 1; it waits out a SIGINT and reaps the node.
  // 'twice': the group ended by two callers at once (a search's abort and the forwarded signal).
  for (const signal of ['SIGTERM', 'SIGINT', 'twice'] as const) {
    const child = spawn('/bin/sh', ['-c', `${JSON.stringify(process.execPath)} -e ${JSON.stringify(busy)}; echo after`], { detached: true, stdio: ['ignore', 'pipe', 'ignore'] });
    const exited = new Promise((res) => child.on('exit', res));
    const lines: string[] = [];
    let buffered = '';
    child.stdout!.on('data', (d: Buffer) => {
      buffered += d.toString();
      const parts = buffered.split('\n');
      buffered = parts.pop()!;
      lines.push(...parts);
    });
    const closed = new Promise((res) => child.stdout!.on('close', res));
    while (lines.length === 0) await new Promise((res) => setTimeout(res, 20));
    const before = cpuSecondsWithChildren();
    if (signal === 'twice') {
      const both = await Promise.all([endGroup(child.pid!, 'SIGTERM', 5000), endGroup(child.pid!, 'SIGTERM', 5000)]);
      t.ok(both.every((x) => /^(exited|killed|lingering)$/.test(x)));
    } else t.match(await endGroup(child.pid!, signal, 5000), /^(exited|killed|lingering)$/);
    await exited;
    await closed;
    const own = Number(lines[1]);
    t.ok(own >= 0.7, `${signal}: the member reported its CPU seconds (${lines.join(' ')})`);
    const counted = cpuSecondsWithChildren() - before;
    // What it used before `before` is counted too when it is counted at all; twice would be 2 * own.
    t.ok(counted >= 0.15, `${signal}: its time is counted (${counted.toFixed(2)} s of its ${own.toFixed(2)} s)`);
    t.ok(counted <= own * 1.3 + 0.2, `${signal}: once, not twice (${counted.toFixed(2)} s of its ${own.toFixed(2)} s)`);
  }
});

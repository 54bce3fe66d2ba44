import t from 'tap';
import { mkdtempSync, rmSync, writeFileSync, existsSync, readFileSync } from 'node:fs';
import { tmpdir, hostname } from 'node:os';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import { acquireLock, withLock } from '../../src/store/process-lock.js';

function dir(t: { teardown(fn: () => void): void }) {
  const d = mkdtempSync(path.join(tmpdir(), 'rx-lock-'));
  t.teardown(() => rmSync(d, { recursive: true, force: true }));
  return d;
}
const opts = (tmpDir: string, waitSeconds = 0) => ({ tmpDir, command: 'rx test', waitSeconds, now: () => 0 });

t.test('a second acquirer fails with RX_LOCKED naming the holder', async (t) => {
  const d = dir(t);
  const held = await acquireLock(opts(d));
  await t.rejects(acquireLock(opts(d)), { code: 'RX_LOCKED', exitCode: 7, data: { holder: { pid: process.pid, command: 'rx test' } } });
  await held.release();
  t.notOk(existsSync(path.join(d, 'lock')));
  await withLock(opts(d), async () => t.ok(existsSync(path.join(d, 'lock'))));
  t.notOk(existsSync(path.join(d, 'lock')), 'released after withLock');
});

t.test('a waiter gets the lock when the holder releases', async (t) => {
  const d = dir(t);
  const held = await acquireLock(opts(d));
  setTimeout(() => void held.release(), 150);
  const second = await acquireLock(opts(d, 5));
  t.equal(JSON.parse(readFileSync(path.join(d, 'lock'), 'utf8')).pid, process.pid);
  await second.release();
});

t.test('the lock of a dead process is reclaimed', async (t) => {
  const d = dir(t);
  const child = spawn(process.execPath, ['-e', '0']);
  const pid = child.pid!;
  await new Promise((r) => child.on('exit', r));
  writeFileSync(path.join(d, 'lock'), JSON.stringify({ pid, host: hostname(), command: 'rx add (killed)' }));
  const lock = await acquireLock(opts(d));
  t.equal(JSON.parse(readFileSync(path.join(d, 'lock'), 'utf8')).pid, process.pid);
  await lock.release();
});

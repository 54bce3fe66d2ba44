// The writer lock (.rx/tmp/lock): a second writer fails with exit 7 naming the holder, or
// waits for it with --wait; a lock left by a dead process is reclaimed; readers never block.
// Lock situations are made deterministic by writing the claim file for a process we control.
import t from 'tap';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { writeFileSync, mkdirSync, existsSync, readFileSync, rmSync, utimesSync } from 'node:fs';
import { hostname } from 'node:os';
import * as path from 'node:path';
import { rx, writeTree } from '../../fixtures/project.js';
import { useProject, rxJson, rxError, rxAsync, replaceFile, parseOutput, type TestLike } from '../../fixtures/e2e.js';

const at = (dir: string, rel: string) => path.join(dir, ...rel.split('/'));
const sleepMs = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A project with data/ tracked and a change pending, so every writer has work to do. */
function project(t: TestLike): string {
  const dir = useProject(t);
  writeTree(dir, { 'data/a': 'a', 'data/b': 'b' });
  rxJson(dir, 'add', ['add', 'data']);
  replaceFile(at(dir, 'data/a'), 'changed');
  return dir;
}

/** A live process to hold the lock (killed when the test ends). */
function liveProcess(t: TestLike): ChildProcess {
  const child = spawn('sleep', ['60'], { stdio: 'ignore' });
  t.teardown(() => {
    child.kill('SIGKILL');
  });
  return child;
}

function deadPid(): number {
  const r = spawnSync('true');
  return r.pid!;
}

function writeLock(dir: string, holder: { pid: number; host?: string; command?: string; start?: string; boot?: string } | ''): string {
  const file = at(dir, '.rx/tmp/lock');
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, holder === '' ? '' : JSON.stringify({ host: hostname(), command: 'rx add data (held by the test)', ...holder }));
  return file;
}

const writers: string[][] = [['add', 'data'], ['checkout', '--force'], ['gc', '--workspace'], ['fsck', '--repair']];

for (const args of writers) {
  t.test(`rx ${args.join(' ')} fails with exit 7 naming a live holder`, async (t) => {
    const dir = project(t);
    const holder = liveProcess(t);
    const lock = writeLock(dir, { pid: holder.pid!, start: startOf(holder.pid!) });
    const claim = readFileSync(lock);
    const pointer = readFileSync(at(dir, 'data.rx'));
    const r = rxError(dir, args);
    t.equal(r.code, 7);
    t.equal(r.json.error.code, 'RX_LOCKED');
    t.equal(r.json.error.data?.holder?.pid, holder.pid);
    t.match(r.stderr, String(holder.pid), 'the message names the holder');
    t.match(r.stderr, 'held by the test', 'and its command');
    t.same(readFileSync(lock), claim, 'the holder keeps its lock');
    t.same(readFileSync(at(dir, 'data.rx')), pointer, 'nothing was written');
    t.equal(readFileSync(at(dir, 'data/a'), 'utf8'), 'changed');
  });
}

t.test('readers do not take the lock', async (t) => {
  const dir = project(t);
  const holder = liveProcess(t);
  writeLock(dir, { pid: holder.pid!, start: startOf(holder.pid!) });
  const status = rx(dir, ['status', '--json']);
  t.equal(status.code, 0);
  t.equal(parseOutput('status', status).entries[0].state, 'modified');
  const fsck = rx(dir, ['fsck', '--json']);
  t.equal(fsck.code, 0);
  t.same(parseOutput('fsck', fsck).corrupt, []);
});

for (const release of ['removes its lock', 'dies'] as const) {
  t.test(`--wait: a second writer waits until the holder ${release}`, async (t) => {
    const dir = project(t);
    const holder = liveProcess(t);
    const lock = writeLock(dir, { pid: holder.pid!, start: startOf(holder.pid!) });
    const waiter = rxAsync(dir, ['add', 'data', '--wait', '30', '--json']);
    await sleepMs(800);
    t.ok(waiter.running(), 'still waiting while the holder lives');
    if (release === 'dies') {
      holder.kill('SIGKILL');
      await new Promise((r) => holder.once('exit', r));
    } else rmSync(lock);
    const r = await waiter.done;
    t.equal(r.code, 0, r.stderr);
    t.equal(parseOutput('add', r).added[0].changed, true);
    t.notOk(existsSync(lock), 'the waiter released the lock when done');
    t.equal(rx(dir, ['status', '--exit-code']).code, 0);
  });
}

t.test('--wait gives up after the given time with exit 7', async (t) => {
  const dir = project(t);
  const holder = liveProcess(t);
  writeLock(dir, { pid: holder.pid!, start: startOf(holder.pid!) });
  const started = performance.now();
  const r = rxError(dir, ['add', 'data', '--wait', '1']);
  t.equal(r.code, 7);
  t.ok(performance.now() - started >= 1000, 'waited at least a second');
  t.equal(r.json.error.data?.holder?.pid, holder.pid);
});

const stale: { name: string; make: (dir: string) => void; reclaimed: boolean }[] = [
  { name: 'a dead process on this host', make: (dir) => writeLock(dir, { pid: deadPid() }), reclaimed: true },
  {
    name: 'an empty claim file older than a few seconds',
    make: (dir) => {
      const file = writeLock(dir, '');
      const old = new Date(Date.UTC(2020, 0, 1));
      utimesSync(file, old, old);
    },
    reclaimed: true,
  },
  { name: 'an empty claim file just created', make: (dir) => writeLock(dir, ''), reclaimed: false },
  { name: 'a process on another host', make: (dir) => writeLock(dir, { pid: deadPid(), host: 'some-other-host.invalid' }), reclaimed: false },
  // pid 1 is always alive: the lock of an rx that was pid 1 before a container restart.
  { name: 'pid 1 started at another time (a reused pid)', make: (dir) => writeLock(dir, { pid: 1, start: '1' + startOf(1) }), reclaimed: true },
  { name: 'pid 1, in a lock without a start time (not an rx process)', make: (dir) => writeLock(dir, { pid: 1 }), reclaimed: true },
  { name: 'a live process before a reboot (another boot id)', make: (dir) => writeLock(dir, { pid: process.pid, start: startOf(process.pid), boot: '00000000-0000-0000-0000-000000000000' }), reclaimed: true },
];

function startOf(pid: number): string {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]!;
}

t.test('a live holder with its real start time is respected, even by --break-lock', async (t) => {
  const dir = project(t);
  const holder = liveProcess(t);
  writeLock(dir, { pid: holder.pid!, start: startOf(holder.pid!) });
  const r = rxError(dir, ['add', 'data']);
  t.equal(r.code, 7);
  const b = rxError(dir, ['add', 'data', '--break-lock']);
  t.equal(b.code, 7);
  t.match(b.json.error.message, /locked by a running rx: pid \d+ .*--break-lock breaks only a lock whose rx is gone/);
  t.ok(existsSync(at(dir, '.rx/tmp/lock')));
});

t.test("another host's lock: exit 7 with its age and a --break-lock hint; --break-lock takes it over", async (t) => {
  const dir = project(t);
  writeLock(dir, { pid: 4242, host: 'gpu-node-7.invalid', since: new Date(Date.now() - 3 * 3600_000).toISOString() } as never);
  const r = rxError(dir, ['add', 'data']);
  t.equal(r.code, 7);
  t.match(r.json.error.message, /pid 4242 on gpu-node-7\.invalid .*for 3 h; rx cannot tell from here/);
  t.equal(r.json.error.data?.otherHost, true);
  t.match(r.json.error.hint, /--break-lock/);
  const b = rx(dir, ['add', 'data', '--break-lock', '--json']);
  t.equal(b.code, 0, b.stderr);
  t.match(b.stderr, /breaking the lock of pid 4242 on gpu-node-7\.invalid .*taken 3 h ago/);
  t.equal(parseOutput('add', b).added[0].changed, true);
  t.notOk(existsSync(at(dir, '.rx/tmp/lock')), 'released after use');
});

t.test('the lock records pid, start time, boot id, host, command and time', async (t) => {
  const dir = project(t);
  // A stage reads the lock file its rx holds.
  writeTree(dir, { 'rx.yaml': 'schema: 1\nstages:\n  s:\n    cmd: cat .rx/tmp/lock > seen.json; echo x > out\n    outs: [out]\n' });
  const r = rx(dir, ['repro']);
  t.equal(r.code, 0, r.stderr);
  const held = JSON.parse(readFileSync(at(dir, 'seen.json'), 'utf8'));
  t.same(Object.keys(held).sort(), ['boot', 'command', 'host', 'pid', 'since', 'start']);
  t.equal(held.host, hostname());
  t.equal(held.command, 'rx repro');
  t.match(held.start, /^\d+$/);
});

for (const s of stale) {
  t.test(`a lock held by ${s.name} is ${s.reclaimed ? 'reclaimed' : 'respected'}`, async (t) => {
    const dir = project(t);
    s.make(dir);
    const r = rx(dir, ['add', 'data', '--json']);
    if (s.reclaimed) {
      t.equal(r.code, 0, r.stderr);
      t.equal(parseOutput('add', r).added[0].changed, true);
      t.notOk(existsSync(at(dir, '.rx/tmp/lock')));
    } else {
      t.equal(r.code, 7);
      t.equal(parseOutput('error', r).error.code, 'RX_LOCKED');
      t.ok(existsSync(at(dir, '.rx/tmp/lock')), 'not ours to remove');
    }
  });
}

t.test('concurrent writers with --wait both succeed, one after the other', async (t) => {
  const dir = useProject(t);
  const files: Record<string, string> = {};
  for (let i = 0; i < 300; i++) files[`one/f${i}`] = `one ${i}`;
  for (let i = 0; i < 300; i++) files[`two/f${i}`] = `two ${i}`;
  writeTree(dir, files);
  const a = rxAsync(dir, ['add', 'one', '--wait', '60']);
  const b = rxAsync(dir, ['add', 'two', '--wait', '60']);
  const [ra, rb] = await Promise.all([a.done, b.done]);
  t.equal(ra.code, 0, ra.stderr);
  t.equal(rb.code, 0, rb.stderr);
  t.equal(rx(dir, ['status', '--exit-code']).code, 0);
  const fsck = rx(dir, ['fsck'], { RX_DEBUG: '1' });
  t.equal(fsck.code, 0, fsck.stderr);
  t.match(readFileSync(at(dir, '.gitignore'), 'utf8'), /^\/one\n\/two$/m, 'both .gitignore entries survived');
  t.notOk(existsSync(at(dir, '.rx/tmp/lock')));
});

t.test('the lock is released when a writer fails', async (t) => {
  const dir = project(t);
  t.equal(rx(dir, ['checkout']).code, 1, 'refuses to overwrite the unsaved change');
  t.notOk(existsSync(at(dir, '.rx/tmp/lock')));
  t.equal(rx(dir, ['add', 'data']).code, 0);
});

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

function writeLock(dir: string, holder: { pid: number; host?: string; command?: string } | ''): string {
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
    const lock = writeLock(dir, { pid: holder.pid! });
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
  writeLock(dir, { pid: holder.pid! });
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
    const lock = writeLock(dir, { pid: holder.pid! });
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
  writeLock(dir, { pid: holder.pid! });
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
];

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

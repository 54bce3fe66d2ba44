// What the operating system refuses is exit 8 with a code, the path and a hint, never an
// internal error, and nothing stored before is lost: no space left (a 4 MB tmpfs made by
// bubblewrap) during add and while a stage's outputs are stored; a read-only store
// (checkout still works from it, add says where it cannot write); a read-only .rx (status
// still answers); too many open files while rx starts and while add stores files.
import t from 'tap';
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync, rmSync, readFileSync, existsSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import { rx, rxEnv, RX_BIN, writeTree } from '../../fixtures/project.js';
import { useProject, hasStackTrace } from '../../fixtures/e2e.js';

/** Runs a shell script inside bubblewrap with a fresh tmpfs of `bytes` at /mnt (the project). */
function inSmallDisk(bytes: number, script: string): { code: number; stdout: string; stderr: string } {
  const r = spawnSync('bwrap', ['--dev-bind', '/', '/', '--size', String(bytes), '--tmpfs', '/mnt', '--chdir', '/mnt', '--', 'sh', '-ec', script], {
    encoding: 'utf8',
    env: { ...rxEnv(), RX: `${process.execPath} ${RX_BIN}` },
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

const SETUP = 'git init -q; $RX init -q >/dev/null; head -c 1000 /dev/urandom > small; $RX add -q small; ';

t.test('no space left while add stores a file: exit 8 RX_NO_SPACE naming it, the store still consistent', async (t) => {
  const r = inSmallDisk(
    4_000_000,
    SETUP +
      'head -c 3000000 /dev/urandom > big; set +e; $RX add big --json > add.json 2> add.err; echo "add=$?"; set -e; ' +
      'cat add.json; cat add.err >&2; test ! -e big.rx && echo "no pointer"; $RX fsck -q && echo "fsck ok"; ' +
      // Space made, the same add succeeds.
      'truncate -s 1000000 big; $RX add -q big && echo "re-add ok"; $RX fsck -q && echo "fsck ok"',
  );
  t.equal(r.code, 0, r.stderr);
  t.match(r.stdout, /^add=8$/m);
  const json = JSON.parse(r.stdout.slice(r.stdout.indexOf('{'), r.stdout.lastIndexOf('}') + 1));
  t.equal(json.error.code, 'RX_NO_SPACE');
  t.equal(json.error.exitCode, 8);
  t.match(json.error.message, /big: no space left on the device/);
  t.match(json.error.hint, /free some space/);
  t.notOk(hasStackTrace(r.stderr));
  t.notOk(/internal error|please report/.test(r.stderr));
  t.match(r.stdout, /no pointer/);
  t.match(r.stdout, /no pointer[\s\S]*fsck ok[\s\S]*re-add ok[\s\S]*fsck ok/);
});

t.test("no space left while a stage's outputs are stored: exit 8, the previous outputs and rx.lock kept", async (t) => {
  const r = inSmallDisk(
    4_000_000,
    SETUP +
      "printf 'schema: 1\\nstages:\\n  gen:\\n    cmd: head -c $(cat n) /dev/urandom > out.bin\\n    deps: [n]\\n    outs: [out.bin]\\n' > rx.yaml; " +
      'echo 1000 > n; $RX repro -q; cp rx.lock lock.before; sha256sum out.bin > out.sum; ' +
      'echo 2500000 > n; set +e; $RX repro > repro.out 2> repro.err; echo "repro=$?"; set -e; cat repro.err >&2; ' +
      'cmp rx.lock lock.before && echo "lock kept"; sha256sum -c out.sum >/dev/null && echo "outputs kept"; $RX fsck -q && echo "fsck ok"',
  );
  t.equal(r.code, 0, r.stderr);
  t.match(r.stdout, /^repro=8$/m);
  t.match(r.stderr, /error: \/mnt\/out\.bin: no space left on the device/);
  t.notOk(/internal error|please report/.test(r.stderr));
  t.match(r.stdout, /lock kept\noutputs kept\n[\s\S]*fsck ok/);
});

t.test('a read-only store: checkout copies from it, add says it cannot write there (exit 8 RX_READ_ONLY)', async (t) => {
  const dir = useProject(t);
  writeTree(dir, { 'd/a': 'a\n', 'd/b': 'b\n' });
  t.equal(rx(dir, ['add', 'd']).code, 0);
  rmSync(path.join(dir, 'd'), { recursive: true });
  const cache = path.join(dir, '.rx/cache');
  const ro = (args: string[]) => {
    const r = spawnSync('bwrap', ['--dev-bind', '/', '/', '--ro-bind', cache, cache, '--', process.execPath, RX_BIN, ...args], { cwd: dir, encoding: 'utf8', env: rxEnv() });
    return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
  };
  const co = ro(['checkout']);
  t.equal(co.code, 0, co.stderr);
  t.equal(readFileSync(path.join(dir, 'd/a'), 'utf8'), 'a\n');
  writeFileSync(path.join(dir, 'd/c'), 'c\n');
  const add = ro(['add', 'd', '--json']);
  t.equal(add.code, 8, add.stderr);
  const err = JSON.parse(add.stdout).error;
  t.equal(err.code, 'RX_READ_ONLY');
  t.match(err.message, /read-only file system: \.rx\/cache\//);
  t.notOk(hasStackTrace(add.stderr));
  // Outside the sandbox the store is writable again and the add goes through.
  t.equal(rx(dir, ['add', 'd']).code, 0);
});

t.test('a read-only .rx: status and verify still answer', async (t) => {
  const dir = useProject(t);
  writeTree(dir, { 'd/a': 'a\n' });
  t.equal(rx(dir, ['add', 'd']).code, 0);
  writeFileSync(path.join(dir, 'd/a'), 'changed\n');
  const dotRx = path.join(dir, '.rx');
  const r = spawnSync('bwrap', ['--dev-bind', '/', '/', '--ro-bind', dotRx, dotRx, '--', process.execPath, RX_BIN, 'status', '--json'], { cwd: dir, encoding: 'utf8', env: rxEnv() });
  t.equal(r.status, 0, r.stderr);
  t.match(r.stdout, /"modified"/);
});

/**
 * tap injects its process-info hook into every child through NODE_OPTIONS (whatever env it is
 * given); the hook loads before rx and writes a file at exit, so at a low limit its own EMFILE
 * trace would stand for rx's. These children run without it, as a user's rx runs.
 */
const WITHOUT_HOOK = 'unset NODE_OPTIONS; ';

/** The reasons a refused run must give: exit 8, what ran out, what to do, no stack trace of rx's own. */
function assertRefused(t: Tap.Test, r: { status: number | null; stderr: string }, what: string, dir: string): void {
  t.equal(r.status, 8, `${what}: ${r.stderr}`);
  t.match(r.stderr, /too many open files/, what);
  t.match(r.stderr, /ulimit -n/, what);
  t.notOk(hasStackTrace(r.stderr), `${what}: no stack trace`);
  t.notOk(existsSync(path.join(dir, 'd.rx')), `${what}: no pointer written`);
}

t.test('too many open files while rx starts: exit 8 and the start-up message, never a stack trace', async (t) => {
  const dir = useProject(t);
  writeTree(dir, { 'd/a': 'a\n', 'd/b': 'b\n' });
  const run = (limit: number, args: string[]) => spawnSync('sh', ['-c', `${WITHOUT_HOOK}ulimit -n ${limit}; exec "$0" "$@"`, process.execPath, RX_BIN, ...args], { cwd: dir, encoding: 'utf8', env: rxEnv() });
  // Node's module loader reads rx's modules several at a time, so the lowest limit rx starts
  // with varies by a descriptor or two from run to run. Find one, then look well below it
  // (the loader runs out: rx's start-up message) and around it (either outcome, each whole).
  let start = 16;
  while (start < 256 && run(start, ['--version']).status !== 0) start++;
  t.ok(start < 256 && start > 24, `rx starts with some descriptor limit (from ${start})`);
  const below = run(start - 8, ['add', 'd']);
  assertRefused(t, below, `ulimit -n ${start - 8}`, dir);
  t.match(below.stderr, /while starting rx/);
  for (let limit = start - 3; limit <= start + 3; limit++) {
    const r = run(limit, ['add', 'd']);
    if (r.status === 0) rmSync(path.join(dir, 'd.rx'));
    else assertRefused(t, r, `ulimit -n ${limit}`, dir);
  }
  t.equal(rx(dir, ['add', 'd']).code, 0, 'with the usual limit the add completes');
});

t.test('the descriptor limit lowered while add stores files: exit 8 RX_TOO_MANY_FILES, nothing half-stored', async (t) => {
  const dir = useProject(t);
  mkdirSync(path.join(dir, 'd'));
  // 20,000 files: hashed on worker threads and stored for a second or more, long enough to
  // stop rx once its first object is stored. A limit of 3 leaves it no descriptor number to
  // open anything with (0-2 are its standard streams), whatever it closes afterwards.
  for (let i = 0; i < 20_000; i++) writeFileSync(path.join(dir, 'd', `f${i}`), `${i}\n`);
  const child = spawn('sh', ['-c', `${WITHOUT_HOOK}exec "$0" "$@"`, process.execPath, RX_BIN, 'add', 'd', '--json'], { cwd: dir, env: rxEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (b) => (stdout += b));
  child.stderr.on('data', (b) => (stderr += b));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  const objects = path.join(dir, '.rx/cache/sha256');
  while (!existsSync(objects) && child.exitCode === null) await new Promise((r) => setTimeout(r, 5));
  t.ok(process.kill(child.pid!, 'SIGSTOP'), 'rx stopped while it stores objects');
  t.ok(readdirSync(`/proc/${child.pid}/fd`).length > 3, 'it holds descriptors beyond its standard streams');
  const lowered = spawnSync('prlimit', ['--pid', String(child.pid), '--nofile=3:3'], { encoding: 'utf8' });
  t.equal(lowered.status, 0, lowered.stderr);
  process.kill(child.pid!, 'SIGCONT');
  const status = await exited;
  assertRefused(t, { status, stderr }, 'limit lowered to 3', dir);
  t.equal(JSON.parse(stdout).error.code, 'RX_TOO_MANY_FILES');
  // Every object stored before the refusal is whole, and the same add then completes.
  const fsck = rx(dir, ['fsck', '--json']);
  t.equal(fsck.code, 0, fsck.stdout + fsck.stderr);
  t.equal(rx(dir, ['add', 'd']).code, 0, 'with the usual limit the add completes');
  t.equal(rx(dir, ['status', '--json']).code, 0);
});

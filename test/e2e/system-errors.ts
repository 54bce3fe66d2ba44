// What the operating system refuses is exit 8 with a code, the path and a hint, never an
// internal error, and nothing stored before is lost: no space left (a 4 MB tmpfs made by
// bubblewrap) during add and while a stage's outputs are stored; a read-only store
// (checkout still works from it, add says where it cannot write); a read-only .rx (status
// still answers); too many open files.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync, rmSync, readFileSync, existsSync } from 'node:fs';
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
 * tap injects its process-info hook into every child (whatever env it is given), and the hook
 * writes a file when the process exits: at a limit that leaves it no descriptor, its own EMFILE
 * trace follows rx's message. That trace is the harness's; what rx printed is what comes before.
 */
function rxOwn(stderr: string): string {
  if (!stderr.includes('@tapjs/processinfo')) return stderr;
  const at = stderr.search(/\n?node:[a-z_]+:\d+\n/);
  return at < 0 ? stderr : stderr.slice(0, at);
}

t.test('too many open files: exit 8 RX_TOO_MANY_FILES or the start-up message, never a stack trace', async (t) => {
  const dir = useProject(t);
  mkdirSync(path.join(dir, 'd'));
  // 300 files of 100 KB: an add of 300 one-line files now fits in the descriptors rx starts
  // with, so the probe needs files whose add holds more of them at once.
  const body = Buffer.alloc(100_000);
  for (let i = 0; i < 300; i++) writeFileSync(path.join(dir, 'd', `f${i}`), body.fill(i % 251));
  const run = (limit: number, args: string[]) => spawnSync('sh', ['-c', `ulimit -n ${limit}; exec "$0" "$@"`, process.execPath, RX_BIN, ...args], { cwd: dir, encoding: 'utf8', env: rxEnv() });
  // Below what Node needs to load rx's modules the loader itself fails; those limits say
  // nothing about the add. Start at the lowest limit rx starts with, wherever that lies.
  let start = 16;
  while (start < 256 && run(start, ['--version']).status !== 0) start++;
  t.ok(start < 256, `rx starts with some descriptor limit (from ${start})`);
  let refused = 0;
  for (let limit = start; limit <= start + 20; limit++) {
    const r = run(limit, ['add', 'd']);
    if (r.status === 0) {
      rmSync(path.join(dir, 'd.rx'), { force: true });
      continue; // enough at this limit
    }
    refused++;
    t.equal(r.status, 8, `ulimit -n ${limit}: ${r.stderr}`);
    t.match(r.stderr, /too many open files/);
    t.match(r.stderr, /ulimit -n/);
    t.notOk(hasStackTrace(rxOwn(r.stderr)), `ulimit -n ${limit}`);
    t.notOk(existsSync(path.join(dir, 'd.rx')), 'no pointer written');
  }
  t.ok(refused > 0, 'some limit let rx start but not finish the add');
  t.equal(rx(dir, ['add', 'd']).code, 0, 'with the usual limit the add completes');
});

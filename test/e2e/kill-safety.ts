// Fault injection (issue 9): seeded SIGKILLs during rx add, checkout, repro (rx itself, or
// the running stage's own processes) and gc, and a gc waiting beside a running repro.
// After every kill:
//   - right away, every pointer file parses (`rx status --json` exits 0 or 1, never 4) and
//     is the old complete one or the new complete one; rx.lock validates against rx's lock
//     schema (and is read by `rx status` in a third of the repro rounds, by the next repro
//     always);
//   - the next run of the same command completes with exit 0;
//   - `rx fsck --json` finds no corrupt object, no dangling manifest, no missing object;
//   - the workspace holds exactly the bytes and exec bits that were added, checked out, or
//     that the stages make from their inputs, and no stray (temp) file is left in it;
//   - every object the finished rx.lock names is in the store (checkout restores outputs);
//   - no temp file older than the next writer is left in .rx/cache/tmp once it finished
//     (issue 9, seen 9), neither after the next add nor after `rx gc --workspace`;
//   - `git fsck --strict` is clean.
// Kill moments: a seeded stratified schedule of fractions of the measured duration of an
// uninterrupted run of the same kind (the fractions are fixed by the seed, the milliseconds
// scale with the machine), so kills land in start-up, hashing, storing, linking and
// pointer/lock writing. A run that ends before its kill is checked, re-timed and retried (up
// to three runs). At least 50 such kills must land. A few more kills are aimed at one short
// phase each (a pointer's, rx.lock's or a copied file's temp file showing; a temp object in
// .rx/cache/tmp), which seeded moments hit only by luck. When rx is killed its stage
// processes are killed too (as when a CI job is cancelled). No Math.random anywhere.
// The three projects (add, checkout then gc, repro) run side by side to use both cores.
import t, { type Test } from 'tap';
import { execFile, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import { existsSync, lstatSync, readdirSync, readFileSync, rmSync, writeFileSync, chmodSync, mkdirSync, promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { rxSpawn, writeTree, commitAll, gitFsckStrict, tempDir, type RunResult } from '../../fixtures/project.js';
import {
  useProject,
  parseOutput,
  expectedSnapshot,
  writeFiles,
  pseudoBytes,
  seededRandom,
  objectPath,
  sha256Hex,
  gitOk,
  type TreeFile,
  type FileSnapshot,
} from '../../fixtures/e2e.js';
import { validLock, outputAs } from '../../fixtures/pipeline.js';

const SEED = 90_2026;
const at = (dir: string, rel: string) => path.join(dir, ...rel.split('/'));
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Kills delivered to a running process, per scenario (a run that finished first is not counted). */
const kills: Record<string, number> = {};
const count = (what: string) => (kills[what] = (kills[what] ?? 0) + 1);

// ---------------------------------------------------------------- schedule

/**
 * n kill moments as fractions of a run: one per stratum of equal width, a seeded point
 * within each, strata visited in a seeded order (so the moment is not correlated with the
 * round's starting state).
 */
function killSchedule(seed: number, n: number): number[] {
  const rand = seededRandom(seed);
  const strata = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [strata[i], strata[j]] = [strata[j]!, strata[i]!];
  }
  return strata.map((s) => (s + rand()) / n);
}

/** Kill moments start once node is up (no earlier than 60 ms) and stop just short of the measured run. */
const EARLIEST_MS = 60;
const delayFor = (fraction: number, fullMs: number) => Math.round(EARLIEST_MS + fraction * Math.max(fullMs * 0.92 - EARLIEST_MS, 1));

// ---------------------------------------------------------------- processes

/** Live processes started for a stage of the project at dir (rx gives them RX_ROOT=dir). */
function stageProcesses(dir: string): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let vars: string[];
    try {
      vars = readFileSync(`/proc/${name}/environ`, 'latin1').split('\0');
    } catch {
      continue;
    }
    if (vars.includes(`RX_ROOT=${dir}`)) out.push(Number(name));
  }
  return out;
}

function killAll(pids: number[]): void {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone already
    }
  }
}

/**
 * SIGKILL stays with the process it is sent to: stage commands of a killed rx keep running.
 * After killing rx the test kills them too (as a kill of the whole job does), and waits
 * until none is left, so the next command never races a dead run's stage.
 */
async function reapStages(dir: string): Promise<number> {
  let reaped = 0;
  for (let i = 0; i < 500; i++) {
    const pids = stageProcesses(dir);
    if (pids.length === 0) return reaped;
    reaped += pids.length;
    killAll(pids);
    await sleep(10);
  }
  throw new Error(`stage processes of ${dir} do not die`);
}

/** When and how a run is interrupted. */
interface Trigger {
  atMs: number;
  /** rx: SIGKILL rx (then its stage processes). stages: SIGKILL the running stage's processes (once one runs). */
  what: 'rx' | 'stages';
  /** Also wait (polling every millisecond) until this holds: a kill in one precise phase. */
  when?: () => boolean;
}

interface Run extends RunResult {
  signal: NodeJS.Signals | null;
  /** What was actually killed while running (undefined: the run ended before the trigger fired). */
  killed: 'rx' | 'stages' | undefined;
  startedAt: number;
  ms: number;
  child: ChildProcess;
}

function start(dir: string, args: string[], trigger?: Trigger): { child: ChildProcess; done: Promise<Run> } {
  const startedAt = Date.now();
  const t0 = performance.now();
  const child = rxSpawn(dir, args);
  let stdout = '';
  let stderr = '';
  let exited = false;
  let killed: Run['killed'];
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const fire = (): boolean => {
    if (exited) return true;
    if (trigger!.when && !trigger!.when()) return false;
    if (trigger!.what === 'rx') {
      child.kill('SIGKILL');
      killAll(stageProcesses(dir));
      killed = 'rx';
      return true;
    }
    const pids = stageProcesses(dir);
    if (pids.length === 0) return false;
    killAll(pids);
    killed = 'stages';
    return true;
  };
  let poll: NodeJS.Timeout | undefined;
  const timer = trigger
    ? setTimeout(() => {
        if (!fire()) poll = setInterval(() => fire() && clearInterval(poll), trigger.when ? 1 : 4);
      }, trigger.atMs)
    : undefined;
  const done = new Promise<Run>((resolve) => {
    child.on('close', async (code, signal) => {
      exited = true;
      clearTimeout(timer);
      clearInterval(poll);
      const ms = performance.now() - t0;
      if (trigger) await reapStages(dir);
      // A kill that reached a process that had already exited does not count.
      if (killed === 'rx' && signal !== 'SIGKILL') killed = undefined;
      resolve({ code: code ?? -1, signal, stdout, stderr, killed, startedAt, ms, child });
    });
  });
  return { child, done };
}

const runRx = (dir: string, args: string[], trigger?: Trigger) => start(dir, args, trigger).done;

/**
 * rx run to completion. Never spawnSync: the three scenarios share this process's event loop,
 * and a blocked loop would delay the other scenarios' kills.
 */
const rx = (dir: string, args: string[]): Promise<Run> => runRx(dir, args);

/** Every regular file under a path (POSIX rel path -> sha256, size, exec bit), as fixtures' snapshotTree, read asynchronously. */
async function snapshot(root: string): Promise<Record<string, FileSnapshot>> {
  const out: Record<string, FileSnapshot> = {};
  const one = async (abs: string, rel: string) => {
    const st = await fsp.lstat(abs);
    if (st.isDirectory()) {
      for (const name of (await fsp.readdir(abs)).sort()) await one(path.join(abs, name), rel === '' ? name : `${rel}/${name}`);
    } else if (st.isFile()) {
      const bytes = await fsp.readFile(abs);
      out[rel] = { sha256: createHash('sha256').update(bytes).digest('hex'), size: bytes.length, exec: (st.mode & 0o100) !== 0 };
    } else throw new Error(`unexpected non-regular file ${abs}`);
  };
  await one(root, '');
  return out;
}

/** Names in a directory matching a pattern (none if it is absent). */
function namesIn(dir: string, pattern: RegExp): string[] {
  try {
    return readdirSync(dir).filter((n) => pattern.test(n));
  } catch {
    return [];
  }
}

// ---------------------------------------------------------------- checks

type Tap = Test;

async function fsckClean(t: Tap, dir: string, what: string): Promise<boolean> {
  const r = await rx(dir, ['fsck', '--json']);
  let out: { corrupt: unknown[]; missing: unknown[]; dangling: unknown[] };
  try {
    out = parseOutput('fsck', r);
  } catch (err) {
    t.fail(`${what}: fsck --json: ${(err as Error).message}`);
    return false;
  }
  const got = { code: r.code, corrupt: out.corrupt, missing: out.missing, dangling: out.dangling };
  const want = { code: 0, corrupt: [], missing: [], dangling: [] };
  t.same(got, want, `${what}: fsck finds no corrupt, dangling or missing object`);
  return JSON.stringify(got) === JSON.stringify(want);
}

/** Every pointer and rx.lock parses: `rx status --json` answers (0 or 1) with a valid document, never exit 4. */
async function statusParses(t: Tap, dir: string, what: string): Promise<any> {
  const r = await rx(dir, ['status', '--json']);
  t.ok(r.code === 0 || r.code === 1, `${what}: rx status --json reads every pointer and rx.lock (exit ${r.code})${r.code > 1 ? `\n${r.stderr}` : ''}`);
  try {
    return parseOutput('status', r);
  } catch (err) {
    t.fail(`${what}: status --json output: ${(err as Error).message}`);
    return undefined;
  }
}

function gitClean(t: Tap, dir: string, what: string): void {
  const r = gitFsckStrict(dir);
  t.equal(r.code, 0, `${what}: git fsck --strict clean${r.code !== 0 ? `\n${r.stdout}${r.stderr}` : ''}`);
}

/** Names in the project root other than the expected ones (a temp file of a killed writer, say). */
function strays(dir: string, allowed: string[]): string[] {
  return readdirSync(dir).filter((n) => !allowed.includes(n)).sort();
}

/** Right after a kill a temp file of the killed writer may lie beside its target; the next command must leave none. */
function noteStrays(t: Tap, dir: string, allowed: string[], what: string): void {
  const left = strays(dir, allowed);
  if (left.length > 0) t.comment(`${what}: right after the kill the project root also holds ${left.join(', ')}`);
}

/** No stray file in the project root; one found is reported, then removed so later rounds report their own. */
function noStrays(t: Tap, dir: string, allowed: string[], what: string): void {
  const left = strays(dir, allowed);
  t.same(left, [], `${what}: no stray file in the project root`);
  for (const name of left) rmSync(at(dir, name), { recursive: true, force: true });
}

/** Temp files in the store's temp directory (`.obj.<pid>.<n>.tmp` and the like) with their mtimes. */
function cacheTemps(dir: string): { name: string; mtimeMs: number }[] {
  const tmp = at(dir, '.rx/cache/tmp');
  if (!existsSync(tmp)) return [];
  const out: { name: string; mtimeMs: number }[] = [];
  for (const name of readdirSync(tmp)) {
    try {
      const st = lstatSync(path.join(tmp, name));
      if (!st.isDirectory() && name.endsWith('.tmp')) out.push({ name, mtimeMs: st.mtimeMs });
    } catch {
      // removed meanwhile
    }
  }
  return out;
}

/** Temp files older than a process started at `startedAt` (wall-clock ms). */
const tempsOlderThan = (dir: string, startedAt: number) => cacheTemps(dir).filter((f) => f.mtimeMs < startedAt).map((f) => f.name).sort();

/** The hash a pointer file names; undefined if absent; 'UNPARSABLE: ...' if it is not a complete pointer. */
function pointerHash(file: string): string | undefined {
  if (!existsSync(file)) return undefined;
  try {
    const p = parseYaml(readFileSync(file, 'utf8'));
    if (typeof p?.hash !== 'string' || typeof p?.path !== 'string') return `UNPARSABLE: ${JSON.stringify(p)}`;
    return p.hash;
  } catch (err) {
    return `UNPARSABLE: ${(err as Error).message}`;
  }
}

/** A directory manifest from the store as {path: {hash,size,exec}}, compared against a snapshot. */
function manifestAsSnapshot(dir: string, hash: string): Record<string, { hash: string; size: number; exec: boolean }> | string {
  try {
    const m = JSON.parse(readFileSync(objectPath(dir, hash), 'utf8')) as { entries: { path: string; hash: string; size: number; mode: string }[] };
    return Object.fromEntries(m.entries.map((e) => [e.path, { hash: e.hash, size: e.size, exec: e.mode === '755' }]));
  } catch (err) {
    return `unreadable manifest ${hash}: ${(err as Error).message}`;
  }
}

function snapshotAsManifest(snap: Record<string, FileSnapshot>): Record<string, { hash: string; size: number; exec: boolean }> {
  return Object.fromEntries(Object.entries(snap).map(([p, s]) => [p, { hash: `sha256:${s.sha256}`, size: s.size, exec: s.exec }]));
}

/** Objects rx.lock's outputs name (each output; for a directory its manifest and the manifest's entries) that the store lacks. */
function lockObjectsMissing(dir: string): string[] {
  const missing: string[] = [];
  let lock: any;
  try {
    lock = parseYaml(readFileSync(at(dir, 'rx.lock'), 'utf8'));
  } catch (err) {
    return [`rx.lock unreadable: ${(err as Error).message}`];
  }
  for (const [name, stage] of Object.entries<any>(lock?.stages ?? {})) {
    for (const o of stage.outs ?? []) {
      const obj = objectPath(dir, o.hash);
      if (!existsSync(obj)) {
        missing.push(`${name} out ${o.path} ${o.hash}`);
        continue;
      }
      if (o.type === 'dir') {
        const m = manifestAsSnapshot(dir, o.hash);
        if (typeof m === 'string') missing.push(m);
        else for (const [p, e] of Object.entries(m)) if (!existsSync(objectPath(dir, e.hash))) missing.push(`${name} out ${o.path}/${p} ${e.hash}`);
      }
    }
  }
  return missing;
}

// ---------------------------------------------------------------- rounds

/** The expected duration of one kind of run; re-measured when a run ends before its kill. */
interface Timing {
  ms: number;
}

/**
 * One kill: prepare the state, run the command and kill it at `fraction` of the expected
 * duration. A run that ends before its kill (the machine was faster than when it was timed)
 * must have succeeded; the duration is re-measured from it and the round is tried again (up
 * to three runs, aiming a fifth earlier each time).
 */
async function killRound(t: Tap, label: string, dir: string, args: string[], fraction: number, timing: Timing, how: Trigger['what'], prepare: (attempt: number) => void | Promise<void>): Promise<Run & { delay: number }> {
  let last: (Run & { delay: number }) | undefined;
  for (let attempt = 0; attempt < 3; attempt++) {
    await prepare(attempt);
    // A retry aims a little earlier (durations vary on a loaded machine).
    const delay = delayFor(fraction * 0.8 ** attempt, timing.ms);
    const r = await runRx(dir, args, { atMs: delay, what: how });
    last = { ...r, delay };
    if (r.killed) return last;
    t.equal(r.code, 0, `${label}: run ${attempt + 1} ended before its kill at ${delay} ms, and succeeded\n${r.stderr}`);
    timing.ms = r.ms;
  }
  return last!;
}

/**
 * One kill aimed at a short phase: prepare, run, kill the moment `when` holds. The phase may
 * pass between two polls (a loaded machine); then the run must have succeeded and it is tried
 * again, up to three runs.
 */
async function targetedKill(t: Tap, label: string, dir: string, args: string[], when: () => boolean, prepare: (attempt: number) => void): Promise<Run> {
  let last: Run | undefined;
  for (let attempt = 0; attempt < 3; attempt++) {
    prepare(attempt);
    last = await runRx(dir, args, { atMs: 0, what: 'rx', when });
    if (last.killed) {
      count('targeted');
      return last;
    }
    t.equal(last.code, 0, `${label}: run ${attempt + 1} passed the phase between two polls, and succeeded\n${last.stderr}`);
  }
  t.comment(`${label}: no run was caught in the phase`);
  return last!;
}

// ---------------------------------------------------------------- data for add, checkout, gc

/** Seeded bytes from a 32-bit xorshift (cheaper than fixtures' pseudoBytes for many small files). */
function fastBytes(n: number, seed: number): Buffer {
  const buf = Buffer.alloc(n);
  let x = (Math.imul(seed, 2654435761) ^ 0x9e3779b9) >>> 0 || 1;
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    buf.writeUInt32LE(x, i);
  }
  for (; i < n; i++) buf[i] = (x >>> (8 * (i & 3))) & 0xff;
  return buf;
}

const SMALL = 200;
const BIG_BYTES = 20 * 1024 * 1024;
const TOOL_BYTES = 2 * 1024 * 1024;
const smallSizes = (() => {
  const rand = seededRandom(SEED + 3);
  return Array.from({ length: SMALL }, (_, i) => (i % 37 === 0 ? 0 : Math.floor(rand() * rand() * 12_000)));
})();
const BIG = [pseudoBytes(BIG_BYTES, SEED + 5), pseudoBytes(BIG_BYTES, SEED + 6)];

/**
 * Version v of data/: two hundred small files (empty, duplicate and executable ones among
 * them) of which about a third change from one version to the next and a few come and go,
 * plus one 20 MiB file with one of two contents.
 */
function dataVersion(v: number, big: number): TreeFile[] {
  const files: TreeFile[] = [];
  for (let i = 0; i < SMALL; i++) {
    if ((i + v) % 50 === 0) continue;
    const base = i % 10 === 9 ? i - 3 : i;
    const rev = Math.floor((v + base) / 3);
    files.push({ rel: `part-${i % 9}/s-${String(i).padStart(4, '0')}.bin`, content: fastBytes(smallSizes[base]!, SEED * 31 + base * 1009 + rev * 7), exec: i % 41 === 0 });
  }
  files.push({ rel: 'big/blob.bin', content: BIG[big % 2]!, exec: false });
  return files;
}

/** tool.bin, an executable tracked on its own (a second pointer), new in every version. */
const toolVersion = (v: number) => fastBytes(TOOL_BYTES, SEED * 13 + v);

interface Version {
  expected: Record<string, FileSnapshot>;
  tool: Buffer;
}

/** Replaces data/ and tool.bin by version v (removing first: workspace files may be store hardlinks). */
function writeVersion(dir: string, v: number, big: number): Version {
  rmSync(at(dir, 'data'), { recursive: true, force: true });
  rmSync(at(dir, 'tool.bin'), { force: true });
  const files = dataVersion(v, big);
  writeFiles(at(dir, 'data'), files);
  const tool = toolVersion(v);
  writeFileSync(at(dir, 'tool.bin'), tool);
  chmodSync(at(dir, 'tool.bin'), 0o755);
  return { expected: expectedSnapshot(files), tool };
}

const DATA_ROOT = ['.git', '.rx', '.gitignore', 'data', 'data.rx', 'tool.bin', 'tool.bin.rx'];

const canonical = (snap: Record<string, FileSnapshot>) => JSON.stringify(Object.keys(snap).sort().map((k) => [k, snap[k]]));

/** The workspace holds exactly version `want` of data/ and tool.bin. */
async function workspaceIs(t: Tap, dir: string, want: Version, what: string): Promise<void> {
  const data = existsSync(at(dir, 'data')) ? await snapshot(at(dir, 'data')) : {};
  const same = canonical(data) === canonical(want.expected);
  t.ok(same, `${what}: data/ holds exactly the expected files and bytes`);
  if (!same) {
    const extra = Object.keys(data).filter((k) => !(k in want.expected));
    const lacking = Object.keys(want.expected).filter((k) => !(k in data));
    const differ = Object.keys(data).filter((k) => k in want.expected && JSON.stringify(data[k]) !== JSON.stringify(want.expected[k]));
    t.comment(`${what}: extra ${JSON.stringify(extra.slice(0, 5))} (${extra.length}), lacking ${JSON.stringify(lacking.slice(0, 5))} (${lacking.length}), differing ${JSON.stringify(differ.slice(0, 5))} (${differ.length})`);
  }
  const tool = existsSync(at(dir, 'tool.bin')) ? (await snapshot(at(dir, 'tool.bin')))[''] : undefined;
  t.same(tool, { sha256: sha256Hex(want.tool), size: want.tool.length, exec: true }, `${what}: tool.bin holds the expected bytes, executable`);
}

/** Both pointers parse and name exactly what the workspace should hold (the manifest lists data/'s files). */
function pointersMatch(t: Tap, dir: string, want: Version, what: string): { data?: string; tool?: string } {
  const data = pointerHash(at(dir, 'data.rx'));
  const tool = pointerHash(at(dir, 'tool.bin.rx'));
  t.equal(tool, `sha256:${sha256Hex(want.tool)}`, `${what}: tool.bin.rx names tool.bin's content`);
  if (data === undefined || data.startsWith('UNPARSABLE')) t.fail(`${what}: data.rx is ${data ?? 'absent'}`);
  else t.same(manifestAsSnapshot(dir, data), snapshotAsManifest(want.expected), `${what}: data.rx names a manifest listing exactly data/'s files`);
  return { data, tool };
}

/** Valid but unreferenced objects written straight into the store (as a deleted pointer leaves them). */
function plantGarbage(dir: string, seed: number): string[] {
  const hashes: string[] = [];
  for (let k = 0; k < 300; k++) {
    const bytes = fastBytes(k === 0 ? 6 * 1024 * 1024 : 1 + ((k * 797) % 9000), seed * 1000 + k);
    const hash = `sha256:${sha256Hex(bytes)}`;
    const file = objectPath(dir, hash);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, bytes, { mode: 0o444 });
    hashes.push(hash);
  }
  return hashes;
}

// ---------------------------------------------------------------- repro, and gc beside repro

/**
 * gen writes five 256 KiB files in four chunks each with 8 ms pauses (so a kill finds half-
 * written files); summarise checksums them one by one with pauses into a cached output, a
 * cache: false output and a metrics file. Both are deterministic functions of data/seed.txt.
 */
const GEN_JS = `const fs = require('fs');
const seed = Number(fs.readFileSync('data/seed.txt', 'utf8').trim());
const pause = (ms) => { if (process.env.KS_FAST !== '1') Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms); };
fs.mkdirSync('out/gen', { recursive: true });
const SIZE = 256 * 1024, CHUNK = SIZE / 4;
for (let k = 0; k < 5; k++) {
  const buf = Buffer.alloc(SIZE);
  let x = (Math.imul(seed, 2654435761) + k * 40503 + 1) >>> 0 || 1;
  const fd = fs.openSync('out/gen/part-' + k + '.bin', 'w');
  for (let c = 0; c < 4; c++) {
    for (let i = c * CHUNK; i < (c + 1) * CHUNK; i += 4) { x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0; buf.writeUInt32LE(x, i); }
    fs.writeSync(fd, buf, c * CHUNK, CHUNK);
    pause(8);
  }
  fs.closeSync(fd);
}
`;
const SUM_SH = `set -e
pause() { [ "\${KS_FAST:-}" = 1 ] || sleep 0.02; }
: > out/summary.txt
: > out/listing.txt
for f in out/gen/*.bin; do
  cksum "$f" >> out/summary.txt
  pause
  echo "$f" >> out/listing.txt
done
n=$(wc -l < out/listing.txt)
printf '{\\n  "files": %d,\\n  "seed": %s\\n}\\n' "$n" "$(cat data/seed.txt)" > metrics.json
`;
const RX_YAML = `schema: 1
stages:
  gen:
    cmd: node scripts/gen.js
    deps:
      - data/seed.txt
      - scripts/gen.js
    outs:
      - out/gen
  summarise:
    cmd: sh scripts/sum.sh
    deps:
      - out/gen
      - scripts/sum.sh
    outs:
      - out/summary.txt
      - path: out/listing.txt
        cache: false
    metrics:
      - path: metrics.json
        cache: false
`;
const PIPE_ROOT = ['.git', '.rx', '.gitignore', 'rx.yaml', 'rx.lock', 'data', 'scripts', 'out', 'metrics.json'];

const execFileP = promisify(execFile);

/** What the pipeline makes from a seed: out/ and metrics.json, by running the scripts directly. */
const references = new Map<number, { out: Record<string, FileSnapshot>; metrics: string }>();
async function reference(seed: number): Promise<{ out: Record<string, FileSnapshot>; metrics: string }> {
  const known = references.get(seed);
  if (known) return known;
  const dir = tempDir('rx-kill-ref-');
  try {
    writeTree(dir, { 'scripts/gen.js': GEN_JS, 'scripts/sum.sh': SUM_SH, 'data/seed.txt': `${seed}\n` });
    for (const cmd of [['node', 'scripts/gen.js'], ['sh', 'scripts/sum.sh']]) {
      await execFileP(cmd[0]!, cmd.slice(1), { cwd: dir, env: { ...process.env, KS_FAST: '1' } });
    }
    const ref = { out: await snapshot(at(dir, 'out')), metrics: readFileSync(at(dir, 'metrics.json'), 'utf8') };
    references.set(seed, ref);
    return ref;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function setSeed(dir: string, seed: number): void {
  writeFileSync(at(dir, 'data/seed.txt'), `${seed}\n`);
}

/** The finished pipeline: outputs are those of the seed, rx.lock valid and complete, fsck clean, stages up to date. */
async function pipelineDone(t: Tap, dir: string, seed: number, what: string, upToDate: boolean): Promise<void> {
  const ref = await reference(seed);
  const out = existsSync(at(dir, 'out')) ? await snapshot(at(dir, 'out')) : {};
  delete out['.gitignore']; // rx's own ignore entries for the cached outputs
  t.same(out, ref.out, `${what}: out/ holds what the stages make from seed ${seed}`);
  t.equal(existsSync(at(dir, 'metrics.json')) ? readFileSync(at(dir, 'metrics.json'), 'utf8') : '(absent)', ref.metrics, `${what}: metrics.json`);
  try {
    validLock(dir);
  } catch (err) {
    t.fail(`${what}: rx.lock: ${(err as Error).message}`);
  }
  t.same(lockObjectsMissing(dir), [], `${what}: every object rx.lock names is in the store`);
  const status = upToDate ? await statusParses(t, dir, what) : undefined;
  if (status) t.same(status.stages.filter((s: any) => s.state !== 'up-to-date').map((s: any) => `${s.name}: ${s.state} ${s.reasons.join('; ')}`), [], `${what}: every stage up to date`);
  await fsckClean(t, dir, what);
  const staging = at(dir, '.rx/tmp/staging');
  t.same(existsSync(staging) ? readdirSync(staging) : [], [], `${what}: no staging directory left`);
  noStrays(t, dir, PIPE_ROOT, what);
  t.same(tempsOlderThan(dir, Date.now() - 1), [], `${what}: no temp file left in .rx/cache/tmp`);
  gitClean(t, dir, what);
}

function pipelineProject(t: Parameters<typeof useProject>[0]): string {
  const dir = useProject(t);
  writeTree(dir, { 'rx.yaml': RX_YAML, 'scripts/gen.js': GEN_JS, 'scripts/sum.sh': SUM_SH, 'data/seed.txt': '99\n' });
  commitAll(dir, 'pipeline');
  return dir;
}

// ---------------------------------------------------------------- the scenarios

// Three independent projects: their scenarios run side by side (two cores, and much of each
// run is waiting for the disk or a stage). Kill moments are timed under the same load.
t.test('SIGKILLs at seeded moments', { jobs: 3 }, async (t) => {
  // ---------------------------------------------------------------- add, temp objects
  t.test('add and temp objects', async (t) => {
    const dir = useProject(t);
    const ADD = ['add', 'data', 'tool.bin', '--json'];

    // Uninterrupted adds, timed: one into an empty store, one of a new version on top of it.
    // The kill moments of each round are spread over the matching one.
    let want = writeVersion(dir, 0, 0);
    const first = await runRx(dir, ADD);
    t.equal(first.code, 0, `uninterrupted add\n${first.stderr}`);
    pointersMatch(t, dir, want, 'uninterrupted add');
    want = writeVersion(dir, 1, 0);
    const second = await runRx(dir, ADD);
    t.equal(second.code, 0, `uninterrupted add of a new version\n${second.stderr}`);
    pointersMatch(t, dir, want, 'uninterrupted add of a new version');
    gitOk(dir, ['add', '-A']);
    gitOk(dir, ['commit', '-q', '-m', 'data v1']);
    const timing = { fresh: { ms: first.ms }, update: { ms: second.ms } };
    t.comment(`add: uninterrupted ${Math.round(first.ms)} ms into an empty store, ${Math.round(second.ms)} ms for a new version`);

    const pointers = () => ({ data: pointerHash(at(dir, 'data.rx')), tool: pointerHash(at(dir, 'tool.bin.rx')) });
    let leftoversSeen = 0;

    /**
     * After a killed add (`old`: the pointers before it): every pointer parses and is the old
     * or the new complete one; the next add completes; store, workspace, temp files, git sound.
     */
    const afterKilledAdd = async (t: Tap, what: string, old: { data?: string; tool?: string }) => {
      const afterKill = pointers();
      await statusParses(t, dir, `${what}, after the kill`);
      noteStrays(t, dir, DATA_ROOT, what);
      leftoversSeen += cacheTemps(dir).length;

      const next = await runRx(dir, ADD);
      t.equal(next.code, 0, `${what}: the next add completes\n${next.stderr}`);
      const now = pointersMatch(t, dir, want, `${what}, next add`);
      for (const k of ['data', 'tool'] as const) {
        t.ok([old[k], now[k]].includes(afterKill[k]), `${what}: after the kill the ${k} pointer is the old or the new complete one (${afterKill[k] ?? 'absent'}; old ${old[k] ?? 'absent'})`);
      }
      await fsckClean(t, dir, what);
      await workspaceIs(t, dir, want, what);
      t.same(tempsOlderThan(dir, next.startedAt), [], `${what}: no temp file older than the next add is left in .rx/cache/tmp`);
      noStrays(t, dir, DATA_ROOT, what);
      gitClean(t, dir, what);
    };

    let version = 2;
    await t.test('add killed, then re-run', async (t) => {
      const ADD_KILLS = 15;
      const fractions = killSchedule(SEED + 10, ADD_KILLS);
      for (let i = 0; i < ADD_KILLS; i++) {
        // Every other round starts from a never-added state (empty store, no pointers) and
        // brings the other content of the large file; the others start from the previous
        // round's completed add, with a new version in the workspace.
        const fresh = i % 2 === 0;
        const label = `add round ${i} (${fresh ? 'into an empty store' : 'new version'})`;
        let old: { data?: string; tool?: string } = {};
        const r = await killRound(t, label, dir, ADD, fractions[i]!, fresh ? timing.fresh : timing.update, 'rx', () => {
          if (fresh) for (const p of ['.rx/cache', '.rx/tmp', 'data.rx', 'tool.bin.rx']) rmSync(at(dir, p), { recursive: true, force: true });
          want = writeVersion(dir, version++, Math.floor(i / 2));
          old = pointers();
        });
        if (r.killed) count('add');
        await afterKilledAdd(t, `${label}, killed at ${r.delay} ms`, old);
      }
      t.comment(`add: temp files seen in .rx/cache/tmp right after the kills: ${leftoversSeen}`);
    });

    await t.test('add killed while it writes a pointer, then re-run', async (t) => {
      // The pointer-writing phase is short: kill the moment a pointer's temp file shows.
      let old: { data?: string; tool?: string } = {};
      await targetedKill(t, 'add killed while writing a pointer', dir, ADD, () => namesIn(dir, /^\..*\.rx\..*tmp$/).length > 0, () => {
        want = writeVersion(dir, version++, 1);
        old = pointers();
      });
      await afterKilledAdd(t, 'add killed while writing a pointer', old);
    });

    await t.test('temp objects of a killed add are removed by the next writer and by gc', async (t) => {
      /** Kills an add the moment it has a new temp object in .rx/cache/tmp, until one is left behind. */
      const killWithLeftover = async (what: string) => {
        for (let attempt = 0; attempt < 4; attempt++) {
          want = writeVersion(dir, version++, 1);
          const before = new Set(cacheTemps(dir).map((f) => f.name));
          const fresh = () => cacheTemps(dir).filter((f) => !before.has(f.name) && f.name.startsWith('.obj.'));
          const r = await runRx(dir, ADD, { atMs: 0, what: 'rx', when: () => fresh().length > 0 });
          if (r.killed) count('targeted');
          const left = fresh();
          if (r.killed && left.length > 0) {
            t.comment(`${what}: left in .rx/cache/tmp: ${left.map((f) => f.name).join(', ')}`);
            return true;
          }
          if (!r.killed) t.equal(r.code, 0, `${what}: finished before a temp object showed\n${r.stderr}`);
        }
        t.comment(`${what}: no kill left a temp object behind (rx may write none there any more)`);
        return false;
      };

      if (await killWithLeftover('leftover for the next add')) {
        // The next writer starts after the killed process died: every temp older than it is stale.
        const next = await runRx(dir, ADD);
        t.equal(next.code, 0, `the next add completes\n${next.stderr}`);
        t.same(tempsOlderThan(dir, next.startedAt), [], 'after the next add, no temp object older than it remains in .rx/cache/tmp');
        pointersMatch(t, dir, want, 'after the next add');
      }
      if (await killWithLeftover('leftover for gc')) {
        const gc = await runRx(dir, ['gc', '--workspace', '--json']);
        t.equal(gc.code, 0, `gc --workspace completes\n${gc.stderr}`);
        t.same(tempsOlderThan(dir, gc.startedAt), [], 'after gc --workspace, no temp object older than it remains in .rx/cache/tmp');
      }
      const again = await runRx(dir, ADD);
      t.equal(again.code, 0, `add completes\n${again.stderr}`);
      pointersMatch(t, dir, want, 'after the temp-file rounds');
      await fsckClean(t, dir, 'after the temp-file rounds');
      await workspaceIs(t, dir, want, 'after the temp-file rounds');
      noStrays(t, dir, DATA_ROOT, 'after the temp-file rounds');
    });
  });

  // ---------------------------------------------------------------- checkout, then gc
  t.test('checkout, then gc', async (t) => {
    const dir = useProject(t);
    const versions: (Version & { commit: string; pointer?: string })[] = [];
    for (const v of [0, 1]) {
      const w = writeVersion(dir, 5 + v * 5, v);
      const r = await rx(dir, ['add', 'data', 'tool.bin']);
      if (r.code !== 0) throw new Error(`add: ${r.stderr}`);
      commitAll(dir, `data v${v + 1}`);
      versions.push({ ...w, commit: gitOk(dir, ['rev-parse', 'HEAD']).trim(), pointer: pointerHash(at(dir, 'data.rx')) });
    }
    /** Which version the pointers name now. */
    const current = () => (pointerHash(at(dir, 'data.rx')) === versions[0]!.pointer ? 0 : 1);
    // Pointers as `git checkout` of another commit leaves them; optionally no data at all.
    const toVersion = (v: { commit: string }, empty: boolean) => {
      gitOk(dir, ['checkout', '-q', v.commit, '--', 'data.rx', 'tool.bin.rx']);
      if (empty) {
        rmSync(at(dir, 'data'), { recursive: true, force: true });
        rmSync(at(dir, 'tool.bin'), { force: true });
      }
    };
    // Timed: a full restore of version 1 into an empty workspace, and a switch to version 2.
    toVersion(versions[0]!, true);
    const intoEmpty = await runRx(dir, ['checkout', '--json']);
    t.equal(intoEmpty.code, 0, `uninterrupted checkout\n${intoEmpty.stderr}`);
    await workspaceIs(t, dir, versions[0]!, 'uninterrupted checkout');
    toVersion(versions[1]!, false);
    const switched = await runRx(dir, ['checkout', '--json']);
    t.equal(switched.code, 0, `uninterrupted switch\n${switched.stderr}`);
    await workspaceIs(t, dir, versions[1]!, 'uninterrupted switch');
    const timing = { empty: { ms: intoEmpty.ms }, switch: { ms: switched.ms } };
    t.comment(`checkout: uninterrupted ${Math.round(intoEmpty.ms)} ms into an empty workspace, ${Math.round(switched.ms)} ms for a switch`);

    /** After a killed checkout: the next one completes (no --force), the workspace is exactly the target. */
    const afterKilledCheckout = async (t: Tap, what: string, target: number) => {
      noteStrays(t, dir, DATA_ROOT, what);
      const next = await runRx(dir, ['checkout', '--json']);
      t.equal(next.code, 0, `${what}: the next checkout completes (no --force needed)\n${next.stderr}`);
      if (next.code !== 0) {
        const forced = await rx(dir, ['checkout', '--force']);
        t.comment(`${what}: checkout --force to go on: exit ${forced.code}`);
      }
      await workspaceIs(t, dir, versions[target]!, what);
      await fsckClean(t, dir, what);
      noStrays(t, dir, DATA_ROOT, what);
      t.same(tempsOlderThan(dir, next.startedAt), [], `${what}: no temp file older than the next checkout is left in .rx/cache/tmp`);
      gitClean(t, dir, what);
    };

    await t.test('checkout killed, then re-run', async (t) => {
      const CHECKOUT_KILLS = 16;
      const fractions = killSchedule(SEED + 30, CHECKOUT_KILLS);
      for (let i = 0; i < CHECKOUT_KILLS; i++) {
        // A third of the rounds restore into an empty workspace, the rest switch versions
        // (from whatever the previous round left).
        const fresh = i % 3 === 0;
        let target = 0;
        const label = `checkout round ${i} (${fresh ? 'into an empty workspace' : 'switch'})`;
        const r = await killRound(t, label, dir, ['checkout', '--json'], fractions[i]!, fresh ? timing.empty : timing.switch, 'rx', (attempt) => {
          target = (i + attempt) % 2;
          toVersion(versions[target]!, fresh);
        });
        if (r.killed) count('checkout');
        await afterKilledCheckout(t, `${label} to v${target + 1}, killed at ${r.delay} ms`, target);
      }
    });

    await t.test('checkout killed while it writes a file beside its destination, then re-run', async (t) => {
      // A copy is written to a temp name next to the file it replaces, then renamed: kill the
      // moment one shows (the large file in data/big/, or tool.bin in the root).
      let target = 0;
      const beside = () => namesIn(at(dir, 'data/big'), /^(?!blob\.bin$)/).length > 0 || namesIn(dir, /^\.tool\.bin\..*tmp$/).length > 0;
      await targetedKill(t, 'checkout killed while writing beside a destination', dir, ['checkout', '--json'], beside, () => {
        target = current() === 0 ? 1 : 0;
        toVersion(versions[target]!, false);
      });
      await afterKilledCheckout(t, `checkout to v${target + 1} killed while writing beside a destination`, target);
    });

    await t.test('gc --workspace killed, then re-run', async (t) => {
      // Garbage: the version not checked out now (collected here, timed), then per round a
      // few hundred planted objects and, every third round, the previous version of the data.
      let want: Version = versions[current()]!;
      plantGarbage(dir, 1);
      const timed = await runRx(dir, ['gc', '--workspace', '--json']);
      t.equal(timed.code, 0, `uninterrupted gc\n${timed.stderr}`);
      const gcTiming = { ms: timed.ms };
      const GC_KILLS = 6;
      const fractions = killSchedule(SEED + 20, GC_KILLS);
      t.comment(`gc: uninterrupted ${Math.round(timed.ms)} ms`);
      for (let i = 0; i < GC_KILLS; i++) {
        const label = `gc round ${i}`;
        let garbage: string[] = [];
        const r = await killRound(t, label, dir, ['gc', '--workspace', '--json'], fractions[i]!, gcTiming, 'rx', async (attempt) => {
          if (attempt === 0 && i % 3 === 0) {
            want = writeVersion(dir, 200 + i, i / 3);
            const added = await rx(dir, ['add', 'data', 'tool.bin']);
            t.equal(added.code, 0, `${label}: add\n${added.stderr}`);
          }
          garbage = plantGarbage(dir, 10 + i * 2 + attempt);
        });
        const what = `${label}, killed at ${r.delay} ms`;
        if (r.killed) count('gc');

        const next = await runRx(dir, ['gc', '--workspace', '--json']);
        t.equal(next.code, 0, `${what}: the next gc completes\n${next.stderr}`);
        try {
          parseOutput('gc', next);
        } catch (err) {
          t.fail(`${what}: gc --json: ${(err as Error).message}`);
        }
        t.same(garbage.filter((h) => existsSync(objectPath(dir, h))), [], `${what}: the planted garbage is gone`);
        await fsckClean(t, dir, what);
        pointersMatch(t, dir, want, what);
        t.same(tempsOlderThan(dir, next.startedAt), [], `${what}: no temp file older than the next gc is left in .rx/cache/tmp`);
        if (i % 3 === 2) {
          rmSync(at(dir, 'data'), { recursive: true, force: true });
          rmSync(at(dir, 'tool.bin'), { force: true });
          const co = await rx(dir, ['checkout']);
          t.equal(co.code, 0, `${what}: checkout after deleting the data\n${co.stderr}`);
        }
        await workspaceIs(t, dir, want, what);
        noStrays(t, dir, DATA_ROOT, what);
        gitClean(t, dir, what);
      }
    });
  });

  // ---------------------------------------------------------------- repro, gc beside repro
  t.test('repro, and gc beside repro', async (t) => {
    const dir = pipelineProject(t);
    // Timed: a run of both stages, and a restore of both from the run cache.
    const ran = await runRx(dir, ['repro', '--json']);
    t.equal(ran.code, 0, `uninterrupted repro\n${ran.stderr}`);
    await pipelineDone(t, dir, 99, 'uninterrupted repro', true);
    commitAll(dir, 'first run');
    setSeed(dir, 98);
    t.equal((await runRx(dir, ['repro'])).code, 0, 'repro of another seed');
    setSeed(dir, 99);
    const cached = await runRx(dir, ['repro', '--json']);
    t.equal(cached.code, 0, `repro restored from the run cache\n${cached.stderr}`);
    const timing = { ran: { ms: ran.ms }, cached: { ms: cached.ms } };
    t.comment(`repro: uninterrupted ${Math.round(ran.ms)} ms running both stages, ${Math.round(cached.ms)} ms from the run cache`);

    /**
     * After a killed repro: rx.lock parses (rx's lock schema here; rx's own reader in `rx status`
     * when `status`, and in any case in the next repro, which reads it first); the next repro
     * completes and leaves the pipeline sound.
     */
    const afterKilledRepro = async (t: Tap, what: string, seed: number, status: boolean, upToDate: boolean) => {
      if (status) await statusParses(t, dir, `${what}, after the kill`);
      try {
        validLock(dir);
      } catch (err) {
        t.fail(`${what}: after the kill, rx.lock: ${(err as Error).message}`);
      }
      noteStrays(t, dir, PIPE_ROOT, what);
      const next = await runRx(dir, ['repro', '--json']);
      t.equal(next.code, 0, `${what}: the next repro completes\n${next.stderr}`);
      try {
        outputAs('repro', next);
      } catch (err) {
        t.fail(`${what}: repro --json: ${(err as Error).message}`);
      }
      await pipelineDone(t, dir, seed, what, upToDate);
    };

    await t.test('repro killed, then re-run', async (t) => {
      const REPRO_KILLS = 13;
      const fractions = killSchedule(SEED + 40, REPRO_KILLS);
      for (let i = 0; i < REPRO_KILLS; i++) {
        // Rounds 1, 4, 7, 10 kill the running stage's processes (rx lives on: the stage fails);
        // the others kill rx. Rounds 3, 6, 9, 12 go back to an earlier seed (run-cache restore).
        const stageKill = i % 3 === 1;
        const fromCache = i % 3 === 0 && i > 0;
        let seed = 0;
        const label = `repro round ${i} (${fromCache ? 'from the run cache' : 'running the stages'}, kill ${stageKill ? 'the stage' : 'rx'})`;
        // A stage kill waits for a stage process from its moment on: aim it within the first
        // two thirds of the run, where the stages run (the rest is saving and the lock).
        const fraction = stageKill ? fractions[i]! * 0.66 : fractions[i]!;
        const r = await killRound(t, label, dir, ['repro', '--json'], fraction, fromCache ? timing.cached : timing.ran, stageKill ? 'stages' : 'rx', (attempt) => {
          seed = fromCache ? 100 + i - 2 - attempt : 100 + i + 1000 * attempt;
          setSeed(dir, seed);
        });
        const what = `${label}, seed ${seed}, killed at ${r.delay} ms`;
        if (r.killed === 'rx') count('repro');
        if (r.killed === 'stages') {
          count('repro-stage');
          t.equal(r.code, 5, `${what}: rx reports the killed stage as failed (exit 5)\n${r.stderr}`);
        }
        // `rx status` after the kill in a third of the rounds, and after the next repro (every
        // stage up to date) in another third: each costs a start-up.
        await afterKilledRepro(t, what, seed, i % 3 === 0, i % 3 === 2);
      }
    });

    await t.test('repro killed while it writes rx.lock or an uncached output, then re-run', async (t) => {
      // Both are written to a temp name beside the file, then renamed: kill the moment one shows.
      let seed = 0;
      await targetedKill(t, 'repro killed while writing rx.lock or metrics.json', dir, ['repro', '--json'], () => namesIn(dir, /^\.(rx\.lock|metrics\.json)\..*tmp$/).length > 0, (attempt) => {
        seed = 300 + attempt;
        setSeed(dir, seed);
      });
      await afterKilledRepro(t, `repro (seed ${seed}) killed while writing rx.lock or metrics.json`, seed, true, true);
    });

    await t.test('gc --workspace --wait beside a running repro', async (t) => {
      const ROUNDS = 4;
      // The repro has at least the rest of its first stage, the second stage and the saving ahead.
      const delays = killSchedule(SEED + 50, ROUNDS).map((f) => Math.round(30 + f * 250));
      for (let j = 0; j < ROUNDS; j++) {
        // Rounds 2 and 3 also kill the repro while gc waits for the project lock.
        const killRepro = j >= 2;
        const seed = 500 + j;
        setSeed(dir, seed);
        const what = `gc beside repro round ${j} (seed ${seed}${killRepro ? `, repro killed ${delays[j]} ms after gc started` : ''})`;
        const repro = start(dir, ['repro', '--json']);
        // gc starts once the repro holds the project lock and runs its first stage.
        let exited = false;
        void repro.done.then(() => (exited = true));
        const deadline = performance.now() + 20_000;
        while (!exited && stageProcesses(dir).length === 0 && performance.now() < deadline) await sleep(4);
        t.ok(!exited, `${what}: gc starts while the repro runs a stage`);
        const gc = start(dir, ['gc', '--workspace', '--wait', '30', '--json']);
        if (killRepro) {
          await sleep(delays[j]!);
          if (!exited) {
            repro.child.kill('SIGKILL');
            killAll(stageProcesses(dir));
          }
        }
        const [rr, gr] = await Promise.all([repro.done, gc.done]);
        await reapStages(dir);
        t.ok(gr.code === 0 || gr.code === 7, `${what}: gc waits for the lock or is refused (exit ${gr.code})\n${gr.stderr}`);
        if (gr.code === 0 && rr.signal === null) {
          t.ok(gr.startedAt + gr.ms >= rr.startedAt + rr.ms, `${what}: gc finished only after the repro it waited for`);
        }
        if (killRepro && rr.signal === 'SIGKILL') {
          count('repro-beside-gc');
          await statusParses(t, dir, `${what}, after the kill`);
          const next = await runRx(dir, ['repro', '--json']);
          t.equal(next.code, 0, `${what}: the next repro completes\n${next.stderr}`);
        } else t.equal(rr.code, 0, `${what}: repro completes\n${rr.stderr}`);
        t.same(lockObjectsMissing(dir), [], `${what}: every object the finished rx.lock names is in the store`);
        // Delete the cached outputs: checkout puts them back from the store.
        rmSync(at(dir, 'out/gen'), { recursive: true, force: true });
        rmSync(at(dir, 'out/summary.txt'), { force: true });
        const co = await rx(dir, ['checkout', '--json']);
        t.equal(co.code, 0, `${what}: checkout after deleting the outputs\n${co.stderr}`);
        if (co.code === 0) {
          try {
            const out = parseOutput('checkout', co);
            t.same(out.unrestorable ?? [], [], `${what}: checkout can restore every cached output`);
          } catch (err) {
            t.fail(`${what}: checkout --json: ${(err as Error).message}`);
          }
        }
        // If they could not be restored, make them again so the next round starts sound.
        if (!existsSync(at(dir, 'out/gen'))) await rx(dir, ['repro']);
        await pipelineDone(t, dir, seed, what, true);
      }
    });
  });
});

t.test('kill count', async (t) => {
  const seeded = Object.entries(kills).filter(([k]) => k !== 'targeted').reduce((a, [, n]) => a + n, 0);
  t.comment(`SIGKILLs delivered to running processes: ${seeded} at seeded moments, ${kills.targeted ?? 0} at chosen phases ${JSON.stringify(kills)}`);
  t.ok(seeded >= 50, `at least 50 seeded kills landed (${seeded})`);
  for (const what of ['add', 'checkout', 'repro', 'repro-stage', 'gc', 'repro-beside-gc']) t.ok((kills[what] ?? 0) > 0, `some kills landed during ${what}`);
});

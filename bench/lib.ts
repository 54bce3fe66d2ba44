// Shared helpers for rx's benchmarks (run by bench/index.ts through `npm run bench`):
// where work data lives, running and timing commands (wall time from the parent, peak RSS
// from GNU `/usr/bin/time -v`), deterministic data generation (seeded xorshift, never
// Math.random), making the page cache fair between tools (sync + cat), installing the
// reference tools from Debian when they are missing, and the summary table.
import { spawn, spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import * as fs from 'node:fs';
import * as path from 'node:path';

export const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = path.dirname(BENCH_DIR);
export const WORK_DIR = path.join(BENCH_DIR, '.work');
export const LOG_DIR = path.join(WORK_DIR, 'logs');
export const RX_BIN = path.join(REPO_ROOT, 'bin', 'rx.js');
export const CORES = availableParallelism();
export const TIME_BIN = '/usr/bin/time';

/** Longest any single command may run before it is killed and reported as a timeout. */
const DEFAULT_TIMEOUT_MS = 300_000;

// ---------------------------------------------------------------------------------------
// Output

export function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

export function step(scenario: string, line: string): void {
  say(`  [${scenario}] ${line}`);
}

export function fmtSeconds(s: number): string {
  return s < 10 ? s.toFixed(3) : s.toFixed(2);
}

export function fmtMB(mb: number | undefined): string {
  return mb === undefined ? 'n/a' : mb.toFixed(1);
}

// ---------------------------------------------------------------------------------------
// Running commands

/** The environment every benchmarked command gets: isolated git config, fixed identity. */
export function benchEnv(): NodeJS.ProcessEnv {
  const home = path.join(WORK_DIR, 'home');
  fs.mkdirSync(home, { recursive: true });
  const gitconfig = path.join(home, '.gitconfig');
  if (!fs.existsSync(gitconfig)) {
    fs.writeFileSync(gitconfig, '[user]\n\tname = rx bench\n\temail = bench@rx.invalid\n[init]\n\tdefaultBranch = main\n[advice]\n\tdetachedHead = false\n');
  }
  return {
    ...process.env,
    HOME: home,
    XDG_CONFIG_HOME: path.join(home, '.config'),
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: gitconfig,
    NO_COLOR: '1',
    LC_ALL: 'C',
  };
}

export class CommandError extends Error {
  constructor(
    message: string,
    readonly logFile: string,
  ) {
    super(message);
  }
}

export interface RunOptions {
  cwd: string;
  /** Name of the log file (under bench/.work/logs) receiving stdout and stderr. */
  log: string;
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
}

let logCounter = 0;

function logPath(name: string): string {
  fs.mkdirSync(LOG_DIR, { recursive: true });
  logCounter += 1;
  return path.join(LOG_DIR, `${String(logCounter).padStart(3, '0')}-${name.replace(/[^A-Za-z0-9._-]+/g, '_')}.log`);
}

function tail(file: string, lines = 5): string {
  try {
    return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

/**
 * Runs argv in its own process group with output to a log file; resolves with the wall
 * time in seconds. A non-zero exit or a timeout (the whole group is killed) throws.
 */
async function spawnLogged(argv: string[], opts: RunOptions, logFile: string): Promise<number> {
  const out = fs.openSync(logFile, 'a');
  const started = process.hrtime.bigint();
  try {
    const code = await new Promise<number | string>((resolve, reject) => {
      const child = spawn(argv[0]!, argv.slice(1), {
        cwd: opts.cwd,
        env: opts.env ?? benchEnv(),
        stdio: ['ignore', out, out],
        detached: true,
      });
      const timer = setTimeout(() => {
        try {
          process.kill(-child.pid!, 'SIGKILL');
        } catch {
          // already gone
        }
        resolve('timeout');
      }, opts.timeoutMs ?? DEFAULT_TIMEOUT_MS);
      child.on('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      child.on('exit', (c, signal) => {
        clearTimeout(timer);
        resolve(c ?? `signal ${signal}`);
      });
    });
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    if (code === 'timeout') throw new CommandError(`timed out after ${((opts.timeoutMs ?? DEFAULT_TIMEOUT_MS) / 1000).toFixed(0)} s`, logFile);
    if (code !== 0) throw new CommandError(`exit ${code}: ${tail(logFile)}`, logFile);
    return seconds;
  } finally {
    fs.closeSync(out);
  }
}

/** Seconds spent in unmeasured set-up and clean-up since the last call (for the report). */
let overheadSeconds = 0;

export function takeOverheadSeconds(): number {
  const s = overheadSeconds;
  overheadSeconds = 0;
  return s;
}

/** Runs a setup command (not measured); throws on failure. Returns wall seconds. */
export async function run(argv: string[], opts: RunOptions): Promise<number> {
  const seconds = await spawnLogged(argv, opts, logPath(opts.log));
  overheadSeconds += seconds;
  return seconds;
}

/** Runs a bash script line (pipelines, redirections) as a setup step. */
export async function sh(script: string, opts: RunOptions): Promise<number> {
  return run(['bash', '-c', script], opts);
}

export interface Measurement {
  seconds: number;
  /** Peak resident set of the largest single process of the command's tree, MB. */
  peakMB?: number;
  /** User + system CPU seconds of the command and its waited-for descendants (less noisy than wall time on a busy machine). */
  cpuSeconds?: number;
  /** For best-of-N measurements: every run's seconds, in order. */
  runs?: number[];
}

let haveTime: boolean | undefined;

function timeAvailable(): boolean {
  haveTime ??= fs.existsSync(TIME_BIN);
  return haveTime;
}

/**
 * Times one run of argv: wall seconds measured around the process (start-up included) and
 * peak RSS from `/usr/bin/time -v` (GNU time reports ru_maxrss: the largest single process
 * among the command and the descendants it waited for). Without GNU time, peak is undefined.
 */
export async function measure(argv: string[], opts: RunOptions): Promise<Measurement> {
  const logFile = logPath(opts.log);
  if (!timeAvailable()) return { seconds: await spawnLogged(argv, opts, logFile) };
  const timeFile = `${logFile}.time`;
  const seconds = await spawnLogged([TIME_BIN, '-v', '-o', timeFile, '--', ...argv], opts, logFile);
  const report = fs.readFileSync(timeFile, 'utf8');
  const field = (name: string): number | undefined => {
    const m = new RegExp(`${name}: ([0-9.]+)`).exec(report);
    return m ? Number(m[1]) : undefined;
  };
  const rss = field('Maximum resident set size \\(kbytes\\)');
  const user = field('User time \\(seconds\\)');
  const sys = field('System time \\(seconds\\)');
  return { seconds, peakMB: rss === undefined ? undefined : rss / 1024, cpuSeconds: user === undefined || sys === undefined ? undefined : user + sys };
}

/** Runs `runs` measured runs and keeps the fastest (its own peak RSS with it). */
export async function bestOf(runs: number, argv: string[], opts: RunOptions): Promise<Measurement> {
  let best: Measurement | undefined;
  const all: number[] = [];
  for (let i = 0; i < runs; i++) {
    const m = await measure(argv, { ...opts, log: `${opts.log}-${i + 1}` });
    all.push(m.seconds);
    if (!best || m.seconds < best.seconds) best = m;
  }
  return { ...best!, runs: all };
}

export function rxArgv(...args: string[]): string[] {
  return [process.execPath, RX_BIN, ...args];
}

// ---------------------------------------------------------------------------------------
// Deterministic data

/** Marsaglia's xorshift128: fast, seeded, reproducible; not for anything but test data. */
export class XorShift128 {
  private x: number;
  private y: number;
  private z: number;
  private w: number;

  constructor(seed: number) {
    // splitmix-style scrambling so nearby seeds give unrelated streams; never all zero.
    let s = seed >>> 0;
    const next = () => {
      s = (s + 0x9e3779b9) >>> 0;
      let t = s;
      t = Math.imul(t ^ (t >>> 16), 0x85ebca6b) >>> 0;
      t = Math.imul(t ^ (t >>> 13), 0xc2b2ae35) >>> 0;
      return (t ^ (t >>> 16)) >>> 0;
    };
    this.x = next();
    this.y = next();
    this.z = next();
    this.w = next() || 1;
  }

  /** Fills the buffer (its length a multiple of 4) with the next words of the stream. */
  fill(buf: Buffer): void {
    if (buf.byteOffset % 4 !== 0 || buf.length % 4 !== 0) throw new Error('fill: buffer must be 4-byte aligned and sized');
    const words = new Uint32Array(buf.buffer, buf.byteOffset, buf.length / 4);
    let { x, y, z, w } = this;
    for (let i = 0; i < words.length; i++) {
      const t = x ^ (x << 11);
      x = y;
      y = z;
      z = w;
      w = (w ^ (w >>> 19) ^ (t ^ (t >>> 8))) >>> 0;
      words[i] = w;
    }
    this.x = x;
    this.y = y;
    this.z = z;
    this.w = w;
  }
}

/** Writes `size` bytes of the seed's stream to file (streamed in 16 MiB chunks). */
export function writeRandomFile(file: string, size: number, seed: number): void {
  const rng = new XorShift128(seed);
  const chunk = Buffer.alloc(16 * 1024 * 1024);
  const fd = fs.openSync(file, 'w');
  try {
    for (let written = 0; written < size; ) {
      const n = Math.min(chunk.length, size - written);
      rng.fill(chunk);
      fs.writeSync(fd, chunk, 0, n);
      written += n;
    }
  } finally {
    fs.closeSync(fd);
  }
}

export interface TreeSpec {
  dirs: number;
  filesPerDir: number;
  /** Bytes per file, a multiple of 4. */
  fileSize: number;
  seed: number;
}

/** Writes dirs × filesPerDir files (d000/f000000.bin ...), each with distinct contents. */
export function writeRandomTree(root: string, spec: TreeSpec): number {
  const rng = new XorShift128(spec.seed);
  const perDir = spec.filesPerDir * spec.fileSize;
  const block = Buffer.alloc(perDir);
  let n = 0;
  for (let d = 0; d < spec.dirs; d++) {
    const dir = path.join(root, `d${String(d).padStart(3, '0')}`);
    fs.mkdirSync(dir, { recursive: true });
    rng.fill(block);
    for (let f = 0; f < spec.filesPerDir; f++) {
      fs.writeFileSync(path.join(dir, `f${String(n).padStart(6, '0')}.bin`), block.subarray(f * spec.fileSize, (f + 1) * spec.fileSize));
      n += 1;
    }
  }
  return n;
}

/**
 * Page-cache fairness before a measured run: write back dirty pages (so no tool pays for
 * another's, or for the data set-up's, writeback; rx's store flush is a syncfs) and read
 * every byte once with cat so all tools start warm.
 */
export async function settleAndWarm(target: string, scenario: string): Promise<void> {
  await sh(`sync && find ${shq(target)} -type f -print0 | xargs -0 -r cat > /dev/null`, { cwd: WORK_DIR, log: `${scenario}-warm` });
}

export function shq(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/**
 * Removes a path now, even where rx or git-annex left read-only files and directories
 * (rm -rf, which also tolerates a background clean-up deleting the same tree).
 */
export function removeTree(p: string): void {
  if (!fs.existsSync(p)) return;
  const started = process.hrtime.bigint();
  spawnSync('chmod', ['-R', 'u+w', p], { stdio: 'ignore' });
  spawnSync('rm', ['-rf', p], { stdio: 'ignore' });
  if (fs.existsSync(p)) fs.rmSync(p, { recursive: true, force: true });
  overheadSeconds += Number(process.hrtime.bigint() - started) / 1e9;
}

// Removing trees of many small files is slow on this kind of disk (ext4 mounted with
// `discard`: 20k git-annex objects take minutes), so trees are moved aside into the trash
// at once and the trash is emptied by one low-priority process after the results print.
const TRASH_DIR = path.join(WORK_DIR, 'trash');
const TRASH_PID = path.join(WORK_DIR, 'cleaner.pid');
let trashCounter = 0;

/** Moves a tree into the trash (a rename: instant); it is deleted after the run. */
export function discard(p: string): void {
  if (!fs.existsSync(p)) return;
  fs.mkdirSync(TRASH_DIR, { recursive: true });
  trashCounter += 1;
  fs.renameSync(p, path.join(TRASH_DIR, `${trashCounter}-${path.basename(p)}`));
}

/** Starts a detached, low-priority `rm -rf` of the trash; returns its pid (undefined: nothing to do). */
export function emptyTrashInBackground(): number | undefined {
  if (!fs.existsSync(TRASH_DIR)) return undefined;
  const doomed = `${TRASH_DIR}.${process.pid}`;
  fs.renameSync(TRASH_DIR, doomed);
  const script = `chmod -R u+w ${shq(doomed)}; rm -rf ${shq(doomed)}; rm -f ${shq(TRASH_PID)}`;
  // Best-effort class, lowest level: the idle class can starve for many minutes on a busy disk.
  const argv = which('ionice') ? ['ionice', '-c2', '-n7', 'nice', '-n19', 'bash', '-c', script] : ['nice', '-n19', 'bash', '-c', script];
  const child = spawn(argv[0]!, argv.slice(1), { detached: true, stdio: 'ignore' });
  child.unref();
  if (child.pid !== undefined) fs.writeFileSync(TRASH_PID, String(child.pid));
  return child.pid;
}

/** Whether the pid is still our cleaner (not a process that reused its number). */
function cleanerAlive(pid: number): boolean {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(TRASH_DIR);
  } catch {
    return false;
  }
}

/** Longest wait for a previous run's background clean-up before deleting alongside it. */
const CLEANER_WAIT_MS = 120_000;

/** Waits (a while) for a previous run's background clean-up, then empties bench/.work. */
export async function cleanWorkDir(): Promise<void> {
  if (fs.existsSync(TRASH_PID)) {
    const pid = Number(fs.readFileSync(TRASH_PID, 'utf8'));
    if (Number.isInteger(pid) && pid > 0 && cleanerAlive(pid)) {
      say(`waiting up to ${CLEANER_WAIT_MS / 1000} s for the previous run's background clean-up (pid ${pid}) ...`);
      const deadline = Date.now() + CLEANER_WAIT_MS;
      while (cleanerAlive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 500));
    }
  }
  removeTree(WORK_DIR);
  fs.mkdirSync(WORK_DIR, { recursive: true });
}

/** Free space on the work directory's filesystem, GiB. */
export function freeGiB(): number | undefined {
  try {
    const st = fs.statfsSync(fs.existsSync(WORK_DIR) ? WORK_DIR : BENCH_DIR);
    return (st.bavail * st.bsize) / 2 ** 30;
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------
// Reference tools

export interface ToolSpec {
  /** Executable looked up on PATH (or an absolute path). */
  bin: string;
  /** Debian package that provides it. */
  pkg: string;
}

export function which(bin: string): string | undefined {
  if (bin.startsWith('/')) return fs.existsSync(bin) ? bin : undefined;
  const r = spawnSync('bash', ['-c', `command -v ${shq(bin)}`], { encoding: 'utf8' });
  const found = r.stdout.trim();
  return r.status === 0 && found !== '' ? found : undefined;
}

function aptGet(args: string[]): boolean {
  const r = spawnSync('apt-get', args, {
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    stdio: ['ignore', 'pipe', 'pipe'],
    encoding: 'utf8',
    timeout: 600_000,
  });
  return r.status === 0;
}

/**
 * Makes sure each tool is on the machine, installing the missing ones from Debian (one
 * `apt-get update`, then one install, then one by one if the batch fails). Returns the
 * tools available afterwards; a tool that cannot be installed is simply absent.
 */
export function ensureTools(tools: ToolSpec[]): Set<string> {
  const missing = tools.filter((t) => !which(t.bin));
  if (missing.length > 0) {
    const pkgs = [...new Set(missing.map((t) => t.pkg))];
    say(`installing missing reference tools with apt-get: ${pkgs.join(' ')}`);
    const canApt = which('apt-get') !== undefined && process.getuid?.() === 0;
    if (!canApt) {
      say('  apt-get unavailable or not root: the missing tools will be reported as n/a');
    } else if (!aptGet(['update', '-qq'])) {
      say('  apt-get update failed: the missing tools will be reported as n/a');
    } else if (!aptGet(['install', '-y', '-qq', '--no-install-recommends', ...pkgs])) {
      for (const p of pkgs) if (!aptGet(['install', '-y', '-qq', '--no-install-recommends', p])) say(`  apt-get install ${p} failed`);
    }
  }
  const available = new Set<string>();
  for (const t of tools) if (which(t.bin)) available.add(t.bin);
  haveTime = undefined;
  return available;
}

export function toolVersion(argv: string[]): string {
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', env: benchEnv() });
  return (r.stdout || r.stderr || '').split('\n')[0]!.trim();
}

// ---------------------------------------------------------------------------------------
// Results

/** What a reference row is held to: rx must be `minRatio` times as fast (ref time / rx time). */
export interface RatioTarget {
  kind: 'ratio';
  minRatio: number;
  label: string;
}

/** rx's own peak memory ceiling. */
export interface MemoryTarget {
  kind: 'memory';
  maxMB: number;
  label: string;
}

/** An absolute ceiling on rx's wall time (best of its runs), seconds. */
export interface MaxSecondsTarget {
  kind: 'max-seconds';
  seconds: number;
  label: string;
}

/** A count rx must reach (e.g. test functions on which a sampler beats the reference), shown as count/of. */
export interface CountTarget {
  kind: 'count';
  min: number;
  of: number;
  label: string;
}

export type Target = RatioTarget | MemoryTarget | MaxSecondsTarget | CountTarget;

/** rx: the tool under test; ref: a reference compared with rx; info: printed, not compared. */
export type Role = 'rx' | 'ref' | 'info';

export interface Row {
  scenario: string;
  tool: string;
  role: Role;
  /** Absent when the tool was unavailable or failed (printed n/a, with note). */
  m?: Measurement;
  /** Reference time / rx time; > 1 means rx is faster. */
  ratio?: number;
  /** For a count target: what was counted (printed in the ratio column as count/of). */
  count?: number;
  target?: Target;
  note?: string;
}

export type Verdict = 'PASS' | 'MISS' | 'n/a' | '';

export function verdictOf(row: Row): Verdict {
  const t = row.target;
  if (!t) return '';
  if (t.kind === 'memory') return row.m?.peakMB === undefined ? 'n/a' : row.m.peakMB <= t.maxMB ? 'PASS' : 'MISS';
  if (t.kind === 'max-seconds') return row.m === undefined ? 'n/a' : row.m.seconds <= t.seconds ? 'PASS' : 'MISS';
  if (t.kind === 'count') return row.count === undefined ? 'n/a' : row.count >= t.min ? 'PASS' : 'MISS';
  if (row.ratio === undefined) return 'n/a';
  return row.ratio >= t.minRatio ? 'PASS' : 'MISS';
}

/** Fills the ratio of every reference row from the scenario's rx row. */
export function withRatios(rows: Row[]): Row[] {
  const rx = rows.find((r) => r.role === 'rx')?.m;
  for (const r of rows) if (r.role === 'ref' && r.m && rx) r.ratio = r.m.seconds / rx.seconds;
  return rows;
}

export interface RowSpec {
  scenario: string;
  tool: string;
  role: Role;
  target?: Target;
  /** False when the tool cannot run: the row is n/a and body is not run. */
  available?: boolean;
  /** Why it cannot run (default: not installed). */
  unavailable?: string;
}

/** Measures one row, turning failures into an n/a row (with the log named) rather than an abort. */
export async function measureRow(spec: RowSpec, body: () => Promise<Measurement>): Promise<Row> {
  const { scenario, tool } = spec;
  const row: Row = { scenario, tool, role: spec.role, target: spec.target };
  if (spec.available === false) {
    const why = spec.unavailable ?? 'not installed';
    step(scenario, `${tool}: n/a (${why})`);
    return { ...row, note: why };
  }
  try {
    const m = await body();
    const runs = m.runs ? ` (runs: ${m.runs.map(fmtSeconds).join(', ')} s)` : '';
    const cpu = m.cpuSeconds === undefined ? '' : `, cpu ${fmtSeconds(m.cpuSeconds)} s`;
    step(scenario, `${tool}: ${fmtSeconds(m.seconds)} s${cpu}, peak ${fmtMB(m.peakMB)} MB${runs}`);
    return { ...row, m };
  } catch (err) {
    const msg = err instanceof Error ? err.message.split('\n')[0]! : String(err);
    const where = err instanceof CommandError ? ` (log: ${path.relative(REPO_ROOT, err.logFile)})` : '';
    step(scenario, `${tool}: FAILED ${msg}${where}`);
    return { ...row, note: `failed: ${msg}${where}` };
  }
}

export function formatTable(rows: Row[]): string {
  const header = ['scenario', 'tool', 'seconds', 'cpu s', 'peak MB', 'ratio', 'target', 'result'];
  const body = rows.map((r) => [
    r.scenario,
    r.tool,
    r.m ? fmtSeconds(r.m.seconds) : 'n/a',
    r.m?.cpuSeconds !== undefined ? fmtSeconds(r.m.cpuSeconds) : 'n/a',
    r.m ? fmtMB(r.m.peakMB) : 'n/a',
    r.ratio !== undefined ? r.ratio.toFixed(2) : r.target?.kind === 'count' ? (r.count === undefined ? 'n/a' : `${r.count}/${r.target.of}`) : r.role === 'ref' ? 'n/a' : '-',
    r.target?.label ?? '',
    verdictOf(r),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const right = new Set([2, 3, 4, 5]);
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (right.has(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  const out = [line(header), widths.map((w) => '-'.repeat(w)).join('  ')];
  let last = '';
  for (const b of body) {
    const cells = [...b];
    if (cells[0] === last) cells[0] = '';
    else if (last !== '') out.push('');
    last = b[0]!;
    out.push(line(cells));
  }
  return out.join('\n');
}

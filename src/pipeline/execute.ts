// Running a stage's commands: each through the shell (execa) in the stage's working
// directory, with RX_STAGE, RX_ROOT, seeds and the stage's env set, output streamed line by
// line with the stage's name, and a run log (times, exit code, output tails) written to
// .rx/tmp/runs/ rather than the lock. With `isolate`, each command runs under bubblewrap
// (isolate.ts): the project tree writable, everything else read-only, no network. Each
// command leads a process group of its own: a SIGINT/SIGTERM rx receives is forwarded to
// the group, which gets RX_STOP_GRACE seconds (default 10) before SIGKILL, and the run
// returns only once the group is gone. A cancelled run (AbortSignal) ends the group the same way.
import { createInterface } from 'node:readline';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promises as fsp, existsSync } from 'node:fs';
import type { Reporter, Clock } from '../core/context.js';
import { absPath } from '../core/paths.js';
import { writeFileAtomic } from '../core/atomic.js';
import type { Stage } from './definition.js';
import { probeIsolation, sandboxArgs } from './isolate.js';
import { onInterrupt } from '../core/interrupt.js';
import { endGroup, stopGraceMs } from './process-group.js';

export interface CommandRun {
  ok: boolean;
  exitCode: number | undefined;
  signal?: string;
  failedCommand?: string;
  /** Set when the command could not be started at all (e.g. no such program). */
  error?: string;
  /** The command was stopped because rx received this signal (forwarded to its group). */
  interrupted?: boolean;
  /** The command was stopped because the run was cancelled (its AbortSignal fired). */
  cancelled?: boolean;
  /** Environment facts the stage's commands reported (rx's own ML stages: the tfjs backend). */
  envFacts?: Record<string, string | boolean>;
}

/** The variable naming the file where a stage's built-in rx commands append environment facts. */
export const ENV_REPORT_VAR = 'RX_ENV_REPORT';

/** Facts appended as JSON lines; later lines win. Unreadable lines are skipped. */
export async function readEnvReport(file: string): Promise<Record<string, string | boolean> | undefined> {
  let text: string;
  try {
    text = await fsp.readFile(file, 'utf8');
  } catch {
    return undefined;
  }
  const facts: Record<string, string | boolean> = {};
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      const v = JSON.parse(line) as Record<string, unknown>;
      for (const [k, x] of Object.entries(v)) if (typeof x === 'string' || typeof x === 'boolean') facts[k] = x;
    } catch {
      // a line cut short by a killed command
    }
  }
  return Object.keys(facts).length > 0 ? facts : undefined;
}

export interface ExecuteOptions {
  root: string;
  tmpDir: string;
  env: Record<string, string | undefined>;
  reporter: Reporter;
  clock: Clock;
  /** Run each command under bubblewrap (rx repro --isolate); never falls back to running it bare. */
  isolate?: boolean;
  /** Told each command's process group (its leader's pid) as soon as it starts, to journal it. */
  onGroup?: (pgid: number) => Promise<void>;
  /** Cancels the run: the running command's group gets SIGTERM (then SIGKILL after the grace), no further command starts. */
  signal?: AbortSignal;
}

const TAIL_LINES = 40;

const RX_BIN = fileURLToPath(new URL('../../bin/rx.js', import.meta.url));
const shimDirs = new Map<string, Promise<string>>();

/**
 * A directory holding an `rx` that runs this very rx (same Node, same build), put first on the
 * stages' PATH: a stage command `rx train ...` then never picks up another installed version.
 * One per project tmp dir: a sandbox's goes with it, and the next run in this process (another
 * sandbox) must not point at a removed one.
 */
function rxShimDir(tmpDir: string): Promise<string> {
  const dir = path.join(tmpDir, 'bin');
  const cached = shimDirs.get(dir);
  if (cached && existsSync(path.join(dir, 'rx'))) return cached;
  const made = (async () => {
    await fsp.mkdir(dir, { recursive: true });
    const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
    await writeFileAtomic(path.join(dir, 'rx'), `#!/bin/sh\nexec ${quote(process.execPath)} ${quote(RX_BIN)} "$@"\n`, { durable: false, mode: 0o755 });
    return dir;
  })();
  shimDirs.set(dir, made);
  made.catch(() => shimDirs.delete(dir));
  return made;
}

export function stageEnvironment(stage: Stage, root: string, base: Record<string, string | undefined>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(base)) if (v !== undefined) env[k] = v;
  env.RX_STAGE = stage.name;
  env.RX_ROOT = root;
  for (const [name, value] of Object.entries(stage.seeds)) env[`RX_SEED_${name.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`] = String(value);
  Object.assign(env, stage.env, stage.runEnv);
  return env;
}

export async function executeStage(stage: Stage, options: ExecuteOptions): Promise<CommandRun> {
  const commands = Array.isArray(stage.cmd) ? stage.cmd : [stage.cmd];
  const cwd = stage.wdir === '' ? options.root : absPath(options.root, stage.wdir);
  const env = stageEnvironment(stage, options.root, options.env);
  const reportFile = path.join(options.tmpDir, `env-${process.pid}-${stage.name.replace(/[^A-Za-z0-9_.@-]/g, '_')}.jsonl`);
  await fsp.mkdir(options.tmpDir, { recursive: true });
  await fsp.rm(reportFile, { force: true });
  env[ENV_REPORT_VAR] = reportFile;
  env.PATH = [await rxShimDir(options.tmpDir), env.PATH].filter(Boolean).join(path.delimiter);
  let sandbox: { bwrap: string; args: string[] } | undefined;
  if (options.isolate) {
    const { bwrap } = await probeIsolation(options.env);
    // The report file is the one place under the read-only .rx a command may write: it must exist to be bound.
    await fsp.writeFile(reportFile, '');
    sandbox = { bwrap, args: sandboxArgs({ tree: options.root, cwd, writableFiles: [reportFile] }) };
    // The host's TMPDIR may not exist in the private /tmp (a stage's own setting stands).
    if (!('TMPDIR' in stage.env)) env.TMPDIR = '/tmp';
  }
  const started = options.clock.now();
  const tails = { stdout: [] as string[], stderr: [] as string[] };
  let result: CommandRun = { ok: true, exitCode: 0 };
  // Loaded here: execa costs ~180 ms to import, and most runs execute no stage.
  const { execa } = await import('execa');
  for (const command of commands) {
    if (options.signal?.aborted) {
      result = { ok: false, exitCode: undefined, failedCommand: command, cancelled: true };
      break;
    }
    // detached: the command leads a new process group (and session), so a signal reaches
    // everything it started, and a terminal's Ctrl-C reaches rx first, which forwards it.
    const spawnOptions = { cwd, env, extendEnv: false, stdin: 'ignore', buffer: false, reject: false, detached: true } as const;
    // The same shell as execa's `shell: true` (/bin/sh -c), started inside the sandbox.
    const child = sandbox ? execa(sandbox.bwrap, [...sandbox.args, '--', '/bin/sh', '-c', command], spawnOptions) : execa(command, { ...spawnOptions, shell: true });
    const pump = (stream: NodeJS.ReadableStream | null, name: 'stdout' | 'stderr') =>
      stream
        ? new Promise<void>((resolve) => {
            const rl = createInterface({ input: stream, crlfDelay: Infinity });
            rl.on('line', (line) => {
              options.reporter.stageOutput(stage.name, name, line);
              const t = tails[name];
              t.push(line);
              if (t.length > TAIL_LINES) t.shift();
            });
            rl.on('close', resolve);
          })
        : Promise.resolve();
    const pgid = child.pid;
    let stopping: Promise<unknown> | undefined;
    let stoppedBy: NodeJS.Signals | undefined;
    const grace = stopGraceMs(options.env);
    let cancelled = false;
    const cancel = () => {
      if (pgid === undefined || stoppedBy || cancelled) return;
      cancelled = true;
      stopping = endGroup(pgid, 'SIGTERM', grace);
    };
    options.signal?.addEventListener('abort', cancel);
    if (options.signal?.aborted) cancel();
    const disposeInterrupt =
      pgid === undefined
        ? () => {}
        : onInterrupt((signal, again) => {
            stoppedBy ??= signal;
            options.reporter.warn(`stage ${stage.name}: ${again ? 'killing' : `forwarding ${signal} to`} its processes${again ? '' : ` (SIGKILL in ${grace / 1000} s if still running)`}`);
            stopping = endGroup(pgid, again ? 'SIGKILL' : signal, grace);
            return true;
          });
    const dispose = () => {
      disposeInterrupt();
      options.signal?.removeEventListener('abort', cancel);
    };
    // The output is read from the start: a short command may be done before the journal is.
    const finished = Promise.all([child, pump(child.stdout, 'stdout'), pump(child.stderr, 'stderr')]);
    if (pgid !== undefined && options.onGroup) await options.onGroup(pgid).catch(() => {});
    let done: Awaited<typeof child>;
    try {
      [done] = await finished;
      // What the command left running in its group ends with it when rx was told to stop.
      while (stopping) {
        const s = stopping;
        await s;
        if (stopping === s) stopping = undefined;
      }
    } finally {
      dispose();
    }
    if (stoppedBy) {
      result = { ok: false, exitCode: done.exitCode, failedCommand: command, signal: stoppedBy, interrupted: true };
      break;
    }
    if (cancelled) {
      result = { ok: false, exitCode: done.exitCode, failedCommand: command, cancelled: true };
      break;
    }
    if (done.failed) {
      result = { ok: false, exitCode: done.exitCode, failedCommand: command };
      if (done.signal) result.signal = done.signal;
      if (done.exitCode === undefined && !done.signal) result.error = done.shortMessage;
      break;
    }
  }
  const facts = await readEnvReport(reportFile);
  await fsp.rm(reportFile, { force: true });
  if (facts) result.envFacts = facts;
  const finished = options.clock.now();
  const log = {
    stage: stage.name,
    started: started.toISOString(),
    durationMs: finished.getTime() - started.getTime(),
    ok: result.ok,
    exitCode: result.exitCode ?? null,
    signal: result.signal ?? null,
    failedCommand: result.failedCommand ?? null,
    stdoutTail: tails.stdout,
    stderrTail: tails.stderr,
  };
  const logDir = path.join(options.tmpDir, 'runs');
  await fsp.mkdir(logDir, { recursive: true });
  await writeFileAtomic(path.join(logDir, `${stage.name.replace(/[^A-Za-z0-9_.@-]/g, '_')}.json`), JSON.stringify(log, null, 2) + '\n', { durable: false });
  return result;
}

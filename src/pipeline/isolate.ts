// Stage commands under bubblewrap (`rx repro --isolate`): the argument list that makes the
// stage's project tree the only writable place (its .rx and .git stay read-only), the rest of
// the filesystem read-only, no network, its own /proc, /dev and /tmp; and the one check that
// bwrap exists and can build that sandbox here. rx never falls back to running unisolated.
import { execFile } from 'node:child_process';
import { accessSync, constants as fsConstants, existsSync, realpathSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { RxError, ExitCode } from '../core/errors.js';

/** The variable naming the bubblewrap binary to use instead of `bwrap` on PATH. */
export const BWRAP_VAR = 'RX_BWRAP';

export interface Isolation {
  /** Absolute path of the bwrap binary that passed the probe. */
  bwrap: string;
}

const INSTALL_HINT = 'install bubblewrap (Debian/Ubuntu: apt-get install bubblewrap); without --isolate, run only commits whose commands you trust';

/** --isolate was asked for and cannot be honoured: nothing ran (exit 2). */
export class IsolationUnavailableError extends RxError {
  constructor(message: string, hint: string, data: Record<string, unknown>) {
    super('RX_ISOLATE_UNAVAILABLE', ExitCode.usage, message, { hint, data });
  }
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, fsConstants.X_OK);
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

/** The bwrap binary: RX_BWRAP when set, else the first `bwrap` on PATH. */
function findBwrap(env: Record<string, string | undefined>): string {
  const named = env[BWRAP_VAR];
  if (named !== undefined && named !== '') {
    const abs = path.resolve(named);
    if (!isExecutable(abs)) {
      throw new IsolationUnavailableError(`--isolate: ${BWRAP_VAR} names ${abs}, which is not an executable file; nothing was run`, INSTALL_HINT, { bwrap: abs });
    }
    return abs;
  }
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (dir === '') continue;
    const candidate = path.join(dir, 'bwrap');
    if (isExecutable(candidate)) return candidate;
  }
  throw new IsolationUnavailableError('--isolate runs stage commands under bubblewrap, and bwrap is not installed (not found on PATH); nothing was run', INSTALL_HINT, { path: env.PATH ?? '' });
}

/** Paths always reachable (read-only) inside the sandbox, wherever they live: node and rx itself. */
const RX_PACKAGE_ROOT = fileURLToPath(new URL('../..', import.meta.url));

function real(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return path.resolve(p);
  }
}

/** The top-level entry of /tmp a path lies in (/tmp/a for /tmp/a/b/c), or undefined outside /tmp. */
function underTmp(p: string): string | undefined {
  const rel = path.relative('/tmp', p);
  if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel)) return undefined;
  return path.join('/tmp', rel.split(path.sep)[0]!);
}

export interface SandboxLayout {
  /** The stage's project tree: the one writable directory. */
  tree: string;
  /** Where the command starts (inside the tree). */
  cwd: string;
  /** Files inside the tree's read-only parts the command may write (they must exist). */
  writableFiles?: string[];
}

/** Namespaces and mounts every isolated command gets (also what the probe tries). */
function baseArgs(): string[] {
  return [
    '--die-with-parent', // rx killed: the whole sandbox goes with it, no orphaned stage process
    '--new-session', // no TIOCSTI into the user's terminal
    '--unshare-net',
    '--unshare-pid',
    '--unshare-ipc',
    '--ro-bind', '/', '/',
    '--dev', '/dev',
    '--proc', '/proc',
    '--tmpfs', '/tmp',
  ];
}

/**
 * bwrap's arguments up to (not including) the command. Later mounts cover earlier ones: the
 * private /tmp first, then what must stay visible under it read-only (node, rx, and the
 * /tmp entry holding the tree, so that writing beside the tree fails instead of landing in
 * the private /tmp unseen), then the tree writable, then its .rx and .git read-only again.
 */
export function sandboxArgs(layout: SandboxLayout): string[] {
  const tree = real(layout.tree);
  const args = baseArgs();
  const visible = new Set<string>();
  for (const p of [tree, real(process.execPath), real(RX_PACKAGE_ROOT)]) {
    const top = underTmp(p);
    if (top !== undefined) visible.add(top);
  }
  for (const top of [...visible].sort()) args.push('--ro-bind', top, top);
  args.push('--bind', tree, tree);
  for (const own of ['.rx', '.git']) {
    const p = path.join(tree, own);
    if (existsSync(p)) args.push('--ro-bind', p, p);
  }
  for (const f of layout.writableFiles ?? []) {
    const p = real(f);
    args.push('--bind', p, p);
  }
  args.push('--chdir', real(layout.cwd));
  return args;
}

let probed: Map<string, Promise<Isolation>> | undefined;

function run(file: string, args: string[], env: Record<string, string | undefined>): Promise<{ code: number | null; stderr: string; error?: NodeJS.ErrnoException }> {
  return new Promise((resolve) => {
    execFile(file, args, { env: env as NodeJS.ProcessEnv, timeout: 30_000, encoding: 'utf8' }, (error, _stdout, stderr) => {
      if (!error) return resolve({ code: 0, stderr });
      const e = error as NodeJS.ErrnoException & { code?: unknown };
      resolve({ code: typeof e.code === 'number' ? e.code : null, stderr, error: typeof e.code === 'string' ? e : undefined });
    });
  });
}

/**
 * Checks, once per process and binary, that bwrap is there and can create the namespaces and
 * mounts a stage gets; otherwise an error saying which and what to do (nothing has run).
 */
export async function probeIsolation(env: Record<string, string | undefined>): Promise<Isolation> {
  const bwrap = findBwrap(env);
  probed ??= new Map();
  let p = probed.get(bwrap);
  if (!p) {
    p = (async () => {
      const r = await run(bwrap, [...baseArgs(), '--', '/bin/sh', '-c', ':'], env);
      if (r.error) {
        throw new IsolationUnavailableError(`--isolate: could not start ${bwrap}: ${r.error.code ?? r.error.message}; nothing was run`, INSTALL_HINT, { bwrap, cause: String(r.error.code ?? r.error.message) });
      }
      if (r.code !== 0) {
        const why = r.stderr.trim().split('\n').filter(Boolean).pop() ?? `exit code ${r.code}`;
        throw new IsolationUnavailableError(
          `--isolate: bubblewrap (${bwrap}) cannot create its sandbox here (${why}); nothing was run`,
          'bwrap needs to create user, network, pid and mount namespaces: as a normal user the kernel must allow unprivileged user namespaces ' +
            '(sysctl kernel.unprivileged_userns_clone=1 and user.max_user_namespaces > 0, or an AppArmor profile for bwrap on Ubuntu 24.04+); ' +
            'in a container, run it with the right to create namespaces (e.g. docker run --privileged, or a seccomp profile allowing unshare and mount)',
          { bwrap, stderr: r.stderr.trim(), exitCode: r.code },
        );
      }
      return { bwrap };
    })();
    probed.set(bwrap, p);
  }
  return p;
}

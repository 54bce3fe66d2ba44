// Project-relative paths: rx stores every path in POSIX form relative to the project root,
// and refuses anything that would escape the project or reach into .git or .rx. This module
// is the one path guard: every reader of pointers, manifests, locks and stage definitions
// asks `unsafePathReason`, and every writer asks `assertNoSymlinkAbove` before it writes.
import * as path from 'node:path';
import { realpathSync, existsSync, lstatSync } from 'node:fs';
import { UsageError, RxError, ExitCode, type FileProblem, formatProblem } from './errors.js';

/** Directory names rx never reads data from or writes data into, at any depth. */
const RESERVED = new Set(['.git', '.rx']);

/**
 * Why a project-relative path taken from a file is unsafe, or undefined when it is safe.
 * Safe means: a non-empty POSIX path, relative, already normalised (no `.`, `..` or empty
 * component), free of control characters and backslashes, naming no `.git` or `.rx`
 * component (compared case-insensitively, as case-insensitive filesystems would). Pure.
 */
export function unsafePathReason(p: unknown): string | undefined {
  if (typeof p !== 'string') return 'is not a string';
  if (p === '') return 'is empty';
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(p)) return 'contains a control character (NUL, newline, tab, ...)';
  if (p.includes('\\')) return 'contains a backslash';
  if (p.startsWith('/') || /^[A-Za-z]:/.test(p)) return 'is an absolute path';
  for (const part of p.split('/')) {
    if (part === '') return 'has an empty component (a leading, trailing or doubled /)';
    if (part === '.' || part === '..') return `has a "${part}" component`;
    if (RESERVED.has(part.toLowerCase())) return `names ${part}/, which rx never writes into`;
  }
  return undefined;
}

/** A path in a file that rx refuses to act on (exit 4): the file, the entry and why. */
export class UnsafePathError extends RxError {
  readonly problems: FileProblem[];
  constructor(problems: FileProblem[]) {
    super('RX_UNSAFE_PATH', ExitCode.invalidFile, problems.map(formatProblem).join('\n'), {
      data: { problems },
      hint: 'paths in rx files are relative to the project, without .. or symlinks, outside .git and .rx; nothing was written',
    });
    this.problems = problems;
  }
}

/** Throws UnsafePathError when p is unsafe; `where` names the file, line and field. */
export function assertSafePath(p: unknown, where: Omit<FileProblem, 'message'>): asserts p is string {
  const reason = unsafePathReason(p);
  if (reason !== undefined) throw new UnsafePathError([{ ...where, message: `${JSON.stringify(p)} ${reason}` }]);
}

/**
 * Refuses a write to rel when a directory on the way to it (below the root) is a symbolic
 * link: following it could write anywhere. The final component may be anything, since
 * writers replace it by rename, which never follows a link.
 */
export function assertNoSymlinkAbove(root: string, rel: string, shown: string = rel): void {
  const parts = rel.split('/');
  let abs = root;
  for (let i = 0; i < parts.length - 1; i++) {
    abs = path.join(abs, parts[i]!);
    let st;
    try {
      st = lstatSync(abs);
    } catch {
      return; // does not exist yet: nothing below it can be a link
    }
    if (st.isSymbolicLink()) {
      throw new UnsafePathError([{ file: shown, message: `${parts.slice(0, i + 1).join('/')} is a symbolic link; rx never writes through one` }]);
    }
    if (!st.isDirectory()) return;
  }
}

export function toPosix(p: string): string {
  return p.split(path.sep).join('/');
}

/**
 * Resolves a user-given path (relative to cwd) to a project-relative POSIX path.
 * Throws a usage error for paths outside the project, inside .git/.rx, or whose
 * symlinks resolve outside the project.
 */
export function projectRelative(root: string, cwd: string, userPath: string): string {
  const abs = path.resolve(cwd, userPath);
  const rel = path.relative(root, abs);
  if (rel === '' ) throw new UsageError(`${userPath}: is the project root itself`, { data: { path: userPath } });
  if (rel.startsWith('..') || path.isAbsolute(rel)) {
    throw new UsageError(`${userPath}: is outside the project ${root}`, { data: { path: userPath } });
  }
  const posix = toPosix(rel);
  const first = posix.split('/')[0];
  if (first === '.git' || first === '.rx') {
    throw new UsageError(`${userPath}: is inside ${first}/, which rx never tracks`, { data: { path: userPath } });
  }
  // Resolve the deepest existing ancestor through symlinks and make sure it stays inside.
  let probe = abs;
  for (;;) {
    try {
      const real = realpathSync(probe);
      const realRoot = realpathSync(root);
      const r = path.relative(realRoot, real);
      if (r.startsWith('..') || path.isAbsolute(r)) {
        throw new UsageError(`${userPath}: resolves through a symlink to ${real}, outside the project`, { data: { path: userPath } });
      }
      break;
    } catch (err) {
      if (err instanceof UsageError) throw err;
      const parent = path.dirname(probe);
      if (parent === probe) break;
      probe = parent;
    }
  }
  return posix;
}

export function absPath(root: string, rel: string): string {
  return path.join(root, ...rel.split('/'));
}

/** The nearest ancestor of start (inclusive) that holds `marker`, or undefined. */
export function findUp(start: string, marker: string): string | undefined {
  let current = path.resolve(start);
  for (;;) {
    if (existsSync(path.join(current, marker))) return current;
    const parent = path.dirname(current);
    if (parent === current) return undefined;
    current = parent;
  }
}

// Project-relative paths: rx stores every path in POSIX form relative to the project root,
// and refuses anything that would escape the project or reach into .git or .rx.
import * as path from 'node:path';
import { realpathSync, existsSync } from 'node:fs';
import { UsageError } from './errors.js';

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

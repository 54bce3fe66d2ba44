// Turns the paths a user names on the command line into the pointer files they mean:
// a tracked path, its pointer file, or a directory holding pointer files.
import { existsSync, statSync } from 'node:fs';
import { UsageError } from '../core/errors.js';
import { absPath, projectRelative } from '../core/paths.js';
import { findPointers, pointerPathFor, type PointerRef } from './pointer.js';
import { POINTER_SUFFIX } from './project.js';
import { compareStrings } from '../core/canonical.js';

export function resolvePointerTargets(root: string, cwd: string, paths: string[]): PointerRef[] {
  if (paths.length === 0) return findPointers(root);
  const found = new Map<string, PointerRef>();
  for (const userPath of paths) {
    let rel = projectRelative(root, cwd, userPath);
    if (rel.endsWith(POINTER_SUFFIX)) rel = rel.slice(0, -POINTER_SUFFIX.length);
    const pointerRel = pointerPathFor(rel);
    if (existsSync(absPath(root, pointerRel))) {
      found.set(pointerRel, { pointerRel, targetRel: rel });
      continue;
    }
    const abs = absPath(root, rel);
    if (existsSync(abs) && statSync(abs).isDirectory()) {
      const inside = findPointers(root, rel);
      if (inside.length > 0) {
        for (const p of inside) found.set(p.pointerRel, p);
        continue;
      }
    }
    throw new UsageError(`${userPath}: not tracked by rx (no ${pointerRel} and no pointer files below it)`, {
      data: { path: userPath },
      hint: `track it with \`rx add ${userPath}\``,
    });
  }
  return [...found.values()].sort((a, b) => compareStrings(a.pointerRel, b.pointerRel));
}

// Observing a stage's files now: the hash, size and file count of each dependency and
// output, from the stat cache when nothing changed (no content read), else by hashing.
import type { Project } from '../store/project.js';
import type { StatCache } from '../store/stat-cache.js';
import { evaluateTarget } from '../store/tracked.js';
import type { HashWork } from '../store/hash-progress.js';
import type { LockFileEntry } from './lock.js';

export async function observePath(project: Project, statCache: StatCache, rel: string, work?: HashWork): Promise<LockFileEntry | undefined> {
  const state = await evaluateTarget(project, statCache, rel, work, { fileHashes: false });
  if (state.currentHash === undefined) return undefined;
  const size = state.scan.files.reduce((s, f) => s + f.size, 0);
  const entry: LockFileEntry = { path: rel, hash: state.currentHash, size, nfiles: state.scan.files.length };
  if (state.scan.kind === 'dir') entry.type = 'dir';
  return entry;
}

/**
 * Remembers observations of paths that cannot change during one operation (dependencies no
 * stage writes), so fifty stages reading one 100k-file dataset scan it once, not fifty times.
 */
export interface ObservationMemo {
  stable(rel: string): boolean;
  seen: Map<string, Promise<LockFileEntry | undefined>>;
}

export function observationMemo(stable: (rel: string) => boolean): ObservationMemo {
  return { stable, seen: new Map() };
}

export async function observePaths(
  project: Project,
  statCache: StatCache,
  rels: string[],
  memo?: ObservationMemo,
  work?: HashWork,
): Promise<Map<string, LockFileEntry | undefined>> {
  const out = new Map<string, LockFileEntry | undefined>();
  for (const rel of rels) {
    if (memo?.stable(rel)) {
      let p = memo.seen.get(rel);
      if (!p) {
        p = observePath(project, statCache, rel, work);
        memo.seen.set(rel, p);
      }
      out.set(rel, await p);
    } else out.set(rel, await observePath(project, statCache, rel, work));
  }
  return out;
}

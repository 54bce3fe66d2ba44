// Observing a stage's files: the hash, size and file count of each dependency and output,
// in the workspace from the stat cache when nothing changed (no content read), else by
// hashing; or in a commit's tree, from its blobs.
import type { Project } from '../store/project.js';
import type { StatCache } from '../store/stat-cache.js';
import { summarizeTarget } from '../store/tracked.js';
import type { HashWork } from '../store/hash-progress.js';
import { dirManifestOf, type DirEntry } from '../store/workspace.js';
import { hashBytes, type HashAlgorithm } from '../store/hash.js';
import { compareStrings } from '../core/canonical.js';
import { UsageError } from '../core/errors.js';
import type { LockFileEntry } from './lock.js';

export async function observePath(project: Project, statCache: StatCache, rel: string, work?: HashWork): Promise<LockFileEntry | undefined> {
  const target = await summarizeTarget(project, statCache, rel, work);
  if (target.currentHash === undefined) return undefined;
  const entry: LockFileEntry = { path: rel, hash: target.currentHash, size: target.size, nfiles: target.nfiles };
  if (target.kind === 'dir') entry.type = 'dir';
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

/** A file of a commit's tree, as observeInTree needs it (paths project-relative). */
export interface TreeEntry {
  path: string;
  /** '100644', '100755' or '120000' (symlink). */
  mode: string;
  bytes(): Promise<Uint8Array>;
}

/**
 * Observes a path in a commit's tree the way observePath does in the workspace: a file's
 * hash and size, or a directory's manifest hash over its files (hashed from their blobs).
 * Undefined when the tree has no such path; a symbolic link is refused as in the workspace.
 */
export async function observeInTree(files: TreeEntry[], rel: string, algo: HashAlgorithm): Promise<LockFileEntry | undefined> {
  const inside = files.filter((f) => f.path === rel || f.path.startsWith(rel + '/'));
  if (inside.length === 0) return undefined;
  for (const f of inside) {
    if (f.mode === '120000') throw new UsageError(`${f.path}: is a symbolic link; rx tracks regular files and directories only`, { data: { path: f.path } });
  }
  const file = inside.find((f) => f.path === rel);
  if (file) {
    const bytes = await file.bytes();
    return { path: rel, hash: await hashBytes(algo, bytes), size: bytes.length, nfiles: 1 };
  }
  const entries: DirEntry[] = [];
  for (const f of inside.sort((a, b) => compareStrings(a.path, b.path))) {
    const bytes = await f.bytes();
    entries.push({ path: f.path.slice(rel.length + 1), hash: await hashBytes(algo, bytes), size: bytes.length, mode: f.mode === '100755' ? '755' : '644' });
  }
  const { hash } = await dirManifestOf(entries, algo);
  return { path: rel, hash, size: entries.reduce((s, e) => s + e.size, 0), nfiles: entries.length, type: 'dir' };
}

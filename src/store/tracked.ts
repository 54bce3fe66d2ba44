// The state of one tracked path: its workspace content hash (from the stat cache when
// nothing changed, else by hashing) and its directory manifest read from the store.
import { StoreIntegrityError } from '../core/errors.js';
import { absPath } from '../core/paths.js';
import { parseJsonValidated } from '../schema/validate.js';
import { dirManifestSchema } from '../schema/files.js';
import type { Project } from './project.js';
import { statDigest, type StatCache } from './stat-cache.js';
import { scanPath, scanMatchesCache, applyStatCache, hashMissing, targetHashOf, cacheFromScan, type Scan, type DirManifest } from './workspace.js';
import type { ObjectStore } from './objects.js';

export interface TargetState {
  scan: Scan;
  /** Hash of what is in the workspace now; undefined when the path is missing. */
  currentHash: string | undefined;
  /** Files whose content had to be read. */
  hashed: number;
  /** The stat cache vouched for the whole target: nothing changed since its last save. */
  vouched: boolean;
}

export async function evaluateTarget(
  project: Project,
  statCache: StatCache,
  targetRel: string,
  onBytes?: (n: number) => void,
  options: { fileHashes?: boolean } = {},
): Promise<TargetState> {
  const scan = scanPath(absPath(project.root, targetRel), targetRel);
  if (scan.kind === 'missing') return { scan, currentHash: undefined, hashed: 0, vouched: false };
  if (options.fileHashes === false) {
    // Callers that only need the target's hash skip the full cache when the summary matches.
    const summary = await statCache.loadSummary(targetRel);
    if (summary && summary.count === scan.files.length && summary.digest === statDigest(scan.files.map((f) => [f.rel, f.key]))) {
      return { scan, currentHash: summary.targetHash, hashed: 0, vouched: true };
    }
  }
  const cache = await statCache.load(targetRel);
  if (scanMatchesCache(scan, cache)) {
    applyStatCache(scan, cache);
    return { scan, currentHash: cache.targetHash, hashed: 0, vouched: true };
  }
  const todo = applyStatCache(scan, cache);
  await hashMissing(todo, project.algo, onBytes);
  const currentHash = await targetHashOf(scan, project.algo);
  await statCache.save(targetRel, cacheFromScan(scan, currentHash));
  return { scan, currentHash, hashed: todo.length, vouched: false };
}

export async function readDirManifest(store: ObjectStore, hash: string): Promise<DirManifest> {
  const bytes = await store.readBytes(hash);
  try {
    return parseJsonValidated<DirManifest>(`store object ${hash}`, bytes.toString('utf8'), dirManifestSchema);
  } catch (err) {
    throw new StoreIntegrityError('RX_MANIFEST_CORRUPT', `directory manifest ${hash} is unreadable: ${(err as Error).message}`, {
      data: { hash },
      hint: 'run `rx fsck` to check the store',
    });
  }
}

/** True if bytes look like a directory manifest (canonical JSON starts with its sorted keys). */
export function looksLikeDirManifest(head: Buffer): boolean {
  return head.toString('utf8', 0, 12) === '{"entries":[';
}

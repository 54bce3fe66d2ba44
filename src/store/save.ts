// Saving a workspace path into the store: hash what the stat cache cannot vouch for, link
// every file into the store, store the directory manifest, refresh the stat cache.
// Used by `rx add` and by the pipeline for cached stage outputs. The caller flushes.
import type { Reporter } from '../core/context.js';
import { RxError, UsageError } from '../core/errors.js';
import { absPath, assertSafePath } from '../core/paths.js';
import { mapLimit } from '../core/concurrency.js';
import type { Project } from './project.js';
import type { StatCache } from './stat-cache.js';
import type { FileMode, LinkType } from './link-strategy.js';
import { readDirManifest } from './tracked.js';
import { digestDir, scanPath, applyStatCache, scanMatchesCache, hashMissing, sizeOfRows, dirManifestFor, cacheFromScan, copyHashes, type Scan, type DirManifest, type WorkspaceFile } from './workspace.js';

export interface SavedTarget {
  type: 'file' | 'dir';
  hash: string;
  size: number;
  nfiles: number;
  mode: FileMode;
  hashedFiles: number;
  newObjects: number;
}

const STORE_CONCURRENCY = 32;
const BAR_FILES = 2000;
const BAR_BYTES = 64 * 1024 * 1024;

/** linkOrder: how the workspace keeps the files (default: the store's own order). */
export async function saveTarget(project: Project, statCache: StatCache, reporter: Reporter, rel: string, options: { linkOrder?: LinkType[] } = {}): Promise<SavedTarget> {
  const kept = await unchangedDir(project, statCache, rel, options.linkOrder ?? project.store.linkOrder);
  if (kept) return kept;
  const scan: Scan = scanPath(absPath(project.root, rel), rel);
  if (scan.kind === 'missing') throw new UsageError(`${rel}: no such file or directory`, { data: { path: rel } });
  // Every name goes into a manifest that checkout reads through the path guard: refuse now
  // what could never be restored.
  for (let i = 0; i < scan.files.length; i++) {
    const r = scan.files.rel(i);
    if (r !== '') assertSafePath(r, { file: `${rel}/${r}` });
  }
  const cache = await statCache.load(rel);
  // Nothing changed since the last save and the target's object is stored: files linked
  // from the store (hardlink mode, a link count of 2 or more) need no store work at all.
  const unchanged = scanMatchesCache(scan, cache) && (await project.store.has(cache.targetHash!));
  const linkOrder = options.linkOrder ?? project.store.linkOrder;
  const todo = applyStatCache(scan, cache);
  const todoBytes = sizeOfRows(scan.files, todo);
  const bar = todoBytes > BAR_BYTES || todo.length > BAR_FILES ? reporter.progress(`hashing ${rel}`, todoBytes, 'bytes') : undefined;
  // Without reflinks, new files are copied into the store anyway: hash and copy in one read.
  let ingested = false;
  let newObjects = 0;
  try {
    if (todo.length > 0 && (await project.store.storesByCopy(linkOrder))) {
      await project.store.ingest(
        todo.length,
        (k) => scan.files.abs(todo[k]!),
        (k) => scan.files.size(todo[k]!),
        (k, r) => {
          scan.files.setHash(todo[k]!, r.hash);
          if (r.created) newObjects += 1;
        },
        (n) => bar?.tick(n),
      );
      ingested = true;
    } else {
      await hashMissing(scan.files, todo, project.algo, (n) => bar?.tick(n));
    }
  } finally {
    bar?.stop();
  }

  // Ingested files are stored; the rest (hashes from the stat cache, or just hashed) is put now.
  const fresh = new Uint8Array(scan.files.length);
  if (ingested) for (const i of todo) fresh[i] = 1;
  const rest: WorkspaceFile[] = [];
  for (let i = 0; i < scan.files.length; i++) if (fresh[i] === 0) rest.push(scan.files.at(i));
  const storeBar = rest.length > BAR_FILES ? reporter.progress(`storing ${rel}`, rest.length, 'files') : undefined;
  let relinked = false;
  try {
    const outcomes = await mapLimit(rest, STORE_CONCURRENCY, async (f) => {
      const outcome = unchanged && f.nlink >= 2 && project.store.sharesInodes ? 'present' : await project.store.putFile(f.abs, f.hash!, f.size, f.mode, linkOrder);
      storeBar?.tick(1);
      return outcome;
    });
    newObjects += outcomes.filter((o) => o === 'created').length;
    relinked = outcomes.includes('relinked');
  } finally {
    storeBar?.stop();
  }

  const size = scan.files.totalSize();
  let saved: SavedTarget;
  if (scan.kind === 'file') {
    const f = scan.files.at(0);
    saved = { type: 'file', hash: f.hash!, size, nfiles: 1, mode: f.mode, hashedFiles: todo.length, newObjects };
  } else {
    const dm = await dirManifestFor(scan.files, project.algo);
    if (await project.store.putBytes(dm.hash, dm)) newObjects += 1;
    saved = { type: 'dir', hash: dm.hash, size, nfiles: scan.files.length, mode: '644', hashedFiles: todo.length, newObjects };
  }
  if (unchanged && !relinked) return saved;
  // Linking a workspace file into the store (or replacing it by a link or a private copy)
  // changes its stat key (ctime, inode), so re-stat then.
  const after = relinked ? scanPath(absPath(project.root, rel), rel) : scan;
  if (relinked) copyHashes(scan.files, after.files);
  await statCache.save(rel, cacheFromScan(after, saved.hash));
  return saved;
}

/**
 * A directory saved before and untouched since, whose workspace files are copies of their
 * own: its walk matches the stat digest of the last save, and its manifest and every entry
 * object are in the store and intact (checked as checkout checks them). Then there is
 * nothing to hash, store or relink, and no scan of 100k file entries is built. Anything
 * else (a shared store, whose present objects are claimed one by one) goes the full way.
 */
async function unchangedDir(project: Project, statCache: StatCache, rel: string, linkOrder: LinkType[]): Promise<SavedTarget | undefined> {
  if (project.store.shared || !project.store.keepsCopies(linkOrder)) return undefined;
  const summary = await statCache.loadSummary(rel);
  if (!summary) return undefined;
  const walked = digestDir(absPath(project.root, rel));
  if (!walked || walked.count !== summary.count || walked.digest() !== summary.digest) return undefined;
  let manifest: DirManifest;
  try {
    manifest = await readDirManifest(project.store, summary.targetHash);
  } catch (err) {
    if (err instanceof RxError) return undefined; // missing, corrupt or crafted: stored anew below
    throw err;
  }
  if (manifest.entries.length !== walked.count) return undefined;
  if (!(await project.store.allIntact(manifest.entries.map((e) => e.hash)))) return undefined;
  return { type: 'dir', hash: summary.targetHash, size: walked.size, nfiles: walked.count, mode: '644', hashedFiles: 0, newObjects: 0 };
}

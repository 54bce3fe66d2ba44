// Saving a workspace path into the store: hash what the stat cache cannot vouch for, link
// every file into the store, store the directory manifest, refresh the stat cache.
// Used by `rx add` and by the pipeline for cached stage outputs. The caller flushes.
import type { Reporter } from '../core/context.js';
import { UsageError } from '../core/errors.js';
import { absPath, assertSafePath } from '../core/paths.js';
import { mapLimit } from '../core/concurrency.js';
import type { Project } from './project.js';
import type { StatCache } from './stat-cache.js';
import type { FileMode, LinkType } from './link-strategy.js';
import { scanPath, applyStatCache, scanMatchesCache, hashMissing, dirManifestFor, cacheFromScan, type Scan } from './workspace.js';

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
  const scan: Scan = scanPath(absPath(project.root, rel), rel);
  if (scan.kind === 'missing') throw new UsageError(`${rel}: no such file or directory`, { data: { path: rel } });
  // Every name goes into a manifest that checkout reads through the path guard: refuse now
  // what could never be restored.
  for (const f of scan.files) if (f.rel !== '') assertSafePath(f.rel, { file: `${rel}/${f.rel}` });
  const cache = await statCache.load(rel);
  // Nothing changed since the last save and the target's object is stored: files linked
  // from the store (hardlink mode, a link count of 2 or more) need no store work at all.
  const unchanged = scanMatchesCache(scan, cache) && (await project.store.has(cache.targetHash!));
  const linkOrder = options.linkOrder ?? project.store.linkOrder;
  const todo = applyStatCache(scan, cache);
  const todoBytes = todo.reduce((s, f) => s + f.size, 0);
  const bar = todoBytes > BAR_BYTES || todo.length > BAR_FILES ? reporter.progress(`hashing ${rel}`, todoBytes, 'bytes') : undefined;
  // Without reflinks, new files are copied into the store anyway: hash and copy in one read.
  const ingested = new Set<string>();
  let newObjects = 0;
  try {
    if (todo.length > 0 && (await project.store.storesByCopy(linkOrder))) {
      const results = await project.store.ingest(todo.map((f) => ({ path: f.abs, size: f.size })), (n) => bar?.tick(n));
      results.forEach((r, i) => {
        todo[i]!.hash = r.hash;
        ingested.add(todo[i]!.rel);
        if (r.created) newObjects += 1;
      });
    } else {
      await hashMissing(todo, project.algo, (n) => bar?.tick(n));
    }
  } finally {
    bar?.stop();
  }

  const rest = scan.files.filter((f) => !ingested.has(f.rel));
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

  const size = scan.files.reduce((s, f) => s + f.size, 0);
  let saved: SavedTarget;
  if (scan.kind === 'file') {
    const f = scan.files[0];
    saved = { type: 'file', hash: f.hash!, size, nfiles: 1, mode: f.mode, hashedFiles: todo.length, newObjects };
  } else {
    const dm = await dirManifestFor(scan.files, project.algo);
    if (await project.store.putBytes(dm.hash, dm.text)) newObjects += 1;
    saved = { type: 'dir', hash: dm.hash, size, nfiles: scan.files.length, mode: '644', hashedFiles: todo.length, newObjects };
  }
  if (unchanged && !relinked) return saved;
  // Linking a workspace file into the store (or replacing it by a link or a private copy)
  // changes its stat key (ctime, inode), so re-stat then.
  const after = relinked ? scanPath(absPath(project.root, rel), rel) : scan;
  if (relinked) {
    const byRel = new Map(scan.files.map((f) => [f.rel, f.hash]));
    for (const f of after.files) f.hash = byRel.get(f.rel);
  }
  await statCache.save(rel, cacheFromScan(after, saved.hash));
  return saved;
}


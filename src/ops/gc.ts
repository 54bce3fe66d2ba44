// rx gc: removes store objects nothing references within the chosen scopes (the workspace
// is always one; commits of branches, tags, all history, experiments may be added), as
// reachability answers it. Holds the project's write lock, and keeps every object changed
// since the oldest other live rx process writing the same store registered (a run in
// another tree may not have named it yet). Unreferenced directory manifests go before the
// objects they list, so an fsck running beside it never sees a manifest lacking entries.
// Also clears temp files left by dead processes and the parsed-file cache.
import { promises as fsp } from 'node:fs';
import type { Context } from '../core/context.js';
import { UsageError, StoreIntegrityError } from '../core/errors.js';
import { openProject } from '../store/project.js';
import { readLock } from '../pipeline/lock.js';
import { clearParsedCache } from '../store/parse-cache.js';
import { reachableObjects, type Scope } from '../store/reachability.js';
import { listRunCache, removeRunCache } from '../store/run-cache.js';
import { looksLikeDirManifest } from '../store/tracked.js';
import { withProjectLock } from '../store/project-lock.js';

export interface GcOptions {
  scopes: Scope[];
  dry?: boolean;
  /** Remove run-cache entries first, so their objects count only if something else names them. */
  dropRunCache?: boolean;
}

export interface GcRemoval {
  hash: string;
  size: number;
  reason: string;
}

export interface GcResult {
  scopes: Scope[];
  dry: boolean;
  kept: number;
  /** Kept only because a live rx process may still name them. */
  inFlight: number;
  removed: string[];
  details: GcRemoval[];
  removedBytes: number;
  commitsScanned: number;
  runCacheEntriesRemoved: number;
}

async function isManifest(file: string, size: number): Promise<boolean> {
  if (size < 12 || size > 256 * 1024 * 1024) return false;
  const fh = await fsp.open(file, 'r').catch(() => undefined);
  if (!fh) return false;
  try {
    const buf = Buffer.alloc(12);
    const { bytesRead } = await fh.read(buf, 0, 12, 0);
    return looksLikeDirManifest(buf.subarray(0, bytesRead));
  } finally {
    await fh.close();
  }
}

function describeScopes(scopes: Scope[]): string {
  const parts = scopes.map((s) => (s === 'workspace' ? 'the workspace (pointers, rx.lock)' : s.replace('all-', 'all ')));
  return parts.join(', ');
}

export async function gc(ctx: Context, options: GcOptions): Promise<GcResult> {
  if (options.scopes.length === 0) {
    throw new UsageError('gc needs a scope: --workspace, --all-branches, --all-tags, --all-commits or --all-experiments (combinable)');
  }
  const scopes: Scope[] = [...new Set<Scope>(['workspace', ...options.scopes])];
  const dry = options.dry ?? false;
  const project = await openProject(ctx.cwd);
  return withProjectLock(ctx, project, async () => {
    let runCacheEntriesRemoved = 0;
    if (options.dropRunCache && !dry) {
      for (const entry of await listRunCache(project.store.dir)) {
        await removeRunCache(project.store.dir, entry.key);
        runCacheEntriesRemoved += 1;
      }
    }
    // The in-flight bound is taken before the listing: anything a live writer makes after
    // it is newer still.
    const bound = project.store.oldestOtherWriter();
    await readLock(project.root, project.parsed); // the path guard: a crafted lock is exit 4
    const refs = await reachableObjects(project, scopes, ctx.reporter, { runCache: !(options.dropRunCache && !dry) });
    if (refs.unreadableManifests.size > 0) {
      throw new StoreIntegrityError(
        'RX_MANIFEST_CORRUPT',
        `gc stopped: ${refs.unreadableManifests.size} referenced directory manifest(s) are unreadable, so the objects they list cannot be told apart from garbage:\n  ${[...refs.unreadableManifests.values()].join('\n  ')}`,
        { data: { manifests: [...refs.unreadableManifests.keys()] }, hint: 'run `rx fsck --repair`, then re-add the directories from the workspace' },
      );
    }
    for (const hash of refs.missingManifests) ctx.reporter.warn(`directory manifest ${hash} (${refs.roots.get(hash)?.where}) is not in the store`);
    const objects = await project.store.list();
    const reason = `named by nothing in ${describeScopes(scopes)}, the run cache or a live run`;
    const manifests: GcRemoval[] = [];
    const others: GcRemoval[] = [];
    let kept = 0;
    let inFlight = 0;
    for (const obj of objects) {
      if (refs.all.has(obj.hash)) {
        kept += 1;
        continue;
      }
      if (bound !== undefined && obj.ctimeMs >= bound - 1000) {
        kept += 1;
        inFlight += 1;
        continue;
      }
      const removal = { hash: obj.hash, size: obj.size, reason };
      if (await isManifest(project.store.objectPath(obj.hash), obj.size)) manifests.push({ ...removal, reason: `directory manifest ${reason}` });
      else others.push(removal);
    }
    const details = [...manifests, ...others];
    if (!dry) {
      for (const r of details) await project.store.remove(r.hash);
      await project.store.flush();
      await project.store.cleanTemp();
      clearParsedCache(project.tmpDir);
    }
    return {
      scopes,
      dry,
      kept,
      inFlight,
      removed: details.map((d) => d.hash),
      details,
      removedBytes: details.reduce((s, d) => s + d.size, 0),
      commitsScanned: refs.commitsScanned,
      runCacheEntriesRemoved,
    };
  });
}

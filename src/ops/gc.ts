// rx gc: removes store objects nothing references, in one of two explicit scopes:
// the workspace's pointer files, or those of every commit reachable from any ref.
// Also clears temp files that killed processes left in the store, and the parsed-file cache.
import type { Context } from '../core/context.js';
import { UsageError, StoreIntegrityError } from '../core/errors.js';
import { openProject } from '../store/project.js';
import { clearParsedCache } from '../store/parse-cache.js';
import { collectReferences } from './references.js';
import { withProjectLock } from './lock.js';

export interface GcOptions {
  scope?: 'workspace' | 'all-commits';
  dry?: boolean;
}

export interface GcResult {
  scope: 'workspace' | 'all-commits';
  dry: boolean;
  kept: number;
  removed: string[];
  removedBytes: number;
  commitsScanned: number;
}

const STALE_TEMP_MS = 60 * 60 * 1000;

export async function gc(ctx: Context, options: GcOptions): Promise<GcResult> {
  if (!options.scope) {
    throw new UsageError('gc needs a scope: --workspace (keep what the pointer files name) or --all-commits (keep what any commit names)');
  }
  const scope = options.scope;
  const dry = options.dry ?? false;
  const project = await openProject(ctx.cwd);
  return withProjectLock(ctx, project, async () => {
    const refs = await collectReferences(project, scope, ctx.reporter);
    if (refs.unreadableManifests.size > 0) {
      throw new StoreIntegrityError('RX_MANIFEST_CORRUPT', `gc stopped: ${refs.unreadableManifests.size} referenced directory manifest(s) are unreadable, so the objects they list cannot be told apart from garbage`, {
        data: { manifests: [...refs.unreadableManifests.keys()] },
        hint: 'run `rx fsck --repair`, then re-add the directories from the workspace',
      });
    }
    for (const hash of refs.missingManifests) ctx.reporter.warn(`directory manifest ${hash} (${refs.roots.get(hash)}) is not in the store`);
    const objects = await project.store.list();
    const removed: string[] = [];
    let removedBytes = 0;
    let kept = 0;
    for (const obj of objects) {
      if (refs.all.has(obj.hash)) {
        kept += 1;
        continue;
      }
      removed.push(obj.hash);
      removedBytes += obj.size;
      if (!dry) await project.store.remove(obj.hash);
    }
    if (!dry) {
      await project.store.cleanTemp(STALE_TEMP_MS, ctx.clock.now().getTime());
      clearParsedCache(project.tmpDir);
    }
    return { scope, dry, kept, removed, removedBytes, commitsScanned: refs.commitsScanned };
  });
}

// The workspace checkout behind rx checkout, exp apply and every sandbox: makes the workspace match the pointer files, materialising data from the
// store (reflink, hardlink or verified copy). It never destroys data that exists nowhere
// else: a modified workspace file whose content is not in the store is refused unless
// --force. Missing objects are reported (exit 6) after restoring everything else. Without
// paths, cached stage outputs are also put in line with rx.lock (after a git checkout).
import type { Context } from '../core/context.js';
import { RxError, ExitCode, StoreIntegrityError } from '../core/errors.js';
import { openProject, type Project } from '../store/project.js';
import { loadPipeline } from './definition.js';
import { readLock } from './lock.js';
import { StatCache } from '../store/stat-cache.js';
import { readPointer, targetOfPointer } from '../store/pointer.js';
import { planRestore, applyRestore, type RestorePlan, type RestoreTarget, type RestoredTarget } from '../store/restore.js';
import { withProjectLock } from '../store/project-lock.js';
import { resolvePointerTargets } from '../store/pointer-targets.js';

export interface CheckoutOptions {
  paths: string[];
  force?: boolean;
  /** With no paths: also put cached stage outputs in line with rx.lock (default true). */
  outputs?: boolean;
}

export type CheckedOutPath = RestoredTarget;

export interface CheckoutResult {
  paths: CheckedOutPath[];
  /** Stage outputs whose objects are gone from the store: `rx repro` makes them again. */
  unrestorable: string[];
}

/** Cached stage outputs as rx.lock records them, as restore targets. */
async function lockedOutputs(project: Project): Promise<RestoreTarget[]> {
  const pipeline = await loadPipeline(project.root, project.parsed);
  const lock = await readLock(project.root, project.parsed);
  if (!pipeline || !lock) return [];
  const targets: RestoreTarget[] = [];
  for (const stage of pipeline.stages) {
    for (const out of lock.stages[stage.name]?.outs ?? []) {
      if (stage.outs.find((o) => o.path === out.path)?.cache) targets.push({ rel: out.path, type: out.type ?? 'file', hash: out.hash, size: out.size });
    }
  }
  return targets;
}

export async function checkoutWorkspace(ctx: Context, options: CheckoutOptions): Promise<CheckoutResult> {
  const project = await openProject(ctx.cwd);
  const refs = resolvePointerTargets(project.root, ctx.cwd, options.paths);
  const statCache = new StatCache(project.tmpDir, project.algo);
  return withProjectLock(ctx, project, async () => {
    const missing = new Set<string>();
    const plans: RestorePlan[] = [];
    const conflicts: string[] = [];
    for (const ref of refs) {
      const pointer = await readPointer(project.root, ref.pointerRel, project.parsed);
      const target: RestoreTarget = { rel: targetOfPointer(ref.pointerRel, pointer), type: pointer.type, hash: pointer.hash, size: pointer.size, mode: pointer.mode };
      const r = await planRestore(project, statCache, target, options.force ?? false, missing);
      if (r.plan) plans.push(r.plan);
      conflicts.push(...r.conflicts);
    }
    const unrestorable = new Set<string>();
    if (options.paths.length === 0 && options.outputs !== false) {
      for (const target of await lockedOutputs(project)) {
        const gone = new Set<string>();
        const r = await planRestore(project, statCache, target, options.force ?? false, gone);
        if (gone.size > 0) unrestorable.add(target.rel);
        else if (r.plan) plans.push(r.plan);
        conflicts.push(...r.conflicts);
      }
    }
    if (conflicts.length > 0) {
      throw new RxError('RX_WOULD_OVERWRITE', ExitCode.differences, `checkout would overwrite or delete data that is not in the store:\n  ${conflicts.join('\n  ')}`, {
        data: { paths: conflicts },
        hint: 'save it with `rx add`, or pass --force to discard it',
      });
    }
    const paths: CheckedOutPath[] = [];
    try {
      for (const plan of plans) paths.push(await applyRestore(ctx.reporter, project, statCache, plan));
    } finally {
      // What was verified on the way is remembered, so the next checkout reads nothing again.
      await project.store.flush();
    }
    for (const rel of unrestorable) ctx.reporter.warn(`stage output ${rel} is not in the store; \`rx repro\` will make it again`);
    if (missing.size > 0) {
      throw new StoreIntegrityError('RX_OBJECT_MISSING', `${missing.size} object(s) missing from the store; the rest was checked out:\n  ${[...missing].sort().join('\n  ')}`, {
        data: { missing: [...missing].sort(), paths },
        hint: 'run `rx add` on a good copy of the data, or fetch the store from where it was made',
      });
    }
    return { paths, unrestorable: [...unrestorable].sort() };
  });
}

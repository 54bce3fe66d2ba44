// Puts the workspace's stage outputs in line with rx.lock from the store (after `rx exp
// apply` or a git checkout of another lock): cached outputs are linked, outputs kept in
// git were written by git already. Nothing runs.
import type { Context } from '../core/context.js';
import type { Project } from '../store/project.js';
import { StatCache } from '../store/stat-cache.js';
import { planRestore, applyRestore } from '../store/restore.js';
import { ignoreTarget } from '../git/ignore.js';
import { loadPipeline } from '../pipeline/definition.js';
import { readLock } from '../pipeline/lock.js';
import { withProjectLock } from './lock.js';

export async function restoreLockedOutputs(ctx: Context, project: Project): Promise<{ restored: string[]; missing: string[] }> {
  const pipeline = await loadPipeline(project.root, project.parsed);
  const lock = await readLock(project.root, project.parsed);
  const restored: string[] = [];
  const missing = new Set<string>();
  if (!pipeline || !lock) return { restored, missing: [] };
  const statCache = new StatCache(project.tmpDir, project.algo);
  await withProjectLock(ctx, project, async () => {
    for (const stage of pipeline.stages) {
      const entry = lock.stages[stage.name];
      for (const out of entry?.outs ?? []) {
        const spec = stage.outs.find((o) => o.path === out.path);
        if (!spec?.cache) continue;
        const { plan } = await planRestore(project, statCache, { rel: out.path, type: out.type ?? 'file', hash: out.hash, size: out.size }, true, missing);
        if (!plan) continue;
        const r = await applyRestore(ctx.reporter, project, statCache, plan);
        if (r.action !== 'unchanged') restored.push(out.path);
        await ignoreTarget(project.root, out.path);
      }
    }
  });
  return { restored, missing: [...missing] };
}

// rx unprotect PATH...: before editing data placed with hardlinks (opt-in), replaces each
// file that is the store object itself (or read-only) by an independent writable copy, so
// the edit can never reach a stored version. With the default reflink/copy placement the
// files are independent already and nothing is written.
import { existsSync } from 'node:fs';
import type { Context } from '../core/context.js';
import { UsageError } from '../core/errors.js';
import { absPath, projectRelative } from '../core/paths.js';
import { openProject } from '../store/project.js';
import { POINTER_SUFFIX } from '../store/project.js';
import { makeIndependent } from '../store/workspace.js';
import { withProjectLock } from '../store/project-lock.js';

export interface UnprotectOptions {
  paths: string[];
}

export interface UnprotectResult {
  paths: { path: string; copied: number }[];
  copied: number;
}

export async function unprotect(ctx: Context, options: UnprotectOptions): Promise<UnprotectResult> {
  if (options.paths.length === 0) throw new UsageError('nothing to unprotect: name at least one tracked file or directory');
  const project = await openProject(ctx.cwd);
  const rels = [...new Set(options.paths.map((p) => projectRelative(project.root, ctx.cwd, p)))].map((r) => (r.endsWith(POINTER_SUFFIX) ? r.slice(0, -POINTER_SUFFIX.length) : r));
  for (const rel of rels) if (!existsSync(absPath(project.root, rel))) throw new UsageError(`${rel}: no such file or directory`, { data: { path: rel } });
  return withProjectLock(ctx, project, async () => {
    const paths: UnprotectResult['paths'] = [];
    for (const rel of rels) paths.push({ path: rel, copied: (await makeIndependent(absPath(project.root, rel), rel)).length });
    return { paths, copied: paths.reduce((s, p) => s + p.copied, 0) };
  });
}

// rx log: the history of results. Walks first parents from a revision and lists the commits
// that changed rx.lock, each with its metrics, read from git objects.
import type { Context } from '../core/context.js';
import { openProject } from '../store/project.js';
import { resolveRevision, readCommitInfo } from '../git/revision.js';
import { listCommitFiles } from '../git/tree.js';
import { LOCK_FILE } from '../pipeline/lock.js';
import { loadPipelineFrom } from '../pipeline/definition.js';
import { openSide, projectRepo } from './revisions.js';
import { metricsOf } from './params-metrics.js';

export interface LogEntry {
  commit: string;
  timestamp: number;
  author: string;
  subject: string;
  metrics: Record<string, unknown>;
}

async function lockOid(pr: ReturnType<typeof projectRepo>, commit: string): Promise<string | undefined> {
  const want = pr.prefix === '' ? LOCK_FILE : `${pr.prefix}/${LOCK_FILE}`;
  return (await listCommitFiles(pr.repo, commit)).find((f) => f.path === want)?.oid;
}

export async function log(ctx: Context, options: { rev?: string; max?: number }): Promise<{ entries: LogEntry[] }> {
  const project = await openProject(ctx.cwd);
  const pr = projectRepo(project);
  let commit: string | undefined = await resolveRevision(pr.repo, options.rev ?? 'HEAD');
  const entries: LogEntry[] = [];
  const max = options.max ?? Infinity;
  while (commit && entries.length < max) {
    let info;
    try {
      info = await readCommitInfo(pr.repo, commit);
    } catch {
      break; // shallow clone: history ends here
    }
    const parent = info.parents[0];
    const mine = await lockOid(pr, commit);
    let theirs: string | undefined;
    try {
      theirs = parent ? await lockOid(pr, parent) : undefined;
    } catch {
      theirs = undefined; // shallow clone: the parent is not here
    }
    if (mine !== undefined && mine !== theirs) {
      const side = await openSide(project, commit, pr);
      const pipeline = await loadPipelineFrom(side.read).catch(() => undefined);
      const metrics: Record<string, unknown> = {};
      for (const [file, values] of await metricsOf(side, pipeline)) for (const [k, v] of values) metrics[`${file}:${k}`] = v;
      entries.push({ commit, timestamp: info.timestamp, author: info.author, subject: info.message.split('\n')[0]!, metrics });
    }
    commit = parent;
  }
  return { entries };
}

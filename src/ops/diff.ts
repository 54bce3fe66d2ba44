// rx diff: builds the two snapshots (a revision read from git objects, or the workspace)
// and hands them to the pure semantic diff. Directory manifests come from the store when
// it has them, so data changes can be told file by file.
import type { Context } from '../core/context.js';
import { openProject, POINTER_SUFFIX, type Project } from '../store/project.js';
import { findPointers } from '../store/pointer.js';
import { readDirManifest } from '../store/tracked.js';
import { parseYaml } from '../core/yaml.js';
import { listCommitFiles } from '../git/tree.js';
import { loadPipelineFrom, type Pipeline } from '../pipeline/definition.js';
import { parseLock, LOCK_FILE } from '../pipeline/lock.js';
import { semanticDiff, type SemanticDiff, type Snapshot, type DataEntry } from '../pipeline/semantic-diff.js';
import { openSide, sidesFromArgs, projectRepo, WORKSPACE, type Side, type ProjectRepo } from './revisions.js';
import { paramsOf, metricsOf } from './params-metrics.js';
import { mlChanges } from './ml-diff.js';

async function pointerPaths(project: Project, side: Side, pr: ProjectRepo | undefined): Promise<string[]> {
  if (side.commit === undefined || !pr) return findPointers(project.root).map((p) => p.pointerRel);
  return (await listCommitFiles(pr.repo, side.commit, pr.prefix)).map((f) => f.path).filter((p) => p.endsWith(POINTER_SUFFIX));
}

async function dataOf(project: Project, side: Side, pr: ProjectRepo | undefined): Promise<Map<string, DataEntry>> {
  const out = new Map<string, DataEntry>();
  for (const rel of await pointerPaths(project, side, pr)) {
    const text = await side.read(rel);
    if (text === undefined) continue;
    let p: { path?: unknown; type?: unknown; hash?: unknown; size?: unknown; nfiles?: unknown };
    try {
      p = parseYaml(text, rel) as typeof p;
    } catch {
      continue;
    }
    if (typeof p?.hash !== 'string' || typeof p.path !== 'string') continue;
    const dir = rel.includes('/') ? rel.slice(0, rel.lastIndexOf('/') + 1) : '';
    const entry: DataEntry = { type: p.type === 'dir' ? 'dir' : 'file', hash: p.hash, size: Number(p.size ?? 0), nfiles: Number(p.nfiles ?? 1) };
    if (entry.type === 'dir' && (await project.store.has(entry.hash))) {
      try {
        entry.files = new Map((await readDirManifest(project.store, entry.hash)).entries.map((e) => [e.path, e.hash]));
      } catch {
        // an unreadable manifest: the summary still compares
      }
    }
    out.set(dir + p.path, entry);
  }
  return out;
}

async function snapshot(project: Project, side: Side, pr: ProjectRepo | undefined, pipelines: Pipeline): Promise<Snapshot> {
  const lockText = await side.read(LOCK_FILE);
  const snap: Snapshot = {
    label: side.label,
    params: await paramsOf(side, pipelines),
    metrics: await metricsOf(side, pipelines),
    data: await dataOf(project, side, pr),
  };
  if (lockText !== undefined) snap.lock = parseLock(lockText, side.label === WORKSPACE ? LOCK_FILE : `${side.label}:${LOCK_FILE}`);
  return snap;
}

export async function diff(ctx: Context, options: { revisions: string[] }): Promise<SemanticDiff> {
  const project = await openProject(ctx.cwd);
  const [ra, rb] = sidesFromArgs(options.revisions);
  const pr = ra === WORKSPACE && rb === WORKSPACE ? undefined : projectRepo(project);
  const a = await openSide(project, ra, pr);
  const b = await openSide(project, rb, pr);
  const [pa, pb] = [await loadPipelineFrom(a.read), await loadPipelineFrom(b.read)];
  // Params and metrics either side's stages declare are compared on both sides.
  const both = { stages: [...(pa?.stages ?? []), ...(pb?.stages ?? [])], locate: () => undefined } as Pipeline;
  const [sa, sb] = [await snapshot(project, a, pr, both), await snapshot(project, b, pr, both)];
  return semanticDiff(sa, sb, await mlChanges(project, a, b, both, [sa.lock, sb.lock]));
}

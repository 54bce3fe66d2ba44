// rx status: for each tracked path, whether the workspace matches its pointer file and
// whether the store holds its objects; plus data that .gitignore hides but no pointer
// tracks any more. Reads no file content when the stat cache says nothing changed.
import type { Context } from '../core/context.js';
import { compareStrings } from '../core/canonical.js';
import { absPath } from '../core/paths.js';
import { existsSync } from 'node:fs';
import { openProject, type Project } from '../store/project.js';
import { StatCache } from '../store/stat-cache.js';
import { hashProgress, type HashWork } from '../store/hash-progress.js';
import { findPointers, readPointer, targetOfPointer, type Pointer, type PointerRef } from '../store/pointer.js';
import { evaluateTarget, readDirManifest, summarizeTarget } from '../store/tracked.js';
import { managedIgnores } from '../git/ignore.js';
import { resolvePointerTargets } from '../store/pointer-targets.js';
import { cacheFromScan, type WorkspaceFile } from '../store/workspace.js';
import type { statusStates } from '../schema/outputs.js';
import { loadPipeline, type Pipeline } from '../pipeline/definition.js';
import { buildGraph } from '../pipeline/graph.js';
import { readLock, emptyLock } from '../pipeline/lock.js';
import { workspaceParamsReader } from '../pipeline/params.js';
import { assessStage } from '../pipeline/assess.js';
import { observationMemo } from '../pipeline/observe.js';
import { describeReason } from '../pipeline/changes.js';

export type TrackedState = (typeof statusStates)[number];

export interface DirChanges {
  added: string[];
  modified: string[];
  deleted: string[];
}

export interface StatusEntry {
  path: string;
  pointer?: string;
  state: TrackedState;
  hash?: string;
  changes?: DirChanges;
  missingObjects?: number;
}

export interface StatusOptions {
  paths: string[];
}

export interface StageStatus {
  name: string;
  state: 'up-to-date' | 'changed' | 'never-run' | 'frozen';
  reasons: string[];
  changes: { command: boolean; settings: string[]; deps: string[]; params: string[]; outs: string[] };
}

export interface StatusResult {
  clean: boolean;
  entries: StatusEntry[];
  stages: StageStatus[];
}

/** Per stage of rx.yaml (when there is one): is it up to date with rx.lock, and if not, why. */
async function stageStatuses(project: Project, statCache: StatCache, pipeline: Pipeline, work: HashWork): Promise<StageStatus[]> {
  buildGraph(pipeline.stages, pipeline.locate);
  const lock = (await readLock(project.root, project.parsed)) ?? emptyLock();
  const readParams = workspaceParamsReader(project.root);
  // status runs nothing, so every path is observed once however many stages read it.
  const memo = observationMemo(() => true);
  const out: StageStatus[] = [];
  for (const stage of pipeline.stages) {
    const changes: StageStatus['changes'] = { command: false, settings: [], deps: [], params: [], outs: [] };
    if (stage.frozen) {
      out.push({ name: stage.name, state: 'frozen', reasons: [], changes });
      continue;
    }
    const { reasons } = await assessStage(project, statCache, readParams, stage, lock.stages[stage.name], { memo, work });
    for (const r of reasons) {
      if (r.kind === 'command') changes.command = true;
      else if (r.kind === 'settings') changes.settings.push(r.what);
      else if (r.kind === 'dep') changes.deps.push(r.path);
      else if (r.kind === 'param') changes.params.push(`${r.file}:${r.key}`);
      else if (r.kind === 'out') changes.outs.push(r.path);
    }
    const state = reasons.length === 0 ? 'up-to-date' : reasons.some((r) => r.kind === 'never-run') ? 'never-run' : 'changed';
    out.push({ name: stage.name, state, reasons: reasons.map(describeReason), changes });
  }
  return out;
}

async function dirChanges(project: Project, pointer: Pointer, files: Iterable<WorkspaceFile>): Promise<DirChanges | undefined> {
  if (!(await project.store.has(pointer.hash))) return undefined;
  const manifest = await readDirManifest(project.store, pointer.hash);
  const want = new Map(manifest.entries.map((e) => [e.path, e]));
  const changes: DirChanges = { added: [], modified: [], deleted: [] };
  const seen = new Set<string>();
  for (const f of files) {
    seen.add(f.rel);
    const e = want.get(f.rel);
    if (!e) changes.added.push(f.rel);
    else if (e.hash !== f.hash || e.mode !== f.mode) changes.modified.push(f.rel);
  }
  for (const e of manifest.entries) if (!seen.has(e.path)) changes.deleted.push(e.path);
  return changes;
}

async function missingObjectCount(project: Project, pointer: Pointer, full: boolean): Promise<number> {
  if (!(await project.store.has(pointer.hash))) return pointer.type === 'dir' ? pointer.nfiles + 1 : 1;
  if (pointer.type === 'file' || !full) return 0;
  const manifest = await readDirManifest(project.store, pointer.hash);
  let missing = 0;
  for (const e of manifest.entries) if (!(await project.store.has(e.hash))) missing += 1;
  return missing;
}

async function statusOf(project: Project, statCache: StatCache, ref: PointerRef, work: HashWork): Promise<StatusEntry> {
  const pointer = await readPointer(project.root, ref.pointerRel, project.parsed);
  const targetRel = targetOfPointer(ref.pointerRel, pointer);
  const base = { path: targetRel, pointer: ref.pointerRel, hash: pointer.hash };
  const target = await summarizeTarget(project, statCache, targetRel, work);
  if (target.currentHash === undefined) {
    const missing = await missingObjectCount(project, pointer, false);
    return missing > 0 ? { ...base, state: 'missing-workspace', missingObjects: missing } : { ...base, state: 'missing-workspace' };
  }
  // Per-file hashes, for the rare answers that need them (the summary vouched without any).
  const scanned = async () => (target.state ?? (await evaluateTarget(project, statCache, targetRel, work))).scan;
  if (target.currentHash !== pointer.hash || (pointer.type === 'file' && (pointer.mode ?? '644') !== target.mode)) {
    const entry: StatusEntry = { ...base, state: 'modified' };
    if (pointer.type === 'dir' && target.kind === 'dir') {
      const changes = await dirChanges(project, pointer, (await scanned()).files);
      if (changes) entry.changes = changes;
    }
    return entry;
  }
  // Unchanged content: every entry object is checked unless the stat cache vouched for it.
  const missing = await missingObjectCount(project, pointer, !target.vouched);
  if (missing === 0) return { ...base, state: 'unchanged' };
  // Keep the file hashes but withdraw the vouching, so the next status checks the store again.
  await statCache.save(targetRel, cacheFromScan(await scanned(), undefined));
  return { ...base, state: 'missing-store', missingObjects: missing };
}

export async function status(ctx: Context, options: StatusOptions): Promise<StatusResult> {
  const project = await openProject(ctx.cwd);
  const statCache = new StatCache(project.tmpDir, project.algo);
  // Files the stat cache cannot vouch for (a cold or stale cache) are read: that can be long.
  const work = hashProgress(ctx.reporter, 'hashing');
  try {
    return await statusWith(ctx, project, statCache, options, work);
  } finally {
    work.stop();
  }
}

async function statusWith(ctx: Context, project: Project, statCache: StatCache, options: StatusOptions, work: HashWork): Promise<StatusResult> {
  const ignoreDirs: string[] = [];
  const refs = options.paths.length === 0 ? findPointers(project.root, '', ignoreDirs) : resolvePointerTargets(project.root, ctx.cwd, options.paths);
  const entries: StatusEntry[] = [];
  for (const ref of refs) entries.push(await statusOf(project, statCache, ref, work));
  const pipeline = options.paths.length === 0 ? await loadPipeline(project.root, project.parsed) : undefined;
  if (options.paths.length === 0) {
    // Stage outputs are tracked by rx.lock, not by pointer files.
    const tracked = new Set([...entries.map((e) => e.path), ...(pipeline?.stages.flatMap((s) => s.outs.map((o) => o.path)) ?? [])]);
    for (const rel of await managedIgnores(project.root, ignoreDirs)) {
      if (!tracked.has(rel) && existsSync(absPath(project.root, rel))) entries.push({ path: rel, state: 'untracked-ignored' });
    }
  }
  entries.sort((a, b) => compareStrings(a.path, b.path));
  const stages = pipeline ? await stageStatuses(project, statCache, pipeline, work) : [];
  const clean = entries.every((e) => e.state === 'unchanged') && stages.every((s) => s.state === 'up-to-date' || s.state === 'frozen');
  return { clean, entries, stages };
}

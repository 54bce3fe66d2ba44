// Restoring tracked data from the store into the workspace (checkout, and stage outputs
// in the pipeline): plan what to write, remove and re-mode, refuse to destroy content that
// exists nowhere else unless forced, then apply with the store's link order.
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import type { Reporter } from '../core/context.js';
import { absPath, assertSafePath, assertNoSymlinkAbove } from '../core/paths.js';
import { removeStaleTemps, isStaleTemp } from '../core/atomic.js';
import { mapLimit } from '../core/concurrency.js';
import type { Project } from './project.js';
import type { StatCache } from './stat-cache.js';
import type { FileMode, LinkType } from './link-strategy.js';
import { evaluateTarget, readDirManifest } from './tracked.js';
import { scanPath, cacheFromScan, type DirEntry, type WorkspaceFile } from './workspace.js';

export interface RestoreTarget {
  rel: string;
  type: 'file' | 'dir';
  hash: string;
  size: number;
  mode?: FileMode;
}

export interface RestoredTarget {
  path: string;
  action: 'unchanged' | 'restored' | 'updated';
  written: number;
  removed: number;
}

export interface RestorePlan {
  target: RestoreTarget;
  entries: DirEntry[];
  write: DirEntry[];
  chmod: DirEntry[];
  remove: WorkspaceFile[];
  /** The target exists as the wrong kind (file vs directory) and must go first. */
  replaceKind: boolean;
  existed: boolean;
  /** Some objects are missing: what is written is not the whole target. */
  incomplete: boolean;
  /** Entries whose objects are missing (left as they are in the workspace). */
  lacking: Set<string>;
}

const CONCURRENCY = 16;

/** Workspace content that would be lost: not what the pointer says and not in the store. */
async function unsaved(project: Project, f: WorkspaceFile): Promise<boolean> {
  return f.hash === undefined || !(await project.store.has(f.hash));
}

/**
 * Works out what restoring a target needs, touching nothing. Hashes it lacks go to
 * `missing`; workspace content that would be lost (not in the store) goes to conflicts
 * unless force.
 */
export async function planRestore(project: Project, statCache: StatCache, target: RestoreTarget, force: boolean, missing: Set<string>): Promise<{ plan?: RestorePlan; conflicts: string[] }> {
  const targetRel = target.rel;
  // The path guard: callers read targets from pointers and locks, which checked them; a
  // symlinked directory on the way is only visible now.
  assertSafePath(targetRel, { file: targetRel });
  assertNoSymlinkAbove(project.root, targetRel);
  let entries: DirEntry[];
  if (target.type === 'file') {
    entries = [{ path: '', hash: target.hash, size: target.size, mode: target.mode ?? '644' }];
  } else {
    if (!(await project.store.has(target.hash))) {
      missing.add(target.hash);
      return { conflicts: [] };
    }
    entries = (await readDirManifest(project.store, target.hash, targetRel)).entries;
  }
  const lacking = new Set<string>();
  // A checkout killed mid-copy leaves its temp files beside the files it was writing: they
  // belong to no one, so they go before the workspace is compared with the target.
  await removeStaleTemps(path.dirname(absPath(project.root, targetRel)));
  const state = await evaluateTarget(project, statCache, targetRel);
  if (state.scan.kind === 'dir') {
    const stale = [...state.scan.files].filter((f) => isStaleTemp(path.basename(f.abs)));
    for (const f of stale) await fsp.rm(f.abs, { force: true });
    if (stale.length > 0) state.scan.files = state.scan.files.filter((f) => !isStaleTemp(path.basename(f.abs)));
  }
  const conflicts: string[] = [];
  const plan: RestorePlan = { target, entries, write: [], chmod: [], remove: [], replaceKind: false, existed: state.scan.kind !== 'missing', incomplete: false, lacking: new Set() };
  const display = (rel: string) => (rel === '' ? targetRel : `${targetRel}/${rel}`);
  const wrongKind = (state.scan.kind === 'file') !== (target.type === 'file') && state.scan.kind !== 'missing';
  const have = new Map(wrongKind ? [] : [...state.scan.files].map((f) => [f.rel, f]));
  if (wrongKind) {
    plan.replaceKind = true;
    for (const f of state.scan.files) if (!force && (await unsaved(project, f))) conflicts.push(display(f.rel));
  }
  for (const e of entries) {
    const f = have.get(e.path);
    if (f && f.hash === e.hash) {
      // A file left hardlinked to its object (by hardlink mode, or an older rx) while the
      // store no longer shares inodes gets its own copy: an edit must never reach the object.
      if (f.nlink > 1 && !project.store.sharesInodes && (await project.store.has(e.hash))) plan.write.push(e);
      else if (f.mode !== e.mode) plan.chmod.push(e);
      continue;
    }
    if (!(await project.store.has(e.hash))) {
      missing.add(e.hash);
      lacking.add(e.path);
      continue;
    }
    if (f && !force && (await unsaved(project, f))) conflicts.push(display(f.rel));
    plan.write.push(e);
  }
  const wanted = new Set(entries.map((e) => e.path));
  for (const f of have.values()) {
    if (wanted.has(f.rel)) continue;
    if (!force && (await unsaved(project, f))) conflicts.push(display(f.rel));
    plan.remove.push(f);
  }
  plan.incomplete = lacking.size > 0;
  plan.lacking = lacking;
  return { plan, conflicts };
}

async function pruneEmptyDirs(dir: string, keep: string): Promise<void> {
  let names: string[];
  try {
    names = await fsp.readdir(dir);
  } catch {
    return;
  }
  for (const name of names) {
    const child = path.join(dir, name);
    const st = await fsp.lstat(child).catch(() => undefined);
    if (st?.isDirectory()) await pruneEmptyDirs(child, keep);
  }
  if (dir !== keep && (await fsp.readdir(dir)).length === 0) await fsp.rmdir(dir).catch(() => {});
}

/** Carries out a plan: removes, writes and re-moded files, then records the stat cache. */
export async function applyRestore(reporter: Reporter, project: Project, statCache: StatCache, plan: RestorePlan, options: { linkOrder?: LinkType[] } = {}): Promise<RestoredTarget> {
  const targetAbs = absPath(project.root, plan.target.rel);
  if (plan.replaceKind) await fsp.rm(targetAbs, { recursive: true, force: true });
  const isFile = plan.target.type === 'file';
  const fileAbs = (rel: string) => (rel === '' ? targetAbs : path.join(targetAbs, ...rel.split('/')));
  if (!isFile) await fsp.mkdir(targetAbs, { recursive: true });
  else await fsp.mkdir(path.dirname(targetAbs), { recursive: true });
  const bytes = plan.write.reduce((s, e) => s + e.size, 0);
  const bar = plan.write.length > 2000 || bytes > 64 * 1024 * 1024 ? reporter.progress(`checkout ${plan.target.rel}`, plan.write.length, 'files') : undefined;
  const madeDirs = new Set<string>();
  try {
    for (const f of plan.remove) await fsp.rm(f.abs, { force: true });
    await mapLimit(plan.write, CONCURRENCY, async (e) => {
      const dest = fileAbs(e.path);
      const parent = path.dirname(dest);
      if (!madeDirs.has(parent)) {
        await fsp.mkdir(parent, { recursive: true });
        madeDirs.add(parent);
      }
      // A file standing where a directory must go (or the reverse) is replaced.
      const st = await fsp.lstat(dest).catch(() => undefined);
      if (st?.isDirectory()) await fsp.rm(dest, { recursive: true, force: true });
      await project.store.materialise(e.hash, dest, e.mode, options.linkOrder);
      bar?.tick(1);
    });
  } finally {
    bar?.stop();
  }
  for (const e of plan.chmod) await fsp.chmod(fileAbs(e.path), e.mode === '755' ? 0o755 : 0o644);
  if (!isFile && plan.remove.length > 0) await pruneEmptyDirs(targetAbs, targetAbs);
  // Record what is now on disk so the next status reads nothing.
  const after = scanPath(targetAbs, plan.target.rel);
  const byPath = new Map(plan.entries.filter((e) => !plan.lacking.has(e.path)).map((e) => [e.path, e.hash]));
  for (let i = 0; i < after.files.length; i++) after.files.setHash(i, byPath.get(after.files.rel(i)));
  // An incomplete restore vouches for nothing: the next run looks again and reports it again.
  await statCache.save(plan.target.rel, cacheFromScan(after, plan.incomplete ? undefined : plan.target.hash));
  const changed = plan.write.length + plan.remove.length + plan.chmod.length > 0 || plan.replaceKind;
  return {
    path: plan.target.rel,
    action: !changed ? 'unchanged' : plan.existed ? 'updated' : 'restored',
    written: plan.write.length,
    removed: plan.remove.length,
  };
}


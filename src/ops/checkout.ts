// rx checkout: makes the workspace match the pointer files, materialising data from the
// store (reflink, hardlink or verified copy). It never destroys data that exists nowhere
// else: a modified workspace file whose content is not in the store is refused unless
// --force. Missing objects are reported (exit 6) after restoring everything else.
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import type { Context } from '../core/context.js';
import { RxError, ExitCode, StoreIntegrityError } from '../core/errors.js';
import { absPath } from '../core/paths.js';
import { mapLimit } from '../core/concurrency.js';
import { openProject, type Project } from '../store/project.js';
import { StatCache } from '../store/stat-cache.js';
import { readPointer, targetOfPointer, type Pointer } from '../store/pointer.js';
import { evaluateTarget, readDirManifest } from '../store/tracked.js';
import { scanPath, cacheFromScan, type DirEntry, type WorkspaceFile } from '../store/workspace.js';
import { withProjectLock } from './lock.js';
import { resolvePointerTargets } from './targets.js';

export interface CheckoutOptions {
  paths: string[];
  force?: boolean;
}

export interface CheckedOutPath {
  path: string;
  action: 'unchanged' | 'restored' | 'updated';
  written: number;
  removed: number;
}

export interface CheckoutResult {
  paths: CheckedOutPath[];
}

interface Plan {
  targetRel: string;
  pointer: Pointer;
  entries: DirEntry[];
  write: DirEntry[];
  chmod: DirEntry[];
  remove: WorkspaceFile[];
  /** The target exists as the wrong kind (file vs directory) and must go first. */
  replaceKind: boolean;
  existed: boolean;
}

const CONCURRENCY = 16;

/** Workspace content that would be lost: not what the pointer says and not in the store. */
async function unsaved(project: Project, f: WorkspaceFile): Promise<boolean> {
  return f.hash === undefined || !(await project.store.has(f.hash));
}

async function planTarget(project: Project, statCache: StatCache, pointerRel: string, force: boolean, missing: Set<string>): Promise<{ plan?: Plan; conflicts: string[] }> {
  const pointer = await readPointer(project.root, pointerRel);
  const targetRel = targetOfPointer(pointerRel, pointer);
  let entries: DirEntry[];
  if (pointer.type === 'file') {
    entries = [{ path: '', hash: pointer.hash, size: pointer.size, mode: pointer.mode ?? '644' }];
  } else {
    if (!(await project.store.has(pointer.hash))) {
      missing.add(pointer.hash);
      return { conflicts: [] };
    }
    entries = (await readDirManifest(project.store, pointer.hash)).entries;
  }
  const state = await evaluateTarget(project, statCache, targetRel);
  const conflicts: string[] = [];
  const plan: Plan = { targetRel, pointer, entries, write: [], chmod: [], remove: [], replaceKind: false, existed: state.scan.kind !== 'missing' };
  const display = (rel: string) => (rel === '' ? targetRel : `${targetRel}/${rel}`);
  const wrongKind = (state.scan.kind === 'file') !== (pointer.type === 'file') && state.scan.kind !== 'missing';
  const have = new Map((wrongKind ? [] : state.scan.files).map((f) => [f.rel, f]));
  if (wrongKind) {
    plan.replaceKind = true;
    for (const f of state.scan.files) if (!force && (await unsaved(project, f))) conflicts.push(display(f.rel));
  }
  for (const e of entries) {
    const f = have.get(e.path);
    if (f && f.hash === e.hash) {
      if (f.mode !== e.mode) plan.chmod.push(e);
      continue;
    }
    if (!(await project.store.has(e.hash))) {
      missing.add(e.hash);
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

async function applyPlan(ctx: Context, project: Project, statCache: StatCache, plan: Plan): Promise<CheckedOutPath> {
  const targetAbs = absPath(project.root, plan.targetRel);
  if (plan.replaceKind) await fsp.rm(targetAbs, { recursive: true, force: true });
  const isFile = plan.pointer.type === 'file';
  const fileAbs = (rel: string) => (rel === '' ? targetAbs : path.join(targetAbs, ...rel.split('/')));
  if (!isFile) await fsp.mkdir(targetAbs, { recursive: true });
  else await fsp.mkdir(path.dirname(targetAbs), { recursive: true });
  const bytes = plan.write.reduce((s, e) => s + e.size, 0);
  const bar = plan.write.length > 2000 || bytes > 64 * 1024 * 1024 ? ctx.reporter.progress(`checkout ${plan.targetRel}`, plan.write.length, 'files') : undefined;
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
      await project.store.materialise(e.hash, dest, e.mode);
      bar?.tick(1);
    });
  } finally {
    bar?.stop();
  }
  for (const e of plan.chmod) await fsp.chmod(fileAbs(e.path), e.mode === '755' ? 0o755 : 0o644);
  if (!isFile && plan.remove.length > 0) await pruneEmptyDirs(targetAbs, targetAbs);
  // Record what is now on disk so the next status reads nothing.
  const after = scanPath(targetAbs, plan.targetRel);
  const byPath = new Map(plan.entries.map((e) => [e.path, e.hash]));
  for (const f of after.files) f.hash = byPath.get(f.rel);
  await statCache.save(plan.targetRel, cacheFromScan(after, plan.pointer.hash));
  const changed = plan.write.length + plan.remove.length + plan.chmod.length > 0 || plan.replaceKind;
  return {
    path: plan.targetRel,
    action: !changed ? 'unchanged' : plan.existed ? 'updated' : 'restored',
    written: plan.write.length,
    removed: plan.remove.length,
  };
}

export async function checkout(ctx: Context, options: CheckoutOptions): Promise<CheckoutResult> {
  const project = await openProject(ctx.cwd);
  const refs = resolvePointerTargets(project.root, ctx.cwd, options.paths);
  const statCache = new StatCache(project.tmpDir, project.algo);
  return withProjectLock(ctx, project, async () => {
    const missing = new Set<string>();
    const plans: Plan[] = [];
    const conflicts: string[] = [];
    for (const ref of refs) {
      const r = await planTarget(project, statCache, ref.pointerRel, options.force ?? false, missing);
      if (r.plan) plans.push(r.plan);
      conflicts.push(...r.conflicts);
    }
    if (conflicts.length > 0) {
      throw new RxError('RX_WOULD_OVERWRITE', ExitCode.differences, `checkout would overwrite or delete data that is not in the store:\n  ${conflicts.join('\n  ')}`, {
        data: { paths: conflicts },
        hint: 'save it with `rx add`, or pass --force to discard it',
      });
    }
    const paths: CheckedOutPath[] = [];
    for (const plan of plans) paths.push(await applyPlan(ctx, project, statCache, plan));
    if (missing.size > 0) {
      throw new StoreIntegrityError('RX_OBJECT_MISSING', `${missing.size} object(s) missing from the store; the rest was checked out:\n  ${[...missing].sort().join('\n  ')}`, {
        data: { missing: [...missing].sort(), paths },
        hint: 'run `rx add` on a good copy of the data, or fetch the store from where it was made',
      });
    }
    return { paths };
  });
}

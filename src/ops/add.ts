// rx add: hashes files or directories into the store, writes PATH.rx pointer files, adds
// PATH to .gitignore and links the workspace copy from the store. Unchanged paths are a
// no-op that reads no file content (stat cache). Objects are synced once, before any
// pointer naming them is written.
import { existsSync, promises as fsp, constants as fsConstants } from 'node:fs';
import type { Context } from '../core/context.js';
import { UsageError, RxError, ExitCode, systemErrorFrom } from '../core/errors.js';
import { absPath, projectRelative, assertSafePath } from '../core/paths.js';
import { writeFileIfChanged, removeStaleTemps } from '../core/atomic.js';
import { openProject, POINTER_SUFFIX, type Project } from '../store/project.js';
import { StatCache } from '../store/stat-cache.js';
import { saveTarget } from '../store/save.js';
import { pointerPathFor, serialisePointer, findPointers, parsePointer, type Pointer } from '../store/pointer.js';
import { withProjectLock } from '../store/project-lock.js';
import { ignoreTarget, assertIgnorable } from '../git/ignore.js';
import { findGitRoot, openRepo, indexedPaths } from '../git/repo.js';
import * as path from 'node:path';
import { toPosix } from '../core/paths.js';

export interface AddOptions {
  paths: string[];
  desc?: string;
}

export interface AddedPath {
  path: string;
  pointer: string;
  type: 'file' | 'dir';
  hash: string;
  size: number;
  nfiles: number;
  /** Whether the pointer file was written (false: it already said this). */
  changed: boolean;
  hashedFiles: number;
  newObjects: number;
}

export interface AddResult {
  added: AddedPath[];
}

function checkTargets(project: Project, rels: string[]): void {
  const pointers = findPointers(project.root);
  const trackedTargets = pointers.map((p) => p.targetRel);
  for (const rel of rels) {
    if (rel.endsWith(POINTER_SUFFIX)) throw new UsageError(`${rel}: is a pointer file; add the data it points to instead`);
    for (const t of trackedTargets) {
      if (rel.startsWith(t + '/')) {
        throw new UsageError(`${rel}: is inside ${t}, which rx already tracks as a whole`, { hint: `re-add the directory: rx add ${t}` });
      }
      if (t.startsWith(rel + '/')) {
        throw new UsageError(`${rel}: contains ${t}, which rx tracks separately`, { hint: `track them one way: remove ${t}${POINTER_SUFFIX} first` });
      }
    }
    for (const other of rels) {
      if (other !== rel && other.startsWith(rel + '/')) throw new UsageError(`${rel}: contains ${other}, also named in this command`);
    }
  }
}

async function checkNotInGit(project: Project, rels: string[]): Promise<void> {
  const gitRoot = findGitRoot(project.root);
  if (!gitRoot) return;
  const indexed = await indexedPaths(openRepo(gitRoot));
  if (indexed.size === 0) return;
  const prefix = toPosix(path.relative(gitRoot, project.root));
  for (const rel of rels) {
    const inGit = prefix === '' ? rel : `${prefix}/${rel}`;
    for (const p of indexed) {
      if (p === inGit || p.startsWith(inGit + '/')) {
        throw new UsageError(`${rel}: is tracked by git (${p}); rx would store it twice`, {
          data: { path: rel },
          hint: `stop tracking it in git first: git rm -r --cached ${rel}`,
        });
      }
    }
  }
}

/**
 * The desc of the pointer an add is about to replace; none when there is none, it does not
 * parse or it is a symlink (whose target, maybe outside the project, is never read).
 */
async function previousDesc(root: string, pointerRel: string): Promise<string | undefined> {
  try {
    const text = await fsp.readFile(absPath(root, pointerRel), { encoding: 'utf8', flag: fsConstants.O_RDONLY | fsConstants.O_NOFOLLOW });
    return parsePointer(pointerRel, text).desc;
  } catch {
    return undefined; // missing or broken: the add writes a fresh pointer, as before
  }
}

async function addOne(ctx: Context, project: Project, statCache: StatCache, rel: string, desc: string | undefined): Promise<AddedPath> {
  const saved = await saveTarget(project, statCache, ctx.reporter, rel);
  const pointer: Pointer = { schema: 1, path: path.posix.basename(rel), type: saved.type, hash: saved.hash, size: saved.size, nfiles: saved.nfiles };
  if (saved.type === 'file') pointer.mode = saved.mode;
  const pointerRel = pointerPathFor(rel);
  // A re-add keeps the description the pointer had, unless --desc gives a new one.
  const kept = desc ?? (await previousDesc(project.root, pointerRel));
  if (kept !== undefined) pointer.desc = kept;
  // Durability barrier: objects on disk before the pointer that names them.
  await project.store.flush();
  // A killed add may have left the temp file of a pointer or .gitignore write here.
  await removeStaleTemps(path.dirname(absPath(project.root, pointerRel)));
  const changed = await writeFileIfChanged(absPath(project.root, pointerRel), serialisePointer(pointer));
  await ignoreTarget(project.root, rel);
  return {
    path: rel,
    pointer: pointerRel,
    type: pointer.type,
    hash: pointer.hash,
    size: saved.size,
    nfiles: pointer.nfiles,
    changed,
    hashedFiles: saved.hashedFiles,
    newObjects: saved.newObjects,
  };
}

export async function add(ctx: Context, options: AddOptions): Promise<AddResult> {
  if (options.paths.length === 0) throw new UsageError('nothing to add: name at least one file or directory');
  const project = await openProject(ctx.cwd);
  const rels = [...new Set(options.paths.map((p) => projectRelative(project.root, ctx.cwd, p)))];
  for (const rel of rels) {
    if (!existsSync(absPath(project.root, rel))) throw new UsageError(`${rel}: no such file or directory`, { data: { path: rel } });
    // What the pointer and .gitignore will say must pass the same guard that reads them.
    assertSafePath(rel, { file: rel });
    assertIgnorable(rel);
  }
  checkTargets(project, rels);
  await checkNotInGit(project, rels);
  const statCache = new StatCache(project.tmpDir, project.algo);
  return withProjectLock(ctx, project, async () => {
    const added: AddedPath[] = [];
    for (const rel of rels) {
      try {
        added.push(await addOne(ctx, project, statCache, rel, options.desc));
      } catch (err) {
        if (err instanceof RxError) throw err;
        const system = systemErrorFrom(err, project.root);
        if (system) throw system;
        const e = err as NodeJS.ErrnoException;
        throw new RxError('RX_ADD_FAILED', ExitCode.usage, `${rel}: ${e.message}`, { data: { path: rel, errno: e.code } });
      }
    }
    return { added };
  });
}

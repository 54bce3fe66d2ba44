// rx add: hashes files or directories into the store, writes PATH.rx pointer files, adds
// PATH to .gitignore and links the workspace copy from the store. Unchanged paths are a
// no-op that reads no file content (stat cache). Objects are synced once, before any
// pointer naming them is written.
import { existsSync } from 'node:fs';
import type { Context } from '../core/context.js';
import { UsageError, RxError, ExitCode } from '../core/errors.js';
import { absPath, projectRelative } from '../core/paths.js';
import { writeFileIfChanged } from '../core/atomic.js';
import { mapLimit } from '../core/concurrency.js';
import { openProject, POINTER_SUFFIX, type Project } from '../store/project.js';
import { StatCache } from '../store/stat-cache.js';
import { scanPath, applyStatCache, hashMissing, dirManifestFor, cacheFromScan, type Scan } from '../store/workspace.js';
import { pointerPathFor, serialisePointer, findPointers, type Pointer } from '../store/pointer.js';
import { withProjectLock } from './lock.js';
import { ignoreTarget } from '../git/ignore.js';
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

const STORE_CONCURRENCY = 32;

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

async function addOne(ctx: Context, project: Project, statCache: StatCache, rel: string, desc: string | undefined): Promise<AddedPath> {
  const scan: Scan = scanPath(absPath(project.root, rel), rel);
  if (scan.kind === 'missing') throw new UsageError(`${rel}: no such file or directory`, { data: { path: rel } });
  const cache = await statCache.load(rel);
  const todo = applyStatCache(scan, cache);
  const todoBytes = todo.reduce((s, f) => s + f.size, 0);
  const bar = todoBytes > 64 * 1024 * 1024 || todo.length > 2000 ? ctx.reporter.progress(`hashing ${rel}`, todoBytes, 'bytes') : undefined;
  try {
    await hashMissing(todo, project.algo, (n) => bar?.tick(n));
  } finally {
    bar?.stop();
  }

  let created = 0;
  const storeBar = scan.files.length > 2000 ? ctx.reporter.progress(`storing ${rel}`, scan.files.length, 'files') : undefined;
  try {
    const flags = await mapLimit(scan.files, STORE_CONCURRENCY, async (f) => {
      const made = await project.store.putFile(f.abs, f.hash!, f.size, f.mode);
      storeBar?.tick(1);
      return made;
    });
    created = flags.filter(Boolean).length;
  } finally {
    storeBar?.stop();
  }

  let pointer: Pointer;
  const size = scan.files.reduce((s, f) => s + f.size, 0);
  const name = path.posix.basename(rel);
  if (scan.kind === 'file') {
    const f = scan.files[0];
    pointer = { schema: 1, path: name, type: 'file', hash: f.hash!, size, nfiles: 1, mode: f.mode };
  } else {
    const dm = await dirManifestFor(scan.files, project.algo);
    if (await project.store.putBytes(dm.hash, dm.text)) created += 1;
    pointer = { schema: 1, path: name, type: 'dir', hash: dm.hash, size, nfiles: scan.files.length };
  }
  if (desc !== undefined) pointer.desc = desc;
  // Durability barrier: objects on disk before the pointer that names them.
  await project.store.flush();
  const pointerRel = pointerPathFor(rel);
  const changed = await writeFileIfChanged(absPath(project.root, pointerRel), serialisePointer(pointer));
  await ignoreTarget(project.root, rel);
  // Re-stat: hardlinking into the store changes nothing the key covers, but copies do.
  const after = scanPath(absPath(project.root, rel), rel);
  const byRel = new Map(scan.files.map((f) => [f.rel, f.hash]));
  for (const f of after.files) f.hash = byRel.get(f.rel);
  await statCache.save(rel, cacheFromScan(after, pointer.hash));
  return {
    path: rel,
    pointer: pointerRel,
    type: pointer.type,
    hash: pointer.hash,
    size,
    nfiles: pointer.nfiles,
    changed,
    hashedFiles: todo.length,
    newObjects: created,
  };
}

export async function add(ctx: Context, options: AddOptions): Promise<AddResult> {
  if (options.paths.length === 0) throw new UsageError('nothing to add: name at least one file or directory');
  const project = await openProject(ctx.cwd);
  const rels = [...new Set(options.paths.map((p) => projectRelative(project.root, ctx.cwd, p)))];
  for (const rel of rels) {
    if (!existsSync(absPath(project.root, rel))) throw new UsageError(`${rel}: no such file or directory`, { data: { path: rel } });
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
        const e = err as NodeJS.ErrnoException;
        throw new RxError('RX_ADD_FAILED', ExitCode.usage, `${rel}: ${e.message}`, { data: { path: rel, errno: e.code } });
      }
    }
    return { added };
  });
}

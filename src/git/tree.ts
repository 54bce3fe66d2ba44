// Trees and commits without a checkout: list a commit's files, write them into another
// directory (blob by blob, so the user's index is never touched), compare two trees, and
// build new trees and commits from file contents, then point a ref at them. HEAD, the
// index and the working tree are never modified here.
import * as fs from 'node:fs';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import { iso } from './iso.js';
import { compareStrings } from '../core/canonical.js';
import { tempNameIn } from '../core/atomic.js';
import type { GitRepo } from './repo.js';

export interface TreeFile {
  path: string;
  oid: string;
  /** '100644', '100755' or '120000' (symlink). Submodules are left out. */
  mode: string;
}

/** Every file under a commit's tree (or under `prefix` of it), paths relative to prefix. */
export async function listCommitFiles(repo: GitRepo, commit: string, prefix = ''): Promise<TreeFile[]> {
  const git = await iso();
  const { commit: c } = await git.readCommit({ fs, gitdir: repo.gitdir, oid: commit, cache: repo.cache });
  let treeOid = c.tree;
  for (const part of prefix === '' ? [] : prefix.split('/')) {
    const { tree } = await git.readTree({ fs, gitdir: repo.gitdir, oid: treeOid, cache: repo.cache });
    const next = tree.find((e) => e.path === part && e.type === 'tree');
    if (!next) return [];
    treeOid = next.oid;
  }
  const out: TreeFile[] = [];
  const walk = async (oid: string, base: string) => {
    const { tree } = await git.readTree({ fs, gitdir: repo.gitdir, oid, cache: repo.cache });
    for (const e of tree) {
      const p = base === '' ? e.path : `${base}/${e.path}`;
      if (e.type === 'tree') await walk(e.oid, p);
      else if (e.type === 'blob') out.push({ path: p, oid: e.oid, mode: e.mode });
    }
  };
  await walk(treeOid, '');
  return out.sort((a, b) => compareStrings(a.path, b.path));
}

export async function readBlobBytes(repo: GitRepo, oid: string): Promise<Uint8Array> {
  const git = await iso();
  const { blob } = await git.readBlob({ fs, gitdir: repo.gitdir, oid, cache: repo.cache });
  return blob;
}

/** Writes the files of a tree listing into dest (which need not be empty). */
export async function materialiseFiles(repo: GitRepo, files: TreeFile[], dest: string): Promise<void> {
  const made = new Set<string>();
  for (const f of files) {
    const abs = path.join(dest, ...f.path.split('/'));
    const dir = path.dirname(abs);
    if (!made.has(dir)) {
      await fsp.mkdir(dir, { recursive: true });
      made.add(dir);
    }
    const bytes = await readBlobBytes(repo, f.oid);
    if (f.mode === '120000') {
      await fsp.symlink(Buffer.from(bytes).toString('utf8'), abs);
    } else {
      await fsp.writeFile(abs, bytes, { mode: f.mode === '100755' ? 0o755 : 0o644 });
    }
  }
}

/** Paths whose content or mode differs between two listings (added, removed or changed). */
export function changedFiles(a: TreeFile[], b: TreeFile[]): string[] {
  const am = new Map(a.map((f) => [f.path, f]));
  const bm = new Map(b.map((f) => [f.path, f]));
  const out = new Set<string>();
  for (const [p, f] of am) {
    const g = bm.get(p);
    if (!g || g.oid !== f.oid || g.mode !== f.mode) out.add(p);
  }
  for (const p of bm.keys()) if (!am.has(p)) out.add(p);
  return [...out].sort(compareStrings);
}

export async function writeBlobBytes(repo: GitRepo, bytes: Uint8Array): Promise<string> {
  const git = await iso();
  return git.writeBlob({ fs, gitdir: repo.gitdir, blob: bytes });
}

/** Writes nested tree objects for a flat file listing; returns the root tree oid. */
export async function writeTreeOf(repo: GitRepo, files: TreeFile[]): Promise<string> {
  const git = await iso();
  interface Dir {
    files: Map<string, TreeFile>;
    dirs: Map<string, Dir>;
  }
  const root: Dir = { files: new Map(), dirs: new Map() };
  for (const f of files) {
    const parts = f.path.split('/');
    let d = root;
    for (const part of parts.slice(0, -1)) {
      let next = d.dirs.get(part);
      if (!next) {
        next = { files: new Map(), dirs: new Map() };
        d.dirs.set(part, next);
      }
      d = next;
    }
    d.files.set(parts[parts.length - 1]!, f);
  }
  const write = async (d: Dir): Promise<string> => {
    const entries: { mode: string; path: string; oid: string; type: 'blob' | 'tree' }[] = [];
    for (const [name, f] of d.files) entries.push({ mode: f.mode, path: name, oid: f.oid, type: 'blob' });
    for (const [name, sub] of d.dirs) entries.push({ mode: '040000', path: name, oid: await write(sub), type: 'tree' });
    return git.writeTree({ fs, gitdir: repo.gitdir, tree: entries });
  };
  return write(root);
}

export interface Signature {
  name: string;
  email: string;
  /** Seconds since the epoch. */
  timestamp: number;
  timezoneOffset: number;
}

export async function writeCommitObject(repo: GitRepo, tree: string, parents: string[], message: string, author: Signature): Promise<string> {
  const git = await iso();
  return git.writeCommit({ fs, gitdir: repo.gitdir, commit: { tree, parent: parents, message, author, committer: author } });
}

export async function setRef(repo: GitRepo, ref: string, oid: string): Promise<void> {
  const git = await iso();
  await git.writeRef({ fs, gitdir: repo.gitdir, ref, value: oid, force: true });
}

/**
 * Points a new ref at oid; false (and nothing written) when the ref, or a ref it would nest
 * in or over, already exists. The loose ref is hard-linked into place from a complete temp
 * file, so of two processes creating the same ref exactly one succeeds and no reader ever
 * sees a half-written ref.
 */
export async function createRef(repo: GitRepo, ref: string, oid: string): Promise<boolean> {
  const git = await iso();
  try {
    await git.resolveRef({ fs, gitdir: repo.gitdir, ref, depth: 1 });
    return false;
  } catch {
    // not there yet (loose or packed)
  }
  const file = path.join(repo.gitdir, ...ref.split('/'));
  try {
    await fsp.mkdir(path.dirname(file), { recursive: true });
  } catch (err) {
    // A ref stands where a directory of refs would go (refs/x exists, refs/x/y wanted).
    if (['EEXIST', 'ENOTDIR'].includes((err as { code?: string }).code ?? '')) return false;
    throw err;
  }
  // Beside the refs, not among them: a listing running meanwhile must not see it.
  const tmp = tempNameIn(repo.gitdir, 'rx-ref');
  await fsp.writeFile(tmp, `${oid}\n`);
  try {
    await fsp.link(tmp, file);
    return true;
  } catch (err) {
    if ((err as { code?: string }).code === 'EEXIST') return false;
    throw err;
  } finally {
    await fsp.rm(tmp, { force: true });
  }
}

/** Deletes a ref, and the directories of loose refs it leaves empty (as git does). */
export async function removeRef(repo: GitRepo, ref: string): Promise<void> {
  const git = await iso();
  await git.deleteRef({ fs, gitdir: repo.gitdir, ref });
  const refsRoot = path.join(repo.gitdir, 'refs');
  for (let dir = path.dirname(path.join(repo.gitdir, ...ref.split('/'))); dir.startsWith(refsRoot + path.sep); dir = path.dirname(dir)) {
    try {
      await fsp.rmdir(dir);
    } catch {
      break; // not empty (or not there): the rest above is in use
    }
  }
}

/** Refs under a prefix (e.g. refs/rx/exps), as full names with their oids. */
export async function refsUnder(repo: GitRepo, prefix: string): Promise<{ ref: string; oid: string }[]> {
  const git = await iso();
  let names: string[];
  try {
    names = await git.listRefs({ fs, gitdir: repo.gitdir, filepath: prefix });
  } catch {
    return [];
  }
  const out: { ref: string; oid: string }[] = [];
  for (const n of names.sort(compareStrings)) {
    const ref = `${prefix}/${n}`;
    out.push({ ref, oid: await git.resolveRef({ fs, gitdir: repo.gitdir, ref }) });
  }
  return out;
}

/**
 * fs for isomorphic-git calls that should only read: statusMatrix refreshes the stat data
 * of index entries and writes .git/index back in place (without git's index.lock). rx
 * never touches the user's index, so that write is dropped; the refreshed copy stays in
 * the operation's cache.
 */
function indexReadOnlyFs(repo: GitRepo): { promises: typeof fsp } {
  const index = path.resolve(repo.gitdir, 'index');
  const writeFile: typeof fsp.writeFile = async (file, data, options) => {
    if (typeof file === 'string' && path.resolve(file) === index) return;
    return fsp.writeFile(file, data, options);
  };
  return { promises: { ...fsp, writeFile } };
}

/** The files git sees in the working tree (tracked or untracked, not ignored), with whether each exists. */
export async function worktreeFiles(repo: GitRepo): Promise<{ path: string; present: boolean }[]> {
  const git = await iso();
  const matrix = await git.statusMatrix({ fs: indexReadOnlyFs(repo), dir: repo.dir, gitdir: repo.gitdir, cache: repo.cache });
  return matrix.map(([p, , workdir]) => ({ path: p as string, present: workdir !== 0 })).sort((a, b) => compareStrings(a.path, b.path));
}

/** The author for commits rx makes: git config user.*, else the environment, else rx. */
export async function authorFrom(repo: GitRepo, env: Record<string, string | undefined>, now: Date): Promise<Signature> {
  const git = await iso();
  const cfg = async (k: string) => {
    try {
      const v = (await git.getConfig({ fs, gitdir: repo.gitdir, path: k })) as unknown;
      return typeof v === 'string' ? v : undefined;
    } catch {
      return undefined;
    }
  };
  return {
    name: env.GIT_AUTHOR_NAME ?? (await cfg('user.name')) ?? 'rx',
    email: env.GIT_AUTHOR_EMAIL ?? (await cfg('user.email')) ?? 'rx@localhost',
    timestamp: Math.floor(now.getTime() / 1000),
    timezoneOffset: 0,
  };
}

/** The object id git gives a blob with this content (sha1 of "blob <size>\0" + bytes). */
export function blobOid(bytes: Uint8Array): string {
  return createHash('sha1').update(`blob ${bytes.byteLength}\0`).update(bytes).digest('hex');
}

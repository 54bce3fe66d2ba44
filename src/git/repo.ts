// The git layer: the only module that imports isomorphic-git. It reads repositories written
// by the git CLI too (packed refs, packfiles) and never touches HEAD, the index or the
// working tree except where a function says so (init).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { iso } from './iso.js';
import { findUp } from '../core/paths.js';

export interface GitRepo {
  dir: string;
  gitdir: string;
  /** isomorphic-git's object cache, shared by the calls of one operation. */
  cache: object;
}

export function findGitRoot(start: string): string | undefined {
  return findUp(start, '.git');
}

export function openRepo(dir: string): GitRepo {
  return { dir, gitdir: path.join(dir, '.git'), cache: {} };
}

export async function initRepo(dir: string): Promise<void> {
  const git = await iso();
  await git.init({ fs, dir, defaultBranch: 'main' });
}

/** Paths in the index (what `git ls-files` prints). */
export async function indexedPaths(repo: GitRepo): Promise<Set<string>> {
  const git = await iso();
  try {
    return new Set(await git.listFiles({ fs, dir: repo.dir, gitdir: repo.gitdir, cache: repo.cache }));
  } catch {
    return new Set();
  }
}

/** The commits the refs under these prefixes point at (annotated tags peeled), and HEAD if asked. */
export async function refTips(repo: GitRepo, prefixes: string[], withHead = false): Promise<string[]> {
  const git = await iso();
  const tips = new Set<string>();
  const addRef = async (ref: string) => {
    try {
      let oid = await git.resolveRef({ fs, gitdir: repo.gitdir, ref });
      // Peel annotated tags down to what they point at; keep it if it is a commit.
      for (let i = 0; i < 10; i++) {
        const obj = await git.readObject({ fs, gitdir: repo.gitdir, oid, cache: repo.cache });
        if (obj.type === 'commit') {
          tips.add(oid);
          break;
        }
        if (obj.type !== 'tag') break;
        oid = (obj.object as { object: string }).object;
      }
    } catch {
      // unborn HEAD or a ref to something that is not a commit
    }
  };
  if (withHead) await addRef('HEAD');
  for (const prefix of prefixes) {
    let refs: string[] = [];
    try {
      refs = await git.listRefs({ fs, gitdir: repo.gitdir, filepath: prefix });
    } catch {
      refs = [];
    }
    for (const r of refs) await addRef(`${prefix}/${r}`);
  }
  return [...tips].sort();
}

/** Every commit reachable from the given commits. */
export async function ancestryOf(repo: GitRepo, tips: string[]): Promise<string[]> {
  const git = await iso();
  const seen = new Set<string>();
  const stack = [...tips];
  while (stack.length > 0) {
    const oid = stack.pop()!;
    if (seen.has(oid)) continue;
    seen.add(oid);
    try {
      const { commit } = await git.readCommit({ fs, gitdir: repo.gitdir, oid, cache: repo.cache });
      for (const p of commit.parent) if (!seen.has(p)) stack.push(p);
    } catch {
      // shallow clone boundary: the parent is not here
    }
  }
  return [...seen].sort();
}

/** Every commit reachable from any ref (branches, tags, remotes, rx experiments) and HEAD. */
export async function allCommits(repo: GitRepo): Promise<string[]> {
  return ancestryOf(repo, await refTips(repo, ['refs/heads', 'refs/tags', 'refs/remotes', 'refs/rx'], true));
}

export async function commitTree(repo: GitRepo, commitOid: string): Promise<string> {
  const git = await iso();
  const { commit } = await git.readCommit({ fs, gitdir: repo.gitdir, oid: commitOid, cache: repo.cache });
  return commit.tree;
}

/**
 * Reads every blob whose name matches `wanted` under a tree, calling visit(path, text).
 * Trees already visited (shared between commits) are skipped via `seenTrees`.
 */
export async function forEachMatchingBlob(
  repo: GitRepo,
  treeOid: string,
  wanted: (name: string) => boolean,
  visit: (filepath: string, text: string) => void,
  seenTrees: Set<string>,
  prefix = '',
): Promise<void> {
  const git = await iso();
  if (seenTrees.has(treeOid)) return;
  seenTrees.add(treeOid);
  const { tree } = await git.readTree({ fs, gitdir: repo.gitdir, oid: treeOid, cache: repo.cache });
  for (const entry of tree) {
    const filepath = prefix === '' ? entry.path : `${prefix}/${entry.path}`;
    if (entry.type === 'tree') await forEachMatchingBlob(repo, entry.oid, wanted, visit, seenTrees, filepath);
    else if (entry.type === 'blob' && wanted(entry.path)) {
      const { blob } = await git.readBlob({ fs, gitdir: repo.gitdir, oid: entry.oid, cache: repo.cache });
      visit(filepath, Buffer.from(blob).toString('utf8'));
    }
  }
}

/** Sets a repository-local git config value (.git/config). */
export async function setRepoConfig(repo: GitRepo, key: string, value: string): Promise<void> {
  const git = await iso();
  await git.setConfig({ fs, gitdir: repo.gitdir, path: key, value });
}

export async function getRepoConfig(repo: GitRepo, key: string): Promise<string | undefined> {
  const git = await iso();
  const v = (await git.getConfig({ fs, gitdir: repo.gitdir, path: key })) as unknown;
  return typeof v === 'string' ? v : undefined;
}

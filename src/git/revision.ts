// Reading the repository at a revision without touching the working tree, index or HEAD:
// resolving revision expressions (sha, short sha, branch, tag, experiment name, HEAD~2,
// name^) and reading files from a commit's tree.
import * as fs from 'node:fs';
import { iso } from './iso.js';
import { RxError, ExitCode } from '../core/errors.js';
import type { GitRepo } from './repo.js';
import { refsUnder } from './tree.js';

/** Where experiments live: refs/rx/exps/<baseline commit>/<name>, the name possibly nested (<search>/<trial>). */
export const EXPERIMENT_REFS = 'refs/rx/exps';

/** An experiment ref split: the baseline is the segment after refs/rx/exps, the name all the rest. */
export function parseExperimentRef(ref: string): { baseline: string; name: string } | undefined {
  if (!ref.startsWith(EXPERIMENT_REFS + '/')) return undefined;
  const rest = ref.slice(EXPERIMENT_REFS.length + 1);
  const slash = rest.indexOf('/');
  if (slash <= 0 || slash === rest.length - 1) return undefined;
  return { baseline: rest.slice(0, slash), name: rest.slice(slash + 1) };
}

export class UnknownRevisionError extends RxError {
  constructor(rev: string, why: string) {
    super('RX_UNKNOWN_REVISION', ExitCode.usage, `unknown revision ${rev}: ${why}`, { data: { rev } });
  }
}

async function resolveBase(repo: GitRepo, name: string): Promise<string> {
  const git = await iso();
  const args = { fs, gitdir: repo.gitdir };
  if (/^[0-9a-f]{40}$/.test(name)) return name;
  for (const ref of [name, `refs/heads/${name}`, `refs/tags/${name}`, `refs/remotes/${name}`, `refs/${name}`]) {
    try {
      return await git.resolveRef({ ...args, ref });
    } catch {
      // try the next form
    }
  }
  if (/^[0-9a-f]{4,39}$/.test(name)) {
    try {
      return await git.expandOid({ ...args, oid: name, cache: repo.cache });
    } catch {
      // fall through
    }
  }
  // An experiment name (everything after the baseline in its ref, so a search trial's is
  // 'lr-sweep/3-s0'): the one on HEAD's baseline first, else the only one by that name.
  const matches = (await refsUnder(repo, EXPERIMENT_REFS)).filter((r) => parseExperimentRef(r.ref)?.name === name);
  const head = await git.resolveRef({ ...args, ref: 'HEAD' }).catch(() => undefined);
  const current = matches.filter((r) => r.ref === `${EXPERIMENT_REFS}/${head}/${name}`);
  if (current.length === 1) return current[0]!.oid;
  if (matches.length === 1) return matches[0]!.oid;
  if (matches.length > 1) throw new UnknownRevisionError(name, `names ${matches.length} experiments on other baselines (${matches.map((m) => m.ref).join(', ')}); give the full ref`);
  throw new UnknownRevisionError(name, 'no branch, tag, commit or experiment by that name');
}

async function peelToCommit(repo: GitRepo, oid: string, rev: string): Promise<string> {
  const git = await iso();
  for (let i = 0; i < 10; i++) {
    const obj = await git.readObject({ fs, gitdir: repo.gitdir, oid, cache: repo.cache });
    if (obj.type === 'commit') return oid;
    if (obj.type !== 'tag') break;
    oid = (obj.object as { object: string }).object;
  }
  throw new UnknownRevisionError(rev, 'does not name a commit');
}

/** Resolves a revision expression to a commit oid. */
export async function resolveRevision(repo: GitRepo, rev: string): Promise<string> {
  const m = /^(.+?)((?:[~^]\d*)*)$/.exec(rev.trim());
  if (!m) throw new UnknownRevisionError(rev, 'not a revision');
  let oid: string;
  try {
    oid = await peelToCommit(repo, await resolveBase(repo, m[1]!), rev);
  } catch (err) {
    if (err instanceof RxError) throw err;
    throw new UnknownRevisionError(rev, (err as Error).message);
  }
  for (const step of m[2]!.match(/[~^]\d*/g) ?? []) {
    const n = step.length > 1 ? Number(step.slice(1)) : 1;
    if (step[0] === '~') {
      for (let i = 0; i < n; i++) oid = await parentOf(repo, oid, 0, rev);
    } else if (n > 0) {
      oid = await parentOf(repo, oid, n - 1, rev);
    }
  }
  return oid;
}

async function parentOf(repo: GitRepo, oid: string, index: number, rev: string): Promise<string> {
  const git = await iso();
  let commit;
  try {
    ({ commit } = await git.readCommit({ fs, gitdir: repo.gitdir, oid, cache: repo.cache }));
  } catch {
    throw new UnknownRevisionError(rev, `commit ${oid.slice(0, 12)} is not in this repository (a shallow clone?)`);
  }
  const p = commit.parent[index];
  if (!p) throw new UnknownRevisionError(rev, `commit ${oid.slice(0, 12)} has no parent ${index + 1}`);
  return p;
}

/** A file's content at a commit, or undefined when the path does not exist there. */
export async function readFileAtCommit(repo: GitRepo, commit: string, filepath: string): Promise<string | undefined> {
  const git = await iso();
  try {
    const { blob } = await git.readBlob({ fs, gitdir: repo.gitdir, oid: commit, filepath, cache: repo.cache });
    return Buffer.from(blob).toString('utf8');
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'NotFoundError') return undefined;
    throw err;
  }
}

export interface CommitInfo {
  oid: string;
  message: string;
  author: string;
  timestamp: number;
  parents: string[];
}

export async function readCommitInfo(repo: GitRepo, oid: string): Promise<CommitInfo> {
  const git = await iso();
  const { commit } = await git.readCommit({ fs, gitdir: repo.gitdir, oid, cache: repo.cache });
  return { oid, message: commit.message, author: commit.author.name, timestamp: commit.author.timestamp, parents: commit.parent };
}

// One side of a comparison: the workspace, or a commit read through the git layer
// (never checked out). Paths are project-relative; a project in a subdirectory of its
// git repository is handled here.
import { UsageError } from '../core/errors.js';
import type { Project } from '../store/project.js';
import { projectRepo, type ProjectRepo } from '../git/project-repo.js';
import { resolveRevision, readFileAtCommit } from '../git/revision.js';
import { workspaceReader, type FileReader } from '../pipeline/definition.js';

export { projectRepo, type ProjectRepo };

export const WORKSPACE = 'workspace';

export interface Side {
  /** What the user called it (a revision, or "workspace"). */
  label: string;
  /** The commit, when the side is one. */
  commit?: string;
  read: FileReader;
}

export async function openSide(project: Project, rev: string | undefined, pr?: ProjectRepo): Promise<Side> {
  if (rev === undefined || rev === WORKSPACE) return { label: WORKSPACE, read: workspaceReader(project.root) };
  const { repo, prefix } = pr ?? projectRepo(project);
  const commit = await resolveRevision(repo, rev);
  return {
    label: rev,
    commit,
    read: (rel) => readFileAtCommit(repo, commit, prefix === '' ? rel : `${prefix}/${rel}`),
  };
}

/** Splits `A..B` into its two revisions. */
export function splitRange(arg: string): [string, string] | undefined {
  const i = arg.indexOf('..');
  if (i < 0) return undefined;
  return [arg.slice(0, i) || 'HEAD', arg.slice(i + 2) || 'HEAD'];
}

/** The two sides named by up to two arguments: none -> HEAD vs workspace; A -> A vs workspace; A..B or A B. */
export function sidesFromArgs(args: string[]): [string, string] {
  if (args.length > 2) throw new UsageError('at most two revisions');
  if (args.length === 1) return splitRange(args[0]!) ?? [args[0]!, WORKSPACE];
  if (args.length === 2) return [args[0]!, args[1]!];
  return ['HEAD', WORKSPACE];
}

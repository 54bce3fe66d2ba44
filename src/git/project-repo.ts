// The git repository a project lives in, and the project's directory inside it ('' at its
// root): paths in commits are repository-relative, rx's are project-relative.
import * as path from 'node:path';
import { UsageError } from '../core/errors.js';
import { toPosix } from '../core/paths.js';
import { findGitRoot, openRepo, type GitRepo } from './repo.js';

export interface ProjectRepo {
  repo: GitRepo;
  /** The project's directory inside the repository ('' at its root). */
  prefix: string;
}

export function projectRepo(project: { root: string }): ProjectRepo {
  const gitRoot = findGitRoot(project.root);
  if (!gitRoot) throw new UsageError(`${project.root} is not inside a git repository`);
  return { repo: openRepo(gitRoot), prefix: toPosix(path.relative(gitRoot, project.root)) };
}

/** A repository path as a project-relative one, or undefined when it is outside the project. */
export function inProject(prefix: string, repoPath: string): string | undefined {
  if (prefix === '') return repoPath;
  return repoPath.startsWith(prefix + '/') ? repoPath.slice(prefix.length + 1) : undefined;
}

// Which store objects are in use: those named by the workspace's pointer files, or by the
// pointer files of every commit reachable from any ref, with directory manifests expanded
// to the objects they list. gc keeps exactly this set; fsck checks it exists.
import { parseYaml } from '../core/yaml.js';
import type { Project } from '../store/project.js';
import { findPointers, readPointer } from '../store/pointer.js';
import { readDirManifest } from '../store/tracked.js';
import { POINTER_SUFFIX } from '../store/project.js';
import { findGitRoot, openRepo, allCommits, commitTree, forEachMatchingBlob } from '../git/repo.js';
import type { Reporter } from '../core/context.js';

export interface References {
  /** hash -> where it was first seen (pointer path, or commit:path) */
  roots: Map<string, string>;
  /** hash -> the manifest or pointer that names it, for every referenced object */
  all: Map<string, string>;
  /** directory manifests named but missing from the store */
  missingManifests: Set<string>;
  /** directory manifests present but unreadable (corrupt): their entries are unknown */
  unreadableManifests: Map<string, string>;
  commitsScanned: number;
}

export async function collectReferences(project: Project, scope: 'workspace' | 'all-commits', reporter: Reporter): Promise<References> {
  const roots = new Map<string, string>();
  const dirHashes = new Set<string>();
  for (const ref of findPointers(project.root)) {
    const p = await readPointer(project.root, ref.pointerRel, project.parsed);
    if (!roots.has(p.hash)) roots.set(p.hash, ref.pointerRel);
    if (p.type === 'dir') dirHashes.add(p.hash);
  }
  let commitsScanned = 0;
  if (scope === 'all-commits') {
    const gitRoot = findGitRoot(project.root);
    if (gitRoot) {
      const repo = openRepo(gitRoot);
      const commits = await allCommits(repo);
      const seenTrees = new Set<string>();
      for (const oid of commits) {
        commitsScanned += 1;
        await forEachMatchingBlob(repo, await commitTree(repo, oid), (name) => name.endsWith(POINTER_SUFFIX), (filepath, text) => {
          try {
            const p = parseYaml(text) as { hash?: unknown; type?: unknown };
            if (typeof p?.hash !== 'string') return;
            if (!roots.has(p.hash)) roots.set(p.hash, `${oid.slice(0, 12)}:${filepath}`);
            if (p.type === 'dir') dirHashes.add(p.hash);
          } catch {
            reporter.warn(`${oid.slice(0, 12)}:${filepath}: unreadable pointer file, skipped`);
          }
        }, seenTrees);
      }
    }
  }
  const all = new Map(roots);
  const missingManifests = new Set<string>();
  const unreadableManifests = new Map<string, string>();
  for (const dirHash of dirHashes) {
    if (!(await project.store.has(dirHash))) {
      missingManifests.add(dirHash);
      continue;
    }
    let manifest;
    try {
      manifest = await readDirManifest(project.store, dirHash);
    } catch (err) {
      unreadableManifests.set(dirHash, (err as Error).message);
      continue;
    }
    for (const e of manifest.entries) if (!all.has(e.hash)) all.set(e.hash, `${roots.get(dirHash)}/${e.path}`);
  }
  return { roots, all, missingManifests, unreadableManifests, commitsScanned };
}

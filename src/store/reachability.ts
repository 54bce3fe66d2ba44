// The one answer to "what references this object": pointer files, every output rx.lock
// records (cached or not), run-cache entries and experiment refs, in the workspace and in
// the commits of the chosen scopes (DVC's gc scopes), with directory manifests expanded to
// the objects they list. gc keeps exactly this set, fsck checks it is present, checkout
// restores the workspace part of it; push and pull will send it. References are read
// leniently (a hash is a hash wherever it is written): nothing here writes a file.
import { promises as fsp } from 'node:fs';
import { parseYaml, LOCK_YAML_LIMITS } from '../core/yaml.js';
import type { Reporter } from '../core/context.js';
import { absPath } from '../core/paths.js';
import { findGitRoot, openRepo, refTips, ancestryOf, commitTree, forEachMatchingBlob } from '../git/repo.js';
import type { Project } from './project.js';
import { POINTER_SUFFIX } from './project.js';
import { findPointers, readPointer } from './pointer.js';
import { readDirManifest } from './tracked.js';
import { listRunCache } from './run-cache.js';
import { parseHash } from './hash.js';

export const scopes = ['workspace', 'all-branches', 'all-tags', 'all-commits', 'all-experiments'] as const;
export type Scope = (typeof scopes)[number];

export const LOCK_NAME = 'rx.lock';
export const EXPERIMENT_REFS = 'refs/rx/exps';

export interface Root {
  hash: string;
  dir: boolean;
  /** Who names it: `data/x.rx`, `rx.lock: train work/model`, `run cache 1a2b..`, `abc123def456:rx.lock: ...`. */
  where: string;
}

export interface Reachable {
  /** Objects named directly, first naming kept. */
  roots: Map<string, Root>;
  /** Every referenced object (roots and manifest entries) -> who names it. */
  all: Map<string, string>;
  /** Directory manifests named but missing from the store. */
  missingManifests: Set<string>;
  /** Directory manifests present but unreadable, corrupt or unsafe: their entries are unknown. */
  unreadableManifests: Map<string, string>;
  commitsScanned: number;
}

function validHash(h: unknown): h is string {
  if (typeof h !== 'string') return false;
  try {
    parseHash(h);
    return true;
  } catch {
    return false;
  }
}

/** Outputs a lock text records, leniently: [path, hash, isDir]. */
export function lockOutputs(text: string): { path: string; hash: string; dir: boolean; stage: string }[] {
  let doc: unknown;
  try {
    doc = parseYaml(text, 'rx.lock', LOCK_YAML_LIMITS);
  } catch {
    return [];
  }
  const out: { path: string; hash: string; dir: boolean; stage: string }[] = [];
  const stages = (doc as { stages?: unknown } | null)?.stages;
  if (typeof stages !== 'object' || stages === null) return out;
  for (const [stage, entry] of Object.entries(stages as Record<string, unknown>)) {
    const outs = (entry as { outs?: unknown } | null)?.outs;
    if (!Array.isArray(outs)) continue;
    for (const o of outs as { path?: unknown; hash?: unknown; type?: unknown }[]) {
      if (validHash(o?.hash)) out.push({ path: String(o.path), hash: o.hash, dir: o.type === 'dir', stage });
    }
  }
  return out;
}

/** A pointer text's hash, leniently. */
function pointerRoot(text: string): { hash: string; dir: boolean } | undefined {
  try {
    const p = parseYaml(text, 'pointer') as { hash?: unknown; type?: unknown } | null;
    return validHash(p?.hash) ? { hash: p.hash, dir: p.type === 'dir' } : undefined;
  } catch {
    return undefined;
  }
}

/** Which commits each scope adds (the workspace is always included). */
async function scopeCommits(repo: ReturnType<typeof openRepo>, chosen: Set<Scope>): Promise<string[]> {
  const commits = new Set<string>();
  const add = (list: string[]) => list.forEach((c) => commits.add(c));
  if (chosen.has('all-commits')) add(await ancestryOf(repo, await refTips(repo, ['refs/heads', 'refs/tags', 'refs/remotes', 'refs/rx'], true)));
  if (chosen.has('all-branches')) add(await refTips(repo, ['refs/heads'], true));
  if (chosen.has('all-tags')) add(await refTips(repo, ['refs/tags']));
  if (chosen.has('all-experiments')) add(await refTips(repo, [EXPERIMENT_REFS]));
  return [...commits].sort();
}

export interface ReachOptions {
  /** Count run-cache entries as references (default true). */
  runCache?: boolean;
}

export async function reachableObjects(project: Project, chosen: Iterable<Scope>, reporter: Reporter, options: ReachOptions = {}): Promise<Reachable> {
  const scopeSet = new Set<Scope>(chosen);
  const roots = new Map<string, Root>();
  const addRoot = (hash: string, dir: boolean, where: string) => {
    const had = roots.get(hash);
    if (!had) roots.set(hash, { hash, dir, where });
    else if (dir && !had.dir) had.dir = true;
  };

  // The workspace: pointer files and rx.lock, read through the path guard like every other
  // reader of them (a crafted one is exit 4 here too). Commits are read leniently below: an
  // old commit's bad pointer must not make gc impossible forever.
  for (const ref of findPointers(project.root)) {
    const p = await readPointer(project.root, ref.pointerRel, project.parsed);
    addRoot(p.hash, p.type === 'dir', ref.pointerRel);
  }
  const lockText = await fsp.readFile(absPath(project.root, LOCK_NAME), 'utf8').catch(() => undefined);
  // (Callers validate rx.lock with the pipeline's parser first: the store cannot import it.)
  if (lockText !== undefined) for (const o of lockOutputs(lockText)) addRoot(o.hash, o.dir, `${LOCK_NAME}: ${o.stage} ${o.path}`);

  if (options.runCache !== false) {
    for (const entry of await listRunCache(project.store.dir)) {
      for (const o of entry.outs) if (validHash(o.hash)) addRoot(o.hash, o.type === 'dir', `run cache ${entry.key.slice(0, 12)}: ${o.path}`);
    }
  }

  let commitsScanned = 0;
  const history = [...scopeSet].some((s) => s !== 'workspace');
  const gitRoot = history ? findGitRoot(project.root) : undefined;
  if (gitRoot) {
    const repo = openRepo(gitRoot);
    const seenTrees = new Set<string>();
    for (const oid of await scopeCommits(repo, scopeSet)) {
      commitsScanned += 1;
      const at = oid.slice(0, 12);
      await forEachMatchingBlob(repo, await commitTree(repo, oid), (name) => name.endsWith(POINTER_SUFFIX) || name === LOCK_NAME, (filepath, text) => {
        if (filepath === LOCK_NAME || filepath.endsWith(`/${LOCK_NAME}`)) {
          for (const o of lockOutputs(text)) addRoot(o.hash, o.dir, `${at}:${filepath}: ${o.stage} ${o.path}`);
          return;
        }
        const r = pointerRoot(text);
        if (r) addRoot(r.hash, r.dir, `${at}:${filepath}`);
        else reporter.warn(`${at}:${filepath}: unreadable pointer file, skipped`);
      }, seenTrees);
    }
  }

  const all = new Map<string, string>();
  for (const r of roots.values()) all.set(r.hash, r.where);
  const missingManifests = new Set<string>();
  const unreadableManifests = new Map<string, string>();
  for (const r of roots.values()) {
    if (!r.dir) continue;
    if (!(await project.store.has(r.hash))) {
      missingManifests.add(r.hash);
      continue;
    }
    let manifest;
    try {
      manifest = await readDirManifest(project.store, r.hash, r.where, { quarantine: false });
    } catch (err) {
      unreadableManifests.set(r.hash, (err as Error).message);
      continue;
    }
    for (const e of manifest.entries) if (!all.has(e.hash)) all.set(e.hash, `${r.where}/${e.path}`);
  }
  return { roots, all, missingManifests, unreadableManifests, commitsScanned };
}
